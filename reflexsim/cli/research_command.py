"""Researchers' commands: grade a recorded trace, fit the loop to it, global sensitivity.

    reflexsim grade FILE [--hold-start-s S] [--angle-column NAME] [--emg-column NAME] [--json] [--beats]
    reflexsim fit FILE --free reflex.gain,reflex.delay_s [--preset P] [--bound PATH=lo:hi] [--json] [--plot FIG]
    reflexsim sensitivity --param reflex.gain=2:5 --param reflex.delay_s=0.03:0.05 --output duration_s --samples 256

FILE is a CSV/TSV (or C3D with ``pip install 'reflexsim[c3d]'``) with a time column and an ankle
angle and/or EMG column; see `reflexsim.traces`, `reflexsim.fitting`, `reflexsim.sensitivity` and
docs/research.md.
`reflexsim.cli` calls `register`; `beats_payload` and `metrics_lines` also serve
`reflexsim clonus-test`.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ..errors import ReflexsimError
from ..metrics import DEFAULT_BEAT_THRESHOLD_DEG, BeatsTable, ClonusMetrics, beats_table
from ..protocols import ClonusTest
from ..simulation import DEFAULT_DURATION_S, MAX_DURATION_S, MIN_GRADED_DURATION_S
from .options import (
    CliError,
    checked_figure,
    model_from_args,
    model_options,
    number_option,
    pairs,
    print_json,
    protocol_option,
    step_option,
    whole_number,
)

# fitting.CONFIDENCE and fitting.GLOBAL_CANDIDATES (tests check they agree): importing the fit
# (scipy.optimize) only when `fit` runs keeps every other command's start-up short
FIT_CONFIDENCE = 0.95
FIT_CANDIDATES = 64


def metrics_lines(metrics: ClonusMetrics, run: str = "run", bursts: BeatsTable | None = None) -> list[str]:
    """The metrics as aligned text lines (`run`: what ended, "run" or "recording")."""
    from ..plotting import SCATS_WORDS, TARDIEU_WORDS

    m = metrics
    freq = "—" if math.isnan(m.frequency_hz) else f"{m.frequency_hz:.2f} Hz (period {m.period_ms:.0f} ms)"
    if m.beats < 3:
        duration = "none (fewer than 3 beats)"
    elif m.ongoing:
        duration = f"≥ {m.duration_s:.2f} s (still beating when the {run} ended)"
    else:
        duration = f"{m.duration_s:.2f} s (died out)"
    decay = "—" if math.isnan(m.decay_per_s) else f"{m.decay_per_s:+.3f} /s"
    beats = f"{m.beats}"
    if bursts is not None and not math.isnan(bursts.burst_threshold):
        beats += f" ({bursts.beats_with_burst} with a reflex burst)"
    if math.isnan(m.max_peak_to_peak_deg):
        p2p = "— (beats found on the EMG envelope)"
    else:
        p2p = f"{m.max_peak_to_peak_deg:.1f}° largest, {m.last_peak_to_peak_deg:.1f}° last beat"
    reflex = "— (no reflex torque)" if math.isnan(m.peak_reflex_torque_nm) else f"{m.peak_reflex_torque_nm:.1f} N·m"
    tardieu = (
        "— (needs a reflex torque below 3 beats)" if m.tardieu is None else f"{m.tardieu} ({TARDIEU_WORDS[m.tardieu]})"
    )
    return [
        f"  beats              {beats}",
        f"  frequency          {freq}",
        f"  clonus duration    {duration}",
        f"  over 10 s          {'yes' if m.over_10_s else 'no'}",
        f"  amplitude decay    {decay}",
        f"  peak-to-peak       {p2p}",
        f"  peak reflex torque {reflex}",
        f"  SCATS clonus score {m.scats} ({SCATS_WORDS[m.scats]})",
        f"  Tardieu grade      {tardieu}",
    ]


def beats_payload(source: Any, **options: Any) -> dict[str, Any]:
    """The per-beat table of a run or trace, JSON-ready (`BeatsTable.as_dict`)."""
    return beats_table(source, **options).as_dict()


def _table_text(table: BeatsTable) -> list[str]:
    names = [name for name, _, _ in BeatsTable.COLUMNS]
    head = "  beat " + " ".join(f"{n:>16}" for n in names)
    rows = [
        f"  {i + 1:>4} " + " ".join(f"{v:>16.4f}" if math.isfinite(v) else f"{'—':>16}" for v in row)
        for i, row in enumerate(zip(*(table.arrays()[n].tolist() for n in names), strict=True))
    ]
    return [head, *rows]


def _read_trace(args: argparse.Namespace) -> Any:
    """The FILE of a command with `_trace_options`, read with the options given."""
    from ..traces import read

    options = {
        "hold_start_s": args.hold_start_s,
        "stretch_start_s": args.stretch_start_s,
        "time_column": args.time_column,
        "angle_column": args.angle_column,
        "emg_column": args.emg_column,
        "torque_column": args.torque_column,
        "time_unit": args.time_unit,
        "angle_unit": args.angle_unit,
        "emg_kind": args.emg_kind,
    }
    return read(args.file, **{k: v for k, v in options.items() if v is not None})


def cmd_grade(args: argparse.Namespace) -> int:
    trace = _read_trace(args)
    table = beats_table(trace, beat_threshold_deg=args.beat_threshold_deg)
    span = trace.time_s[-1] - trace.time_s[0]
    if args.json:
        payload = {
            "file": str(args.file),
            "sampling_rate_hz": trace.sampling_rate_hz,
            "duration_s_recorded": span,
            "stretch_start_s": trace.stretch_start_s,
            "hold_start_s": trace.hold_start_s,
            "catch_end_s": trace.catch_end_s,
            "notes": list(trace.notes),
            **table.metrics.as_dict(),
            "beats_table": table.as_dict(),
        }
        print_json(payload)
        return 0
    lines = [f"reflexsim grade — {args.file} ({trace.sampling_rate_hz:.6g} Hz, {span:.3g} s)"]
    lines += [f"  {note}" for note in trace.notes]
    lines += metrics_lines(table.metrics, "recording", table)
    if args.beats:
        lines += _table_text(table)
    print("\n".join(lines))
    return 0


def free_paths(text: str) -> tuple[str, ...]:
    """--free PATH[,PATH...]: parameter paths, each known (an unknown one names the nearest)."""
    from ..params import describe

    paths = tuple(p.strip() for p in text.split(","))
    if not text.strip() or not all(paths):
        raise CliError(f"--free expects PATH[,PATH...] (e.g. reflex.gain,reflex.delay_s), got {text!r}")
    if len(set(paths)) != len(paths):
        raise CliError(f"--free lists a parameter twice: {text}")
    for path in paths:
        describe(path)  # ParameterError: "unknown parameter ...; did you mean ..."
    return paths


def fit_bounds(items: list[str], free: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """--bound PATH=lo:hi items as {path: (lo, hi)} (ranges are checked by `fitting.fit`)."""
    from ..params import number_from_text

    bounds = {}
    for path, text in pairs(items, "--bound", "PATH=lo:hi (e.g. reflex.gain=1:6)").items():
        if path not in free:
            raise CliError(f"--bound {path}: not a free parameter (--free {','.join(free)})")
        parts = text.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            bounds[path] = (number_from_text(parts[0]), number_from_text(parts[1]))
        except ValueError:
            raise CliError(f"--bound {path}={text}: expected lo:hi, two numbers (e.g. {path}=1:6)") from None
    return bounds


def fit_lines(found: Any) -> list[str]:
    """The fit as text: estimates with intervals, residuals, correlations, warnings, the method."""
    lines = found.summary().splitlines()
    lines.insert(1 + len(found.parameters), f"  intervals: {found.ci_method}")
    if not found.warnings:
        lines.append("  no trade-off found: every free parameter is pinned by the trace")
    return lines


def cmd_fit(args: argparse.Namespace) -> int:
    from ..fitting import fit

    free = free_paths(args.free)
    bounds = fit_bounds(args.bound, free)
    plot = None if args.plot is None else checked_figure(args.plot)
    model = model_from_args(args)
    protocol = ClonusTest(
        stretch_deg=args.stretch_deg, velocity_deg_per_s=args.velocity_deg_per_s, hold_torque_nm=args.hold_torque_nm
    )
    trace = _read_trace(args)
    found = fit(
        trace,
        model,
        protocol,
        free,
        bounds=bounds,
        candidates=args.candidates,
        confidence=args.confidence,
        seed=args.seed,
        **({} if args.dt is None else {"dt_s": args.dt}),
    )
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        found.figure().savefig(plot, dpi=120)
    if args.json:
        print_json(
            {
                "file": str(args.file),
                "model": model.name,
                "protocol": protocol.describe(),
                "free": list(free),
                **found.as_dict(),
                "plot": None if plot is None else str(plot),
            }
        )
        return 0
    lines = [f"reflexsim fit — {args.file} (model {model.name}; {trace.sampling_rate_hz:.6g} Hz)", *fit_lines(found)]
    if plot is not None:
        lines.append(f"  figure: {plot}")
    print("\n".join(lines))
    return 0


def sensitivity_ranges(items: list[str]) -> dict[str, tuple[float, float]]:
    """--param PATH=lo:hi items as {path: (lo, hi)} (paths and values are checked by the sweep)."""
    from ..sweep.designs import number_range

    if not items:
        raise CliError("give at least one --param PATH=lo:hi (e.g. --param reflex.gain=2:5)")
    ranges = {}
    for path, text in pairs(items, "--param", "PATH=lo:hi (e.g. reflex.gain=2:5)").items():
        try:
            ranges[path] = number_range(path, text)
        except ReflexsimError as exc:
            raise CliError(f"--param {path}={text}: {exc}") from None
    return ranges


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..sensitivity import checked_outputs, runs_per_sample, sensitivity

    ranges = sensitivity_ranges(args.param)
    outputs = checked_outputs([o.strip() for item in (args.output or ["duration_s"]) for o in item.split(",")])
    plot = None if args.plot is None else checked_figure(args.plot)
    model = model_from_args(args)
    protocol = ClonusTest(
        stretch_deg=args.stretch_deg, velocity_deg_per_s=args.velocity_deg_per_s, hold_torque_nm=args.hold_torque_nm
    )
    runs = args.samples * runs_per_sample(len(ranges), args.second_order)
    if not args.json and not args.quiet:
        print(f"reflexsim sensitivity: {runs:,} clonus tests of {args.duration:g} s ...", file=sys.stderr)
    found = sensitivity(
        model,
        ranges,
        outputs,
        args.samples,
        protocol=protocol,
        duration_s=args.duration,
        dt_s=args.dt,
        second_order=args.second_order,
        confidence=args.confidence,
        seed=args.seed,
        progress=False if args.quiet or args.json else None,
        out=args.out,
    )
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        found.figure().savefig(plot, dpi=120)
    if args.json:
        print_json({"preset": args.preset, "duration_s": args.duration, **found.as_dict()})
        return 0
    print(found.summary() + (f"\n  figure: {plot}" if plot is not None else ""))
    return 0


def _trace_options(p: argparse.ArgumentParser) -> None:
    """FILE and the options of reading it (shared by `grade` and `fit`)."""
    p.add_argument("file", help="CSV/TSV with a time column and an ankle angle and/or EMG column, or a C3D file")
    p.add_argument(
        "--hold-start-s",
        type=number_option("--hold-start-s", 0.0, 1e6, "s"),
        help="when the examiner's pressure starts (default: the file's metadata, else the end of the first "
        "dorsiflexion of at least 5°)",
    )
    p.add_argument(
        "--stretch-start-s",
        type=number_option("--stretch-start-s", 0.0, 1e6, "s"),
        help="when the stretch starts (opens the reflex catch window; default: metadata or detected)",
    )
    for role in ("time", "angle", "emg", "torque"):
        p.add_argument(f"--{role}-column", metavar="NAME", help=f"the {role} column's name in the file")
    p.add_argument("--time-unit", choices=("s", "ms"), help="unit of the time column when its name has none")
    p.add_argument("--angle-unit", choices=("deg", "rad"), help="unit of the angle column when its name has none")
    p.add_argument(
        "--emg-kind",
        choices=("raw", "envelope"),
        help="raw EMG is band-passed, rectified and enveloped; envelope is used as is",
    )


def register(subparsers: Any) -> None:
    """Add the `grade`, `fit` and `sensitivity` subcommands to the `reflexsim` parser's subparsers."""
    p = subparsers.add_parser(
        "grade",
        help="grade a recorded clonus test (CSV/TSV or C3D): beats, frequency, duration, SCATS, Tardieu",
        description=(
            "Grade a recorded trace with the same beat detector and grades as a simulated clonus test. "
            "Columns are found by name with the unit in it (time_s, angle_deg, emg_mv, emg_envelope, "
            "reflex_torque_nm); see docs/research.md."
        ),
    )
    _trace_options(p)
    p.add_argument(
        "--beat-threshold-deg",
        type=number_option("--beat-threshold-deg", 0.01, 30.0, "deg"),
        default=DEFAULT_BEAT_THRESHOLD_DEG,
        help=f"smallest peak-to-peak angle of a beat (default {DEFAULT_BEAT_THRESHOLD_DEG:g}°)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (metrics and the per-beat table)")
    p.add_argument("--beats", action="store_true", help="also print the per-beat table")
    p.set_defaults(func=cmd_grade)

    f = subparsers.add_parser(
        "fit",
        help="fit reflex gain, delay, threshold ... to a recorded clonus test, with confidence intervals",
        description=(
            "Estimate the --free parameters by matching the recorded angle (and EMG envelope) with simulations "
            "of the clonus test: a Sobol global stage on the compiled kernel, then least squares on a growing "
            "horizon; profile-likelihood intervals; parameters that trade off are reported. See docs/research.md."
        ),
    )
    _trace_options(f)
    f.add_argument(
        "--free",
        required=True,
        metavar="PATH[,PATH...]",
        help="the parameters to estimate, e.g. reflex.gain,reflex.delay_s,reflex.threshold_ips "
        "(the others keep the model's values)",
    )
    model_options(f, treatment_help="apply a treatment to the model before fitting (repeatable, in order)")
    f.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="PATH=lo:hi",
        help="search box of a free parameter (default: a factor of 4 around the model's value, inside its range)",
    )
    protocol_option(f, "stretch_deg", "stretch amplitude of the recorded test")
    protocol_option(f, "velocity_deg_per_s", "stretch velocity of the recorded test")
    protocol_option(f, "hold_torque_nm", "the examiner's dorsiflexing pressure during the hold")
    step_option(f)
    f.add_argument(
        "--candidates",
        type=whole_number("--candidates", 1, 4096),
        default=FIT_CANDIDATES,
        help=f"Sobol candidates of the global stage (default {FIT_CANDIDATES})",
    )
    f.add_argument(
        "--confidence",
        type=number_option("--confidence", 0.5, 0.999, "1"),
        default=FIT_CONFIDENCE,
        help=f"confidence level of the intervals (default {FIT_CONFIDENCE:g})",
    )
    f.add_argument("--seed", type=whole_number("--seed", 0, 2**32 - 1), default=0, help="seed of the Sobol stage")
    f.add_argument("--json", action="store_true", help="print one JSON object")
    f.add_argument("--plot", metavar="FIG", help="write the recorded and fitted traces, residuals and profiles")
    f.set_defaults(func=cmd_fit)

    s = subparsers.add_parser(
        "sensitivity",
        help="Sobol' indices (first order and total, with CIs) of clonus duration, frequency ... over parameters",
        description=(
            "Global sensitivity of the clonus test: Saltelli sampling of the --param box (SALib), every run "
            "through the compiled sweep, Sobol' first-order and total indices with bootstrap confidence "
            "intervals per --output. Runs: samples x (parameters + 2). Needs pip install 'reflexsim[research]'. "
            "See docs/research.md."
        ),
    )
    s.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="PATH=lo:hi",
        help="a parameter and its range (repeatable); PATH is a parameter path, treatment.NAME.KEY or protocol.FIELD",
    )
    s.add_argument(
        "--output",
        action="append",
        metavar="NAME",
        help="sweep variable to analyse (repeatable or comma-separated; default duration_s): beats, frequency_hz, "
        "duration_s, peak_to_peak_deg, scats, ...",
    )
    s.add_argument(
        "--samples",
        type=whole_number("--samples", 2, 2**20),
        default=256,
        help="base points, a power of two (default 256); the intervals shrink as 1/sqrt(samples)",
    )
    model_options(s)
    protocol_option(s, "stretch_deg", "stretch amplitude")
    protocol_option(s, "velocity_deg_per_s", "stretch velocity")
    protocol_option(s, "hold_torque_nm", "dorsiflexing pressure held after the stretch")
    s.add_argument(
        "--duration",
        type=number_option("--duration", MIN_GRADED_DURATION_S, MAX_DURATION_S, "s"),
        default=DEFAULT_DURATION_S,
        help=f"simulated s per run (default {DEFAULT_DURATION_S:g})",
    )
    step_option(s)
    s.add_argument("--second-order", action="store_true", help="also pairwise indices S2 (2x the runs)")
    s.add_argument(
        "--confidence",
        type=number_option("--confidence", 0.5, 0.999, "1"),
        default=FIT_CONFIDENCE,
        help=f"confidence level of the intervals (default {FIT_CONFIDENCE:g})",
    )
    s.add_argument("--seed", type=whole_number("--seed", 0, 2**32 - 1), default=0, help="seed of the sampling")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--plot", metavar="FIG", help="bar chart of S1 and ST with their intervals")
    s.add_argument(
        "--out",
        metavar="FILE.nc",
        help="keep every run in a NetCDF sweep file (checkpointed: rerunning the same command resumes or reuses it)",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_sensitivity)

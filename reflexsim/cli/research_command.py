"""Researchers' commands: grade a recorded trace with the simulator's detector and grades.

    reflexsim grade FILE [--hold-start-s S] [--angle-column NAME] [--emg-column NAME] [--json] [--beats]

FILE is a CSV/TSV (or C3D with ``pip install 'reflexsim[c3d]'``) with a time column and an ankle
angle and/or EMG column; see `reflexsim.traces` and docs/research.md. `reflexsim.cli` calls
`register`; `beats_payload` and `metrics_lines` also serve `reflexsim clonus-test`.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from ..metrics import DEFAULT_BEAT_THRESHOLD_DEG, BeatsTable, ClonusMetrics, beats_table


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


def cmd_grade(args: argparse.Namespace) -> int:
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
    trace = read(args.file, **{k: v for k, v in options.items() if v is not None})
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
        print(json.dumps(payload, indent=2))
        return 0
    lines = [f"reflexsim grade — {args.file} ({trace.sampling_rate_hz:.6g} Hz, {span:.3g} s)"]
    lines += [f"  {note}" for note in trace.notes]
    lines += metrics_lines(table.metrics, "recording", table)
    if args.beats:
        lines += _table_text(table)
    print("\n".join(lines))
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `grade` subcommand to the `reflexsim` parser's subparsers."""
    from .options import number_option

    p = subparsers.add_parser(
        "grade",
        help="grade a recorded clonus test (CSV/TSV or C3D): beats, frequency, duration, SCATS, Tardieu",
        description=(
            "Grade a recorded trace with the same beat detector and grades as a simulated clonus test. "
            "Columns are found by name with the unit in it (time_s, angle_deg, emg_mv, emg_envelope, "
            "reflex_torque_nm); see docs/research.md."
        ),
    )
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
    p.add_argument(
        "--beat-threshold-deg",
        type=number_option("--beat-threshold-deg", 0.01, 30.0, "deg"),
        default=DEFAULT_BEAT_THRESHOLD_DEG,
        help=f"smallest peak-to-peak angle of a beat (default {DEFAULT_BEAT_THRESHOLD_DEG:g}°)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (metrics and the per-beat table)")
    p.add_argument("--beats", action="store_true", help="also print the per-beat table")
    p.set_defaults(func=cmd_grade)
    return p

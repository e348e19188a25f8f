"""The `reflexsim` command line.

    reflexsim clonus-test [--preset NAME] [--set PATH=VALUE ...] [--duration S] [--json]
                          [--plot FILE | --no-plot]
    reflexsim params [--preset NAME] [--json | --markdown]

Bad input prints one line naming the problem and the valid range, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ReflexsimError
from .metrics import ClonusMetrics, clonus_metrics
from .params import Model, describe, format_range, parse_value
from .presets import DEFAULT_PRESET, DESCRIPTIONS, PRESETS, preset
from .protocols import ClonusTest
from .research_cli import beats_payload, metrics_lines
from .research_cli import register as register_research
from .simulation import DEFAULT_DT_S, DEFAULT_DURATION_S, MAX_DT_S, MAX_DURATION_S, MIN_DT_S, simulate
from .sweep_cli import register as register_sweep
from .treatments import TREATMENTS, apply_all

EXIT_USAGE = 2


class CliError(ReflexsimError):
    """A command-line argument is invalid."""


def _parse_set(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path or not text:
            raise CliError(f"--set expects PATH=VALUE (e.g. reflex.gain=3), got {item!r}")
        values[path.strip()] = parse_value(path.strip(), text.strip())
    return values


def _build_model(preset_name: str, settings: Sequence[str], treatment_specs: Sequence[str] = ()) -> Model:
    """The preset, then --set overrides, then treatments in the order given."""
    model = preset(preset_name)
    values = _parse_set(settings)
    if values:
        changed = ", ".join(f"{path}={value:g}" for path, value in values.items())
        model = model.with_values(values, name=f"{model.name} [{changed}]")
    return apply_all(model, treatment_specs)


def number_option(name: str, lo: float, hi: float, unit: str):
    """argparse type: a finite number in [lo, hi], with a message naming the option and range."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} = {text!r} is not a number; valid range {format_range(lo, hi, unit)}"
            ) from None
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"{name} = {text} is outside its valid range {format_range(lo, hi, unit)}")
        return value

    return convert


def _protocol_option(parser: argparse.ArgumentParser, field_name: str, help_text: str) -> None:
    """An option for a ClonusTest field, with its range and default from the field's metadata."""
    f = next(f for f in fields(ClonusTest) if f.name == field_name)
    lo, hi = f.metadata["range"]
    unit = f.metadata["unit"]
    option = "--" + field_name.replace("_", "-")
    parser.add_argument(
        option,
        type=number_option(option, lo, hi, unit),
        default=f.default,
        help=f"{help_text} ({unit}, default {f.default:g})",
    )


def _metrics_text(
    model: Model, preset_name: str, protocol: ClonusTest, metrics: ClonusMetrics, duration_s: float
) -> str:
    lines = [
        f"reflexsim clonus test — {model.name} ({DESCRIPTIONS[preset_name]})",
        f"stretch {protocol.stretch_deg:g}° at {protocol.velocity_deg_per_s:g} °/s from {protocol.start_deg:g}°, "
        f"then {protocol.hold_torque_nm:g} N·m of dorsiflexing pressure; {duration_s:g} s simulated",
        *metrics_lines(metrics),
    ]
    return "\n".join(lines)


def cmd_clonus_test(args: argparse.Namespace) -> int:
    model = _build_model(args.preset, args.set, args.treatment)
    protocol = ClonusTest(
        stretch_deg=args.stretch_deg, velocity_deg_per_s=args.velocity_deg_per_s, hold_torque_nm=args.hold_torque_nm
    )
    t0 = time.perf_counter()
    result = simulate(model, protocol, duration_s=args.duration, dt_s=args.dt)
    metrics = clonus_metrics(result)
    elapsed = time.perf_counter() - t0
    figure_path = None
    if not args.no_plot:
        from .plotting import clonus_test_figure, save_figure

        figure_path = save_figure(clonus_test_figure(result, metrics), args.plot or f"clonus_test_{args.preset}.png")
    if args.json:
        payload: dict[str, Any] = {
            "preset": args.preset,
            "model": model.name,
            "changed": dict(_parse_set(args.set)),
            "treatments": list(args.treatment),
            "protocol": protocol.describe(),
            "duration_s_simulated": args.duration,
            "dt_s": args.dt,
            **metrics.as_dict(),
            "beats_table": beats_payload(result),
            "figure": str(figure_path) if figure_path else None,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_metrics_text(model, args.preset, protocol, metrics, args.duration))
        if figure_path:
            print(f"figure: {figure_path}")
        print(f"(simulated and graded in {elapsed * 1000:.0f} ms)")
    return 0


def cmd_treatments(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps({"treatments": [t.describe() for t in TREATMENTS.values()]}, indent=2))
        return 0
    for t in TREATMENTS.values():
        print(f"{t.name}: {t.summary}")
        for k in t.keys:
            unit = "" if k.unit == "1" else f" {k.unit}"
            print(f"    {k.name} = {k.default:g}{unit}  range {format_range(k.lo, k.hi, k.unit)}  {k.doc}")
        print(f"    acts on: {', '.join(t.acts_on)}")
        print(f"    source: {t.source}")
    print("\nuse: reflexsim clonus-test --treatment NAME[:key=value,...] (repeatable, applied in order)")
    return 0


def cmd_tardieu(args: argparse.Namespace) -> int:
    from .clinical import tardieu_test
    from .plotting import TARDIEU_WORDS

    model = _build_model(args.preset, args.set, args.treatment)
    result = tardieu_test(model)
    if args.json:
        payload = {
            "model": model.name,
            "r2_range_deg": result.r2_range_deg,
            "r1_catch_deg": _json_float(result.r1_catch_deg),
            "spasticity_angle_deg": _json_float(result.spasticity_angle_deg),
            "stretches": [
                {
                    "velocity": s.label,
                    "velocity_deg_per_s": s.velocity_deg_per_s,
                    "catch_angle_deg": _json_float(s.catch_angle_deg),
                    "grade": s.grade,
                    "beats": s.metrics.beats,
                }
                for s in result.stretches
            ],
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"modified Tardieu test — {model.name}")
    for s in result.stretches:
        catch = "no catch" if math.isnan(s.catch_angle_deg) else f"catch at {s.catch_angle_deg:+.1f}°"
        print(f"  {s.label} ({s.velocity_deg_per_s:g} °/s): grade {s.grade} ({TARDIEU_WORDS[s.grade]}), {catch}")
    print(f"  R2 (passive range at V1): {result.r2_range_deg:+.1f}°")
    if not math.isnan(result.spasticity_angle_deg):
        print(f"  spasticity angle R2 - R1: {result.spasticity_angle_deg:+.1f}°")
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    import matplotlib

    if matplotlib.get_backend().lower() == "agg" or not _has_display():
        raise CliError(
            "`reflexsim explore` needs a display (set DISPLAY, e.g. under Xvfb) or Jupyter: "
            "`%matplotlib widget` then `from reflexsim.explorer import Explorer; Explorer()`"
        )
    from .explorer import explore

    explore(args.preset)
    return 0


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")


def cmd_animate(args: argparse.Namespace) -> int:
    from .animation import check_animation_path, clonus_animation, save_animation

    check_animation_path(args.out)
    base = _build_model(args.preset, args.set)
    seconds = args.seconds
    runs = [(base.name, simulate(base, duration_s=seconds + 1.0))]
    if args.treatment:
        treated = apply_all(base, args.treatment)
        runs.append((" + ".join(args.treatment), simulate(treated, duration_s=seconds + 1.0)))
    _, anim, frames = clonus_animation(runs, seconds=seconds, fps=args.fps, exaggerate=args.exaggerate)
    path = save_animation(anim, args.out, fps=args.fps)
    print(f"wrote {path} ({frames} frames at {args.fps} fps)")
    return 0


def cmd_experiment_list(args: argparse.Namespace) -> int:
    from .experiments import list_experiments

    for name, question in list_experiments().items():
        print(f"{name:<22} {question}")
    return 0


def cmd_experiment_run(args: argparse.Namespace) -> int:
    from .experiments import run_experiment

    return run_experiment(args.name, quick=args.quick)


def parse_path_values(text: str) -> tuple[str, list[float]]:
    """``PATH=start:stop:num`` (evenly spaced, inclusive) or ``PATH=v1,v2,...`` -> (path, values)."""
    from .sweep import parse_values

    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise CliError(
            f"expected PATH=start:stop:num or PATH=v1,v2,... (e.g. reflex.delay_s=0.01:0.1:50), got {text!r}"
        )
    path = path.strip()
    describe(path)  # unknown paths fail here, with suggestions
    return path, parse_values(spec).tolist()


def cmd_stability(args: argparse.Namespace) -> int:
    from . import stability

    model = _build_model(args.preset, args.set, args.treatment)
    if args.boundary:
        return _stability_boundary(model, args)
    analysis = stability.analyse(model, args.hold_torque_nm)
    critical = stability.critical_gain(model, args.hold_torque_nm)
    op = analysis.operating_point
    roots = analysis.roots[:4]
    if args.json:
        payload = {
            "model": model.name,
            "hold_torque_nm": args.hold_torque_nm,
            "operating_angle_deg": op.angle_deg,
            "ia_rate_ips": op.ia_rate_ips,
            "above_threshold": op.above_threshold,
            "stable": analysis.stable,
            "decay_rate_per_s": analysis.decay_rate_per_s,
            "frequency_hz": _json_float(analysis.frequency_hz),
            "rightmost_roots": [[r.real, r.imag] for r in roots],
            "critical_gain": _json_float(critical.gain),
            "critical_frequency_hz": _json_float(critical.frequency_hz),
            "margin": _json_float(critical.margin),
            "reason": critical.reason,
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"linear stability of the clonus test's hold — {model.name}")
    print(
        f"  operating point: {op.angle_deg:+.2f}° under {args.hold_torque_nm:g} N·m, Ia {op.ia_rate_ips:.1f} imp/s "
        f"({'above' if op.above_threshold else 'below'} the {op.threshold_ips:g} imp/s threshold)"
    )
    print("  rightmost roots (1/s):  " + "   ".join(f"{r.real:+.2f}{r.imag:+.2f}j" for r in roots))
    verdict = "STABLE" if analysis.stable else "UNSTABLE (small oscillations grow: clonus)"
    print(
        f"  {verdict}; decay rate {analysis.decay_rate_per_s:+.2f} 1/s, predicted frequency "
        f"{analysis.frequency_hz:.2f} Hz"
    )
    if critical.found:
        print(
            f"  critical gain {critical.gain:.2f} ({critical.kind}, crossing at {critical.frequency_hz:.2f} Hz); "
            f"margin = gain {model.reflex.gain:g} / critical = {critical.margin:.2f}"
        )
    else:
        print(f"  no critical gain: {critical.reason}")
    return 0


def _json_float(x: float) -> float | None:
    return None if math.isnan(x) else x


def _stability_boundary(model: Model, args: argparse.Namespace) -> int:
    from . import stability

    path, values = parse_path_values(args.boundary)
    boundary = stability.hopf_boundary(model, path, values, args.hold_torque_nm)
    lines = [f"{path},critical_gain,frequency_hz,found,reason"]
    for value, point in zip(values, boundary.points, strict=True):
        lines.append(f'{value:.6g},{point.gain:.6g},{point.frequency_hz:.6g},{point.found},"{point.reason}"')
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
        print(f"wrote {args.out} ({len(values)} points, {int(boundary.found.sum())} with a crossing)")
    else:
        print("\n".join(lines))
    if args.plot:
        from .plotting import hopf_boundary_figure, save_figure

        curves = [(model.name, model, boundary)]
        for name, other in PRESETS.items():  # the presets for comparison, each with its own boundary
            if name != model.name:
                curves.append((name, other, stability.hopf_boundary(other, path, values, args.hold_torque_nm)))
        print(f"figure: {save_figure(hopf_boundary_figure(curves), args.plot)}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    model = preset(args.preset) if args.preset else Model(name="default")
    infos = model.info()
    if args.json:
        print(json.dumps({"model": model.name, "parameters": [i.as_dict() for i in infos]}, indent=2))
        return 0
    if args.markdown:
        print(model.markdown_table())
        return 0
    print(f"parameters of {model.name!r} (SI units; paths for --set)")
    width = max(len(i.path) for i in infos)
    for i in infos:
        print(f"{i.path:<{width}}  {i.value:<10.6g} {i.unit:<10} range {format_range(i.lo, i.hi, '')}")
        print(f"{'':<{width}}  {i.doc}")
        print(f"{'':<{width}}  source: {i.source}")
    return 0


_TREATMENT_HELP = (
    "apply a treatment (repeatable, in order), e.g. botox:weeks=3 or afo:stop_deg=5; `reflexsim treatments` lists them"
)


def _model_options(
    parser: argparse.ArgumentParser, *, overrides: bool = True, treatment_help: str | None = _TREATMENT_HELP
) -> None:
    """--preset, and unless switched off --set PATH=VALUE and --treatment (read by `_build_model`)."""
    parser.add_argument(
        "--preset", default=DEFAULT_PRESET, choices=list(PRESETS), help=f"model preset (default {DEFAULT_PRESET})"
    )
    if overrides:
        parser.add_argument(
            "--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter (repeatable)"
        )
    if treatment_help:
        parser.add_argument(
            "--treatment", action="append", default=[], metavar="NAME[:key=value,...]", help=treatment_help
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reflexsim", description="Simulate clonus in the ankle stretch-reflex loop.")
    parser.add_argument("--version", action="version", version=f"reflexsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("clonus-test", help="run the bedside clonus test and grade it")
    _model_options(p)
    p.add_argument(
        "--duration",
        type=number_option("--duration", 0.5, MAX_DURATION_S, "s"),
        default=DEFAULT_DURATION_S,
        help=f"simulated time in s (default {DEFAULT_DURATION_S:g})",
    )
    p.add_argument(
        "--dt",
        type=number_option("--dt", MIN_DT_S, MAX_DT_S, "s"),
        default=DEFAULT_DT_S,
        help=f"integration step in s (default {DEFAULT_DT_S:g})",
    )
    _protocol_option(p, "stretch_deg", "stretch amplitude")
    _protocol_option(p, "velocity_deg_per_s", "stretch velocity")
    _protocol_option(p, "hold_torque_nm", "dorsiflexing pressure held after the stretch")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--plot", metavar="FILE", help="figure path (default clonus_test_<preset>.png)")
    out.add_argument("--no-plot", action="store_true", help="do not write a figure")
    p.set_defaults(func=cmd_clonus_test)

    t = sub.add_parser("tardieu", help="the modified Tardieu test at V1, V2, V3")
    _model_options(t)
    t.add_argument("--json", action="store_true", help="print JSON")
    t.set_defaults(func=cmd_tardieu)

    e = sub.add_parser("explore", help="interactive window: sliders, presets, treatments, stretch!")
    _model_options(e, overrides=False, treatment_help=None)
    e.set_defaults(func=cmd_explore)

    a = sub.add_parser("animate", help="animated ankle in clonus (GIF or MP4), optionally vs a treatment")
    _model_options(a, treatment_help="show the treated ankle beside the untreated one (repeatable, applied in order)")
    a.add_argument("--out", default="clonus.gif", help="output .gif or .mp4 (default clonus.gif)")
    a.add_argument("--seconds", type=number_option("--seconds", 0.5, 30.0, "s"), default=3.0, help="simulated seconds")
    a.add_argument("--fps", type=int, choices=range(5, 61), default=20, metavar="FPS", help="frames per second")
    a.add_argument(
        "--exaggerate", type=number_option("--exaggerate", 1.0, 10.0, "x"), default=1.0, help="scale the drawn angle"
    )
    a.set_defaults(func=cmd_animate)

    x = sub.add_parser("experiment", help="list or run the scripts in experiments/")
    xsub = x.add_subparsers(dest="action", required=True)
    xsub.add_parser("list", help="list the experiments").set_defaults(func=cmd_experiment_list)
    xr = xsub.add_parser("run", help="run one experiment")
    xr.add_argument("name", help="experiment name (see `reflexsim experiment list`)")
    xr.add_argument("--quick", action="store_true", help="fast, coarse run")
    xr.set_defaults(func=cmd_experiment_run)

    s = sub.add_parser("stability", help="linear stability of the hold: roots, critical gain, Hopf boundary")
    _model_options(s)
    _protocol_option(s, "hold_torque_nm", "held dorsiflexing torque defining the operating point")
    s.add_argument(
        "--boundary",
        metavar="PATH=start:stop:num",
        help="critical gain along a parameter, e.g. reflex.delay_s=0.01:0.1:50",
    )
    s.add_argument("--out", metavar="FILE.csv", help="with --boundary: write the curve as CSV")
    s.add_argument("--plot", metavar="FILE.png", help="with --boundary: draw it (presets marked)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_stability)

    r = sub.add_parser("treatments", help="list the treatments with their keys, units, ranges and sources")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=cmd_treatments)

    q = sub.add_parser("params", help="list every parameter with value, unit, range and source")
    q.add_argument("--preset", choices=list(PRESETS), help="show a preset's values (default: the defaults)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument("--markdown", action="store_true", help="print a Markdown table (as in docs/model.md)")
    q.set_defaults(func=cmd_params)

    register_sweep(sub)
    register_research(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ReflexsimError as exc:
        print(f"reflexsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

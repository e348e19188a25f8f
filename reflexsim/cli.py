"""The `reflexsim` command line.

    reflexsim clonus-test [--preset NAME] [--set PATH=VALUE ...] [--duration S] [--json]
                          [--plot FILE | --no-plot]
    reflexsim params [--preset NAME] [--json]

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
from typing import Any

from . import __version__
from .errors import ReflexsimError
from .metrics import ClonusMetrics, clonus_metrics
from .params import Model, format_range, parse_value
from .presets import DEFAULT_PRESET, DESCRIPTIONS, PRESETS, preset
from .protocols import ClonusTest
from .simulation import DEFAULT_DT_S, DEFAULT_DURATION_S, MAX_DT_S, MAX_DURATION_S, MIN_DT_S, simulate

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


def _build_model(preset_name: str, settings: Sequence[str]) -> Model:
    model = preset(preset_name)
    values = _parse_set(settings)
    return model.with_values(values) if values else model


def _number(name: str, lo: float, hi: float, unit: str):
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
        type=_number(option, lo, hi, unit),
        default=f.default,
        help=f"{help_text} ({unit}, default {f.default:g})",
    )


def _metrics_text(model: Model, protocol: ClonusTest, metrics: ClonusMetrics, duration_s: float) -> str:
    from .plotting import SCATS_WORDS, TARDIEU_WORDS

    freq = (
        "—"
        if math.isnan(metrics.frequency_hz)
        else f"{metrics.frequency_hz:.2f} Hz (period {metrics.period_ms:.0f} ms)"
    )
    if metrics.beats < 3:
        duration = "none (fewer than 3 beats)"
    elif metrics.ongoing:
        duration = f"≥ {metrics.duration_s:.2f} s (still beating when the run ended)"
    else:
        duration = f"{metrics.duration_s:.2f} s (died out)"
    decay = "—" if math.isnan(metrics.decay_per_s) else f"{metrics.decay_per_s:+.3f} /s"
    lines = [
        f"reflexsim clonus test — preset {model.name!r}: {DESCRIPTIONS.get(model.name, 'custom parameters')}",
        f"stretch {protocol.stretch_deg:g}° at {protocol.velocity_deg_per_s:g} °/s from {protocol.start_deg:g}°, "
        f"then {protocol.hold_torque_nm:g} N·m of dorsiflexing pressure; {duration_s:g} s simulated",
        f"  beats              {metrics.beats}",
        f"  frequency          {freq}",
        f"  clonus duration    {duration}",
        f"  sustained          {'yes' if metrics.sustained else 'no'}",
        f"  amplitude decay    {decay}",
        f"  peak-to-peak       {metrics.peak_to_peak_deg:.1f}° (last beat {metrics.last_peak_to_peak_deg:.1f}°)",
        f"  peak reflex torque {metrics.peak_reflex_torque_nm:.1f} N·m",
        f"  SCATS clonus score {metrics.scats} ({SCATS_WORDS[metrics.scats]})",
        f"  Tardieu grade      {metrics.tardieu} ({TARDIEU_WORDS[metrics.tardieu]})",
    ]
    return "\n".join(lines)


def cmd_clonus_test(args: argparse.Namespace) -> int:
    model = _build_model(args.preset, args.set)
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

        figure_path = save_figure(clonus_test_figure(result, metrics), args.plot or f"clonus_test_{model.name}.png")
    if args.json:
        payload: dict[str, Any] = {
            "preset": args.preset,
            "model": model.name,
            "changed": dict(_parse_set(args.set)),
            "protocol": protocol.describe(),
            "duration_s_simulated": args.duration,
            "dt_s": args.dt,
            **metrics.as_dict(),
            "figure": str(figure_path) if figure_path else None,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_metrics_text(model, protocol, metrics, args.duration))
        if figure_path:
            print(f"figure: {figure_path}")
        print(f"(simulated and graded in {elapsed * 1000:.0f} ms)")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    model = preset(args.preset) if args.preset else Model(name="default")
    infos = model.info()
    if args.json:
        print(json.dumps({"model": model.name, "parameters": [i.as_dict() for i in infos]}, indent=2))
        return 0
    print(f"parameters of {model.name!r} (SI units; paths for --set)")
    width = max(len(i.path) for i in infos)
    for i in infos:
        print(f"{i.path:<{width}}  {i.value:<10.6g} {i.unit:<10} range {format_range(i.lo, i.hi, '')}")
        print(f"{'':<{width}}  {i.doc}")
        print(f"{'':<{width}}  source: {i.source}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reflexsim", description="Simulate clonus in the ankle stretch-reflex loop.")
    parser.add_argument("--version", action="version", version=f"reflexsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("clonus-test", help="run the bedside clonus test and grade it")
    p.add_argument(
        "--preset", default=DEFAULT_PRESET, choices=list(PRESETS), help=f"model preset (default {DEFAULT_PRESET})"
    )
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter (repeatable)")
    p.add_argument(
        "--duration",
        type=_number("--duration", 0.5, MAX_DURATION_S, "s"),
        default=DEFAULT_DURATION_S,
        help=f"simulated time in s (default {DEFAULT_DURATION_S:g})",
    )
    p.add_argument(
        "--dt",
        type=_number("--dt", MIN_DT_S, MAX_DT_S, "s"),
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

    q = sub.add_parser("params", help="list every parameter with value, unit, range and source")
    q.add_argument("--preset", choices=list(PRESETS), help="show a preset's values (default: the defaults)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_params)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ReflexsimError as exc:
        print(f"reflexsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

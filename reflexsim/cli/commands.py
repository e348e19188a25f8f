"""The model commands: clonus-test, tardieu, explore, animate, experiment, stability, treatments, params.

Each checks its inputs and output paths before any work and writes files through a temporary
name (reflexsim.files); `reflexsim.cli.main` turns any error into one line.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..files import atomic_write, check_output
from ..joints import JOINTS, model_name
from ..metrics import ClonusMetrics, clonus_metrics
from ..params import Model, describe, format_range
from ..presets import DESCRIPTIONS, PRESETS, preset
from ..protocols import ClonusTest
from ..simulation import DEFAULT_DT_S, simulate
from ..treatments import TREATMENTS, Treatment, apply_all
from ..triggers import TRIGGERS
from .options import (
    CliError,
    changed_paths,
    checked_figure,
    joint_clonus_test,
    joint_protocol,
    model_from_args,
    print_json,
)
from .research_command import beats_payload, metrics_lines

# Points of a Hopf boundary one command computes (each a root search of ~0.1-1 s).
MAX_BOUNDARY_POINTS = 2000


def _metrics_text(
    model: Model,
    preset_name: str,
    protocol: ClonusTest,
    metrics: ClonusMetrics,
    duration_s: float,
    joint_name: str = "ankle",
) -> str:
    spec = JOINTS[joint_name]
    title = f"{DESCRIPTIONS[preset_name]}" if joint_name == "ankle" else f"{spec.clonus_test.name}, {spec.muscle}"
    pressure = "dorsiflexing" if joint_name == "ankle" else f"{spec.angle.split(';')[0]}"
    lines = [
        f"reflexsim clonus test — {model.name} ({title})",
        f"stretch {protocol.stretch_deg:g}° at {protocol.velocity_deg_per_s:g} °/s from {protocol.start_deg:g}°, "
        f"then {protocol.hold_torque_nm:g} N·m of {pressure} pressure; {duration_s:g} s simulated",
        *metrics_lines(metrics),
    ]
    return "\n".join(lines)


def cmd_clonus_test(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    protocol = joint_protocol(args)
    default_figure = f"clonus_test_{model_name(args.joint, args.preset)}.png"
    figure_path = None if args.no_plot else checked_figure(default_figure if args.plot is None else args.plot)
    max_dt = DEFAULT_DT_S if args.dt is None else args.dt
    t0 = time.perf_counter()
    result = simulate(model, protocol, duration_s=args.duration, max_dt_s=max_dt)
    metrics = clonus_metrics(result)
    elapsed = time.perf_counter() - t0
    if figure_path is not None:
        from ..plotting import clonus_test_figure, save_figure

        save_figure(clonus_test_figure(result, metrics), figure_path)
    if args.json:
        payload: dict[str, Any] = {
            "preset": args.preset,
            "joint": args.joint,
            "model": model.name,
            "changed": {path: model.get(path) for path in changed_paths(args.set)},
            "triggers": list(args.trigger),
            "treatments": list(args.treatment),
            "protocol": protocol.describe(),
            "duration_s_simulated": args.duration,
            "dt_s": result.dt_s,
            **metrics.as_dict(),
            "beats_table": beats_payload(result),
            "figure": str(figure_path) if figure_path else None,
        }
        print_json(payload)
    else:
        print(_metrics_text(model, args.preset, protocol, metrics, args.duration, args.joint))
        if result.dt_s < max_dt:
            print(f"step {result.dt_s:g} s, chosen automatically: {max_dt:g} s is too large for this model")
        if figure_path:
            print(f"figure: {figure_path}")
        print(f"(simulated and graded in {elapsed * 1000:.0f} ms)")
    return 0


def cmd_treatments(args: argparse.Namespace) -> int:
    return _list_modifiers(args, TREATMENTS, "treatment")


def cmd_triggers(args: argparse.Namespace) -> int:
    return _list_modifiers(args, TRIGGERS, "trigger")


def _list_modifiers(args: argparse.Namespace, registry: Mapping[str, Treatment], kind: str) -> int:
    """List treatments or triggers (same shape) with keys, units, ranges and sources."""
    if args.json:
        print_json({f"{kind}s": [t.describe() for t in registry.values()]})
        return 0
    for t in registry.values():
        print(f"{t.name}: {t.summary}")
        for k in t.keys:
            unit = "" if k.unit == "1" else f" {k.unit}"
            print(f"    {k.name} = {k.default:g}{unit}  range {format_range(k.lo, k.hi, k.unit)}  {k.doc}")
        print(f"    acts on: {', '.join(t.acts_on) or 'nothing (no change)'}")
        print(f"    source: {t.source}")
    print(f"\nuse: reflexsim clonus-test --{kind} NAME[:key=value,...] (repeatable, applied in order)")
    return 0


def cmd_tardieu(args: argparse.Namespace) -> int:
    from ..clinical import tardieu_test
    from ..plotting import TARDIEU_WORDS

    model = model_from_args(args)
    test = joint_clonus_test(args.joint)  # the joint's own start angle and pressure
    start = min(10.0, max(-40.0, test.start_deg - 20.0))
    result = tardieu_test(model, start_deg=start, hold_torque_nm=test.hold_torque_nm)
    if args.json:
        payload = {
            "model": model.name,
            "r2_range_deg": result.r2_range_deg,
            "r1_catch_deg": result.r1_catch_deg,
            "spasticity_angle_deg": result.spasticity_angle_deg,
            "stretches": [
                {
                    "velocity": s.label,
                    "velocity_deg_per_s": s.velocity_deg_per_s,
                    "catch_angle_deg": s.catch_angle_deg,
                    "grade": s.grade,
                    "beats": s.metrics.beats,
                }
                for s in result.stretches
            ],
        }
        print_json(payload)
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
    from ..explorer import explore

    explore(args.preset, joint=args.joint)
    return 0


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")


def cmd_animate(args: argparse.Namespace) -> int:
    from ..animation import check_animation_path, clonus_animation, save_animation

    check_output(check_animation_path(args.out), "animation file")
    base = model_from_args(argparse.Namespace(preset=args.preset, set=args.set, trigger=args.trigger, joint=args.joint))
    seconds = args.seconds
    treated = apply_all(base, args.treatment) if args.treatment else None  # checked before any work
    spec = JOINTS[args.joint]
    test = spec.clonus_test.protocol
    runs = [(base.name, simulate(base, test, duration_s=seconds + 1.0))]
    if treated is not None:
        runs.append((" + ".join(args.treatment), simulate(treated, test, duration_s=seconds + 1.0)))
    _, anim, frames = clonus_animation(
        runs, seconds=seconds, fps=args.fps, exaggerate=args.exaggerate, drawing=spec.drawing or None
    )
    path = save_animation(anim, args.out, fps=args.fps)
    print(f"wrote {path} ({frames} frames at {args.fps} fps)")
    return 0


def cmd_experiment_list(args: argparse.Namespace) -> int:
    from ..experiments import list_experiments

    for name, question in list_experiments().items():
        print(f"{name:<22} {question}")
    return 0


def cmd_experiment_run(args: argparse.Namespace) -> int:
    from ..experiments import run_experiment

    return run_experiment(args.name, quick=args.quick)


def parse_path_values(text: str) -> tuple[str, list[float]]:
    """``PATH=start:stop:num`` (evenly spaced, inclusive) or ``PATH=v1,v2,...`` -> (path, values)."""
    from ..sweep.designs import parse_values

    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise CliError(
            f"expected PATH=start:stop:num or PATH=v1,v2,... (e.g. reflex.delay_s=0.01:0.1:50), got {text!r}"
        )
    path = path.strip()
    info = describe(path)  # unknown paths fail here, with suggestions
    parts = spec.strip().split(":")
    if len(parts) == 3 and parts[2].strip().isdigit() and int(parts[2]) > MAX_BOUNDARY_POINTS:
        raise CliError(
            f"--boundary asks for {int(parts[2]):,} points; at most {MAX_BOUNDARY_POINTS:,} fit in one command "
            f"(each is a root search of up to a second): split the range or take fewer points"
        )
    values = parse_values(spec, path)
    if values.size > MAX_BOUNDARY_POINTS:
        raise CliError(f"--boundary lists {values.size:,} values; at most {MAX_BOUNDARY_POINTS:,}")
    bad = values[~((values >= info.lo) & (values <= info.hi))]
    if bad.size:
        raise CliError(f"{path} = {bad[0]:g} is outside its valid range {format_range(info.lo, info.hi, info.unit)}")
    return path, values.tolist()


def cmd_stability(args: argparse.Namespace) -> int:
    from .. import stability

    model = model_from_args(args)
    if args.hold_torque_nm is None:  # the joint's own test pressure
        args.hold_torque_nm = joint_clonus_test(args.joint).hold_torque_nm
    if args.boundary:
        return _stability_boundary(model, args)
    if args.out or args.plot:
        raise CliError("--out and --plot go with --boundary (the critical gain along a parameter)")
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
            "frequency_hz": analysis.frequency_hz,
            "rightmost_roots": [[r.real, r.imag] for r in roots],
            "critical_gain": critical.gain,
            "critical_frequency_hz": critical.frequency_hz,
            "margin": critical.margin,
            "reason": critical.reason,
        }
        print_json(payload)
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


def boundary_rows(path: str, values: Sequence[float], points: Sequence[Any]) -> list[list[Any]]:
    """The Hopf boundary as CSV rows: a header naming the parameter, then one row per value with
    the critical gain, the frequency at the crossing, whether one was found and why not (numbers
    in full precision; NaN as ``nan``)."""
    rows: list[list[Any]] = [[path, "critical_gain", "frequency_hz", "found", "reason"]]
    for value, point in zip(values, points, strict=True):
        rows.append([float(value), float(point.gain), float(point.frequency_hz), bool(point.found), point.reason])
    return rows


def write_csv(path: Path, rows: Sequence[Sequence[Any]]) -> None:
    """Write `rows` with the `csv` module (quoting as other tools expect), UTF-8, newline-terminated."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8", newline="")


def _stability_boundary(model: Model, args: argparse.Namespace) -> int:
    from .. import stability

    path, values = parse_path_values(args.boundary)
    out = None if args.out is None else check_output(args.out, "CSV file")
    figure = None if args.plot is None else checked_figure(args.plot)
    boundary = stability.hopf_boundary(model, path, values, args.hold_torque_nm)
    rows = boundary_rows(path, values, boundary.points)
    if out is not None:
        atomic_write(out, lambda tmp: write_csv(tmp, rows))
        print(f"wrote {out} ({len(values)} points, {int(boundary.found.sum())} with a crossing)")
    else:
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
    if figure is not None:
        from ..plotting import hopf_boundary_figure, save_figure

        curves = [(model.name, model, boundary)]
        for name in PRESETS:  # the presets for comparison, each with its own boundary
            other = preset(name, joint=args.joint)
            if other.name != model.name:
                curves.append((name, other, stability.hopf_boundary(other, path, values, args.hold_torque_nm)))
        print(f"figure: {save_figure(hopf_boundary_figure(curves), figure)}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    spec = JOINTS[args.joint]
    if args.preset:
        model = preset(args.preset, joint=args.joint)
    elif args.joint == "ankle":
        model = Model(name="default")
    else:
        model = Model().with_values({p: v for p, (v, _) in spec.values.items()}, name=args.joint)
    infos = model.info()
    if args.joint != "ankle":  # the joint's own sources ([assumed] where the literature gave none)
        infos = [dataclasses.replace(i, source=spec.source(i.path)) for i in infos]
    if args.json:
        print_json({"model": model.name, "joint": args.joint, "parameters": [i.as_dict() for i in infos]})
        return 0
    if args.markdown:
        print(model.markdown_table() if args.joint == "ankle" else spec.markdown_table())
        return 0
    print(f"parameters of {model.name!r} (SI units; paths for --set)")
    width = max(len(i.path) for i in infos)
    for i in infos:
        print(f"{i.path:<{width}}  {i.value:<10.6g} {i.unit:<10} range {format_range(i.lo, i.hi, '')}")
        print(f"{'':<{width}}  {i.doc}")
        print(f"{'':<{width}}  source: {i.source}")
    return 0

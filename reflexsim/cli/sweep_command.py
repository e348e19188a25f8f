"""The `reflexsim sweep` subcommand: a sweep from command-line options or a TOML file.

    reflexsim sweep --param reflex.gain=0:4:64 --param reflex.delay_s=0.01:0.08:64 \\
        [--preset severe] [--treatment botox:weeks=3] [--set PATH=VALUE ...] [--duration S] --out sweep.nc
    reflexsim sweep config.toml            # the same, from a file kept with the paper

Options given on the command line override the file's. Rerunning the same command after a crash
or Ctrl-C resumes from the checkpoint beside --out; a second sweep on the same --out is refused
while the first runs. Every value of the file is checked with the command line's checker and
limits before any work.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import shlex
import sys
import time
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SweepError
from ..joints import DEFAULT_JOINT, JOINTS
from ..params import checked_number
from ..presets import DEFAULT_PRESET, PRESETS
from ..simulation import DEFAULT_DT_S, DEFAULT_DURATION_S, MAX_DT_S, MAX_DURATION_S, MIN_DT_S, MIN_GRADED_DURATION_S
from ..sweep.store import SweepNote
from ..treatments import parse_spec
from ..triggers import TRIGGERS
from ..triggers import get as get_trigger
from .options import (
    EXIT_INTERRUPTED,
    build_model,
    joint_clonus_test,
    model_options,
    number_option,
    pairs,
    step_option,
    whole_number,
)

# TOML keys and what they mean (command-line option in brackets).
CONFIG_KEYS = {
    "preset": "model preset (--preset)",
    "joint": "joint whose presets and clinical test to use: ankle, knee, wrist, jaw, or a list of them: a joint "
    "axis (--joint knee,jaw)",
    "set": "table of fixed parameter values, e.g. {'reflex.tone' = 0.02} (--set)",
    "treatments": "list of fixed treatments applied in order, e.g. ['botox:weeks=3'] (--treatment)",
    "triggers": "list of fixed triggers applied in order before the treatments, e.g. ['caffeine'] (--trigger)",
    "protocol": "table of clonus-test settings, e.g. {hold_torque_nm = 40} (--protocol)",
    "param": "table of swept keys: 'start:stop:num', a list, or 'lo:hi' / [lo, hi] for lhs/sobol (--param)",
    "design": "grid, zip, lhs or sobol (--design)",
    "samples": "number of points of an lhs or sobol design (--samples)",
    "seed": "seed of an lhs or sobol design (--seed)",
    "duration_s": "simulated time per point in s (--duration)",
    "dt_s": "largest integration step in s; each point runs at the largest dt_s/2**k it allows (--dt)",
    "fixed_step": "true: every point at exactly dt_s, points it cannot serve get a status (--fixed-step)",
    "kernel": "lockstep or exact (--kernel)",
    "chunk_size": "points per chunk (--chunk-size)",
    "out": "output NetCDF file, relative to the config file (--out)",
    "dask": "Dask scheduler address, or local[:N] (--dask)",
}
DESIGN_NAMES = ("grid", "zip", "lhs", "sobol")
KERNEL_NAMES = ("lockstep", "exact")
MAX_SAMPLES = 2**40  # a design's memory is checked against the machine as well


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `sweep` subcommand to the `reflexsim` parser's subparsers."""
    p = subparsers.add_parser(
        "sweep",
        help="map clonus over parameters (grid, zip, Latin hypercube, Sobol) into a NetCDF file",
        description="\n\n".join(__doc__.split("\n\n")[:3]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", help="TOML file describing the sweep (see docs/sweeps.md)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="swept key and values: start:stop:num or v1,v2,... (lo:hi for lhs/sobol); KEY is a parameter "
        "path, treatment.NAME.KEY or protocol.FIELD (repeatable, each key once)",
    )
    p.add_argument("--design", choices=DESIGN_NAMES, help="how keys combine (default grid)")
    p.add_argument("--samples", type=whole_number("--samples", 1, MAX_SAMPLES), help="points of an lhs or sobol design")
    p.add_argument(
        "--seed", type=whole_number("--seed", 0, 2**63 - 1), help="seed of an lhs or sobol design (default 0)"
    )
    model_options(
        p,
        default_preset=None,
        treatment_help="apply a treatment to the base model (repeatable, in order); to sweep one: "
        "--param treatment.NAME.KEY=..",
    )
    p.add_argument(  # replaces model_options' single --joint: a sweep may take several (a joint axis)
        "--joint",
        type=_joint_option,
        default=None,
        metavar="JOINT[,JOINT...]",
        help=f"joint(s) whose presets and clinical test to use (default {DEFAULT_JOINT}); several make a joint "
        "axis: one sweep per joint, combined along the dimension 'joint'",
    )
    p.add_argument(
        "--protocol",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="clonus-test setting, e.g. hold_torque_nm=40",
    )
    p.add_argument(
        "--duration",
        type=number_option("--duration", MIN_GRADED_DURATION_S, MAX_DURATION_S, "s"),
        help=f"simulated s per point (default {DEFAULT_DURATION_S:g})",
    )
    step_option(p)
    p.add_argument(
        "--fixed-step", action="store_true", default=None, help="run every point at exactly --dt (no halving)"
    )
    p.add_argument("--kernel", choices=KERNEL_NAMES, help="lockstep (fast, default) or exact (bit-identical)")
    p.add_argument("--chunk-size", type=whole_number("--chunk-size", 1), help="points per checkpointed chunk")
    p.add_argument("--out", help="output NetCDF file (default sweep.nc)")
    p.add_argument("--dask", metavar="ADDRESS|local[:N]", help="run the chunks on a Dask cluster")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    return p


def _table(config: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    table = config.get(name, {})
    if not isinstance(table, Mapping):
        raise SweepError(f"{path}: {name!r} must be a table, e.g. [{name}]")
    return dict(table)


def joint_list(value: Any, what: str = "--joint") -> list[str]:
    """One joint or several (a joint axis): 'knee', 'ankle,knee' or a TOML list, each known, none twice."""
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise SweepError(f"{what} must name joints, e.g. 'knee' or ['ankle', 'knee'], got {value!r}")
    for name in names:
        if name not in JOINTS:
            raise SweepError(f"{what} = {name!r}; valid values: {', '.join(JOINTS)}")
    if len(set(names)) != len(names):
        raise SweepError(f"{what} lists a joint twice: {', '.join(names)}")
    return names


def _joint_option(text: str) -> list[str]:
    """`joint_list` as an argparse type (its message becomes argparse's one line)."""
    try:
        return joint_list(text)
    except SweepError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _choice(config: Mapping[str, Any], name: str, valid: tuple[str, ...], path: Path) -> None:
    if name in config and config[name] not in valid:
        raise SweepError(f"{path}: {name} = {config[name]!r}; valid values: {', '.join(valid)}")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and check a sweep TOML file: unknown keys, bad syntax and values of the wrong type fail
    with one clear line (ranges are checked as for the command line when the sweep is built)."""
    path = Path(path)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SweepError(f"{path} is not UTF-8 text (TOML files are UTF-8)") from None
    except OSError as exc:
        raise SweepError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise SweepError(f"{path}: unknown key {unknown[0]!r}; valid keys: {', '.join(CONFIG_KEYS)}")
    for table in ("set", "protocol", "param"):
        config[table] = _table(config, table, path)
    for name, example in (("treatments", "botox:weeks=3"), ("triggers", "caffeine:dose_mg_per_kg=3")):
        specs = config.get(name, [])
        if not isinstance(specs, list) or not all(isinstance(t, str) for t in specs):
            raise SweepError(f"{path}: {name!r} must be a list of strings like {example!r}, got {specs!r}")
    _choice(config, "preset", tuple(PRESETS), path)
    if "joint" in config:
        config["joint"] = joint_list(config["joint"], f"{path}: joint")
    _choice(config, "design", DESIGN_NAMES, path)
    _choice(config, "kernel", KERNEL_NAMES, path)
    for name in ("out", "dask"):
        if name in config and not (isinstance(config[name], str) and config[name].strip()):
            raise SweepError(f"{path}: {name} must be a string, got {config[name]!r}")
    for name, lo in (("samples", 1), ("seed", 0), ("chunk_size", 1)):
        value = config.get(name, lo)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise SweepError(f"{path}: {name} = {value!r} must be a whole number of at least {lo}")
    if not isinstance(config.get("fixed_step", False), bool):
        raise SweepError(f"{path}: fixed_step must be true or false, got {config['fixed_step']!r}")
    if "duration_s" in config:
        config["duration_s"] = checked_number(
            "duration_s", config["duration_s"], MIN_GRADED_DURATION_S, MAX_DURATION_S, "s", SweepError
        )
    if "dt_s" in config:
        config["dt_s"] = checked_number("dt_s", config["dt_s"], MIN_DT_S, MAX_DT_S, "s", SweepError)
    if "out" in config:
        config["out"] = str(path.parent / config["out"])
    return config


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The config file (if any) with the command-line options laid over it."""
    config = load_config(args.config) if args.config else {}
    merged = {
        **config,
        "param": {**config.get("param", {}), **pairs(args.param, "--param", "KEY=VALUES")},
        "protocol": {**config.get("protocol", {}), **pairs(args.protocol, "--protocol", "FIELD=VALUE")},
        "set": {**config.get("set", {}), **pairs(args.set, "--set", "PATH=VALUE (e.g. reflex.gain=3)")},
        "treatments": [*config.get("treatments", []), *args.treatment],
        "triggers": [*config.get("triggers", []), *args.trigger],
    }
    for name, value in (
        ("preset", args.preset),
        ("joint", args.joint),
        ("design", args.design),
        ("samples", args.samples),
        ("seed", args.seed),
        ("duration_s", args.duration),
        ("dt_s", args.dt),
        ("fixed_step", args.fixed_step),
        ("kernel", args.kernel),
        ("chunk_size", args.chunk_size),
        ("out", args.out),
        ("dask", args.dask),
    ):
        if value is not None:
            merged[name] = value
    return merged


def _clashes(settings: Mapping[str, Any]) -> None:
    """A fixed value that a swept key would silently replace is refused."""
    swept = set(settings["param"])
    for path in settings["set"]:
        if path.strip() in swept:
            raise SweepError(f"{path} is both fixed (--set / [set]) and swept (--param / [param]); keep one")
    for name in settings["protocol"]:
        if f"protocol.{name.strip()}" in swept:
            raise SweepError(f"protocol.{name} is both fixed (--protocol) and swept (--param); keep one")
    for spec in settings["triggers"]:
        name, _ = parse_spec(spec, TRIGGERS, "trigger")
        clash = sorted(set(get_trigger(name).acts_on) & swept)
        if clash:
            raise SweepError(
                f"the fixed trigger {name!r} acts on {', '.join(clash)}, which the sweep also sets: each point's "
                "swept value would replace the trigger's effect; sweep another parameter or drop the trigger"
            )


def _build(settings: Mapping[str, Any]) -> tuple[list[tuple[str, Any, Any]], Any]:
    """([(joint, model, protocol), ...], design) from merged settings; every value checked before any work."""
    import dataclasses

    from .. import sweep as sw

    _clashes(settings)
    cases = []
    for joint in settings.get("joint", [DEFAULT_JOINT]):
        preset_name = str(settings.get("preset", DEFAULT_PRESET))
        model = build_model(preset_name, settings["set"], (), settings["triggers"], joint)
        protocol = joint_clonus_test(joint)  # the joint's own clonus test
        changes = {}
        for name, value in settings["protocol"].items():
            key = sw.parse_key(f"protocol.{name}", protocol)  # unknown fields: one line listing the valid ones
            changes[key.name] = checked_number(key.text, value, key.lo, key.hi, key.unit, SweepError)
        cases.append((joint, model, dataclasses.replace(protocol, **changes)))
    params = settings["param"]
    if not params:
        raise SweepError("nothing to sweep: give --param KEY=VALUES (or a [param] table in the config)")
    kind = settings.get("design", "grid")
    if kind in ("lhs", "sobol"):
        if "samples" not in settings:
            raise SweepError(f"a {kind} design needs --samples N")
        make = sw.latin_hypercube if kind == "lhs" else sw.sobol
        design = make(params, settings["samples"], settings.get("seed", 0))
    else:
        design = sw.grid(params) if kind == "grid" else sw.zipped(params)
    return cases, design


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, print a summary line (failures by reason) and where the file is."""
    from .. import sweep as sw

    settings = _settings(args)
    cases, design = _build(settings)
    out = Path(settings.get("out", "sweep.nc"))
    if len(cases) > 1 and out.exists():  # each joint's sweep checks its own part file; the combined one is new
        raise SweepError(
            f"{out} exists; a sweep over several joints does not overwrite it: delete it or use another --out"
        )
    step = settings.get("dt_s", DEFAULT_DT_S)
    fixed = settings.get("fixed_step", False)
    options = {
        "treatments": settings["treatments"],
        "duration_s": settings.get("duration_s", DEFAULT_DURATION_S),
        "dt_s": step if fixed else None,
        "max_dt_s": step,
        "kernel_name": settings.get("kernel", "lockstep"),
        "chunk_size": settings.get("chunk_size", sw.DEFAULT_CHUNK_SIZE),
        "progress": False if args.quiet else None,
        "command": shlex.join(["reflexsim", *sys.argv[1:]]) if sys.argv else "reflexsim sweep",
    }
    computed = []  # points run by this command (a resumed sweep skips the saved chunks)
    t0 = time.perf_counter()
    try:
        with (
            warnings.catch_warnings(),
            sw.dask_client(settings["dask"]) if settings.get("dask") else contextlib.nullcontext() as client,
        ):
            warnings.showwarning = _note_printer(warnings.showwarning)
            parts = []
            on_chunk = lambda r: computed.append(r.points)  # noqa: E731
            for joint, model, protocol in cases:
                part = out if len(cases) == 1 else _joint_part(out, joint)
                ds = sw.sweep(model, design, client=client, protocol=protocol, out=part, on_chunk=on_chunk, **options)
                parts.append((joint, part, ds))
            if len(cases) > 1:
                ds = _combine_joints(parts, out)
    except KeyboardInterrupt:
        folders = [sw.checkpoint_folder(out if len(cases) == 1 else _joint_part(out, j)) for j, _, _ in cases]
        saved = any(f.is_dir() and any(f.glob("chunk-*.npz")) for f in folders)
        done = len(cases) > 1 and any(_joint_part(out, j).exists() for j, _, _ in cases)
        where = (
            "finished chunks (and joints) are saved beside the output; run the same command to resume"
            if saved or done
            else "nothing saved"
        )
        print(f"reflexsim: interrupted: {where}", file=sys.stderr)
        return EXIT_INTERRUPTED
    elapsed = time.perf_counter() - t0
    print(sw.summary(ds))
    if not computed:
        print(f"{out} already holds this sweep: nothing to compute")
    else:
        n = sum(computed)
        rate = n / elapsed if elapsed > 0 else math.inf
        resumed = ds["status"].size - n
        note = f"; {resumed:,} points came from the checkpoint" if resumed else ""
        print(f"wrote {out}: {n:,} points simulated in {elapsed:.1f} s ({rate:,.0f} points/s){note}")
    return 0


def _joint_part(out: Path, joint: str) -> Path:
    """Where one joint's sweep of a joint axis is written (and resumed from) until they are combined."""
    return out.with_name(f"{out.stem}.{joint}{out.suffix}")


def _combine_joints(parts: list[tuple[str, Path, Any]], out: Path) -> Any:
    """The joints' sweeps along a dimension 'joint' in one file (written atomically); the parts are
    removed once it is written. Attributes that differ between joints (model, protocol, digest) are
    kept per joint as ``<joint>_model_name`` and ``<joint>_protocol``."""
    import xarray as xr

    from ..sweep.store import write_netcdf

    datasets = [ds.expand_dims(joint=[joint]) for joint, _, ds in parts]
    combined = xr.concat(datasets, dim="joint", combine_attrs="drop_conflicts")
    combined["joint"].attrs = {"long_name": "joint (reflexsim.joints): its presets and its own clinical test"}
    for joint, _, ds in parts:
        combined.attrs[f"{joint}_model_name"] = ds.attrs.get("model_name", "")
        combined.attrs[f"{joint}_protocol"] = ds.attrs.get("protocol", "")
    combined.attrs["joints"] = ", ".join(joint for joint, _, _ in parts)
    write_netcdf(combined, out)
    for _, part, _ in parts:
        part.unlink(missing_ok=True)
    return combined


def _note_printer(show: Any) -> Any:
    """Sweep notes (e.g. a damaged checkpoint chunk recomputed) as one `reflexsim: note:` line each."""

    def show_note(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, SweepNote):
            print(f"reflexsim: note: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    return show_note

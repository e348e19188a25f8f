"""The `reflexsim sweep` subcommand: a sweep from command-line options or a TOML file.

    reflexsim sweep --param reflex.gain=0:4:64 --param reflex.delay_s=0.01:0.08:64 \\
        [--preset severe] [--treatment botox:weeks=3] [--set PATH=VALUE ...] [--duration S] --out sweep.nc
    reflexsim sweep config.toml            # the same, from a file kept with the paper

Options given on the command line override the file. Rerunning the same command after a crash
or Ctrl-C resumes from the checkpoint beside --out. `reflexsim.cli` calls `register`; this module
imports nothing heavy until the command runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
import sys
import time
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXIT_INTERRUPTED = 130

# TOML keys and what they mean (command-line option in brackets).
CONFIG_KEYS = {
    "preset": "model preset (--preset)",
    "set": "table of fixed parameter values, e.g. {'reflex.tone' = 0.02} (--set)",
    "treatments": "list of fixed treatments applied in order, e.g. ['botox:weeks=3'] (--treatment)",
    "protocol": "table of clonus-test settings, e.g. {hold_torque_nm = 40} (--protocol)",
    "param": "table of swept keys: 'start:stop:num', a list, or 'lo:hi' for lhs/sobol (--param)",
    "design": "grid, zip, lhs or sobol (--design)",
    "samples": "number of points of an lhs or sobol design (--samples)",
    "seed": "seed of an lhs or sobol design (--seed)",
    "duration_s": "simulated time per point in s (--duration)",
    "dt_s": "integration step in s (--dt)",
    "kernel": "lockstep or exact (--kernel)",
    "chunk_size": "points per chunk (--chunk-size)",
    "out": "output NetCDF file, relative to the config file (--out)",
    "dask": "Dask scheduler address, or local[:N] (--dask)",
}


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `sweep` subcommand to the `reflexsim` parser's subparsers."""
    from . import cli
    from .presets import DEFAULT_PRESET, PRESETS
    from .simulation import MAX_DT_S, MAX_DURATION_S, MIN_DT_S

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
        "path, treatment.NAME.KEY or protocol.FIELD (repeatable)",
    )
    p.add_argument("--design", choices=("grid", "zip", "lhs", "sobol"), help="how keys combine (default grid)")
    p.add_argument("--samples", type=int, help="points of an lhs or sobol design")
    p.add_argument("--seed", type=int, help="seed of an lhs or sobol design (default 0)")
    p.add_argument("--preset", choices=list(PRESETS), help=f"model preset (default {DEFAULT_PRESET})")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="fix a parameter (repeatable)")
    p.add_argument(
        "--treatment",
        action="append",
        default=[],
        metavar="NAME[:key=value,...]",
        help="apply a treatment to the base model (repeatable, in order); to sweep one: --param treatment.NAME.KEY=..",
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
        type=cli.number_option("--duration", 0.5, MAX_DURATION_S, "s"),
        help="simulated s per point (default 12)",
    )
    p.add_argument("--dt", type=cli.number_option("--dt", MIN_DT_S, MAX_DT_S, "s"), help="integration step in s")
    p.add_argument("--kernel", choices=("lockstep", "exact"), help="lockstep (fast, default) or exact (bit-identical)")
    p.add_argument("--chunk-size", type=int, help="points per checkpointed chunk (default 1024)")
    p.add_argument("--out", help="output NetCDF file (default sweep.nc)")
    p.add_argument("--dask", metavar="ADDRESS|local[:N]", help="run the chunks on a Dask cluster")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    return p


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and check a sweep TOML file (unknown keys and bad syntax fail with one clear line)."""
    from .sweep import SweepError

    path = Path(path)
    try:
        config = tomllib.loads(path.read_text())
    except OSError as exc:
        raise SweepError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise SweepError(f"{path}: unknown key {unknown[0]!r}; valid keys: {', '.join(CONFIG_KEYS)}")
    for table in ("set", "protocol", "param"):
        if not isinstance(config.get(table, {}), Mapping):
            raise SweepError(f"{path}: {table!r} must be a table, e.g. [{table}]")
    if not isinstance(config.get("treatments", []), list):
        raise SweepError(f"{path}: 'treatments' must be a list of strings like 'botox:weeks=3'")
    if "out" in config:
        config["out"] = str(path.parent / config["out"])
    return config


def _pairs(items: Sequence[str], option: str) -> dict[str, str]:
    from .sweep import SweepError

    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SweepError(f"{option} expects KEY=VALUE, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The config file (if any) with the command-line options laid over it."""
    config = load_config(args.config) if args.config else {}
    cli_params = _pairs(args.param, "--param")
    cli_protocol = _pairs(args.protocol, "--protocol")
    cli_set = _pairs(args.set, "--set")
    merged = {
        **config,
        "param": {**config.get("param", {}), **cli_params},
        "protocol": {**config.get("protocol", {}), **cli_protocol},
        "set": {**config.get("set", {}), **cli_set},
        "treatments": [*config.get("treatments", []), *args.treatment],
    }
    for name, value in (
        ("preset", args.preset),
        ("design", args.design),
        ("samples", args.samples),
        ("seed", args.seed),
        ("duration_s", args.duration),
        ("dt_s", args.dt),
        ("kernel", args.kernel),
        ("chunk_size", args.chunk_size),
        ("out", args.out),
        ("dask", args.dask),
    ):
        if value is not None:
            merged[name] = value
    return merged


def _build(settings: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(model, design, protocol) from merged settings; every value checked before any work."""
    from . import sweep as sw
    from .params import parse_value
    from .presets import DEFAULT_PRESET, preset
    from .protocols import ClonusTest
    from .treatments import apply_all

    model = preset(str(settings.get("preset", DEFAULT_PRESET)))
    fixed = {path: parse_value(path, str(value)) for path, value in settings["set"].items()}
    model = apply_all(model.with_values(fixed) if fixed else model, settings["treatments"])
    protocol = ClonusTest()
    changes = {}
    for name, value in settings["protocol"].items():
        key = sw.parse_key(f"protocol.{name}", protocol)  # unknown fields: one line listing the valid ones
        changes[name] = float(key.check(value)[0])
    protocol = dataclasses.replace(protocol, **changes)
    params = settings["param"]
    if not params:
        raise sw.SweepError("nothing to sweep: give --param KEY=VALUES (or a [param] table in the config)")
    kind = settings.get("design", "grid")
    if kind in ("lhs", "sobol"):
        if "samples" not in settings:
            raise sw.SweepError(f"a {kind} design needs --samples N")
        ranges = {k: sw.parse_range(v) if isinstance(v, str) else v for k, v in params.items()}
        make = sw.latin_hypercube if kind == "lhs" else sw.sobol
        design = make(ranges, settings["samples"], settings.get("seed", 0))
    elif kind in ("grid", "zip"):
        values = {k: sw.parse_values(v) if isinstance(v, str) else v for k, v in params.items()}
        design = sw.grid(values) if kind == "grid" else sw.zipped(values)
    else:
        raise sw.SweepError(f"design = {kind!r}; valid designs: grid, zip, lhs, sobol")
    return model, design, protocol


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, print a summary line (failures by reason) and where the file is."""
    import contextlib

    from . import sweep as sw
    from .simulation import DEFAULT_DT_S, DEFAULT_DURATION_S

    settings = _settings(args)
    model, design, protocol = _build(settings)
    out = Path(settings.get("out", "sweep.nc"))
    options = {
        "protocol": protocol,
        "duration_s": settings.get("duration_s", DEFAULT_DURATION_S),
        "dt_s": settings.get("dt_s", DEFAULT_DT_S),
        "kernel_name": settings.get("kernel", "lockstep"),
        "chunk_size": settings.get("chunk_size", sw.DEFAULT_CHUNK_SIZE),
        "out": out,
        "progress": False if args.quiet else None,
        "command": shlex.join(["reflexsim", *sys.argv[1:]]) if sys.argv else "reflexsim sweep",
    }
    computed = []  # points run by this command (a resumed sweep skips the saved chunks)
    t0 = time.perf_counter()
    try:
        with sw.dask_client(settings["dask"]) if settings.get("dask") else contextlib.nullcontext() as client:
            ds = sw.sweep(model, design, client=client, on_chunk=lambda r: computed.append(r.points), **options)
    except KeyboardInterrupt:
        folder = sw.checkpoint_folder(out)
        print(f"\ninterrupted: finished chunks are saved in {folder}; run the same command to resume", file=sys.stderr)
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

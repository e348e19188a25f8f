"""The `reflexsim` command line (also `python -m reflexsim`).

    reflexsim clonus-test [--preset NAME] [--set PATH=VALUE ...] [--duration S] [--json]
                          [--plot FILE | --no-plot]
    reflexsim sweep --param reflex.gain=0:4:64 ... --out sweep.nc
    reflexsim params [--preset NAME] [--json | --markdown]
    reflexsim pendulum [--preset healthy|mild|severe] [--json] [--plot FIG]

Modules: `options` (what every command shares: option types and ranges, the model options and
the model they build, output checks, strict JSON), `commands` (the model commands),
`sweep_command` (`reflexsim sweep` and its TOML files). `main` turns any bad input, unwritable
file or failed run (a ReflexsimError or OSError) into one line on stderr and exit status 2, and
Ctrl-C into one line and 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import ReflexsimError
from ..presets import PRESETS
from ..simulation import DEFAULT_DURATION_S, MAX_DURATION_S, MIN_GRADED_DURATION_S
from . import commands
from .options import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Parser,
    fail,
    joint_option,
    model_options,
    number_option,
    protocol_option,
    step_option,
)
from .pendulum_command import register as register_pendulum
from .research_command import register as register_research
from .sweep_command import register as register_sweep

__all__ = ["EXIT_INTERRUPTED", "EXIT_USAGE", "CliError", "build_parser", "main", "number_option"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="reflexsim", description="Simulate clonus in the ankle stretch-reflex loop.")
    parser.add_argument("--version", action="version", version=f"reflexsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("clonus-test", help="run the bedside clonus test and grade it")
    model_options(p, joint=True)
    p.add_argument(
        "--duration",
        type=number_option("--duration", MIN_GRADED_DURATION_S, MAX_DURATION_S, "s"),
        default=DEFAULT_DURATION_S,
        help=f"simulated time in s (default {DEFAULT_DURATION_S:g})",
    )
    step_option(p)
    protocol_option(p, "stretch_deg", "stretch amplitude", joint_default=True)
    protocol_option(p, "velocity_deg_per_s", "stretch velocity", joint_default=True)
    protocol_option(p, "hold_torque_nm", "pressure held after the stretch", joint_default=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--plot", metavar="FILE", help="figure path (default clonus_test_<preset>.png)")
    out.add_argument("--no-plot", action="store_true", help="do not write a figure")
    p.set_defaults(func=commands.cmd_clonus_test)

    t = sub.add_parser("tardieu", help="the modified Tardieu test at V1, V2, V3")
    model_options(t, joint=True)
    t.add_argument("--json", action="store_true", help="print JSON")
    t.set_defaults(func=commands.cmd_tardieu)

    e = sub.add_parser("explore", help="interactive window: sliders, presets, treatments, stretch!")
    model_options(e, overrides=False, treatment_help=None, triggers=False, joint=True)
    e.set_defaults(func=commands.cmd_explore)

    a = sub.add_parser("animate", help="animated ankle in clonus (GIF or MP4), optionally vs a treatment")
    model_options(
        a, treatment_help="show the treated ankle beside the untreated one (repeatable, applied in order)", joint=True
    )
    a.add_argument("--out", default="clonus.gif", help="output .gif or .mp4 (default clonus.gif)")
    a.add_argument("--seconds", type=number_option("--seconds", 0.5, 30.0, "s"), default=3.0, help="simulated seconds")
    a.add_argument("--fps", type=int, choices=range(5, 61), default=20, metavar="FPS", help="frames per second")
    a.add_argument(
        "--exaggerate", type=number_option("--exaggerate", 1.0, 10.0, "x"), default=1.0, help="scale the drawn angle"
    )
    a.set_defaults(func=commands.cmd_animate)

    x = sub.add_parser("experiment", help="list or run the scripts in experiments/")
    xsub = x.add_subparsers(dest="action", required=True)
    xsub.add_parser("list", help="list the experiments").set_defaults(func=commands.cmd_experiment_list)
    xr = xsub.add_parser("run", help="run one experiment")
    xr.add_argument("name", help="experiment name (see `reflexsim experiment list`)")
    xr.add_argument("--quick", action="store_true", help="fast, coarse run")
    xr.set_defaults(func=commands.cmd_experiment_run)

    s = sub.add_parser("stability", help="linear stability of the hold: roots, critical gain, Hopf boundary")
    model_options(s, joint=True)
    protocol_option(s, "hold_torque_nm", "held torque defining the operating point", joint_default=True)
    s.add_argument(
        "--boundary",
        metavar="PATH=start:stop:num",
        help=f"critical gain along a parameter, e.g. reflex.delay_s=0.01:0.1:50 (at most "
        f"{commands.MAX_BOUNDARY_POINTS:,} points)",
    )
    s.add_argument("--out", metavar="FILE.csv", help="with --boundary: write the curve as CSV")
    s.add_argument("--plot", metavar="FILE.png", help="with --boundary: draw it (presets marked)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=commands.cmd_stability)

    r = sub.add_parser("treatments", help="list the treatments with their keys, units, ranges and sources")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=commands.cmd_treatments)

    g = sub.add_parser("triggers", help="list the triggers (serotonin, stimulants, stress, fatigue, withdrawal ...)")
    g.add_argument("--json", action="store_true", help="print JSON")
    g.set_defaults(func=commands.cmd_triggers)

    q = sub.add_parser("params", help="list every parameter with value, unit, range and source")
    q.add_argument("--preset", choices=list(PRESETS), help="show a preset's values (default: the defaults)")
    joint_option(q)
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument("--markdown", action="store_true", help="print a Markdown table (as in docs/model.md)")
    q.set_defaults(func=commands.cmd_params)

    register_sweep(sub)
    register_research(sub)
    register_pendulum(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input, an unwritable file or a failed run is one line and exit 2."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("reflexsim: interrupted (no file was written)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ReflexsimError, OSError) as exc:
        return fail(exc)
    except MemoryError:
        return fail(ReflexsimError("out of memory: ask for fewer points or a shorter run"))

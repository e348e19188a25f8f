"""What every command shares: the one-line-error parser, option types with their ranges, the model
options (--preset, --set, --treatment) and the model they build, output checks and strict JSON.

Values given as text (options, TOML strings) go through `reflexsim.params.checked_number`, the
checker the API uses too, so the command line, sweep files and Python accept the same numbers
within the same limits.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from .. import triggers
from ..errors import ReflexsimError
from ..files import check_output
from ..joints import DEFAULT_JOINT, JOINTS
from ..params import Model, checked_number, parse_value
from ..presets import DEFAULT_PRESET, PRESETS, preset
from ..protocols import ClonusTest
from ..provenance import provenance
from ..simulation import DEFAULT_DT_S, MAX_DT_S, MIN_DT_S
from ..treatments import apply_all

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

TREATMENT_HELP = (
    "apply a treatment (repeatable, in order), e.g. botox:weeks=3 or afo:stop_deg=5; `reflexsim treatments` lists them"
)
TRIGGER_HELP = (
    "apply a trigger before any treatment (repeatable, in order), e.g. serotonin_toxicity:severity=2 or caffeine; "
    "`reflexsim triggers` lists them"
)


class CliError(ReflexsimError):
    """A command-line argument is invalid."""


class Parser(argparse.ArgumentParser):
    """argparse with bad arguments raised as one CliError line (printed by `main`, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)")


def number_option(name: str, lo: float, hi: float, unit: str):
    """argparse type: a number in [lo, hi] (the same checker as the API), the message naming the option."""

    def convert(text: str) -> float:
        return checked_number(name, text, lo, hi, unit, argparse.ArgumentTypeError)

    return convert


_WHOLE = re.compile(r"\+?\d+")


def whole_number(name: str, lo: int, hi: int | None = None):
    """argparse type: a whole number written in digits (no 1_000, no 1e3) in [lo, hi]."""

    def convert(text: str) -> int:
        if not _WHOLE.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"{name} = {text!r} is not a whole number")
        value = int(text)
        if value < lo or (hi is not None and value > hi):
            top = "" if hi is None else f", at most {hi:,}"
            raise argparse.ArgumentTypeError(f"{name} = {value} must be at least {lo}{top}")
        return value

    return convert


def protocol_option(
    parser: argparse.ArgumentParser, field_name: str, help_text: str, *, joint_default: bool = False
) -> None:
    """An option for a ClonusTest field, with its range and default from the field's metadata (with
    `joint_default`, default None: the --joint's own test supplies it, `joint_protocol`)."""
    f = next(f for f in fields(ClonusTest) if f.name == field_name)
    lo, hi = f.metadata["range"]
    unit = f.metadata["unit"]
    option = "--" + field_name.replace("_", "-")
    shown = f"default: the joint's test, ankle {f.default:g}" if joint_default else f"default {f.default:g}"
    parser.add_argument(
        option,
        type=number_option(option, lo, hi, unit),
        default=None if joint_default else f.default,
        help=f"{help_text} ({unit}, {shown})",
    )


def joint_option(parser: argparse.ArgumentParser) -> None:
    """--joint: ankle, knee, wrist, jaw or a joint added with `reflexsim.joints.register` (data only)."""
    parser.add_argument(
        "--joint",
        default=DEFAULT_JOINT,
        choices=list(JOINTS),
        help=f"joint whose presets and clinical test to use (default {DEFAULT_JOINT}; docs/extending.md adds one)",
    )


def joint_clonus_test(name: str) -> ClonusTest:
    """The joint's clonus test protocol: the command line sets and reads a `ClonusTest`'s fields."""
    protocol = JOINTS[name].clonus_test.protocol
    if not isinstance(protocol, ClonusTest):
        raise CliError(f"--joint {name}: its clonus test is a {type(protocol).__name__}, not a ClonusTest")
    return protocol


def joint_protocol(args: argparse.Namespace) -> ClonusTest:
    """The --joint's clonus test with the protocol options given on the command line."""
    import dataclasses

    base = joint_clonus_test(getattr(args, "joint", DEFAULT_JOINT))
    names = ("stretch_deg", "velocity_deg_per_s", "hold_torque_nm")
    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    return dataclasses.replace(base, **given)


def step_option(parser: argparse.ArgumentParser) -> None:
    """--dt: the largest integration step; each run uses the largest dt/2**k its model allows."""
    parser.add_argument(
        "--dt",
        type=number_option("--dt", MIN_DT_S, MAX_DT_S, "s"),
        default=None,
        help=f"largest integration step in s (default {DEFAULT_DT_S:g}); halved automatically where the model "
        "needs a smaller one, and the step used is reported",
    )


def model_options(
    parser: argparse.ArgumentParser,
    *,
    overrides: bool = True,
    treatment_help: str | None = TREATMENT_HELP,
    default_preset: str | None = DEFAULT_PRESET,
    triggers: bool = True,
    joint: bool = False,
) -> None:
    """--preset (with `joint`, --joint), and unless switched off --set PATH=VALUE, --trigger and --treatment
    (read by `build_model`)."""
    parser.add_argument(
        "--preset",
        default=default_preset,
        choices=list(PRESETS),
        help=f"model preset (default {DEFAULT_PRESET})",
    )
    if joint:
        joint_option(parser)
    if overrides:
        parser.add_argument(
            "--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter (repeatable)"
        )
    if triggers:
        parser.add_argument("--trigger", action="append", default=[], metavar="NAME[:key=value,...]", help=TRIGGER_HELP)
    if treatment_help:
        parser.add_argument(
            "--treatment", action="append", default=[], metavar="NAME[:key=value,...]", help=treatment_help
        )


def pairs(items: Sequence[str], option: str, example: str) -> dict[str, str]:
    """KEY=VALUE items of a repeatable option; a key given twice is refused (the last would win silently)."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise CliError(f"{option} expects {example}, got {item!r}")
        if key in found:
            raise CliError(f"{option} {key} is given twice ({found[key]} and {value}); give it once")
        found[key] = value
    return found


def parameter_values(settings: Mapping[str, Any]) -> dict[str, float]:
    """Fixed parameter values {path: value} (text or numbers), each checked against its range."""
    return {path.strip(): parse_value(path.strip(), value) for path, value in settings.items()}


def build_model(
    preset_name: str,
    settings: Mapping[str, Any],
    treatment_specs: Sequence[Any] = (),
    trigger_specs: Sequence[Any] = (),
    joint: str = DEFAULT_JOINT,
) -> Model:
    """The preset (of `joint`), then the fixed values (named in the model's name), then triggers (the
    patient's state), then treatments, each in order."""
    model = preset(preset_name, joint=joint)
    values = parameter_values(settings)
    if values:
        changed = ", ".join(f"{path}={value:g}" for path, value in values.items())
        model = model.with_values(values, name=f"{model.name} [{changed}]")
    return apply_all(triggers.apply_all(model, trigger_specs), treatment_specs)


def changed_paths(items: Sequence[str]) -> list[str]:
    """The parameter paths named by --set items, in order."""
    return list(dict.fromkeys(item.partition("=")[0].strip() for item in items))


def model_from_args(args: argparse.Namespace) -> Model:
    """The model of a command with `model_options`."""
    settings = pairs(getattr(args, "set", []), "--set", "PATH=VALUE (e.g. reflex.gain=3)")
    return build_model(
        args.preset,
        settings,
        getattr(args, "treatment", []),
        getattr(args, "trigger", []),
        joint=getattr(args, "joint", DEFAULT_JOINT),
    )


def figure_formats() -> tuple[str, ...]:
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(f".{ext}" for ext in FigureCanvasBase.get_supported_filetypes())


def checked_figure(path: Any) -> Path:
    """A figure path whose folder exists and whose format matplotlib writes (checked before the work)."""
    return check_output(path, "figure file", figure_formats())


def strict(obj: Any) -> Any:
    """`obj` made strict JSON: infinities as "inf"/"-inf" (as `reflexsim params --json`), NaN as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Mapping):
        return {k: strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    return obj


def print_json(payload: Any) -> None:
    """Print `payload` as strict JSON (no Infinity or NaN tokens), indented, with "provenance"
    (reflexsim version and command, `reflexsim.provenance`) added to an object."""
    if isinstance(payload, Mapping):
        payload = {**payload, "provenance": provenance()}
    print(json.dumps(strict(payload), indent=2, allow_nan=False))


def error_line(exc: BaseException) -> str:
    """One line for an error: the message of a ReflexsimError, or an OSError's reason and file."""
    if isinstance(exc, OSError) and not isinstance(exc, ReflexsimError):
        where = f": {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror or exc}{where}"
    else:
        text = str(exc)
    return " ".join(text.split())


def fail(exc: BaseException, code: int = EXIT_USAGE) -> int:
    print(f"reflexsim: error: {error_line(exc)}", file=sys.stderr)
    return code

"""The run specification: everything that determines a sweep's numbers, validated and hashed.

A sweep key is a model parameter (``reflex.gain``), a treatment key (``treatment.botox.weeks``)
or a protocol field (``protocol.hold_torque_nm``), each with its valid range. `make_spec` checks
every input of `sweep` before any work; `Spec.digest` names the result (checkpoints and files
carry it, so a resume never mixes two sweeps).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import treatments
from ..errors import SweepError
from ..params import Model, checked_number, describe, format_range, json_number
from ..protocols import ClonusTest, ProtocolLike
from ..simulation import MIN_GRADED_DURATION_S, checked_steps
from .designs import DESIGNS, Design, check_points, design_from_json, grid

KERNELS = ("lockstep", "exact")

# Ranges of the grading settings (the defaults are those of reflexsim.metrics).
GRADING_RANGES = {
    "beat_threshold_deg": (1e-3, 45.0, "deg"),
    "catch_torque_nm": (0.0, 150.0, "N·m"),
    "slight_torque_nm": (0.0, 150.0, "N·m"),
}


@dataclass(frozen=True)
class SweepKey:
    """One swept quantity: a model parameter, a treatment key or a protocol field, with its range."""

    text: str  # as written: "reflex.gain", "treatment.botox.weeks", "protocol.hold_torque_nm"
    kind: str  # "parameter", "treatment" or "protocol"
    name: str  # parameter path, treatment name or protocol field
    key: str  # treatment key ("" otherwise)
    lo: float
    hi: float
    unit: str

    @property
    def valid_range(self) -> str:
        return format_range(self.lo, self.hi, self.unit)

    def check(self, values: np.ndarray) -> np.ndarray:
        """The values as a float array inside the valid range, or one clear SweepError."""
        try:
            arr = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise SweepError(f"{self.text}: {values!r} are not numbers; valid range {self.valid_range}") from None
        if arr.size == 0:
            raise SweepError(f"{self.text}: no values (empty range); valid range {self.valid_range}")
        bad = arr[np.isnan(arr) | (arr < self.lo) | (arr > self.hi)]  # inf only where the range allows it
        if bad.size:
            raise SweepError(f"{self.text} = {bad[0]:g} is outside its valid range {self.valid_range}")
        return arr


def parse_key(text: str, protocol: ProtocolLike | None = None) -> SweepKey:
    """Classify and check a sweep key (unknown names fail with the valid ones listed)."""
    if not isinstance(text, str):
        raise SweepError(f"a sweep key is a parameter path such as 'reflex.gain', got {text!r}")
    text = text.strip()
    head, _, rest = text.partition(".")
    if head == "treatment":
        name, _, key = rest.partition(".")
        if not name or not key:
            raise SweepError(f"{text!r}: a treatment key is treatment.NAME.KEY, e.g. treatment.botox.weeks")
        tk = treatments.get(name).key(key)
        return SweepKey(text, "treatment", name, key, tk.lo, tk.hi, tk.unit)
    if head == "protocol":
        protocol = ClonusTest() if protocol is None else protocol
        known: dict[str, dataclasses.Field[Any]] = (
            {f.name: f for f in dataclasses.fields(protocol)} if dataclasses.is_dataclass(protocol) else {}
        )
        f = known.get(rest)
        if f is None or "range" not in f.metadata:
            valid = ", ".join(n for n, g in known.items() if "range" in g.metadata) or "(none)"
            raise SweepError(f"{text!r} is not a field of {type(protocol).__name__}; valid fields: {valid}")
        lo, hi = f.metadata["range"]
        return SweepKey(text, "protocol", rest, "", lo, hi, f.metadata["unit"])
    info = describe(text)  # ParameterError with suggestions for unknown paths
    return SweepKey(text, "parameter", text, "", info.lo, info.hi, info.unit)


def protocol_json(protocol: ProtocolLike) -> dict[str, Any]:
    from .. import protocols

    cls = type(protocol)
    if not dataclasses.is_dataclass(protocol) or getattr(protocols, cls.__name__, None) is not cls:
        raise SweepError(
            f"protocol must be one of reflexsim.protocols' protocols (e.g. ClonusTest()), got {protocol!r}"
        )
    values = {f.name: getattr(protocol, f.name) for f in dataclasses.fields(protocol)}
    return {"class": cls.__name__, "fields": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def protocol_from_json(d: Mapping[str, Any]) -> ProtocolLike:
    from .. import protocols

    cls = getattr(protocols, d["class"])
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["fields"].items()})


@dataclass(frozen=True, eq=False)
class Spec:
    """A validated sweep: base model, design, protocol, numerics and grading settings.

    `dt_s` None: every point runs at the largest ``max_dt_s / 2**k`` it allows
    (`reflexsim.simulation.choose_step`); a number: every point at that step, or a status code."""

    model: Model
    design: Design
    keys: tuple[SweepKey, ...]
    protocol: ProtocolLike
    duration_s: float
    dt_s: float | None
    max_dt_s: float
    kernel: str
    beat_threshold_deg: float
    catch_torque_nm: float
    slight_torque_nm: float

    def n_steps(self, dt_s: float) -> int:
        return round(self.duration_s / dt_s)

    def as_json(self) -> dict[str, Any]:
        from .. import __version__

        d = {
            "reflexsim_version": __version__,
            "model_name": self.model.name,
            "model": {path: json_number(value) for path, value in self.model.items()},
            "design": self.design.as_json(),
            "protocol": protocol_json(self.protocol),
            "duration_s": self.duration_s,
            "dt_s": self.dt_s,
            "kernel": self.kernel,
            "beat_threshold_deg": self.beat_threshold_deg,
            "catch_torque_nm": self.catch_torque_nm,
            "slight_torque_nm": self.slight_torque_nm,
        }
        if self.dt_s is None:
            d["max_dt_s"] = self.max_dt_s
        return d

    def digest(self) -> str:
        text = json.dumps(self.as_json(), sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_fixed_treatments(specs: Sequence[Any], keys: Sequence[SweepKey]) -> list[tuple[str, dict[str, float | str]]]:
    """Fixed treatments as (name, values), refused where a swept key would silently undo them: a
    swept parameter the treatment acts on (its value would replace the treatment's effect) or the
    same treatment swept (it would be applied twice)."""
    if isinstance(specs, str) or not isinstance(specs, Sequence):
        raise SweepError(f"treatments must be a list such as ['botox:weeks=3'], got {specs!r}")
    parsed = [treatments.parse_spec(s) if isinstance(s, str) else _treatment_pair(s) for s in specs]
    swept_paths = {k.name for k in keys if k.kind == "parameter"}
    swept_treatments = {k.name for k in keys if k.kind == "treatment"}
    for name, _ in parsed:
        clash = sorted(set(treatments.get(name).acts_on) & swept_paths)
        if clash:
            raise SweepError(
                f"the fixed treatment {name!r} acts on {', '.join(clash)}, which the sweep also sets: each point's "
                f"swept value would replace the treatment's effect; sweep treatment.{name}.KEY instead, or drop "
                f"the treatment"
            )
        if name in swept_treatments:
            raise SweepError(f"treatment {name!r} is both fixed and swept (it would be applied twice); keep one")
    return parsed


def _treatment_pair(spec: Any) -> tuple[str, dict[str, float | str]]:  # values checked when applied
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping):
        return spec[0], dict(spec[1])
    raise SweepError(f"a treatment is 'NAME[:key=value,...]' or (name, {{key: value}}), got {spec!r}")


def make_spec(
    model: Model,
    design: Design | Mapping[str, Any],
    protocol: ProtocolLike | None,
    duration_s: float,
    dt_s: float | None,
    max_dt_s: float,
    kernel_name: str,
    grading: Mapping[str, Any],
) -> Spec:
    if not isinstance(model, Model):
        raise SweepError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    protocol_json(protocol)  # a reflexsim protocol, reproducible from its fields
    if isinstance(design, Design):
        if design.kind not in DESIGNS:
            raise SweepError(f"unknown design {design.kind!r}; valid designs: {', '.join(DESIGNS)}")
        check_points(design.size, len(design.keys))
    else:
        design = grid(design)
    if len(set(design.keys)) != len(design.keys):
        raise SweepError(f"a key appears twice in the sweep: {', '.join(design.keys)}")
    keys = tuple(parse_key(k, protocol) for k in design.keys)
    if design.kind in ("grid", "zip"):
        for key, axis in zip(keys, design.axes, strict=True):
            key.check(axis)
    else:
        for key, (lo, hi) in zip(keys, design.ranges, strict=True):
            key.check(np.array([lo, hi]))
    if not isinstance(kernel_name, str) or kernel_name not in KERNELS:
        raise SweepError(f"kernel = {kernel_name!r}; valid kernels: {', '.join(KERNELS)}")
    if dt_s is None:
        duration_s, max_dt_s, _ = checked_steps(duration_s, max_dt_s, SweepError, MIN_GRADED_DURATION_S)
    else:
        duration_s, dt_s, _ = checked_steps(duration_s, dt_s, SweepError, MIN_GRADED_DURATION_S)
    values = {name: checked_number(name, grading[name], *GRADING_RANGES[name], SweepError) for name in GRADING_RANGES}
    return Spec(model, design, keys, protocol, duration_s, dt_s, float(max_dt_s), kernel_name, **values)


def spec_kwargs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """`sweep` arguments that rebuild the sweep a file's attributes record."""
    try:
        d = json.loads(attrs["sweep_spec"])
        model = Model(name=d["model_name"]).with_values({p: float(v) for p, v in d["model"].items()})
        return {
            "model": model,
            "design": design_from_json(d["design"]),
            "protocol": protocol_from_json(d["protocol"]),
            "duration_s": d["duration_s"],
            "dt_s": d["dt_s"],
            "max_dt_s": d.get("max_dt_s", d["dt_s"]),
            "kernel_name": d["kernel"],
            "beat_threshold_deg": d["beat_threshold_deg"],
            "catch_torque_nm": d["catch_torque_nm"],
            "slight_torque_nm": d["slight_torque_nm"],
        }
    except (KeyError, ValueError, TypeError, AttributeError):
        raise SweepError("not a reflexsim sweep: the attribute sweep_spec is missing or unreadable") from None

"""Parameter sweeps: designs over dotted paths, a compiled kernel per chunk, checkpoints, NetCDF, Dask.

    import numpy as np
    import reflexsim as rs
    from reflexsim.sweep import sweep

    ds = sweep(
        rs.preset("severe"),
        {"reflex.gain": np.linspace(0, 4, 64), "reflex.delay_s": np.linspace(0.01, 0.08, 64)},
        duration_s=5.0,
        out="sweep.nc",  # chunk checkpoints beside it; rerunning resumes
    )
    ds.duration_s.plot()

A sweep key is a model parameter (``reflex.gain``, any path `reflexsim params` lists), a
treatment key (``treatment.botox.weeks``: the treatment is applied to the base model per unique
value combination, then the swept parameters are set) or a field of the protocol
(``protocol.hold_torque_nm``). Every value is checked against its valid range before any work.

Points run in chunks through the compiled sweep kernels of `reflexsim.kernel` (metrics computed
inside the kernel; memory O(points)). With ``out=`` every finished chunk is saved at once in a
checkpoint folder beside the output, the same call resumes from it, and the final NetCDF file is
written atomically. A point that fails gets a status code (meanings in the file) and NaN metrics;
it never stops the sweep. With ``client=`` (a `dask.distributed.Client`) the chunks run on a
cluster. xarray (and dask) are optional: ``pip install reflexsim[sweep]``. See docs/sweeps.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import itertools
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import kernel, treatments
from .errors import ReflexsimError
from .metrics import DEFAULT_BEAT_THRESHOLD_DEG, DEFAULT_CATCH_TORQUE_NM, DEFAULT_SLIGHT_TORQUE_NM
from .params import PATHS, Model, describe, format_range, json_number
from .protocols import ClonusTest, CompiledProtocol, ProtocolLike
from .simulation import (
    DEFAULT_DT_S,
    DEFAULT_DURATION_S,
    checked_steps,
    max_stable_dt,
)

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "DESIGNS",
    "KERNELS",
    "STATUS",
    "ChunkReport",
    "Design",
    "SweepError",
    "SweepKey",
    "checkpoint_folder",
    "dask_client",
    "design_from_json",
    "grid",
    "latin_hypercube",
    "load",
    "parse_key",
    "parse_range",
    "parse_values",
    "rerun",
    "sobol",
    "summary",
    "sweep",
    "zipped",
]


class SweepError(ReflexsimError, ValueError):
    """A sweep specification (keys, values, design, output) is invalid."""


# ---------------------------------------------------------------------------------------------
# Status codes: the kernel's, plus the step checks `simulate` makes before it starts.

STATUS_DELAY_TOO_SHORT = 10
STATUS_STEP_TOO_STIFF = 11

STATUS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        kernel.STATUS_OK: ("ok", "simulated and graded"),
        kernel.STATUS_NONFINITE: ("nonfinite", "the state became non-finite (the run blew up)"),
        kernel.STATUS_OUT_OF_RANGE: ("out_of_range", "the ankle passed +-90 deg"),
        kernel.STATUS_NO_EQUILIBRIUM: ("no_equilibrium", "no resting angle balances the protocol's initial torque"),
        STATUS_DELAY_TOO_SHORT: (
            "delay_too_short",
            "reflex.delay_s + muscle.electromechanical_delay_s is shorter than 2 steps (not run)",
        ),
        STATUS_STEP_TOO_STIFF: (
            "step_too_stiff",
            "dt is above the RK4 limit for this stiffness and protocol (not run)",
        ),
    }
)
_NOT_RUN = -1  # in-memory marker of a point whose chunk has not finished

KERNELS = ("lockstep", "exact")
DESIGNS = ("grid", "zip", "lhs", "sobol")
DEFAULT_CHUNK_SIZE = 1024
_CHECKPOINT_SUFFIX = ".checkpoint"

# What `simulation.max_stable_dt` depends on (tests/test_sweep.py checks that the rest does not
# matter): step limits are computed once per distinct combination of these values. The spindle and
# the depression enter through the fastest post-activation depression a quick stretch drives.
_STEP_LIMIT_SECTIONS = ("foot", "joint", "muscle", "orthosis", "spindle")
_STEP_LIMIT_PATHS = ("reflex.depression_per_impulse", "reflex.depression_recovery_s")
_STEP_LIMIT_COLUMNS = np.array(
    [i for i, p in enumerate(PATHS) if p.split(".")[0] in _STEP_LIMIT_SECTIONS or p in _STEP_LIMIT_PATHS]
)

# Output variables: (name, index in the kernel's metric vector, dtype, unit, description).
_METRICS = (
    ("beats", kernel.M_BEATS, np.float32, "1", "clonus beats after the hold starts"),
    ("frequency_hz", kernel.M_FREQUENCY_HZ, np.float64, "Hz", "beat rate over the last (up to) 10 intervals"),
    ("duration_s", kernel.M_DURATION_S, np.float64, "s", "hold start to last beat (0 with fewer than 3 beats)"),
    ("sustained", kernel.M_SUSTAINED, np.float32, "1", "1 if ongoing and longer than 10 s"),
    ("ongoing", kernel.M_ONGOING, np.float32, "1", "1 if still beating when the run ended"),
    ("decay_per_s", kernel.M_DECAY_PER_S, np.float64, "1/s", "decay rate of the peak-to-peak amplitude"),
    ("peak_to_peak_deg", kernel.M_P2P_MAX_RAD, np.float64, "deg", "largest beat peak-to-peak angle"),
    ("last_peak_to_peak_deg", kernel.M_P2P_LAST_RAD, np.float64, "deg", "peak-to-peak angle of the last beat"),
    ("peak_reflex_torque_nm", kernel.M_PEAK_REFLEX_NM, np.float64, "N m", "peak reflex torque in the catch window"),
    ("scats", kernel.M_SCATS, np.float32, "1", "SCATS clonus score 0-3"),
    ("tardieu", kernel.M_TARDIEU, np.float32, "1", "modified Tardieu grade 0-4"),
)
_DEGREE_METRICS = (kernel.M_P2P_MAX_RAD, kernel.M_P2P_LAST_RAD)


# ---------------------------------------------------------------------------------------------
# Keys and values.


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
        known = {f.name: f for f in dataclasses.fields(protocol)} if dataclasses.is_dataclass(protocol) else {}
        f = known.get(rest)
        if f is None or "range" not in f.metadata:
            valid = ", ".join(n for n, g in known.items() if "range" in g.metadata) or "(none)"
            raise SweepError(f"{text!r} is not a field of {type(protocol).__name__}; valid fields: {valid}")
        lo, hi = f.metadata["range"]
        return SweepKey(text, "protocol", rest, "", lo, hi, f.metadata["unit"])
    info = describe(text)  # ParameterError with suggestions for unknown paths
    return SweepKey(text, "parameter", text, "", info.lo, info.hi, info.unit)


def parse_values(text: str) -> np.ndarray:
    """``start:stop:num`` (evenly spaced, both ends included), ``v1,v2,...`` or one number."""
    text = text.strip()
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            n = int(num)
            if n < 1:
                raise ValueError
            return np.linspace(float(start), float(stop), n)
        return np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise SweepError(
            f"{text!r} is neither start:stop:num (num a positive integer) nor a comma-separated list of numbers"
        ) from None


def parse_range(text: str) -> tuple[float, float]:
    """``lo:hi`` for random designs (Latin hypercube, Sobol)."""
    try:
        lo, hi = (float(v) for v in text.strip().split(":"))
    except ValueError:
        raise SweepError(f"{text!r} is not a range lo:hi (random designs sample between two numbers)") from None
    return lo, hi


# ---------------------------------------------------------------------------------------------
# Designs.


@dataclass(frozen=True, eq=False)
class Design:
    """Which points a sweep visits, in a fixed order.

    grid: every combination of the axes (C order: the last key varies fastest); zip: the i-th
    values of every key together; lhs / sobol: `samples` random points in the box `ranges`
    (scipy.stats.qmc, scrambled, seeded). Values are checked when the sweep starts.
    """

    kind: str
    keys: tuple[str, ...]
    axes: tuple[np.ndarray, ...] = ()  # grid and zip: the values per key
    ranges: tuple[tuple[float, float], ...] = ()  # lhs and sobol: (lo, hi) per key
    samples: int = 0
    seed: int = 0
    _points: np.ndarray | None = field(default=None, repr=False)  # zip/lhs/sobol: (n, len(keys))

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid: one axis per key; other designs: (number of points,)."""
        if self.kind == "grid":
            return tuple(a.size for a in self.axes)
        return (self.axes[0].size,) if self.kind == "zip" else (self.samples,)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def points(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Values of points lo .. hi-1, shape (n, len(keys))."""
        hi = self.size if hi is None else hi
        if self.kind == "grid":
            index = np.unravel_index(np.arange(lo, hi), self.shape)
            return np.stack([axis[i] for axis, i in zip(self.axes, index, strict=True)], axis=1)
        if self._points is None:
            raise SweepError("this design was stripped of its points (a Dask task gets its own)")
        return self._points[lo:hi]

    def as_json(self) -> dict[str, Any]:
        """Everything needed to rebuild the design (see `design_from_json`)."""
        d: dict[str, Any] = {"kind": self.kind, "keys": list(self.keys)}
        if self.kind in ("grid", "zip"):
            d["values"] = [[json_number(v) for v in a.tolist()] for a in self.axes]
        else:
            d.update(ranges=[list(r) for r in self.ranges], samples=self.samples, seed=self.seed)
        return d


def _keys_and_arrays(spec: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[np.ndarray, ...]]:
    if not spec:
        raise SweepError("a sweep needs at least one key, e.g. {'reflex.gain': np.linspace(0, 4, 64)}")
    keys, arrays = [], []
    for key, values in spec.items():
        arr = parse_values(values) if isinstance(values, str) else np.atleast_1d(np.asarray(values, dtype=float))
        if arr.ndim != 1 or arr.size == 0:
            raise SweepError(f"{key}: values must be a non-empty 1-D list of numbers (or start:stop:num)")
        keys.append(key.strip())
        arrays.append(arr)
    return tuple(keys), tuple(arrays)


def grid(spec: Mapping[str, Any]) -> Design:
    """Every combination of the given values (arrays, lists or 'start:stop:num' strings)."""
    keys, axes = _keys_and_arrays(spec)
    return Design("grid", keys, axes=axes)


def zipped(spec: Mapping[str, Any]) -> Design:
    """Paired values: point i takes the i-th value of every key (all of the same length)."""
    keys, axes = _keys_and_arrays(spec)
    lengths = {a.size for a in axes}
    if len(lengths) != 1:
        sizes = ", ".join(f"{k}: {a.size}" for k, a in zip(keys, axes, strict=True))
        raise SweepError(f"zipped values must all have the same length ({sizes})")
    return Design("zip", keys, axes=axes, _points=np.stack(axes, axis=1))


def _random_design(kind: str, ranges: Mapping[str, Any], samples: int, seed: int) -> Design:
    from scipy.stats import qmc

    if not ranges:
        raise SweepError(f"a {kind} design needs at least one key with a range lo:hi")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise SweepError(f"samples = {samples!r} must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SweepError(f"seed = {seed!r} must be a non-negative integer")
    keys, bounds = [], []
    for key, r in ranges.items():
        lo, hi = parse_range(r) if isinstance(r, str) else (float(r[0]), float(r[1]))
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise SweepError(f"{key}: range {lo:g}:{hi:g} must have lo < hi (both finite)")
        keys.append(key.strip())
        bounds.append((lo, hi))
    d = len(keys)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(samples)
    else:
        m = int(samples).bit_length() - 1
        if samples != 2**m:
            raise SweepError(f"a Sobol design needs a power of two samples (got {samples}; try {2 ** (m + 1)})")
        unit = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    lows, highs = np.array(bounds).T
    points = qmc.scale(unit, lows, highs)
    return Design(kind, tuple(keys), ranges=tuple(bounds), samples=int(samples), seed=int(seed), _points=points)


def latin_hypercube(ranges: Mapping[str, Any], samples: int, seed: int = 0) -> Design:
    """`samples` points, one per row and column stratum of every key's range (ranges: (lo, hi) or 'lo:hi')."""
    return _random_design("lhs", ranges, samples, seed)


def sobol(ranges: Mapping[str, Any], samples: int, seed: int = 0) -> Design:
    """A scrambled Sobol sequence of `samples` points (a power of two) in the given ranges."""
    return _random_design("sobol", ranges, samples, seed)


def design_from_json(d: Mapping[str, Any]) -> Design:
    """Rebuild a design written by `Design.as_json` (bit-identical points)."""
    kind = d["kind"]
    if kind == "grid":
        return grid(dict(zip(d["keys"], d["values"], strict=True)))
    if kind == "zip":
        return zipped(dict(zip(d["keys"], d["values"], strict=True)))
    if kind in ("lhs", "sobol"):
        return _random_design(kind, dict(zip(d["keys"], d["ranges"], strict=True)), d["samples"], d["seed"])
    raise SweepError(f"unknown design {kind!r}; valid designs: {', '.join(DESIGNS)}")


# ---------------------------------------------------------------------------------------------
# The run specification: everything that determines the numbers (hashed for resuming).


def _protocol_json(protocol: ProtocolLike) -> dict[str, Any]:
    from . import protocols

    cls = type(protocol)
    if not dataclasses.is_dataclass(protocol) or getattr(protocols, cls.__name__, None) is not cls:
        raise SweepError(
            f"protocol must be one of reflexsim.protocols' protocols (e.g. ClonusTest()), got {protocol!r}"
        )
    values = {f.name: getattr(protocol, f.name) for f in dataclasses.fields(protocol)}
    return {"class": cls.__name__, "fields": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def _protocol_from_json(d: Mapping[str, Any]) -> ProtocolLike:
    from . import protocols

    cls = getattr(protocols, d["class"])
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["fields"].items()})


@dataclass(frozen=True, eq=False)
class _Spec:
    """A validated sweep: base model, design, protocol, numerics and grading settings."""

    model: Model
    design: Design
    keys: tuple[SweepKey, ...]
    protocol: ProtocolLike
    duration_s: float
    dt_s: float
    kernel: str
    beat_threshold_deg: float
    catch_torque_nm: float
    slight_torque_nm: float

    @property
    def n_steps(self) -> int:
        return round(self.duration_s / self.dt_s)

    def as_json(self) -> dict[str, Any]:
        from . import __version__

        return {
            "reflexsim_version": __version__,
            "model_name": self.model.name,
            "model": {path: json_number(value) for path, value in self.model.items()},
            "design": self.design.as_json(),
            "protocol": _protocol_json(self.protocol),
            "duration_s": self.duration_s,
            "dt_s": self.dt_s,
            "kernel": self.kernel,
            "beat_threshold_deg": self.beat_threshold_deg,
            "catch_torque_nm": self.catch_torque_nm,
            "slight_torque_nm": self.slight_torque_nm,
        }

    def digest(self) -> str:
        text = json.dumps(self.as_json(), sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _make_spec(
    model: Model,
    design: Design | Mapping[str, Any],
    protocol: ProtocolLike | None,
    duration_s: float,
    dt_s: float,
    kernel_name: str,
    beat_threshold_deg: float,
    catch_torque_nm: float,
    slight_torque_nm: float,
) -> _Spec:
    if not isinstance(model, Model):
        raise SweepError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    _protocol_json(protocol)  # a reflexsim protocol, reproducible from its fields
    design = design if isinstance(design, Design) else grid(design)
    if design.kind not in DESIGNS:
        raise SweepError(f"unknown design {design.kind!r}; valid designs: {', '.join(DESIGNS)}")
    if len(set(design.keys)) != len(design.keys):
        raise SweepError(f"a key appears twice in the sweep: {', '.join(design.keys)}")
    keys = tuple(parse_key(k, protocol) for k in design.keys)
    if design.kind in ("grid", "zip"):
        for key, axis in zip(keys, design.axes, strict=True):
            key.check(axis)
    else:
        for key, (lo, hi) in zip(keys, design.ranges, strict=True):
            key.check(np.array([lo, hi]))
    if kernel_name not in KERNELS:
        raise SweepError(f"kernel = {kernel_name!r}; valid kernels: {', '.join(KERNELS)}")
    duration_s, dt_s, _ = checked_steps(duration_s, dt_s, SweepError)
    if not (math.isfinite(beat_threshold_deg) and beat_threshold_deg > 0):
        raise SweepError(f"beat_threshold_deg = {beat_threshold_deg!r} must be a positive number of degrees")
    return _Spec(
        model,
        design,
        keys,
        protocol,
        duration_s,
        dt_s,
        kernel_name,
        float(beat_threshold_deg),
        float(catch_torque_nm),
        float(slight_torque_nm),
    )


# ---------------------------------------------------------------------------------------------
# The plan: the spec turned into arrays the kernels read (built once, shipped to Dask workers).


@dataclass(frozen=True, eq=False)
class _Case:
    """One protocol variant, compiled for the sweep's step."""

    compiled: CompiledProtocol
    ev: np.ndarray  # kernel.EV_* grading constants


@dataclass(frozen=True, eq=False)
class _Plan:
    spec: _Spec
    param_dims: tuple[tuple[int, int], ...]  # (design column, packed column)
    treatment_dims: tuple[int, ...]
    protocol_dims: tuple[int, ...]
    treated: Mapping[tuple[float, ...], np.ndarray]  # treatment values -> packed treated base model
    cases: Mapping[tuple[float, ...], _Case]  # protocol values -> compiled protocol


def _unique_rows(design: Design, dims: tuple[int, ...]) -> list[tuple[float, ...]]:
    """Distinct value combinations of some design columns (over the whole design)."""
    if not dims:
        return [()]
    if design.kind == "grid":
        return [tuple(float(v) for v in c) for c in itertools.product(*(design.axes[i] for i in dims))]
    cols = design.points()[:, list(dims)]
    return [tuple(float(v) for v in row) for row in np.unique(cols, axis=0)]


def _treat(model: Model, spec: _Spec, dims: tuple[int, ...], values: tuple[float, ...]) -> Model:
    """Apply the swept treatments (in key order, keys of one treatment together)."""
    grouped: dict[str, dict[str, float]] = {}
    for i, value in zip(dims, values, strict=True):
        grouped.setdefault(spec.keys[i].name, {})[spec.keys[i].key] = value
    for name, keys in grouped.items():
        model = treatments.apply(model, name, **keys)
    return model


def _make_plan(spec: _Spec) -> _Plan:
    """Validate every treatment and protocol combination and compile the protocols (no simulation)."""
    keys = spec.keys
    param_dims = tuple((i, PATHS.index(k.name)) for i, k in enumerate(keys) if k.kind == "parameter")
    treatment_dims = tuple(i for i, k in enumerate(keys) if k.kind == "treatment")
    protocol_dims = tuple(i for i, k in enumerate(keys) if k.kind == "protocol")
    swept_paths = {keys[i].name for i, _ in param_dims}
    if treatment_dims:
        for name in dict.fromkeys(keys[i].name for i in treatment_dims):
            clash = sorted(set(treatments.get(name).acts_on) & swept_paths)
            if clash:
                raise SweepError(
                    f"treatment {name!r} acts on {', '.join(clash)}, which the sweep also sets: the swept value "
                    f"would replace the treatment's effect; sweep another parameter or the treatment alone"
                )
    treated = {}
    for values in _unique_rows(spec.design, treatment_dims):
        try:
            treated[values] = _treat(spec.model, spec, treatment_dims, values).pack()
        except ReflexsimError as exc:
            where = ", ".join(f"{keys[i].text} = {v:g}" for i, v in zip(treatment_dims, values, strict=True))
            raise SweepError(f"{where}: {exc}") from None
    cases = {}
    for values in _unique_rows(spec.design, protocol_dims):
        changes = {keys[i].name: v for i, v in zip(protocol_dims, values, strict=True)}
        protocol = dataclasses.replace(spec.protocol, **changes) if changes else spec.protocol  # validated
        compiled = protocol.compile(spec.dt_s)
        ev = np.zeros(kernel.N_EV)
        ev[kernel.EV_STRETCH_S] = compiled.stretch_start_s
        ev[kernel.EV_HOLD_S] = compiled.hold_start_s
        ev[kernel.EV_CATCH_END_S] = compiled.catch_end_s
        ev[kernel.EV_BEAT_THRESHOLD_RAD] = math.radians(spec.beat_threshold_deg)
        ev[kernel.EV_CATCH_NM] = spec.catch_torque_nm
        ev[kernel.EV_SLIGHT_NM] = spec.slight_torque_nm
        cases[values] = _Case(compiled, ev)
    return _Plan(spec, param_dims, treatment_dims, protocol_dims, treated, cases)


def _model_from_row(row: np.ndarray) -> Model:
    return Model().with_values(dict(zip(PATHS, row.tolist(), strict=True)))


@dataclass(frozen=True)
class _ChunkResult:
    index: int
    metrics: np.ndarray  # (n, N_METRICS)
    status: np.ndarray  # (n,) int8
    failed_at_s: np.ndarray  # (n,) time of failure, NaN if none


def _compute_chunk(plan: _Plan, index: int, pts: np.ndarray) -> _ChunkResult:
    """Run the points `pts` (values per design key): pack, check steps, call the kernels.

    Runs in this process or on a Dask worker (module-level, so Dask pickles it by reference).
    """
    spec = plan.spec
    dt, n_steps = spec.dt_s, spec.n_steps
    n = pts.shape[0]
    treat_key = [tuple(float(v) for v in row) for row in pts[:, list(plan.treatment_dims)]]
    case_key = [tuple(float(v) for v in row) for row in pts[:, list(plan.protocol_dims)]]
    params = np.stack([plan.treated[k] for k in treat_key])
    for col, packed in plan.param_dims:
        params[:, packed] = pts[:, col]
    metrics = np.full((n, kernel.N_METRICS), math.nan)
    status = np.full(n, kernel.STATUS_OK, dtype=np.int64)
    fail_step = np.full(n, -1, dtype=np.int64)

    delay = params[:, kernel.P_DELAY] + params[:, kernel.P_EMD]
    status[delay < 2.0 * dt] = STATUS_DELAY_TOO_SHORT
    for case_values in dict.fromkeys(case_key):
        case = plan.cases[case_values]
        in_case = np.array([k == case_values for k in case_key])
        # step limits per distinct combination of the parameters they depend on
        rows = np.flatnonzero(in_case)
        _, first, inverse = np.unique(
            params[np.ix_(rows, _STEP_LIMIT_COLUMNS)], axis=0, return_index=True, return_inverse=True
        )
        for c, r in enumerate(first):
            members = rows[inverse.ravel() == c]
            if dt > max_stable_dt(_model_from_row(params[rows[r]]), case.compiled):
                status[members[status[members] == kernel.STATUS_OK]] = STATUS_STEP_TOO_STIFF
        runnable = in_case & (status == kernel.STATUS_OK)
        lockstep = runnable & (spec.kernel == "lockstep")
        c = case.compiled
        for use, fn in ((lockstep, kernel.sweep_lockstep), (runnable & ~lockstep, kernel.sweep_exact)):
            idx = np.flatnonzero(use)
            if idx.size == 0:
                continue
            _call(fn, params, idx, c.segments, c, dt, n_steps, case.ev, metrics, status, fail_step)
    failed_at = np.where((status != kernel.STATUS_OK) & (fail_step >= 0), fail_step * dt, math.nan)
    return _ChunkResult(index, metrics, status.astype(np.int8), failed_at)


def _call(fn, params, idx, seg, compiled, dt, n_steps, ev, metrics, status, fail_step) -> None:
    """One kernel call on rows `idx` of a chunk's arrays; the results are written back to those rows."""
    m = len(idx)
    out_metrics = np.empty((m, kernel.N_METRICS))
    out_status = np.empty(m, dtype=np.int64)
    out_fail = np.empty(m, dtype=np.int64)
    arrays = [np.require(a, np.float64, ["C", "W"]) for a in (params[idx], seg, compiled.samples, ev)]
    p, s, samples, grading = arrays  # the exact types `kernel.compile_lockstep` compiled for
    fn(
        p,
        s,
        samples,
        float(compiled.theta_start_rad),
        float(dt),
        int(n_steps),
        grading,
        out_metrics,
        out_status,
        out_fail,
    )
    metrics[idx] = out_metrics
    status[idx] = out_status
    fail_step[idx] = out_fail


# ---------------------------------------------------------------------------------------------
# Checkpoints: one file per finished chunk in a folder beside the output, each written atomically.


def checkpoint_folder(out: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of a sweep written to `out` lives: `out` + ".checkpoint", beside it."""
    out = Path(out)
    return out.with_name(out.name + _CHECKPOINT_SUFFIX)


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write through `write(file)` to a temporary file beside `path`, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Checkpoint:
    """Finished chunks of one sweep, kept until the final file is written."""

    folder: Path

    @classmethod
    def beside(cls, out: Path) -> _Checkpoint:
        return cls(checkpoint_folder(out))

    def open(self, manifest: dict[str, Any]) -> dict[int, _ChunkResult]:
        """Create the folder, or check that it holds this sweep; returns the chunks already done."""
        path = self.folder / "sweep.json"
        if path.exists():
            try:
                found = json.loads(path.read_text())
            except (OSError, ValueError):
                found = {}
            if found.get("digest") != manifest["digest"] or found.get("chunk_size") != manifest["chunk_size"]:
                raise SweepError(
                    f"{self.folder} holds the checkpoint of a different sweep (or chunk size); "
                    f"delete it to start over, or write to another output file"
                )
            return self._load()
        try:
            self.folder.mkdir(exist_ok=True)  # it may exist, empty, after a crash right after creating it
        except OSError as exc:
            raise SweepError(f"cannot create the checkpoint folder {self.folder}: {exc.strerror}") from None
        _atomic_write(path, lambda f: f.write(json.dumps(manifest, indent=1).encode()))
        return {}

    def _load(self) -> dict[int, _ChunkResult]:
        done = {}
        for file in sorted(self.folder.glob("chunk-*.npz")):
            try:
                with np.load(file) as z:
                    result = _ChunkResult(int(z["index"]), z["metrics"], z["status"], z["failed_at_s"])
            except (OSError, ValueError, KeyError):  # unreadable: computed again
                continue
            done[result.index] = result
        return done

    def save(self, result: _ChunkResult) -> None:
        def write(f) -> None:
            np.savez(
                f,
                index=result.index,
                metrics=result.metrics,
                status=result.status,
                failed_at_s=result.failed_at_s,
            )

        _atomic_write(self.folder / f"chunk-{result.index:07d}.npz", write)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Running chunks: here (the kernels use every core) or on a Dask cluster.


@dataclass(frozen=True)
class ChunkReport:
    """Passed to `on_chunk` after each chunk is saved."""

    index: int  # chunk number
    points: int  # points in this chunk
    points_done: int  # points finished so far (including any from a checkpoint)
    points_total: int
    elapsed_s: float  # since this call started


def _run_local(plan: _Plan, todo: list[tuple[int, int, int]], on_result: Callable[[_ChunkResult], None]) -> None:
    for index, lo, hi in todo:
        on_result(_compute_chunk(plan, index, plan.spec.design.points(lo, hi)))


def _run_dask(
    client: Any, plan: _Plan, todo: list[tuple[int, int, int]], on_result: Callable[[_ChunkResult], None]
) -> None:
    """One task per chunk, each carrying its own points; a lost worker costs only its chunks, which
    Dask runs again elsewhere. Results arrive in completion order and are saved as they come."""
    import uuid

    from distributed import as_completed

    design = plan.spec.design
    light = dataclasses.replace(
        plan, spec=dataclasses.replace(plan.spec, design=dataclasses.replace(design, _points=None))
    )
    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(
            _compute_chunk,
            light,
            index,
            design.points(lo, hi),
            key=f"reflexsim-sweep-{run}-{index}",
            pure=False,
            retries=2,
        )
        for index, lo, hi in todo
    ]
    try:
        for future in as_completed(futures):
            on_result(future.result())
            future.release()  # saved: the cluster may forget it (and need not recompute it if a worker dies)
    finally:
        client.cancel(futures)  # after an interrupt: stop the rest (harmless when all are done)


class _Progress:
    """A one-line progress bar on stderr: points done, points/s and time left."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, done, enabled
        self.start_done, self.t0 = done, time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.nan
        eta = "--:--:--" if math.isnan(left) else time.strftime("%H:%M:%S", time.gmtime(left))
        filled = round(30 * self.done / self.total)
        bar = "#" * filled + "-" * (30 - filled)
        sys.stderr.write(f"\rsweep [{bar}] {self.done:,}/{self.total:,} points  {rate:,.0f} points/s  ETA {eta}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# The public entry points.


def sweep(
    model: Model,
    design: Design | Mapping[str, Any],
    *,
    protocol: ProtocolLike | None = None,
    duration_s: float = DEFAULT_DURATION_S,
    dt_s: float = DEFAULT_DT_S,
    out: str | os.PathLike[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    client: Any = None,
    kernel_name: str = "lockstep",
    beat_threshold_deg: float = DEFAULT_BEAT_THRESHOLD_DEG,
    catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM,
    slight_torque_nm: float = DEFAULT_SLIGHT_TORQUE_NM,
    progress: bool | None = None,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    command: str = "",
) -> xr.Dataset:
    """Simulate and grade `model` at every point of `design`; returns an xarray Dataset.

    `design` is a `Design` (`grid`, `zipped`, `latin_hypercube`, `sobol`) or a mapping
    {key: values}, which means a grid. With `out` (a .nc path) finished chunks are checkpointed
    beside it, the same call resumes, and the result is written there atomically; an existing
    `out` holding this very sweep is returned without recomputing. `client`: a
    dask.distributed.Client to run the chunks on. `kernel_name`: "lockstep" (vectorised across
    simulations, the same equations as `simulate`) or "exact" (one simulation per thread); both
    agree with `simulate` + `clonus_metrics`. `progress`: a progress bar on stderr (default: when stderr is a
    terminal). `command`: recorded in the file's attrs (the CLI passes its command line).
    """
    _require("xarray", "a sweep")
    spec = _make_spec(
        model, design, protocol, duration_s, dt_s, kernel_name, beat_threshold_deg, catch_torque_nm, slight_torque_nm
    )
    plan = _make_plan(spec)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise SweepError(f"chunk_size = {chunk_size!r} must be a positive integer")
    total = spec.design.size
    chunks = [(i, lo, min(lo + chunk_size, total)) for i, lo in enumerate(range(0, total, chunk_size))]
    digest = spec.digest()

    checkpoint = None
    done: dict[int, _ChunkResult] = {}
    if out is not None:
        out_path = Path(out)
        if not out_path.parent.is_dir():
            raise SweepError(f"cannot write {out_path}: the folder {out_path.parent} does not exist")
        if out_path.exists():
            try:
                existing = load(out_path)
            except (OSError, ValueError) as exc:
                raise SweepError(f"{out_path} exists and is not a readable sweep file ({exc}); move it away") from None
            if existing.attrs.get("sweep_digest") == digest:
                return existing
            raise SweepError(f"{out_path} exists and holds a different sweep; delete it or write to another file")
        checkpoint = _Checkpoint.beside(out_path)
        manifest = {"digest": digest, "chunk_size": chunk_size, "points": total, "spec": spec.as_json()}
        done = {i: r for i, r in checkpoint.open(manifest).items() if i < len(chunks)}

    metrics = np.full((total, kernel.N_METRICS), math.nan)
    status = np.full(total, _NOT_RUN, dtype=np.int8)
    failed_at = np.full(total, math.nan)

    def store(result: _ChunkResult) -> int:
        _, lo, hi = chunks[result.index]
        metrics[lo:hi], status[lo:hi], failed_at[lo:hi] = result.metrics, result.status, result.failed_at_s
        return hi - lo

    points_done = sum(store(result) for result in done.values())  # from the checkpoint
    bar = _Progress(total, points_done, sys.stderr.isatty() if progress is None else progress)
    t0 = time.perf_counter()

    def finished(result: _ChunkResult) -> None:
        nonlocal points_done
        if checkpoint is not None:
            checkpoint.save(result)
        n = store(result)
        points_done += n
        bar.update(n)
        if on_chunk is not None:
            on_chunk(ChunkReport(result.index, n, points_done, total, time.perf_counter() - t0))

    todo = [c for c in chunks if c[0] not in done]
    try:
        if client is None:
            _run_local(plan, todo, finished)
        else:
            _run_dask(client, plan, todo, finished)
    finally:
        bar.close()
    if np.any(status == _NOT_RUN):  # pragma: no cover - every chunk reports or raises
        raise SweepError("internal error: some points were not run")
    ds = _dataset(spec, digest, metrics, status, failed_at, command)
    if out is not None:
        _write_netcdf(ds, out_path)
        checkpoint.remove()
    return ds


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename it into place (never a partial file)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        ds.to_netcdf(tmp, engine=_netcdf_engine())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _netcdf_engine() -> str | None:
    """netCDF4 (NetCDF-4 files, the `sweep` extra) if installed, else xarray's choice."""
    return "netcdf4" if importlib.util.find_spec("netCDF4") else None


def _require(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise SweepError(f"{what} needs the optional package {module!r}: pip install 'reflexsim[sweep]'")


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A dask.distributed Client, closed on exit.

    "local" or "local:N" starts a LocalCluster of N worker processes on this machine (default: one
    per core) on the loopback interface, each with one Dask thread and an equal share of the cores
    for the kernels' threads; anything else is the address of a running scheduler, e.g.
    "tcp://10.0.0.5:8786" (start one with `dask scheduler`, workers with `dask worker ADDRESS`).
    """
    _require("distributed", "running a sweep on Dask")
    from distributed import Client, LocalCluster

    name, _, count = address.partition(":")
    if name != "local":
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
        with client:
            yield client
        return
    cores = os.cpu_count() or 1
    try:
        n_workers = int(count) if count else cores
        if n_workers < 1:
            raise ValueError
    except ValueError:
        raise SweepError(f"--dask {address!r}: expected local or local:N with N a positive integer") from None
    threads = str(max(1, cores // n_workers))
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _dataset(
    spec: _Spec, digest: str, metrics: np.ndarray, status: np.ndarray, failed_at: np.ndarray, command: str
) -> xr.Dataset:
    """Metrics as data variables over one dimension per grid key (or `point`), with full attrs."""
    import xarray as xr

    design = spec.design
    if design.kind == "grid":
        dims = design.keys
        coords: dict[str, Any] = {
            k.text: (k.text, axis, {"units": k.unit}) for k, axis in zip(spec.keys, design.axes, strict=True)
        }
    else:
        dims = ("point",)
        pts = design.points()
        coords = {"point": np.arange(design.size)}
        coords.update({k.text: ("point", pts[:, i], {"units": k.unit}) for i, k in enumerate(spec.keys)})
    shape = design.shape
    data: dict[str, Any] = {}
    for name, index, dtype, unit, doc in _METRICS:
        values = metrics[:, index]
        if index in _DEGREE_METRICS:
            values = np.degrees(values)
        data[name] = (dims, values.astype(dtype).reshape(shape), {"units": unit, "long_name": doc})
    codes = sorted(STATUS)
    data["status"] = (
        dims,
        status.reshape(shape),
        {
            "long_name": "outcome of the point (0 = ok; others: metrics are NaN)",
            "flag_values": np.array(codes, dtype=np.int8),
            "flag_meanings": " ".join(STATUS[c][0] for c in codes),
            "flag_descriptions": json.dumps({str(c): f"{STATUS[c][0]}: {STATUS[c][1]}" for c in codes}),
        },
    )
    data["failed_at_s"] = (dims, failed_at.reshape(shape), {"units": "s", "long_name": "time the run failed"})
    spec_json = spec.as_json()
    attrs: dict[str, Any] = {
        "title": "reflexsim parameter sweep",
        "Conventions": "CF-1.8",
        "reflexsim_version": spec_json["reflexsim_version"],
        "design": design.kind,
        "seed": np.int32(design.seed),
        "samples": np.int32(design.samples),
        "swept": json.dumps(list(design.keys)),
        "model_name": spec.model.name,
        **{f"model.{path}": value for path, value in spec.model.items()},
        "protocol": json.dumps(spec_json["protocol"]),
        "duration_s": spec.duration_s,
        "dt_s": spec.dt_s,
        "n_steps": np.int32(spec.n_steps),
        "kernel": spec.kernel,
        "beat_threshold_deg": spec.beat_threshold_deg,
        "catch_torque_nm": spec.catch_torque_nm,
        "slight_torque_nm": spec.slight_torque_nm,
        "command": command,
        "sweep_spec": json.dumps(spec_json, sort_keys=True),
        "sweep_digest": digest,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def load(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a sweep file into memory (the file is closed afterwards)."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        return ds.load()


def _spec_kwargs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    try:
        d = json.loads(attrs["sweep_spec"])
    except (KeyError, ValueError):
        raise SweepError("not a reflexsim sweep: the attribute sweep_spec is missing or unreadable") from None
    model = Model(name=d["model_name"]).with_values({p: float(v) for p, v in d["model"].items()})
    return {
        "model": model,
        "design": design_from_json(d["design"]),
        "protocol": _protocol_from_json(d["protocol"]),
        "duration_s": d["duration_s"],
        "dt_s": d["dt_s"],
        "kernel_name": d["kernel"],
        "beat_threshold_deg": d["beat_threshold_deg"],
        "catch_torque_nm": d["catch_torque_nm"],
        "slight_torque_nm": d["slight_torque_nm"],
    }


def rerun(source: str | os.PathLike[str] | xr.Dataset, **options: Any) -> xr.Dataset:
    """Run again the sweep a file (or Dataset) records, from its attrs alone.

    `options` are passed to `sweep` (out, client, chunk_size, progress, ...)."""
    attrs = source.attrs if hasattr(source, "attrs") else load(source).attrs
    options.setdefault("command", attrs.get("command", ""))
    return sweep(**_spec_kwargs(attrs), **options)


def summary(ds: xr.Dataset) -> str:
    """One line: points, how many ran, and failures counted by reason."""
    status = np.asarray(ds["status"]).ravel()
    codes, counts = np.unique(status, return_counts=True)
    by_code = dict(zip(codes.tolist(), counts.tolist(), strict=True))
    ok = by_code.pop(kernel.STATUS_OK, 0)
    line = f"{status.size:,} points: {ok:,} ok"
    if by_code:
        reasons = ", ".join(f"{n:,} {STATUS.get(c, (str(c),))[0]}" for c, n in sorted(by_code.items()))
        line += f", {sum(by_code.values()):,} failed ({reasons})"
    return line

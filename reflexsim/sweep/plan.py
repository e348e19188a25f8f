"""The plan: a validated spec turned into what the kernels read, and the computation of one chunk.

`make_plan` applies every swept treatment combination to the base model and checks every
protocol variant (no simulation). `compute_chunk` packs a chunk's points, chooses each point's
step (or checks the fixed one), and calls the compiled sweep kernels; it runs in this process or
on a Dask worker (module-level, so Dask pickles it by reference).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from .. import kernel, treatments
from ..errors import ReflexsimError, SweepError
from ..params import PATHS, Model
from ..protocols import CompiledProtocol, ProtocolLike
from ..simulation import MIN_DT_S, delay_step, max_stable_dt, stable_step
from .designs import Design
from .spec import Spec

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
            "the step is above the RK4 limit for this stiffness and protocol (not run)",
        ),
    }
)

# What `simulation.max_stable_dt` depends on (tests/test_sweep.py checks that the rest does not
# matter): step limits are computed once per distinct combination of these values. The spindle and
# the depression enter through the fastest post-activation depression a quick stretch drives.
_STEP_LIMIT_SECTIONS = ("foot", "joint", "muscle", "orthosis", "spindle")
_STEP_LIMIT_PATHS = ("reflex.depression_per_impulse", "reflex.depression_recovery_s")
STEP_LIMIT_COLUMNS = np.array(
    [i for i, p in enumerate(PATHS) if p.split(".")[0] in _STEP_LIMIT_SECTIONS or p in _STEP_LIMIT_PATHS]
)


@dataclass(frozen=True, eq=False)
class Case:
    """One protocol variant, compiled on demand for each step the sweep uses (cached).

    A sweep over protocol fields has one case per distinct combination of their values; points
    of a case that run at the same step share one compiled protocol.

    Attributes
    ----------
    protocol : ProtocolLike
        The protocol, with this case's swept field values.
    spec : Spec
        The sweep's specification (for its grading settings).
    _compiled : dict
        Cache: step (s) -> (compiled protocol, grading constants).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.plan import make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> keys = {"reflex.gain": [0.5, 3.0], "protocol.hold_torque_nm": [20, 30]}
    >>> spec = make_spec(rs.preset("severe"), keys, None, 1.0, None, 0.001, "lockstep", grading)
    >>> plan = make_plan(spec)
    >>> sorted(plan.cases)  # one case per value of the protocol field
    [(20.0,), (30.0,)]
    >>> plan.cases[(20.0,)].protocol.hold_torque_nm
    20.0
    """

    protocol: ProtocolLike
    spec: Spec
    _compiled: dict[float, tuple[CompiledProtocol, np.ndarray]] = field(default_factory=dict, repr=False)

    def compiled(self, dt_s: float) -> tuple[CompiledProtocol, np.ndarray]:
        """The protocol compiled for `dt_s` and its kernel.EV_* grading constants.

        Parameters
        ----------
        dt_s : float
            The step, in s.

        Returns
        -------
        tuple
            (compiled protocol, grading constants): what the sweep kernels read, the constants
            indexed by ``kernel.EV_*`` (event times in s, the beat threshold in rad, torques in N m).
        """
        if dt_s not in self._compiled:
            compiled = self.protocol.compile(dt_s)
            ev = np.zeros(kernel.N_EV)
            ev[kernel.EV_STRETCH_S] = compiled.stretch_start_s
            ev[kernel.EV_HOLD_S] = compiled.hold_start_s
            ev[kernel.EV_CATCH_END_S] = compiled.catch_end_s
            ev[kernel.EV_BEAT_THRESHOLD_RAD] = math.radians(self.spec.beat_threshold_deg)
            ev[kernel.EV_CATCH_NM] = self.spec.catch_torque_nm
            ev[kernel.EV_SLIGHT_NM] = self.spec.slight_torque_nm
            self._compiled[dt_s] = (compiled, ev)
        return self._compiled[dt_s]


@dataclass(frozen=True, eq=False)
class Plan:
    """A validated sweep prepared for its chunks: treatments applied, protocols compiled.

    Built once by `make_plan` (so a bad treatment or protocol value fails before any simulation)
    and sent with every chunk to `compute_chunk`.

    Attributes
    ----------
    spec : Spec
        The sweep's specification.
    param_dims : tuple of (int, int)
        Per swept model parameter: (its column in the design, its column in the packed parameters).
    treatment_dims : tuple of int
        The design columns of swept treatment keys.
    protocol_dims : tuple of int
        The design columns of swept protocol fields.
    treated : mapping
        Treatment values -> the packed base model with those treatments applied.
    cases : mapping
        Protocol field values -> its `Case`.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.plan import make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> keys = {"reflex.gain": [0.5, 3.0], "treatment.botox.weeks": [0, 6]}
    >>> plan = make_plan(make_spec(rs.preset("severe"), keys, None, 1.0, None, 0.001, "lockstep", grading))
    >>> plan.treatment_dims, sorted(plan.treated)  # the model is treated once per value
    ((1,), [(0.0,), (6.0,)])
    """

    spec: Spec
    param_dims: tuple[tuple[int, int], ...]  # (design column, packed column)
    treatment_dims: tuple[int, ...]
    protocol_dims: tuple[int, ...]
    treated: Mapping[tuple[float, ...], np.ndarray]  # treatment values -> packed treated base model
    cases: Mapping[tuple[float, ...], Case]  # protocol values -> protocol


def _unique_rows(design: Design, dims: tuple[int, ...]) -> list[tuple[float, ...]]:
    """Distinct value combinations of some design columns (over the whole design)."""
    if not dims:
        return [()]
    if design.kind == "grid":
        return [tuple(float(v) for v in c) for c in itertools.product(*(design.axes[i] for i in dims))]
    cols = design.points()[:, list(dims)]
    return [tuple(float(v) for v in row) for row in np.unique(cols, axis=0)]


def _treat(model: Model, spec: Spec, dims: tuple[int, ...], values: tuple[float, ...]) -> Model:
    """Apply the swept treatments (in key order, keys of one treatment together)."""
    grouped: dict[str, dict[str, float]] = {}
    for i, value in zip(dims, values, strict=True):
        grouped.setdefault(spec.keys[i].name, {})[spec.keys[i].key] = value
    for name, keys in grouped.items():
        model = treatments.apply(model, name, **keys)
    return model


@runtime_checkable
class _Dataclass(Protocol):
    # what `dataclasses.replace` needs (typeshed's DataclassInstance, which is not importable at run time)
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


def _with_fields(protocol: ProtocolLike, changes: Mapping[str, float]) -> ProtocolLike:
    """A copy of the protocol with swept fields replaced (validated as it is built)."""
    if not isinstance(protocol, _Dataclass):  # pragma: no cover - parse_key takes protocol keys from dataclass fields
        raise SweepError(f"{type(protocol).__name__} is not a dataclass: its fields cannot be swept")
    return dataclasses.replace(protocol, **changes)


def make_plan(spec: Spec) -> Plan:
    """Validate every treatment and protocol combination (no simulation).

    Each distinct combination of swept treatment values is applied to the base model once, and
    each protocol variant compiled once, so a bad value fails here rather than in a chunk.

    Parameters
    ----------
    spec : Spec
        A validated specification (`reflexsim.sweep.spec.make_spec`).

    Returns
    -------
    Plan
        The treated models and protocol cases the chunks use.

    Raises
    ------
    SweepError
        If a swept treatment acts on a swept parameter, or a treatment or protocol refuses one of
        its values (the message names the point's values).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.plan import make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> keys = {"reflex.gain": [0.5, 3.0], "treatment.botox.weeks": [0, 6]}
    >>> plan = make_plan(make_spec(rs.preset("severe"), keys, None, 1.0, None, 0.001, "lockstep", grading))
    >>> plan.param_dims, plan.treatment_dims, plan.protocol_dims
    (((0, 33),), (1,), ())
    """
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
        protocol = _with_fields(spec.protocol, changes) if changes else spec.protocol
        cases[values] = Case(protocol, spec)
        cases[values].compiled(spec.max_dt_s if spec.dt_s is None else spec.dt_s)  # a protocol error shows now
    return Plan(spec, param_dims, treatment_dims, protocol_dims, treated, cases)


def _model_from_row(row: np.ndarray) -> Model:
    return Model().with_values(dict(zip(PATHS, row.tolist(), strict=True)))


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk's points gave: metrics, status codes, failure times and steps.

    Saved as one checkpoint file per chunk (`reflexsim.sweep.store.Checkpoint`) and assembled
    into the Dataset at the end.

    Attributes
    ----------
    index : int
        The chunk's number.
    metrics : numpy.ndarray
        Shape (n, kernel.N_METRICS): each point's metrics (NaN where the point failed).
    status : numpy.ndarray
        Shape (n,), int8: each point's status code (`STATUS`; 0 is ok).
    failed_at_s : numpy.ndarray
        Shape (n,): the time a run failed, in s; NaN if it did not fail or was not run.
    dt_s : numpy.ndarray
        Shape (n,): the step each point ran at, in s; NaN if it was not run.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.plan import compute_chunk, make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> spec = make_spec(rs.preset("severe"), {"reflex.gain": [0.5, 3.0]}, None, 1.0, None, 0.001, "lockstep", grading)
    >>> result = compute_chunk(make_plan(spec), 0, spec.design.points())
    >>> result.index, result.metrics.shape, result.status
    (0, (2, 12), array([0, 0], dtype=int8))
    """

    index: int
    metrics: np.ndarray  # (n, N_METRICS)
    status: np.ndarray  # (n,) int8
    failed_at_s: np.ndarray  # (n,) time of failure, NaN if none
    dt_s: np.ndarray  # (n,) the step each point ran at, NaN if not run


def _steps(plan: Plan, case: Case, params: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The step of each point in `rows` (NaN where none is usable) and the largest step its loop
    delay allows (below MIN_DT_S: none). A fixed step is checked, an automatic one chosen as
    `simulate` chooses it: once per distinct combination of the parameters the limit depends on."""
    spec = plan.spec
    delay = params[rows, kernel.P_DELAY] + params[rows, kernel.P_EMD]
    if spec.dt_s is None:
        starts = np.array([delay_step(float(d), spec.max_dt_s) for d in delay])
    else:
        starts = np.where(delay >= 2.0 * spec.dt_s, spec.dt_s, 0.0)
    steps = np.full(rows.size, math.nan)
    groups = np.column_stack([params[np.ix_(rows, STEP_LIMIT_COLUMNS)], starts])
    _, first, inverse = np.unique(groups, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    for c, r in enumerate(first):
        if starts[r] < MIN_DT_S:
            continue
        model = _model_from_row(params[rows[r]])
        if spec.dt_s is None:
            found = stable_step(model, case.protocol, float(starts[r]))
            steps[inverse == c] = math.nan if found is None else found[0]
        elif spec.dt_s <= max_stable_dt(model, case.compiled(spec.dt_s)[0]):
            steps[inverse == c] = spec.dt_s
    return steps, starts


def compute_chunk(plan: Plan, index: int, pts: np.ndarray) -> ChunkResult:
    """Run the points `pts` (values per design key): pack, choose or check steps, call the kernels.

    Module-level so that Dask pickles it by reference. A point that cannot run or fails gets a
    status code and NaN metrics; it never raises.

    Parameters
    ----------
    plan : Plan
        The prepared sweep (`make_plan`).
    index : int
        The chunk's number, passed through to the result.
    pts : numpy.ndarray
        Shape (n, len(keys)): the chunk's points, e.g. ``plan.spec.design.points(lo, hi)``.

    Returns
    -------
    ChunkResult
        The points' metrics, status codes, failure times and steps.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.plan import STATUS, compute_chunk, make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> model = rs.preset("severe").with_values({"muscle.electromechanical_delay_s": 0.0})
    >>> spec = make_spec(model, {"reflex.delay_s": [0.005, 0.04]}, None, 1.0, 0.004, 0.004, "lockstep", grading)
    >>> result = compute_chunk(make_plan(spec), 0, spec.design.points())
    >>> [STATUS[int(code)][0] for code in result.status]  # a 5 ms loop delay is shorter than 2 steps
    ['delay_too_short', 'ok']
    >>> result.dt_s
    array([  nan, 0.004])
    """
    spec = plan.spec
    n = pts.shape[0]
    treat_key = [tuple(float(v) for v in row) for row in pts[:, list(plan.treatment_dims)]]
    case_key = [tuple(float(v) for v in row) for row in pts[:, list(plan.protocol_dims)]]
    params = np.stack([plan.treated[k] for k in treat_key])
    for col, packed in plan.param_dims:
        params[:, packed] = pts[:, col]
    metrics = np.full((n, kernel.N_METRICS), math.nan)
    status = np.full(n, kernel.STATUS_OK, dtype=np.int64)
    fail_step = np.full(n, -1, dtype=np.int64)
    dt = np.full(n, math.nan)
    fn = kernel.sweep_lockstep if spec.kernel == "lockstep" else kernel.sweep_exact
    for case_values in dict.fromkeys(case_key):
        case = plan.cases[case_values]
        rows = np.flatnonzero([k == case_values for k in case_key])
        dt[rows], starts = _steps(plan, case, params, rows)
        unrunnable = np.isnan(dt[rows])  # the delay is checked first, as in simulate
        status[rows[unrunnable]] = np.where(
            starts[unrunnable] < MIN_DT_S, STATUS_DELAY_TOO_SHORT, STATUS_STEP_TOO_STIFF
        )
        for step in np.unique(dt[rows][~unrunnable]).tolist():
            compiled, ev = case.compiled(step)
            at_step = rows[dt[rows] == step]
            _call(fn, params, at_step, compiled, step, spec.n_steps(step), ev, metrics, status, fail_step)
    failed_at = np.where((status != kernel.STATUS_OK) & (fail_step >= 0), fail_step * dt, math.nan)
    return ChunkResult(index, metrics, status.astype(np.int8), failed_at, dt)


def _call(fn, params, idx, compiled, dt, n_steps, ev, metrics, status, fail_step) -> None:
    """One kernel call on rows `idx` of a chunk's arrays; the results are written back to those rows."""
    m = len(idx)
    out_metrics = np.empty((m, kernel.N_METRICS))
    out_status = np.empty(m, dtype=np.int64)
    out_fail = np.empty(m, dtype=np.int64)
    arrays = [np.require(a, np.float64, ["C", "W"]) for a in (params[idx], compiled.segments, compiled.samples, ev)]
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

"""The three ways to grade a run agree everywhere in the parameter box.

`clonus_metrics(simulate(...))`, the exact sweep kernel (`kernel.sweep_exact`, one `run` per point)
and the lockstep sweep kernel (`kernel.sweep_lockstep`, LOCKSTEP_LANES points advanced together,
with the rare terms -- foot gravity, an orthosis stop -- switched on for a whole block when one
lane needs them) share one right-hand side, so for any valid parameter set they must give the
same beats, grades and status, and the same frequency and duration. A point that cannot run
(the loop delay shorter than 2 steps, the step above `simulation.max_stable_dt`) is refused by
`simulate` with a `SimulationError` and by the sweep with the matching status code; a run that
fails in flight fails at the same step on every path.

The points are drawn from every parameter's documented range (`reflexsim.params.describe`), so
most are far from any patient; nothing here depends on the presets' calibration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

xr = pytest.importorskip("xarray")

from reflexsim import ClonusTest, Model, SimulationError, clonus_metrics, kernel, simulate  # noqa: E402
from reflexsim.params import PATHS, describe  # noqa: E402
from reflexsim.protocols import BiasTest  # noqa: E402
from reflexsim.simulation import DEFAULT_DT_S, max_stable_dt  # noqa: E402
from reflexsim.sweep import STATUS_DELAY_TOO_SHORT, STATUS_STEP_TOO_STIFF, sweep, zipped  # noqa: E402

DURATION_S = 4.0  # long enough for SCATS 2 / Tardieu 3 (clonus of 3 s and more after the hold)
INTEGER_FIELDS = ("beats", "scats", "tardieu", "ongoing", "sustained")
FLOAT_FIELDS = (
    "frequency_hz",
    "duration_s",
    "decay_per_s",
    "peak_to_peak_deg",
    "last_peak_to_peak_deg",
    "peak_reflex_torque_nm",
)
STOP_ANGLE_MAX = 0.6  # finite stop angles drawn up to here (beyond the clonus test's 10 deg stretch)


def refusal(status: int, failed_at_s: float, angle_limit_rad: float = math.pi / 2) -> str:
    """What `simulate`'s error says for a sweep status (see simulation._simulation_error)."""
    limit_deg = math.degrees(angle_limit_rad)  # the model's foot.angle_limit_rad
    return {
        STATUS_DELAY_TOO_SHORT: "is too large for the loop delay",
        STATUS_STEP_TOO_STIFF: "is too large for the stiffness of this model and protocol",
        kernel.STATUS_NO_EQUILIBRIUM: "no resting angle within ±90° balances the protocol's initial torque",
        kernel.STATUS_OUT_OF_RANGE: f"at t = {failed_at_s:.4f} s the ankle passed ±{limit_deg:.0f}°",
        kernel.STATUS_NONFINITE: f"the simulation blew up (non-finite state) at t = {failed_at_s:.4f} s",
    }[status]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def assert_paths_agree(points: list[dict[str, float]], protocol, dt_s: float) -> dict[str, int]:
    """Sweep `points` with both kernels and simulate each one; returns counts of what happened."""
    design = zipped({path: [p[path] for p in points] for path in PATHS})
    options = {"protocol": protocol, "duration_s": DURATION_S, "dt_s": dt_s, "progress": False}
    lockstep = sweep(Model(), design, **options)
    exact = sweep(Model(), design, kernel_name="exact", **options)
    seen = {"ok": 0, "clonus": 0, "refused": 0, "failed": 0, "gravity_ok": 0, "stop_ok": 0}
    for i, values in enumerate(points):
        model = Model().with_values(values)
        statuses = {int(lockstep.status[i]), int(exact.status[i])}
        assert len(statuses) == 1, (values, statuses)
        status = statuses.pop()
        failed = [float(ds.failed_at_s[i]) for ds in (lockstep, exact)]
        assert same(*failed), (values, failed)
        try:
            metrics = clonus_metrics(simulate(model, protocol, duration_s=DURATION_S, dt_s=dt_s))
        except SimulationError as err:
            assert status != kernel.STATUS_OK, (values, str(err))
            assert refusal(status, failed[0], model.foot.angle_limit_rad) in str(err), (
                values,
                status,
                failed[0],
                str(err),
            )
            if status in (STATUS_DELAY_TOO_SHORT, STATUS_STEP_TOO_STIFF):
                seen["refused"] += 1
                assert math.isnan(failed[0])  # never started
                if status == STATUS_STEP_TOO_STIFF:
                    assert dt_s > max_stable_dt(model, protocol.compile(dt_s))
            else:
                seen["failed"] += 1
            for ds in (lockstep, exact):
                assert all(math.isnan(float(ds[name][i])) for name in (*INTEGER_FIELDS, *FLOAT_FIELDS)), values
            continue
        assert status == kernel.STATUS_OK, (values, status)
        expected = {name: float(getattr(metrics, name)) for name in (*INTEGER_FIELDS, *FLOAT_FIELDS)}
        for name in (*INTEGER_FIELDS, *FLOAT_FIELDS):
            # the exact kernel is `run` itself: bit for bit what simulate + clonus_metrics give
            assert same(float(exact[name][i]), expected[name]), (values, name, float(exact[name][i]), expected[name])
        for name in INTEGER_FIELDS:
            assert float(lockstep[name][i]) == expected[name], (values, name)
        for name in FLOAT_FIELDS:
            assert close(float(lockstep[name][i]), expected[name]), (values, name)
        seen["ok"] += 1
        seen["clonus"] += metrics.beats >= kernel.MIN_CLONUS_BEATS
        seen["gravity_ok"] += model.foot.gravity_m_per_s2 * model.foot.com_distance_m > 0
        seen["stop_ok"] += model.orthosis.stop_angle_rad < math.inf and model.orthosis.stop_stiffness_nm_per_rad > 0
    return seen


# --------------------------------------------------------------------------------------------- strategies


def _in_range(path: str) -> st.SearchStrategy[float]:
    info = describe(path)
    if math.isinf(info.hi):  # the orthosis stop: none, or anywhere from its lower end up
        return st.one_of(st.just(math.inf), st.floats(info.lo, STOP_ANGLE_MAX))
    return st.floats(info.lo, info.hi, allow_nan=False, allow_infinity=False)


any_point = st.fixed_dictionaries({path: _in_range(path) for path in PATHS})


@st.composite
def near_default_point(draw) -> dict[str, float]:
    """The default model with a few parameters anywhere in their range (most points run, some clone)."""
    values = dict(Model().items())
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=6, unique=True)):
        values[path] = draw(_in_range(path))
    return values


points = st.lists(st.one_of(any_point, near_default_point()), min_size=1, max_size=6)
protocols = st.sampled_from([ClonusTest(), BiasTest()])
steps = st.sampled_from([DEFAULT_DT_S, 1e-3, 4e-3])  # 4 ms: shorter loop delays than 2 steps occur


def _explicit(**changes: float) -> dict[str, float]:
    return dict(Model().with_values(changes).items())


CLONIC = {"reflex.gain": 12.0, "reflex.threshold_ips": 70.0, "reflex.depression_per_impulse": 0.0, "reflex.tone": 0.01}
EXPLICIT = [
    _explicit(),
    _explicit(**CLONIC),
    _explicit(**CLONIC, **{"foot.gravity_m_per_s2": 9.81}),  # seated: gravity on the foot
    _explicit(**CLONIC, **{"orthosis.stop_angle_rad": 0.1}),  # a stop the stretch runs into
    _explicit(**CLONIC, **{"orthosis.stop_angle_rad": -0.35, "orthosis.stiffness_nm_per_rad": 200.0}),
    _explicit(**{"reflex.delay_s": 0.005, "muscle.electromechanical_delay_s": 0.0}),  # 2 steps of 4 ms too long
]


@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=points, protocol=protocols, dt_s=steps)
@example(batch=EXPLICIT, protocol=ClonusTest(), dt_s=DEFAULT_DT_S)
@example(batch=EXPLICIT, protocol=ClonusTest(), dt_s=4e-3)
@example(batch=EXPLICIT, protocol=BiasTest(), dt_s=DEFAULT_DT_S)
def test_simulate_exact_and_lockstep_agree_anywhere_in_the_box(batch, protocol, dt_s):
    seen = assert_paths_agree(batch, protocol, dt_s)
    for outcome, count in seen.items():  # shown by --hypothesis-show-statistics
        if count:
            event(outcome)


def test_a_latin_hypercube_of_the_whole_box_agrees_and_covers_every_outcome():
    """192 points spread over every parameter's range: a first block of LOCKSTEP_LANES without
    gravity, stops or fatigue (the lean kernel variant), then blocks that mix lanes with and without
    them. Every point agrees, and the sample does reach clonus, stops and gravity in runs that
    finish, and refusals."""
    from scipy.stats import qmc

    n = 6 * kernel.LOCKSTEP_LANES
    lows, highs = [], []
    for path in PATHS:
        info = describe(path)
        lows.append(info.lo)
        highs.append(info.hi if math.isfinite(info.hi) else STOP_ANGLE_MAX)
    unit = qmc.LatinHypercube(d=len(PATHS), seed=np.random.default_rng(20261128)).random(n)
    values = qmc.scale(unit, lows, highs)
    stop, gravity = PATHS.index("orthosis.stop_angle_rad"), PATHS.index("foot.gravity_m_per_s2")
    fatigue = PATHS.index("muscle.fatigue_rate_per_s")
    lanes = kernel.LOCKSTEP_LANES
    values[:lanes, stop] = math.inf  # the first block runs without the rare terms
    values[:lanes, gravity] = 0.0
    values[:lanes, fatigue] = 0.0
    values[lanes + 1 :: 2, stop] = math.inf
    batch = [dict(zip(PATHS, row.tolist(), strict=True)) for row in values]
    seen = assert_paths_agree(batch, ClonusTest(), DEFAULT_DT_S)
    # The ranges now span every joint's segment (inertia 1e-4 to 1 kg·m², moment arms 5 to 100 mm), so
    # at the fixed default step more than half the box is refused as too stiff (both paths agree on
    # that, which is checked above); a third must still run to the end.
    assert seen["ok"] >= n // 3, seen
    assert seen["clonus"] >= 3 and seen["gravity_ok"] >= 10 and seen["stop_ok"] >= 10, seen
    assert seen["refused"] >= 1, seen

"""Property tests (hypothesis) of physical invariants."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reflexsim import ClonusTest, Model, SimulationError, clonus_metrics, kernel, simulate
from reflexsim.params import PATHS, describe

PROPERTY_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

lesions = st.fixed_dictionaries(
    {
        "reflex.threshold_ips": st.floats(75.0, 115.0),
        "muscle.passive_scale": st.floats(1.0, 2.5),
        "reflex.tone": st.floats(0.0, 0.03),
        "reflex.delay_s": st.floats(0.02, 0.06),
    }
)


@PROPERTY_SETTINGS
@given(values=lesions, hold=st.floats(10.0, 50.0))
def test_zero_gain_never_sustains_oscillation(values, hold):
    model = Model().with_values({**values, "reflex.gain": 0.0})
    m = clonus_metrics(simulate(model, ClonusTest(hold_torque_nm=hold), duration_s=8.0))
    assert not m.ongoing and not m.sustained


@PROPERTY_SETTINGS
@given(values=lesions)
def test_more_gain_never_shortens_clonus(values):
    """Over a gain grid, clonus lasts at least as long (still-beating runs count as longest)."""
    model = Model().with_values(values)
    previous = -1.0
    for gain in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        m = clonus_metrics(simulate(model.with_values({"reflex.gain": gain}), duration_s=8.0))
        duration = math.inf if m.ongoing else m.duration_s
        assert duration >= previous, (gain, duration, previous)
        previous = duration


def _uniform_in_range(path: str):
    info = describe(path)
    hi = info.hi if math.isfinite(info.hi) else info.lo + 1.0
    return st.floats(info.lo, hi, allow_nan=False, allow_infinity=False)


any_model = st.fixed_dictionaries({path: _uniform_in_range(path) for path in PATHS})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=any_model)
def test_any_valid_parameter_set_gives_finite_output_or_a_clear_error(values):
    model = Model().with_values(values)
    try:
        result = simulate(model, duration_s=1.0)
    except SimulationError as err:
        assert "t = " in str(err) or "dt_s" in str(err) or "resting angle" in str(err)
        return
    for name, array in result.arrays().items():
        assert np.all(np.isfinite(array)), name


passive = st.fixed_dictionaries(
    {
        "foot.inertia_kg_m2": st.floats(0.008, 0.05),
        "joint.damping_nms_per_rad": st.floats(0.05, 2.0),
        "muscle.passive_scale": st.floats(0.5, 2.5),
        "orthosis.stiffness_nm_per_rad": st.floats(0.0, 200.0),
        "orthosis.stop_angle_rad": st.floats(0.05, 0.3),
    }
)


@settings(max_examples=15, deadline=None)
@given(values=passive, hold=st.floats(0.0, 60.0))
def test_energy_never_grows_without_reflex(values, hold):
    """With no reflex and no tone the foot is a passive, damped system under a constant hold
    torque: kinetic plus elastic energy (minus the hold torque's work) can only fall."""
    model = Model().with_values({**values, "reflex.gain": 0.0, "reflex.tone": 0.0})
    result = simulate(model, ClonusTest(hold_torque_nm=hold), duration_s=3.0)
    p = model.pack()
    d = kernel.derive(p)
    after = result.time_s >= result.events.hold_start_s
    theta, omega = result.angle_rad[after], result.velocity_rad_per_s[after]
    grid = np.linspace(theta.min() - 1e-3, theta.max() + 1e-3, 4001)
    elastic = np.array([kernel.static_torque(p, d, th, 0.0) for th in grid]) + hold
    potential = -np.concatenate([[0.0], np.cumsum(0.5 * (elastic[1:] + elastic[:-1]) * np.diff(grid))])
    energy = 0.5 * model.foot.inertia_kg_m2 * omega**2 + np.interp(theta, grid, potential)
    scale = max(np.ptp(energy), 1e-6)
    assert np.max(np.diff(energy)) < 2e-3 * scale
    assert energy[-1] < energy[0]

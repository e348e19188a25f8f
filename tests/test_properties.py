"""Property tests (hypothesis) of physical invariants."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reflexsim import ClonusTest, Model, SimulationError, clonus_metrics, kernel, simulate
from reflexsim.params import PATHS, describe

PROPERTY_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Upper-motor-neuron lesions: excitable, stiff, with tone and, in model v2, reduced post-activation
# depression (Aymard et al. 2000; the lesion presets use 0.012 per impulse). With healthy-level
# depression the clonic amplitude is held near the 1 deg beat threshold over a wide range of gains,
# so whether it outlasts a run need not grow with gain.
lesions = st.fixed_dictionaries(
    {
        "reflex.threshold_ips": st.floats(75.0, 115.0),
        "muscle.passive_scale": st.floats(1.0, 2.5),
        "reflex.tone": st.floats(0.0, 0.03),
        "reflex.delay_s": st.floats(0.02, 0.06),
        "reflex.depression_per_impulse": st.floats(0.0, 0.03),
    }
)


@PROPERTY_SETTINGS
@given(values=lesions, hold=st.floats(10.0, 50.0))
def test_zero_gain_never_sustains_oscillation(values, hold):
    model = Model().with_values({**values, "reflex.gain": 0.0})
    m = clonus_metrics(simulate(model, ClonusTest(hold_torque_nm=hold), duration_s=8.0))
    assert not m.ongoing and not m.over_10_s


@PROPERTY_SETTINGS
@given(values=lesions)
def test_more_gain_never_stops_an_ongoing_clonus(values):
    """Over a gain grid, once the clonus outlasts the run (ongoing), it does so at every higher gain.

    (Model v1 also had the duration to the last beat never fall with gain. In model v2 that is not
    so near the onset of clonus, where the 'beats' are the few large swings after the release
    (15-20 deg peak to peak) graded against the 1 deg threshold: with rising gain the clonus
    frequency rises, so the same beats end a few ms earlier (4 beats ending 0.7225 s after the hold
    at gain 6, 0.7180 s at gain 8), and a swing can miss the threshold (3 beats at gain 4, 2 at
    gain 5, 3 at gain 6). The same at dt / 4.)"""
    model = Model().with_values(values)
    ongoing_from = None
    for gain in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        m = clonus_metrics(simulate(model.with_values({"reflex.gain": gain}), duration_s=8.0))
        if ongoing_from is not None:
            assert m.ongoing and m.beats >= kernel.MIN_CLONUS_BEATS, (gain, ongoing_from, m)
        elif m.ongoing:
            ongoing_from = gain


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
        message = str(err)
        # failed at a time, a step too large, no resting angle, or (wide ranges: a 0.1 g·m² segment
        # on a 100 mm moment arm) no step down to 1 µs suits the model: each names its cause
        assert any(s in message for s in ("t = ", "dt_s", "resting angle", "no step of at least"))
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
    c, _ = kernel.constants(model.pack())
    after = result.time_s >= result.events.hold_start_s
    assert np.all(result.activation == 0.0)  # no drive: the contractile element carries no force
    theta, omega = result.angle_rad[after], result.velocity_rad_per_s[after]
    grid = np.linspace(theta.min() - 1e-3, theta.max() + 1e-3, 4001)
    elastic = np.array([kernel.static_torque(c, 0, th, 0.0) for th in grid]) + hold
    potential = -np.concatenate([[0.0], np.cumsum(0.5 * (elastic[1:] + elastic[:-1]) * np.diff(grid))])
    energy = 0.5 * model.foot.inertia_kg_m2 * omega**2 + np.interp(theta, grid, potential)
    scale = max(np.ptp(energy), 1e-6)
    assert np.max(np.diff(energy)) < 2e-3 * scale
    assert energy[-1] < energy[0]

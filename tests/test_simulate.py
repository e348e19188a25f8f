"""simulate(): the result object, sign conventions, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reflexsim import ClonusTest, Model, SimulationError, TorqueProfile, kernel, simulate
from reflexsim.presets import preset
from reflexsim.simulation import _simulation_error, step_limits


def test_result_has_named_arrays_of_equal_length(preset_runs):
    result, _ = preset_runs["severe"]
    arrays = result.arrays()
    n = len(result.time_s)
    assert n == round(12.0 / result.dt_s) + 1
    for name, values in arrays.items():
        assert values.shape == (n,), name
        assert np.all(np.isfinite(values)), name
    assert result.model is preset("severe")
    assert isinstance(result.protocol, ClonusTest)
    assert np.allclose(result.angle_deg, np.degrees(result.angle_rad))


def test_starts_at_rest(preset_runs):
    """History before t = 0 is the initial state: nothing moves before the stretch."""
    for result, _ in preset_runs.values():
        before = result.time_s < result.events.stretch_start_s
        assert np.ptp(result.angle_rad[before]) < 1e-12
        assert np.ptp(result.activation[before]) < 1e-12


def test_sign_conventions():
    """Dorsiflexing torque moves the foot to positive angles and stretches the calf; the
    triceps pulls negative (plantarflexing); the stretch raises the Ia rate."""
    result = simulate(preset("healthy"), ClonusTest(hold_torque_nm=20.0), duration_s=1.0)
    stretch = (result.time_s > result.events.stretch_start_s) & (result.time_s < result.events.stretch_end_s)
    assert np.all(result.velocity_rad_per_s[stretch][5:] > 0)
    assert result.angle_rad.max() > math.radians(9.0)
    assert np.all(result.muscle_torque_nm < 0)
    assert np.all(result.muscle_force_n > 0)
    assert result.spindle_rate_ips[stretch].max() > result.spindle_rate_ips[0] + 50


def test_torque_balance_at_every_sample(preset_runs):
    """The recorded torques add up to inertia times angular acceleration."""
    result, _ = preset_runs["severe"]
    inertia = result.model.foot.inertia_kg_m2
    acc = np.gradient(result.velocity_rad_per_s, result.dt_s)
    total = result.muscle_torque_nm + result.joint_torque_nm + result.external_torque_nm
    hold = result.time_s > result.events.hold_start_s + 0.01
    assert np.allclose(inertia * acc[hold][1:-1], total[hold][1:-1], atol=0.05)


def test_excitation_is_pool_output_delayed_by_reflex_delay(preset_runs):
    result, _ = preset_runs["healthy"]
    onset_rate = np.argmax(result.spindle_rate_ips > result.model.reflex.threshold_ips)
    onset_emg = np.argmax(result.excitation > result.excitation[0] + 1e-3)
    delay = (onset_emg - onset_rate) * result.dt_s
    assert delay == pytest.approx(result.model.reflex.delay_s, abs=3e-3)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"duration_s": -1.0}, "duration_s = -1.0 is outside its valid range"),
        ({"duration_s": "long"}, "duration_s = 'long' is not a number"),
        ({"dt_s": 0.0}, "dt_s = 0.0 is outside its valid range"),
        ({"dt_s": math.nan}, "dt_s = nan is outside its valid range"),
    ],
)
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(SimulationError) as err:
        simulate(Model(), **kwargs)
    assert fragment in str(err.value)


def test_bad_model_or_protocol_type():
    with pytest.raises(SimulationError, match="model must be a reflexsim Model"):
        simulate("severe")  # type: ignore[arg-type]
    with pytest.raises(SimulationError, match="protocol must be a reflexsim protocol"):
        simulate(Model(), protocol=42)  # type: ignore[arg-type]


def test_step_too_large_for_delay():
    model = Model().with_values({"reflex.delay_s": 0.005, "muscle.electromechanical_delay_s": 0.0})
    with pytest.raises(SimulationError, match=r"too large for the loop delay.*use dt_s <= 0.0025"):
        simulate(model, dt_s=0.004)


def test_step_too_large_for_stiffness():
    model = Model().with_values({"orthosis.stiffness_nm_per_rad": 2000.0})
    with pytest.raises(SimulationError, match="too large for the stiffness"):
        simulate(model, ClonusTest(hand_stiffness_nm_per_rad=20000.0), dt_s=0.003)


def test_step_too_large_for_active_muscle_is_reported_with_time_and_hint():
    with pytest.raises(SimulationError) as err:
        simulate(preset("severe"), dt_s=0.004)
    msg = str(err.value)
    assert "at t = " in msg and "force-velocity damping" in msg and "rerun with dt_s <=" in msg
    suggested = float(msg.rsplit("<=", 1)[1])
    assert suggested < 0.004


def test_unchecked_large_step_blows_up_and_is_reported():
    """With the activation guard off, a too-large step makes the kernel diverge; the status it
    returns becomes an error with the time and a smaller step to try, never a result."""
    model = Model().with_values({"foot.inertia_kg_m2": 0.005})
    compiled = ClonusTest(hand_stiffness_nm_per_rad=20000.0).compile(0.004)
    out = np.empty((3001, kernel.OUT_COLUMNS))
    status, k_fail, _ = kernel.integrate(
        model.pack(), compiled.segments, compiled.samples, compiled.theta_start_rad, 0.004, 3000, math.inf, out
    )
    assert status in (kernel.STATUS_NONFINITE, kernel.STATUS_OUT_OF_RANGE)
    assert 0 < k_fail < 3000
    err = _simulation_error(status, k_fail, 0.004, out, step_limits(model, compiled), model)
    assert f"t = {k_fail * 0.004:.4f} s" in str(err)
    assert "dt_s" in str(err) or "range" in str(err)


def test_no_equilibrium_for_initial_torque():
    """Without the anterior tissues nothing stops a large plantarflexing torque."""
    profile = TorqueProfile((0.0, 1.0), (-480.0, -480.0))
    with pytest.raises(SimulationError, match="no resting angle"):
        simulate(Model().with_values({"joint.pf_end_torque_nm": 0.0}), profile, duration_s=0.5)


def test_step_limits_grow_with_activation():
    limits = step_limits(preset("severe"), ClonusTest().compile(5e-4))
    assert limits.max_dt_s(1.0) < limits.max_dt_s(0.1) < limits.max_dt_s(0.0)
    assert limits.activation_limit(5e-4) > 0.3  # the default step covers clonic activation

"""simulate(): the result object, sign conventions, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reflexsim import ClonusTest, Model, SimulationError, TorqueProfile, kernel, simulate
from reflexsim.presets import preset
from reflexsim.simulation import DEFAULT_DT_S, _simulation_error, max_stable_dt


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
    assert {"ce_velocity_per_s", "reflex_efficacy"} <= set(arrays)


def test_starts_at_rest(preset_runs):
    """History before t = 0 is the initial state: nothing moves before the stretch."""
    for result, _ in preset_runs.values():
        before = result.time_s < result.events.stretch_start_s
        assert np.ptp(result.angle_rad[before]) < 1e-12
        assert np.ptp(result.activation[before]) < 1e-12
        assert np.max(np.abs(result.ce_velocity_per_s[before])) < 1e-12  # nothing stretches the series elasticity
        assert np.all(result.reflex_efficacy[before] == 1.0)  # no dynamic Ia discharge: rested transmission


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
    assert onset_rate > 0  # the brisk stretch does reach the recruitment threshold
    delay = (onset_emg - onset_rate) * result.dt_s
    assert delay == pytest.approx(result.model.reflex.delay_s, abs=3e-3)


def test_contractile_element_velocity_lags_the_joint_through_the_series_elasticity(preset_runs):
    """ce_velocity follows the joint's fibre velocity (dλ/dθ · ω) as a first-order lag with the
    series-elastic time constant: the recorded arrays satisfy d(ce)/dt = (dλ/dθ · ω − ce) / T."""
    result, _ = preset_runs["severe"]
    c, _ = kernel.constants(result.model.pack())
    joint = c[kernel.C_LAM_PER_RAD] * result.velocity_rad_per_s
    ce = result.ce_velocity_per_s
    rate = (joint - ce) * c[kernel.C_INV_SE_TIME]
    change = np.diff(ce)
    trapezoid = 0.5 * (rate[1:] + rate[:-1]) * result.dt_s
    assert np.max(np.abs(change - trapezoid)) < 1e-3 * np.max(np.abs(change))
    # a lag: during the stretch the contractile element lengthens more slowly than the joint
    stretch = (result.time_s > result.events.stretch_start_s) & (result.time_s <= result.events.stretch_end_s)
    assert np.all(ce[stretch] < joint[stretch]) and np.all(ce[stretch] > 0)


def test_post_activation_depression(preset_runs):
    """Efficacy starts rested (1), is depressed by the stretch's dynamic Ia discharge, stays in
    (0, 1], and stays at 1 without depression."""
    result, _ = preset_runs["severe"]
    efficacy = result.reflex_efficacy
    assert efficacy[0] == 1.0
    assert np.all(efficacy > 0.0) and np.all(efficacy <= 1.0)
    assert efficacy[result.time_s > result.events.stretch_end_s].min() < 1.0
    model = result.model.with_values({"reflex.depression_per_impulse": 0.0})
    assert np.all(simulate(model, duration_s=2.0).reflex_efficacy == 1.0)


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


def test_step_too_large_for_active_muscle_is_refused_with_a_step_that_works():
    """The step bound covers the fully activated muscle (force-velocity damping and series
    elasticity), so a step too large for clonic activation is refused before the run, with the
    largest step that works; that step runs."""
    model = Model().with_values({"muscle.max_force_n": 15000.0, "muscle.active_stiffness_per_torque": 10.0})
    compiled = ClonusTest().compile(DEFAULT_DT_S)
    limit = max_stable_dt(model, compiled)
    relaxed = max_stable_dt(model.with_values({"muscle.max_force_n": 0.0}), compiled)
    assert limit < relaxed  # the active muscle is part of the stiffness
    assert limit > DEFAULT_DT_S  # the default step covers a fully active muscle
    too_large = min(1.5 * limit, 5e-3)
    assert too_large > limit
    with pytest.raises(SimulationError) as err:
        simulate(model, dt_s=too_large)
    msg = str(err.value)
    assert "too large for the stiffness" in msg and "fully active muscle" in msg and "use dt_s <=" in msg
    suggested = float(msg.rsplit("<=", 1)[1].split()[0])
    assert suggested == pytest.approx(limit, rel=1e-2) and suggested < too_large
    result = simulate(model, duration_s=2.0, dt_s=0.99 * suggested)
    assert all(np.all(np.isfinite(a)) for a in result.arrays().values())


def test_unchecked_large_step_blows_up_and_is_reported():
    """Without the step check, a too-large step makes the kernel diverge; the status it returns
    becomes an error with the time and a smaller step to try, never a result."""
    model = Model().with_values({"foot.inertia_kg_m2": 0.005})
    compiled = ClonusTest(hand_stiffness_nm_per_rad=20000.0).compile(0.004)
    assert max_stable_dt(model, compiled) < 0.004  # simulate would refuse this step
    out = np.empty((3001, kernel.OUT_COLUMNS))
    status, k_fail, _ = kernel.run(
        model.pack(),
        compiled.segments,
        compiled.samples,
        compiled.theta_start_rad,
        0.004,
        3000,
        np.empty(0),
        out,
        np.empty(0),
    )
    assert status in (kernel.STATUS_NONFINITE, kernel.STATUS_OUT_OF_RANGE)
    assert 0 < k_fail < 3000
    err = _simulation_error(status, k_fail, 0.004)
    assert f"t = {k_fail * 0.004:.4f} s" in str(err)
    assert "dt_s" in str(err) or "range" in str(err)


def test_run_records_and_grades_in_one_pass():
    """`kernel.run` grades on the fly (ev, m) exactly as `detect` grades the recorded run, and a
    run that only grades follows the same trajectory as one that records."""
    model = preset("severe")
    result = simulate(model, duration_s=3.0)
    ev = result.events
    grading = np.zeros(kernel.N_EV)
    grading[kernel.EV_STRETCH_S] = ev.stretch_start_s
    grading[kernel.EV_HOLD_S] = ev.hold_start_s
    grading[kernel.EV_CATCH_END_S] = ev.catch_end_s
    grading[kernel.EV_BEAT_THRESHOLD_RAD] = math.radians(1.0)
    grading[kernel.EV_CATCH_NM] = 5.0
    grading[kernel.EV_SLIGHT_NM] = 1.0
    n = len(result.time_s) - 1
    out = np.empty((n + 1, kernel.OUT_COLUMNS))
    m = np.empty(kernel.N_METRICS)
    args = (model.pack(), ev.segments, ev.samples, ev.theta_start_rad, result.dt_s, n, grading)
    status, k_fail, hold = kernel.run(*args, out, m)
    assert (status, k_fail) == (kernel.STATUS_OK, -1)
    assert hold == result.holding_torque_nm
    assert np.array_equal(out[:, kernel.Y_THETA], result.angle_rad)
    assert np.array_equal(out[:, kernel.Y_EFFICACY], result.reflex_efficacy)
    assert np.array_equal(out[:, kernel.O_RATE], result.spindle_rate_ips)
    detected = kernel.detect(
        result.time_s, result.angle_rad, result.reflex_torque_nm, *grading[: kernel.EV_CATCH_NM], 5.0, 1.0
    )
    np.testing.assert_array_equal(m, detected)
    graded_only = np.empty(kernel.N_METRICS)
    assert kernel.run(*args, np.empty((0, kernel.OUT_COLUMNS)), graded_only)[:2] == (kernel.STATUS_OK, -1)
    np.testing.assert_array_equal(graded_only, m)


def test_no_equilibrium_for_initial_torque():
    """Without the anterior tissues nothing stops a large plantarflexing torque."""
    profile = TorqueProfile((0.0, 1.0), (-480.0, -480.0))
    with pytest.raises(SimulationError, match="no resting angle"):
        simulate(Model().with_values({"joint.pf_end_torque_nm": 0.0}), profile, duration_s=0.5)


def test_max_stable_dt_is_rk4_bound_of_the_stiffest_state():
    """With a very stiff examiner's hand the fastest mode is the foot on the hand's spring:
    |λ| ≈ sqrt(k / I), so the bound is RK4_STABILITY / sqrt(k / I). Stiffer hands, orthoses and
    lighter feet lower it; parameters that cannot make the system stiffer do not."""
    model = Model()
    inertia = model.foot.inertia_kg_m2
    stiff_hand = ClonusTest(hand_stiffness_nm_per_rad=20000.0, hand_damping_nms_per_rad=0.0).compile(5e-4)
    expected = kernel.RK4_STABILITY / math.sqrt(20000.0 / inertia)
    assert max_stable_dt(model, stiff_hand) == pytest.approx(expected, rel=0.05)
    compiled = ClonusTest().compile(5e-4)
    base = max_stable_dt(model, compiled)
    assert max_stable_dt(model, ClonusTest(hand_stiffness_nm_per_rad=5000.0).compile(5e-4)) < base
    assert max_stable_dt(model.with_values({"orthosis.stiffness_nm_per_rad": 2000.0}), compiled) < base
    assert max_stable_dt(model.with_values({"foot.inertia_kg_m2": 0.005}), compiled) < base
    assert max_stable_dt(model.with_values({"reflex.gain": 20.0, "reflex.tone": 0.3}), compiled) == base
    for name in ("healthy", "mild", "severe"):
        assert max_stable_dt(preset(name), compiled) > DEFAULT_DT_S, name


# An Ia ending with a steep, linear velocity response (30 imp/s per mm/s, fusimotor x3) and full
# post-activation depression: the brisk stretch makes the efficacy equation stiff
# (|λ| = depression · dynamic Ia rate ≈ 2e4 /s, so λ·dt ≈ 10 at the default step).
FAST_DEPRESSION = {
    "spindle.velocity_gain_ips": 30.0,
    "spindle.velocity_exponent": 1.0,
    "spindle.fusimotor_scale": 3.0,
    "reflex.depression_per_impulse": 0.5,
    "reflex.gain": 12.0,
    "reflex.threshold_ips": 92.0,
    "reflex.tone": 0.01,
    "muscle.passive_scale": 2.0,
}


def test_a_step_max_stable_dt_accepts_keeps_the_state_physical():
    """Either the step is refused before the run, or the run keeps efficacy in [0, 1] (the exact
    solution never leaves it) and agrees with a much finer step."""
    model = Model().with_values(FAST_DEPRESSION)
    try:
        result = simulate(model, duration_s=1.0, dt_s=DEFAULT_DT_S)
    except SimulationError as err:
        assert "too large for the stiffness" in str(err), str(err)
        return
    assert np.all(result.reflex_efficacy >= 0.0) and np.all(result.reflex_efficacy <= 1.0)
    fine = simulate(model, duration_s=1.0, dt_s=DEFAULT_DT_S / 16)
    assert np.max(np.abs(result.angle_deg - fine.angle_deg[::16])) < 0.01

"""System identification: the PRBS position perturbation, the second-order impedance fit against
the model's own stiffness and damping, the background-torque bisection, and input validation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from reflexsim import ParameterError, ProtocolError, kernel, simulate, stability
from reflexsim.identification import (
    actuator_torque,
    background_torque,
    identify_impedance,
    impedance_vs_torque,
    sweep_summary,
    sweep_table,
    tone_for_torque,
)
from reflexsim.presets import preset
from reflexsim.protocols import PositionPerturbation

DEG = math.pi / 180.0
# A passive, nearly linear ankle: reflex loop open, no tone, an orthosis spring and damper that
# dominate the (exponential) passive tissues; steps of ±0.2° keep it linear.
PASSIVE = preset("healthy").with_values(
    {"reflex.gain": 0.0, "orthosis.stiffness_nm_per_rad": 500.0, "orthosis.damping_nms_per_rad": 2.0}
)
SMALL = PositionPerturbation(amplitude_deg=0.2, duration_s=3.0)
# Stated tolerances of the identifier on that ankle (the inertia is the least well determined:
# the Savitzky-Golay smoothing and derivative filters disagree slightly at the servo's ~90 Hz).
INERTIA_RTOL, DAMPING_RTOL, STIFFNESS_RTOL = 0.02, 0.02, 0.005


@pytest.fixture(scope="module")
def passive_fit():
    result = simulate(PASSIVE, SMALL, duration_s=SMALL.end_s)
    return result, identify_impedance(result)


def _static_stiffness(model, theta):
    """-d(static torque)/d(theta) at rest by central differences of the kernel's own function."""
    c, _ = kernel.constants(model.pack())
    h = 1e-5

    def torque(th):
        return kernel.static_torque(c, 0, th, kernel.steady_activation(c, 0, th))

    return -(torque(theta + h) - torque(theta - h)) / (2 * h)


def test_prbs_levels_are_seeded_and_land_on_the_amplitude():
    p = PositionPerturbation(amplitude_deg=1.0, switch_s=0.1, ramp_s=0.01, duration_s=2.0, settle_s=0.2, seed=3)
    assert np.array_equal(p.levels(), replace(p).levels())
    assert not np.array_equal(p.levels(), replace(p, seed=4).levels())
    assert set(p.levels()) <= {-1.0, 1.0} and p.levels().size == 20
    c = p.compile(5e-4)
    starts = c.segments[:, kernel.SEG_START_STEP]
    assert np.all(np.diff(starts) > 0) and starts[0] == 0
    assert np.all(c.segments[:, kernel.SEG_MODE] == kernel.MODE_SERVO)
    held = c.segments[c.segments[:, kernel.SEG_A1] == 0.0, kernel.SEG_A0]
    assert np.allclose(np.abs(held[1:-1]), DEG)  # every hold between start and end sits at ±1°
    assert held[0] == 0.0 and held[-1] == 0.0  # held at angle_deg before and after the sequence
    assert c.stretch_start_s == pytest.approx(0.2) and c.stretch_end_s == pytest.approx(p.end_s) == 2.2
    # each ramp ends exactly where the next hold starts
    for row, nxt in zip(c.segments[:-1], c.segments[1:], strict=True):
        end = row[kernel.SEG_A0] + row[kernel.SEG_A1] * (nxt[kernel.SEG_START_STEP] - row[kernel.SEG_START_STEP]) * 5e-4
        assert end == pytest.approx(nxt[kernel.SEG_A0], abs=1e-12)


def test_actuator_torque_takes_the_mean_of_both_sides_of_a_jump():
    """A servo's damping acts on the reference velocity, so the recorded torque jumps by
    damping x change of slope at every ramp corner; the corrected torque sits halfway."""
    protocol = PositionPerturbation(duration_s=1.0, actuator_damping_nms_per_rad=20.0)
    result = simulate(preset("healthy"), protocol, duration_s=protocol.end_s + 0.1)
    corrected = actuator_torque(result)
    seg = result.events.segments
    steps = seg[1:, kernel.SEG_START_STEP].astype(int)
    jumps = 20.0 * np.diff(seg[:, kernel.SEG_A1])
    assert steps[-1] < result.time_s.size and np.all(jumps != 0.0)
    assert result.external_torque_nm[steps] - corrected[steps] == pytest.approx(0.5 * jumps, abs=1e-9)
    elsewhere = np.setdiff1d(np.arange(result.time_s.size), steps)
    assert corrected[elsewhere] == pytest.approx(result.external_torque_nm[elsewhere], abs=1e-9)


def test_servo_follows_the_prbs(passive_fit):
    result, _ = passive_fit
    assert np.max(np.abs(result.angle_deg)) < 0.2 * 1.3  # the light servo damping overshoots the ±0.2° steps a little
    assert np.ptp(result.angle_deg[result.time_s > SMALL.settle_s]) > 0.35


def test_identifier_recovers_the_passive_ankle(passive_fit):
    """I, B and K of the passive ankle against the model's inertia, damping parameters and the
    slope of the kernel's static torque."""
    _, fit = passive_fit
    assert fit.inertia_kg_m2 == pytest.approx(PASSIVE.foot.inertia_kg_m2, rel=INERTIA_RTOL)
    damping = PASSIVE.joint.damping_nms_per_rad + PASSIVE.orthosis.damping_nms_per_rad
    assert fit.damping_nms_per_rad == pytest.approx(damping, rel=DAMPING_RTOL)
    assert fit.stiffness_nm_per_rad == pytest.approx(_static_stiffness(PASSIVE, fit.mean_angle_rad), rel=STIFFNESS_RTOL)
    assert fit.vaf_percent > 99.9
    assert fit.damping_ratio == pytest.approx(
        fit.damping_nms_per_rad / (2 * math.sqrt(fit.stiffness_nm_per_rad * fit.inertia_kg_m2))
    )
    assert fit.residual_nm.shape == fit.time_s.shape
    assert fit.fit_window_s == pytest.approx((SMALL.settle_s + 0.75, SMALL.end_s))


def test_identifier_agrees_with_the_linearisation(passive_fit):
    """The same ankle through `stability.linearise` (held at the angle the servo holds)."""
    _, fit = passive_fit
    c, _ = kernel.constants(PASSIVE.pack())
    hold = -kernel.static_torque(c, 0, 0.0, kernel.steady_activation(c, 0, 0.0))
    lin = stability.linearise(PASSIVE, hold)
    assert lin.operating_point.angle_rad == pytest.approx(0.0, abs=1e-9)
    assert fit.stiffness_nm_per_rad == pytest.approx(lin.stiffness_nm_per_rad, rel=STIFFNESS_RTOL)
    assert fit.damping_nms_per_rad == pytest.approx(lin.damping_nms_per_rad, rel=DAMPING_RTOL)


def test_active_stiffness_lies_between_the_slow_and_fast_limits():
    """With a background contraction the muscle is a spring in series with a force-velocity
    damper: the identified K lies between the linearisation's slow limit (force-length slope only)
    and its fast limit (plus the series-elastic stiffness); the identified B stays below the slow
    limit of the damping."""
    model = preset("healthy").with_values({"reflex.gain": 0.0})
    model = model.with_values({"reflex.tone": tone_for_torque(model, 15.0)})
    protocol = PositionPerturbation(duration_s=3.0)
    fit = identify_impedance(simulate(model, protocol, duration_s=protocol.end_s))
    lin = stability.linearise(model, _holding(model))  # the servo's holding torque: rest at 0°
    assert lin.operating_point.angle_rad == pytest.approx(0.0, abs=1e-9)
    slow, fast = lin.stiffness_nm_per_rad, lin.stiffness_nm_per_rad + lin.series_elastic_stiffness_nm_per_rad
    assert slow < fit.stiffness_nm_per_rad < fast
    assert fit.damping_nms_per_rad < lin.damping_nms_per_rad
    assert fit.inertia_kg_m2 == pytest.approx(model.foot.inertia_kg_m2, rel=INERTIA_RTOL)


def _holding(model):
    c, _ = kernel.constants(model.pack())
    return -kernel.static_torque(c, 0, 0.0, kernel.steady_activation(c, 0, 0.0))


def _relaxed_holding(model):
    return _holding(model.with_values({"reflex.tone": 0.0}))


@pytest.mark.parametrize("target", [0.0, 5.0, 30.0])
def test_tone_for_torque_hits_the_target(target):
    model = preset("healthy")
    tone = tone_for_torque(model, target)
    assert 0.0 <= tone <= 0.3
    assert background_torque(model.with_values({"reflex.tone": tone})) == pytest.approx(target, abs=1e-6)
    assert _holding(model.with_values({"reflex.tone": tone})) - _relaxed_holding(model) == pytest.approx(
        target, abs=1e-6
    )


def test_sweep_tables_and_summary():
    protocol = PositionPerturbation(duration_s=1.5)
    points = impedance_vs_torque(preset("healthy"), [0.0, 10.0], protocol=protocol)
    off, on = sweep_table(points, False), sweep_table(points, True)
    assert off["target_torque_nm"].tolist() == on["target_torque_nm"].tolist() == [0.0, 10.0]
    assert off["measured_torque_nm"] == pytest.approx([0.0, 10.0], abs=0.25)
    summary = sweep_summary(points, 0.015)
    assert summary["rest_stiffness_nm_per_rad"] == off["stiffness_nm_per_rad"][0]
    assert summary["stiffness_per_torque_per_rad"] == pytest.approx(np.diff(off["stiffness_nm_per_rad"])[0] / 10.0)
    with pytest.raises(ParameterError, match="no runs with reflex_on = True"):
        sweep_table([p for p in points if not p.reflex_on], True)


# ---------------------------------------------------------------------------------------------
# Input validation: one clear line naming the field and its range.


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"amplitude_deg": 0.0}, "protocol.amplitude_deg = 0 is outside its valid range [0.05, 5] deg"),
        ({"switch_s": math.nan}, "protocol.switch_s = nan is not finite"),
        ({"seed": 1.5}, "protocol.seed = 1.5 is not a whole number; valid range [0, 1e+09]"),
        ({"seed": -1}, "protocol.seed = -1 is outside its valid range [0, 1e+09]"),
        ({"seed": "a"}, "protocol.seed = 'a' is not a number"),
        ({"ramp_s": 0.2, "switch_s": 0.15}, "protocol.ramp_s = 0.2 s must be shorter than protocol.switch_s = 0.15 s"),
        ({"angle_deg": 45.0}, "protocol.angle_deg = 45 is outside its valid range [-30, 30] deg"),
    ],
)
def test_position_perturbation_validation(kwargs, fragment):
    with pytest.raises(ProtocolError) as err:
        PositionPerturbation(**kwargs)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_seed_is_an_int():
    assert PositionPerturbation(seed=7.0).seed == 7
    assert isinstance(PositionPerturbation(seed=7.0).seed, int)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"fit_window": (2.0, 1.0)}, "fit_window = (2, 1) s must satisfy 0 <= start < end <= 3.5 s"),
        ({"fit_window": (0.0, 9.0)}, "fit_window = (0, 9) s must satisfy 0 <= start < end <= 3.5 s"),
        ({"fit_window": "all"}, "fit_window = 'all' must be two times (start, end) in s"),
        ({"fit_window": (1.0, 1.02)}, "fit_window = (1, 1.02) s holds 41 samples; the fit needs at least 110"),
        ({"smoothing_s": 0.5}, "smoothing_s = 0.5 is outside its valid range [0.002, 0.1] s"),
        ({"smoothing_s": None}, "smoothing_s = None is not a number; valid range [0.002, 0.1] s"),
    ],
)
def test_identify_impedance_validation(passive_fit, kwargs, fragment):
    result, _ = passive_fit
    with pytest.raises(ParameterError) as err:
        identify_impedance(result, **kwargs)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_identify_impedance_needs_a_result():
    with pytest.raises(ParameterError, match="result must be a reflexsim Result"):
        identify_impedance("run")


@pytest.mark.parametrize(
    ("torque", "angle", "fragment"),
    [
        (500.0, 0.0, "torque_nm = 500.0 is outside its valid range [0, 69.2"),
        (-1.0, 0.0, "torque_nm = -1.0 is outside its valid range [0, "),
        (math.nan, 0.0, "torque_nm = nan is outside its valid range [0, "),
        ("x", 0.0, "torque_nm = 'x' is not a number"),
        (5.0, 60.0, "angle_deg = 60.0 is outside its valid range [-30, 30] deg"),
    ],
)
def test_tone_for_torque_validation(torque, angle, fragment):
    with pytest.raises(ParameterError) as err:
        tone_for_torque(preset("healthy"), torque, angle)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)

"""Parameters: metadata, validation, dotted paths, packing, presets."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from reflexsim import Model, ParameterError, kernel
from reflexsim.params import PATHS, describe, parse_value
from reflexsim.presets import DESCRIPTIONS, PRESETS, preset

GAIN_MAX = describe("reflex.gain").hi  # the upper end of the gain range is a calibration choice


def test_every_parameter_has_unit_range_doc_and_source():
    for info in Model().info():
        assert info.unit, info.path
        assert info.doc and info.source, info.path
        assert info.lo <= info.default <= info.hi, info.path


def test_layout_matches_kernel_and_pack_order():
    model = Model().with_values({"reflex.gain": 3.25, "foot.inertia_kg_m2": 0.02})
    packed = model.pack()
    assert packed.shape == (kernel.N_PARAMS,)
    assert packed[kernel.P_GAIN] == 3.25
    assert packed[kernel.P_INERTIA] == 0.02
    for i, path in enumerate(kernel.PARAM_PATHS):
        assert packed[i] == model.get(path)
    assert set(PATHS) == set(kernel.PARAM_PATHS)


def test_with_values_returns_new_validated_copy():
    base = Model()
    changed = base.with_values({"reflex.gain": 2.0, "reflex.delay_s": 0.05}, name="x")
    assert base.reflex.gain == 1.0 and changed.reflex.gain == 2.0
    assert changed.reflex.delay_s == 0.05 and changed.name == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.reflex.gain = 5.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("reflex.gain", -1.0, f"reflex.gain = -1 is outside its valid range [0, {GAIN_MAX:g}] (dimensionless)"),
        ("reflex.delay_s", 0.5, "reflex.delay_s = 0.5 is outside its valid range [0.005, 0.15] s"),
        ("muscle.max_force_n", math.nan, "muscle.max_force_n = nan is not finite"),
        ("foot.inertia_kg_m2", math.inf, "foot.inertia_kg_m2 = inf is not finite"),
        ("reflex.tone", "high", "reflex.tone = 'high' is not a number"),
        ("reflex.tone", True, "reflex.tone = True is not a number"),
    ],
)
def test_invalid_values_name_field_and_range(path, value, fragment):
    with pytest.raises(ParameterError) as err:
        Model().with_values({path: value})
    assert fragment in str(err.value)


def test_stop_angle_accepts_inf_meaning_no_stop():
    assert Model().orthosis.stop_angle_rad == math.inf
    assert Model().with_values({"orthosis.stop_angle_rad": 0.1}).orthosis.stop_angle_rad == 0.1


def test_unknown_path_suggests_close_match():
    with pytest.raises(ParameterError, match=r"did you mean 'reflex\.gain'"):
        Model().with_values({"reflex.gian": 1.0})
    with pytest.raises(ParameterError, match=r"valid paths: foot\.inertia_kg_m2"):
        Model().get("nonsense")


def test_parse_value():
    assert parse_value("reflex.gain", "2.5") == 2.5
    with pytest.raises(ParameterError, match="is not a number; valid range"):
        parse_value("reflex.gain", "two")


def test_describe_default_and_as_dict_json_safe():
    info = describe("orthosis.stop_angle_rad")
    assert info.value == math.inf
    assert info.as_dict()["value"] == "inf"


def test_presets_are_valid_named_and_within_ranges():
    assert set(PRESETS) == {"healthy", "mild", "severe"} == set(DESCRIPTIONS)
    for name, model in PRESETS.items():
        assert model.name == name
        for info in model.info():
            assert info.lo <= info.value <= info.hi
    # Lesions, as the presets module documents them: each is more excitable than the healthy ankle
    # (lower threshold, higher gain), has stiffer passive muscle (x1.5-2.5) and less post-activation
    # depression; severe is at least as abnormal as mild in each respect. (Only the directions are
    # checked: the values are being recalibrated for model v2.)
    h, m, s = preset("healthy"), preset("mild"), preset("severe")
    assert h.reflex.gain == 1.0
    for lesion in (m, s):
        assert lesion.reflex.threshold_ips < h.reflex.threshold_ips
        assert lesion.reflex.gain > h.reflex.gain
        assert h.muscle.passive_scale < lesion.muscle.passive_scale <= 2.5
        assert lesion.reflex.depression_per_impulse <= h.reflex.depression_per_impulse
    assert s.reflex.threshold_ips <= m.reflex.threshold_ips
    assert s.reflex.gain >= m.reflex.gain
    assert s.muscle.passive_scale >= m.muscle.passive_scale
    assert s.reflex.depression_per_impulse <= m.reflex.depression_per_impulse


def test_unknown_preset():
    with pytest.raises(ParameterError, match="unknown preset 'moderate'; valid presets: healthy, mild, severe"):
        preset("moderate")


def test_passive_fit_reproduces_riener_edrich_dorsiflexion_term():
    """The triceps passive fibre force is the R&E dorsiflexion-end term refitted to fibre
    length: at the default geometry the two must agree across the range."""
    c, _ = kernel.constants(Model().pack())
    for deg in (-20.0, -10.0, 0.0, 10.0, 20.0):
        theta = math.radians(deg)
        active, passive = kernel.muscle_forces(c, 0, theta, 0.0, 0.0, True, False)
        assert active == 0.0  # a relaxed muscle pulls with its passive force only
        tau = c[kernel.C_TORQUE_PER_FORCE] * passive
        expected = math.exp(2.1016 - 0.0843 * (-deg))  # R&E, angle positive in plantarflexion
        assert tau == pytest.approx(expected, rel=2e-3)


def test_resting_angle_is_plantarflexed_like_the_relaxed_foot():
    c, _ = kernel.constants(Model().pack())
    theta = kernel.equilibrium_angle(c, 0, 0.0)
    assert -25.0 < math.degrees(theta) < -10.0
    assert np.isfinite(theta)
    # it is a rest: the static torques balance there, with the reflex in steady state
    act = kernel.steady_activation(c, 0, theta)
    assert abs(kernel.static_torque(c, 0, theta, act)) < 1e-9


def test_constants_record_fills_lane_zero_and_flags_the_rare_terms():
    """`kernel.constants` fills lane 0 of a LOCKSTEP_LANES-wide record; `extras` is set exactly
    when a lane needs foot gravity, an orthosis stop or muscle fatigue."""
    c, extras = kernel.constants(Model().pack())
    assert c.shape == (kernel.CONST_SIZE,) and not extras
    assert c[kernel.C_INV_INERTIA] == 1.0 / Model().foot.inertia_kg_m2
    assert not np.any(c[kernel.C_INV_INERTIA + 1 : kernel.C_INV_INERTIA + kernel.LOCKSTEP_LANES])
    for changes in (
        {"foot.gravity_m_per_s2": 9.81},
        {"orthosis.stop_angle_rad": 0.1},
        {"muscle.fatigue_rate_per_s": 0.01},
    ):
        assert kernel.constants(Model().with_values(changes).pack())[1], changes
    # a stop with zero stiffness or at infinity is no stop; gravity with the centre of mass on the axis is none
    for changes in (
        {"orthosis.stop_angle_rad": 0.1, "orthosis.stop_stiffness_nm_per_rad": 0.0},
        {"foot.gravity_m_per_s2": 9.81, "foot.com_distance_m": 0.0},
    ):
        assert not kernel.constants(Model().with_values(changes).pack())[1], changes


def test_state_layout():
    assert kernel.N_STATES == len(kernel.STATE_NAMES) == 6
    names = dict(zip(kernel.STATE_NAMES, range(kernel.N_STATES), strict=True))
    assert names == {
        "theta": kernel.Y_THETA,
        "omega": kernel.Y_OMEGA,
        "activation": kernel.Y_ACT,
        "activation_rate": kernel.Y_ACT_RATE,
        "ce_velocity": kernel.Y_CE_VELOCITY,
        "efficacy": kernel.Y_EFFICACY,
    }
    assert kernel.OUT_COLUMNS == kernel.N_STATES + 3
    assert {kernel.O_U, kernel.O_RATE, kernel.O_CAPACITY} == set(range(kernel.N_STATES, kernel.OUT_COLUMNS))


def test_model_doc_lists_every_parameter():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text()
    for info in Model().info():
        assert f"`{info.path}` | {info.default:g} |" in doc, f"docs/model.md is stale for {info.path}"
    # the whole table, ranges, meanings and sources included (`reflexsim params --markdown`)
    for row in Model().markdown_table().splitlines():
        assert row in doc, f"docs/model.md is stale (regenerate with reflexsim params --markdown): {row[:80]}"

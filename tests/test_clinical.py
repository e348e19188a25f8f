"""Clinical protocols: Tardieu test, passive range, ramp-and-hold, bias test, toe-first landing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reflexsim import ProtocolError, clonus_metrics, simulate
from reflexsim.clinical import dorsiflexion_range_deg, tardieu_test
from reflexsim.presets import preset
from reflexsim.protocols import BiasTest, RampAndHold, TardieuStretch, ToeLanding
from reflexsim.treatments import apply_all


@pytest.fixture(scope="module")
def tardieu():
    return {name: tardieu_test(preset(name)) for name in ("healthy", "mild", "severe")}


def test_tardieu_grades_rise_with_lesion_and_velocity(tardieu):
    healthy, mild, severe = tardieu["healthy"], tardieu["mild"], tardieu["severe"]
    assert [s.label for s in healthy.stretches] == ["V1", "V2", "V3"]
    assert healthy.by_label("V1").grade == 0 and healthy.by_label("V2").grade == 0
    assert healthy.by_label("V3").grade <= 1 and math.isnan(healthy.r1_catch_deg)
    assert mild.by_label("V3").grade == 3 and severe.by_label("V3").grade == 4
    for result in (mild, severe):
        grades = [s.grade for s in result.stretches]
        assert grades == sorted(grades)  # faster stretch, stronger reaction
        assert math.isfinite(result.by_label("V3").catch_angle_deg)


def test_passive_range_of_the_healthy_ankle_and_after_stretching(tardieu):
    r2 = tardieu["healthy"].r2_range_deg
    assert 10.0 <= r2 <= 20.0  # knee-extended dorsiflexion range
    stretched = dorsiflexion_range_deg(apply_all(preset("healthy"), ["stretching"]))
    assert stretched > r2 + 1.0  # right after a 30-min session the calf is less stiff
    later = dorsiflexion_range_deg(apply_all(preset("healthy"), ["stretching:minutes_since=240"]))
    assert later == pytest.approx(r2, abs=0.2)  # and that has worn off within hours
    assert tardieu["severe"].r2_range_deg < tardieu["mild"].r2_range_deg < r2  # stiffer, more tonic


def test_tardieu_stretch_ends_under_the_held_pressure():
    """After the stretch the examiner keeps the dorsiflexing pressure on: a healthy foot comes to rest
    where that pressure balances it (the passive range under 30 N·m)."""
    model = preset("healthy")
    protocol = TardieuStretch(velocity_deg_per_s=10.0)
    result = simulate(model, protocol, duration_s=protocol.settle_s + protocol.stretch_duration_s + 2.0)
    assert result.angle_deg[-1] == pytest.approx(dorsiflexion_range_deg(model, protocol.hold_torque_nm), abs=0.05)


def test_ramp_and_hold_keeps_position():
    result = simulate(preset("severe"), RampAndHold(stretch_deg=8.0), duration_s=1.0)
    assert result.angle_deg[-1] == pytest.approx(8.0, abs=0.3)


def test_large_bias_suppresses_clonus():
    """A large enough sustained dorsiflexing bias suppresses clonus (Arch Phys Med Rehabil 1977)."""
    severe = preset("severe")
    moderate = clonus_metrics(simulate(severe, BiasTest(bias_torque_nm=30.0)))
    large = clonus_metrics(simulate(severe, BiasTest(bias_torque_nm=100.0)))
    assert moderate.over_10_s and moderate.ongoing
    assert not large.ongoing and large.scats <= 1


def test_toe_landing_orthoses_limit_the_stretch_and_the_clonus():
    severe = preset("severe")
    runs = {}
    for label, specs in {"none": [], "leaf": ["afo_leaf_spring"], "wedge": ["afo_leaf_spring:wedge_deg=10"]}.items():
        result = simulate(apply_all(severe, specs), ToeLanding(), duration_s=3.0)
        runs[label] = (result.angle_deg.max(), np.degrees(result.velocity_rad_per_s.max()), clonus_metrics(result))
    assert runs["leaf"][0] < runs["none"][0] and runs["wedge"][0] < runs["leaf"][0]
    assert runs["leaf"][1] < runs["none"][1]
    assert runs["wedge"][2].beats < runs["none"][2].beats


def test_protocol_validation():
    with pytest.raises(ProtocolError, match=r"protocol\.bias_torque_nm = -5 is outside"):
        BiasTest(bias_torque_nm=-5.0)
    with pytest.raises(ProtocolError, match=r"protocol\.velocity_deg_per_s = 0 is outside"):
        TardieuStretch(velocity_deg_per_s=0.0)
    with pytest.raises(ProtocolError, match=r"protocol\.body_mass_kg = 500 is outside"):
        ToeLanding(body_mass_kg=500.0)

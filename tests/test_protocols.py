"""Protocols: validation and how they land on the integration grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reflexsim import ClonusTest, ProtocolError, TorqueProfile, clonus_metrics, kernel, simulate
from reflexsim.presets import preset


def test_clonus_test_events_on_grid():
    c = ClonusTest(stretch_deg=10.0, velocity_deg_per_s=250.0, settle_s=0.2).compile(5e-4)
    assert c.stretch_start_s == pytest.approx(0.2)
    assert c.hold_start_s == pytest.approx(0.24)
    assert c.segments[:, kernel.SEG_START_STEP].tolist() == [0, 400, 480]
    assert c.segments[-1, kernel.SEG_A0] == 30.0  # hold torque
    # the ramp reaches exactly the commanded amplitude on the grid
    ramp = c.segments[1]
    assert ramp[kernel.SEG_A1] * (c.hold_start_s - c.stretch_start_s) == pytest.approx(math.radians(10.0))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"stretch_deg": 0.0}, "protocol.stretch_deg = 0 is outside its valid range [0.5, 40] deg"),
        ({"velocity_deg_per_s": -5}, "protocol.velocity_deg_per_s = -5 is outside"),
        ({"hold_torque_nm": math.nan}, "protocol.hold_torque_nm = nan is not finite"),
        ({"start_deg": "up"}, "protocol.start_deg = 'up' is not a number"),
    ],
)
def test_clonus_test_validation(kwargs, fragment):
    with pytest.raises(ProtocolError) as err:
        ClonusTest(**kwargs)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("time_s", "torque_nm", "fragment"),
    [
        ((0.0, 1.0), (1.0,), "same non-zero length"),
        ((0.0, 0.0), (1.0, 2.0), "strictly increasing"),
        ((0.0, 1.0), (1.0, math.inf), "finite"),
        ((0.0, 1.0), (1.0, 900.0), "valid range [-500, 500] N·m"),
    ],
)
def test_torque_profile_validation(time_s, torque_nm, fragment):
    with pytest.raises(ProtocolError) as err:
        TorqueProfile(time_s, torque_nm)
    assert fragment in str(err.value)


def test_torque_profile_starts_at_rest_and_follows_samples():
    """A step of dorsiflexing torque on the healthy ankle: rest first, then a new, more
    dorsiflexed rest; the applied torque is the sampled one."""
    profile = TorqueProfile((0.0, 0.5, 0.5001, 3.0), (0.0, 0.0, 20.0, 20.0), hold_start_s=0.5)
    result = simulate(preset("healthy"), profile, duration_s=3.0)
    assert result.velocity_rad_per_s[0] == 0.0
    assert np.allclose(result.angle_rad[:900], result.angle_rad[0], atol=1e-12)
    assert np.allclose(result.ce_velocity_per_s[:900], 0.0, atol=1e-12)
    assert np.all(result.reflex_efficacy[:900] == 1.0)
    assert result.external_torque_nm[-1] == pytest.approx(20.0)
    assert result.angle_deg[-1] > result.angle_deg[0] + 5.0
    assert abs(result.velocity_rad_per_s[-1]) < 1e-3
    assert abs(result.ce_velocity_per_s[-1]) < 1e-3  # at rest the series elasticity has caught up
    assert clonus_metrics(result).beats < 3

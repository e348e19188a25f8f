"""Muscle fatigue: a force capacity lost with activation and recovered at rest (off by default)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from reflexsim import ClonusTest, clonus_metrics, kernel, simulate
from reflexsim.presets import preset
from reflexsim.reference import solve_reference
from reflexsim.simulation import DEFAULT_DT_S

PARALYSED = {"muscle.fatigue_rate_per_s": 0.040}  # FI 0.31 (Burke test), params' documented value
STRONG = {"muscle.fatigue_rate_per_s": 0.1}  # the top of the range: effects large enough to measure


def test_fatigue_is_off_by_default_and_changes_nothing_then():
    result = simulate(preset("severe"), duration_s=3.0)
    assert np.all(result.force_capacity == 1.0)
    assert not kernel.constants(preset("severe").pack())[1]  # the lean lockstep path still serves it


@pytest.mark.parametrize(("rate", "fatigue_index"), [(0.0050, 0.85), (0.040, 0.31)])
def test_documented_rates_reproduce_the_burke_fatigue_index(rate, fatigue_index):
    """Burke test: 330 ms trains at 40 Hz (full activation) every second for 2 min. The capacity
    advanced step by step with activation 1 during trains and 0 between them ends at the fatigue
    index the rate was calibrated on, with the default 300-s recovery acting meanwhile (within 2 %:
    the calibration averaged the duty cycle)."""
    model = preset("healthy").with_values({"muscle.fatigue_rate_per_s": rate})
    c, _ = kernel.constants(model.pack())
    dt = 0.001
    for k in range(120_000):
        act = 1.0 if (k * dt) % 1.0 < 1.0 / 3.0 else 0.0
        c[kernel.C_CAPACITY] = kernel.advance_capacity(c, 0, act, act, dt, False)
    assert c[kernel.C_CAPACITY] == pytest.approx(fatigue_index, rel=0.02)


def test_capacity_follows_its_law_over_the_recorded_activation():
    """An independent integration of F' = (1 - F)/tau - r a(t) F over the run's own activation
    (interpolated, solved with DOP853) matches the kernel's step-by-step capacity."""
    model = preset("severe").with_values(STRONG)
    result = simulate(model, duration_s=10.0)
    r, tau = model.muscle.fatigue_rate_per_s, model.muscle.fatigue_recovery_s

    def rhs(t, f):
        a = np.interp(t, result.time_s, result.activation)
        return (1.0 - f) / tau - r * a * f

    ref = solve_ivp(
        rhs, (0.0, 10.0), [1.0], method="DOP853", t_eval=result.time_s, rtol=1e-10, atol=1e-12, max_step=0.001
    )
    assert np.max(np.abs(ref.y[0] - result.force_capacity)) < 1e-5
    assert result.force_capacity[-1] < 0.95  # and fatigue did act


def test_fatigue_agrees_with_the_independent_reference_solver():
    """scipy's DOP853 integrates the capacity as one more ODE; the kernel holds it per step. The angle
    agrees as closely as without fatigue, while fatigue itself moves the angle by much more."""
    model, duration = preset("severe").with_values(STRONG), 4.0
    _t, states = solve_reference(
        model, ClonusTest(), duration_s=duration, grid_dt_s=DEFAULT_DT_S, method="DOP853", rtol=1e-10, atol=1e-12
    )
    fine = simulate(model, duration_s=duration, dt_s=DEFAULT_DT_S / 4)
    error_deg = np.degrees(np.max(np.abs(fine.angle_rad[::4] - states[:, kernel.Y_THETA])))
    fresh = simulate(preset("severe"), duration_s=duration, dt_s=DEFAULT_DT_S / 4)
    effect_deg = np.degrees(np.max(np.abs(fine.angle_rad - fresh.angle_rad)))
    assert error_deg < 0.005 and effect_deg > 20 * error_deg


def test_sweep_kernels_agree_with_simulate_under_fatigue():
    xr = pytest.importorskip("xarray")  # noqa: F841
    from reflexsim.sweep import sweep, zipped

    base = preset("severe")
    rates = [0.0, 0.04, 0.1]
    expected = [
        clonus_metrics(simulate(base.with_values({"muscle.fatigue_rate_per_s": r}), duration_s=6.0)) for r in rates
    ]
    for kernel_name in ("lockstep", "exact"):
        ds = sweep(
            base, zipped({"muscle.fatigue_rate_per_s": rates}), duration_s=6.0, kernel_name=kernel_name, progress=False
        )
        assert ds.beats.values.tolist() == [m.beats for m in expected]
        np.testing.assert_allclose(ds.frequency_hz.values, [m.frequency_hz for m in expected], rtol=1e-9)


def test_a_minute_of_clonus_fatigues_a_paralysed_muscle_without_stopping_the_clonus():
    """One spike per unit per cycle is a light load (physiology-joints.md §3): over 60 s the
    paralysed muscle keeps most of its force and keeps beating; the beats get smaller."""
    fresh = simulate(preset("severe"), duration_s=60.0)
    tired = simulate(preset("severe").with_values(PARALYSED), duration_s=60.0)
    assert 0.8 < tired.force_capacity[-1] < 0.97
    m_fresh, m_tired = clonus_metrics(fresh), clonus_metrics(tired)
    assert m_tired.ongoing and abs(m_tired.beats - m_fresh.beats) <= 2
    late = fresh.time_s > 55.0
    swing = [np.ptp(r.angle_deg[late]) for r in (fresh, tired)]
    assert swing[1] < swing[0]
    assert math.isfinite(m_tired.frequency_hz)

"""The beat detector and clinical grades, on signals whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reflexsim import ClonusTest, kernel, simulate
from reflexsim.metrics import beats_table, clonus_metrics, metrics_from_vector
from reflexsim.presets import preset
from reflexsim.traces import Trace


def _detect(t, theta, reflex=None, t_hold=0.0, threshold_deg=1.0):
    reflex = np.zeros_like(t) if reflex is None else reflex
    m = kernel.detect(t, theta, reflex, 0.0, t_hold, 0.3, math.radians(threshold_deg), 5.0, 1.0)
    return metrics_from_vector(m)


def test_sustained_sinusoid():
    t = np.arange(0, 12.0, 5e-4)
    theta = np.radians(2.0) * np.sin(2 * np.pi * 5.5 * t)
    m = _detect(t, theta)
    assert m.frequency_hz == pytest.approx(5.5, rel=1e-3)
    assert m.beats == pytest.approx(12 * 5.5, abs=2)
    assert m.max_peak_to_peak_deg == pytest.approx(4.0, rel=1e-3)
    assert m.ongoing and m.over_10_s
    assert m.scats == 3 and m.tardieu == 4
    assert abs(m.decay_per_s) < 1e-3


def test_decaying_oscillation_duration_and_decay():
    t = np.arange(0, 12.0, 5e-4)
    rate = 0.5
    theta = np.radians(6.0) * np.exp(-rate * t) * np.sin(2 * np.pi * 4.0 * t)
    m = _detect(t, theta)
    # p2p = 12 deg * exp(-rate t) falls below 1 deg at t = ln(12)/rate
    assert m.duration_s == pytest.approx(math.log(12) / rate, abs=0.3)
    assert m.decay_per_s == pytest.approx(rate, rel=0.05)
    assert not m.ongoing and not m.over_10_s
    assert m.scats == 2 and m.tardieu == 3


def test_small_oscillation_below_threshold_is_not_a_beat():
    t = np.arange(0, 5.0, 5e-4)
    theta = np.radians(0.4) * np.sin(2 * np.pi * 6.0 * t)  # 0.8 deg peak to peak
    m = _detect(t, theta)
    assert m.beats == 0 and m.scats == 0 and math.isnan(m.frequency_hz)


def test_beats_only_counted_after_hold():
    t = np.arange(0, 4.0, 5e-4)
    theta = np.where(t < 2.0, np.radians(3.0) * np.sin(2 * np.pi * 5.0 * t), 0.0)
    assert _detect(t, theta, t_hold=2.0).beats == 0


def test_ringing_right_after_a_beat_is_not_a_beat():
    """A second maximum less than 1/15 s after a beat (the foot ringing, e.g. on a stiff orthosis)
    is not counted, even when it rises and falls by more than the threshold: a 5 Hz clonus with a
    1.5 deg ring 30 ms after every beat still has 5 Hz beats of 4 deg peak to peak."""
    knots_t, knots_v = [0.0], [0.0]
    for k in range(20):
        t0 = 0.1 + 0.2 * k
        knots_t += [t0, t0 + 0.015, t0 + 0.03, t0 + 0.1]  # beat, ring down, ring up (< 1/15 s), trough
        knots_v += [2.0, 0.5, 2.0, -2.0]
    t = np.arange(0, 4.2, 5e-4)
    m = _detect(t, np.radians(np.interp(t, knots_t, knots_v)))
    assert kernel.MIN_BEAT_INTERVAL_S == 1.0 / 15.0
    assert m.beats == 20
    assert m.frequency_hz == pytest.approx(5.0, rel=1e-9)
    assert m.max_peak_to_peak_deg == pytest.approx(4.0, rel=1e-9)
    assert m.duration_s == pytest.approx(0.1 + 0.2 * 19, abs=1e-9)


@pytest.mark.parametrize(
    ("beats", "duration", "scats"),
    [(0, 0.0, 0), (2, 1.0, 0), (3, 0.5, 1), (10, 2.99, 1), (10, 3.0, 2), (50, 10.0, 2), (60, 10.01, 3)],
)
def test_scats_bands(beats, duration, scats):
    assert kernel.grade_scats(beats, duration) == scats


@pytest.mark.parametrize(
    ("beats", "duration", "reflex", "grade"),
    [(0, 0.0, 0.0, 0), (2, 0.0, 1.5, 1), (2, 0.0, 6.0, 2), (5, 2.0, 6.0, 3), (80, 11.0, 6.0, 4)],
)
def test_tardieu_grades(beats, duration, reflex, grade):
    assert kernel.grade_tardieu(beats, duration, reflex, 5.0, 1.0) == grade


def test_metrics_json_ready(preset_runs):
    _, m = preset_runs["healthy"]
    d = m.as_dict()
    assert d["frequency_hz"] is None  # NaN becomes null
    assert set(d) >= {"beats", "frequency_hz", "duration_s", "sustained", "scats", "tardieu"}


# --------------------------------------------------------------------------------------------- renamed fields


def test_deprecated_names_warn_and_keep_their_meaning():
    t = np.arange(0, 12.0, 5e-4)
    m = _detect(t, np.radians(2.0) * np.sin(2 * np.pi * 5.5 * t))
    with pytest.warns(DeprecationWarning, match="max_peak_to_peak_deg"):
        assert m.peak_to_peak_deg == m.max_peak_to_peak_deg
    with pytest.warns(DeprecationWarning, match="over_10_s and ongoing"):
        assert m.sustained == (m.over_10_s and m.ongoing) is True
    d = m.as_dict()  # JSON keeps the old keys for one release
    assert d["peak_to_peak_deg"] == d["max_peak_to_peak_deg"] and d["sustained"] is True


def test_over_10_s_is_not_ongoing():
    """Clonus of 11 s that died 3 s before the end: over 10 s (SCATS 3, Tardieu 4), not ongoing."""
    t = np.arange(0, 14.0, 5e-4)
    theta = np.where(t < 11.0, np.radians(2.0) * np.sin(2 * np.pi * 5.0 * t), 0.0)
    m = _detect(t, theta)
    assert m.over_10_s and not m.ongoing and m.scats == 3 and m.tardieu == 4
    short = _detect(t[t < 8.0], theta[t < 8.0])
    assert short.ongoing and not short.over_10_s and short.scats == 2


# --------------------------------------------------------------------------------------------- per-beat table


def _table_agrees(table, m, t_hold=0.0):
    """The table and the metrics come from one detector run: they must tell the same story."""
    assert len(table) == m.beats
    if m.beats == 0:
        return
    assert table.peak_to_peak_deg.max() == pytest.approx(m.max_peak_to_peak_deg, rel=1e-12)
    assert table.peak_to_peak_deg[-1] == pytest.approx(m.last_peak_to_peak_deg, rel=1e-12)
    assert np.all(table.interval_s[1:] >= kernel.MIN_BEAT_INTERVAL_S)
    assert np.all(table.dorsiflexion_s > 0) and np.all(table.trough_time_s >= t_hold)
    # a beat's plantarflexion and the next beat's dorsiflexion make up the interval between them
    np.testing.assert_allclose(table.plantarflexion_s[:-1] + table.dorsiflexion_s[1:], table.interval_s[1:])
    if m.beats >= kernel.MIN_CLONUS_BEATS:
        assert 1.0 / np.mean(table.interval_s[1:][-10:]) == pytest.approx(m.frequency_hz, rel=1e-12)
        assert table.time_s[-1] - t_hold == pytest.approx(m.duration_s, rel=1e-12)
    else:
        assert math.isnan(m.frequency_hz)


@pytest.mark.parametrize("name", ["healthy", "mild", "severe"])
def test_beats_table_agrees_with_the_metrics(preset_runs, name):
    result, m = preset_runs[name]
    table = beats_table(result)
    assert table.metrics.as_dict() == m.as_dict()
    _table_agrees(table, m, result.events.hold_start_s)
    if m.beats >= kernel.MIN_CLONUS_BEATS:  # the simulated reflex drives every clonic beat
        assert table.beats_with_burst == len(table)
        # once the rhythm has settled (the first two beats are the stretch's rebound), each burst
        # starts in the beat's dorsiflexion, a loop delay after the trough, before the peak
        lead = (table.time_s - table.burst_onset_s)[2:]
        assert np.all((lead > 0) & (lead < table.dorsiflexion_s[2:]))


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(0.01, 0.4), st.floats(-6.0, 6.0)), min_size=2, max_size=80),
    threshold=st.floats(0.3, 3.0),
)
def test_beats_table_agrees_on_any_zigzag(steps, threshold):
    """Random piecewise-linear angles (durations 10-400 ms, moves of up to ±6°): table and metrics agree."""
    knots_t = np.cumsum([0.0] + [d for d, _ in steps])
    knots_v = np.cumsum([0.0] + [v for _, v in steps])
    t = np.arange(0.0, knots_t[-1], 1e-3)
    theta = np.radians(np.interp(t, knots_t, knots_v))
    trace = Trace(t, theta, None, None, stretch_start_s=0.0, hold_start_s=0.0, catch_end_s=0.3)
    table = beats_table(trace, beat_threshold_deg=threshold)
    m = clonus_metrics(trace, beat_threshold_deg=threshold)
    assert table.metrics.as_dict() == m.as_dict()
    _table_agrees(table, m)
    assert np.all(table.peak_to_peak_deg >= threshold)


def test_ringing_is_not_in_the_table():
    knots_t, knots_v = [0.0], [0.0]
    for k in range(20):
        t0 = 0.1 + 0.2 * k
        knots_t += [t0, t0 + 0.015, t0 + 0.03, t0 + 0.1]
        knots_v += [2.0, 0.5, 2.0, -2.0]
    t = np.arange(0, 4.2, 5e-4)
    trace = Trace(t, np.radians(np.interp(t, knots_t, knots_v)), None, None, 0.0, 0.0, 0.3)
    table = beats_table(trace)
    np.testing.assert_allclose(table.time_s, 0.1 + 0.2 * np.arange(20))
    # the trough before each beat (after the first) is the deep one, not the ring's
    np.testing.assert_allclose(table.trough_time_s[1:], 0.2 + 0.2 * np.arange(19))
    np.testing.assert_allclose(table.peak_to_peak_deg[1:], 4.0)


@pytest.mark.parametrize("hold_torque_nm", [30.0, 80.0, 150.0])
def test_no_reflex_no_clonus_under_any_hold(hold_torque_nm):
    """Without the reflex (gain 0) the held foot's oscillation is damped within a cycle: at most the
    stretch's own overshoot counts as a beat, however hard the examiner pushes."""
    model = preset("severe").with_values({"reflex.gain": 0.0})
    table = beats_table(simulate(model, ClonusTest(hold_torque_nm=hold_torque_nm), duration_s=4.0))
    assert len(table) <= 1 and table.beats_with_burst == 0

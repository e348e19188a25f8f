"""The beat detector and clinical grades, on signals whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reflexsim import kernel
from reflexsim.metrics import metrics_from_vector


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
    assert m.peak_to_peak_deg == pytest.approx(4.0, rel=1e-3)
    assert m.ongoing and m.sustained
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
    assert not m.ongoing and not m.sustained
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
    assert m.peak_to_peak_deg == pytest.approx(4.0, rel=1e-9)
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

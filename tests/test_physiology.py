"""The physiology targets of physiology.md §8 that the core model must meet, on the presets.

Each assertion uses the sheet's numbers as written. Where the model misses one, the test is
marked xfail(strict=True) with the reason, so that the miss stays visible in every test run and
a fix that meets the target turns the run red until the marker goes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reflexsim import clonus_metrics, simulate
from reflexsim.presets import preset
from reflexsim.validation import simulated_onset_gain


def test_target1_severe_lesion_gives_sustained_clonus(preset_runs):
    _, m = preset_runs["severe"]
    assert m.sustained and m.ongoing
    assert m.scats == 3 and m.tardieu == 4
    assert m.duration_s > 10.0
    assert m.last_peak_to_peak_deg > 1.5  # visible beating, not a numerical ripple


@pytest.mark.xfail(
    strict=True,
    reason="the beating clonus is 3.3-3.9 Hz (its onset, 4.6 Hz, is in the band): force-velocity damping and "
    "the rectified reflex's plantarflexing drift slow large oscillations; see docs/validation.md",
)
def test_target1_severe_clonus_frequency_4_to_8_hz(preset_runs):
    _, m = preset_runs["severe"]
    assert 4.0 <= m.frequency_hz <= 8.0
    assert 125.0 <= m.period_ms <= 250.0


def test_target1_severe_clonus_frequency_in_observed_clinical_band(preset_runs):
    """Wider band the clinical literature reports (3-8 Hz; Hidler & Rymer 2000 saw 3.8-5.8 Hz
    under applied loads): the model is in it, at its low end."""
    _, m = preset_runs["severe"]
    assert 3.0 <= m.frequency_hz <= 8.0


def test_target2_healthy_reflex_burst_without_clonus(preset_runs):
    result, m = preset_runs["healthy"]
    assert m.beats < 3 and not m.sustained and m.scats == 0
    stretch_start = result.events.stretch_start_s
    burst = (result.excitation > result.excitation[0] + 0.01) & (result.time_s >= stretch_start)
    assert burst.any(), "the brisk stretch must evoke a reflex burst"
    onset_ms = 1000 * (result.time_s[np.argmax(burst)] - stretch_start)
    assert 40.0 <= onset_ms <= 45.0
    assert m.tardieu <= 1


def test_mild_lesion_gives_fatigable_clonus(preset_runs):
    _, m = preset_runs["mild"]
    assert m.beats >= 3 and not m.ongoing
    assert 3.0 <= m.duration_s < 10.0
    assert m.tardieu == 3 and m.scats == 2


def test_target3_duration_rises_with_gain_through_all_bands():
    model = preset("mild")
    scats, tardieu, durations = [], [], []
    for gain in np.arange(1.0, 8.01, 0.25):
        m = clonus_metrics(simulate(model.with_values({"reflex.gain": gain})))
        durations.append(np.inf if m.ongoing else m.duration_s)
        scats.append(m.scats)
        tardieu.append(m.tardieu)
    assert all(b >= a for a, b in itertools.pairwise(durations))
    assert {0, 1, 2, 3} <= set(scats)
    assert {3, 4} <= set(tardieu)


def test_target4_short_delay_stabilises_the_severe_lesion():
    """Hidler & Rymer 1999: with the same (severe) excitability, clonus needs a long loop."""
    severe = preset("severe")
    for delay in (0.01, 0.02):
        m = clonus_metrics(simulate(severe.with_values({"reflex.delay_s": delay})))
        assert not m.ongoing and m.scats <= 1, delay
    for delay in (0.04, 0.05):
        m = clonus_metrics(simulate(severe.with_values({"reflex.delay_s": delay})))
        assert m.sustained, delay
        healthy_excitability = severe.with_values({"reflex.delay_s": delay, "reflex.gain": 1.0})
        assert clonus_metrics(simulate(healthy_excitability)).scats == 0


def test_target5_longer_delay_lowers_frequency_andsimulated_onset_gain():
    severe = preset("severe")
    delays = (0.03, 0.04, 0.05, 0.06)
    freqs = [clonus_metrics(simulate(severe.with_values({"reflex.delay_s": d}))).frequency_hz for d in delays]
    crit = [simulated_onset_gain(severe.with_values({"reflex.delay_s": d})) for d in delays]
    assert all(b < a for a, b in itertools.pairwise(freqs)), freqs
    assert all(b < a for a, b in itertools.pairwise(crit)), crit

"""Targets 6-9 of physiology.md §8 (1-5 are in test_physiology.py) and the agreement between
simulation and the linear analysis."""

from __future__ import annotations

import pytest

from reflexsim import validation
from reflexsim.presets import preset


@pytest.mark.parametrize("target", [validation.target6, validation.target7, validation.target8])
def test_treatment_targets_pass(target):
    result = target()
    assert result.verdict == "pass", result.model


@pytest.mark.parametrize("delay_s", [0.02, 0.04, 0.06])
def test_simulated_onset_lies_on_the_hopf_boundary(delay_s):
    """A tiny perturbation stops decaying within 2 % of the linear critical gain, and oscillates
    within 2 % of the predicted crossing frequency."""
    onset = validation.compare_onset(preset("severe"), delay_s)
    assert abs(onset.linear_error) < 0.02
    assert abs(onset.frequency_error) < 0.02


def test_clonus_test_onset_is_supercritical_above_the_boundary():
    """The standard clonus test first leaves beats >= 1° going ~18 % above the linear boundary:
    the Hopf bifurcation is supercritical (the oscillation grows from zero amplitude), so a
    beat threshold sees it late; below the boundary the big stretch does not sustain clonus."""
    onset = validation.compare_onset(preset("severe"), 0.04)
    assert onset.kind == "supercritical"
    assert 1.05 < onset.clonus_test_ratio < 1.4


def test_subcritical_clonus_is_detected_with_sharp_recruitment():
    """With sharp motoneuron recruitment a big stretch sustains clonus below the linear boundary
    (the finding the stability analysis reports): the classification must say so."""
    sharp = preset("severe").with_values({"reflex.recruitment_width_ips": 1.0})
    onset = validation.compare_onset(sharp, 0.04)
    assert onset.kind == "subcritical", onset


def test_every_target_reports():
    for target in validation.TARGETS:
        result = target()
        assert result.verdict in {"pass", "partial", "fail"}
        assert result.model and result.source and result.figure.startswith("figures/")

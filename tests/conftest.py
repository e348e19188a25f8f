"""Shared fixtures: the standard clonus test on each preset, simulated once per session."""

from __future__ import annotations

import pytest

from reflexsim import ClonusMetrics, Result, clonus_metrics, simulate
from reflexsim.presets import preset


@pytest.fixture(scope="session")
def preset_runs() -> dict[str, tuple[Result, ClonusMetrics]]:
    runs = {}
    for name in ("healthy", "mild", "severe"):
        result = simulate(preset(name))
        runs[name] = (result, clonus_metrics(result))
    return runs

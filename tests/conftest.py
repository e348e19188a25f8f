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


@pytest.fixture
def interrupt_after():
    """`interrupt_after(n)`: an `on_chunk` callback for sweeps that records the chunks it sees and
    raises KeyboardInterrupt at the n-th, as Ctrl-C would."""

    def make(n: int):
        seen: list[int] = []

        def on_chunk(report) -> None:
            seen.append(report.index)
            if len(seen) == n:
                raise KeyboardInterrupt

        return on_chunk

    return make

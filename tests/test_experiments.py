"""Every experiment script runs (quick mode) and writes its figure and numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "experiments"
# Named one by one so that a new script has to be added here (and so run in CI); they all share
# experiments/_common.py (argument parsing, output folder), which every run below exercises.
EXPERIMENTS = [
    "afo_design",
    "botox_timecourse",
    "clonus_test",
    "convergence",
    "fatigue",
    "joints",
    "reflex_loop",
    "sensitivity",
    "stability_map",
    "system_id",
    "tardieu",
    "treatment_comparison",
    "triggers",
    "validate",
    "virtual_trial",
]


def test_every_experiment_is_listed():
    assert sorted(p.stem for p in FOLDER.glob("[!_]*.py")) == sorted(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_quick(name, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(FOLDER / f"{name}.py"), "--quick", "--outdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmp_path.glob("*.png")), "no figure written"
    assert list(tmp_path.glob("*.json")) or list(tmp_path.glob("*.csv")), "no numbers written"

"""Every experiment script runs (quick mode) and writes its figure and numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXPERIMENTS = sorted((Path(__file__).resolve().parent.parent / "experiments").glob("[!_]*.py"))


@pytest.mark.parametrize("script", EXPERIMENTS, ids=[s.stem for s in EXPERIMENTS])
def test_experiment_runs_quick(script, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--outdir", str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmp_path.glob("*.png")), "no figure written"
    assert list(tmp_path.glob("*.json")) or list(tmp_path.glob("*.csv")), "no numbers written"

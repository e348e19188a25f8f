"""Find and run the experiment scripts in the repository's `experiments/` folder."""

from __future__ import annotations

import ast
import difflib
import subprocess
import sys
from pathlib import Path

from .errors import ReflexsimError

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"


def _scripts() -> dict[str, Path]:
    if not EXPERIMENTS_DIR.is_dir():
        raise ReflexsimError(
            f"no experiments folder at {EXPERIMENTS_DIR}: experiments come with a source checkout "
            "(pip install -e . from the repository)"
        )
    return {p.stem: p for p in sorted(EXPERIMENTS_DIR.glob("*.py")) if not p.stem.startswith("_")}


def list_experiments() -> dict[str, str]:
    """Experiment name -> the question its docstring opens with."""
    listing = {}
    for name, path in _scripts().items():
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        listing[name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return listing


def run_experiment(name: str, *, quick: bool = False) -> int:
    """Run one experiment script as a student would (`python experiments/NAME.py`)."""
    scripts = _scripts()
    if name not in scripts:
        close = difflib.get_close_matches(name, scripts, n=2)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise ReflexsimError(f"unknown experiment {name!r}; {hint}available: {', '.join(scripts)}")
    command = [sys.executable, str(scripts[name])] + (["--quick"] if quick else [])
    return subprocess.run(command, check=False).returncode

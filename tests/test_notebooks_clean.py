"""The notebooks in notebooks/ are committed without outputs (they run in CI, not in git).

Pure JSON: no Jupyter needed. Fix a failure with `python notebooks/strip_outputs.py`.
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "use the default python3 kernel"
    assert "widgets" not in nb["metadata"], f"{path.name}: widget state in the metadata"
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None or "execution" in cell.get("metadata", {}))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts (run notebooks/strip_outputs.py)"

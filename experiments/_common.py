"""Small helpers shared by the experiment scripts (output folder and --quick)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FIGURES = Path(__file__).resolve().parent.parent / "figures"


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a fast, coarse run (used by CI)")
    parser.add_argument(
        "--outdir", type=Path, default=None, help="where to write the figure and numbers (default figures/)"
    )
    args = parser.parse_args()
    if args.outdir is None:  # quick runs never overwrite the committed figures
        args.outdir = FIGURES / "quick" if args.quick else FIGURES
    args.outdir.mkdir(parents=True, exist_ok=True)
    return args


def save_numbers(path: Path, numbers: dict) -> None:
    path.write_text(json.dumps(numbers, indent=2, default=float) + "\n")

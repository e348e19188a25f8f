"""Standard figures, drawn on plain matplotlib Figures (no pyplot state, no GUI backend needed).

Matplotlib is imported lazily so that importing reflexsim stays light."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .metrics import ClonusMetrics
from .simulation import Result

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

SCATS_WORDS = {0: "no clonus", 1: "mild, < 3 s", 2: "moderate, 3–10 s", 3: "severe, > 10 s"}
TARDIEU_WORDS = {
    0: "no resistance",
    1: "slight resistance",
    2: "clear catch, then release",
    3: "fatigable clonus < 10 s",
    4: "unfatigable clonus > 10 s",
    5: "joint immobile",
}


def clonus_test_figure(result: Result, metrics: ClonusMetrics, *, title: str | None = None) -> Figure:
    """Four stacked panels (angle, excitation/activation, muscle force, Ia rate) with the
    stretch shaded and the start of the hold marked."""
    from matplotlib.figure import Figure

    ev = result.events
    t = result.time_s
    fig = Figure(figsize=(9.0, 8.5), layout="constrained")
    axes = fig.subplots(4, 1, sharex=True)
    ax_angle, ax_drive, ax_force, ax_ia = axes

    ax_angle.plot(t, result.angle_deg, color="C0", lw=1.2)
    ax_angle.set_ylabel("ankle angle (°)\n+ = dorsiflexion")
    ax_drive.plot(t, result.excitation, color="C3", lw=0.9, label="excitation (EMG-like)")
    ax_drive.plot(t, result.activation, color="C1", lw=1.4, label="activation (after twitch)")
    ax_drive.set_ylabel("fraction of\nfull recruitment")
    ax_drive.legend(loc="upper right", fontsize=8, frameon=False)
    ax_force.plot(t, result.muscle_force_n, color="C2", lw=1.2)
    ax_force.set_ylabel("triceps surae\nforce (N)")
    ax_ia.plot(t, result.spindle_rate_ips, color="C4", lw=0.9)
    ax_ia.axhline(result.model.reflex.threshold_ips, color="0.4", ls=":", lw=1)
    ax_ia.text(t[-1], result.model.reflex.threshold_ips, " reflex threshold", va="bottom", ha="right", fontsize=8)
    ax_ia.set_ylabel("spindle Ia\nrate (imp/s)")
    ax_ia.set_xlabel("time (s)")

    for ax in axes:
        ax.axvspan(ev.stretch_start_s, ev.stretch_end_s, color="0.85", zorder=0)
        ax.axvline(ev.hold_start_s, color="0.5", ls="--", lw=0.8)
        ax.grid(alpha=0.3)
    ax_angle.annotate(
        "stretch",
        xy=(ev.stretch_start_s, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(2, -12),
        textcoords="offset points",
        fontsize=8,
    )
    ax_angle.annotate(
        "hold (sustained pressure)",
        xy=(ev.hold_start_s, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -24),
        textcoords="offset points",
        fontsize=8,
    )
    summary = summary_line(metrics)
    heading = title or f"Clonus test — {result.model.name}"
    fig.suptitle(f"{heading}\n{summary}", fontsize=10)
    return fig


def summary_line(metrics: ClonusMetrics) -> str:
    freq = "—" if np.isnan(metrics.frequency_hz) else f"{metrics.frequency_hz:.2f} Hz"
    dur = f"{'≥ ' if metrics.ongoing else ''}{metrics.duration_s:.1f} s"
    return (
        f"{metrics.beats} beats · {freq} · clonus {dur} · "
        f"SCATS {metrics.scats} ({SCATS_WORDS[metrics.scats]}) · Tardieu {metrics.tardieu}"
    )


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure (made without pyplot, so no GUI backend is involved), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path

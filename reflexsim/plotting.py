"""Standard figures, drawn on plain matplotlib Figures (no pyplot state, no GUI backend needed).

Matplotlib is imported lazily so that importing reflexsim stays light."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .metrics import ClonusMetrics
from .simulation import Result

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .fitting import FitResult
    from .params import Model
    from .stability import HopfBoundary

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
    stretch shaded and the start of the hold marked: the clonus test at a glance.

    The reflex threshold is drawn on the Ia panel; the title carries `summary_line`.

    Parameters
    ----------
    result : Result
        A simulated run, e.g. of the clonus test.
    metrics : ClonusMetrics
        Its grades, ``clonus_metrics(result)``.
    title : str, optional
        First title line; default ``"Clonus test — MODEL NAME"``.

    Returns
    -------
    matplotlib.figure.Figure
        A plain Figure (no pyplot state); save it with `save_figure`.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.plotting import clonus_test_figure
    >>> result = rs.simulate(rs.preset("healthy"), duration_s=2.0)
    >>> fig = clonus_test_figure(result, rs.clonus_metrics(result))
    >>> type(fig).__name__, len(fig.axes)
    ('Figure', 4)
    """
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
    """One line of the clinical read-out: beats, frequency, duration (≥ while ongoing), SCATS and
    Tardieu, with the SCATS grade in words (`SCATS_WORDS`).

    Parameters
    ----------
    metrics : ClonusMetrics
        The grades of a run.

    Returns
    -------
    str
        Fields separated by " · "; the frequency is "—" with fewer than 3 beats.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.plotting import summary_line
    >>> result = rs.simulate(rs.preset("healthy"), duration_s=2.0)
    >>> summary_line(rs.clonus_metrics(result))
    '1 beats · — · clonus 0.0 s · SCATS 0 (no clonus) · Tardieu 1'
    """
    freq = "—" if np.isnan(metrics.frequency_hz) else f"{metrics.frequency_hz:.2f} Hz"
    dur = f"{'≥ ' if metrics.ongoing else ''}{metrics.duration_s:.1f} s"
    return (
        f"{metrics.beats} beats · {freq} · clonus {dur} · "
        f"SCATS {metrics.scats} ({SCATS_WORDS[metrics.scats]}) · Tardieu {metrics.tardieu}"
    )


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure (made without pyplot, so no GUI backend is involved), creating the folder;
    written under a temporary name and renamed, so a failure leaves no partial file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or pathlib.Path
        Output file; its suffix picks the format (.png, .svg, .pdf, ...; none: matplotlib's
        ``savefig.format``). Missing folders are created.
    dpi : int, default 120
        Resolution of raster formats, dots per inch.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    Not run as a doctest: it writes a file.

    >>> import reflexsim as rs
    >>> from reflexsim.plotting import clonus_test_figure, save_figure
    >>> result = rs.simulate(rs.preset("severe"))
    >>> save_figure(clonus_test_figure(result, rs.clonus_metrics(result)), "figures/my_test.png")  # doctest: +SKIP
    PosixPath('figures/my_test.png')
    """
    from matplotlib import rcParams

    from .files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = path.suffix.lstrip(".").lower() or rcParams["savefig.format"]
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=kind))


def reflex_loop_figure(model: Model) -> Figure:
    """The stretch-reflex loop as a diagram: spindle → afferent → spinal cord → motoneuron →
    muscle → ankle → spindle, with the model's delays, gain and threshold, and where each
    treatment acts.

    Parameters
    ----------
    model : Model
        The model whose values are written into the boxes.

    Returns
    -------
    matplotlib.figure.Figure
        A plain Figure with one axes (no pyplot state).

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.plotting import reflex_loop_figure
    >>> len(reflex_loop_figure(preset("severe")).axes)
    1
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    m, r, s = model.muscle, model.reflex, model.spindle
    fig = Figure(figsize=(10, 7), layout="constrained")
    ax = fig.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 7)
    ax.axis("off")
    boxes = {
        "spindle": (
            0.3,
            3.0,
            "Muscle spindle (Ia)",
            f"rate ∝ stretch velocity^{s.velocity_exponent:g}\n+ length; fusimotor ×{s.fusimotor_scale:g}",
        ),
        "cord": (
            3.6,
            5.3,
            "Spinal cord: motoneuron pool",
            f"gain ×{r.gain:g}, threshold {r.threshold_ips:g} imp/s\ntone {r.tone:g}; smooth recruitment",
        ),
        "muscle": (
            7.0,
            3.0,
            "Triceps surae",
            f"Hill muscle, F_max {m.max_force_n:.0f} N\n"
            f"twitch {1000 * m.contraction_time_s:.0f} ms + EMD {1000 * m.electromechanical_delay_s:.0f} ms",
        ),
        "ankle": (
            3.6,
            0.5,
            "Ankle and foot",
            f"I = {1000 * model.foot.inertia_kg_m2:g} g·m²; passive ×{m.passive_scale:g}\n"
            "+ = dorsiflexion (stretches the calf)",
        ),
    }
    for x, y, title, body in boxes.values():
        ax.add_patch(FancyBboxPatch((x, y), 2.7, 1.2, boxstyle="round,pad=0.08", fc="#eef3fa", ec="#34495e"))
        ax.text(x + 1.35, y + 0.88, title, ha="center", fontsize=10, weight="bold")
        ax.text(x + 1.35, y + 0.38, body, ha="center", va="center", fontsize=8)

    def arrow(a, b, text, rad=0.0, dx=0.0, dy=0.0):
        ax.add_patch(
            FancyArrowPatch(
                a, b, arrowstyle="-|>", mutation_scale=18, lw=1.6, color="#34495e", connectionstyle=f"arc3,rad={rad}"
            )
        )
        ax.text((a[0] + b[0]) / 2 + dx, (a[1] + b[1]) / 2 + dy, text, ha="center", fontsize=8.5, color="#1f3a5f")

    delay_ms = 1000 * r.delay_s
    arrow((1.6, 4.3), (3.55, 5.8), f"Ia afferent\n(loop delay {delay_ms:.0f} ms in all)", rad=-0.2, dx=-0.7, dy=0.2)
    arrow((6.4, 5.8), (8.3, 4.3), "α efferent", rad=-0.2, dx=0.6, dy=0.2)
    arrow((8.3, 2.95), (6.35, 1.2), "force × moment arm\n(plantarflexing torque)", rad=-0.2, dx=0.8, dy=-0.2)
    arrow((3.55, 1.2), (1.6, 2.95), "calf stretch", rad=-0.2, dx=-0.6, dy=-0.2)

    treat = {
        "cord": (4.95, 6.65, "baclofen (threshold ↑) · tizanidine, diazepam (gain ↓) · rhizotomy (input ↓)"),
        "muscle": (9.2, 2.05, "Botox, neurotomy\n(force ↓)\ncooling (slower\ntwitch)"),
        "spindle": (0.75, 2.5, "Botox, cooling\n(sensitivity ↓)"),
        "ankle": (4.95, 0.1, "AFO (stiffness, stop, heel wedge) · stretching (passive ↓)"),
    }
    for x, y, text in treat.values():
        ax.text(x, y, text, ha="center", fontsize=8, style="italic", color="#8e44ad")
    ax.text(
        4.95,
        3.6,
        f"{model.name}\nclonus = the loop's delay + slow twitch\noscillating when gain is high enough",
        ha="center",
        va="center",
        fontsize=9,
        color="0.3",
    )
    ax.text(0.05, 6.85, "where treatments act", fontsize=8, style="italic", color="#8e44ad")
    return fig


def hopf_boundary_figure(curves: Sequence[tuple[str, Model, HopfBoundary]]) -> Figure:
    """Hopf boundaries (critical reflex gain against one parameter) of one or more models, each
    with its own operating point marked, and the crossing frequency along them.

    Parameters
    ----------
    curves : sequence of tuple
        (label, model, HopfBoundary) per model, all over the same parameter path; a path ending
        in ``_s`` is drawn in ms.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: critical gain (with each model's own gain marked) and crossing frequency.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.plotting import hopf_boundary_figure
    >>> from reflexsim.stability import hopf_boundary
    >>> severe = preset("severe")
    >>> boundary = hopf_boundary(
    ...     severe, "reflex.delay_s", [0.03, 0.05], gain_range=(0.0, 2.0), scan_points=5, n_chebyshev=10
    ... )
    >>> fig = hopf_boundary_figure([("severe", severe, boundary)])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['reflex.delay_s (ms)', 'reflex.delay_s (ms)']
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.5, 4), layout="constrained")
    ax_gain, ax_freq = fig.subplots(1, 2)
    path = curves[0][2].path
    scale, unit = (1000.0, "ms") if path.endswith("_s") else (1.0, "")
    top = 8.0
    for i, (label, model, boundary) in enumerate(curves):
        x = np.asarray(boundary.values) * scale
        color = f"C{i}"
        ax_gain.plot(x, boundary.critical_gain, "-", color=color, lw=1.5, label=f"{label}: boundary")
        ax_gain.plot(model.get(path) * scale, model.reflex.gain, "o", color=color, ms=7, label=f"{label}: now")
        ax_freq.plot(x, boundary.frequency_hz, "-", color=color, label=label)
        if np.isfinite(boundary.critical_gain).any():
            top = max(top, float(np.nanmax(boundary.critical_gain)) * 1.15)
    if path == "reflex.delay_s":
        ax_gain.axvline(40.0, color="0.6", ls=":", lw=1)
    ax_gain.text(0.5, 0.93, "above a curve: clonus (unstable)", transform=ax_gain.transAxes, ha="center", color="C3")
    ax_gain.text(0.5, 0.03, "below: stable", transform=ax_gain.transAxes, ha="center", color="0.3")
    label_x = f"{path} ({unit})" if unit else path
    ax_gain.set_xlabel(label_x)
    ax_gain.set_ylabel("critical reflex gain (× healthy)")
    ax_gain.set_ylim(0, top)
    ax_gain.legend(fontsize=7, loc="center right")
    ax_freq.set_xlabel(label_x)
    ax_freq.set_ylabel("predicted clonus frequency at onset (Hz)")
    ax_freq.legend(fontsize=8)
    for ax in (ax_gain, ax_freq):
        ax.grid(alpha=0.3)
    fig.suptitle("Linear stability of the held ankle (no curve: stable for every gain up to 20)", fontsize=10)
    return fig


def fit_figure(fit: FitResult) -> Figure:
    """A fit at a glance: the recorded and fitted angle overlaid (offset and drift of the fit
    removed as the fit removes them), the EMG envelope if recorded, the angle residual, and each
    free parameter's profile deviance with its confidence threshold.

    Parameters
    ----------
    fit : FitResult
        A fit from `reflexsim.fitting.fit`.

    Returns
    -------
    matplotlib.figure.Figure
        A plain Figure (no pyplot state); save it with `save_figure`.

    Examples
    --------
    Not run as a doctest: a fit runs a global search and profiles (seconds to minutes).

    >>> import reflexsim as rs
    >>> from reflexsim.fitting import fit, synthetic_recording
    >>> from reflexsim.plotting import fit_figure
    >>> recording = synthetic_recording(rs.simulate(rs.preset("mild"), duration_s=6.0))
    >>> result = fit(recording, "severe", free=("reflex.gain",))  # doctest: +SKIP
    >>> round(result.parameters[0].value, 1)  # doctest: +SKIP
    1.8
    >>> fig = fit_figure(result)  # doctest: +SKIP
    """
    from matplotlib.figure import Figure
    from scipy import stats

    trace, run = fit.trace, fit.fitted
    shift = run.events.stretch_start_s - trace.stretch_start_s  # recording -> simulation clock
    t = trace.time_s + shift
    keep = t >= 0.0
    t = t[keep]
    assert trace.angle_rad is not None  # fit refuses a trace without an angle
    recorded = np.degrees(trace.angle_rad[keep])
    simulated = np.interp(t, run.time_s, run.angle_deg)
    basis = np.column_stack([np.ones_like(t), t - t.mean()])
    coef, *_ = np.linalg.lstsq(basis, recorded - simulated, rcond=None)
    fitted = simulated + basis @ coef
    has_emg = trace.envelope is not None
    n_free = len(fit.parameters)
    fig = Figure(figsize=(10.0, 7.5 + (1.8 if has_emg else 0.0)), layout="constrained")
    rows = 3 + int(has_emg)
    grid = fig.add_gridspec(rows, max(n_free, 1), height_ratios=[2.0] + ([1.3] if has_emg else []) + [0.9, 1.4])
    ax_angle = fig.add_subplot(grid[0, :])
    ax_angle.plot(t, recorded, color="0.55", lw=0.8, label="recorded")
    ax_angle.plot(t, fitted, color="C0", lw=1.1, label="fitted model")
    ax_angle.set_ylabel("ankle angle (°, dorsiflexion +)")
    ax_angle.legend(loc="upper right", frameon=False)
    shown = ", ".join(f"{p.path.split('.')[-1]} = {p.value:.4g}" for p in fit.parameters)
    ax_angle.set_title(f"{trace.source or 'recorded trace'}: {shown}", fontsize=10)
    row = 1
    if has_emg:
        ax_emg = fig.add_subplot(grid[row, :], sharex=ax_angle)
        env = np.asarray(trace.envelope)[keep]
        exc = np.interp(t, run.time_s, run.excitation)
        design = np.column_stack([exc, np.ones_like(exc)])
        scale, *_ = np.linalg.lstsq(design, env, rcond=None)
        ax_emg.plot(t, env, color="0.55", lw=0.8, label="recorded EMG envelope")
        ax_emg.plot(t, design @ scale, color="C3", lw=1.0, label="model excitation (scaled)")
        ax_emg.set_ylabel(f"EMG ({trace.envelope_unit})")
        ax_emg.legend(loc="upper right", frameon=False)
        row += 1
    ax_res = fig.add_subplot(grid[row, :], sharex=ax_angle)
    ax_res.plot(t, recorded - fitted, color="0.3", lw=0.6)
    ax_res.axhline(0.0, color="k", lw=0.5)
    ax_res.set_ylabel("residual (°)")
    ax_res.set_xlabel(f"time (s, model clock; RMS {fit.angle_rms_deg:.3f}°)")
    threshold = float(stats.chi2.ppf(fit.confidence, 1))
    for j, p in enumerate(fit.parameters):
        ax = fig.add_subplot(grid[row + 1, j])
        if p.path in fit.profiles:
            values, deviance = fit.profiles[p.path]
            ax.plot(values, deviance, "o-", color="C0", ms=3, lw=1.0)
            ax.axhline(threshold, color="C3", lw=0.8, ls="--")
            ax.axvspan(p.ci_lo, p.ci_hi, color="C0", alpha=0.12)
        ax.axvline(p.value, color="k", lw=0.6)
        ax.set_xlabel(f"{p.path} ({p.unit})" + ("" if p.identifiable else " — not identifiable"), fontsize=8)
        if j == 0:
            ax.set_ylabel("profile deviance")
    return fig

"""An animated side view of the ankle beating in clonus, with the angle and EMG-like traces.

    reflexsim animate --preset severe --out clonus.gif
    reflexsim animate --preset severe --treatment botox:weeks=3 --out compare.gif   # side by side

Written as GIF with Pillow (which matplotlib already needs) or MP4 where ffmpeg exists. Drawn on
plain matplotlib Figures, so no display is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import animation
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from .errors import ReflexsimError
from .simulation import Result

SHANK_M = 0.40
# Foot outline in the foot's frame (m): x forward from the ankle, y up; heel, sole, toes, instep.
FOOT_OUTLINE = np.array([[-0.06, -0.02], [-0.05, -0.07], [0.17, -0.075], [0.18, -0.045], [0.04, 0.01]])
RELAXED_RGB = np.array(to_rgb("#c9a38a"))
ACTIVE_RGB = np.array(to_rgb("#c0392b"))


def _foot_xy(angle_rad: float) -> np.ndarray:
    """Foot outline rotated about the ankle: dorsiflexion (positive) lifts the toes."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return FOOT_OUTLINE @ np.array([[c, s], [-s, c]])


def clonus_animation(
    runs: Sequence[tuple[str, Result]],
    *,
    seconds: float = 3.0,
    fps: int = 20,
    start_s: float | None = None,
    exaggerate: float = 1.0,
    drawing: Mapping[str, Any] | None = None,
) -> tuple[Figure, animation.FuncAnimation, int]:
    """Build the animation of one or more runs side by side (same time axis).

    Each frame advances 1/fps s of simulated time, starting 0.1 s before the stretch unless
    `start_s` is given. `exaggerate` scales the drawn foot angle (not the traces) so that a few
    degrees of clonus are visible on a slide. The calf reddens with activation (a third of full
    activation shows as fully red).

    Parameters
    ----------
    runs : sequence of tuple
        (label, Result) per panel, side by side; the first run's stretch sets the default start.
    seconds : float, default 3.0
        Simulated time shown, s (cut at the end of the shortest run).
    fps : int, default 20
        Frames per simulated second (and per second of playback).
    start_s : float, optional
        Simulated time of the first frame, s.
    exaggerate : float, default 1.0
        Factor on the drawn foot angle.
    drawing : mapping, optional
        The moved segment for another joint (`reflexsim.joints.JointSpec.drawing`: ``parent``,
        ``outline``, ``muscle``, ``sign``); default: the foot below the shank.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure the animation draws on.
    animation : matplotlib.animation.FuncAnimation
        The animation; write it with `save_animation`.
    frames : int
        Number of frames.

    Raises
    ------
    ReflexsimError
        If `runs` is empty.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.animation import clonus_animation, save_animation
    >>> result = rs.simulate(rs.preset("severe"), duration_s=1.0)
    >>> fig, anim, frames = clonus_animation([("severe", result)], seconds=0.5, fps=10, exaggerate=3.0)
    >>> type(anim).__name__, frames
    ('FuncAnimation', 5)

    Writing it (not run as a doctest: it writes a file):

    >>> save_animation(anim, "clonus.gif", fps=10)  # doctest: +SKIP
    PosixPath('clonus.gif')
    """
    if not runs:
        raise ReflexsimError("clonus_animation needs at least one run")
    first = runs[0][1]
    t0 = max(0.0, first.events.stretch_start_s - 0.1) if start_s is None else start_s
    t1 = min(t0 + seconds, min(r.time_s[-1] for _, r in runs))
    frames = max(1, round((t1 - t0) * fps))
    times = t0 + np.arange(frames) / fps

    if drawing is None:
        parent, outline, origin, sign, tip = (0.0, SHANK_M), FOOT_OUTLINE, (-0.03, SHANK_M * 0.75), 1.0, (0.005, 0.02)
    else:
        parent, outline = drawing["parent"], np.asarray(drawing["outline"], dtype=float)
        origin, sign, tip = drawing["muscle"], float(drawing["sign"]), (0.0, 0.0)
    reach = float(np.max(np.hypot(outline[:, 0], outline[:, 1]))) + 0.02
    xs, ys = [parent[0], origin[0], -reach, reach], [parent[1], origin[1], -reach, reach]
    if drawing is None:  # the ankle's familiar framing
        xs, ys = [-0.15, 0.25], [-0.15, SHANK_M + 0.03]

    def segment_xy(angle_rad: float) -> np.ndarray:
        c, s_ = np.cos(sign * angle_rad), np.sin(sign * angle_rad)
        return outline @ np.array([[c, s_], [-s_, c]])

    n = len(runs)
    fig = Figure(figsize=(4.2 * n, 5.0), layout="constrained")
    grid = fig.add_gridspec(3, n, height_ratios=(2.2, 1.0, 1.0))
    artists = []
    for col, (label, result) in enumerate(runs):
        ax = fig.add_subplot(grid[0, col])
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(label if exaggerate == 1.0 else f"{label} (drawing ×{exaggerate:g})", fontsize=10)
        ax.plot([0, parent[0]], [0, parent[1]], color="0.35", lw=6, solid_capstyle="round")  # fixed segment
        (foot,) = ax.fill(*segment_xy(0.0).T, color="0.55")
        (calf,) = ax.plot([], [], lw=8, solid_capstyle="round")
        clock = ax.text(max(xs) - 0.01, max(ys), "", ha="right", va="top", fontsize=8)
        window = (result.time_s >= t0) & (result.time_s <= t1)
        ax_angle = fig.add_subplot(grid[1, col])
        ax_angle.plot(result.time_s[window], result.angle_deg[window], lw=1)
        ax_angle.set_ylabel("angle (°)", fontsize=8)
        ax_emg = fig.add_subplot(grid[2, col], sharex=ax_angle)
        ax_emg.plot(result.time_s[window], result.excitation[window], color="C3", lw=0.8)
        ax_emg.set_ylabel("EMG-like", fontsize=8)
        ax_emg.set_xlabel("time (s)", fontsize=8)
        cursors = [a.axvline(t0, color="k", lw=0.8) for a in (ax_angle, ax_emg)]
        artists.append((result, foot, calf, clock, cursors))

    def draw(frame: int):
        changed = []
        t = times[frame]
        for result, foot, calf, clock, cursors in artists:
            k = min(round(t / result.dt_s), len(result.time_s) - 1)
            xy = segment_xy(exaggerate * result.angle_rad[k])
            foot.set_xy(xy)
            heel = xy[0]
            calf.set_data([origin[0], heel[0] + tip[0]], [origin[1], heel[1] + tip[1]])  # the reflex muscle
            act = min(1.0, result.activation[k] / 0.3)  # a third of full activation shows as fully red
            calf.set_color(RELAXED_RGB + act * (ACTIVE_RGB - RELAXED_RGB))
            clock.set_text(f"t = {t:.2f} s")
            for cursor in cursors:
                cursor.set_xdata([t, t])
            changed += [foot, calf, clock, *cursors]
        return changed

    anim = animation.FuncAnimation(fig, draw, frames=frames, interval=1000 / fps, blit=False)
    return fig, anim, frames


def check_animation_path(path: str | Path) -> Path:
    """The output path, if its format can be written here (.gif always, .mp4 with ffmpeg): checked
    before any frame is drawn.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file ending in .gif or .mp4 (any case).

    Returns
    -------
    pathlib.Path
        The path.

    Raises
    ------
    ReflexsimError
        If the suffix is neither .gif nor .mp4, or it is .mp4 and ffmpeg is not on the PATH.

    Examples
    --------
    >>> from reflexsim.animation import check_animation_path
    >>> check_animation_path("out/clonus.gif").name
    'clonus.gif'
    >>> check_animation_path("clonus.avi")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ReflexsimError: animation file 'clonus.avi' must end in .gif or .mp4
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ReflexsimError(f"animation file {str(path)!r} must end in .gif or .mp4")
    if suffix == ".mp4" and not animation.FFMpegWriter.isAvailable():
        raise ReflexsimError("writing .mp4 needs ffmpeg on the PATH; write a .gif instead")
    return path


def save_animation(anim: animation.FuncAnimation, path: str | Path, fps: int = 20, dpi: int = 70) -> Path:
    """Write the animation as .gif (Pillow) or .mp4 (ffmpeg, if installed), creating the folder.

    Written under a temporary name and renamed, so a failure leaves no partial file.

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        The animation from `clonus_animation`.
    path : str or pathlib.Path
        Output file ending in .gif or .mp4 (see `check_animation_path`).
    fps : int, default 20
        Playback frames per second (use the `fps` the animation was built with for real time).
    dpi : int, default 70
        Resolution, dots per inch.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ReflexsimError
        If the format cannot be written here (see `check_animation_path`).

    Examples
    --------
    Not run as a doctest: it writes a file.

    >>> import reflexsim as rs
    >>> from reflexsim.animation import clonus_animation, save_animation
    >>> runs = [("severe", rs.simulate(rs.preset("severe"), duration_s=4.0))]
    >>> fig, anim, frames = clonus_animation(runs, exaggerate=3.0)
    >>> save_animation(anim, "clonus.gif")  # doctest: +SKIP
    PosixPath('clonus.gif')
    """
    from .files import atomic_write

    path = check_animation_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = animation.PillowWriter(fps=fps) if path.suffix.lower() == ".gif" else animation.FFMpegWriter(fps=fps)
    return atomic_write(path, lambda tmp: anim.save(str(tmp), writer=writer, dpi=dpi))

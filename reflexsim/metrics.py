"""Clonus metrics and clinical grades from a simulated run.

Definitions (the same compiled detector grades sweeps, so a sweep point and
``clonus_metrics(simulate(...))`` agree exactly):

* **beat** — a maximum of the ankle angle, after the hold starts, that rises at least
  ``beat_threshold_deg`` (peak to peak) above the preceding minimum and is followed by a fall of
  at least as much (zig-zag extrema with hysteresis), and comes at least 1/15 s after the previous
  beat (clonus beats at 3–12 Hz; faster extrema are the foot ringing on a stiff orthosis);
* **frequency** — beat rate over the last (up to) 10 beat intervals, i.e. the settled rhythm
  (NaN with fewer than 3 beats);
* **duration** — time from the start of the hold to the last beat (0 with fewer than 3 beats);
* **ongoing** — the last beat lies within two periods of the end of the run, so the clonus was
  still going and `duration_s` is a lower bound;
* **sustained** — ongoing and longer than 10 s (unfatigable clonus);
* **decay** — exponential decay rate of the peak-to-peak amplitude from the second to the last
  beat, 1/s (> 0 dying out, ≈ 0 sustained, < 0 growing);
* **SCATS clonus score** (Benz et al. 2005) — 0 no clonus (< 3 beats), 1 < 3 s, 2 3–10 s, 3 > 10 s;
* **Tardieu grade** (modified Tardieu, quality of muscle reaction) — 4 clonus > 10 s, 3 clonus
  < 10 s, 2 clear catch (peak reflex torque ≥ ``catch_torque_nm`` during the stretch and the
  0.3 s after it), 1 slight resistance (≥ ``slight_torque_nm``), 0 none.

Grades use the observed duration: a run shorter than 10 s after the hold cannot reach SCATS 3
or Tardieu 4; look at `ongoing` there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import kernel
from .simulation import Result

DEFAULT_BEAT_THRESHOLD_DEG = 1.0
DEFAULT_CATCH_TORQUE_NM = 5.0
DEFAULT_SLIGHT_TORQUE_NM = 1.0


@dataclass(frozen=True)
class ClonusMetrics:
    """The clinical read-out of one clonus test (see module docs for the definitions)."""

    beats: int
    frequency_hz: float
    duration_s: float
    ongoing: bool
    sustained: bool
    decay_per_s: float
    peak_to_peak_deg: float
    last_peak_to_peak_deg: float
    peak_reflex_torque_nm: float
    scats: int
    tardieu: int

    @property
    def period_ms(self) -> float:
        return 1000.0 / self.frequency_hz if self.frequency_hz > 0 else math.nan

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN becomes None)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def metrics_from_vector(m: np.ndarray) -> ClonusMetrics:
    """Build `ClonusMetrics` from the kernel's metric vector (kernel.M_*)."""
    return ClonusMetrics(
        beats=int(m[kernel.M_BEATS]),
        frequency_hz=float(m[kernel.M_FREQUENCY_HZ]),
        duration_s=float(m[kernel.M_DURATION_S]),
        ongoing=bool(m[kernel.M_ONGOING]),
        sustained=bool(m[kernel.M_SUSTAINED]),
        decay_per_s=float(m[kernel.M_DECAY_PER_S]),
        peak_to_peak_deg=math.degrees(m[kernel.M_P2P_MAX_RAD]),
        last_peak_to_peak_deg=math.degrees(m[kernel.M_P2P_LAST_RAD]),
        peak_reflex_torque_nm=float(m[kernel.M_PEAK_REFLEX_NM]),
        scats=int(m[kernel.M_SCATS]),
        tardieu=int(m[kernel.M_TARDIEU]),
    )


def clonus_metrics(
    result: Result,
    *,
    beat_threshold_deg: float = DEFAULT_BEAT_THRESHOLD_DEG,
    catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM,
    slight_torque_nm: float = DEFAULT_SLIGHT_TORQUE_NM,
) -> ClonusMetrics:
    """Beats, frequency, duration, decay and clinical grades of a clonus-test run."""
    if not (math.isfinite(beat_threshold_deg) and beat_threshold_deg > 0):
        raise ValueError(f"beat_threshold_deg = {beat_threshold_deg!r} must be a positive number of degrees")
    ev = result.events
    m = kernel.detect(
        result.time_s,
        result.angle_rad,
        result.reflex_torque_nm,
        ev.stretch_start_s,
        ev.hold_start_s,
        ev.catch_end_s,
        math.radians(beat_threshold_deg),
        catch_torque_nm,
        slight_torque_nm,
    )
    return metrics_from_vector(m)


@dataclass(frozen=True)
class StretchResponse:
    """Torques a stretch evokes, as a laboratory would measure them (N·m, resisting > 0)."""

    total_nm: float  # peak of the ankle's total resistance (muscle + passive tissues) above rest
    reflex_nm: float  # peak active (reflex) muscle torque above rest
    passive_change_nm: float  # change of the passive resistance between rest and the end of the run


def stretch_response(result: Result) -> StretchResponse:
    """Peak stretch-evoked torques from the stretch onset to 0.3 s after it ends."""
    ev = result.events
    window = (result.time_s >= ev.stretch_start_s) & (result.time_s <= ev.catch_end_s)
    resistance = -(result.muscle_torque_nm + result.joint_torque_nm)
    passive = -(result.muscle_passive_torque_nm + result.joint_torque_nm)
    return StretchResponse(
        total_nm=float((resistance - resistance[0])[window].max()),
        reflex_nm=float(result.reflex_torque_nm[window].max()),
        passive_change_nm=float(passive[-1] - passive[0]),
    )

"""Clinical assessments built from simulations: the modified Tardieu test and the passive
dorsiflexion range.

Modified Tardieu (Banky 2019 conventions): the examiner stretches the calf at V1 (as slow as
possible), V2 (the speed of the foot falling under gravity) and V3 (as fast as possible) and
scores the quality of the muscle reaction (0-4 here; 5 = immobile joint is not produced). R1 is
the angle of the catch at V3, R2 the passive range at V1; the spasticity angle is R2 - R1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernel
from .metrics import DEFAULT_CATCH_TORQUE_NM, ClonusMetrics, clonus_metrics
from .params import Model
from .protocols import TARDIEU_VELOCITIES_DEG_PER_S, TardieuStretch
from .simulation import simulate

# Firm, slow push that defines the end of the passive range: gives 14° in the healthy ankle (knee
# extended), inside the usual 10-20° (model choice).
ROM_TORQUE_NM = 25.0


def dorsiflexion_range_deg(model: Model, torque_nm: float = ROM_TORQUE_NM) -> float:
    """Passive dorsiflexion range: the angle where a slow push of `torque_nm` comes to rest
    (reflex in steady state, as at V1). Degrees, + = dorsiflexion."""
    c, _ = kernel.constants(model.pack())
    return math.degrees(kernel.equilibrium_angle(c, 0, torque_nm))


@dataclass(frozen=True)
class TardieuStretchResult:
    """One velocity of the Tardieu test."""

    label: str
    velocity_deg_per_s: float
    catch_angle_deg: float  # angle when the reflex torque first reaches the catch level; NaN: no catch
    grade: int  # modified Tardieu quality of muscle reaction
    metrics: ClonusMetrics


@dataclass(frozen=True)
class TardieuResult:
    """The three Tardieu stretches, the passive range and the spasticity angle (degrees)."""

    stretches: tuple[TardieuStretchResult, ...]
    r2_range_deg: float  # passive range at V1
    r1_catch_deg: float  # catch angle at the fastest velocity (NaN: no catch)

    @property
    def spasticity_angle_deg(self) -> float:
        """R2 - R1: how much earlier than the passive end the fast stretch is caught."""
        return self.r2_range_deg - self.r1_catch_deg

    def by_label(self, label: str) -> TardieuStretchResult:
        return next(s for s in self.stretches if s.label == label)


def catch_angle_deg(result, catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM) -> float:
    """Angle at which the reflex torque first reaches `catch_torque_nm` during the stretch and
    the catch window after it; NaN if it never does."""
    ev = result.events
    window = (result.time_s >= ev.stretch_start_s) & (result.time_s <= ev.catch_end_s)
    caught = window & (result.reflex_torque_nm >= catch_torque_nm)
    if not caught.any():
        return math.nan
    return float(result.angle_deg[np.argmax(caught)])


def tardieu_test(
    model: Model,
    velocities: dict[str, float] | None = None,
    *,
    start_deg: float = -20.0,
    stretch_deg: float = 30.0,
    hold_torque_nm: float = 30.0,
    duration_s: float = 12.0,
) -> TardieuResult:
    """Run the Tardieu stretches (default V1 10, V2 100, V3 400 °/s) and grade each; after each
    stretch the examiner keeps `hold_torque_nm` of dorsiflexing pressure on for `duration_s` to see
    whether clonus follows."""
    velocities = dict(TARDIEU_VELOCITIES_DEG_PER_S if velocities is None else velocities)
    rows = []
    for label, velocity in velocities.items():
        protocol = TardieuStretch(
            velocity_deg_per_s=velocity,
            start_deg=start_deg,
            stretch_deg=stretch_deg,
            hold_torque_nm=hold_torque_nm,
        )
        result = simulate(model, protocol, duration_s=protocol.settle_s + protocol.stretch_duration_s + duration_s)
        m = clonus_metrics(result)
        rows.append(TardieuStretchResult(label, velocity, catch_angle_deg(result), m.tardieu, m))
    fastest = max(rows, key=lambda r: r.velocity_deg_per_s)
    return TardieuResult(tuple(rows), dorsiflexion_range_deg(model), fastest.catch_angle_deg)

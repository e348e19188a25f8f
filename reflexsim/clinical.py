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
from .simulation import Result, simulate

# Firm, slow push that defines the end of the passive range: gives 14° in the healthy ankle (knee
# extended), inside the usual 10-20° (model choice).
ROM_TORQUE_NM = 25.0


def dorsiflexion_range_deg(model: Model, torque_nm: float = ROM_TORQUE_NM) -> float:
    """Passive dorsiflexion range: the angle where a slow push of `torque_nm` comes to rest
    (reflex in steady state, as at V1), the R2 of the Tardieu test.

    Parameters
    ----------
    model : Model
        The model.
    torque_nm : float, default 25.0
        Dorsiflexing torque of the slow push, N·m (`ROM_TORQUE_NM`: a firm push that gives 14°
        in the healthy ankle, knee extended, inside the usual 10–20°; model choice).

    Returns
    -------
    float
        Degrees, + = dorsiflexion; NaN if no angle within ±90° balances the push.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.clinical import dorsiflexion_range_deg
    >>> round(dorsiflexion_range_deg(preset("healthy")), 1)
    14.1
    """
    c, _ = kernel.constants(model.pack())
    return math.degrees(kernel.equilibrium_angle(c, 0, torque_nm))


@dataclass(frozen=True)
class TardieuStretchResult:
    """One velocity of the Tardieu test: the catch angle, the grade and the clonus metrics.

    Attributes
    ----------
    label : str
        The velocity's name, e.g. ``"V3"``.
    velocity_deg_per_s : float
        Stretch velocity, deg/s.
    catch_angle_deg : float
        Angle when the reflex torque first reaches the catch level, deg; NaN: no catch.
    grade : int
        Modified Tardieu quality of muscle reaction (0–4).
    metrics : ClonusMetrics
        The full clonus read-out of the stretch and the hold after it.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.clinical import tardieu_test
    >>> v3 = tardieu_test(preset("mild"), {"V3": 400.0}, duration_s=2.0).by_label("V3")
    >>> v3.velocity_deg_per_s, v3.grade, round(v3.catch_angle_deg)
    (400.0, 3, 9)
    """

    label: str
    velocity_deg_per_s: float
    catch_angle_deg: float  # angle when the reflex torque first reaches the catch level; NaN: no catch
    grade: int  # modified Tardieu quality of muscle reaction
    metrics: ClonusMetrics


@dataclass(frozen=True)
class TardieuResult:
    """The three Tardieu stretches, the passive range and the spasticity angle (degrees).

    Made by `tardieu_test`.

    Attributes
    ----------
    stretches : tuple of TardieuStretchResult
        One per velocity, in the order given.
    r2_range_deg : float
        R2, the passive range at V1 (`dorsiflexion_range_deg`), deg.
    r1_catch_deg : float
        R1, the catch angle at the fastest velocity, deg (NaN: no catch).

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.clinical import tardieu_test
    >>> healthy = tardieu_test(preset("healthy"), duration_s=1.0)
    >>> [s.grade for s in healthy.stretches], round(healthy.r2_range_deg, 1), healthy.r1_catch_deg
    ([0, 0, 1], 14.1, nan)
    """

    stretches: tuple[TardieuStretchResult, ...]
    r2_range_deg: float  # passive range at V1
    r1_catch_deg: float  # catch angle at the fastest velocity (NaN: no catch)

    @property
    def spasticity_angle_deg(self) -> float:
        """R2 - R1 in degrees: how much earlier than the passive end the fast stretch is caught (NaN: no catch)."""
        return self.r2_range_deg - self.r1_catch_deg

    def by_label(self, label: str) -> TardieuStretchResult:
        """The stretch at the velocity named `label`.

        Parameters
        ----------
        label : str
            A key of the `velocities` given to `tardieu_test`, e.g. ``"V1"``.

        Returns
        -------
        TardieuStretchResult
            The first stretch with that label (StopIteration if there is none).
        """
        return next(s for s in self.stretches if s.label == label)


def catch_angle_deg(result: Result, catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM) -> float:
    """Angle at which the reflex torque first reaches `catch_torque_nm` during the stretch and
    the catch window after it (0.3 s): where the examiner feels the catch; NaN if it never does.

    Parameters
    ----------
    result : Result
        A simulated run (its `events` give the stretch and the catch window).
    catch_torque_nm : float, default 5.0
        Reflex torque that counts as a clear catch, N·m (as the Tardieu grade 2 of
        `reflexsim.metrics`).

    Returns
    -------
    float
        Ankle angle in degrees (+ = dorsiflexion), or NaN.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.clinical import catch_angle_deg
    >>> result = rs.simulate(rs.preset("mild"), rs.ClonusTest(), duration_s=1.0)
    >>> round(catch_angle_deg(result), 1), catch_angle_deg(result, catch_torque_nm=100.0)
    (-1.0, nan)
    """
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
    whether clonus follows.

    Each stretch is a `TardieuStretch` simulated for its settling time, the stretch and
    `duration_s`; R2 is `dorsiflexion_range_deg`, R1 the catch angle at the fastest velocity.

    Parameters
    ----------
    model : Model
        The model.
    velocities : dict of str to float, optional
        Label -> stretch velocity in deg/s, each in [2, 1000]; default
        ``TARDIEU_VELOCITIES_DEG_PER_S`` ({"V1": 10, "V2": 100, "V3": 400}).
    start_deg : float, default -20.0
        Start angle (plantarflexed), deg, in [-40, 10].
    stretch_deg : float, default 30.0
        Range swept by the examiner, deg, in [5, 60].
    hold_torque_nm : float, default 30.0
        Dorsiflexing pressure kept on after each stretch, N·m, in [0, 150].
    duration_s : float, default 12.0
        How long the pressure is kept on after each stretch, s (grades need > 10 s to reach
        Tardieu 4).

    Returns
    -------
    TardieuResult
        The stretches with their grades, R2, R1 and the spasticity angle.

    Raises
    ------
    ProtocolError
        If a velocity or a stretch setting is outside its valid range.
    SimulationError
        If a run cannot be done (e.g. `duration_s` out of range).

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.clinical import tardieu_test
    >>> mild = tardieu_test(preset("mild"), duration_s=2.0)  # short holds: fast, Tardieu 4 unreachable
    >>> [(s.label, s.grade) for s in mild.stretches]
    [('V1', 2), ('V2', 2), ('V3', 3)]
    """
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
        assert m.tardieu is not None  # None only for a recorded trace without reflex torque
        rows.append(TardieuStretchResult(label, velocity, catch_angle_deg(result), m.tardieu, m))
    fastest = max(rows, key=lambda r: r.velocity_deg_per_s)
    return TardieuResult(tuple(rows), dorsiflexion_range_deg(model), fastest.catch_angle_deg)

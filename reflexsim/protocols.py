"""Protocols: what the examiner (or the world) does to the ankle, as immutable values.

A protocol compiles, for a given step, into a segment table the kernel reads (see
``kernel.SEG_*``): spans of constant or ramped torque, spans where the examiner's hand drives
the foot along a ramp (a stiff spring-damper "servo"), or a sampled torque. Events are moved to
the nearest step boundary so that no RK4 step straddles a switch; `CompiledProtocol` reports
the times actually used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar, Protocol

import numpy as np

from . import kernel
from .errors import ProtocolError
from .params import Validated, param

DEG = math.pi / 180.0


@dataclass(frozen=True)
class CompiledProtocol:
    """A protocol laid out on the integration grid: the segment table the kernel reads, plus the
    event times (moved onto the grid) that grading and checks need.

    Made by a protocol's ``compile(dt_s)``; `Result.events` keeps the one a run used.

    Attributes
    ----------
    segments : numpy.ndarray
        Segment table, shape (n_segments, ``kernel.SEG_COLUMNS``): start step, mode
        (``kernel.MODE_*``) and four values per segment.
    samples : numpy.ndarray
        Torque samples (N·m) for ``MODE_SAMPLES`` segments; at least one element.
    theta_start_rad : float
        Starting ankle angle in rad; NaN: start at rest under the initial torque.
    stretch_start_s : float
        When the stretch (or perturbation) starts, s: the reflex catch window opens.
    stretch_end_s : float
        When the stretch ends, s.
    hold_start_s : float
        Beats are counted from here on, s.
    catch_end_s : float
        When the reflex catch window closes, s (`CATCH_WINDOW_S` after the stretch ends).
    angle_range_rad : tuple of float
        (low, high) angles in rad the protocol is expected to visit (for the step-size checks).
    added_stiffness_nm_per_rad : float
        Stiffness the protocol itself adds (the examiner's hand or an actuator), N·m/rad.
    added_damping_nms_per_rad : float
        Damping the protocol itself adds, N·m·s/rad.

    Examples
    --------
    >>> from reflexsim import ClonusTest
    >>> events = ClonusTest().compile(5e-4)
    >>> events.stretch_start_s, events.hold_start_s, round(events.catch_end_s, 2)
    (0.2, 0.24, 0.54)
    """

    segments: np.ndarray  # (n_segments, kernel.SEG_COLUMNS)
    samples: np.ndarray  # torque samples for MODE_SAMPLES segments (at least one element)
    theta_start_rad: float  # NaN: start at rest under the initial torque
    stretch_start_s: float  # the stretch (or perturbation) starts: reflex catch window opens
    stretch_end_s: float
    hold_start_s: float  # beats are counted from here on
    catch_end_s: float  # reflex catch window closes
    angle_range_rad: tuple[float, float]  # angles the protocol is expected to visit (for checks)
    added_stiffness_nm_per_rad: float  # stiffness the protocol itself adds (the examiner's hand)
    added_damping_nms_per_rad: float


class ProtocolLike(Protocol):
    """Anything `simulate` accepts as a protocol: an object with `compile` and `describe`.

    Every protocol in this module satisfies it; a custom one needs only these two methods.

    Examples
    --------
    >>> from reflexsim.protocols import BiasTest, ProtocolLike
    >>> protocol: ProtocolLike = BiasTest(bias_torque_nm=20.0)
    >>> protocol.describe()["type"]
    'bias_test'
    """

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s`.

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times used.
        """
        ...

    def describe(self) -> dict[str, float | str]:
        """A JSON-ready summary of the protocol (its type and settings).

        Returns
        -------
        dict
            ``"type"`` and the protocol's settings.
        """
        ...


def _steps(t_s: float, dt_s: float) -> int:
    return round(t_s / dt_s)


CATCH_WINDOW_S = 0.3  # reflex torque counts toward a Tardieu catch until this long after the stretch ends


class ValidatedProtocol(Validated):
    """Base of the protocols with range-checked fields, so that an invalid protocol cannot exist.

    Every field made with `param` is checked to be a finite number inside its range when the
    protocol is built; errors name ``protocol.FIELD``. `describe` lists the fields.

    Raises
    ------
    ProtocolError
        When built with a field that is not a number or lies outside its valid range.

    Examples
    --------
    >>> from reflexsim import ClonusTest
    >>> ClonusTest(stretch_deg=100.0)
    Traceback (most recent call last):
    ...
    reflexsim.errors.ProtocolError: protocol.stretch_deg = 100 is outside its valid range [0.5, 40] deg
    """

    section: ClassVar[str] = "protocol"
    error: ClassVar[type[Exception]] = ProtocolError
    kind: ClassVar[str]

    def describe(self) -> dict[str, float | str]:
        """The protocol's type (``kind``) and every field, for JSON output and sweep files.

        Returns
        -------
        dict
            ``{"type": kind, field: value, ...}`` with the fields in declaration order.
        """
        return {"type": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class ClonusTest(ValidatedProtocol):
    """The bedside clonus test: a brisk passive dorsiflexion, then sustained dorsiflexing pressure.

    The examiner holds the foot at `start_deg` for `settle_s`, drives it through `stretch_deg`
    at `velocity_deg_per_s` with a stiff hand (spring `hand_stiffness_nm_per_rad`, damper
    `hand_damping_nms_per_rad`, plus the torque that held the foot still), then lets go of the
    position and keeps pushing with a constant `hold_torque_nm`. It is `simulate`'s default
    protocol.

    Parameters
    ----------
    start_deg : float, default 0.0
        Ankle angle held before the stretch; deg, valid range [-30, 30]; source: neutral ankle.
    stretch_deg : float, default 10.0
        Amplitude of the brisk dorsiflexion; deg, valid range [0.5, 40]; source: Sinkjaer 1996
        (6–8° in the lab).
    velocity_deg_per_s : float, default 250.0
        Stretch velocity; deg/s, valid range [5, 1000]; source: ≈ 250 °/s in the lab, ≈ 400 °/s
        "as fast as possible" (Banky 2019).
    hold_torque_nm : float, default 30.0
        Dorsiflexing pressure held after the stretch; N·m, valid range [0, 150]; model choice.
    settle_s : float, default 0.2
        Time held at the start angle before the stretch; s, valid range [0, 5]; model choice.
    hand_stiffness_nm_per_rad : float, default 1000.0
        Stiffness of the examiner's hand while it drives the stretch; N·m/rad, valid range
        [10, 20000]; model choice: tracks the ramp within about 1°.
    hand_damping_nms_per_rad : float, default 5.0
        Damping of the examiner's hand while it drives the stretch; N·m·s/rad, valid range
        [0, 200]; model choice.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> test = rs.ClonusTest(hold_torque_nm=20.0)
    >>> test.stretch_duration_s
    0.04
    >>> result = rs.simulate(rs.preset("severe"), test, duration_s=3.0)
    >>> metrics = rs.clonus_metrics(result)
    >>> metrics.beats > 3, metrics.ongoing, metrics.scats
    (True, True, 1)
    """

    kind: ClassVar[str] = "clonus_test"
    start_deg: float = param(0.0, "deg", -30.0, 30.0, "ankle angle held before the stretch", "neutral ankle")
    stretch_deg: float = param(
        10.0, "deg", 0.5, 40.0, "amplitude of the brisk dorsiflexion", "Sinkjaer 1996 (6–8° in the lab)"
    )
    velocity_deg_per_s: float = param(
        250.0,
        "deg/s",
        5.0,
        1000.0,
        "stretch velocity",
        "≈ 250 °/s in the lab, ≈ 400 °/s 'as fast as possible' (Banky 2019)",
    )
    hold_torque_nm: float = param(
        30.0, "N·m", 0.0, 150.0, "dorsiflexing pressure held after the stretch", "model choice"
    )
    settle_s: float = param(0.2, "s", 0.0, 5.0, "time held at the start angle before the stretch", "model choice")
    hand_stiffness_nm_per_rad: float = param(
        1000.0,
        "N·m/rad",
        10.0,
        20000.0,
        "stiffness of the examiner's hand while it drives the stretch",
        "model choice: tracks the ramp within about 1°",
    )
    hand_damping_nms_per_rad: float = param(
        5.0, "N·m·s/rad", 0.0, 200.0, "damping of the examiner's hand while it drives the stretch", "model choice"
    )

    @property
    def stretch_duration_s(self) -> float:
        """Duration of the stretch in s: `stretch_deg` / `velocity_deg_per_s` (before rounding to the grid)."""
        return self.stretch_deg / self.velocity_deg_per_s

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        return _examiner_stretch(self, dt_s, [kernel.MODE_TORQUE, self.hold_torque_nm, 0.0, 0.0, 0.0])


def _examiner_stretch(protocol, dt_s: float, hold: list[float]) -> CompiledProtocol:
    """Hold at start_deg, a servo ramp of stretch_deg at velocity_deg_per_s (the examiner's hand),
    then the `hold` segment (mode and its four values). Shared by ClonusTest and TardieuStretch."""
    k_stretch = _steps(protocol.settle_s, dt_s)
    k_hold = k_stretch + max(1, _steps(protocol.stretch_deg / protocol.velocity_deg_per_s, dt_s))  # on the grid
    theta0 = protocol.start_deg * DEG
    end = theta0 + protocol.stretch_deg * DEG
    k, b = protocol.hand_stiffness_nm_per_rad, protocol.hand_damping_nms_per_rad
    rows = _servo_stretch_segments(k_stretch, k_hold - k_stretch, theta0, protocol.stretch_deg * DEG, dt_s, k, b)
    rows.append([k_hold, *hold])
    return CompiledProtocol(
        segments=np.array(rows, dtype=np.float64),
        samples=np.zeros(1),
        theta_start_rad=theta0,
        stretch_start_s=k_stretch * dt_s,
        stretch_end_s=k_hold * dt_s,
        hold_start_s=k_hold * dt_s,
        catch_end_s=k_hold * dt_s + CATCH_WINDOW_S,
        angle_range_rad=(min(theta0, end) - 20 * DEG, max(theta0, end) + 15 * DEG),
        added_stiffness_nm_per_rad=k,
        added_damping_nms_per_rad=b,
    )


@dataclass(frozen=True)
class TorqueProfile:
    """A custom external torque given as samples (time in s, torque in N·m, dorsiflexing > 0).

    The torque is linear between samples and held at the first/last value outside them. The
    foot starts at rest under the first torque. Beats are counted from `hold_start_s`; the
    reflex "catch" window spans `stretch_start_s` to `stretch_end_s` + 0.3 s.

    Parameters
    ----------
    time_s : tuple of float
        Sample times in s, strictly increasing, finite; at least one.
    torque_nm : tuple of float
        External torque at those times in N·m (dorsiflexing > 0), finite, within
        ±`max_abs_torque_nm` (500 N·m); same length as `time_s`.
    stretch_start_s : float, default 0.0
        When the reflex catch window opens, s (finite, >= 0).
    stretch_end_s : float, default 0.0
        When the stretch ends, s (finite, >= 0); the catch window closes 0.3 s later.
    hold_start_s : float, default 0.0
        Beats are counted from here on, s (finite, >= 0).

    Raises
    ------
    ProtocolError
        If the samples are empty, of different lengths, not finite, not strictly increasing in
        time or beyond ±500 N·m, or an event time is negative or not finite.

    Examples
    --------
    A load that builds up to 20 N·m between 0.5 and 0.6 s on a relaxed healthy ankle:

    >>> import reflexsim as rs
    >>> profile = rs.TorqueProfile(
    ...     (0.0, 0.5, 0.6), (0.0, 0.0, 20.0), stretch_start_s=0.5, stretch_end_s=0.6, hold_start_s=0.6
    ... )
    >>> result = rs.simulate(rs.preset("healthy"), profile, duration_s=1.0)
    >>> f"{result.angle_deg[0]:.0f} deg at rest, {result.angle_deg[-1]:.0f} deg under the load"
    '-18 deg at rest, 11 deg under the load'
    >>> rs.TorqueProfile((0.0, 0.0), (1.0, 2.0))
    Traceback (most recent call last):
    ...
    reflexsim.errors.ProtocolError: protocol.time_s must be strictly increasing
    """

    time_s: tuple[float, ...]
    torque_nm: tuple[float, ...]
    stretch_start_s: float = 0.0
    stretch_end_s: float = 0.0
    hold_start_s: float = 0.0
    max_abs_torque_nm: ClassVar[float] = 500.0

    def __post_init__(self) -> None:
        t = np.asarray(self.time_s, dtype=float)
        tau = np.asarray(self.torque_nm, dtype=float)
        if t.ndim != 1 or tau.ndim != 1 or t.size != tau.size or t.size == 0:
            raise ProtocolError(
                f"protocol.time_s and protocol.torque_nm must be 1-D and the same non-zero length "
                f"(got {t.size} and {tau.size})"
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(tau))):
            raise ProtocolError("protocol.time_s and protocol.torque_nm must be finite numbers")
        if np.any(np.diff(t) <= 0):
            raise ProtocolError("protocol.time_s must be strictly increasing")
        if np.max(np.abs(tau)) > self.max_abs_torque_nm:
            raise ProtocolError(
                f"protocol.torque_nm reaches {np.max(np.abs(tau)):g} N·m; valid range "
                f"[-{self.max_abs_torque_nm:g}, {self.max_abs_torque_nm:g}] N·m"
            )
        for name in ("stretch_start_s", "stretch_end_s", "hold_start_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ProtocolError(f"protocol.{name} = {v!r} must be a finite time >= 0 s")
        object.__setattr__(self, "time_s", tuple(float(x) for x in t))
        object.__setattr__(self, "torque_nm", tuple(float(x) for x in tau))

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Sample the torque on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; the torque is interpolated at every step up to the last
            sample (or `hold_start_s`) and event times move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            One sampled-torque segment and the event times actually used.
        """
        t_end = max(self.time_s[-1], self.hold_start_s) + dt_s
        grid = np.arange(0.0, t_end + dt_s, dt_s)
        samples = np.interp(grid, self.time_s, self.torque_nm)
        seg = np.array([[0, kernel.MODE_SAMPLES, 0.0, samples.size, dt_s, 0.0]], dtype=np.float64)
        return CompiledProtocol(
            segments=seg,
            samples=samples,
            theta_start_rad=math.nan,
            stretch_start_s=_steps(self.stretch_start_s, dt_s) * dt_s,
            stretch_end_s=_steps(self.stretch_end_s, dt_s) * dt_s,
            hold_start_s=_steps(self.hold_start_s, dt_s) * dt_s,
            catch_end_s=_steps(self.stretch_end_s, dt_s) * dt_s + CATCH_WINDOW_S,
            angle_range_rad=(-40 * DEG, 30 * DEG),
            added_stiffness_nm_per_rad=0.0,
            added_damping_nms_per_rad=0.0,
        )

    def describe(self) -> dict[str, float | str]:
        """A JSON-ready summary: type, number of samples, first and last sample time, hold start.

        Returns
        -------
        dict
            ``type``, ``samples``, ``t_first_s``, ``t_last_s`` and ``hold_start_s``.
        """
        return {
            "type": "torque_profile",
            "samples": len(self.time_s),
            "t_first_s": self.time_s[0],
            "t_last_s": self.time_s[-1],
            "hold_start_s": self.hold_start_s,
        }


def _servo_stretch_segments(
    settle_steps: int, ramp_steps: int, theta0: float, stretch_rad: float, dt_s: float, k: float, b: float
) -> list[list[float]]:
    """Hold at theta0 (if settle_steps > 0), then a ramp of stretch_rad over ramp_steps."""
    rows = [[0, kernel.MODE_SERVO, theta0, 0.0, k, b]] if settle_steps > 0 else []
    rows.append([settle_steps, kernel.MODE_SERVO, theta0, stretch_rad / (ramp_steps * dt_s), k, b])
    return rows


@dataclass(frozen=True)
class RampAndHold(ValidatedProtocol):
    """A position-controlled stretch (a motor or a firm examiner): ramp, then hold the end angle.

    The laboratory way to measure the stretch-evoked torque (Sinkjaer 1996; Mirbagheri 2010):
    the torque the actuator needs, minus its resting value, is the stretch-evoked torque.

    Parameters
    ----------
    start_deg : float, default 0.0
        Ankle angle held before the stretch; deg, valid range [-30, 30]; source: neutral ankle.
    stretch_deg : float, default 8.0
        Ramp amplitude; deg, valid range [0.5, 40]; source: Sinkjaer 1996 (6–8°).
    velocity_deg_per_s : float, default 175.0
        Ramp velocity; deg/s, valid range [5, 1000]; source: Sinkjaer 1996 (175 °/s).
    settle_s : float, default 0.2
        Time held before the ramp; s, valid range [0, 5]; model choice.
    actuator_stiffness_nm_per_rad : float, default 20000.0
        Stiffness of the position servo; N·m/rad, valid range [100, 50000]; source: stiff
        position-controlled motor (model choice): the reflex moves it < 0.2°.
    actuator_damping_nms_per_rad : float, default 20.0
        Damping of the position servo; N·m·s/rad, valid range [0, 500]; model choice.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.protocols import RampAndHold
    >>> result = rs.simulate(rs.preset("healthy"), RampAndHold(), duration_s=0.6)
    >>> round(float(result.angle_deg[-1]), 1)  # the servo holds the end angle
    8.0
    """

    kind: ClassVar[str] = "ramp_and_hold"
    start_deg: float = param(0.0, "deg", -30.0, 30.0, "ankle angle held before the stretch", "neutral ankle")
    stretch_deg: float = param(8.0, "deg", 0.5, 40.0, "ramp amplitude", "Sinkjaer 1996 (6–8°)")
    velocity_deg_per_s: float = param(175.0, "deg/s", 5.0, 1000.0, "ramp velocity", "Sinkjaer 1996 (175 °/s)")
    settle_s: float = param(0.2, "s", 0.0, 5.0, "time held before the ramp", "model choice")
    actuator_stiffness_nm_per_rad: float = param(
        20000.0,
        "N·m/rad",
        100.0,
        50000.0,
        "stiffness of the position servo",
        "stiff position-controlled motor (model choice): the reflex moves it < 0.2°",
    )
    actuator_damping_nms_per_rad: float = param(
        20.0, "N·m·s/rad", 0.0, 500.0, "damping of the position servo", "model choice"
    )

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        k_ramp = _steps(self.settle_s, dt_s)
        n_ramp = max(1, _steps(self.stretch_deg / self.velocity_deg_per_s, dt_s))
        theta0 = self.start_deg * DEG
        stretch = self.stretch_deg * DEG
        k, b = self.actuator_stiffness_nm_per_rad, self.actuator_damping_nms_per_rad
        rows = _servo_stretch_segments(k_ramp, n_ramp, theta0, stretch, dt_s, k, b)
        rows.append([k_ramp + n_ramp, kernel.MODE_SERVO, theta0 + stretch, 0.0, k, b])
        end = (k_ramp + n_ramp) * dt_s
        return CompiledProtocol(
            segments=np.array(rows, dtype=np.float64),
            samples=np.zeros(1),
            theta_start_rad=theta0,
            stretch_start_s=k_ramp * dt_s,
            stretch_end_s=end,
            hold_start_s=end,
            catch_end_s=end + CATCH_WINDOW_S,
            angle_range_rad=(min(theta0, theta0 + stretch) - 5 * DEG, max(theta0, theta0 + stretch) + 5 * DEG),
            added_stiffness_nm_per_rad=k,
            added_damping_nms_per_rad=b,
        )


@dataclass(frozen=True)
class PositionPerturbation(ValidatedProtocol):
    """Small-signal system identification: a stiff position servo holds the ankle at `angle_deg`
    and moves it by a pseudo-random binary sequence (PRBS) of small steps, as in the ankle
    stiffness studies of Kearney, Hunter and colleagues (Weiss, Hunter & Kearney 1988).

    The servo (spring `actuator_stiffness_nm_per_rad`, damper `actuator_damping_nms_per_rad`,
    on top of the torque that holds the foot at rest) holds `angle_deg` for `settle_s`, then for
    `duration_s` (rounded up to whole ticks) redraws the level at every tick of `switch_s`
    (+ or - `amplitude_deg` about `angle_deg`, equal odds, from a numpy Generator seeded with
    `seed`), so a level lasts a geometric number of ticks. Each change is a linear ramp lasting
    `ramp_s` that the servo can follow; at the end the foot returns to `angle_deg` and is held
    there. The torque the actuator applies (`Result.external_torque_nm`) against the measured
    angle is what `reflexsim.identification.identify_impedance` fits.

    A background voluntary contraction is not part of the protocol: set the model's tonic drive
    `reflex.tone` (see `reflexsim.identification.tone_for_torque`).

    Parameters
    ----------
    angle_deg : float, default 0.0
        Ankle angle the servo holds (the mean of the perturbation); deg, valid range [-30, 30];
        source: neutral ankle.
    amplitude_deg : float, default 1.0
        Size of the position steps: the angle alternates between `angle_deg` ± `amplitude_deg`;
        deg, valid range [0.05, 5]; source: Kearney/Hunter-lab PRBS of about 0.03–0.04 rad peak to
        peak (from memory, unverified).
    switch_s : float, default 0.15
        PRBS clock interval: at every tick the level is redrawn (+ or -, equal odds); s, valid
        range [0.01, 2]; source: order of the Kearney-lab PRBS switching intervals (from memory,
        unverified).
    ramp_s : float, default 0.01
        Duration of each transition between levels (a linear ramp; the first and last, from and
        back to `angle_deg`, cover half the swing at half the speed); must be shorter than
        `switch_s`; s, valid range [0.001, 0.5]; model choice: the rise time of a position servo
        with a bandwidth of about 50 Hz.
    duration_s : float, default 8.0
        Length of the perturbation sequence (after `settle_s`); s, valid range [0.1, 600]; model
        choice; Weiss, Hunter & Kearney 1988 fitted 2.5 s sequences.
    settle_s : float, default 0.5
        Time held at `angle_deg` before the sequence; s, valid range [0, 10]; model choice.
    seed : int, default 0
        Seed of the numpy random Generator that draws the levels: the same seed gives the same
        sequence; a whole number, valid range [0, 1e+09]; convention.
    actuator_stiffness_nm_per_rad : float, default 5000.0
        Stiffness of the position servo; N·m/rad, valid range [100, 50000]; as `RampAndHold`
        (stiff motor).
    actuator_damping_nms_per_rad : float, default 5.0
        Damping of the position servo, kept low so that the servo's fast time constant (foot
        inertia / damping, 3 ms) spans several 0.5 ms steps and the actuator torque is resolved
        on the grid; N·m·s/rad, valid range [0, 500]; model choice: servo damping ratio ≈ 0.3 on
        the relaxed foot (with 20 N·m·s/rad, as `RampAndHold`, the identified inertia is 5–30 %
        high).

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range, `seed` is not a whole
        number, or `ramp_s` is not shorter than `switch_s`.

    Examples
    --------
    >>> from reflexsim.protocols import PositionPerturbation
    >>> prbs = PositionPerturbation(duration_s=0.6, switch_s=0.15)
    >>> prbs.n_ticks, round(prbs.end_s, 2)
    (4, 1.1)
    >>> prbs.levels().tolist()
    [1.0, 1.0, 1.0, -1.0]
    >>> PositionPerturbation(ramp_s=0.2, switch_s=0.15)
    Traceback (most recent call last):
    ...
    reflexsim.errors.ProtocolError: protocol.ramp_s = 0.2 s must be shorter than protocol.switch_s = 0.15 s
    (a transition has to end before the next tick)

    `reflexsim.identification.identify_impedance` fits a run of it.
    """

    kind: ClassVar[str] = "position_perturbation"
    angle_deg: float = param(
        0.0, "deg", -30.0, 30.0, "ankle angle the servo holds (the mean of the perturbation)", "neutral ankle"
    )
    amplitude_deg: float = param(
        1.0,
        "deg",
        0.05,
        5.0,
        "size of the position steps: the angle alternates between angle_deg ± amplitude_deg",
        "Kearney/Hunter-lab PRBS of about 0.03–0.04 rad peak to peak (from memory, unverified)",
    )
    switch_s: float = param(
        0.15,
        "s",
        0.01,
        2.0,
        "PRBS clock interval: at every tick the level is redrawn (+ or -, equal odds)",
        "order of the Kearney-lab PRBS switching intervals (from memory, unverified)",
    )
    ramp_s: float = param(
        0.01,
        "s",
        0.001,
        0.5,
        "duration of each transition between levels (a linear ramp; the first and last, from and back to "
        "angle_deg, cover half the swing at half the speed); must be shorter than switch_s",
        "model choice: the rise time of a position servo with a bandwidth of about 50 Hz",
    )
    duration_s: float = param(
        8.0,
        "s",
        0.1,
        600.0,
        "length of the perturbation sequence (after settle_s)",
        "model choice; Weiss, Hunter & Kearney 1988 fitted 2.5 s sequences",
    )
    settle_s: float = param(0.5, "s", 0.0, 10.0, "time held at angle_deg before the sequence", "model choice")
    seed: int = param(
        0,
        "1",
        0,
        10**9,
        "seed of the numpy random Generator that draws the levels: the same seed gives the same sequence",
        "convention",
    )
    actuator_stiffness_nm_per_rad: float = param(
        5000.0, "N·m/rad", 100.0, 50000.0, "stiffness of the position servo", "as RampAndHold (stiff motor)"
    )
    actuator_damping_nms_per_rad: float = param(
        5.0,
        "N·m·s/rad",
        0.0,
        500.0,
        "damping of the position servo; kept low so that the servo's fast time constant (foot inertia / "
        "damping, 3 ms) spans several 0.5 ms steps and the actuator torque is resolved on the grid",
        "model choice: servo damping ratio ≈ 0.3 on the relaxed foot (with 20 N·m·s/rad, as RampAndHold, "
        "the identified inertia is 5–30 % high)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = PositionPerturbation.__dataclass_fields__["seed"].metadata["range"]
        if not float(self.seed).is_integer():
            raise ProtocolError(f"protocol.seed = {self.seed:g} is not a whole number; valid range [{lo:g}, {hi:g}]")
        object.__setattr__(self, "seed", int(self.seed))
        if not self.ramp_s < self.switch_s:
            raise ProtocolError(
                f"protocol.ramp_s = {self.ramp_s:g} s must be shorter than protocol.switch_s = {self.switch_s:g} s "
                "(a transition has to end before the next tick)"
            )

    @property
    def n_ticks(self) -> int:
        """Number of PRBS ticks: enough to cover `duration_s`."""
        return max(1, math.ceil(self.duration_s / self.switch_s - 1e-9))

    @property
    def end_s(self) -> float:
        """When the sequence ends and the foot returns to angle_deg (the grid's value is the
        compiled `stretch_end_s`)."""
        return self.settle_s + self.n_ticks * self.switch_s

    def levels(self) -> np.ndarray:
        """The sequence of levels (+1 or -1), one per tick of `switch_s`, drawn from `seed`.

        Returns
        -------
        numpy.ndarray
            `n_ticks` values, each +1.0 or -1.0 (angle `angle_deg` ± `amplitude_deg`).
        """
        n_ticks = self.n_ticks
        return 2.0 * np.random.default_rng(self.seed).integers(0, 2, size=n_ticks) - 1.0

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        k_start = _steps(self.settle_s, dt_s)
        n_clock = max(2, _steps(self.switch_s, dt_s))
        n_ramp = min(max(1, _steps(self.ramp_s, dt_s)), n_clock - 1)
        theta0, amp = self.angle_deg * DEG, self.amplitude_deg * DEG
        k, b = self.actuator_stiffness_nm_per_rad, self.actuator_damping_nms_per_rad
        rows = [[0, kernel.MODE_SERVO, theta0, 0.0, k, b]] if k_start > 0 else []
        current = theta0

        def move(step: int, target: float) -> None:  # a ramp to `target` lasting ramp_s, then hold it
            nonlocal current
            rows.append([step, kernel.MODE_SERVO, current, (target - current) / (n_ramp * dt_s), k, b])
            rows.append([step + n_ramp, kernel.MODE_SERVO, target, 0.0, k, b])
            current = target

        levels = self.levels()
        for j, level in enumerate(levels):
            if theta0 + level * amp != current:
                move(k_start + j * n_clock, theta0 + level * amp)
        k_end = k_start + len(levels) * n_clock
        move(k_end, theta0)
        end = k_end * dt_s
        return CompiledProtocol(
            segments=np.array(rows, dtype=np.float64),
            samples=np.zeros(1),
            theta_start_rad=theta0,
            stretch_start_s=k_start * dt_s,
            stretch_end_s=end,
            hold_start_s=end,
            catch_end_s=end + CATCH_WINDOW_S,
            angle_range_rad=(theta0 - amp - 5 * DEG, theta0 + amp + 5 * DEG),
            added_stiffness_nm_per_rad=k,
            added_damping_nms_per_rad=b,
        )


TARDIEU_VELOCITIES_DEG_PER_S = {"V1": 10.0, "V2": 100.0, "V3": 400.0}


@dataclass(frozen=True)
class TardieuStretch(ValidatedProtocol):
    """One Tardieu stretch: the examiner moves the foot from plantarflexion through the range at a
    set velocity (V1 as slow as possible, V2 the speed of the foot falling under gravity, V3 as
    fast as possible), then lets go of the position and keeps a dorsiflexing pressure on, as in the
    clonus test, to see whether clonus follows.

    `reflexsim.clinical.tardieu_test` runs it at the three velocities and grades each.

    Parameters
    ----------
    velocity_deg_per_s : float, default 400.0
        Stretch velocity (V3 ≈ 400 °/s); deg/s, valid range [2, 1000]; source: Banky 2019.
    start_deg : float, default -20.0
        Start angle (plantarflexed); deg, valid range [-40, 10]; model choice.
    stretch_deg : float, default 30.0
        Range swept by the examiner; deg, valid range [5, 60]; model choice.
    hold_torque_nm : float, default 30.0
        Dorsiflexing pressure kept on after the stretch; N·m, valid range [0, 150]; as `ClonusTest`.
    settle_s : float, default 0.2
        Time held at the start angle before the stretch; s, valid range [0, 5]; model choice.
    hand_stiffness_nm_per_rad : float, default 1000.0
        Examiner's hand stiffness during the stretch; N·m/rad, valid range [10, 20000]; as
        `ClonusTest`.
    hand_damping_nms_per_rad : float, default 5.0
        Examiner's hand damping during the stretch; N·m·s/rad, valid range [0, 200]; as
        `ClonusTest`.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.protocols import TardieuStretch
    >>> v2 = TardieuStretch(velocity_deg_per_s=100.0)
    >>> v2.stretch_duration_s
    0.3
    >>> result = rs.simulate(rs.preset("severe"), v2, duration_s=1.0)
    >>> round(float(result.angle_deg[0]))  # held plantarflexed before the stretch
    -20
    """

    kind: ClassVar[str] = "tardieu_stretch"
    velocity_deg_per_s: float = param(400.0, "deg/s", 2.0, 1000.0, "stretch velocity (V3 ≈ 400 °/s)", "Banky 2019")
    start_deg: float = param(-20.0, "deg", -40.0, 10.0, "start angle (plantarflexed)", "model choice")
    stretch_deg: float = param(30.0, "deg", 5.0, 60.0, "range swept by the examiner", "model choice")
    hold_torque_nm: float = param(
        30.0, "N·m", 0.0, 150.0, "dorsiflexing pressure kept on after the stretch", "as ClonusTest"
    )
    settle_s: float = param(0.2, "s", 0.0, 5.0, "time held at the start angle before the stretch", "model choice")
    hand_stiffness_nm_per_rad: float = param(
        1000.0, "N·m/rad", 10.0, 20000.0, "examiner's hand stiffness during the stretch", "as ClonusTest"
    )
    hand_damping_nms_per_rad: float = param(
        5.0, "N·m·s/rad", 0.0, 200.0, "examiner's hand damping during the stretch", "as ClonusTest"
    )

    @property
    def stretch_duration_s(self) -> float:
        """Duration of the stretch in s: `stretch_deg` / `velocity_deg_per_s` (before rounding to the grid)."""
        return self.stretch_deg / self.velocity_deg_per_s

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        return _examiner_stretch(self, dt_s, [kernel.MODE_TORQUE, self.hold_torque_nm, 0.0, 0.0, 0.0])


def _torque_step(
    settle_s: float, rise_s: float, torque_nm: float, dt_s: float, angle_range_rad: tuple[float, float]
) -> CompiledProtocol:
    """From rest under no torque, a linear rise to `torque_nm` over `rise_s` after `settle_s`,
    then constant; the load's build-up is the 'stretch' and beats are counted from its end."""
    k_on = _steps(settle_s, dt_s)
    n_rise = max(1, _steps(rise_s, dt_s))
    rows = [[0, kernel.MODE_TORQUE, 0.0, 0.0, 0.0, 0.0]] if k_on > 0 else []
    rows.append([k_on, kernel.MODE_TORQUE, 0.0, torque_nm / (n_rise * dt_s), 0.0, 0.0])
    rows.append([k_on + n_rise, kernel.MODE_TORQUE, torque_nm, 0.0, 0.0, 0.0])
    end = (k_on + n_rise) * dt_s
    return CompiledProtocol(
        segments=np.array(rows, dtype=np.float64),
        samples=np.zeros(1),
        theta_start_rad=math.nan,
        stretch_start_s=k_on * dt_s,
        stretch_end_s=end,
        hold_start_s=end,
        catch_end_s=end + CATCH_WINDOW_S,
        angle_range_rad=angle_range_rad,
        added_stiffness_nm_per_rad=0.0,
        added_damping_nms_per_rad=0.0,
    )


@dataclass(frozen=True)
class BiasTest(ValidatedProtocol):
    """Drop/bias test: from rest, a dorsiflexing load (a weight on the forefoot) is applied quickly
    and stays. A large enough sustained bias suppresses clonus (Arch Phys Med Rehabil 1977).

    Parameters
    ----------
    bias_torque_nm : float, default 30.0
        Sustained dorsiflexing load; N·m, valid range [0, 150]; model choice.
    rise_s : float, default 0.03
        Time for the load to build up (a dropped weight: fast); s, valid range [0.001, 1];
        model choice.
    settle_s : float, default 0.2
        Rest before the load; s, valid range [0, 5]; model choice.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.protocols import BiasTest
    >>> result = rs.simulate(rs.preset("healthy"), BiasTest(), duration_s=1.0)
    >>> round(float(result.angle_deg[-1]))  # degrees of dorsiflexion under the load
    16
    """

    kind: ClassVar[str] = "bias_test"
    bias_torque_nm: float = param(30.0, "N·m", 0.0, 150.0, "sustained dorsiflexing load", "model choice")
    rise_s: float = param(
        0.03, "s", 0.001, 1.0, "time for the load to build up (a dropped weight: fast)", "model choice"
    )
    settle_s: float = param(0.2, "s", 0.0, 5.0, "rest before the load", "model choice")

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        return _torque_step(self.settle_s, self.rise_s, self.bias_torque_nm, dt_s, (-40 * DEG, 35 * DEG))


@dataclass(frozen=True)
class ToeLanding(ValidatedProtocol):
    """Toe-first landing in walking: the forefoot meets the ground with the foot plantarflexed and
    body weight loads it, a rapid dorsiflexing torque (weight × forefoot lever) on the ankle.

    The foot starts at rest (plantarflexed, swinging free); the load builds up over `rise_s` and
    stays for the stance. An AFO or a heel wedge limits how far and how fast the calf is stretched.

    Parameters
    ----------
    body_mass_kg : float, default 70.0
        Body mass; kg, valid range [20, 150]; model choice.
    forefoot_lever_m : float, default 0.1
        Ankle-to-contact distance at the forefoot; m, valid range [0.02, 0.2]; model choice.
    load_fraction : float, default 0.6
        Share of body weight on the forefoot (early stance); dimensionless, valid range
        [0.1, 1.5]; model choice.
    rise_s : float, default 0.1
        Time for the load to build up; s, valid range [0.005, 0.5]; model choice.
    settle_s : float, default 0.2
        Swing before contact; s, valid range [0, 5]; model choice.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.protocols import ToeLanding
    >>> landing = ToeLanding(body_mass_kg=70.0)
    >>> round(landing.load_torque_nm, 1)  # N·m
    41.2
    >>> result = rs.simulate(rs.preset("severe"), landing, duration_s=2.0)
    >>> rs.clonus_metrics(result).beats >= 3  # the landing sets the severe ankle beating
    True
    """

    kind: ClassVar[str] = "toe_landing"
    body_mass_kg: float = param(70.0, "kg", 20.0, 150.0, "body mass", "model choice")
    forefoot_lever_m: float = param(0.10, "m", 0.02, 0.2, "ankle-to-contact distance at the forefoot", "model choice")
    load_fraction: float = param(
        0.6, "1", 0.1, 1.5, "share of body weight on the forefoot (early stance)", "model choice"
    )
    rise_s: float = param(0.1, "s", 0.005, 0.5, "time for the load to build up", "model choice")
    settle_s: float = param(0.2, "s", 0.0, 5.0, "swing before contact", "model choice")

    @property
    def load_torque_nm(self) -> float:
        """Dorsiflexing load torque in N·m: body weight (g = 9.81 m/s²) × `load_fraction` × `forefoot_lever_m`."""
        return self.body_mass_kg * 9.81 * self.load_fraction * self.forefoot_lever_m

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table and the event times actually used.
        """
        return _torque_step(self.settle_s, self.rise_s, self.load_torque_nm, dt_s, (-40 * DEG, 40 * DEG))


@dataclass(frozen=True)
class PendulumTest(ValidatedProtocol):
    """The knee pendulum (Wartenberg) test: the relaxed leg, seated, is held at full extension and
    let go; the shank swings under gravity and settles hanging.

    The examiner's hand (a stiff servo: spring `hand_stiffness_nm_per_rad`, damper
    `hand_damping_nms_per_rad`, plus the torque that held the leg still) holds the knee at
    `start_deg` for `settle_s`, then lets go: no external torque from then on. Run it on a model
    whose segment is the shank with gravity toward flexion (`reflexsim.joints.knee_pendulum_model`);
    `reflexsim.metrics.pendulum_metrics` grades the swings (Bajd & Vodovnik 1984).

    Parameters
    ----------
    start_deg : float, default 0.0
        Knee flexion held before the release (0 = full extension, shank horizontal); deg, valid range
        [-10, 60]; source: Wartenberg 1951; Bajd & Vodovnik 1984 (full extension).
    settle_s : float, default 0.2
        Time held before the release; s, valid range [0, 5]; model choice.
    hand_stiffness_nm_per_rad : float, default 2000.0
        Stiffness of the examiner's hand holding the leg; N·m/rad, valid range [10, 20000]; model choice.
    hand_damping_nms_per_rad : float, default 50.0
        Damping of the examiner's hand holding the leg; N·m·s/rad, valid range [0, 500]; model choice.

    Raises
    ------
    ProtocolError
        If a field is not a number or lies outside its valid range.

    Examples
    --------
    >>> from reflexsim.protocols import PendulumTest
    >>> events = PendulumTest().compile(5e-4)
    >>> events.stretch_start_s, [int(m) for m in events.segments[:, 1]]  # release at 0.2 s: servo, then torque
    (0.2, [1, 0])
    """

    kind: ClassVar[str] = "pendulum_test"
    start_deg: float = param(
        0.0,
        "deg",
        -10.0,
        60.0,
        "knee flexion held before the release (0 = full extension, shank horizontal)",
        "Wartenberg 1951; Bajd & Vodovnik 1984 (full extension)",
    )
    settle_s: float = param(0.2, "s", 0.0, 5.0, "time held before the release", "model choice")
    hand_stiffness_nm_per_rad: float = param(
        2000.0, "N·m/rad", 10.0, 20000.0, "stiffness of the examiner's hand holding the leg", "model choice"
    )
    hand_damping_nms_per_rad: float = param(
        50.0, "N·m·s/rad", 0.0, 500.0, "damping of the examiner's hand holding the leg", "model choice"
    )

    def compile(self, dt_s: float) -> CompiledProtocol:
        """Lay the protocol out on the integration grid of step `dt_s` (what `simulate` calls).

        Parameters
        ----------
        dt_s : float
            Integration step in s; events move to the nearest step boundary.

        Returns
        -------
        CompiledProtocol
            The segment table; the release is the "stretch" (start and end) and the hold.
        """
        k_release = _steps(self.settle_s, dt_s)
        theta0 = self.start_deg * DEG
        k, b = self.hand_stiffness_nm_per_rad, self.hand_damping_nms_per_rad
        rows = [[0, kernel.MODE_SERVO, theta0, 0.0, k, b]] if k_release > 0 else []
        rows.append([k_release, kernel.MODE_TORQUE, 0.0, 0.0, 0.0, 0.0])  # let go: no external torque
        release = k_release * dt_s
        return CompiledProtocol(
            segments=np.array(rows, dtype=np.float64),
            samples=np.zeros(1),
            theta_start_rad=theta0,
            stretch_start_s=release,
            stretch_end_s=release,
            hold_start_s=release,
            catch_end_s=release + CATCH_WINDOW_S,
            angle_range_rad=(min(theta0, 0.0) - 10 * DEG, 160 * DEG),
            added_stiffness_nm_per_rad=k if k_release > 0 else 0.0,
            added_damping_nms_per_rad=b if k_release > 0 else 0.0,
        )

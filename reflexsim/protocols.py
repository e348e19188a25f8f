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
    """A protocol laid out on the integration grid (what the kernel needs, plus event times)."""

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
    """Anything `simulate` accepts as a protocol."""

    def compile(self, dt_s: float) -> CompiledProtocol: ...

    def describe(self) -> dict[str, float | str]: ...


def _steps(t_s: float, dt_s: float) -> int:
    return round(t_s / dt_s)


CATCH_WINDOW_S = 0.3  # reflex torque counts toward a Tardieu catch until this long after the stretch ends


class ValidatedProtocol(Validated):
    """Protocols with range-checked fields: errors name `protocol.FIELD`; `describe` lists the fields."""

    section: ClassVar[str] = "protocol"
    error: ClassVar[type[Exception]] = ProtocolError
    kind: ClassVar[str]

    def describe(self) -> dict[str, float | str]:
        return {"type": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class ClonusTest(ValidatedProtocol):
    """The bedside clonus test: a brisk passive dorsiflexion, then sustained dorsiflexing pressure.

    The examiner holds the foot at `start_deg` for `settle_s`, drives it through `stretch_deg`
    at `velocity_deg_per_s` with a stiff hand (spring `hand_stiffness_nm_per_rad`, damper
    `hand_damping_nms_per_rad`, plus the torque that held the foot still), then lets go of the
    position and keeps pushing with a constant `hold_torque_nm`.
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
        return self.stretch_deg / self.velocity_deg_per_s

    def compile(self, dt_s: float) -> CompiledProtocol:
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
        """The sequence of levels (+1 or -1), one per tick of `switch_s`."""
        n_ticks = self.n_ticks
        return 2.0 * np.random.default_rng(self.seed).integers(0, 2, size=n_ticks) - 1.0

    def compile(self, dt_s: float) -> CompiledProtocol:
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
    clonus test, to see whether clonus follows."""

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
        return self.stretch_deg / self.velocity_deg_per_s

    def compile(self, dt_s: float) -> CompiledProtocol:
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
    and stays. A large enough sustained bias suppresses clonus (Arch Phys Med Rehabil 1977)."""

    kind: ClassVar[str] = "bias_test"
    bias_torque_nm: float = param(30.0, "N·m", 0.0, 150.0, "sustained dorsiflexing load", "model choice")
    rise_s: float = param(
        0.03, "s", 0.001, 1.0, "time for the load to build up (a dropped weight: fast)", "model choice"
    )
    settle_s: float = param(0.2, "s", 0.0, 5.0, "rest before the load", "model choice")

    def compile(self, dt_s: float) -> CompiledProtocol:
        return _torque_step(self.settle_s, self.rise_s, self.bias_torque_nm, dt_s, (-40 * DEG, 35 * DEG))


@dataclass(frozen=True)
class ToeLanding(ValidatedProtocol):
    """Toe-first landing in walking: the forefoot meets the ground with the foot plantarflexed and
    body weight loads it, a rapid dorsiflexing torque (weight × forefoot lever) on the ankle.

    The foot starts at rest (plantarflexed, swinging free); the load builds up over `rise_s` and
    stays for the stance. An AFO or a heel wedge limits how far and how fast the calf is stretched.
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
        return self.body_mass_kg * 9.81 * self.load_fraction * self.forefoot_lever_m

    def compile(self, dt_s: float) -> CompiledProtocol:
        return _torque_step(self.settle_s, self.rise_s, self.load_torque_nm, dt_s, (-40 * DEG, 40 * DEG))

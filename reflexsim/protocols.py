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


@dataclass(frozen=True)
class ClonusTest(Validated):
    """The bedside clonus test: a brisk passive dorsiflexion, then sustained dorsiflexing pressure.

    The examiner holds the foot at `start_deg` for `settle_s`, drives it through `stretch_deg`
    at `velocity_deg_per_s` with a stiff hand (spring `hand_stiffness_nm_per_rad`, damper
    `hand_damping_nms_per_rad`, plus the torque that held the foot still), then lets go of the
    position and keeps pushing with a constant `hold_torque_nm`.
    """

    section: ClassVar[str] = "protocol"
    error: ClassVar[type[Exception]] = ProtocolError
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
        k_stretch = _steps(self.settle_s, dt_s)
        k_hold = k_stretch + max(1, _steps(self.stretch_duration_s, dt_s))
        ramp_rad_per_s = self.stretch_deg * DEG / ((k_hold - k_stretch) * dt_s)  # lands on the grid
        theta0 = self.start_deg * DEG
        k, b = self.hand_stiffness_nm_per_rad, self.hand_damping_nms_per_rad
        seg = np.array(
            [
                [0, kernel.MODE_SERVO, theta0, 0.0, k, b],
                [k_stretch, kernel.MODE_SERVO, theta0, ramp_rad_per_s, k, b],
                [k_hold, kernel.MODE_TORQUE, self.hold_torque_nm, 0.0, 0.0, 0.0],
            ],
            dtype=np.float64,
        )
        if k_stretch == 0:
            seg = seg[1:]
        end = theta0 + self.stretch_deg * DEG
        return CompiledProtocol(
            segments=seg,
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

    def describe(self) -> dict[str, float | str]:
        return {"type": "clonus_test", **{f.name: getattr(self, f.name) for f in fields(self)}}


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

"""`simulate`: run one model under one protocol and return a `Result` with named arrays.

The wrapper validates its inputs, checks that the step suits the delay and the stiffness,
calls the compiled integrator, turns status codes into clear `SimulationError`s, and computes
the derived signals (forces, torques, spindle rate, EMG-like excitation) from the same
component functions the right-hand side uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import kernel
from .errors import SimulationError
from .params import Model
from .protocols import MODE_STATIC_HOLD, ClonusTest, CompiledProtocol, ProtocolLike

DEFAULT_DT_S = 5e-4  # from the convergence study in docs/numerics.md
DEFAULT_DURATION_S = 12.0  # a clonus test long enough to grade > 10 s of clonus
MIN_DT_S, MAX_DT_S = 1e-6, 5e-3
MAX_DURATION_S = 3600.0
# |lambda| * dt bound for classic RK4 (its stability region reaches 2.78 on the negative real
# axis and 2.83 on the imaginary axis); kept below both with a margin.
RK4_STABILITY = 2.5


@dataclass(frozen=True, eq=False)
class Result:
    """One simulated run: the model and protocol that produced it and its named time series.

    Angles in rad (``angle_deg`` for degrees), torques in N·m (dorsiflexing > 0), forces in N,
    rates in imp/s, excitation and activation as fractions of full recruitment.
    """

    model: Model
    protocol: ProtocolLike
    dt_s: float
    events: CompiledProtocol = field(repr=False)
    time_s: np.ndarray = field(repr=False)
    angle_rad: np.ndarray = field(repr=False)
    velocity_rad_per_s: np.ndarray = field(repr=False)
    activation: np.ndarray = field(repr=False)
    excitation: np.ndarray = field(repr=False)
    spindle_rate_ips: np.ndarray = field(repr=False)
    muscle_force_n: np.ndarray = field(repr=False)
    active_torque_nm: np.ndarray = field(repr=False)
    muscle_passive_torque_nm: np.ndarray = field(repr=False)
    joint_torque_nm: np.ndarray = field(repr=False)
    external_torque_nm: np.ndarray = field(repr=False)
    holding_torque_nm: float = 0.0

    @property
    def angle_deg(self) -> np.ndarray:
        return np.degrees(self.angle_rad)

    @property
    def muscle_torque_nm(self) -> np.ndarray:
        """Total triceps torque (active + passive fibre force)."""
        return self.active_torque_nm + self.muscle_passive_torque_nm

    @property
    def reflex_torque_nm(self) -> np.ndarray:
        """Active muscle torque above its resting level, positive when resisting dorsiflexion."""
        return -(self.active_torque_nm - self.active_torque_nm[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays, e.g. for saving with ``numpy.savez``."""
        names = (
            "time_s",
            "angle_rad",
            "velocity_rad_per_s",
            "activation",
            "excitation",
            "spindle_rate_ips",
            "muscle_force_n",
            "active_torque_nm",
            "muscle_passive_torque_nm",
            "joint_torque_nm",
            "external_torque_nm",
        )
        return {n: getattr(self, n) for n in names}


@dataclass(frozen=True)
class StepLimits:
    """How large a step the model tolerates (RK4 stability estimates, see `step_limits`)."""

    inertia: float  # kg·m²
    stiffness: float  # stiffest state the run can reach, N·m/rad
    damping: float  # passive, orthosis and protocol damping, N·m·s/rad
    fv_damping_full: float  # force-velocity damping of the fully activated muscle, N·m·s/rad

    def max_dt_s(self, activation: float = 0.0) -> float:
        """Largest RK4-stable step with the muscle at `activation`."""
        rate = _fastest_rate(self.inertia, self.damping + activation * self.fv_damping_full, self.stiffness)
        return RK4_STABILITY / rate

    def activation_limit(self, dt_s: float) -> float:
        """Activation above which the muscle's force-velocity damping makes `dt_s` unstable."""
        if self.fv_damping_full <= 0.0:
            return math.inf
        return (RK4_STABILITY * self.inertia / dt_s - self.damping) / self.fv_damping_full


def checked_steps(duration_s: float, dt_s: float, error: type[Exception] = SimulationError) -> tuple[float, float, int]:
    """Validated (duration_s, dt_s, number of steps); `error` is raised with one clear message."""

    def number(name: str, value: float, lo: float, hi: float) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise error(f"{name} = {value!r} is not a number; valid range [{lo:g}, {hi:g}] s") from None
        if not (math.isfinite(v) and lo <= v <= hi):
            raise error(f"{name} = {value!r} is outside its valid range [{lo:g}, {hi:g}] s")
        return v

    duration_s = number("duration_s", duration_s, 1e-3, MAX_DURATION_S)
    dt_s = number("dt_s", dt_s, MIN_DT_S, MAX_DT_S)
    n_steps = round(duration_s / dt_s)
    if n_steps < 1:
        raise error(f"duration_s = {duration_s:g} s is shorter than one step (dt_s = {dt_s:g} s)")
    return duration_s, dt_s, n_steps


def _fastest_rate(inertia: float, damping: float, stiffness: float) -> float:
    """Largest |eigenvalue| of inertia*s^2 + damping*s + stiffness = 0."""
    disc = damping * damping - 4.0 * inertia * stiffness
    if disc >= 0.0:
        return (damping + math.sqrt(disc)) / (2.0 * inertia)
    return math.sqrt(stiffness / inertia)


def step_limits(model: Model, compiled: CompiledProtocol) -> StepLimits:
    """Estimate the stiffest and most damped state a run can reach (for RK4 stability)."""
    m, j, o = model.muscle, model.joint, model.orthosis
    cos_pen = math.cos(m.pennation_rad)
    lam_per_rad = m.moment_arm_m / (cos_pen * m.optimal_fibre_length_m)
    lo, hi = compiled.angle_range_rad
    lam_hi = m.fibre_length_at_neutral + lam_per_rad * hi
    k_muscle = (
        m.moment_arm_m
        * cos_pen
        * m.passive_scale
        * m.passive_force_at_optimal_n
        * m.passive_exponent
        * lam_per_rad
        * math.exp(m.passive_exponent * (lam_hi - 1.0))
    )
    k_joint = j.pf_end_torque_nm * j.pf_end_rate_per_rad * math.exp(-j.pf_end_rate_per_rad * lo)
    k_stop = o.stop_stiffness_nm_per_rad if o.stop_angle_rad < hi else 0.0
    # Slope of force-velocity at v = 0 times full activation, mapped to the joint.
    fv_damping_full = (
        m.moment_arm_m**2
        * m.max_force_n
        * (1.0 + 1.0 / m.fv_curvature)
        / (m.max_shortening_velocity_per_s * m.optimal_fibre_length_m)
    )
    return StepLimits(
        inertia=model.foot.inertia_kg_m2,
        stiffness=k_muscle + k_joint + o.stiffness_nm_per_rad + k_stop + compiled.added_stiffness_nm_per_rad,
        damping=j.damping_nms_per_rad + o.damping_nms_per_rad + compiled.added_damping_nms_per_rad,
        fv_damping_full=fv_damping_full,
    )


def resolve_segments(model: Model, segments: np.ndarray) -> np.ndarray:
    """Turn protocol-level static holds (keep the foot at an angle with the torque that holds it
    there, plus extra pressure) into constant-torque segments for this model."""
    rows = segments[:, kernel.SEG_MODE] == MODE_STATIC_HOLD
    if not rows.any():
        return segments
    p = model.pack()
    d = kernel.derive(p)
    resolved = segments.copy()
    for i in np.flatnonzero(rows):
        angle, extra = segments[i, kernel.SEG_A0], segments[i, kernel.SEG_A1]
        holding = -kernel.static_torque(p, d, angle, kernel.steady_activation(p, d, angle))
        resolved[i, kernel.SEG_MODE] = kernel.MODE_TORQUE
        resolved[i, kernel.SEG_A0 :] = (holding + extra, 0.0, 0.0, 0.0)
    return resolved


_HINT_MODEL = "check that the parameters are physiological (`reflexsim params` lists the ranges)"


def simulate(
    model: Model,
    protocol: ProtocolLike | None = None,
    *,
    duration_s: float = DEFAULT_DURATION_S,
    dt_s: float = DEFAULT_DT_S,
) -> Result:
    """Simulate `model` under `protocol` (default: the standard `ClonusTest`).

    Fixed-step RK4 with a delay line; see docs/numerics.md for the step choice and accuracy.
    Raises `SimulationError` with the time and a hint if the run cannot be done or blows up.
    """
    if not isinstance(model, Model):
        raise SimulationError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    if not hasattr(protocol, "compile"):
        raise SimulationError(f"protocol must be a reflexsim protocol such as ClonusTest(), got {protocol!r}")
    duration_s, dt_s, n_steps = checked_steps(duration_s, dt_s)

    total_delay = model.reflex.delay_s + model.muscle.electromechanical_delay_s
    if total_delay < 2.0 * dt_s:
        raise SimulationError(
            f"dt_s = {dt_s:g} s is too large for the loop delay: reflex.delay_s + "
            f"muscle.electromechanical_delay_s = {total_delay:g} s must be at least 2 steps; "
            f"use dt_s <= {total_delay / 2:g}"
        )
    compiled = protocol.compile(dt_s)
    segments = resolve_segments(model, compiled.segments)
    limits = step_limits(model, compiled)
    if dt_s > limits.max_dt_s():
        raise SimulationError(
            f"dt_s = {dt_s:g} s is too large for the stiffness of this model and protocol "
            f"(passive tissues, orthosis and examiner's hand, up to {limits.stiffness:.0f} N·m/rad): "
            f"RK4 needs dt_s <= {limits.max_dt_s():.3g} s"
        )

    p = model.pack()
    out = np.empty((n_steps + 1, kernel.OUT_COLUMNS))
    status, k_fail, hold = kernel.integrate(
        p,
        segments,
        compiled.samples,
        compiled.theta_start_rad,
        dt_s,
        n_steps,
        limits.activation_limit(dt_s),
        out,
    )
    if status != kernel.STATUS_OK:
        raise _simulation_error(status, k_fail, dt_s, out, limits, model)

    sig = np.empty((n_steps + 1, kernel.N_SIGNALS))
    kernel.signals(p, segments, compiled.samples, dt_s, hold, out, model.reflex.delay_s, sig)
    time_s = np.arange(n_steps + 1) * dt_s
    return Result(
        model=model,
        protocol=protocol,
        dt_s=dt_s,
        events=compiled,
        time_s=time_s,
        angle_rad=out[:, 0],
        velocity_rad_per_s=out[:, 1],
        activation=out[:, 2],
        excitation=sig[:, kernel.SIG_EXCITATION],
        spindle_rate_ips=sig[:, kernel.SIG_SPINDLE_RATE],
        muscle_force_n=sig[:, kernel.SIG_MUSCLE_FORCE],
        active_torque_nm=sig[:, kernel.SIG_ACTIVE_TORQUE],
        muscle_passive_torque_nm=sig[:, kernel.SIG_MUSCLE_PASSIVE_TORQUE],
        joint_torque_nm=sig[:, kernel.SIG_JOINT_TORQUE],
        external_torque_nm=sig[:, kernel.SIG_EXTERNAL_TORQUE],
        holding_torque_nm=hold,
    )


def _simulation_error(
    status: int, k_fail: int, dt_s: float, out: np.ndarray, limits: StepLimits, model: Model
) -> SimulationError:
    t = k_fail * dt_s
    if status == kernel.STATUS_NO_EQUILIBRIUM:
        return SimulationError(
            "no resting angle within ±90° balances the protocol's initial torque; "
            f"lower the initial torque or {_HINT_MODEL}"
        )
    if status == kernel.STATUS_STEP_TOO_LARGE:
        act = out[k_fail, 2]
        return SimulationError(
            f"at t = {t:.4f} s the muscle activation reached {act:.2f}, where its force-velocity damping "
            f"({act * limits.fv_damping_full:.1f} N·m·s/rad) makes dt_s = {dt_s:g} s unstable for RK4; "
            f"rerun with dt_s <= {limits.max_dt_s(min(1.0, max(2.0 * act, 0.5))):.2g}"
        )
    if status == kernel.STATUS_OUT_OF_RANGE:
        return SimulationError(
            f"at t = {t:.4f} s the ankle passed ±90°: the external torque or the reflex drove the foot "
            f"beyond any joint range; lower the protocol's torque or {_HINT_MODEL}"
        )
    return SimulationError(
        f"the simulation blew up (non-finite state) at t = {t:.4f} s; the step dt_s = {dt_s:g} s may be "
        f"too large for this model's stiffness or delay (try dt_s = {dt_s / 4:g}), or {_HINT_MODEL}"
    )

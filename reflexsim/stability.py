"""Linear stability of the stretch-reflex loop: operating point, linearisation, characteristic
roots and the Hopf boundary (the reflex gain at which clonus sets in for small perturbations).

The model is the delay system ``x'(t) = f(x(t), u(t - D))`` with the kernel's six states
``x = (theta, omega, activation, activation_rate, ce_velocity, efficacy)`` (``kernel.STATE_NAMES``),
pool excitation ``u = g(x)`` and loop delay ``D = reflex.delay_s + muscle.electromechanical_delay_s``
(see docs/numerics.md). Around the hold phase's equilibrium it becomes ``x' = A0 x + A1 x(t - D)``
with ``A1 = b c^T``. Every entry is a finite difference of the compiled physical laws the simulator
integrates (``kernel.rhs_vector`` for f, ``kernel.spindle`` and ``kernel.pool_output`` for g), read
through the constants record of ``kernel.constants``; no model equation is restated here, so the
analysis cannot drift from the model. The characteristic roots (``det(sI - A0 - A1 e^{-sD}) = 0``)
come from a Chebyshev pseudospectral discretisation of the delay system's infinitesimal generator
(Breda, Maset & Vermiglio 2005, SIAM J Sci Comput 27:482), each refined by Newton's method on the
characteristic equation.

The result is a small-amplitude statement. Its gains are physiological: the spindle's power law
is linear below ``spindle.linear_range_m_per_s`` (the primary ending's small-signal sensitivity),
recruitment is spread over ``reflex.recruitment_width_ips`` and the force-velocity curve is C1 at
zero velocity. Finite clonic beats see amplitude-dependent (describing-function) gains: the power
law's sensitivity falls with velocity, recruitment steepens above threshold, and post-activation
depression (driven by the dynamic Ia discharge, which starts quadratically) acts only at finite
amplitude. docs/stability.md compares the linear boundary with the simulated onset of clonus.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from scipy import linalg, optimize

from . import kernel
from .errors import ParameterError, ReflexsimError, SimulationError
from .params import Model, describe
from .protocols import ClonusTest

DEFAULT_HOLD_TORQUE_NM = ClonusTest().hold_torque_nm  # the clonus test's held dorsiflexing pressure
DEFAULT_N_CHEBYSHEV = 20  # collocation intervals on [-D, 0]; see docs/stability.md for convergence
DEFAULT_N_ROOTS = 6  # rightmost roots (counting conjugates) refined and reported
GAIN_RANGE = (describe("reflex.gain").lo, describe("reflex.gain").hi)  # the parameter's valid range
DEFAULT_GAIN_SCAN_POINTS = 41  # the critical-gain search first samples the gain range every (hi - lo) / 40

N_STATES = kernel.N_STATES
STATE_NAMES = kernel.STATE_NAMES
FD_RELATIVE_STEP = 1e-5  # central-difference step as a fraction of each variable's scale
FD_TOLERANCE = 1e-6  # largest accepted relative disagreement of the (h, 2h) and (2h, 4h) estimates
_EQUILIBRIUM_TOLERANCE_NM = 1e-6  # torque residual accepted at the operating point
_SCAN_ANGLES = 721  # grid over +-90 deg on which equilibria are counted (0.25 deg apart)
_NEWTON_MAX_ITER = 50
_NEWTON_RTOL = 1e-13
_ROOT_RESIDUAL_TOL = 1e-9  # largest accepted relative smallest singular value at a refined root
_APPROX_SHIFT_TOL = 1e-3  # largest Newton correction of the rightmost root, relative to |s| + 1/D
_SAME_ROOT_RTOL = 1e-7  # two refined roots closer than this (relative to |s| + 1/D) are one root
_CANDIDATES_PER_ROOT = 4  # at most this many approximations are refined per requested root

_TH, _OM, _ACT, _ACT_RATE, _CE, _EFF = (
    kernel.Y_THETA,
    kernel.Y_OMEGA,
    kernel.Y_ACT,
    kernel.Y_ACT_RATE,
    kernel.Y_CE_VELOCITY,
    kernel.Y_EFFICACY,
)


# ---------------------------------------------------------------------------------------------
# Operating point


@dataclass(frozen=True)
class OperatingPoint:
    """The hold phase's equilibrium: the foot at rest with the reflex loop in steady state.

    `activation` equals `excitation` there (the twitch filter has unit DC gain); both are given
    because one is the muscle state and the other the motoneuron-pool output. At rest nothing
    moves, so the contractile element is still and Ia transmission is undepressed (efficacy 1);
    `state` is the full kernel state. `equilibria` counts the torque balance's roots within
    +-90 deg (1 = unique); `angle_rad` is the one ``kernel.equilibrium_angle`` finds, which is
    where the simulator starts a held-torque run.

    Attributes
    ----------
    hold_torque_nm : float
        The constant dorsiflexing torque held, N·m.
    angle_rad : float
        Ankle angle at rest, rad (+ = dorsiflexion).
    activation : float
        Muscle activation at rest, fraction of full recruitment.
    excitation : float
        Motoneuron-pool excitation at rest, fraction of full recruitment (equals `activation`).
    ia_rate_ips : float
        Ia spindle rate at rest, imp/s.
    threshold_ips : float
        The model's ``reflex.threshold_ips``, imp/s.
    above_threshold : bool
        Whether the resting Ia rate exceeds the threshold (the held ankle is tonically active
        through the reflex).
    equilibria : int
        Number of roots of the torque balance within +-90 deg (1 = unique).

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import operating_point
    >>> op = operating_point(preset("severe"), hold_torque_nm=30.0)
    >>> round(op.angle_deg, 1), round(op.ia_rate_ips), op.threshold_ips, op.above_threshold
    (-0.9, 70, 65.0, True)
    """

    hold_torque_nm: float
    angle_rad: float
    activation: float
    excitation: float
    ia_rate_ips: float
    threshold_ips: float
    above_threshold: bool
    equilibria: int

    @property
    def angle_deg(self) -> float:
        """Ankle angle at rest in degrees (+ = dorsiflexion)."""
        return math.degrees(self.angle_rad)

    @property
    def state(self) -> np.ndarray:
        """The kernel state at rest (``kernel.rest_state``), ordered as ``kernel.STATE_NAMES``."""
        return np.array(kernel.rest_state(self.angle_rad, self.activation), dtype=float)


def _check_model(model: Model) -> None:
    if not isinstance(model, Model):
        raise ParameterError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")


def _check_hold_torque(hold_torque_nm: float) -> float:
    try:
        tau = float(hold_torque_nm)
    except (TypeError, ValueError):
        raise ParameterError(f"hold_torque_nm = {hold_torque_nm!r} is not a number of N·m") from None
    if not math.isfinite(tau):
        raise ParameterError(f"hold_torque_nm = {hold_torque_nm!r} must be a finite torque in N·m")
    return tau


def _torque_balance(c: np.ndarray, theta: float, tau_ext: float) -> float:
    return kernel.static_torque(c, 0, theta, kernel.steady_activation(c, 0, theta)) + tau_ext


def operating_point(model: Model, hold_torque_nm: float = DEFAULT_HOLD_TORQUE_NM) -> OperatingPoint:
    """Equilibrium under a constant dorsiflexing `hold_torque_nm` (N·m), reflex in steady state:
    the state the linear analysis expands around.

    Uses the kernel's own `equilibrium_angle`, `steady_activation`, `static_torque` and
    `excitation`, so it is the state a simulation under that torque rests in.

    Parameters
    ----------
    model : Model
        The model, e.g. ``reflexsim.preset("severe")``.
    hold_torque_nm : float, default 30.0
        Constant dorsiflexing torque in N·m (the clonus test's held pressure by default); any
        finite value.

    Returns
    -------
    OperatingPoint
        Angle, activation, excitation and Ia rate at rest, and the number of equilibria.

    Raises
    ------
    ParameterError
        If `model` is not a `Model` or `hold_torque_nm` is not a finite number.
    SimulationError
        If no angle within +-90 deg balances the torque.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import operating_point
    >>> op = operating_point(preset("healthy"))
    >>> round(op.angle_deg), op.above_threshold, op.equilibria
    (16, False, 1)
    """
    _check_model(model)
    tau = _check_hold_torque(hold_torque_nm)
    c, _ = kernel.constants(model.pack())
    theta = float(kernel.equilibrium_angle(c, 0, tau))
    if math.isnan(theta):
        raise SimulationError(
            f"no ankle angle within ±90° balances hold_torque_nm = {tau:g} N·m with the reflex in steady "
            "state; lower the torque or check the parameters (`reflexsim params` lists the ranges)"
        )
    edge = 0.5 * math.pi - 1e-6
    grid = np.linspace(-edge, edge, _SCAN_ANGLES)
    balance = np.array([_torque_balance(c, th, tau) for th in grid])
    equilibria = max(1, int(np.count_nonzero(np.diff(np.sign(balance)) != 0)))
    activation = float(kernel.steady_activation(c, 0, theta))
    excitation, rate = kernel.excitation_vector(c, np.array(kernel.rest_state(theta, activation)))
    return OperatingPoint(
        hold_torque_nm=tau,
        angle_rad=theta,
        activation=activation,
        excitation=float(excitation),
        ia_rate_ips=float(rate),
        threshold_ips=model.reflex.threshold_ips,
        above_threshold=rate > model.reflex.threshold_ips,
        equilibria=equilibria,
    )


# ---------------------------------------------------------------------------------------------
# Linearisation


@dataclass(frozen=True, eq=False)
class Linearisation:
    """``x' = A0 x + A1 x(t - D)`` around an operating point, with ``A1 = b c^T`` (rank one).

    States are ordered as ``STATE_NAMES`` (= ``kernel.STATE_NAMES``). `input_gain` (b) is df/du,
    how the delayed pool excitation drives the state derivatives (only the twitch equation);
    `feedback_gain` (c) is dg/dx, the small-signal reflex gain from state to excitation (nonzero
    for theta, in 1/rad, omega, in s/rad, and efficacy). `fd_relative_error` estimates the
    finite differences' relative error (estimates from steps h and 2h against 2h and 4h, scaled
    variables).

    Attributes
    ----------
    operating_point : OperatingPoint
        The equilibrium linearised around.
    delay_s : float
        Loop delay D = ``reflex.delay_s`` + ``muscle.electromechanical_delay_s``, s.
    a0 : numpy.ndarray
        (6, 6) Jacobian of the right-hand side with respect to the current state (read-only).
    a1 : numpy.ndarray
        (6, 6) Jacobian with respect to the delayed state, ``outer(input_gain, feedback_gain)``.
    input_gain : numpy.ndarray
        b = df/du, shape (6,): how the delayed pool excitation drives the state derivatives.
    feedback_gain : numpy.ndarray
        c = dg/dx, shape (6,): the small-signal reflex gain from state to excitation.
    state_scales : numpy.ndarray
        Scale of each state variable, shape (6,); the finite-difference steps are a fraction
        ``FD_RELATIVE_STEP`` of it.
    fd_relative_error : float
        Estimated relative error of the finite differences.
    inertia_kg_m2 : float
        Foot inertia, kg·m² (turns joint accelerations into torques).

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import linearise
    >>> lin = linearise(preset("severe"))
    >>> lin.a0.shape, round(lin.delay_s, 3)
    ((6, 6), 0.052)
    >>> round(lin.stiffness_nm_per_rad), round(lin.damping_nms_per_rad, 1)  # N·m/rad, N·m·s/rad
    (82, 8.7)
    """

    operating_point: OperatingPoint
    delay_s: float
    a0: np.ndarray
    a1: np.ndarray
    input_gain: np.ndarray
    feedback_gain: np.ndarray
    state_scales: np.ndarray
    fd_relative_error: float
    inertia_kg_m2: float

    @property
    def stiffness_nm_per_rad(self) -> float:
        """Joint stiffness at the operating point with the reflex loop open and activation and
        contractile-element velocity held (-I dω'/dθ): passive tissues, orthosis and the active
        force-length slope."""
        return float(-self.a0[_OM, _TH] * self.inertia_kg_m2)

    @property
    def series_elastic_time_s(self) -> float:
        """Time constant T with which the contractile element follows the joint (-1 / dv'/dv)."""
        return float(-1.0 / self.a0[_CE, _CE])

    @property
    def damping_nms_per_rad(self) -> float:
        """Joint damping for slow movements (well below 1/T), passive plus the muscle's
        force-velocity damping: -I (dω'/dω + dω'/dv · dv/dω), with v the contractile-element
        velocity in its steady state dv/dω = -(dv'/dω) / (dv'/dv)."""
        a = self.a0
        return float(-self.inertia_kg_m2 * (a[_OM, _OM] - a[_OM, _CE] * a[_CE, _OM] / a[_CE, _CE]))

    @property
    def series_elastic_stiffness_nm_per_rad(self) -> float:
        """Stiffness the active muscle adds to stretches faster than 1/T, where the series
        elasticity rather than the force-velocity damping takes them (-I dω'/dv · dv'/dω)."""
        return float(-self.inertia_kg_m2 * self.a0[_OM, _CE] * self.a0[_CE, _OM])

    def loop_transfer(self, frequency_hz: np.ndarray | float) -> np.ndarray:
        """Open-loop frequency response L(i 2π f) = -c^T (sI - A0)^{-1} b e^{-sD}.

        Negative-feedback convention of physiology.md §7: the loop is on its stability boundary
        where L = -1 (|L| = 1 at phase -180°).

        Parameters
        ----------
        frequency_hz : float or numpy.ndarray
            Frequency or frequencies in Hz.

        Returns
        -------
        numpy.ndarray
            Complex L (dimensionless), one per frequency (1-D, also for a scalar input).

        Examples
        --------
        >>> import numpy as np
        >>> from reflexsim import preset
        >>> from reflexsim.stability import linearise
        >>> np.round(np.abs(linearise(preset("severe")).loop_transfer([1.0, 6.0])), 1)
        array([8.5, 5.1])
        """
        f = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
        eye = np.eye(self.a0.shape[0])
        out = np.empty(f.shape, dtype=complex)
        for i, fi in enumerate(f):
            s = 2j * math.pi * fi
            out[i] = (
                -self.feedback_gain @ np.linalg.solve(s * eye - self.a0, self.input_gain) * np.exp(-s * self.delay_s)
            )
        return out


def _loop_delay(p: np.ndarray) -> float:
    """The loop delay D in s, as the kernel's delay line reads it (its delay in steps of 1 s)."""
    return float(kernel.delay_steps(p, 1.0))


def _state_scales(c: np.ndarray, rate0: float) -> tuple[np.ndarray, float]:
    """How far each state variable, and the Ia rate, must move before the right-hand side or the
    excitation bends noticeably; finite-difference steps are a small fraction of these.

    Physical scales of the parameters and the derived geometry, read from the constants record:
    theta: the steepest exponential or Gaussian of the tissues, the orthosis stop's width (when
    there is a stop) and the angle over which the Ia rate crosses its smooth floor; omega: the
    spindle's linear range as a joint velocity; ce_velocity: the knees of the force-velocity
    curve; activation and its rate enter linearly (scales 1 and 1/twitch time); efficacy: 1, or
    less where the pool drive it multiplies would cross the smooth saturation at full
    recruitment; Ia rate: the recruitment width, and the rate change that crosses that saturation.
    """
    lam_per_rad, fibre_m_per_rad = c[kernel.C_LAM_PER_RAD], c[kernel.C_FIBRE_M_PER_RAD]
    theta_scales = [
        1.0,
        1.0 / c[kernel.C_PF_END_RATE],
        1.0 / (c[kernel.C_PE_EXP] * lam_per_rad),
        1.0 / (c[kernel.C_INV_FL_WIDTH] * lam_per_rad),
    ]
    if c[kernel.C_STOP_K] > 0.0:
        theta_scales.append(c[kernel.C_STOP_WIDTH])
    length_rate = c[kernel.C_FUSIMOTOR] * c[kernel.C_IA_LGAIN] * fibre_m_per_rad  # imp/s per rad
    if length_rate > 0.0:
        theta_scales.append(kernel._RATE_FLOOR_WIDTH_IPS / length_rate)
    omega_scale = c[kernel.C_IA_VLIN] / fibre_m_per_rad
    v_max = 1.0 / c[kernel.C_INV_VMAX]
    ce_scale = v_max * min(1.0 / c[kernel.C_INV_FV_CURVATURE], 1.0 / c[kernel.C_FV_ECC_RATE])
    gain_drive = max(c[kernel.C_GAIN_DRIVE], 1e-300)
    width = c[kernel.C_RECRUIT_WIDTH]
    above = max(rate0 - c[kernel.C_THRESHOLD], 0.0) + width  # bounds the recruited rate
    efficacy_scale = min(1.0, kernel.SATURATION_WIDTH / (gain_drive * above))
    scales = np.empty(N_STATES)
    scales[_TH] = min(theta_scales)
    scales[_OM] = omega_scale
    scales[_ACT] = 1.0
    scales[_ACT_RATE] = 1.0 / c[kernel.C_TWITCH]
    scales[_CE] = ce_scale
    scales[_EFF] = efficacy_scale
    rate_scale = min(width, kernel.SATURATION_WIDTH / gain_drive)
    return scales, rate_scale


def _central(fun: Callable[[float], np.ndarray | float], x: float, h: float):
    """Central difference at steps h and 2h combined as 2 D(h) - D(2h): this cancels the O(h)
    error a C1 join leaves (the force-velocity curve and the spindle's odd power law at v = 0, the
    onset of the dynamic Ia discharge) and keeps O(h²) for smooth terms."""
    d1 = (fun(x + h) - fun(x - h)) / (2.0 * h)
    d2 = (fun(x + 2.0 * h) - fun(x - 2.0 * h)) / (4.0 * h)
    return 2.0 * d1 - d2


def _differences(
    c: np.ndarray, op: OperatingPoint, scales: np.ndarray, rate_scale: float, rel: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A0 = df/dx, b = df/du and c = dg/dx at the operating point by central differences with
    steps `rel` times each variable's scale. g = pool_output(spindle(theta, omega).rate, efficacy)
    is differenced factor by factor, each over its own scale."""
    x0 = op.state
    u0 = op.excitation
    tau = op.hold_torque_nm

    def f(x: np.ndarray, u: float) -> np.ndarray:
        return kernel.rhs_vector(c, x, u, False, 0.0, 0.0, 0.0, tau)

    def rate(theta: float, omega: float) -> float:
        return kernel.spindle(c, 0, theta, omega, False)[0]

    def along(e: np.ndarray) -> Callable[[float], np.ndarray]:
        return lambda t: f(x0 + t * e, u0)

    a0 = np.empty((N_STATES, N_STATES))
    for k in range(N_STATES):
        e = np.zeros(N_STATES)
        e[k] = 1.0
        a0[:, k] = _central(along(e), 0.0, rel * scales[k])
    b = _central(lambda u: f(x0, u), u0, rel)  # u in [0, 1] enters linearly
    theta0, eff0 = x0[_TH], x0[_EFF]
    rate0 = rate(theta0, 0.0)
    dpool_drate = _central(lambda r: kernel.pool_output(c, 0, r, eff0, False), rate0, rel * rate_scale)
    drate_dtheta = _central(lambda th: rate(th, 0.0), theta0, rel * scales[_TH])
    drate_domega = _central(lambda w: rate(theta0, w), 0.0, rel * scales[_OM])
    dpool_deff = _central(lambda q: kernel.pool_output(c, 0, rate0, q, False), eff0, rel * scales[_EFF])
    fb = np.zeros(N_STATES)
    fb[_TH] = dpool_drate * drate_dtheta
    fb[_OM] = dpool_drate * drate_domega
    fb[_EFF] = dpool_deff
    return a0, b, fb


def _check_excitation_structure(c: np.ndarray, op: OperatingPoint, scales: np.ndarray) -> None:
    """The factored g must be the kernel's `excitation` (what enters the delay line): the same
    value at the operating point, and no dependence on the states it leaves out."""
    x0 = op.state
    u0, _ = kernel.excitation_vector(c, x0)
    composed = kernel.pool_output(c, 0, kernel.spindle(c, 0, x0[_TH], x0[_OM], False)[0], x0[_EFF], False)
    moved = []
    for k in (_ACT, _ACT_RATE, _CE):
        x = x0.copy()
        x[k] += scales[k]
        moved.append(kernel.excitation_vector(c, x)[0] != u0)
    if composed != u0 or any(moved):
        raise SimulationError(
            "the kernel's pool excitation is no longer pool_output(spindle rate, efficacy) of (theta, omega, "
            "efficacy) alone; reflexsim.stability's factorisation of g must be updated"
        )


def _relative_difference(pairs: Sequence[tuple[np.ndarray, np.ndarray]], scales: np.ndarray) -> float:
    """max |M - M2| / max |M| over all the (M, M2) pairs, in scaled variables (S^-1 M S), where
    entry errors translate into root errors."""

    def scaled(m: np.ndarray) -> np.ndarray:
        return m * scales[np.newaxis, :] / scales[:, np.newaxis]

    norm = max(float(np.max(np.abs(scaled(m1)))) for m1, _ in pairs)
    diff = max(float(np.max(np.abs(scaled(m1) - scaled(m2)))) for m1, m2 in pairs)
    return diff / norm if norm > 0 else 0.0


def linearise(model: Model, hold_torque_nm: float = DEFAULT_HOLD_TORQUE_NM) -> Linearisation:
    """Linearise the model around the hold equilibrium by central finite differences of the
    compiled right-hand side (``kernel.rhs_vector``), spindle and motoneuron-pool functions.

    Steps h are ``FD_RELATIVE_STEP`` times a per-variable scale (`_state_scales`); central
    differences at h and 2h are extrapolated (`_central`), and everything is recomputed from 2h
    and 4h: a disagreement above ``FD_TOLERANCE`` means the operating point sits on a kink finer
    than the step, and raises `SimulationError`.

    Every derivative at rest exists and is physiological: the spindle's power law is linear
    below ``spindle.linear_range_m_per_s``, recruitment is a softplus of width
    ``reflex.recruitment_width_ips``, the force-velocity curve is C1 at zero velocity and the
    dynamic Ia discharge that drives post-activation depression starts quadratically (so
    depression does not enter the small-signal loop). Larger beats see amplitude-dependent gains
    (docs/stability.md).

    Parameters
    ----------
    model : Model
        The model.
    hold_torque_nm : float, default 30.0
        Constant dorsiflexing torque held, N·m (the clonus test's by default); finite.

    Returns
    -------
    Linearisation
        A0, A1 = b c^T, the loop delay and the operating point.

    Raises
    ------
    ParameterError
        If `model` is not a `Model` or the torque is not a finite number.
    SimulationError
        If no equilibrium balances the torque, the operating point is not at rest, or the
        finite differences are unreliable (a kink of the model at the operating point).

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim import preset
    >>> from reflexsim.stability import STATE_NAMES, linearise
    >>> lin = linearise(preset("severe"))
    >>> [name for name, c in zip(STATE_NAMES, lin.feedback_gain) if c != 0]  # what the reflex feeds back
    ['theta', 'omega', 'efficacy']
    >>> bool(np.allclose(lin.a1, np.outer(lin.input_gain, lin.feedback_gain)))
    True
    """
    op = operating_point(model, hold_torque_nm)
    p = model.pack()
    c, _ = kernel.constants(p)
    inertia = model.foot.inertia_kg_m2
    rest = kernel.rhs_vector(c, op.state, op.excitation, False, 0.0, 0.0, 0.0, op.hold_torque_nm)
    if abs(rest[_OM]) * inertia > _EQUILIBRIUM_TOLERANCE_NM:
        raise SimulationError(
            f"the operating point at {op.angle_deg:.4f}° is not at rest (torque residual {rest[_OM] * inertia:.3g} "
            "N·m); the model's equilibrium could not be resolved"
        )
    scales, rate_scale = _state_scales(c, op.ia_rate_ips)
    _check_excitation_structure(c, op, scales)
    a0, b, fb = _differences(c, op, scales, rate_scale, FD_RELATIVE_STEP)
    a0_2h, b_2h, fb_2h = _differences(c, op, scales, rate_scale, 2.0 * FD_RELATIVE_STEP)
    a1, a1_2h = np.outer(b, fb), np.outer(b_2h, fb_2h)
    err = _relative_difference([(a0, a0_2h), (a1, a1_2h)], scales)
    if not err <= FD_TOLERANCE:
        raise SimulationError(
            f"the finite-difference linearisation at {op.angle_deg:.4f}° is unreliable (steps h and 2h differ by "
            f"{err:.2g} relative): the operating point sits on a kink of the model"
        )
    for arr in (a0, a1, b, fb, scales):
        arr.setflags(write=False)
    return Linearisation(
        operating_point=op,
        delay_s=_loop_delay(p),
        a0=a0,
        a1=a1,
        input_gain=b,
        feedback_gain=fb,
        state_scales=scales,
        fd_relative_error=err,
        inertia_kg_m2=inertia,
    )


# ---------------------------------------------------------------------------------------------
# Characteristic roots of x' = A0 x + A1 x(t - D)


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Rightmost characteristic roots of ``x' = A0 x + A1 x(t - D)`` (1/s), rightmost first.

    `roots` are Newton-refined; `approximations` are the pseudospectral eigenvalues they were
    refined from (same order), so ``abs(roots - approximations)`` is the discretisation error.
    `frequency_hz` is Im/2π of the rightmost complex pair (NaN if no complex root was found) and
    `oscillation_growth_per_s` its real part; `decay_rate_per_s` is -max Re over all roots
    (negative when unstable). `residual` is the largest smallest-singular-value of the
    characteristic matrix at the roots, relative to its scale.

    Attributes
    ----------
    roots : numpy.ndarray
        Newton-refined complex roots, 1/s, rightmost first, conjugate pairs adjacent (read-only).
    approximations : numpy.ndarray
        The pseudospectral eigenvalues they were refined from, same order.
    delay_s : float
        The delay D, s.
    n_chebyshev : int
        Collocation intervals of the discretisation used.
    stable : bool
        Every root has Re s < 0.
    decay_rate_per_s : float
        -max Re s, 1/s (negative when unstable).
    frequency_hz : float
        Im s / 2π of the rightmost complex pair, Hz (NaN if none).
    oscillation_growth_per_s : float
        Re s of that pair, 1/s.
    residual : float
        Largest relative smallest singular value of the characteristic matrix at the roots.

    Examples
    --------
    The scalar delay equation x'(t) = -x(t - 1) is stable, oscillating at 0.21 Hz:

    >>> import numpy as np
    >>> from reflexsim.stability import dde_roots
    >>> spectrum = dde_roots(np.array([[0.0]]), np.array([[-1.0]]), 1.0, n_roots=2)
    >>> spectrum.stable, round(spectrum.frequency_hz, 3), round(spectrum.decay_rate_per_s, 4)
    (True, 0.213, 0.3181)
    """

    roots: np.ndarray
    approximations: np.ndarray
    delay_s: float
    n_chebyshev: int
    stable: bool
    decay_rate_per_s: float
    frequency_hz: float
    oscillation_growth_per_s: float
    residual: float

    @property
    def rightmost(self) -> complex:
        """The rightmost root (largest real part), 1/s."""
        return complex(self.roots[0])


def characteristic_matrix(a0: np.ndarray, a1: np.ndarray, delay_s: float, s: complex) -> np.ndarray:
    """Δ(s) = sI - A0 - A1 e^{-sD}: singular exactly at the characteristic roots.

    Parameters
    ----------
    a0 : numpy.ndarray
        (m, m) coefficient of the current state, 1/s.
    a1 : numpy.ndarray
        (m, m) coefficient of the delayed state, 1/s.
    delay_s : float
        Delay D in s.
    s : complex
        Point of the complex plane, 1/s.

    Returns
    -------
    numpy.ndarray
        The complex (m, m) matrix Δ(s).

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.stability import characteristic_matrix
    >>> delta = characteristic_matrix(np.array([[0.0]]), np.array([[-1.0]]), 1.0, -0.3181315 + 1.3372357j)
    >>> bool(abs(delta[0, 0]) < 1e-6)  # a root of x'(t) = -x(t - 1)
    True
    """
    return s * np.eye(a0.shape[0]) - a0 - a1 * np.exp(-s * delay_s)


def chebyshev_differentiation(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev extremal points x_j = cos(jπ/n), j = 0..n, and the matrix that differentiates a
    polynomial through them (Trefethen, Spectral Methods in MATLAB, 2000, `cheb`).

    Parameters
    ----------
    n : int
        Number of intervals (n + 1 points), n >= 1.

    Returns
    -------
    x : numpy.ndarray
        The n + 1 points on [-1, 1], from 1 down to -1.
    dm : numpy.ndarray
        The (n + 1, n + 1) differentiation matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.stability import chebyshev_differentiation
    >>> x, dm = chebyshev_differentiation(2)
    >>> np.round(x, 12).tolist()
    [1.0, 0.0, -1.0]
    >>> (dm @ x**2).round(12).tolist()  # d/dx x² = 2x, exact for a polynomial of degree <= n
    [2.0, 0.0, -2.0]
    """
    x = np.cos(np.pi * np.arange(n + 1) / n)
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(n + 1)
    dx = x[:, np.newaxis] - x[np.newaxis, :]
    dm = np.outer(c, 1.0 / c) / (dx + np.eye(n + 1))
    dm -= np.diag(dm.sum(axis=1))
    return x, dm


def generator_matrix(a0: np.ndarray, a1: np.ndarray, delay_s: float, n_chebyshev: int) -> np.ndarray:
    """Pseudospectral discretisation of the DDE's infinitesimal generator (Breda, Maset &
    Vermiglio 2005): the history on [-D, 0] is a polynomial through n + 1 Chebyshev points
    θ_j = D (x_j - 1) / 2; its derivative is collocated at θ_1..θ_n and the DDE itself at θ_0 = 0.
    The eigenvalues approximate the rightmost characteristic roots with spectral accuracy.

    Parameters
    ----------
    a0 : numpy.ndarray
        (m, m) coefficient of the current state, 1/s.
    a1 : numpy.ndarray
        (m, m) coefficient of the delayed state, 1/s.
    delay_s : float
        Delay D in s (> 0).
    n_chebyshev : int
        Collocation intervals on [-D, 0].

    Returns
    -------
    numpy.ndarray
        The real (m (n + 1), m (n + 1)) generator matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.stability import generator_matrix
    >>> big = generator_matrix(np.array([[0.0]]), np.array([[-1.0]]), 1.0, 20)
    >>> big.shape
    (21, 21)
    >>> eig = np.linalg.eigvals(big)
    >>> rightmost = eig[np.argmax(eig.real)]
    >>> round(float(rightmost.real), 4), round(float(abs(rightmost.imag)), 4)
    (-0.3181, 1.3372)
    """
    m = a0.shape[0]
    _, dm = chebyshev_differentiation(n_chebyshev)
    big = np.zeros((m * (n_chebyshev + 1), m * (n_chebyshev + 1)))
    big[:m, :m] = a0
    big[:m, -m:] += a1
    big[m:, :] = np.kron((2.0 / delay_s) * dm[1:, :], np.eye(m))
    return big


def _newton(a0: np.ndarray, a1: np.ndarray, delay_s: float, s: complex) -> tuple[complex, bool]:
    """Newton on log det Δ(s): s <- s - 1 / tr(Δ(s)^{-1} Δ'(s)), Δ'(s) = I + D A1 e^{-sD}
    (Jacobi's formula; quadratic for a simple root, free of det's overflow). At a multiple root
    the step stalls in rounding noise; the root is then accepted on its residual."""
    eye = np.eye(a0.shape[0])
    for _ in range(_NEWTON_MAX_ITER):
        delta = characteristic_matrix(a0, a1, delay_s, s)
        ddelta = eye + delay_s * a1 * np.exp(-s * delay_s)
        try:
            t = np.trace(np.linalg.solve(delta, ddelta))
        except np.linalg.LinAlgError:
            return s, True  # Δ exactly singular: s is a root
        if t == 0 or not np.isfinite(t):
            break
        step = 1.0 / t
        s = s - step
        if abs(step) <= _NEWTON_RTOL * max(abs(s), 1.0 / delay_s):
            return s, True
    return s, bool(np.isfinite(s)) and _root_residual(a0, a1, delay_s, s) <= _ROOT_RESIDUAL_TOL


def _root_residual(a0: np.ndarray, a1: np.ndarray, delay_s: float, s: complex) -> float:
    """σ_min(Δ(s)) relative to |s| + ||A0|| + ||A1 e^{-sD}|| (0 at an exact root)."""
    sv = np.linalg.svd(characteristic_matrix(a0, a1, delay_s, s), compute_uv=False)
    scale = abs(s) + np.linalg.norm(a0, 2) + np.linalg.norm(a1, 2) * abs(np.exp(-s * delay_s))
    return float(sv[-1] / scale)


def _check_matrices(a0: np.ndarray, a1: np.ndarray, delay_s: float, n_chebyshev: int, n_roots: int):
    a0 = np.atleast_2d(np.asarray(a0, dtype=float))
    a1 = np.atleast_2d(np.asarray(a1, dtype=float))
    if a0.ndim != 2 or a0.shape[0] != a0.shape[1] or a1.shape != a0.shape:
        raise ParameterError(f"a0 and a1 must be square matrices of the same size (got {a0.shape} and {a1.shape})")
    if not (np.all(np.isfinite(a0)) and np.all(np.isfinite(a1))):
        raise ParameterError("a0 and a1 must be finite")
    if not (isinstance(delay_s, (int, float, np.floating)) and math.isfinite(delay_s) and delay_s > 0):
        raise ParameterError(f"delay_s = {delay_s!r} must be a positive, finite delay in s")
    if isinstance(n_chebyshev, bool) or not isinstance(n_chebyshev, (int, np.integer)) or not 4 <= n_chebyshev <= 400:
        raise ParameterError(f"n_chebyshev = {n_chebyshev!r} must be an integer in [4, 400]")
    if isinstance(n_roots, bool) or not isinstance(n_roots, (int, np.integer)) or n_roots < 1:
        raise ParameterError(f"n_roots = {n_roots!r} must be a positive integer")
    return a0, a1, float(delay_s)


def dde_roots(
    a0: np.ndarray,
    a1: np.ndarray,
    delay_s: float,
    *,
    n_chebyshev: int = DEFAULT_N_CHEBYSHEV,
    n_roots: int = DEFAULT_N_ROOTS,
) -> Spectrum:
    """Rightmost roots of det(sI - A0 - A1 e^{-sD}) = 0 for any real (A0, A1, D).

    The `n_roots` rightmost eigenvalues of the pseudospectral generator (`generator_matrix`,
    `n_chebyshev` intervals) are each refined by Newton's method on the characteristic equation;
    roots of a real system come in conjugate pairs, so the upper half-plane ones are refined and
    mirrored.

    Parameters
    ----------
    a0 : numpy.ndarray
        (m, m) real, finite coefficient of the current state, 1/s.
    a1 : numpy.ndarray
        (m, m) real, finite coefficient of the delayed state, 1/s (same shape as `a0`).
    delay_s : float
        Delay D in s, positive and finite.
    n_chebyshev : int, default 20
        Collocation intervals of the discretisation, in [4, 400] (docs/stability.md shows the
        convergence).
    n_roots : int, default 6
        How many rightmost roots (counting conjugates) to refine and report, >= 1.

    Returns
    -------
    Spectrum
        The roots (1/s), stability, decay rate and frequency of the rightmost complex pair.

    Raises
    ------
    ParameterError
        If the matrices are not square, of the same size and finite, the delay is not positive
        and finite, or `n_chebyshev` / `n_roots` are not integers in range.
    SimulationError
        If the rightmost root does not converge or the discretisation is too coarse for it
        (then raise `n_chebyshev`).

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.stability import dde_roots
    >>> spectrum = dde_roots(np.array([[0.0]]), np.array([[-1.0]]), 1.0, n_roots=2)
    >>> np.round(spectrum.roots, 4)
    array([-0.3181+1.3372j, -0.3181-1.3372j])
    """
    a0, a1, delay_s = _check_matrices(a0, a1, delay_s, n_chebyshev, n_roots)
    # Diagonal balancing: a similarity transform, so the roots are unchanged; it evens out the
    # state variables' units (rad vs rad/s vs activation rate) before the eigenvalue solve.
    _, (scale, _) = linalg.matrix_balance(np.abs(a0) + np.abs(a1), permute=False, separate=True)
    b0 = a0 * scale[np.newaxis, :] / scale[:, np.newaxis]
    b1 = a1 * scale[np.newaxis, :] / scale[:, np.newaxis]
    eig = np.linalg.eigvals(generator_matrix(b0, b1, delay_s, n_chebyshev))
    eig = eig[np.isfinite(eig)]
    upper = eig[eig.imag >= -1e-12 * (np.abs(eig) + 1.0)]
    upper = upper[np.argsort(-upper.real, kind="stable")]

    # Refine candidates rightmost first. Each accepted root keeps the approximation closest to
    # it: a spurious eigenvalue of the discretisation may converge onto a true root, and a
    # multiple root is reported once.
    accepted: list[list[complex]] = []  # [root, approximation]
    scale_s = 1.0 / delay_s
    for approx in upper[: _CANDIDATES_PER_ROOT * n_roots]:
        if sum(1 if r.imag == 0 else 2 for r, _ in accepted) >= n_roots and approx.real < min(
            r.real for r, _ in accepted
        ):
            break
        real_start = abs(approx.imag) <= 1e-9 * (abs(approx) + scale_s)
        root, ok = _newton(b0, b1, delay_s, complex(approx.real, 0.0) if real_start else complex(approx))
        if not ok:
            continue
        if abs(root.imag) <= 1e-10 * (abs(root) + scale_s):
            root = complex(root.real, 0.0)
        elif root.imag < 0:
            root = root.conjugate()
        same = [pair for pair in accepted if abs(root - pair[0]) <= _SAME_ROOT_RTOL * (abs(root) + scale_s)]
        if same:
            if abs(approx - same[0][0]) < abs(same[0][1] - same[0][0]):
                same[0][1] = complex(approx)
            continue
        accepted.append([root, complex(approx)])
    if not accepted:
        raise SimulationError(
            "Newton's method converged from none of the rightmost approximate roots; "
            f"raise n_chebyshev (now {n_chebyshev})"
        )
    accepted.sort(key=lambda ra: -ra[0].real)
    pairs: list[tuple[complex, complex]] = []
    for root, approx in accepted:
        pairs.append((root, approx))
        if root.imag != 0:
            pairs.append((root.conjugate(), approx.conjugate()))
    roots = np.array([r for r, _ in pairs])
    approximations = np.array([a for _, a in pairs])
    lead, lead_approx = roots[0], approximations[0]
    shift = abs(lead - lead_approx) / (abs(lead) + scale_s)
    if shift > _APPROX_SHIFT_TOL:
        raise SimulationError(
            f"the pseudospectral estimate {lead_approx:.6g} of the rightmost root is {shift:.2g} (relative) "
            f"away from the Newton-refined root {lead:.6g}: the discretisation is too coarse, raise n_chebyshev "
            f"(now {n_chebyshev})"
        )
    residual = max(_root_residual(b0, b1, delay_s, r) for r in roots)
    if residual > _ROOT_RESIDUAL_TOL:
        raise SimulationError(f"refined roots leave a relative residual of {residual:.2g}; raise n_chebyshev")
    complex_roots = roots[roots.imag > 0]
    osc = complex_roots[0] if complex_roots.size else complex(math.nan, math.nan)
    for arr in (roots, approximations):
        arr.setflags(write=False)
    return Spectrum(
        roots=roots,
        approximations=approximations,
        delay_s=delay_s,
        n_chebyshev=int(n_chebyshev),
        stable=bool(lead.real < 0),
        decay_rate_per_s=float(-lead.real),
        frequency_hz=float(osc.imag / (2 * math.pi)),
        oscillation_growth_per_s=float(osc.real),
        residual=residual,
    )


# ---------------------------------------------------------------------------------------------
# The model's linear stability


@dataclass(frozen=True, eq=False)
class LinearStability:
    """Linear stability of one model under a held torque: operating point, linearisation, roots.

    Made by `analyse`; the properties read through to the linearisation and the spectrum.

    Attributes
    ----------
    model : Model
        The model analysed.
    linearisation : Linearisation
        Its linearisation around the hold equilibrium.
    spectrum : Spectrum
        The rightmost characteristic roots.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import analyse
    >>> analysis = analyse(preset("healthy"))
    >>> analysis.stable, round(analysis.decay_rate_per_s, 3)  # 1/s
    (True, 0.125)
    """

    model: Model
    linearisation: Linearisation
    spectrum: Spectrum

    @property
    def operating_point(self) -> OperatingPoint:
        """The hold equilibrium the model was linearised around."""
        return self.linearisation.operating_point

    @property
    def stable(self) -> bool:
        """Every characteristic root has Re s < 0: small perturbations of the hold die out."""
        return self.spectrum.stable

    @property
    def decay_rate_per_s(self) -> float:
        """-max Re s over the roots, 1/s (negative when unstable)."""
        return self.spectrum.decay_rate_per_s

    @property
    def frequency_hz(self) -> float:
        """Frequency of the rightmost complex pair, Hz: the predicted small-amplitude clonus frequency."""
        return self.spectrum.frequency_hz

    @property
    def roots(self) -> np.ndarray:
        """The rightmost characteristic roots, 1/s, rightmost first."""
        return self.spectrum.roots


def analyse(
    model: Model,
    hold_torque_nm: float = DEFAULT_HOLD_TORQUE_NM,
    *,
    n_chebyshev: int = DEFAULT_N_CHEBYSHEV,
    n_roots: int = DEFAULT_N_ROOTS,
) -> LinearStability:
    """Linearise `model` around the hold equilibrium under `hold_torque_nm` and find its rightmost
    characteristic roots: stable or not, decay rate and predicted (small-amplitude) clonus frequency.

    Parameters
    ----------
    model : Model
        The model, e.g. ``reflexsim.preset("severe")``.
    hold_torque_nm : float, default 30.0
        Constant dorsiflexing torque held, N·m (the clonus test's by default); finite.
    n_chebyshev : int, default 20
        Collocation intervals of the root finder's discretisation, in [4, 400].
    n_roots : int, default 6
        How many rightmost roots (counting conjugates) to report, >= 1.

    Returns
    -------
    LinearStability
        Operating point, linearisation and spectrum.

    Raises
    ------
    ParameterError
        If `model` is not a `Model`, the torque is not finite, or `n_chebyshev` / `n_roots` are
        out of range.
    SimulationError
        If no equilibrium balances the torque, the linearisation is unreliable (a kink of the
        model at the operating point), or the roots do not converge.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import analyse
    >>> severe = analyse(preset("severe"))
    >>> severe.stable, round(severe.frequency_hz, 1)  # unstable hold: clonus at about 6 Hz
    (False, 6.1)
    """
    lin = linearise(model, hold_torque_nm)
    spectrum = dde_roots(lin.a0, lin.a1, lin.delay_s, n_chebyshev=n_chebyshev, n_roots=n_roots)
    return LinearStability(model=model, linearisation=lin, spectrum=spectrum)


# ---------------------------------------------------------------------------------------------
# Hopf boundary


@dataclass(frozen=True)
class CriticalGain:
    """The reflex gain at which the hold equilibrium first loses stability as the gain rises.

    `gain` and `frequency_hz` are NaN when `found` is false; `reason` then says why (stable over
    the whole range, unstable already at its low end, or the analysis failed). `kind` is "hopf"
    when a complex pair crosses (oscillatory onset, the clonus case) and "real" when a real root
    does (static instability). `restabilising_gain` is the gain above which the equilibrium is
    stable again within the range (the rising tonic activation adds force-velocity damping),
    NaN if it is not. `model_gain` is the model's own reflex.gain, so `margin` is how far it sits
    from the boundary (> 1: beyond it, unstable for small perturbations).

    Attributes
    ----------
    gain : float
        The critical ``reflex.gain`` (NaN if none was found).
    frequency_hz : float
        Frequency of the crossing pair at the critical gain, Hz (NaN if none).
    found : bool
        Whether a crossing was found in `gain_range`.
    reason : str
        Why not, when `found` is false; empty otherwise.
    kind : str
        ``"hopf"`` (complex pair, oscillatory onset), ``"real"`` (static instability) or empty.
    restabilising_gain : float
        Gain above which the equilibrium is stable again within the range, NaN if it is not.
    model_gain : float
        The model's own ``reflex.gain``.
    hold_torque_nm : float
        The held dorsiflexing torque, N·m.
    gain_range : tuple of float
        The (low, high) gains searched.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import critical_gain
    >>> crit = critical_gain(preset("healthy"), gain_range=(0.0, 2.0), scan_points=5, n_chebyshev=10)
    >>> crit.found, crit.reason
    (False, 'stable for every gain in [0, 2] (at gain 2 the rightmost root has Re s = -0.125 1/s)')
    """

    gain: float
    frequency_hz: float
    found: bool
    reason: str
    kind: str
    restabilising_gain: float
    model_gain: float
    hold_torque_nm: float
    gain_range: tuple[float, float]

    @property
    def margin(self) -> float:
        """model_gain / critical gain (NaN if no crossing was found); > 1: beyond the boundary."""
        return self.model_gain / self.gain if self.found and self.gain > 0 else math.nan


def _check_gain_range(gain_range: Sequence[float], scan_points: int) -> tuple[float, float]:
    try:
        lo, hi = (float(g) for g in gain_range)
    except (TypeError, ValueError):
        raise ParameterError(f"gain_range = {gain_range!r} must be two numbers (low, high)") from None
    if not (GAIN_RANGE[0] <= lo < hi <= GAIN_RANGE[1]):
        raise ParameterError(
            f"gain_range = ({lo:g}, {hi:g}) must satisfy {GAIN_RANGE[0]:g} <= low < high <= {GAIN_RANGE[1]:g} "
            "(the valid range of reflex.gain)"
        )
    if isinstance(scan_points, bool) or not isinstance(scan_points, (int, np.integer)) or scan_points < 3:
        raise ParameterError(f"scan_points = {scan_points!r} must be an integer >= 3")
    return lo, hi


class _CriticalGainContext(TypedDict):
    """The fields of a `CriticalGain` that do not depend on whether a crossing was found."""

    model_gain: float
    hold_torque_nm: float
    gain_range: tuple[float, float]
    restabilising_gain: float


def critical_gain(
    model: Model,
    hold_torque_nm: float = DEFAULT_HOLD_TORQUE_NM,
    *,
    gain_range: Sequence[float] = GAIN_RANGE,
    scan_points: int = DEFAULT_GAIN_SCAN_POINTS,
    n_chebyshev: int = DEFAULT_N_CHEBYSHEV,
) -> CriticalGain:
    """Smallest reflex.gain in `gain_range` at which the rightmost root crosses into Re s > 0.

    Every other parameter is kept; the operating point is recomputed at each gain because the
    tonic reflex moves it. The gain range is sampled at `scan_points` evenly spaced gains and the
    first sign change of max Re s is refined by Brent's method; an unstable window narrower than
    the sampling step can be missed. No crossing is reported as ``found=False`` with NaN and a
    reason, never silently.

    Parameters
    ----------
    model : Model
        The model; its own ``reflex.gain`` becomes `CriticalGain.model_gain`.
    hold_torque_nm : float, default 30.0
        Constant dorsiflexing torque held, N·m; finite.
    gain_range : sequence of float, default (0, 40)
        (low, high) gains to search, within the valid range of ``reflex.gain`` and low < high.
    scan_points : int, default 41
        Evenly spaced gains sampled before refining, >= 3.
    n_chebyshev : int, default 20
        Collocation intervals of the root finder, in [4, 400].

    Returns
    -------
    CriticalGain
        The critical gain and frequency, or ``found=False`` with the reason.

    Raises
    ------
    ParameterError
        If `model`, `hold_torque_nm`, `gain_range` or `scan_points` is invalid.
    SimulationError
        If the analysis fails at some gain.

    Examples
    --------
    A coarse scan and discretisation (fast; the Newton-refined roots are the same):

    >>> from reflexsim import preset
    >>> from reflexsim.stability import critical_gain
    >>> crit = critical_gain(preset("severe"), gain_range=(0.0, 2.0), scan_points=5, n_chebyshev=10)
    >>> crit.kind, round(crit.gain, 3), round(crit.frequency_hz, 2), round(crit.margin, 1)
    ('hopf', 0.622, 5.83, 5.8)
    """
    _check_model(model)
    tau = _check_hold_torque(hold_torque_nm)
    lo, hi = _check_gain_range(gain_range, scan_points)

    def at(gain: float) -> Spectrum:
        return analyse(model.with_values({"reflex.gain": gain}), tau, n_chebyshev=n_chebyshev).spectrum

    def growth(gain: float) -> float:
        return at(gain).rightmost.real

    gains = np.linspace(lo, hi, scan_points)
    alpha = np.array([growth(g) for g in gains])
    common = _CriticalGainContext(
        model_gain=model.reflex.gain, hold_torque_nm=tau, gain_range=(lo, hi), restabilising_gain=math.nan
    )
    if alpha[0] >= 0:
        return CriticalGain(
            gain=math.nan,
            frequency_hz=math.nan,
            found=False,
            reason=f"unstable already at gain {lo:g} (rightmost root Re s = {alpha[0]:.3g} 1/s): "
            "the loop without that much reflex is unstable",
            kind="",
            **common,
        )
    unstable = np.flatnonzero(alpha >= 0)
    if unstable.size == 0:
        return CriticalGain(
            gain=math.nan,
            frequency_hz=math.nan,
            found=False,
            reason=f"stable for every gain in [{lo:g}, {hi:g}] (at gain {hi:g} the rightmost root has "
            f"Re s = {alpha[-1]:.3g} 1/s)",
            kind="",
            **common,
        )
    k = int(unstable[0])
    g_crit = optimize.brentq(growth, gains[k - 1], gains[k], xtol=1e-10, rtol=1e-12)
    lead = at(g_crit).rightmost
    stable_again = np.flatnonzero(alpha[k:] < 0)
    if stable_again.size:
        j = k + int(stable_again[0])
        common["restabilising_gain"] = optimize.brentq(growth, gains[j - 1], gains[j], xtol=1e-8, rtol=1e-10)
    return CriticalGain(
        gain=float(g_crit),
        frequency_hz=abs(lead.imag) / (2 * math.pi),
        found=True,
        reason="",
        kind="hopf" if lead.imag != 0 else "real",
        **common,
    )


@dataclass(frozen=True, eq=False)
class HopfBoundary:
    """Critical reflex gain and crossing frequency as a function of one other parameter.

    Made by `hopf_boundary`.

    Attributes
    ----------
    path : str
        The dotted parameter path varied, e.g. ``"reflex.delay_s"``.
    values : numpy.ndarray
        Its values (read-only), in the parameter's unit.
    points : tuple of CriticalGain
        The critical gain at each value.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.stability import hopf_boundary
    >>> boundary = hopf_boundary(
    ...     preset("severe"), "reflex.delay_s", [0.03, 0.05], gain_range=(0.0, 2.0), scan_points=5, n_chebyshev=10
    ... )
    >>> boundary.found.tolist(), boundary.critical_gain.round(2).tolist()
    ([True, True], [0.67, 0.58])
    """

    path: str
    values: np.ndarray
    points: tuple[CriticalGain, ...]

    @property
    def critical_gain(self) -> np.ndarray:
        """Critical gain at each value (NaN where none was found)."""
        return np.array([p.gain for p in self.points])

    @property
    def frequency_hz(self) -> np.ndarray:
        """Crossing frequency at each value, Hz (NaN where none was found)."""
        return np.array([p.frequency_hz for p in self.points])

    @property
    def found(self) -> np.ndarray:
        """Whether a crossing was found at each value (bool array)."""
        return np.array([p.found for p in self.points])

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why no crossing was found at each value (empty where one was)."""
        return tuple(p.reason for p in self.points)


def hopf_boundary(
    model: Model,
    path: str,
    values: Sequence[float] | np.ndarray,
    hold_torque_nm: float = DEFAULT_HOLD_TORQUE_NM,
    *,
    gain_range: Sequence[float] = GAIN_RANGE,
    scan_points: int = DEFAULT_GAIN_SCAN_POINTS,
    n_chebyshev: int = DEFAULT_N_CHEBYSHEV,
) -> HopfBoundary:
    """`critical_gain` of `model` with the parameter at dotted `path` set to each of `values`
    (e.g. "reflex.delay_s", "muscle.contraction_time_s", "orthosis.stiffness_nm_per_rad").

    Every value is validated before any work; a point where the analysis fails is recorded with
    ``found=False`` and the error as its reason, and the others go on.

    Parameters
    ----------
    model : Model
        The model whose other parameters are kept.
    path : str
        Dotted parameter path to vary (any but ``"reflex.gain"``).
    values : sequence of float
        Non-empty 1-D values of that parameter, each inside its valid range.
    hold_torque_nm : float, default 30.0
        Constant dorsiflexing torque held, N·m; finite.
    gain_range : sequence of float, default (0, 40)
        (low, high) gains searched at each value (see `critical_gain`).
    scan_points : int, default 41
        Evenly spaced gains sampled before refining, >= 3.
    n_chebyshev : int, default 20
        Collocation intervals of the root finder, in [4, 400].

    Returns
    -------
    HopfBoundary
        The critical gain and frequency at each value.

    Raises
    ------
    ParameterError
        If `path` is unknown or is ``"reflex.gain"``, a value is outside the parameter's range,
        `values` is empty, or the model, torque, gain range or scan points are invalid.

    Examples
    --------
    A longer loop delay lowers the critical gain and the frequency at onset:

    >>> from reflexsim import preset
    >>> from reflexsim.stability import hopf_boundary
    >>> boundary = hopf_boundary(
    ...     preset("severe"), "reflex.delay_s", [0.03, 0.05], gain_range=(0.0, 2.0), scan_points=5, n_chebyshev=10
    ... )
    >>> boundary.frequency_hz.round(1).tolist()  # Hz
    [6.8, 5.1]
    """
    _check_model(model)
    tau = _check_hold_torque(hold_torque_nm)
    _check_gain_range(gain_range, scan_points)
    describe(path)  # unknown path: ParameterError with suggestions
    if path == "reflex.gain":
        raise ParameterError("path = 'reflex.gain' is the gain the boundary is solved for; name another parameter")
    vals = np.atleast_1d(np.asarray(values, dtype=float))
    if vals.ndim != 1 or vals.size == 0:
        raise ParameterError(f"values must be a non-empty 1-D sequence of numbers for {path}")
    models = [model.with_values({path: float(v)}) for v in vals]
    points = []
    for m in models:
        try:
            points.append(
                critical_gain(m, tau, gain_range=gain_range, scan_points=scan_points, n_chebyshev=n_chebyshev)
            )
        except ReflexsimError as err:
            lo, hi = (float(g) for g in gain_range)
            points.append(
                CriticalGain(
                    gain=math.nan,
                    frequency_hz=math.nan,
                    found=False,
                    reason=f"analysis failed: {err}",
                    kind="",
                    restabilising_gain=math.nan,
                    model_gain=m.reflex.gain,
                    hold_torque_nm=tau,
                    gain_range=(lo, hi),
                )
            )
    vals.setflags(write=False)
    return HopfBoundary(path=path, values=vals, points=tuple(points))

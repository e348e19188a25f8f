"""The compiled core: packed-parameter layout, right-hand side, RK4 stepper, delay buffer.

This is the only module that numba compiles. Everything here works on packed float64
arrays built by :mod:`reflexsim.params` and :mod:`reflexsim.protocols`; validation happens
in Python before anything reaches a kernel, and kernels report trouble through status codes.

Conventions (SI units throughout):

* ankle angle ``theta`` in rad, positive = dorsiflexion = calf stretch;
* torques in N·m, positive = dorsiflexing; the triceps surae pulls negative;
* state vector ``(theta, omega, activation, activation_rate)``;
* the delay buffer holds the motoneuron-pool excitation ``u(t_k)`` at every step point;
  the muscle sees ``u(t - reflex.delay_s - muscle.electromechanical_delay_s)``, read back with
  4-point (cubic) Lagrange interpolation so that a delay that is not a multiple of the step
  keeps RK4's fourth order. Before t = 0 the history is the initial state held constant.

The layout of the packed parameter vector is defined here (``PARAM_PATHS``) so that a change
to it invalidates numba's on-disk cache together with the code that reads it.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm_binding
import numpy as np
from llvmlite import ir as llvm_ir
from numba import njit, prange, types
from numba.core.compiler_lock import global_compiler_lock
from numba.core.extending import intrinsic

# ---------------------------------------------------------------------------------------------
# Packed parameter layout. The order is the packing order; names are the dotted paths of
# reflexsim.params. Index constants below are module globals, which numba freezes at compile
# time.
PARAM_PATHS = (
    "foot.inertia_kg_m2",
    "foot.mass_kg",
    "foot.com_distance_m",
    "foot.gravity_m_per_s2",
    "joint.damping_nms_per_rad",
    "joint.pf_end_torque_nm",
    "joint.pf_end_rate_per_rad",
    "joint.offset_torque_nm",
    "muscle.max_force_n",
    "muscle.moment_arm_m",
    "muscle.optimal_fibre_length_m",
    "muscle.pennation_rad",
    "muscle.fibre_length_at_neutral",
    "muscle.max_shortening_velocity_per_s",
    "muscle.fv_curvature",
    "muscle.max_eccentric_force",
    "muscle.fl_width",
    "muscle.passive_force_at_optimal_n",
    "muscle.passive_exponent",
    "muscle.passive_scale",
    "muscle.contraction_time_s",
    "muscle.electromechanical_delay_s",
    "spindle.baseline_rate_ips",
    "spindle.velocity_gain_ips",
    "spindle.velocity_exponent",
    "spindle.length_gain_ips_per_m",
    "spindle.fusimotor_scale",
    "spindle.velocity_smoothing_m_per_s",
    "reflex.gain",
    "reflex.delay_s",
    "reflex.threshold_ips",
    "reflex.tone",
    "reflex.drive_per_ips",
    "reflex.recruitment_width_ips",
    "orthosis.stiffness_nm_per_rad",
    "orthosis.damping_nms_per_rad",
    "orthosis.neutral_angle_rad",
    "orthosis.stop_angle_rad",
    "orthosis.stop_stiffness_nm_per_rad",
    "orthosis.stop_width_rad",
)
N_PARAMS = len(PARAM_PATHS)
_IX = {path: i for i, path in enumerate(PARAM_PATHS)}

P_INERTIA = _IX["foot.inertia_kg_m2"]
P_FOOT_MASS = _IX["foot.mass_kg"]
P_FOOT_COM = _IX["foot.com_distance_m"]
P_GRAVITY = _IX["foot.gravity_m_per_s2"]
P_JOINT_DAMPING = _IX["joint.damping_nms_per_rad"]
P_PF_END_TORQUE = _IX["joint.pf_end_torque_nm"]
P_PF_END_RATE = _IX["joint.pf_end_rate_per_rad"]
P_OFFSET_TORQUE = _IX["joint.offset_torque_nm"]
P_FMAX = _IX["muscle.max_force_n"]
P_MOMENT_ARM = _IX["muscle.moment_arm_m"]
P_LOPT = _IX["muscle.optimal_fibre_length_m"]
P_PENNATION = _IX["muscle.pennation_rad"]
P_LAMBDA0 = _IX["muscle.fibre_length_at_neutral"]
P_VMAX = _IX["muscle.max_shortening_velocity_per_s"]
P_FV_CURVATURE = _IX["muscle.fv_curvature"]
P_FV_ECC = _IX["muscle.max_eccentric_force"]
P_FL_WIDTH = _IX["muscle.fl_width"]
P_PE_AT_OPT = _IX["muscle.passive_force_at_optimal_n"]
P_PE_EXP = _IX["muscle.passive_exponent"]
P_PE_SCALE = _IX["muscle.passive_scale"]
P_TWITCH = _IX["muscle.contraction_time_s"]
P_EMD = _IX["muscle.electromechanical_delay_s"]
P_IA_BASE = _IX["spindle.baseline_rate_ips"]
P_IA_VGAIN = _IX["spindle.velocity_gain_ips"]
P_IA_VEXP = _IX["spindle.velocity_exponent"]
P_IA_LGAIN = _IX["spindle.length_gain_ips_per_m"]
P_FUSIMOTOR = _IX["spindle.fusimotor_scale"]
P_IA_VSMOOTH = _IX["spindle.velocity_smoothing_m_per_s"]
P_GAIN = _IX["reflex.gain"]
P_DELAY = _IX["reflex.delay_s"]
P_THRESHOLD = _IX["reflex.threshold_ips"]
P_TONE = _IX["reflex.tone"]
P_DRIVE_PER_IPS = _IX["reflex.drive_per_ips"]
P_RECRUIT_WIDTH = _IX["reflex.recruitment_width_ips"]
P_AFO_K = _IX["orthosis.stiffness_nm_per_rad"]
P_AFO_B = _IX["orthosis.damping_nms_per_rad"]
P_AFO_NEUTRAL = _IX["orthosis.neutral_angle_rad"]
P_STOP_ANGLE = _IX["orthosis.stop_angle_rad"]
P_STOP_K = _IX["orthosis.stop_stiffness_nm_per_rad"]
P_STOP_WIDTH = _IX["orthosis.stop_width_rad"]

# Derived constants, computed once per simulation by `derive`.
D_TORQUE_PER_FORCE = 0  # moment arm * cos(pennation): N·m per N of fibre force
D_LAMBDA_PER_RAD = 1  # normalised fibre length per rad of dorsiflexion (rigid tendon)
D_FIBRE_M_PER_RAD = 2  # fibre length in m per rad of dorsiflexion
D_FV_ECC_RATE = 3  # shape constant of the lengthening branch (C1 join at v = 0)
D_VMAX_M_PER_S = 4  # max shortening velocity in m/s
N_DERIVED = 5

# Protocol segment table: one row per segment, columns below. Segments start on step
# boundaries (`SEG_START_STEP`), so every RK4 stage of a step sees the same segment.
SEG_START_STEP = 0
SEG_MODE = 1
SEG_A0 = 2
SEG_A1 = 3
SEG_A2 = 4
SEG_A3 = 5
SEG_COLUMNS = 6
MODE_TORQUE = 0  # tau = a0 + a1 * (t - t0)
MODE_SERVO = 1  # examiner's hand tracks theta_ref = a0 + a1 (t - t0), stiffness a2, damping a3
MODE_SAMPLES = 2  # tau = samples[a0 + (t - t0) / a2], linear, held at the ends; a1 = count

# Status codes returned by the integrators.
STATUS_OK = 0
STATUS_NONFINITE = 1
STATUS_OUT_OF_RANGE = 2
STATUS_NO_EQUILIBRIUM = 3
STATUS_STEP_TOO_LARGE = 4  # activation rose past the level where the step stays RK4-stable
ANGLE_LIMIT_RAD = 0.5 * math.pi  # beyond +-90 deg the foot has left any physical range

# Excitation saturation smoothing (fraction of full recruitment) and spindle-rate rectification
# smoothing (imp/s): numerical widths that keep the right-hand side smooth, far below anything
# physiological.
_SATURATION_WIDTH = 0.01
_RATE_FLOOR_WIDTH_IPS = 1.0
_V_REF_M_PER_S = 1e-3  # spindle power law is written in mm/s (Prochazka & Gorassini 1998)


_SOFTPLUS_CUTOFF = 36.0  # beyond 36 widths the smooth correction is below 1e-15 of the value


@njit(cache=True, inline="always")
def softplus(z, width):
    """Smooth max(z, 0) with transition width `width`; exact to machine precision far away."""
    a = abs(z) / width
    if a > _SOFTPLUS_CUTOFF:
        return max(z, 0.0)
    return max(z, 0.0) + width * math.log1p(math.exp(-a))


@njit(cache=True, inline="always")
def derive(p):
    """Constants that depend only on parameters, computed once per simulation."""
    d = np.empty(N_DERIVED)
    cos_pen = math.cos(p[P_PENNATION])
    d[D_TORQUE_PER_FORCE] = p[P_MOMENT_ARM] * cos_pen
    d[D_FIBRE_M_PER_RAD] = p[P_MOMENT_ARM] / cos_pen
    d[D_LAMBDA_PER_RAD] = d[D_FIBRE_M_PER_RAD] / p[P_LOPT]
    d[D_FV_ECC_RATE] = (1.0 + 1.0 / p[P_FV_CURVATURE]) / (p[P_FV_ECC] - 1.0)
    d[D_VMAX_M_PER_S] = p[P_VMAX] * p[P_LOPT]
    return d


# ---------------------------------------------------------------------------------------------
# Components. Each is a pure scalar function of the packed parameters.


@njit(cache=True, inline="always")
def force_length(p, lam):
    """Active force-length factor (Gaussian, Thelen 2003), 1 at optimal fibre length."""
    z = (lam - 1.0) / p[P_FL_WIDTH]
    return math.exp(-z * z)


@njit(cache=True, inline="always")
def force_velocity(p, d, x):
    """Force-velocity factor at normalised fibre velocity x = v / v_max (lengthening > 0).

    Hill's hyperbola for shortening; for lengthening a hyperbola rising to
    `max_eccentric_force`, joined to the shortening branch with a continuous slope.
    """
    if x <= -1.0:
        return 0.0
    if x <= 0.0:
        return (1.0 + x) / (1.0 - x / p[P_FV_CURVATURE])
    return p[P_FV_ECC] - (p[P_FV_ECC] - 1.0) / (1.0 + d[D_FV_ECC_RATE] * x)


@njit(cache=True, inline="always")
def fibre_length(p, d, theta):
    """Normalised fibre length (l / l_opt) at ankle angle theta (rigid tendon)."""
    return p[P_LAMBDA0] + d[D_LAMBDA_PER_RAD] * theta


@njit(cache=True, inline="always")
def muscle_force_parts(p, d, theta, omega, activation):
    """Triceps surae fibre force in N as (active a * f_l * f_v part, passive fibre part)."""
    lam = fibre_length(p, d, theta)
    x = d[D_LAMBDA_PER_RAD] * omega / p[P_VMAX]
    active = activation * force_length(p, lam) * force_velocity(p, d, x)
    passive = p[P_PE_SCALE] * p[P_PE_AT_OPT] * math.exp(p[P_PE_EXP] * (lam - 1.0))
    return p[P_FMAX] * active, passive


@njit(cache=True, inline="always")
def muscle_force(p, d, theta, omega, activation):
    """Total triceps surae fibre force in N."""
    active, passive = muscle_force_parts(p, d, theta, omega, activation)
    return active + passive


@njit(cache=True, inline="always")
def joint_torque(p, theta, omega):
    """Passive torque of the non-triceps tissues, damping, foot gravity and orthosis (N·m)."""
    tau = p[P_PF_END_TORQUE] * math.exp(-p[P_PF_END_RATE] * theta) + p[P_OFFSET_TORQUE]
    tau -= p[P_JOINT_DAMPING] * omega
    if p[P_GRAVITY] > 0.0:
        tau -= p[P_FOOT_MASS] * p[P_GRAVITY] * p[P_FOOT_COM] * math.cos(theta)
    if p[P_AFO_K] > 0.0 or p[P_AFO_B] > 0.0:
        tau -= p[P_AFO_K] * (theta - p[P_AFO_NEUTRAL]) + p[P_AFO_B] * omega
    if p[P_STOP_K] > 0.0 and p[P_STOP_ANGLE] < ANGLE_LIMIT_RAD:
        tau -= p[P_STOP_K] * softplus(theta - p[P_STOP_ANGLE], p[P_STOP_WIDTH])
    return tau


@njit(cache=True, inline="always")
def spindle_rate(p, d, theta, omega):
    """Ia firing rate in imp/s: baseline + fusimotor * (power law of lengthening velocity +
    length term), rectified (Prochazka & Gorassini 1998)."""
    v = d[D_FIBRE_M_PER_RAD] * omega
    eps = p[P_IA_VSMOOTH]
    v_pos = 0.5 * (v + math.sqrt(v * v + eps * eps))  # smooth max(v, 0)
    stretch = (fibre_length(p, d, theta) - 1.0) * p[P_LOPT]
    dynamic = p[P_IA_VGAIN] * (v_pos / _V_REF_M_PER_S) ** p[P_IA_VEXP]
    raw = p[P_IA_BASE] + p[P_FUSIMOTOR] * (dynamic + p[P_IA_LGAIN] * stretch)
    return softplus(raw, _RATE_FLOOR_WIDTH_IPS)


@njit(cache=True, inline="always")
def pool_excitation(p, rate):
    """Motoneuron-pool output (0..1) for an Ia rate: tone + gain * drive above threshold,
    recruited smoothly and saturating at full recruitment."""
    above = softplus(rate - p[P_THRESHOLD], p[P_RECRUIT_WIDTH])
    drive = p[P_TONE] + p[P_GAIN] * p[P_DRIVE_PER_IPS] * above
    return 1.0 - softplus(1.0 - drive, _SATURATION_WIDTH)


@njit(cache=True)
def static_torque(p, d, theta, activation):
    """Net torque on the foot at rest (omega = 0) without external load."""
    tau_muscle = -d[D_TORQUE_PER_FORCE] * muscle_force(p, d, theta, 0.0, activation)
    return tau_muscle + joint_torque(p, theta, 0.0)


@njit(cache=True)
def steady_activation(p, d, theta):
    """Activation in steady state at angle theta (twitch filter has unit DC gain)."""
    return pool_excitation(p, spindle_rate(p, d, theta, 0.0))


# ---------------------------------------------------------------------------------------------
# Protocol: external torque from the segment table.


@njit(cache=True, inline="always")
def segment_index(seg, step, current):
    """Index of the segment active at `step`, searching forward from `current`."""
    i = current
    while i + 1 < seg.shape[0] and step >= seg[i + 1, SEG_START_STEP]:
        i += 1
    return i


@njit(cache=True, inline="always")
def external_torque_at(samples, mode, t0, a0, a1, a2, a3, hold_torque, t, theta, omega):
    """Torque the examiner (or the world) applies at time t, for one segment's unpacked row."""
    if mode == MODE_TORQUE:
        return a0 + a1 * (t - t0)
    if mode == MODE_SERVO:
        ref = a0 + a1 * (t - t0)
        return hold_torque + a2 * (ref - theta) + a3 * (a1 - omega)
    # MODE_SAMPLES: a0 = first sample, a1 = count, a2 = spacing
    start = int(a0)
    count = int(a1)
    s = (t - t0) / a2
    if s <= 0.0:
        return samples[start]
    if s >= count - 1:
        return samples[start + count - 1]
    j = int(s)
    f = s - j
    return (1.0 - f) * samples[start + j] + f * samples[start + j + 1]


@njit(cache=True, inline="always")
def segment_row(seg, i, dt):
    """Unpack segment i: (mode, start time, a0, a1, a2, a3)."""
    return (
        int(seg[i, SEG_MODE]),
        seg[i, SEG_START_STEP] * dt,
        seg[i, SEG_A0],
        seg[i, SEG_A1],
        seg[i, SEG_A2],
        seg[i, SEG_A3],
    )


@njit(cache=True)
def external_torque(seg, samples, i, dt, hold_torque, t, theta, omega):
    """Torque the examiner (or the world) applies, in segment i at time t."""
    mode, t0, a0, a1, a2, a3 = segment_row(seg, i, dt)
    return external_torque_at(samples, mode, t0, a0, a1, a2, a3, hold_torque, t, theta, omega)


# ---------------------------------------------------------------------------------------------
# Right-hand side and one RK4 step.


@njit(cache=True, inline="always")
def rhs(p, d, samples, row, hold, t, theta, omega, act, act_rate, u_delayed):
    """Time derivatives of (theta, omega, activation, activation_rate).

    `row` is the active protocol segment unpacked by `segment_row`; `u_delayed` is the pool
    excitation one loop delay plus electromechanical delay ago. The twitch is a critically
    damped second-order filter whose impulse response peaks at `contraction_time_s`.
    """
    mode, t0, a0, a1, a2, a3 = row
    tau = -d[D_TORQUE_PER_FORCE] * muscle_force(p, d, theta, omega, act)
    tau += joint_torque(p, theta, omega)
    tau += external_torque_at(samples, mode, t0, a0, a1, a2, a3, hold, t, theta, omega)
    tw = p[P_TWITCH]
    act_acc = (u_delayed - act - 2.0 * tw * act_rate) / (tw * tw)
    return omega, tau / p[P_INERTIA], act_rate, act_acc


@njit(cache=True, inline="always")
def rk4_step(p, d, samples, row, hold, t, dt, y0, y1, y2, y3, u0, u_mid, u1):
    """Classic RK4 from t to t + dt; u0, u_mid, u1 are the delayed drive at the three stage times."""
    h = 0.5 * dt
    a0, a1, a2, a3 = rhs(p, d, samples, row, hold, t, y0, y1, y2, y3, u0)
    b0, b1, b2, b3 = rhs(p, d, samples, row, hold, t + h, y0 + h * a0, y1 + h * a1, y2 + h * a2, y3 + h * a3, u_mid)
    c0, c1, c2, c3 = rhs(p, d, samples, row, hold, t + h, y0 + h * b0, y1 + h * b1, y2 + h * b2, y3 + h * b3, u_mid)
    e0, e1, e2, e3 = rhs(p, d, samples, row, hold, t + dt, y0 + dt * c0, y1 + dt * c1, y2 + dt * c2, y3 + dt * c3, u1)
    s = dt / 6.0
    return (
        y0 + s * (a0 + 2.0 * b0 + 2.0 * c0 + e0),
        y1 + s * (a1 + 2.0 * b1 + 2.0 * c1 + e1),
        y2 + s * (a2 + 2.0 * b2 + 2.0 * c2 + e2),
        y3 + s * (a3 + 2.0 * b3 + 2.0 * c3 + e3),
    )


# ---------------------------------------------------------------------------------------------
# Delay line: ring buffer of u at step points, read with cubic Lagrange interpolation.


@njit(cache=True, inline="always")
def lagrange_weights(f):
    """Weights of the 4-point Lagrange interpolant on nodes -1, 0, 1, 2 at position f."""
    w0 = -f * (f - 1.0) * (f - 2.0) / 6.0
    w1 = (f + 1.0) * (f - 1.0) * (f - 2.0) / 2.0
    w2 = -(f + 1.0) * f * (f - 2.0) / 2.0
    w3 = (f + 1.0) * f * (f - 1.0) / 6.0
    return w0, w1, w2, w3


@njit(cache=True, inline="always")
def delay_taps(delay_steps, stage):
    """Where to read the signal at step time (k + stage - delay_steps), from step k.

    Returns (offset, f, w0, w1, w2, w3): the read lies a fraction f past node k + offset, and
    the interpolant uses nodes k+offset-1 .. k+offset+2 with weights w0..w3.
    """
    s = stage - delay_steps
    j = math.floor(s)
    f = s - j
    w0, w1, w2, w3 = lagrange_weights(f)
    return int(j), f, w0, w1, w2, w3


@njit(cache=True)
def buffer_size(delay_steps):
    """Ring buffer length covering the delay plus the interpolation stencil, rounded up to a
    power of two so that wrapping an index is a bit mask (also for negative indices)."""
    need = math.ceil(delay_steps) + 5
    size = 8
    while size < need:
        size *= 2
    return size


@njit(cache=True, inline="always")
def read_delayed(buf, k, taps, history):
    """The stored signal one delay before stage time k + stage; `taps` from `delay_taps`.

    t = 0 is a breakpoint: before it the signal is the initial `history` exactly, and just after
    it the stencil is shifted right so that it never mixes the two sides (when the four
    one-sided nodes are already known). Elsewhere: 4-point Lagrange on the ring buffer.
    """
    offset, f, w0, w1, w2, w3 = taps
    mask = buf.shape[0] - 1
    j = k + offset
    if j < 0:
        return history
    if j == 0 and k >= 3:
        v0, v1, v2, v3 = lagrange_weights(f - 1.0)
        return v0 * buf[0] + v1 * buf[1] + v2 * buf[2] + v3 * buf[3]
    return w0 * buf[(j - 1) & mask] + w1 * buf[j & mask] + w2 * buf[(j + 1) & mask] + w3 * buf[(j + 2) & mask]


@njit(cache=True, inline="always")
def delay_line(delay_steps, history):
    """A ring buffer filled with the history, and the taps of RK4's three stage reads (at stage
    times 0, 1/2 and 1 of a step), which are the same for every step of a fixed-step run."""
    taps = (delay_taps(delay_steps, 0.0), delay_taps(delay_steps, 0.5), delay_taps(delay_steps, 1.0))
    return np.full(buffer_size(delay_steps), history), taps


@njit(cache=True, inline="always")
def read_stages(buf, k, taps, history):
    """The delayed signal at the three RK4 stage times of step k."""
    return (
        read_delayed(buf, k, taps[0], history),
        read_delayed(buf, k, taps[1], history),
        read_delayed(buf, k, taps[2], history),
    )


@njit(cache=True, inline="always")
def current_row(seg, k, i_seg, row, dt):
    """(index, unpacked row) of the protocol segment active at step k, given the previous ones."""
    i_next = segment_index(seg, k, i_seg)
    if i_next != i_seg or k == 0:
        return i_next, segment_row(seg, i_next, dt)
    return i_seg, row


# ---------------------------------------------------------------------------------------------
# Initial state.


@njit(cache=True)
def equilibrium_angle(p, d, tau_ext):
    """Angle where the foot rests under a constant external torque, with the reflex in steady
    state. Bisection on [-90, 90] deg; NaN if the torque balance has no root there."""
    lo = -0.5 * math.pi + 1e-6
    hi = 0.5 * math.pi - 1e-6
    g_lo = static_torque(p, d, lo, steady_activation(p, d, lo)) + tau_ext
    g_hi = static_torque(p, d, hi, steady_activation(p, d, hi)) + tau_ext
    if not (g_lo > 0.0 and g_hi < 0.0):
        return math.nan
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        g = static_torque(p, d, mid, steady_activation(p, d, mid)) + tau_ext
        if g > 0.0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return 0.5 * (lo + hi)


@njit(cache=True)
def initial_state(p, d, seg, samples, theta_start):
    """Resting state at t = 0: (theta, activation, u, holding torque, status).

    With a finite `theta_start` the examiner holds the foot there (servo) and supplies the
    static torque that balances it ("holding torque", reused by every servo segment).
    With NaN the foot rests where the initial external torque balances it.
    """
    if math.isnan(theta_start):
        tau0 = external_torque(seg, samples, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
        theta = equilibrium_angle(p, d, tau0)
        if math.isnan(theta):
            return theta, 0.0, 0.0, 0.0, STATUS_NO_EQUILIBRIUM
    else:
        theta = theta_start
    u = steady_activation(p, d, theta)
    hold = -static_torque(p, d, theta, u)
    return theta, u, u, hold, STATUS_OK


@njit(cache=True, inline="always")
def step_status(theta, omega, act, act_rate, act_limit):
    """STATUS_OK, or why the state just reached ends the run."""
    if not (math.isfinite(theta) and math.isfinite(omega) and math.isfinite(act) and math.isfinite(act_rate)):
        return STATUS_NONFINITE
    if abs(theta) > ANGLE_LIMIT_RAD:
        return STATUS_OUT_OF_RANGE
    if act > act_limit:
        return STATUS_STEP_TOO_LARGE
    return STATUS_OK


# ---------------------------------------------------------------------------------------------
# Integrator that records every step (used by `simulate`).

OUT_COLUMNS = 6  # theta, omega, activation, activation rate, pool excitation u, Ia rate


@njit(cache=True)
def integrate(p, seg, samples, theta_start, dt, n_steps, act_limit, out):
    """Integrate n_steps of dt from the resting initial state, writing every step point.

    out has shape (n_steps + 1, OUT_COLUMNS): theta, omega, activation, activation_rate, u (pool
    excitation, undelayed) and the Ia rate it came from. `act_limit` is the activation above which the muscle's
    force-velocity damping makes dt unstable for RK4 (computed by the caller).
    Returns (status, step index of failure or n_steps, holding torque).
    """
    d = derive(p)
    theta, act, u_init, hold, status = initial_state(p, d, seg, samples, theta_start)
    if status != STATUS_OK:
        return status, 0, 0.0
    buf, taps = delay_line((p[P_DELAY] + p[P_EMD]) / dt, u_init)
    y0, y1, y2, y3 = theta, 0.0, act, 0.0
    out[0, 0] = y0
    out[0, 1] = y1
    out[0, 2] = y2
    out[0, 3] = y3
    out[0, 4] = u_init
    out[0, 5] = spindle_rate(p, d, y0, 0.0)
    i_seg = 0
    row = segment_row(seg, 0, dt)
    for k in range(n_steps):
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        u0, uh, u1 = read_stages(buf, k, taps, u_init)
        y0, y1, y2, y3 = rk4_step(p, d, samples, row, hold, k * dt, dt, y0, y1, y2, y3, u0, uh, u1)
        out[k + 1, 0] = y0
        out[k + 1, 1] = y1
        out[k + 1, 2] = y2
        out[k + 1, 3] = y3
        status = step_status(y0, y1, y2, y3, act_limit)
        if status != STATUS_OK:
            return status, k + 1, hold
        rate = spindle_rate(p, d, y0, y1)
        u = pool_excitation(p, rate)
        buf[(k + 1) & (buf.shape[0] - 1)] = u
        out[k + 1, 4] = u
        out[k + 1, 5] = rate
    return STATUS_OK, n_steps, hold


N_SIGNALS = 7
SIG_SPINDLE_RATE = 0
SIG_EXCITATION = 1
SIG_MUSCLE_FORCE = 2
SIG_ACTIVE_TORQUE = 3
SIG_MUSCLE_PASSIVE_TORQUE = 4
SIG_JOINT_TORQUE = 5
SIG_EXTERNAL_TORQUE = 6


@njit(cache=True)
def integrate_linear_dde(k, tau, dt, n_steps, out):
    """x' = -k x(t - tau), x = 1 for t <= 0, with the same RK4 stepper layout and delay line as
    `integrate`. The classic test equation for delay handling: unstable for k*tau > pi/2."""
    buf, taps = delay_line(tau / dt, 1.0)
    x = 1.0
    out[0] = x
    for j in range(n_steps):
        u0, uh, u1 = read_stages(buf, j, taps, 1.0)
        d0, dh, d1 = -k * u0, -k * uh, -k * u1
        x = x + dt / 6.0 * (d0 + 4.0 * dh + d1)  # RK4 with stage slopes independent of x
        buf[(j + 1) & (buf.shape[0] - 1)] = x
        out[j + 1] = x


@njit(cache=True)
def signals(p, seg, samples, dt, hold, out, delay_s, sig):
    """Derived signals along a recorded run, from the same component functions as the RHS.

    Columns (SIG_*): Ia rate; pool excitation delayed by `delay_s` (what an EMG electrode on
    the muscle would see); muscle force; active and passive muscle torque; joint torque (other
    passive tissues, damping, gravity, orthosis); external torque.
    """
    d = derive(p)
    n = out.shape[0]
    off, _f, w0, w1, w2, w3 = delay_taps(delay_s / dt, 0.0)
    i_seg = 0
    row = segment_row(seg, 0, dt)
    for k in range(n):
        theta = out[k, 0]
        omega = out[k, 1]
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        mode, t0, a0, a1, a2, a3 = row
        sig[k, SIG_SPINDLE_RATE] = out[k, 5]
        j = k + off
        sig[k, SIG_EXCITATION] = (
            w0 * out[min(max(j - 1, 0), n - 1), 4]
            + w1 * out[min(max(j, 0), n - 1), 4]
            + w2 * out[min(max(j + 1, 0), n - 1), 4]
            + w3 * out[min(max(j + 2, 0), n - 1), 4]
        )
        active, passive = muscle_force_parts(p, d, theta, omega, out[k, 2])
        sig[k, SIG_MUSCLE_FORCE] = active + passive
        sig[k, SIG_ACTIVE_TORQUE] = -d[D_TORQUE_PER_FORCE] * active
        sig[k, SIG_MUSCLE_PASSIVE_TORQUE] = -d[D_TORQUE_PER_FORCE] * passive
        sig[k, SIG_JOINT_TORQUE] = joint_torque(p, theta, omega)
        sig[k, SIG_EXTERNAL_TORQUE] = external_torque_at(samples, mode, t0, a0, a1, a2, a3, hold, k * dt, theta, omega)


# ---------------------------------------------------------------------------------------------
# Clonus beat detector: a streaming state machine, so that a sweep can grade a run without
# storing it and `clonus_metrics` grades a stored run with the very same code.
#
# A beat is a maximum of the ankle angle that rises at least `beat_threshold` above the
# preceding confirmed minimum and is confirmed by a fall of at least `beat_threshold` after it
# (zig-zag extrema with hysteresis). Only extrema after the hold starts count.

DET_MODE = 0  # 0: looking for a minimum, 1: looking for a maximum
DET_EXT = 1  # running extreme of the current leg
DET_EXT_T = 2
DET_LAST_MIN = 3
DET_HAVE_MIN = 4
DET_BEATS = 5
DET_T_LAST = 6
DET_T_SECOND = 7
DET_P2P_SECOND = 8
DET_P2P_LAST = 9
DET_P2P_MAX = 10
DET_PEAK_REFLEX = 11  # peak reflex torque (N·m, resisting dorsiflexion) in the catch window
DET_STARTED = 12
FREQ_BEATS = 11  # frequency is measured over the last (up to) 10 beat intervals
DET_RING = 13  # times of the last FREQ_BEATS beats, circular by beat number
N_DET = DET_RING + FREQ_BEATS


@njit(cache=True)
def detector_new():
    return np.zeros(N_DET)


@njit(cache=True)
def detector_update(s, t, theta, reflex_torque, t_stretch, t_hold, t_catch_end, threshold):
    """Feed one sample (time, angle, reflex torque) to the detector state `s`."""
    if t_stretch <= t <= t_catch_end and reflex_torque > s[DET_PEAK_REFLEX]:
        s[DET_PEAK_REFLEX] = reflex_torque
    if t < t_hold:
        return
    if s[DET_STARTED] == 0.0:
        s[DET_STARTED] = 1.0
        s[DET_MODE] = 0.0
        s[DET_EXT] = theta
        s[DET_EXT_T] = t
        return
    if s[DET_MODE] == 0.0:  # falling: track the minimum
        if theta < s[DET_EXT]:
            s[DET_EXT] = theta
            s[DET_EXT_T] = t
        elif theta > s[DET_EXT] + threshold:
            s[DET_LAST_MIN] = s[DET_EXT]
            s[DET_HAVE_MIN] = 1.0
            s[DET_MODE] = 1.0
            s[DET_EXT] = theta
            s[DET_EXT_T] = t
    else:  # rising: track the maximum
        if theta > s[DET_EXT]:
            s[DET_EXT] = theta
            s[DET_EXT_T] = t
        elif theta < s[DET_EXT] - threshold:
            if s[DET_HAVE_MIN] == 1.0:
                p2p = s[DET_EXT] - s[DET_LAST_MIN]
                n = s[DET_BEATS] + 1.0
                s[DET_BEATS] = n
                if n == 2.0:
                    s[DET_T_SECOND] = s[DET_EXT_T]
                    s[DET_P2P_SECOND] = p2p
                s[DET_T_LAST] = s[DET_EXT_T]
                s[DET_RING + int(n - 1.0) % FREQ_BEATS] = s[DET_EXT_T]
                s[DET_P2P_LAST] = p2p
                if p2p > s[DET_P2P_MAX]:
                    s[DET_P2P_MAX] = p2p
            s[DET_MODE] = 0.0
            s[DET_EXT] = theta
            s[DET_EXT_T] = t


# Metric vector layout produced by `detector_metrics`.
M_BEATS = 0
M_FREQUENCY_HZ = 1
M_DURATION_S = 2
M_ONGOING = 3
M_SUSTAINED = 4
M_DECAY_PER_S = 5
M_P2P_MAX_RAD = 6
M_P2P_LAST_RAD = 7
M_PEAK_REFLEX_NM = 8
M_SCATS = 9
M_TARDIEU = 10
N_METRICS = 11

MIN_CLONUS_BEATS = 3  # fewer beats is not clonus (>= 3 beats is the common abnormal cut-off)
SUSTAINED_S = 10.0  # SCATS 3 / Tardieu 4 boundary


@njit(cache=True)
def grade_scats(beats, duration_s):
    """SCATS clonus score (Benz et al. 2005): 0 none, 1 < 3 s, 2 3-10 s, 3 > 10 s."""
    if beats < MIN_CLONUS_BEATS:
        return 0
    if duration_s < 3.0:
        return 1
    if duration_s <= SUSTAINED_S:
        return 2
    return 3


@njit(cache=True)
def grade_tardieu(beats, duration_s, peak_reflex_nm, catch_nm, slight_nm):
    """Modified Tardieu quality of muscle reaction (0-4) for one stretch.

    4 unfatigable clonus > 10 s, 3 fatigable clonus, 2 clear catch (peak reflex torque >=
    catch_nm) then release, 1 slight resistance (>= slight_nm), 0 none. Grade 5 (immobile
    joint) is not produced by the model.
    """
    if beats >= MIN_CLONUS_BEATS:
        return 4 if duration_s > SUSTAINED_S else 3
    if peak_reflex_nm >= catch_nm:
        return 2
    if peak_reflex_nm >= slight_nm:
        return 1
    return 0


@njit(cache=True)
def detector_metrics(s, t_hold, t_end, catch_nm, slight_nm, m):
    """Fill metric vector m (M_*) from a finished detector state."""
    n = s[DET_BEATS]
    m[M_BEATS] = n
    m[M_PEAK_REFLEX_NM] = s[DET_PEAK_REFLEX]
    m[M_P2P_MAX_RAD] = s[DET_P2P_MAX]
    m[M_P2P_LAST_RAD] = s[DET_P2P_LAST]
    m[M_FREQUENCY_HZ] = math.nan
    m[M_DECAY_PER_S] = math.nan
    m[M_DURATION_S] = 0.0
    m[M_ONGOING] = 0.0
    if n >= MIN_CLONUS_BEATS:
        k = min(n, FREQ_BEATS)
        t_oldest = s[DET_RING + int(n - k) % FREQ_BEATS]
        m[M_FREQUENCY_HZ] = (k - 1.0) / (s[DET_T_LAST] - t_oldest)
    if n >= 3.0 and s[DET_T_LAST] > s[DET_T_SECOND]:
        m[M_DECAY_PER_S] = math.log(s[DET_P2P_SECOND] / s[DET_P2P_LAST]) / (s[DET_T_LAST] - s[DET_T_SECOND])
    if n >= MIN_CLONUS_BEATS:
        m[M_DURATION_S] = s[DET_T_LAST] - t_hold
        period = 1.0 / m[M_FREQUENCY_HZ]
        if t_end - s[DET_T_LAST] <= 2.0 * period:
            m[M_ONGOING] = 1.0
    m[M_SUSTAINED] = 1.0 if (m[M_ONGOING] == 1.0 and m[M_DURATION_S] > SUSTAINED_S) else 0.0
    m[M_SCATS] = grade_scats(n, m[M_DURATION_S])
    m[M_TARDIEU] = grade_tardieu(n, m[M_DURATION_S], s[DET_PEAK_REFLEX], catch_nm, slight_nm)


@njit(cache=True)
def detect(time, theta, reflex_torque, t_stretch, t_hold, t_catch_end, threshold, catch_nm, slight_nm):
    """Run the detector over stored arrays; returns the metric vector."""
    s = detector_new()
    for k in range(time.shape[0]):
        detector_update(s, time[k], theta[k], reflex_torque[k], t_stretch, t_hold, t_catch_end, threshold)
    m = np.empty(N_METRICS)
    detector_metrics(s, t_hold, time[time.shape[0] - 1], catch_nm, slight_nm, m)
    return m


# =============================================================================================
# Sweep kernels: many parameter sets per call, each graded by the streaming beat detector inside
# the kernel, so a sweep needs memory O(points), not O(points x steps), and runs no Python per
# point. `reflexsim.sweep` validates everything and calls these with one protocol at a time.
#
# Both kernels take a matrix `params` of packed parameter rows and fill, per row, a metric vector
# (M_*), a status code (STATUS_*) and the step at which a run failed (-1 if it did not):
#
# * `sweep_exact` runs `sweep_point` for each row (prange over rows). It is `integrate` followed
#   by `signals` and `detect`, fused, with the same arithmetic in the same order, so each point
#   equals `clonus_metrics(simulate(...))` bit for bit.
# * `sweep_lockstep` advances LOCKSTEP_LANES rows together in a structure-of-arrays layout so
#   that the CPU's vector units work across simulations (prange over blocks of lanes). The
#   right-hand side is the same equations as `rhs`, written per lane with vectorisable exp/log
#   (`vexp`, `vlog`, `vlog1p_unit`: within 2 ulp of libm, where libm calls would stop LLVM from
#   vectorising) and with divisions by per-run constants turned into multiplications. The state
#   therefore differs from `integrate` in the last bits (relative 1e-15); beats, grades,
#   frequency and duration came out identical on the 64 x 64 benchmark grid, and the tests hold
#   them to equality (counts, grades) and 1e-9 (times). The delay line, the initial state, the
#   catch-window reflex torque and the detector are the shared functions above. It does not model
#   foot gravity (`foot.gravity_m_per_s2` > 0) nor protocol-level static holds: the sweep sends
#   such rows to `sweep_exact`. It compiles through `compile_lockstep` (see there).

# Grading constants passed to the sweep kernels as one small array.
EV_STRETCH_S = 0  # catch window opens
EV_HOLD_S = 1  # beats are counted from here
EV_CATCH_END_S = 2  # catch window closes
EV_BEAT_THRESHOLD_RAD = 3
EV_CATCH_NM = 4
EV_SLIGHT_NM = 5
N_EV = 6


@njit(cache=True)
def sweep_point(p, seg, samples, theta_start, dt, n_steps, act_limit, ev, m):
    """One clonus test graded on the fly: fills metric vector m; returns (status, failing step or -1).

    The same steps as `integrate` (status checks in the same order), then the reflex torque of
    `signals` (active muscle torque above its t = 0 value, needed only in the catch window) and
    `detector_update` at every step point, as `detect` does over a stored run.
    """
    t_stretch, t_hold, t_catch_end = ev[EV_STRETCH_S], ev[EV_HOLD_S], ev[EV_CATCH_END_S]
    threshold = ev[EV_BEAT_THRESHOLD_RAD]
    d = derive(p)
    theta, act, u_init, hold, status = initial_state(p, d, seg, samples, theta_start)
    if status != STATUS_OK:
        return status, 0
    buf, taps = delay_line((p[P_DELAY] + p[P_EMD]) / dt, u_init)
    y0, y1, y2, y3 = theta, 0.0, act, 0.0
    torque_per_force = d[D_TORQUE_PER_FORCE]
    active0, _ = muscle_force_parts(p, d, y0, y1, y2)
    active_torque0 = -torque_per_force * active0
    det = detector_new()
    detector_update(det, 0.0, y0, -(active_torque0 - active_torque0), t_stretch, t_hold, t_catch_end, threshold)
    i_seg = 0
    row = segment_row(seg, 0, dt)
    for k in range(n_steps):
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        u0, uh, u1 = read_stages(buf, k, taps, u_init)
        y0, y1, y2, y3 = rk4_step(p, d, samples, row, hold, k * dt, dt, y0, y1, y2, y3, u0, uh, u1)
        status = step_status(y0, y1, y2, y3, act_limit)
        if status != STATUS_OK:
            return status, k + 1
        buf[(k + 1) & (buf.shape[0] - 1)] = pool_excitation(p, spindle_rate(p, d, y0, y1))
        t = (k + 1) * dt
        reflex = 0.0  # the detector reads the reflex torque only inside the catch window
        if t_stretch <= t <= t_catch_end:
            active, _ = muscle_force_parts(p, d, y0, y1, y2)
            reflex = -(-torque_per_force * active - active_torque0)
        detector_update(det, t, y0, reflex, t_stretch, t_hold, t_catch_end, threshold)
    detector_metrics(det, t_hold, n_steps * dt, ev[EV_CATCH_NM], ev[EV_SLIGHT_NM], m)
    return STATUS_OK, -1


@njit(cache=True, parallel=True)
def sweep_exact(params, seg, samples, theta_start, dt, n_steps, act_limit, ev, metrics, status, fail_step):
    """`sweep_point` for every row of params (prange); act_limit is per row. Failed rows get NaN metrics."""
    for i in prange(params.shape[0]):
        st, k_fail = sweep_point(params[i], seg, samples, theta_start, dt, n_steps, act_limit[i], ev, metrics[i])
        status[i] = st
        fail_step[i] = k_fail
        if st != STATUS_OK:
            metrics[i, :] = math.nan


# ---------------------------------------------------------------------------------------------
# Vectorisable elementary functions for the lockstep kernel. numba's math.exp/log/pow are calls
# into libm, which LLVM can only scalarise; these are plain arithmetic (Cody-Waite reduction,
# polynomials, exponent bits), so a loop over lanes becomes vector code.


@intrinsic
def _bits_as_float(typingctx, bits):
    """Reinterpret an int64 bit pattern as float64 (free: a register move)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float_as_bits(typingctx, x):
    """Reinterpret a float64 as its int64 bit pattern."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.IntType(64))

    return types.int64(types.float64), codegen


_LOG2_E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split so that n * _LN2_HI is exact for |n| < 2^11
_LN2_LO = 1.9082149292705877e-10
_EXP_MAX = 709.78  # exp overflows above this
_EXP_MIN = -708.0  # below this vexp returns 0 (the normal range ends near -708.4)


@njit(cache=True, forceinline=True, error_model="numpy")
def vexp(x):
    """exp(x) within 2 ulp, vectorisable; inf above 709.78, 0 below -708, NaN for NaN."""
    xc = _EXP_MIN if x < _EXP_MIN else x  # comparisons keep NaN
    xc = 709.0 if xc > 709.0 else xc
    n = math.floor(xc * _LOG2_E + 0.5)
    r = xc - n * _LN2_HI
    r = r - n * _LN2_LO  # |r| <= ln2 / 2
    q = 1.0 / 479001600.0  # Taylor series to r^12 / 12!: truncation below 1e-17 relative
    q = q * r + 1.0 / 39916800.0
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = q * r + 1.0
    q = q * r + 1.0
    res = q * _bits_as_float((np.int64(n) + 1023) << 52)  # times 2^n
    res = math.inf if x > _EXP_MAX else res
    return 0.0 if x < _EXP_MIN else res


@njit(cache=True, forceinline=True, error_model="numpy")
def vlog(x):
    """Natural log of a positive normal float within 2 ulp, vectorisable (no special cases)."""
    bits = _float_as_bits(x)
    e = ((bits >> 52) & 0x7FF) - 1023
    mant = _bits_as_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    big = mant > 1.4142135623730951
    mant = 0.5 * mant if big else mant  # in [sqrt(1/2), sqrt(2))
    e = e + 1 if big else e
    s = (mant - 1.0) / (mant + 1.0)  # log(mant) = 2 atanh(s), |s| < 0.172
    z = s * s
    q = 1.0 / 25.0
    q = q * z + 1.0 / 23.0
    q = q * z + 1.0 / 21.0
    q = q * z + 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    q = q * z + 1.0
    fe = float(e)
    return fe * _LN2_HI + (2.0 * s * q + fe * _LN2_LO)


@njit(cache=True, forceinline=True, error_model="numpy")
def vlog1p_unit(x):
    """log(1 + x) for 0 <= x <= 1 within 2 ulp, vectorisable: 2 atanh(x / (2 + x)), |s| <= 1/3."""
    s = x / (2.0 + x)
    z = s * s
    q = 1.0 / 31.0
    q = q * z + 1.0 / 29.0
    q = q * z + 1.0 / 27.0
    q = q * z + 1.0 / 25.0
    q = q * z + 1.0 / 23.0
    q = q * z + 1.0 / 21.0
    q = q * z + 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    q = q * z + 1.0
    return 2.0 * s * q


@njit(cache=True, forceinline=True, error_model="numpy")
def vsoftplus(z, width, inv_width):
    """`softplus` with vexp/vlog1p_unit and a precomputed 1 / width."""
    a = abs(z) * inv_width
    z_pos = z if z > 0.0 else 0.0
    return z_pos if a > _SOFTPLUS_CUTOFF else z_pos + width * vlog1p_unit(vexp(-a))


# ---------------------------------------------------------------------------------------------
# Lockstep layout. Work array (flat, one row of LOCKSTEP_LANES per quantity; the W_* names are
# row offsets, compile-time constants so that LLVM sees independent unit-stride streams and vectorises the
# lane loop without runtime alias checks). Rows: per-lane constants, then the state.

LOCKSTEP_LANES = 32  # simulations per block: 4 interleaved vectors of 8 float64 (AVX-512)
LOCKSTEP_INTERLEAVE = 4  # vector iterations LLVM interleaves (see `compile_lockstep`)
LOCKSTEP_BATCH = 64  # steps between detector passes (state kept per step in between)

(
    W_LAM0,
    W_LAM_PER_RAD,
    W_INV_VMAX,
    W_INV_FL_WIDTH,
    W_FV_ECC,
    W_FV_ECC_RATE,
    W_INV_FV_CURVATURE,
    W_FMAX,
    W_PASSIVE_AT_OPT,
    W_PE_EXP,
    W_TORQUE_PER_FORCE,
    W_PF_END_TORQUE,
    W_PF_END_RATE,
    W_OFFSET_TORQUE,
    W_JOINT_DAMPING,
    W_AFO_K,
    W_AFO_B,
    W_AFO_NEUTRAL,
    W_STOP_K,
    W_STOP_ANGLE,
    W_STOP_WIDTH,
    W_INV_STOP_WIDTH,
    W_INV_INERTIA,
    W_TWITCH,
    W_INV_TWITCH2,
    W_HOLD,
    W_FIBRE_M_PER_RAD,
    W_IA_VSMOOTH,
    W_LOPT,
    W_IA_VGAIN,
    W_IA_VEXP,
    W_IA_BASE,
    W_FUSIMOTOR,
    W_IA_LGAIN,
    W_THRESHOLD,
    W_RECRUIT_WIDTH,
    W_INV_RECRUIT_WIDTH,
    W_TONE,
    W_GAIN_DRIVE,
    W_Y0,  # state: theta, omega, activation, activation rate
    W_Y1,
    W_Y2,
    W_Y3,
    W_U0,  # delayed drive at the three RK4 stage times
    W_UH,
    W_U1,
    W_U_NEW,  # pool excitation at the new state (goes into the delay line)
) = range(0, 47 * LOCKSTEP_LANES, LOCKSTEP_LANES)  # offsets of the rows
W_SIZE = 47 * LOCKSTEP_LANES


@njit(cache=True)
def _lockstep_fill(work, i, p, d, hold):
    """Per-lane constants of lane i from packed parameters p and derived constants d."""
    work[W_LAM0 + i] = p[P_LAMBDA0]
    work[W_LAM_PER_RAD + i] = d[D_LAMBDA_PER_RAD]
    work[W_INV_VMAX + i] = 1.0 / p[P_VMAX]
    work[W_INV_FL_WIDTH + i] = 1.0 / p[P_FL_WIDTH]
    work[W_FV_ECC + i] = p[P_FV_ECC]
    work[W_FV_ECC_RATE + i] = d[D_FV_ECC_RATE]
    work[W_INV_FV_CURVATURE + i] = 1.0 / p[P_FV_CURVATURE]
    work[W_FMAX + i] = p[P_FMAX]
    work[W_PASSIVE_AT_OPT + i] = p[P_PE_SCALE] * p[P_PE_AT_OPT]
    work[W_PE_EXP + i] = p[P_PE_EXP]
    work[W_TORQUE_PER_FORCE + i] = d[D_TORQUE_PER_FORCE]
    work[W_PF_END_TORQUE + i] = p[P_PF_END_TORQUE]
    work[W_PF_END_RATE + i] = p[P_PF_END_RATE]
    work[W_OFFSET_TORQUE + i] = p[P_OFFSET_TORQUE]
    work[W_JOINT_DAMPING + i] = p[P_JOINT_DAMPING]
    work[W_AFO_K + i] = p[P_AFO_K]
    work[W_AFO_B + i] = p[P_AFO_B]
    work[W_AFO_NEUTRAL + i] = p[P_AFO_NEUTRAL]
    has_stop = p[P_STOP_K] > 0.0 and p[P_STOP_ANGLE] < ANGLE_LIMIT_RAD
    work[W_STOP_K + i] = p[P_STOP_K] if has_stop else 0.0  # a lane without a stop adds 0 * finite
    work[W_STOP_ANGLE + i] = p[P_STOP_ANGLE] if has_stop else 0.0
    work[W_STOP_WIDTH + i] = p[P_STOP_WIDTH]
    work[W_INV_STOP_WIDTH + i] = 1.0 / p[P_STOP_WIDTH]
    work[W_INV_INERTIA + i] = 1.0 / p[P_INERTIA]
    work[W_TWITCH + i] = p[P_TWITCH]
    work[W_INV_TWITCH2 + i] = 1.0 / (p[P_TWITCH] * p[P_TWITCH])
    work[W_HOLD + i] = hold
    work[W_FIBRE_M_PER_RAD + i] = d[D_FIBRE_M_PER_RAD]
    work[W_IA_VSMOOTH + i] = p[P_IA_VSMOOTH]
    work[W_LOPT + i] = p[P_LOPT]
    work[W_IA_VGAIN + i] = p[P_IA_VGAIN]
    work[W_IA_VEXP + i] = p[P_IA_VEXP]
    work[W_IA_BASE + i] = p[P_IA_BASE]
    work[W_FUSIMOTOR + i] = p[P_FUSIMOTOR]
    work[W_IA_LGAIN + i] = p[P_IA_LGAIN]
    work[W_THRESHOLD + i] = p[P_THRESHOLD]
    work[W_RECRUIT_WIDTH + i] = p[P_RECRUIT_WIDTH]
    work[W_INV_RECRUIT_WIDTH + i] = 1.0 / p[P_RECRUIT_WIDTH]
    work[W_TONE + i] = p[P_TONE]
    work[W_GAIN_DRIVE + i] = p[P_GAIN] * p[P_DRIVE_PER_IPS]
    return has_stop


@njit(cache=True, forceinline=True, error_model="numpy")
def _lane_rhs(work, i, hand, stage, theta, omega, act, act_rate, u_delayed, with_stop):
    """`rhs` for lane i of the work array (foot gravity excluded).

    hand = (servo, slope, hand_k, hand_b) of the protocol segment, stage = (ext, ref) at the stage
    time: with `servo` the examiner's hand applies hold + hand_k (ref - theta) + hand_b (slope -
    omega), otherwise the external torque is `ext`. `with_stop` adds the orthosis' end stop.
    """
    servo, slope, hand_k, hand_b = hand
    ext, ref = stage
    lam_per_rad = work[W_LAM_PER_RAD + i]
    lam = work[W_LAM0 + i] + lam_per_rad * theta  # fibre_length
    x = lam_per_rad * omega * work[W_INV_VMAX + i]
    z = (lam - 1.0) * work[W_INV_FL_WIDTH + i]
    f_length = vexp(-z * z)
    # force_velocity with one division: the branch picks numerator and denominator
    ecc = work[W_FV_ECC + i]
    lengthening = x > 0.0
    num = ecc - 1.0 if lengthening else 1.0 + x
    den = 1.0 + work[W_FV_ECC_RATE + i] * x if lengthening else 1.0 - x * work[W_INV_FV_CURVATURE + i]
    ratio = num / den
    f_velocity = ecc - ratio if lengthening else (ratio if x > -1.0 else 0.0)
    active = act * f_length * f_velocity
    passive = work[W_PASSIVE_AT_OPT + i] * vexp(work[W_PE_EXP + i] * (lam - 1.0))
    tau = -work[W_TORQUE_PER_FORCE + i] * (work[W_FMAX + i] * active + passive)
    # joint_torque
    joint = work[W_PF_END_TORQUE + i] * vexp(-work[W_PF_END_RATE + i] * theta) + work[W_OFFSET_TORQUE + i]
    joint -= work[W_JOINT_DAMPING + i] * omega
    joint -= work[W_AFO_K + i] * (theta - work[W_AFO_NEUTRAL + i]) + work[W_AFO_B + i] * omega
    if with_stop:
        stop_z = theta - work[W_STOP_ANGLE + i]
        joint -= work[W_STOP_K + i] * vsoftplus(stop_z, work[W_STOP_WIDTH + i], work[W_INV_STOP_WIDTH + i])
    tau += joint
    tau += work[W_HOLD + i] + hand_k * (ref - theta) + hand_b * (slope - omega) if servo else ext
    tw = work[W_TWITCH + i]
    act_acc = (u_delayed - act - 2.0 * tw * act_rate) * work[W_INV_TWITCH2 + i]
    return omega, tau * work[W_INV_INERTIA + i], act_rate, act_acc


@njit(cache=True, forceinline=True, error_model="numpy")
def _lane_excitation(work, i, theta, omega):
    """pool_excitation(spindle_rate(theta, omega)) for lane i, with vexp/vlog for the power law."""
    v = work[W_FIBRE_M_PER_RAD + i] * omega
    eps = work[W_IA_VSMOOTH + i]
    v_pos = 0.5 * (v + math.sqrt(v * v + eps * eps))
    stretch = (work[W_LAM0 + i] + work[W_LAM_PER_RAD + i] * theta - 1.0) * work[W_LOPT + i]
    dynamic = work[W_IA_VGAIN + i] * vexp(work[W_IA_VEXP + i] * vlog(v_pos / _V_REF_M_PER_S))
    raw = work[W_IA_BASE + i] + work[W_FUSIMOTOR + i] * (dynamic + work[W_IA_LGAIN + i] * stretch)
    rate = vsoftplus(raw, _RATE_FLOOR_WIDTH_IPS, 1.0 / _RATE_FLOOR_WIDTH_IPS)
    above = vsoftplus(rate - work[W_THRESHOLD + i], work[W_RECRUIT_WIDTH + i], work[W_INV_RECRUIT_WIDTH + i])
    drive = work[W_TONE + i] + work[W_GAIN_DRIVE + i] * above
    return 1.0 - vsoftplus(1.0 - drive, _SATURATION_WIDTH, 1.0 / _SATURATION_WIDTH)


@njit(cache=True, inline="always", error_model="numpy")
def _lockstep_lanes(work, hand, x0, xh, x1, dt, stop):
    """One RK4 step (`rk4_step`) of every lane, then each lane's new pool excitation.

    x0, xh, x1 = (ext, ref) at the three stage times (see `_lane_rhs`); stop: see `with_stop`.
    """
    h = 0.5 * dt
    s = dt / 6.0
    for i in range(LOCKSTEP_LANES):
        y0, y1, y2, y3 = work[W_Y0 + i], work[W_Y1 + i], work[W_Y2 + i], work[W_Y3 + i]
        u0, uh, u1 = work[W_U0 + i], work[W_UH + i], work[W_U1 + i]
        a0, a1, a2, a3 = _lane_rhs(work, i, hand, x0, y0, y1, y2, y3, u0, stop)
        b0, b1, b2, b3 = _lane_rhs(work, i, hand, xh, y0 + h * a0, y1 + h * a1, y2 + h * a2, y3 + h * a3, uh, stop)
        c0, c1, c2, c3 = _lane_rhs(work, i, hand, xh, y0 + h * b0, y1 + h * b1, y2 + h * b2, y3 + h * b3, uh, stop)
        e0, e1, e2, e3 = _lane_rhs(work, i, hand, x1, y0 + dt * c0, y1 + dt * c1, y2 + dt * c2, y3 + dt * c3, u1, stop)
        y0 = y0 + s * (a0 + 2.0 * b0 + 2.0 * c0 + e0)
        y1 = y1 + s * (a1 + 2.0 * b1 + 2.0 * c1 + e1)
        work[W_Y0 + i] = y0
        work[W_Y1 + i] = y1
        work[W_Y2 + i] = y2 + s * (a2 + 2.0 * b2 + 2.0 * c2 + e2)
        work[W_Y3 + i] = y3 + s * (a3 + 2.0 * b3 + 2.0 * c3 + e3)
        work[W_U_NEW + i] = _lane_excitation(work, i, y0, y1)


@njit(cache=True, error_model="numpy")
def _lockstep_step_free(work, hand, x0, xh, x1, dt):
    """`_lockstep_lanes` for blocks in which no lane has an orthosis stop."""
    _lockstep_lanes(work, hand, x0, xh, x1, dt, False)


@njit(cache=True, error_model="numpy")
def _lockstep_step_stop(work, hand, x0, xh, x1, dt):
    """`_lockstep_lanes` with the orthosis' dorsiflexion stop."""
    _lockstep_lanes(work, hand, x0, xh, x1, dt, True)


@njit(cache=True)
def _lockstep_grade(
    det, params, derived, states, n_batch, k_first, dt, act_limit, active_torque0, ev, status, fail_step
):
    """Status checks (as `integrate`) and detector updates for the states of steps
    k_first + 1 .. k_first + n_batch of each live lane (states: 4 x LOCKSTEP_BATCH x LOCKSTEP_LANES)."""
    t_stretch, t_hold, t_catch_end = ev[EV_STRETCH_S], ev[EV_HOLD_S], ev[EV_CATCH_END_S]
    threshold = ev[EV_BEAT_THRESHOLD_RAD]
    for i in range(params.shape[0]):
        if status[i] != STATUS_OK:
            continue
        s = det[i]
        p = params[i]
        d = derived[i]
        for b in range(n_batch):
            y0, y1, y2, y3 = states[0, b, i], states[1, b, i], states[2, b, i], states[3, b, i]
            k = k_first + b + 1
            st = step_status(y0, y1, y2, y3, act_limit[i])
            if st != STATUS_OK:
                status[i], fail_step[i] = st, k
                break
            t = k * dt
            if t < t_stretch:  # detector_update is a no-op before the stretch
                continue
            reflex = 0.0
            if t <= t_catch_end:
                active, _ = muscle_force_parts(p, d, y0, y1, y2)
                reflex = -(-d[D_TORQUE_PER_FORCE] * active - active_torque0[i])
            detector_update(s, t, y0, reflex, t_stretch, t_hold, t_catch_end, threshold)


@njit(cache=True)
def _lockstep_block(params, seg, samples, theta_start, dt, n_steps, act_limit, ev, metrics, status, fail_step):
    """Up to LOCKSTEP_LANES rows of params advanced together (missing lanes repeat the last row)."""
    n = params.shape[0]
    work = np.zeros(W_SIZE)
    derived = np.empty((n, N_DERIVED))
    det = np.empty((n, N_DET))  # one detector state per real lane
    u_init = np.zeros(LOCKSTEP_LANES)
    active_torque0 = np.zeros(n)
    offsets = np.zeros((3, LOCKSTEP_LANES), dtype=np.int64)
    weights = np.zeros((3, 4, LOCKSTEP_LANES))
    fracs = np.zeros((3, LOCKSTEP_LANES))
    reuse = np.zeros(LOCKSTEP_LANES, dtype=np.bool_)  # u at stage 0 equals the previous step's stage-1 read
    any_stop = False
    size = 8
    for i in range(LOCKSTEP_LANES):
        p = params[min(i, n - 1)]
        d = derive(p)
        theta, act, u0, hold, st = initial_state(p, d, seg, samples, theta_start)
        if i < n:
            derived[i] = d
            status[i] = st
            fail_step[i] = 0 if st != STATUS_OK else -1
        if st != STATUS_OK:  # a benign state for a lane whose result is discarded
            theta, act, u0, hold = 0.0, 0.0, 0.0, 0.0
        any_stop |= _lockstep_fill(work, i, p, d, hold)
        work[W_Y0 + i] = theta
        work[W_Y2 + i] = act
        u_init[i] = u0
        delay_steps = (p[P_DELAY] + p[P_EMD]) / dt
        for stage in range(3):
            o, f, w0, w1, w2, w3 = delay_taps(delay_steps, 0.5 * stage)
            offsets[stage, i] = o
            fracs[stage, i] = f
            weights[stage, 0, i] = w0
            weights[stage, 1, i] = w1
            weights[stage, 2, i] = w2
            weights[stage, 3, i] = w3
        reuse[i] = offsets[2, i] == offsets[0, i] + 1 and fracs[2, i] == fracs[0, i]
        size = max(size, buffer_size(delay_steps))
        if i < n:
            det[i] = detector_new()
            active0, _ = muscle_force_parts(p, d, theta, 0.0, act)
            active_torque0[i] = -d[D_TORQUE_PER_FORCE] * active0
            if st == STATUS_OK:
                reflex0 = -(active_torque0[i] - active_torque0[i])
                detector_update(
                    det[i],
                    0.0,
                    theta,
                    reflex0,
                    ev[EV_STRETCH_S],
                    ev[EV_HOLD_S],
                    ev[EV_CATCH_END_S],
                    ev[EV_BEAT_THRESHOLD_RAD],
                )
    mask = size - 1
    buf = np.empty((LOCKSTEP_LANES, size))  # lane-major rings: a lane's four stencil nodes share cache lines
    for i in range(LOCKSTEP_LANES):
        buf[i, :] = u_init[i]
    # From k_fast on every read of every lane is an interior 4-point stencil (node index >= 1).
    k_fast = 0
    for i in range(LOCKSTEP_LANES):
        k_fast = max(k_fast, 1 - offsets[0, i])
    states = np.empty((4, LOCKSTEP_BATCH, LOCKSTEP_LANES))
    i_seg = 0
    row = segment_row(seg, 0, dt)
    k_first = 0
    for k in range(n_steps):
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        mode, t0, a0, a1, a2, a3 = row
        t = k * dt
        # delayed drive at the three stage times (per-lane offsets: scalar reads)
        if k < k_fast:
            for i in range(LOCKSTEP_LANES):
                lane = buf[i]
                for stage in range(3):
                    taps = (
                        offsets[stage, i],
                        fracs[stage, i],
                        weights[stage, 0, i],
                        weights[stage, 1, i],
                        weights[stage, 2, i],
                        weights[stage, 3, i],
                    )
                    work[W_U0 + stage * LOCKSTEP_LANES + i] = read_delayed(lane, k, taps, u_init[i])
        else:
            for i in range(LOCKSTEP_LANES):
                for stage in range(3):
                    if stage == 0 and reuse[i] and k > k_fast:
                        work[W_U0 + i] = work[W_U1 + i]
                        continue
                    j = k + offsets[stage, i]
                    work[W_U0 + stage * LOCKSTEP_LANES + i] = (
                        weights[stage, 0, i] * buf[i, (j - 1) & mask]
                        + weights[stage, 1, i] * buf[i, j & mask]
                        + weights[stage, 2, i] * buf[i, (j + 1) & mask]
                        + weights[stage, 3, i] * buf[i, (j + 2) & mask]
                    )
        hand = (mode == MODE_SERVO, a1, a2, a3)
        x0 = (external_torque_at(samples, mode, t0, a0, a1, a2, a3, 0.0, t, 0.0, 0.0), a0 + a1 * (t - t0))
        t_h = t + 0.5 * dt
        xh = (external_torque_at(samples, mode, t0, a0, a1, a2, a3, 0.0, t_h, 0.0, 0.0), a0 + a1 * (t_h - t0))
        t_1 = t + dt
        x1 = (external_torque_at(samples, mode, t0, a0, a1, a2, a3, 0.0, t_1, 0.0, 0.0), a0 + a1 * (t_1 - t0))
        if any_stop:
            _lockstep_step_stop(work, hand, x0, xh, x1, dt)
        else:
            _lockstep_step_free(work, hand, x0, xh, x1, dt)
        slot = (k + 1) & mask
        b = k - k_first
        for i in range(LOCKSTEP_LANES):
            buf[i, slot] = work[W_U_NEW + i]
            states[0, b, i] = work[W_Y0 + i]
            states[1, b, i] = work[W_Y1 + i]
            states[2, b, i] = work[W_Y2 + i]
            states[3, b, i] = work[W_Y3 + i]
        if b == LOCKSTEP_BATCH - 1 or k == n_steps - 1:
            _lockstep_grade(
                det, params, derived, states, b + 1, k_first, dt, act_limit, active_torque0, ev, status, fail_step
            )
            k_first = k + 1
    for i in range(n):
        if status[i] == STATUS_OK:
            detector_metrics(det[i], ev[EV_HOLD_S], n_steps * dt, ev[EV_CATCH_NM], ev[EV_SLIGHT_NM], metrics[i])
        else:
            metrics[i, :] = math.nan


@njit(cache=True, parallel=True)
def _sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, act_limit, ev, metrics, status, fail_step):
    """The compiled body of `sweep_lockstep`: blocks of LOCKSTEP_LANES rows, prange over blocks."""
    n = params.shape[0]
    n_blocks = (n + LOCKSTEP_LANES - 1) // LOCKSTEP_LANES
    for blk in prange(n_blocks):
        lo = blk * LOCKSTEP_LANES
        hi = min(n, lo + LOCKSTEP_LANES)
        _lockstep_block(
            params[lo:hi],
            seg,
            samples,
            theta_start,
            dt,
            n_steps,
            act_limit[lo:hi],
            ev,
            metrics[lo:hi],
            status[lo:hi],
            fail_step[lo:hi],
        )


def sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, act_limit, ev, metrics, status, fail_step):
    """Same contract as `sweep_exact`; LOCKSTEP_LANES rows advance together (prange over blocks).

    Arrays as in `_LOCKSTEP_SIGNATURE` (C-contiguous, writeable). Rows must have
    foot.gravity_m_per_s2 == 0 and the protocol no MODE_STATIC_HOLD segments (reflexsim.sweep
    sends others to `sweep_exact`). Compiles through `compile_lockstep` on first use.
    """
    compile_lockstep()
    _sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, act_limit, ev, metrics, status, fail_step)


_LOCKSTEP_SIGNATURE = (
    types.float64[:, ::1],  # params
    types.float64[:, ::1],  # seg
    types.float64[::1],  # samples
    types.float64,  # theta_start
    types.float64,  # dt
    types.int64,  # n_steps
    types.float64[::1],  # act_limit
    types.float64[::1],  # ev
    types.float64[:, ::1],  # metrics
    types.int64[::1],  # status
    types.int64[::1],  # fail_step
)


def compile_lockstep() -> None:
    """Compile `_sweep_lockstep` (or load it from numba's cache) with LLVM's loop vectoriser told
    to interleave LOCKSTEP_INTERLEAVE vector iterations.

    The lane loop is one long dependency chain per lane; with one vector in flight the core waits
    on latencies, with four independent ones it is busy (measured 2x). LLVM's cost model does not
    interleave loops this large by itself, so the option is set for this compilation only (under
    numba's compiler lock) and reset to its default (0: let the cost model decide) afterwards.
    Interleaving never changes results. Later calls are free; afterwards the dispatcher compiles
    nothing else, so a call with other argument types fails instead of silently compiling (and
    caching) a slow variant. (Calling `_sweep_lockstep` or its helpers before this would do that.)
    """
    if _LOCKSTEP_SIGNATURE in _sweep_lockstep.overloads:
        return
    with global_compiler_lock:
        llvm_binding.set_option("reflexsim", f"-force-vector-interleave={LOCKSTEP_INTERLEAVE}")
        try:
            _sweep_lockstep.compile(_LOCKSTEP_SIGNATURE)
        finally:
            llvm_binding.set_option("reflexsim", "-force-vector-interleave=0")
        _sweep_lockstep.disable_compile()

"""The compiled core: parameter layout, the loop's equations, RK4 stepper, delay line, grader.

This is the only module that numba compiles. Everything here works on packed float64 arrays
built by :mod:`reflexsim.params` and :mod:`reflexsim.protocols`; validation happens in Python
before anything reaches a kernel, and kernels report trouble through status codes.

**Each physical law is written once**, as a small function of a *record of per-run constants*
``c`` read at lane ``i``: ``c[C_NAME + i]``. A scalar run (`run`, used by `simulate` and
`sweep_exact`) fills lane 0 of a record of its own; the lockstep sweep kernel fills
``LOCKSTEP_LANES`` lanes side by side and calls the very same functions in a loop over lanes,
which LLVM turns into vector code. The functions are branch-free (selects, vectorisable
`vexp`/`vlog`), so one definition serves both. The linearisation (`reflexsim.stability`), the
step-size bound (`max_stable_dt`) and the derived signals read the same functions.

Conventions (SI units throughout):

* ankle angle ``theta`` in rad, positive = dorsiflexion = calf stretch;
* torques in N·m, positive = dorsiflexing; the triceps surae pulls negative;
* state ``y = (theta, omega, activation, activation_rate, ce_velocity, efficacy)``:
  ``ce_velocity`` is the contractile element's lengthening velocity (optimal lengths per s),
  which lags the joint through the series elasticity; ``efficacy`` (0..1] is the fraction of
  Ia–motoneuron transmission left after post-activation depression;
* the delay buffer holds the motoneuron-pool excitation ``u(t_k)`` at every step point; the
  muscle sees ``u(t - reflex.delay_s - muscle.electromechanical_delay_s)``, read back with
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
from numba.extending import intrinsic, overload

# ---------------------------------------------------------------------------------------------
# Packed parameter layout. The order is the packing order; names are the dotted paths of
# reflexsim.params. Index constants below are module globals, which numba freezes at compile
# time.
PARAM_PATHS = (
    "foot.inertia_kg_m2",
    "foot.mass_kg",
    "foot.com_distance_m",
    "foot.gravity_m_per_s2",
    "foot.gravity_reference_angle_rad",
    "foot.angle_limit_rad",
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
    "muscle.active_stiffness_per_torque",
    "muscle.passive_force_at_optimal_n",
    "muscle.passive_exponent",
    "muscle.passive_scale",
    "muscle.contraction_time_s",
    "muscle.electromechanical_delay_s",
    "muscle.fatigue_rate_per_s",
    "muscle.fatigue_recovery_s",
    "spindle.baseline_rate_ips",
    "spindle.velocity_gain_ips",
    "spindle.velocity_exponent",
    "spindle.linear_range_m_per_s",
    "spindle.length_gain_ips_per_m",
    "spindle.fusimotor_scale",
    "reflex.gain",
    "reflex.delay_s",
    "reflex.threshold_ips",
    "reflex.tone",
    "reflex.drive_per_ips",
    "reflex.recruitment_width_ips",
    "reflex.depression_per_impulse",
    "reflex.depression_recovery_s",
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
P_GRAVITY_ANGLE = _IX["foot.gravity_reference_angle_rad"]
P_ANGLE_LIMIT = _IX["foot.angle_limit_rad"]
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
P_ACTIVE_STIFFNESS = _IX["muscle.active_stiffness_per_torque"]
P_PE_AT_OPT = _IX["muscle.passive_force_at_optimal_n"]
P_PE_EXP = _IX["muscle.passive_exponent"]
P_PE_SCALE = _IX["muscle.passive_scale"]
P_TWITCH = _IX["muscle.contraction_time_s"]
P_EMD = _IX["muscle.electromechanical_delay_s"]
P_FATIGUE_RATE = _IX["muscle.fatigue_rate_per_s"]
P_FATIGUE_RECOVERY = _IX["muscle.fatigue_recovery_s"]
P_IA_BASE = _IX["spindle.baseline_rate_ips"]
P_IA_VGAIN = _IX["spindle.velocity_gain_ips"]
P_IA_VEXP = _IX["spindle.velocity_exponent"]
P_IA_VLIN = _IX["spindle.linear_range_m_per_s"]
P_IA_LGAIN = _IX["spindle.length_gain_ips_per_m"]
P_FUSIMOTOR = _IX["spindle.fusimotor_scale"]
P_GAIN = _IX["reflex.gain"]
P_DELAY = _IX["reflex.delay_s"]
P_THRESHOLD = _IX["reflex.threshold_ips"]
P_TONE = _IX["reflex.tone"]
P_DRIVE_PER_IPS = _IX["reflex.drive_per_ips"]
P_RECRUIT_WIDTH = _IX["reflex.recruitment_width_ips"]
P_DEPRESSION = _IX["reflex.depression_per_impulse"]
P_RECOVERY = _IX["reflex.depression_recovery_s"]
P_AFO_K = _IX["orthosis.stiffness_nm_per_rad"]
P_AFO_B = _IX["orthosis.damping_nms_per_rad"]
P_AFO_NEUTRAL = _IX["orthosis.neutral_angle_rad"]
P_STOP_ANGLE = _IX["orthosis.stop_angle_rad"]
P_STOP_K = _IX["orthosis.stop_stiffness_nm_per_rad"]
P_STOP_WIDTH = _IX["orthosis.stop_width_rad"]

# State vector.
N_STATES = 6
Y_THETA, Y_OMEGA, Y_ACT, Y_ACT_RATE, Y_CE_VELOCITY, Y_EFFICACY = range(N_STATES)
STATE_NAMES = ("theta", "omega", "activation", "activation_rate", "ce_velocity", "efficacy")

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
ANGLE_LIMIT_RAD = 0.5 * math.pi  # default `foot.angle_limit_rad`: beyond +-90 deg the foot has left any range

# |lambda| * dt bound for classic RK4 (its stability region reaches 2.78 on the negative real
# axis and 2.83 on the imaginary axis); kept below both with a margin.
RK4_STABILITY = 2.5
DEPRESSION_PER_STEP = 1.0  # largest (depression rate × step) that keeps the efficacy resolved

# Smoothing widths that keep the right-hand side smooth, far below anything physiological:
# saturation of the pool drive (fraction of full recruitment), the floor of the Ia rate and
# the onset of the dynamic Ia discharge that drives post-activation depression (imp/s).
SATURATION_WIDTH = 0.01
_RATE_FLOOR_WIDTH_IPS = 1.0
_DYNAMIC_ONSET_IPS = 1.0
_V_REF_M_PER_S = 1e-3  # the spindle power law is written in mm/s (Prochazka & Gorassini 1998)
_SOFTPLUS_CUTOFF = 36.0  # beyond 36 widths the smooth correction is below 1e-15 of the value

# ---------------------------------------------------------------------------------------------
# Vectorisable elementary functions. numba's math.exp/log/pow are calls
# into libm, which LLVM can only scalarise; these are plain arithmetic (Cody-Waite reduction,
# polynomials, exponent bits), so a loop over lanes becomes vector code.


@intrinsic
def _bitcast_to_float(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bitcast_to_int(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.IntType(64))

    return types.int64(types.float64), codegen


def _bits_as_float(bits):
    """Reinterpret an int64 bit pattern as float64 (compiled: a register move)."""
    return float(np.array(bits, dtype=np.int64).view(np.float64))


def _float_as_bits(x):
    """Reinterpret a float64 as its int64 bit pattern (compiled: a register move)."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


@overload(_bits_as_float, inline="always")
def _bits_as_float_compiled(bits):
    # numba passes the typing context to an @intrinsic itself; mypy sees the Python signature
    return lambda bits: _bitcast_to_float(bits)  # type: ignore[call-arg]


@overload(_float_as_bits, inline="always")
def _float_as_bits_compiled(x):
    return lambda x: _bitcast_to_int(x)  # type: ignore[call-arg]  # typing context: as above


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


@njit(cache=True, forceinline=True, error_model="numpy")
def vcos(x):
    """cos(x) for |x| <= pi within 1e-13 (Taylor series in x^2 to x^24), vectorisable; the argument
    is clamped to +-pi (callers reduce it to [-pi, pi] first; `gravity_cos`)."""
    xc = -math.pi if x < -math.pi else (math.pi if x > math.pi else x)
    z = xc * xc
    q = 1.0 / 620448401733239439360000.0
    q = q * -z + 1.0 / 1124000727777607680000.0
    q = q * -z + 1.0 / 2432902008176640000.0
    q = q * -z + 1.0 / 6402373705728000.0
    q = q * -z + 1.0 / 20922789888000.0
    q = q * -z + 1.0 / 87178291200.0
    q = q * -z + 1.0 / 479001600.0
    q = q * -z + 1.0 / 3628800.0
    q = q * -z + 1.0 / 40320.0
    q = q * -z + 1.0 / 720.0
    q = q * -z + 1.0 / 24.0
    q = q * -z + 1.0 / 2.0
    return q * -z + 1.0


@njit(cache=True, forceinline=True, error_model="numpy")
def vpow1p(x, e):
    """(1 + x)**e - 1 for x >= 0, vectorisable; exactly 0 at x = 0."""
    return vexp(e * vlog(1.0 + x)) - 1.0


# The elementary functions the physical laws call, in two implementations chosen at compile time
# by `lanes`: the C maths library for one simulation at a time (`run`: short dependency chains),
# the vectorisable polynomials above across lockstep lanes (libm calls would stop LLVM from
# vectorising). Both are within 2 ulp, so the two paths agree to ~1e-15 (tests/test_paths_agree.py).


@njit(cache=True, forceinline=True, error_model="numpy")
def _exp(x, lanes):
    return vexp(x) if lanes else math.exp(x)


@njit(cache=True, forceinline=True, error_model="numpy")
def _cos(x, lanes):
    return vcos(x) if lanes else math.cos(x)


@njit(cache=True, forceinline=True, error_model="numpy")
def _pow1p(x, e, lanes):
    """(1 + x)**e - 1, exactly 0 at x = 0."""
    return vpow1p(x, e) if lanes else math.expm1(e * math.log1p(x))


@njit(cache=True, forceinline=True, error_model="numpy")
def _softplus(z, width, inv_width, lanes):
    """Smooth max(z, 0) with transition width `width`; exact to machine precision far away."""
    if lanes:
        return vsoftplus(z, width, inv_width)
    a = abs(z) * inv_width
    z_pos = max(z, 0.0)
    return z_pos if a > _SOFTPLUS_CUTOFF else z_pos + width * math.log1p(math.exp(-a))


# ---------------------------------------------------------------------------------------------
# The record of per-run constants. One row of LOCKSTEP_LANES values per quantity; C_* are the
# row offsets (compile-time constants, so that LLVM sees independent unit-stride streams and
# vectorises a loop over lanes without runtime alias checks). A scalar run uses lane 0. The
# lockstep kernel keeps its state rows (W_*) after the constants in the same array.

LOCKSTEP_LANES = 32  # simulations per block: 4 interleaved vectors of 8 float64 (AVX-512)

(
    C_INV_INERTIA,
    C_JOINT_DAMPING,
    C_PF_END_TORQUE,
    C_PF_END_RATE,
    C_OFFSET_TORQUE,
    C_GRAVITY_TORQUE,
    C_AFO_K,
    C_AFO_B,
    C_AFO_NEUTRAL,
    C_STOP_K,
    C_STOP_ANGLE,
    C_STOP_WIDTH,
    C_INV_STOP_WIDTH,
    C_TORQUE_PER_FORCE,
    C_FMAX,
    C_LAM0,
    C_LAM_PER_RAD,
    C_INV_FL_WIDTH,
    C_INV_VMAX,
    C_FV_ECC,
    C_FV_ECC_RATE,
    C_INV_FV_CURVATURE,
    C_INV_SE_TIME,
    C_PASSIVE_AT_OPT,
    C_PE_EXP,
    C_TWITCH,
    C_INV_TWITCH2,
    C_FIBRE_M_PER_RAD,
    C_LOPT,
    C_IA_BASE,
    C_IA_VGAIN_LIN,
    C_IA_VEXP,
    C_IA_VLIN,
    C_IA_INV_VLIN,
    C_FUSIMOTOR,
    C_IA_LGAIN,
    C_THRESHOLD,
    C_RECRUIT_WIDTH,
    C_INV_RECRUIT_WIDTH,
    C_TONE,
    C_GAIN_DRIVE,
    C_DEPRESSION,
    C_INV_RECOVERY,
    C_HOLD,
    C_CAPACITY,
    C_FATIGUE_RATE,
    C_INV_FATIGUE_RECOVERY,
    C_GRAVITY_ANGLE,
    C_ANGLE_LIMIT,
) = range(0, 49 * LOCKSTEP_LANES, LOCKSTEP_LANES)
N_CONST_ROWS = 49
CONST_SIZE = N_CONST_ROWS * LOCKSTEP_LANES


@njit(cache=True)
def fill_constants(c, i, p):
    """Lane i of the constants record from packed parameters p (C_HOLD is set by `prepare`).

    Two rows change during a run, between steps: C_HOLD (the examiner's holding torque) and
    C_CAPACITY (the muscle's force capacity, 1 = unfatigued; `advance_capacity`).
    Returns True if the lane needs the rarely used terms (orthosis stop, foot gravity, fatigue)."""
    cos_pen = math.cos(p[P_PENNATION])
    fibre_m_per_rad = p[P_MOMENT_ARM] / cos_pen  # rigid-tendon geometry
    lam_per_rad = fibre_m_per_rad / p[P_LOPT]
    fv_slope = 1.0 + 1.0 / p[P_FV_CURVATURE]  # Hill slope d f_v / d(v / v_max) at v = 0
    c[C_INV_INERTIA + i] = 1.0 / p[P_INERTIA]
    c[C_JOINT_DAMPING + i] = p[P_JOINT_DAMPING]
    c[C_PF_END_TORQUE + i] = p[P_PF_END_TORQUE]
    c[C_PF_END_RATE + i] = p[P_PF_END_RATE]
    c[C_OFFSET_TORQUE + i] = p[P_OFFSET_TORQUE]
    c[C_GRAVITY_TORQUE + i] = p[P_FOOT_MASS] * p[P_GRAVITY] * p[P_FOOT_COM]
    c[C_AFO_K + i] = p[P_AFO_K]
    c[C_AFO_B + i] = p[P_AFO_B]
    c[C_AFO_NEUTRAL + i] = p[P_AFO_NEUTRAL]
    has_stop = p[P_STOP_K] > 0.0 and p[P_STOP_ANGLE] < p[P_ANGLE_LIMIT]  # a stop beyond the guard is none
    c[C_STOP_K + i] = p[P_STOP_K] if has_stop else 0.0  # a lane without a stop adds 0 * finite
    c[C_STOP_ANGLE + i] = p[P_STOP_ANGLE] if has_stop else 0.0
    c[C_STOP_WIDTH + i] = p[P_STOP_WIDTH]
    c[C_INV_STOP_WIDTH + i] = 1.0 / p[P_STOP_WIDTH]
    c[C_TORQUE_PER_FORCE + i] = p[P_MOMENT_ARM] * cos_pen
    c[C_FMAX + i] = p[P_FMAX]
    c[C_LAM0 + i] = p[P_LAMBDA0]
    c[C_LAM_PER_RAD + i] = lam_per_rad
    c[C_INV_FL_WIDTH + i] = 1.0 / p[P_FL_WIDTH]
    c[C_INV_VMAX + i] = 1.0 / p[P_VMAX]
    c[C_FV_ECC + i] = p[P_FV_ECC]
    c[C_FV_ECC_RATE + i] = fv_slope / (p[P_FV_ECC] - 1.0)  # C1 join of the lengthening branch
    c[C_INV_FV_CURVATURE + i] = 1.0 / p[P_FV_CURVATURE]
    # Series-elastic time constant: force-velocity damping per N·m of active torque (s/rad)
    # over series stiffness per N·m of active torque (1/rad); see `ce_velocity_rate`.
    c[C_INV_SE_TIME + i] = p[P_ACTIVE_STIFFNESS] * p[P_VMAX] / (lam_per_rad * fv_slope)
    c[C_PASSIVE_AT_OPT + i] = p[P_PE_SCALE] * p[P_PE_AT_OPT]
    c[C_PE_EXP + i] = p[P_PE_EXP]
    c[C_TWITCH + i] = p[P_TWITCH]
    c[C_INV_TWITCH2 + i] = 1.0 / (p[P_TWITCH] * p[P_TWITCH])
    c[C_FIBRE_M_PER_RAD + i] = fibre_m_per_rad
    c[C_LOPT + i] = p[P_LOPT]
    c[C_IA_BASE + i] = p[P_IA_BASE]
    c[C_IA_VGAIN_LIN + i] = p[P_IA_VGAIN] * (p[P_IA_VLIN] / _V_REF_M_PER_S) ** p[P_IA_VEXP]  # k (v_lin / 1 mm/s)^e
    c[C_IA_VEXP + i] = p[P_IA_VEXP]
    c[C_IA_VLIN + i] = p[P_IA_VLIN]
    c[C_IA_INV_VLIN + i] = 1.0 / p[P_IA_VLIN]
    c[C_FUSIMOTOR + i] = p[P_FUSIMOTOR]
    c[C_IA_LGAIN + i] = p[P_IA_LGAIN]
    c[C_THRESHOLD + i] = p[P_THRESHOLD]
    c[C_RECRUIT_WIDTH + i] = p[P_RECRUIT_WIDTH]
    c[C_INV_RECRUIT_WIDTH + i] = 1.0 / p[P_RECRUIT_WIDTH]
    c[C_TONE + i] = p[P_TONE]
    c[C_GAIN_DRIVE + i] = p[P_GAIN] * p[P_DRIVE_PER_IPS]
    c[C_DEPRESSION + i] = p[P_DEPRESSION]
    c[C_INV_RECOVERY + i] = 1.0 / p[P_RECOVERY]
    c[C_HOLD + i] = 0.0
    c[C_CAPACITY + i] = 1.0
    c[C_FATIGUE_RATE + i] = p[P_FATIGUE_RATE]
    c[C_INV_FATIGUE_RECOVERY + i] = 1.0 / p[P_FATIGUE_RECOVERY]
    c[C_GRAVITY_ANGLE + i] = p[P_GRAVITY_ANGLE]
    c[C_ANGLE_LIMIT + i] = p[P_ANGLE_LIMIT]
    # gravity may pull either way (knee pendulum)
    return has_stop or c[C_GRAVITY_TORQUE + i] != 0.0 or p[P_FATIGUE_RATE] > 0.0


@njit(cache=True)
def constants(p):
    """A constants record with lane 0 filled from p, and whether it needs the rare terms."""
    c = np.zeros(CONST_SIZE)
    extras = fill_constants(c, 0, p)
    return c, extras


# ---------------------------------------------------------------------------------------------
# The physical laws. Each is written once, as a pure function of the constants record at lane
# i; the scalar integrator, the lockstep lanes, the linearisation and the derived signals all
# call these. Branches are selects on finite values (vectorisable).


@njit(cache=True, forceinline=True, error_model="numpy")
def fibre_length(c, i, theta):
    """Normalised fibre length (l / l_opt) at ankle angle theta (rigid-tendon geometry)."""
    return c[C_LAM0 + i] + c[C_LAM_PER_RAD + i] * theta


@njit(cache=True, forceinline=True, error_model="numpy")
def force_length(c, i, lam, lanes):
    """Active force-length factor (Gaussian, Thelen 2003), 1 at optimal fibre length."""
    z = (lam - 1.0) * c[C_INV_FL_WIDTH + i]
    return _exp(-z * z, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def force_velocity(c, i, x):
    """Force-velocity factor at normalised contractile velocity x = v / v_max (lengthening > 0).

    Hill's hyperbola for shortening (0 below -v_max); for lengthening a hyperbola rising to
    `max_eccentric_force`, joined to the shortening branch with a continuous slope. One division:
    the branch picks numerator and denominator.
    """
    ecc = c[C_FV_ECC + i]
    lengthening = x > 0.0
    num = ecc - 1.0 if lengthening else 1.0 + x
    den = 1.0 + c[C_FV_ECC_RATE + i] * x if lengthening else 1.0 - x * c[C_INV_FV_CURVATURE + i]
    ratio = num / den
    return ecc - ratio if lengthening else (ratio if x > -1.0 else 0.0)


@njit(cache=True, forceinline=True, error_model="numpy")
def muscle_forces(c, i, theta, act, ce_velocity, extras, lanes):
    """Triceps surae fibre force in N as (active a·F·F_max·f_l·f_v, passive fibre force), with F
    the force capacity left by fatigue (`advance_capacity`; 1 when fresh, and always 1 without
    `extras`, so the lean lockstep variant does not read it)."""
    lam = fibre_length(c, i, theta)
    f_v = force_velocity(c, i, ce_velocity * c[C_INV_VMAX + i])
    if extras:
        act = act * c[C_CAPACITY + i]
    active = act * c[C_FMAX + i] * force_length(c, i, lam, lanes) * f_v
    passive = c[C_PASSIVE_AT_OPT + i] * _exp(c[C_PE_EXP + i] * (lam - 1.0), lanes)
    return active, passive


@njit(cache=True, forceinline=True, error_model="numpy")
def ce_velocity_rate(c, i, omega, ce_velocity):
    """d(ce_velocity)/dt: the contractile element follows the joint's fibre velocity with the
    series-elastic time constant T = beta / kappa.

    With force-velocity damping beta·T_a (beta = (1 + 1/curvature)·(dλ/dθ) / v_max, s/rad) in
    series with an elasticity of stiffness kappa·T_a (kappa = `active_stiffness_per_torque`), a
    small stretch of an active muscle meets a spring kappa·T_a at frequencies above 1/T and the
    force-velocity damping only below (a Maxwell element): the intrinsic stiffness rises in
    proportion to active torque, as ankle system identification finds.
    """
    return (c[C_LAM_PER_RAD + i] * omega - ce_velocity) * c[C_INV_SE_TIME + i]


@njit(cache=True, forceinline=True, error_model="numpy")
def gravity_cos(x, lanes):
    """cos(x) of the angle from the gravity reference, x = theta - `foot.gravity_reference_angle_rad`;
    the lanes reduce x to [-pi, pi] for `vcos` (x = theta exactly for the default reference 0)."""
    if lanes:
        x = x + 2.0 * math.pi if x < -math.pi else (x - 2.0 * math.pi if x > math.pi else x)
    return _cos(x, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def joint_torque(c, i, theta, omega, extras, lanes):
    """Passive torque of the non-triceps tissues (Riener & Edrich plantarflexion end and offset),
    joint damping and the orthosis' spring and damper; with `extras`, also foot gravity and the
    orthosis' dorsiflexion stop (zero in lanes without them), whose stiffness builds up linearly
    over `stop_width_rad` past the stop angle."""
    tau = c[C_PF_END_TORQUE + i] * _exp(-c[C_PF_END_RATE + i] * theta, lanes) + c[C_OFFSET_TORQUE + i]
    tau -= c[C_JOINT_DAMPING + i] * omega
    tau -= c[C_AFO_K + i] * (theta - c[C_AFO_NEUTRAL + i]) + c[C_AFO_B + i] * omega
    if extras:
        tau -= c[C_GRAVITY_TORQUE + i] * gravity_cos(theta - c[C_GRAVITY_ANGLE + i], lanes)
        # the stop's resistance builds up over its width (C1: quadratic, then linear); none before it
        width = c[C_STOP_WIDTH + i]
        z = theta - c[C_STOP_ANGLE + i]
        engaged = 0.0 if z < 0.0 else (width if z > width else z)
        beyond = z - width if z > width else 0.0
        tau -= c[C_STOP_K + i] * (0.5 * engaged * engaged * c[C_INV_STOP_WIDTH + i] + beyond)
    return tau


@njit(cache=True, forceinline=True, error_model="numpy")
def spindle_dynamic(c, i, omega, lanes):
    """The Ia's dynamic response (imp/s) to the fibre velocity v = (dλ/dθ)·l_opt·omega:
    ±fusimotor·k·((|v| + v_lin)^e − v_lin^e) in mm/s — Prochazka & Gorassini's power law for fast
    stretches, linear for |v| << v_lin (the small-signal linear range), the mirror image for
    shortening. Written as k·v_lin^e·((1 + |v|/v_lin)^e − 1): exactly 0 at rest."""
    v = c[C_FIBRE_M_PER_RAD + i] * omega
    magnitude = (
        c[C_FUSIMOTOR + i] * c[C_IA_VGAIN_LIN + i] * _pow1p(abs(v) * c[C_IA_INV_VLIN + i], c[C_IA_VEXP + i], lanes)
    )
    return magnitude if v >= 0.0 else -magnitude


@njit(cache=True, forceinline=True, error_model="numpy")
def depression_drive(dynamic):
    """The dynamic Ia discharge that drives post-activation depression (imp/s): the positive part
    of the dynamic response, with a smooth (C1) onset at 0."""
    d = dynamic if dynamic > 0.0 else 0.0
    return d * d / (d + _DYNAMIC_ONSET_IPS)


@njit(cache=True, forceinline=True, error_model="numpy")
def spindle(c, i, theta, omega, lanes):
    """Ia firing rate (imp/s) and its depression drive (`depression_drive`, imp/s >= 0).

    rate = baseline + dynamic (`spindle_dynamic`) + fusimotor·length_gain·stretch, floored smoothly
    at 0 (the ending falls silent during fast shortening).
    """
    dynamic = spindle_dynamic(c, i, omega, lanes)
    stretch = (fibre_length(c, i, theta) - 1.0) * c[C_LOPT + i]
    raw = c[C_IA_BASE + i] + dynamic + c[C_FUSIMOTOR + i] * c[C_IA_LGAIN + i] * stretch
    rate = _softplus(raw, _RATE_FLOOR_WIDTH_IPS, 1.0 / _RATE_FLOOR_WIDTH_IPS, lanes)
    return rate, depression_drive(dynamic)


@njit(cache=True, forceinline=True, error_model="numpy")
def pool_output(c, i, rate, efficacy, lanes):
    """Motoneuron-pool excitation (0..1): tone + gain·drive·efficacy·(Ia rate above threshold),
    recruited smoothly over `recruitment_width_ips` and saturating at full recruitment."""
    above = _softplus(rate - c[C_THRESHOLD + i], c[C_RECRUIT_WIDTH + i], c[C_INV_RECRUIT_WIDTH + i], lanes)
    drive = c[C_TONE + i] + c[C_GAIN_DRIVE + i] * efficacy * above
    return 1.0 - _softplus(1.0 - drive, SATURATION_WIDTH, 1.0 / SATURATION_WIDTH, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def efficacy_rate(c, i, efficacy, drive):
    """d(efficacy)/dt: post-activation depression of Ia–motoneuron transmission. Each dynamic Ia
    impulse (`drive`, imp/s) removes a fraction `depression_per_impulse` of the remaining efficacy;
    it recovers exponentially with `depression_recovery_s` (Crone & Nielsen 1989; Hultborn 1996)."""
    return (1.0 - efficacy) * c[C_INV_RECOVERY + i] - c[C_DEPRESSION + i] * efficacy * drive


@njit(cache=True, forceinline=True, error_model="numpy")
def advance_efficacy(c, i, efficacy, drive0, drive1, dt, lanes):
    """Efficacy one step later: the exact solution of `efficacy_rate` with the drive at its mean
    over the step (trapezoid: second order). Efficacy enters the loop only through the pool's
    output at step points, so it is advanced between RK4 steps, not inside them: this saves the
    spindle's power law at every stage and is stable for any depression rate."""
    rate = c[C_INV_RECOVERY + i] + c[C_DEPRESSION + i] * 0.5 * (drive0 + drive1)
    settled = c[C_INV_RECOVERY + i] / rate
    return settled + (efficacy - settled) * _exp(-rate * dt, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def capacity_rate(c, i, capacity, act):
    """d(capacity)/dt: muscle fatigue. Force capacity is lost in proportion to activation and to
    what is left (`fatigue_rate_per_s` at full activation) and recovers toward 1 with
    `fatigue_recovery_s` (a one-compartment fatigue model; the rates are calibrated on the Burke
    fatigue test: fatigue index 0.85 control, 0.31 chronically paralysed, 2 min at duty 1/3)."""
    return (1.0 - capacity) * c[C_INV_FATIGUE_RECOVERY + i] - c[C_FATIGUE_RATE + i] * act * capacity


@njit(cache=True, forceinline=True, error_model="numpy")
def advance_capacity(c, i, act0, act1, dt, lanes):
    """Force capacity one step later: the exact solution of `capacity_rate` with the activation at
    its mean over the step (as `advance_efficacy`). Capacity changes over seconds to minutes, so
    it is held constant within a step (a row of the constants record) and advanced between steps."""
    rate = c[C_INV_FATIGUE_RECOVERY + i] + c[C_FATIGUE_RATE + i] * 0.5 * (act0 + act1)
    settled = c[C_INV_FATIGUE_RECOVERY + i] / rate
    return settled + (c[C_CAPACITY + i] - settled) * _exp(-rate * dt, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def excitation(c, i, theta, omega, efficacy, lanes):
    """Pool excitation and the Ia rate it comes from, at one state (what goes into the delay line)."""
    rate, _ = spindle(c, i, theta, omega, lanes)
    return pool_output(c, i, rate, efficacy, lanes), rate


@njit(cache=True, forceinline=True, error_model="numpy")
def net_torque(c, i, theta, omega, act, ce_velocity, extras, lanes):
    """Muscle plus joint torque on the foot (everything but the protocol's torque), N·m."""
    active, passive = muscle_forces(c, i, theta, act, ce_velocity, extras, lanes)
    return -c[C_TORQUE_PER_FORCE + i] * (active + passive) + joint_torque(c, i, theta, omega, extras, lanes)


@njit(cache=True, forceinline=True, error_model="numpy")
def protocol_torque(c, i, hand, stage, theta, omega):
    """The examiner's (or the world's) torque: with a servo segment, the hand's spring-damper on
    top of the holding torque; otherwise the segment's torque at the stage time.

    hand = (servo, slope, stiffness, damping) of the segment; stage = (torque, reference angle)
    at the stage time, from `stage_inputs`.
    """
    servo, slope, hand_k, hand_b = hand
    ext, ref = stage
    return c[C_HOLD + i] + hand_k * (ref - theta) + hand_b * (slope - omega) if servo else ext


@njit(cache=True, forceinline=True, error_model="numpy")
def loop_rhs(c, i, hand, stage, y, u_delayed, extras, lanes):
    """Time derivatives of the state y that RK4 integrates, with u_delayed the pool excitation one
    loop delay plus the electromechanical delay ago; the efficacy entry is 0 (it is advanced at
    step points by `advance_efficacy`; `full_rhs` gives its rate too). The twitch is a critically
    damped second-order filter whose impulse response peaks at `contraction_time_s`."""
    theta, omega, act, act_rate, ce_velocity, _ = y
    tau = net_torque(c, i, theta, omega, act, ce_velocity, extras, lanes)
    tau += protocol_torque(c, i, hand, stage, theta, omega)
    act_acc = (u_delayed - act - 2.0 * c[C_TWITCH + i] * act_rate) * c[C_INV_TWITCH2 + i]
    return (
        omega,
        tau * c[C_INV_INERTIA + i],
        act_rate,
        act_acc,
        ce_velocity_rate(c, i, omega, ce_velocity),
        0.0,
    )


@njit(cache=True, forceinline=True, error_model="numpy")
def full_rhs(c, i, hand, stage, y, u_delayed, extras, lanes):
    """The whole vector field: `loop_rhs` with the efficacy's rate (`efficacy_rate`) filled in,
    for the linearisation and the independent reference solver."""
    d = loop_rhs(c, i, hand, stage, y, u_delayed, extras, lanes)
    drive = depression_drive(spindle_dynamic(c, i, y[Y_OMEGA], lanes))
    return (d[0], d[1], d[2], d[3], d[4], efficacy_rate(c, i, y[Y_EFFICACY], drive))


@njit(cache=True, forceinline=True, error_model="numpy")
def _axpy(y, h, k):
    """y + h * k for state tuples."""
    return (y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3], y[4] + h * k[4], y[5] + h * k[5])


@njit(cache=True, forceinline=True, error_model="numpy")
def rk4_step(c, i, hand, x0, xh, x1, y, u0, uh, u1, dt, extras, lanes):
    """Classic RK4 from t to t + dt. x0, xh, x1 are the protocol's stage inputs and u0, uh, u1
    the delayed drive at the stage times t, t + dt/2, t + dt."""
    h = 0.5 * dt
    a = loop_rhs(c, i, hand, x0, y, u0, extras, lanes)
    b = loop_rhs(c, i, hand, xh, _axpy(y, h, a), uh, extras, lanes)
    d = loop_rhs(c, i, hand, xh, _axpy(y, h, b), uh, extras, lanes)
    e = loop_rhs(c, i, hand, x1, _axpy(y, dt, d), u1, extras, lanes)
    s = dt / 6.0
    return (
        y[0] + s * (a[0] + 2.0 * b[0] + 2.0 * d[0] + e[0]),
        y[1] + s * (a[1] + 2.0 * b[1] + 2.0 * d[1] + e[1]),
        y[2] + s * (a[2] + 2.0 * b[2] + 2.0 * d[2] + e[2]),
        y[3] + s * (a[3] + 2.0 * b[3] + 2.0 * d[3] + e[3]),
        y[4] + s * (a[4] + 2.0 * b[4] + 2.0 * d[4] + e[4]),
        y[5] + s * (a[5] + 2.0 * b[5] + 2.0 * d[5] + e[5]),
    )


@njit(cache=True, forceinline=True, error_model="numpy")
def finish_step(c, i, y, drive, dt, lanes):
    """After an RK4 step to state y: the efficacy advanced over the step (`advance_efficacy`, with
    the depression drive at the step's start and end), and the pool excitation and Ia rate at the
    new state. Returns (state, excitation, Ia rate, drive at the new state)."""
    rate, drive_new = spindle(c, i, y[Y_THETA], y[Y_OMEGA], lanes)
    efficacy = advance_efficacy(c, i, y[Y_EFFICACY], drive, drive_new, dt, lanes)
    state = (y[0], y[1], y[2], y[3], y[4], efficacy)
    return state, pool_output(c, i, rate, efficacy, lanes), rate, drive_new


@njit(cache=True)
def rhs_vector(c, y, u_delayed, servo, ref, hand_k, hand_b, ext):
    """`full_rhs` at lane 0 for array arguments (linearisation, step bound).
    The protocol acts as a servo (hand at `ref` with stiffness and damping) or a torque `ext`."""
    out = np.empty(N_STATES)
    state = (y[0], y[1], y[2], y[3], y[4], y[5])
    d = full_rhs(c, 0, (servo, 0.0, hand_k, hand_b), (ext, ref), state, u_delayed, True, False)
    for k in range(N_STATES):
        out[k] = d[k]
    return out


@njit(cache=True)
def excitation_vector(c, y):
    """`excitation` at lane 0 for a state array: (pool excitation, Ia rate)."""
    return excitation(c, 0, y[0], y[1], y[5], False)


# ---------------------------------------------------------------------------------------------
# Protocol: what the examiner (or the world) does, from the segment table.


@njit(cache=True, inline="always")
def segment_index(seg, step, current):
    """Index of the segment active at `step`, searching forward from `current`."""
    i = current
    while i + 1 < seg.shape[0] and step >= seg[i + 1, SEG_START_STEP]:
        i += 1
    return i


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


@njit(cache=True, inline="always")
def current_row(seg, k, i_seg, row, dt):
    """(index, unpacked row) of the protocol segment active at step k, given the previous ones."""
    i_next = segment_index(seg, k, i_seg)
    if i_next != i_seg or k == 0:
        return i_next, segment_row(seg, i_next, dt)
    return i_seg, row


@njit(cache=True, inline="always")
def stage_inputs(samples, row, t):
    """(torque, reference angle) of a segment at time t: the torque of a torque or sampled
    segment, and the angle a servo segment's hand tracks (see `protocol_torque`)."""
    mode, t0, a0, a1, a2, _a3 = row
    ramp = a0 + a1 * (t - t0)
    if mode != MODE_SAMPLES:
        return ramp, ramp
    start = int(a0)  # MODE_SAMPLES: a0 = first sample, a1 = count, a2 = spacing
    count = int(a1)
    s = (t - t0) / a2
    if s <= 0.0:
        return samples[start], 0.0
    if s >= count - 1:
        return samples[start + count - 1], 0.0
    j = int(s)
    f = s - j
    return (1.0 - f) * samples[start + j] + f * samples[start + j + 1], 0.0


@njit(cache=True, inline="always")
def protocol_inputs(samples, row, t, dt):
    """The segment's hand (servo, slope, stiffness, damping) and its stage inputs at the three
    RK4 stage times of the step starting at t."""
    mode, _t0, _a0, a1, a2, a3 = row
    hand = (mode == MODE_SERVO, a1, a2, a3)
    return (
        hand,
        stage_inputs(samples, row, t),
        stage_inputs(samples, row, t + 0.5 * dt),
        stage_inputs(samples, row, t + dt),
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


# ---------------------------------------------------------------------------------------------
# Initial state.


@njit(cache=True)
def static_torque(c, i, theta, activation):
    """Net muscle and joint torque on the foot at rest (no motion), without the protocol's."""
    return net_torque(c, i, theta, 0.0, activation, 0.0, True, False)


@njit(cache=True)
def steady_activation(c, i, theta):
    """Activation in steady state at rest at angle theta (the twitch filter has unit DC gain;
    at rest there is no dynamic Ia discharge, so no post-activation depression)."""
    rate, _ = spindle(c, i, theta, 0.0, False)
    return pool_output(c, i, rate, 1.0, False)


@njit(cache=True)
def equilibrium_angle(c, i, tau_ext):
    """Angle where the foot rests under a constant external torque, with the reflex in steady
    state. Bisection on [-90, 90] deg; NaN if the torque balance has no root there."""
    lo = -0.5 * math.pi + 1e-6
    hi = 0.5 * math.pi - 1e-6
    g_lo = static_torque(c, i, lo, steady_activation(c, i, lo)) + tau_ext
    g_hi = static_torque(c, i, hi, steady_activation(c, i, hi)) + tau_ext
    if not (g_lo > 0.0 and g_hi < 0.0):
        return math.nan
    for _ in range(200):  # to the last bit: the run starts exactly at rest
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        g = static_torque(c, i, mid, steady_activation(c, i, mid)) + tau_ext
        if g > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(cache=True)
def initial_state(c, i, seg, samples, theta_start):
    """Resting state at t = 0 of lane i: (theta, activation = pool excitation, status); sets the
    lane's holding torque C_HOLD.

    With a finite `theta_start` the examiner holds the foot there (servo) and supplies the
    static torque that balances it (the holding torque, reused by every servo segment).
    With NaN the foot rests where the protocol's initial torque balances it.
    """
    if math.isnan(theta_start):
        tau0, _ = stage_inputs(samples, segment_row(seg, 0, 1.0), 0.0)
        theta = equilibrium_angle(c, i, tau0)
        if math.isnan(theta):
            c[C_HOLD + i] = 0.0
            return theta, 0.0, STATUS_NO_EQUILIBRIUM
    else:
        theta = theta_start
    u = steady_activation(c, i, theta)
    c[C_HOLD + i] = -static_torque(c, i, theta, u)
    return theta, u, STATUS_OK


@njit(cache=True, inline="always")
def rest_state(theta, activation):
    """The state at rest: no motion, activation in steady state, no depression."""
    return (theta, 0.0, activation, 0.0, 0.0, 1.0)


@njit(cache=True, inline="always")
def step_status(y, angle_limit):
    """STATUS_OK, or why the state just reached ends the run (`angle_limit`: the lane's
    `foot.angle_limit_rad`)."""
    for k in range(N_STATES):
        if not math.isfinite(y[k]):
            return STATUS_NONFINITE
    if abs(y[Y_THETA]) > angle_limit:
        return STATUS_OUT_OF_RANGE
    return STATUS_OK


@njit(cache=True)
def max_stable_dt(c, theta_lo, theta_hi, hand_k, hand_b, omega_max):
    """Largest usable step (lane 0) over the stiffest states a run can reach.

    The Jacobian of the vector field (central differences) at both ends of the angle range, with
    the muscle relaxed and fully activated and the protocol's hand (stiffness, damping) attached:
    the step keeps every eigenvalue inside RK4's stability region, RK4_STABILITY / max |λ|. The
    efficacy, advanced exactly between steps (`advance_efficacy`), is stable at any step but must
    be resolved: at the fastest joint velocity `omega_max` its rate times the step may not exceed
    DEPRESSION_PER_STEP.
    """
    fastest = 0.0
    jac = np.empty((N_STATES, N_STATES))
    for theta in (theta_lo, theta_hi):
        for act in (0.0, 1.0):
            y0 = np.array([theta, 0.0, act, 0.0, 0.0, 1.0])
            for k in range(N_STATES):
                h = 1e-6 * max(1.0, abs(y0[k]))
                yp = y0.copy()
                ym = y0.copy()
                yp[k] += h
                ym[k] -= h
                fp = rhs_vector(c, yp, act, True, theta, hand_k, hand_b, 0.0)
                fm = rhs_vector(c, ym, act, True, theta, hand_k, hand_b, 0.0)
                jac[:, k] = (fp - fm) / (2.0 * h)
            fastest = max(fastest, np.max(np.abs(np.linalg.eigvals(jac.astype(np.complex128)))))
    drive = depression_drive(spindle_dynamic(c, 0, omega_max, False))
    depression_rate = c[C_INV_RECOVERY] + c[C_DEPRESSION] * drive
    return min(RK4_STABILITY / fastest, DEPRESSION_PER_STEP / depression_rate)


# ---------------------------------------------------------------------------------------------
# One run from rest: `simulate` records it, `sweep_exact` grades it on the fly.

O_U = N_STATES  # output columns: the state, then the pool excitation u (undelayed), the Ia rate
O_RATE = N_STATES + 1  # and the muscle's force capacity (fatigue)
O_CAPACITY = N_STATES + 2
OUT_COLUMNS = N_STATES + 3

# Grading constants passed to the graders as one small array.
EV_STRETCH_S = 0  # catch window opens
EV_HOLD_S = 1  # beats are counted from here
EV_CATCH_END_S = 2  # catch window closes
EV_BEAT_THRESHOLD_RAD = 3
EV_CATCH_NM = 4
EV_SLIGHT_NM = 5
N_EV = 6


@njit(cache=True, inline="always")
def delay_steps(p, dt):
    """The loop delay plus the electromechanical delay, in steps."""
    return (p[P_DELAY] + p[P_EMD]) / dt


@njit(cache=True, inline="always")
def active_torque(c, i, y):
    """Active muscle torque (N·m, plantarflexing < 0) at state y."""
    active, _ = muscle_forces(c, i, y[Y_THETA], y[Y_ACT], y[Y_CE_VELOCITY], True, False)
    return -c[C_TORQUE_PER_FORCE + i] * active


@njit(cache=True)
def run(p, seg, samples, theta_start, dt, n_steps, ev, out, m):
    """Integrate n_steps of dt from the resting initial state.

    Records every step point into `out` (OUT_COLUMNS: the state, u, Ia rate, capacity) when it has
    n_steps + 1 rows, and grades the run into metric vector m with the beat detector when `ev`
    holds the grading constants (EV_*), updating the detector exactly as `detect` does over a
    recorded run. Returns (status, step of failure or -1, holding torque).
    """
    c, extras = constants(p)
    theta, u_init, status = initial_state(c, 0, seg, samples, theta_start)
    if status != STATUS_OK:
        return status, 0, 0.0
    record = out.shape[0] > 0
    grade = ev.shape[0] == N_EV
    buf, taps = delay_line(delay_steps(p, dt), u_init)
    mask = buf.shape[0] - 1
    y = rest_state(theta, u_init)
    if record:
        for j in range(N_STATES):
            out[0, j] = y[j]
        out[0, O_U] = u_init
        out[0, O_RATE] = excitation(c, 0, y[Y_THETA], 0.0, 1.0, False)[1]
        out[0, O_CAPACITY] = 1.0
    drive = 0.0  # no dynamic Ia discharge at rest
    det = detector_new()
    active0 = active_torque(c, 0, y)
    t_stretch, t_hold, t_catch_end, threshold = 0.0, 0.0, 0.0, 0.0
    if grade:
        t_stretch, t_hold, t_catch_end = ev[EV_STRETCH_S], ev[EV_HOLD_S], ev[EV_CATCH_END_S]
        threshold = ev[EV_BEAT_THRESHOLD_RAD]
        detector_update(det, 0.0, y[Y_THETA], -(active0 - active0), t_stretch, t_hold, t_catch_end, threshold)
    i_seg = 0
    row = segment_row(seg, 0, dt)
    for k in range(n_steps):
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        hand, x0, xh, x1 = protocol_inputs(samples, row, k * dt, dt)
        u0, uh, u1 = read_stages(buf, k, taps, u_init)
        act0 = y[Y_ACT]
        y = rk4_step(c, 0, hand, x0, xh, x1, y, u0, uh, u1, dt, extras, False)
        y, u, rate, drive = finish_step(c, 0, y, drive, dt, False)
        if extras:
            c[C_CAPACITY] = advance_capacity(c, 0, act0, y[Y_ACT], dt, False)
        if record:
            for j in range(N_STATES):
                out[k + 1, j] = y[j]
        status = step_status(y, c[C_ANGLE_LIMIT])
        if status != STATUS_OK:
            return status, k + 1, c[C_HOLD]
        buf[(k + 1) & mask] = u
        if record:
            out[k + 1, O_U] = u
            out[k + 1, O_RATE] = rate
            out[k + 1, O_CAPACITY] = c[C_CAPACITY]
        if grade:
            t = (k + 1) * dt
            reflex = 0.0  # the detector reads the reflex torque only inside the catch window
            if t_stretch <= t <= t_catch_end:
                reflex = -(active_torque(c, 0, y) - active0)
            detector_update(det, t, y[Y_THETA], reflex, t_stretch, t_hold, t_catch_end, threshold)
    if grade:
        detector_metrics(det, t_hold, n_steps * dt, ev[EV_CATCH_NM], ev[EV_SLIGHT_NM], m)
    return STATUS_OK, -1, c[C_HOLD]


N_SIGNALS = 7
SIG_SPINDLE_RATE = 0
SIG_EXCITATION = 1
SIG_MUSCLE_FORCE = 2
SIG_ACTIVE_TORQUE = 3
SIG_MUSCLE_PASSIVE_TORQUE = 4
SIG_JOINT_TORQUE = 5
SIG_EXTERNAL_TORQUE = 6


@njit(cache=True)
def signals(p, seg, samples, dt, hold, out, delay_s, sig):
    """Derived signals along a recorded run, from the same functions as the right-hand side.

    Columns (SIG_*): Ia rate; pool excitation delayed by `delay_s` (what an EMG electrode on
    the muscle would see); muscle force; active and passive muscle torque; joint torque (other
    passive tissues, damping, gravity, orthosis); the protocol's torque.
    """
    c, _ = constants(p)
    c[C_HOLD] = hold
    n = out.shape[0]
    off, _f, w0, w1, w2, w3 = delay_taps(delay_s / dt, 0.0)
    i_seg = 0
    row = segment_row(seg, 0, dt)
    for k in range(n):
        theta = out[k, Y_THETA]
        omega = out[k, Y_OMEGA]
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        hand, x0, _xh, _x1 = protocol_inputs(samples, row, k * dt, dt)
        sig[k, SIG_SPINDLE_RATE] = out[k, O_RATE]
        c[C_CAPACITY] = out[k, O_CAPACITY]
        j = k + off
        sig[k, SIG_EXCITATION] = (
            w0 * out[min(max(j - 1, 0), n - 1), O_U]
            + w1 * out[min(max(j, 0), n - 1), O_U]
            + w2 * out[min(max(j + 1, 0), n - 1), O_U]
            + w3 * out[min(max(j + 2, 0), n - 1), O_U]
        )
        active, passive = muscle_forces(c, 0, theta, out[k, Y_ACT], out[k, Y_CE_VELOCITY], True, False)
        sig[k, SIG_MUSCLE_FORCE] = active + passive
        sig[k, SIG_ACTIVE_TORQUE] = -c[C_TORQUE_PER_FORCE] * active
        sig[k, SIG_MUSCLE_PASSIVE_TORQUE] = -c[C_TORQUE_PER_FORCE] * passive
        sig[k, SIG_JOINT_TORQUE] = joint_torque(c, 0, theta, omega, True, False)
        sig[k, SIG_EXTERNAL_TORQUE] = protocol_torque(c, 0, hand, x0, theta, omega)


@njit(cache=True)
def integrate_linear_dde(k, tau, dt, n_steps, out):
    """x' = -k x(t - tau), x = 1 for t <= 0, with the same delay line as `run`. The classic test
    equation for delay handling: unstable for k*tau > pi/2."""
    buf, taps = delay_line(tau / dt, 1.0)
    x = 1.0
    out[0] = x
    for j in range(n_steps):
        u0, uh, u1 = read_stages(buf, j, taps, 1.0)
        d0, dh, d1 = -k * u0, -k * uh, -k * u1
        x = x + dt / 6.0 * (d0 + 4.0 * dh + d1)  # RK4 with stage slopes independent of x
        buf[(j + 1) & (buf.shape[0] - 1)] = x
        out[j + 1] = x


# ---------------------------------------------------------------------------------------------
# Clonus beat detector: a streaming state machine, so that a sweep can grade a run without
# storing it and `clonus_metrics` grades a stored run with the very same code.
#
# A beat is a maximum of the ankle angle that rises at least `beat_threshold` above the
# preceding confirmed minimum and is confirmed by a fall of at least `beat_threshold` after it
# (zig-zag extrema with hysteresis), at least MIN_BEAT_INTERVAL_S after the previous maximum. Only
# extrema after the hold starts count.

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
# Clonus beats at 3-12 Hz in every muscle studied (physiology.md §1; jaw ~10 Hz): a maximum less than
# 1/15 s after the previous maximum is mechanical ringing of the foot (e.g. on a stiff orthosis),
# not a beat.
MIN_BEAT_INTERVAL_S = 1.0 / 15.0
DET_T_LAST_MAX = 13  # time of the last confirmed maximum, counted as a beat or not
DET_RING = 14  # times of the last FREQ_BEATS beats, circular by beat number
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
            ringing = s[DET_T_LAST_MAX] > 0.0 and s[DET_EXT_T] - s[DET_T_LAST_MAX] < MIN_BEAT_INTERVAL_S
            s[DET_T_LAST_MAX] = s[DET_EXT_T]
            if s[DET_HAVE_MIN] == 1.0 and not ringing:
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
M_OVER_10_S = 11  # 1 if the clonus lasted longer than 10 s (SCATS 3 / Tardieu 4)
N_METRICS = 12

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
    m[M_OVER_10_S] = 1.0 if m[M_DURATION_S] > SUSTAINED_S else 0.0
    # deprecated (ClonusMetrics.sustained; the sweep's `sustained`): ongoing and longer than 10 s
    m[M_SUSTAINED] = 1.0 if (m[M_ONGOING] == 1.0 and m[M_OVER_10_S] == 1.0) else 0.0
    m[M_SCATS] = grade_scats(n, m[M_DURATION_S])
    m[M_TARDIEU] = grade_tardieu(n, m[M_DURATION_S], s[DET_PEAK_REFLEX], catch_nm, slight_nm)


# Kinds of the extrema `detect_events` lists.
EXTREMUM_MIN = 0  # a confirmed minimum
EXTREMUM_BEAT = 1  # a confirmed maximum counted as a beat
EXTREMUM_MAX = 2  # a confirmed maximum that is not a beat (no minimum before it yet, or ringing)


@njit(cache=True)
def detect_events(time, theta, reflex_torque, t_stretch, t_hold, t_catch_end, threshold, catch_nm, slight_nm):
    """Run the detector over stored arrays; returns the metric vector and the extrema it
    confirmed, in order: (m, kinds (EXTREMUM_*), times, values).

    The extrema are read off the detector's state as it runs (a change of DET_MODE confirms the
    extreme tracked so far), so they are exactly the ones the metrics count.
    """
    n = time.shape[0]
    kinds = np.empty(n, np.int64)
    times = np.empty(n)
    values = np.empty(n)
    count = 0
    s = detector_new()
    for k in range(n):
        started, mode, beats = s[DET_STARTED], s[DET_MODE], s[DET_BEATS]
        ext, ext_t = s[DET_EXT], s[DET_EXT_T]
        detector_update(s, time[k], theta[k], reflex_torque[k], t_stretch, t_hold, t_catch_end, threshold)
        if started == 1.0 and s[DET_MODE] != mode:
            if mode == 0.0:
                kinds[count] = EXTREMUM_MIN
            elif s[DET_BEATS] > beats:
                kinds[count] = EXTREMUM_BEAT
            else:
                kinds[count] = EXTREMUM_MAX
            times[count] = ext_t
            values[count] = ext
            count += 1
    m = np.empty(N_METRICS)
    detector_metrics(s, t_hold, time[n - 1], catch_nm, slight_nm, m)
    return m, kinds[:count], times[:count], values[:count]


@njit(cache=True)
def detect(time, theta, reflex_torque, t_stretch, t_hold, t_catch_end, threshold, catch_nm, slight_nm):
    """Run the detector over stored arrays; returns the metric vector."""
    return detect_events(time, theta, reflex_torque, t_stretch, t_hold, t_catch_end, threshold, catch_nm, slight_nm)[0]


# =============================================================================================
# Sweep kernels: many parameter sets per call, each graded by the streaming beat detector inside
# the kernel, so a sweep needs memory O(points), not O(points x steps), and runs no Python per
# point. `reflexsim.sweep` validates everything and calls these with one protocol at a time.
#
# Both take a matrix `params` of packed parameter rows and fill, per row, a metric vector (M_*),
# a status code (STATUS_*) and the step at which a run failed (-1 if it did not):
#
# * `sweep_exact` runs `run` for each row (prange over rows): each point equals
#   `clonus_metrics(simulate(...))` bit for bit.
# * `sweep_lockstep` advances LOCKSTEP_LANES rows together in a structure-of-arrays layout so
#   that the CPU's vector units work across simulations (prange over blocks of lanes). It calls
#   the same `rk4_step`, `excitation` and detector as `run`, lane by lane.


@njit(cache=True, parallel=True)
def sweep_exact(params, seg, samples, theta_start, dt, n_steps, ev, metrics, status, fail_step):
    """`run` (grading only) for every row of params (prange). Failed rows get NaN metrics."""
    for i in prange(params.shape[0]):
        no_record = np.empty((0, OUT_COLUMNS))
        st, k_fail, _ = run(params[i], seg, samples, theta_start, dt, n_steps, ev, no_record, metrics[i])
        status[i] = st
        fail_step[i] = k_fail
        if st != STATUS_OK:
            metrics[i, :] = math.nan


@njit(cache=True, parallel=True)
def run_batch(params, seg, samples, theta_start, dt, n_steps, out, status):
    """`run` (recording only) for every row of params (prange), into out[i] (n_steps + 1 rows):
    many candidate trajectories at once, e.g. for a fit's global stage."""
    no_events = np.empty(0)
    for i in prange(params.shape[0]):
        m = np.empty(0)
        st, _, _ = run(params[i], seg, samples, theta_start, dt, n_steps, no_events, out[i], m)
        status[i] = st


# ---------------------------------------------------------------------------------------------
# Lockstep layout: the work array is the constants record (C_* rows) followed by state rows.

LOCKSTEP_INTERLEAVE = 4  # vector iterations LLVM interleaves (see `compile_lockstep`)
LOCKSTEP_BATCH = 64  # steps between detector passes (state kept per step in between)

W_Y = CONST_SIZE  # state rows: W_Y + Y_* * LOCKSTEP_LANES
W_U0 = W_Y + N_STATES * LOCKSTEP_LANES  # delayed drive at the three RK4 stage times
W_UH = W_U0 + LOCKSTEP_LANES
W_U1 = W_UH + LOCKSTEP_LANES
W_U_NEW = W_U1 + LOCKSTEP_LANES  # pool excitation at the new state (goes into the delay line)
W_DRIVE = W_U_NEW + LOCKSTEP_LANES  # depression drive at the lane's current state
W_SIZE = W_DRIVE + LOCKSTEP_LANES


@njit(cache=True, inline="always", error_model="numpy")
def _lockstep_lanes(work, hand, x0, xh, x1, dt, extras):
    """One `rk4_step` and `finish_step` of every lane: new state, efficacy and pool excitation."""
    for i in range(LOCKSTEP_LANES):
        y = (
            work[W_Y + i],
            work[W_Y + LOCKSTEP_LANES + i],
            work[W_Y + 2 * LOCKSTEP_LANES + i],
            work[W_Y + 3 * LOCKSTEP_LANES + i],
            work[W_Y + 4 * LOCKSTEP_LANES + i],
            work[W_Y + 5 * LOCKSTEP_LANES + i],
        )
        act0 = y[Y_ACT]
        y = rk4_step(work, i, hand, x0, xh, x1, y, work[W_U0 + i], work[W_UH + i], work[W_U1 + i], dt, extras, True)
        y, u, _, drive = finish_step(work, i, y, work[W_DRIVE + i], dt, True)
        if extras:
            work[C_CAPACITY + i] = advance_capacity(work, i, act0, y[Y_ACT], dt, True)
        work[W_Y + i] = y[0]
        work[W_Y + LOCKSTEP_LANES + i] = y[1]
        work[W_Y + 2 * LOCKSTEP_LANES + i] = y[2]
        work[W_Y + 3 * LOCKSTEP_LANES + i] = y[3]
        work[W_Y + 4 * LOCKSTEP_LANES + i] = y[4]
        work[W_Y + 5 * LOCKSTEP_LANES + i] = y[5]
        work[W_U_NEW + i] = u
        work[W_DRIVE + i] = drive


@njit(cache=True, error_model="numpy")
def _lockstep_step_lean(work, hand, x0, xh, x1, dt):
    """`_lockstep_lanes` for blocks in which no lane has an orthosis stop, foot gravity or fatigue."""
    _lockstep_lanes(work, hand, x0, xh, x1, dt, False)


@njit(cache=True, error_model="numpy")
def _lockstep_step_full(work, hand, x0, xh, x1, dt):
    """`_lockstep_lanes` with the orthosis' dorsiflexion stop and foot gravity."""
    _lockstep_lanes(work, hand, x0, xh, x1, dt, True)


@njit(cache=True)
def _lockstep_grade(det, work, states, capacity, n_batch, k_first, dt, active0, ev, status, fail_step):
    """Status checks (as `run`) and detector updates for the states of steps
    k_first + 1 .. k_first + n_batch of each live lane (states: N_STATES x LOCKSTEP_BATCH x lanes;
    capacity: the force capacity at those steps, LOCKSTEP_BATCH x lanes)."""
    t_stretch, t_hold, t_catch_end = ev[EV_STRETCH_S], ev[EV_HOLD_S], ev[EV_CATCH_END_S]
    threshold = ev[EV_BEAT_THRESHOLD_RAD]
    for i in range(status.shape[0]):
        if status[i] != STATUS_OK:
            continue
        s = det[i]
        current = work[C_CAPACITY + i]  # the reflex torque of step b needs that step's capacity
        for b in range(n_batch):
            work[C_CAPACITY + i] = capacity[b, i]
            y = (states[0, b, i], states[1, b, i], states[2, b, i], states[3, b, i], states[4, b, i], states[5, b, i])
            k = k_first + b + 1
            st = step_status(y, work[C_ANGLE_LIMIT + i])
            if st != STATUS_OK:
                status[i], fail_step[i] = st, k
                break
            t = k * dt
            if t < t_stretch:  # detector_update is a no-op before the stretch
                continue
            reflex = 0.0
            if t <= t_catch_end:
                reflex = -(active_torque(work, i, y) - active0[i])
            detector_update(s, t, y[Y_THETA], reflex, t_stretch, t_hold, t_catch_end, threshold)
        work[C_CAPACITY + i] = current


@njit(cache=True)
def _lockstep_block(params, seg, samples, theta_start, dt, n_steps, ev, metrics, status, fail_step):
    """Up to LOCKSTEP_LANES rows of params advanced together (missing lanes repeat the last row)."""
    n = params.shape[0]
    work = np.zeros(W_SIZE)
    det = np.empty((n, N_DET))  # one detector state per real lane
    u_init = np.zeros(LOCKSTEP_LANES)
    active0 = np.zeros(n)
    offsets = np.zeros((3, LOCKSTEP_LANES), dtype=np.int64)
    weights = np.zeros((3, 4, LOCKSTEP_LANES))
    fracs = np.zeros((3, LOCKSTEP_LANES))
    reuse = np.zeros(LOCKSTEP_LANES, dtype=np.bool_)  # u at stage 0 equals the previous step's stage-1 read
    extras = False
    size = 8
    for i in range(LOCKSTEP_LANES):
        p = params[min(i, n - 1)]
        extras |= fill_constants(work, i, p)
        theta, u0, st = initial_state(work, i, seg, samples, theta_start)
        if i < n:
            status[i] = st
            fail_step[i] = 0 if st != STATUS_OK else -1
        if st != STATUS_OK:  # a benign state for a lane whose result is discarded
            theta, u0 = 0.0, 0.0
        y = rest_state(theta, u0)
        for j in range(N_STATES):
            work[W_Y + j * LOCKSTEP_LANES + i] = y[j]
        u_init[i] = u0
        steps = delay_steps(p, dt)
        for stage in range(3):
            o, f, w0, w1, w2, w3 = delay_taps(steps, 0.5 * stage)
            offsets[stage, i] = o
            fracs[stage, i] = f
            weights[stage, 0, i] = w0
            weights[stage, 1, i] = w1
            weights[stage, 2, i] = w2
            weights[stage, 3, i] = w3
        reuse[i] = offsets[2, i] == offsets[0, i] + 1 and fracs[2, i] == fracs[0, i]
        size = max(size, buffer_size(steps))
        if i < n:
            det[i] = detector_new()
            active0[i] = active_torque(work, i, y)
            if st == STATUS_OK:
                detector_update(
                    det[i],
                    0.0,
                    theta,
                    -(active0[i] - active0[i]),
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
    states = np.empty((N_STATES, LOCKSTEP_BATCH, LOCKSTEP_LANES))
    capacity = np.ones((LOCKSTEP_BATCH, LOCKSTEP_LANES))
    i_seg = 0
    row = segment_row(seg, 0, dt)
    k_first = 0
    for k in range(n_steps):
        i_seg, row = current_row(seg, k, i_seg, row, dt)
        hand, x0, xh, x1 = protocol_inputs(samples, row, k * dt, dt)
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
        if extras:
            _lockstep_step_full(work, hand, x0, xh, x1, dt)
        else:
            _lockstep_step_lean(work, hand, x0, xh, x1, dt)
        slot = (k + 1) & mask
        b = k - k_first
        for i in range(LOCKSTEP_LANES):
            buf[i, slot] = work[W_U_NEW + i]
            for j in range(N_STATES):
                states[j, b, i] = work[W_Y + j * LOCKSTEP_LANES + i]
            if extras:
                capacity[b, i] = work[C_CAPACITY + i]
        if b == LOCKSTEP_BATCH - 1 or k == n_steps - 1:
            _lockstep_grade(det, work, states, capacity, b + 1, k_first, dt, active0, ev, status, fail_step)
            k_first = k + 1
    for i in range(n):
        if status[i] == STATUS_OK:
            detector_metrics(det[i], ev[EV_HOLD_S], n_steps * dt, ev[EV_CATCH_NM], ev[EV_SLIGHT_NM], metrics[i])
        else:
            metrics[i, :] = math.nan


@njit(cache=True, parallel=True)
def _sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, ev, metrics, status, fail_step):
    """The compiled body of `sweep_lockstep`: blocks of LOCKSTEP_LANES rows, prange over blocks."""
    n = params.shape[0]
    n_blocks = (n + LOCKSTEP_LANES - 1) // LOCKSTEP_LANES
    for blk in prange(n_blocks):
        lo = blk * LOCKSTEP_LANES
        hi = min(n, lo + LOCKSTEP_LANES)
        _lockstep_block(
            params[lo:hi], seg, samples, theta_start, dt, n_steps, ev, metrics[lo:hi], status[lo:hi], fail_step[lo:hi]
        )


def sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, ev, metrics, status, fail_step):
    """Same contract as `sweep_exact`; LOCKSTEP_LANES rows advance together (prange over blocks).

    Arrays as in `_LOCKSTEP_SIGNATURE` (C-contiguous, writeable). Compiles through
    `compile_lockstep` on first use.
    """
    compile_lockstep()
    _sweep_lockstep(params, seg, samples, theta_start, dt, n_steps, ev, metrics, status, fail_step)


_LOCKSTEP_SIGNATURE = (
    types.float64[:, ::1],  # params
    types.float64[:, ::1],  # seg
    types.float64[::1],  # samples
    types.float64,  # theta_start
    types.float64,  # dt
    types.int64,  # n_steps
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

"""The reflexsim equations written for jitcdde (symbolic, compiled to C), for the benchmarks.

Same model as `reflexsim.kernel`: Hill triceps with rigid tendon, Riener & Edrich passive
moment, Prochazka spindle, thresholded pool, critically damped twitch, and the clonus-test
protocol. The reflex gain, the loop delay and the protocol's state (servo -> constant torque) are
control parameters, so one compiled module serves every segment of a run and every point of a
gain x delay sweep. Requires `pip install jitcdde sympy` (a C compiler is used at run time).
"""

from __future__ import annotations

import math

import numpy as np
import symengine as se
from jitcdde import jitcdde, t, y

from reflexsim import kernel
from reflexsim.params import Model
from reflexsim.protocols import ClonusTest

SERVO_ON, REF0, REF_SLOPE, T_REF, HOLD_FF, HOLD_TORQUE, GAIN, DELAY = se.symbols(
    "servo_on ref0 ref_slope t_ref hold_ff hold_torque gain delay"
)
CONTROL = [SERVO_ON, REF0, REF_SLOPE, T_REF, HOLD_FF, HOLD_TORQUE, GAIN, DELAY]


def _softplus(z, width):
    return width * se.log(1 + se.exp(z / width))


def build(model: Model, protocol: ClonusTest, max_delay_s: float | None = None, *, verbose: bool = False) -> jitcdde:
    """A compiled integrator of `model` whose gain and reflex.delay_s (up to `max_delay_s`,
    default the model's own) are set per run."""
    max_delay_s = model.reflex.delay_s if max_delay_s is None else max_delay_s
    p = model.pack()
    d = kernel.derive(p)
    m, j, s, r = model.muscle, model.joint, model.spindle, model.reflex
    emd = m.electromechanical_delay_s

    def lam(theta):
        return m.fibre_length_at_neutral + d[kernel.D_LAMBDA_PER_RAD] * theta

    def rate(theta, omega):
        v = d[kernel.D_FIBRE_M_PER_RAD] * omega
        eps = s.velocity_smoothing_m_per_s
        v_pos = 0.5 * (v + se.sqrt(v * v + eps * eps))
        raw = s.baseline_rate_ips + s.fusimotor_scale * (
            s.velocity_gain_ips * (v_pos / 1e-3) ** s.velocity_exponent
            + s.length_gain_ips_per_m * (lam(theta) - 1.0) * m.optimal_fibre_length_m
        )
        return _softplus(raw, 1.0)

    def pool(rate_value):
        above = _softplus(rate_value - r.threshold_ips, r.recruitment_width_ips)
        drive = r.tone + GAIN * r.drive_per_ips * above
        return 1 - _softplus(1 - drive, 0.01)

    theta, omega, act, act_rate = y(0), y(1), y(2), y(3)
    x = d[kernel.D_LAMBDA_PER_RAD] * omega / m.max_shortening_velocity_per_s
    fv = se.Piecewise(
        (0, x <= -1),
        ((1 + x) / (1 - x / m.fv_curvature), x <= 0),
        (m.max_eccentric_force - (m.max_eccentric_force - 1) / (1 + d[kernel.D_FV_ECC_RATE] * x), True),
    )
    fl = se.exp(-(((lam(theta) - 1.0) / m.fl_width) ** 2))
    active = m.max_force_n * act * fl * fv
    passive = m.passive_scale * m.passive_force_at_optimal_n * se.exp(m.passive_exponent * (lam(theta) - 1.0))
    tau_muscle = -d[kernel.D_TORQUE_PER_FORCE] * (active + passive)
    tau_joint = (
        j.pf_end_torque_nm * se.exp(-j.pf_end_rate_per_rad * theta) + j.offset_torque_nm - j.damping_nms_per_rad * omega
    )
    ref = REF0 + REF_SLOPE * (t - T_REF)
    tau_servo = (
        HOLD_FF
        + protocol.hand_stiffness_nm_per_rad * (ref - theta)
        + protocol.hand_damping_nms_per_rad * (REF_SLOPE - omega)
    )
    tau_ext = SERVO_ON * tau_servo + (1 - SERVO_ON) * HOLD_TORQUE
    delay = DELAY + emd
    u_delayed = pool(rate(y(0, t - delay), y(1, t - delay)))
    tw = m.contraction_time_s
    f = [
        omega,
        (tau_muscle + tau_joint + tau_ext) / model.foot.inertia_kg_m2,
        act_rate,
        (u_delayed - act - 2 * tw * act_rate) / tw**2,
    ]
    dde = jitcdde(f, control_pars=CONTROL, max_delay=max_delay_s + emd, verbose=verbose)
    dde.compile_C(simplify=False, do_cse=True, verbose=verbose)
    return dde


def run(dde: jitcdde, model: Model, protocol: ClonusTest, *, duration_s: float, grid_dt_s: float, rtol: float):
    """One clonus test of `model` (its gain and delay); returns (time, angle in rad) on the grid."""
    p = model.pack()
    d = kernel.derive(p)
    compiled = protocol.compile(grid_dt_s)
    theta0, act0, _, hold_ff, _ = kernel.initial_state(
        p, d, compiled.segments, compiled.samples, compiled.theta_start_rad
    )
    dde.purge_past()
    dde.constant_past([theta0, 0.0, act0, 0.0], time=0.0)
    dde.initial_discontinuities_handled = True  # the past is an equilibrium: no initial kink
    dde.set_integration_parameters(rtol=rtol, atol=rtol * 1e-2, first_step=1e-4, max_step=1e-3)
    slope = math.radians(protocol.stretch_deg) / (compiled.hold_start_s - compiled.stretch_start_s)
    phases = [
        (compiled.stretch_start_s, (1, theta0, 0.0, 0.0)),
        (compiled.hold_start_s, (1, theta0, slope, compiled.stretch_start_s)),
        (duration_s, (0, theta0, 0.0, 0.0)),
    ]
    n = round(duration_s / grid_dt_s)
    times = np.arange(n + 1) * grid_dt_s
    angle = np.empty(n + 1)
    angle[0] = theta0
    k = 1
    for end, (servo, ref0, ramp, t_ref) in phases:
        dde.set_parameters(
            servo, ref0, ramp, t_ref, hold_ff, protocol.hold_torque_nm, model.reflex.gain, model.reflex.delay_s
        )
        if dde.t > 0:
            dde.adjust_diff()  # the protocol switched: make the past consistent with the new equations
        while k <= n and times[k] <= end - 2e-3:
            angle[k] = dde.integrate(times[k])[0]
            k += 1
        if end < duration_s:
            dde.integrate_blindly(end, 1e-4)  # land exactly on the switch, then go on
        while k <= n and times[k] <= end + 1e-12:
            angle[k] = dde.integrate(times[k])[0]
            k += 1
    return times, angle

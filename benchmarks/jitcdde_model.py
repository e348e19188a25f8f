"""The reflexsim equations restated symbolically for jitcdde (compiled to C), for the benchmarks only.

An independent restatement of `reflexsim.kernel`, kept only to time jitcdde against: nothing in
the package uses it, and no test compares it with `simulate` (run this file to do that:
``python benchmarks/jitcdde_model.py`` prints the largest angle difference from a fine `simulate`
run at several tolerances; the benchmarks use it only at a tolerance whose angle error is no
larger than reflexsim's own). It mirrors the kernel law by law (`fill_constants`,
`force_velocity`, `muscle_forces`, `ce_velocity_rate`, `joint_torque`, `spindle`, `pool_output`,
`efficacy_rate`, `loop_rhs`), with the constants derived here from the model's fields:

* six states: angle, angular velocity, activation and its rate (critically damped twitch), the
  contractile element's lengthening velocity (lags the joint through the series elasticity) and
  the efficacy of Ia transmission left by post-activation depression;
* Hill triceps (Gaussian force-length, Hill/eccentric force-velocity of the contractile element),
  rigid-tendon geometry, exponential passive fibre force; Riener & Edrich joint torque, damping,
  the orthosis' spring and damper, and foot gravity and the orthosis stop when the model has them;
* the spindle's odd power law of fibre velocity with a linear core (`linear_range_m_per_s`),
  floored smoothly at 0; the pool's excitation with the gain scaled by the efficacy, read one
  loop delay plus the electromechanical delay ago.

The protocol is a segment table of servo and torque ramps (`ClonusTest`, `RampAndHold`, ...;
not sampled torque profiles); the segment's values, the reflex gain and the loop delay are
control parameters, so one compiled module serves every segment of a run and every point of a
gain x delay sweep. Only the resting initial state (and the holding torque) comes from the kernel
(`initial_state`). Requires `pip install jitcdde` (with symengine; a C compiler at run time).
"""

from __future__ import annotations

import math

import numpy as np
import symengine as se
from jitcdde import jitcdde, t, y

from reflexsim import kernel
from reflexsim.params import Model

SERVO_ON, A0, A1, T0, HAND_K, HAND_B, HOLD, GAIN, DELAY = se.symbols("servo_on a0 a1 t0 hand_k hand_b hold gain delay")
CONTROL = [SERVO_ON, A0, A1, T0, HAND_K, HAND_B, HOLD, GAIN, DELAY]

_RATE_FLOOR_WIDTH_IPS = 1.0  # as in the kernel
_DYNAMIC_ONSET_IPS = 1.0
_SATURATION_WIDTH = 0.01
_V_REF_M_PER_S = 1e-3  # the spindle power law is in mm/s


def _softplus(z, width):
    """width * log(1 + exp(z / width)), written as the kernel's `vsoftplus` (no overflow)."""
    return se.Max(z, 0) + width * se.log(1 + se.exp(-se.Abs(z) / width))


def equations(model: Model) -> list:
    """The right-hand side of the six states, with the control parameters CONTROL."""
    f, j, m, s, r, o = model.foot, model.joint, model.muscle, model.spindle, model.reflex, model.orthosis
    cos_pen = math.cos(m.pennation_rad)
    fibre_m_per_rad = m.moment_arm_m / cos_pen
    lam_per_rad = fibre_m_per_rad / m.optimal_fibre_length_m
    torque_per_force = m.moment_arm_m * cos_pen
    fv_slope = 1.0 + 1.0 / m.fv_curvature
    fv_ecc_rate = fv_slope / (m.max_eccentric_force - 1.0)
    se_rate = m.active_stiffness_per_torque * m.max_shortening_velocity_per_s / (lam_per_rad * fv_slope)
    gravity_torque = f.mass_kg * f.gravity_m_per_s2 * f.com_distance_m
    has_stop = o.stop_stiffness_nm_per_rad > 0.0 and o.stop_angle_rad < kernel.ANGLE_LIMIT_RAD
    extras = has_stop or gravity_torque > 0.0

    def lam(theta):
        return m.fibre_length_at_neutral + lam_per_rad * theta

    def spindle(theta, omega):
        """(Ia rate, dynamic discharge driving post-activation depression)."""
        v = fibre_m_per_rad * omega
        e = s.velocity_exponent
        v_lin = s.linear_range_m_per_s
        magnitude = s.velocity_gain_ips / _V_REF_M_PER_S**e * ((se.Abs(v) + v_lin) ** e - v_lin**e)
        dynamic = s.fusimotor_scale * se.sign(v) * magnitude  # the kernel's select: magnitude is 0 at v = 0
        stretch = (lam(theta) - 1.0) * m.optimal_fibre_length_m
        raw = s.baseline_rate_ips + dynamic + s.fusimotor_scale * s.length_gain_ips_per_m * stretch
        d = se.Max(dynamic, 0)
        return _softplus(raw, _RATE_FLOOR_WIDTH_IPS), d * d / (d + _DYNAMIC_ONSET_IPS)

    def pool_output(rate, efficacy):
        above = _softplus(rate - r.threshold_ips, r.recruitment_width_ips)
        drive = r.tone + GAIN * r.drive_per_ips * efficacy * above
        return 1 - _softplus(1 - drive, _SATURATION_WIDTH)

    def force_velocity(x):
        ecc = m.max_eccentric_force
        return se.Piecewise(
            (ecc - (ecc - 1.0) / (1.0 + fv_ecc_rate * x), x > 0),
            ((1.0 + x) / (1.0 - x / m.fv_curvature), x > -1),
            (0, True),
        )

    theta, omega, act, act_rate, ce_velocity, efficacy = (y(k) for k in range(kernel.N_STATES))
    fl = se.exp(-(((lam(theta) - 1.0) / m.fl_width) ** 2))
    active = act * m.max_force_n * fl * force_velocity(ce_velocity / m.max_shortening_velocity_per_s)
    passive = m.passive_scale * m.passive_force_at_optimal_n * se.exp(m.passive_exponent * (lam(theta) - 1.0))
    tau_joint = (
        j.pf_end_torque_nm * se.exp(-j.pf_end_rate_per_rad * theta)
        + j.offset_torque_nm
        - j.damping_nms_per_rad * omega
        - (o.stiffness_nm_per_rad * (theta - o.neutral_angle_rad) + o.damping_nms_per_rad * omega)
    )
    if extras:
        tau_joint -= gravity_torque * se.cos(theta)
        if has_stop:
            tau_joint -= o.stop_stiffness_nm_per_rad * _softplus(theta - o.stop_angle_rad, o.stop_width_rad)
    ramp = A0 + A1 * (t - T0)
    tau_servo = HOLD + HAND_K * (ramp - theta) + HAND_B * (A1 - omega)
    tau_ext = SERVO_ON * tau_servo + (1 - SERVO_ON) * ramp
    tau = -torque_per_force * (active + passive) + tau_joint + tau_ext
    lag = DELAY + m.electromechanical_delay_s
    u_delayed = pool_output(spindle(y(0, t - lag), y(1, t - lag))[0], y(5, t - lag))
    tw = m.contraction_time_s
    _, dynamic = spindle(theta, omega)
    return [
        omega,
        tau / f.inertia_kg_m2,
        act_rate,
        (u_delayed - act - 2 * tw * act_rate) / tw**2,
        (lam_per_rad * omega - ce_velocity) * se_rate,
        (1 - efficacy) / r.depression_recovery_s - r.depression_per_impulse * efficacy * dynamic,
    ]


def build(model: Model, max_delay_s: float | None = None, *, verbose: bool = False) -> jitcdde:
    """A compiled integrator of `model` whose gain and reflex.delay_s (up to `max_delay_s`,
    default the model's own) and protocol segment are set per run."""
    max_delay_s = model.reflex.delay_s if max_delay_s is None else max_delay_s
    dde = jitcdde(
        equations(model),
        control_pars=CONTROL,
        max_delay=max_delay_s + model.muscle.electromechanical_delay_s,
        verbose=verbose,
    )
    dde.compile_C(simplify=False, do_cse=True, verbose=verbose)
    return dde


def run(dde: jitcdde, model: Model, protocol, *, duration_s: float, grid_dt_s: float, rtol: float):
    """One run of `model` (its gain and delay) under `protocol`; returns (time, angle in rad) on
    the grid k * grid_dt_s."""
    p = model.pack()
    c, _ = kernel.constants(p)
    compiled = protocol.compile(grid_dt_s)
    seg = compiled.segments
    if not np.all(np.isin(seg[:, kernel.SEG_MODE], (kernel.MODE_SERVO, kernel.MODE_TORQUE))):
        raise ValueError("jitcdde_model: only servo and torque-ramp segments are supported")
    theta0, u0, status = kernel.initial_state(c, 0, seg, compiled.samples, compiled.theta_start_rad)
    if status != kernel.STATUS_OK:
        raise ValueError("jitcdde_model: no resting initial state")
    hold = c[kernel.C_HOLD]
    dde.purge_past()
    dde.constant_past(list(kernel.rest_state(theta0, u0)), time=0.0)
    dde.initial_discontinuities_handled = True  # the past is an equilibrium: no initial kink
    dde.set_integration_parameters(rtol=rtol, atol=rtol * 1e-2, first_step=1e-4, max_step=1e-3)
    starts = [row[kernel.SEG_START_STEP] * grid_dt_s for row in seg]
    ends = [*starts[1:], duration_s]
    n = round(duration_s / grid_dt_s)
    times = np.arange(n + 1) * grid_dt_s
    angle = np.empty(n + 1)
    angle[0] = theta0
    k = 1
    for row, start, end in zip(seg, starts, ends, strict=True):
        if start >= duration_s:
            break
        servo = row[kernel.SEG_MODE] == kernel.MODE_SERVO
        a0, a1, a2, a3 = row[kernel.SEG_A0 : kernel.SEG_A3 + 1]
        dde.set_parameters(
            float(servo),
            a0,
            a1,
            start,
            a2 if servo else 0.0,
            a3 if servo else 0.0,
            hold,
            model.reflex.gain,
            model.reflex.delay_s,
        )
        if dde.t > 0:
            dde.adjust_diff()  # the protocol switched: make the past consistent with the new equations
        end = min(end, duration_s)
        while k <= n and times[k] <= end - 2e-3:
            angle[k] = dde.integrate(times[k])[0]
            k += 1
        if end < duration_s:
            dde.integrate_blindly(end, 1e-4)  # land exactly on the switch, then go on
        while k <= n and times[k] <= end + 1e-12:
            angle[k] = dde.integrate(times[k])[0]
            k += 1
    return times, angle


def main() -> None:
    """Agreement with `simulate`: max angle difference over 3 s from a 32x finer RK4 run."""
    import reflexsim as rs

    model, protocol, dt, duration = rs.preset("severe"), rs.ClonusTest(), rs.DEFAULT_DT_S, 3.0
    fine = rs.simulate(model, protocol, duration_s=duration, dt_s=dt / 32).angle_rad[::32]
    default = rs.simulate(model, protocol, duration_s=duration).angle_rad
    print(f"simulate at dt = {dt * 1e3:g} ms: {math.degrees(np.max(np.abs(default - fine))):.2e} deg")
    dde = build(model)
    for rtol in (1e-5, 1e-6, 1e-7, 1e-8, 1e-9):
        _, angle = run(dde, model, protocol, duration_s=duration, grid_dt_s=dt, rtol=rtol)
        print(f"jitcdde at rtol {rtol:g}: {math.degrees(np.max(np.abs(angle - fine))):.2e} deg")


if __name__ == "__main__":
    main()

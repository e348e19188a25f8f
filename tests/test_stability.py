"""Linear stability analysis: analytic anchors, numerical convergence, the linearisation against
hand-derived derivatives, and agreement with `simulate` on the real model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import optimize
from scipy.special import lambertw

from reflexsim import (
    ClonusTest,
    ParameterError,
    SimulationError,
    TorqueProfile,
    clonus_metrics,
    kernel,
    simulate,
    stability,
    validation,
)
from reflexsim.params import PATHS, describe
from reflexsim.presets import preset

# ---------------------------------------------------------------------------------------------
# Anchor (a): x' = -k x(t - tau)


@pytest.mark.parametrize("tau", [0.04, 1.0])
def test_scalar_delay_equation_boundary_at_k_tau_pi_over_2_with_period_4_tau(tau):
    k_crit = math.pi / (2 * tau)
    on = stability.dde_roots([[0.0]], [[-k_crit]], tau)
    assert abs(on.rightmost.real) * tau < 1e-12
    assert on.frequency_hz == pytest.approx(1 / (4 * tau), rel=1e-12)
    assert stability.dde_roots([[0.0]], [[-0.99 * k_crit]], tau).stable
    assert not stability.dde_roots([[0.0]], [[-1.01 * k_crit]], tau).stable
    # the boundary found by bisection on the computed roots lands on pi/2
    k_found = optimize.brentq(
        lambda k: stability.dde_roots([[0.0]], [[-k]], tau).rightmost.real, 0.5 * k_crit, 2 * k_crit, xtol=1e-12
    )
    assert k_found * tau == pytest.approx(math.pi / 2, rel=1e-9)


@pytest.mark.parametrize("k_tau", [0.2, 1.0, 2.5])
def test_scalar_delay_equation_roots_are_lambert_w_branches(k_tau):
    """s = W_j(-k tau) / tau on every branch j: each returned root is one of them."""
    tau = 0.05
    spectrum = stability.dde_roots([[0.0]], [[-k_tau / tau]], tau, n_roots=8)
    exact = np.array([lambertw(-k_tau, j) / tau for j in range(-30, 30)])
    assert len(spectrum.roots) >= 8
    for s in spectrum.roots:
        assert np.min(np.abs(exact - s)) < 1e-10 * abs(s)
    rightmost_exact = exact[np.argmax(exact.real)]
    assert spectrum.rightmost.real == pytest.approx(rightmost_exact.real, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# Anchor (b): physiology.md §7, I s² + B s + K with delayed velocity feedback through a twitch


I_KGM2, B_NMS, K_NM, TAU_S, TWITCH_S = 0.015, 0.5, 50.0, 0.040, 0.100


def _plant_with_velocity_feedback(gain: float) -> tuple[np.ndarray, np.ndarray]:
    """States (theta, omega, a, a'): I θ'' + B θ' + K θ = -G a, T² a'' + 2T a' + a = θ'(t - τ)."""
    a0 = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [-K_NM / I_KGM2, -B_NMS / I_KGM2, -gain / I_KGM2, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, -1.0 / TWITCH_S**2, -2.0 / TWITCH_S],
        ]
    )
    a1 = np.zeros((4, 4))
    a1[3, 1] = 1.0 / TWITCH_S**2
    return a0, a1


def _open_loop_crossover() -> tuple[float, float]:
    """Phase crossover of L(iω) = iω e^{-iωτ} / ((1 + iωT)² (K - Iω² + iBω)), found by scanning its
    closed-form phase, and the gain 1/|L(iω_c)| that puts |G L| = 1 there."""

    def phase(w: float) -> float:
        return math.pi / 2 - w * TAU_S - 2 * math.atan(w * TWITCH_S) - math.atan2(B_NMS * w, K_NM - I_KGM2 * w * w)

    w = np.linspace(1.0, 300.0, 3000)
    ph = np.array([phase(x) for x in w])
    i = int(np.flatnonzero(ph < -math.pi)[0])
    wc = optimize.brentq(lambda x: phase(x) + math.pi, w[i - 1], w[i], xtol=1e-13)
    s = 1j * wc
    magnitude = abs(s * np.exp(-s * TAU_S) / ((1 + TWITCH_S * s) ** 2 * (I_KGM2 * s * s + B_NMS * s + K_NM)))
    return wc / (2 * math.pi), 1.0 / magnitude


def test_second_order_plant_matches_open_loop_crossover_of_physiology_sheet():
    f_cross, g_crit = _open_loop_crossover()
    assert 5.5 < f_cross < 6.5  # physiology.md §7: "≈ 6 Hz"
    on = stability.dde_roots(*_plant_with_velocity_feedback(g_crit), TAU_S)
    assert abs(on.rightmost.real) < 1e-9 * abs(on.rightmost)
    assert on.frequency_hz == pytest.approx(f_cross, rel=1e-9)
    assert stability.dde_roots(*_plant_with_velocity_feedback(0.98 * g_crit), TAU_S).stable
    above = stability.dde_roots(*_plant_with_velocity_feedback(1.02 * g_crit), TAU_S)
    assert not above.stable and above.frequency_hz == pytest.approx(f_cross, rel=0.01)


# ---------------------------------------------------------------------------------------------
# Anchors (c), (d): discretisation convergence and root residuals


@pytest.fixture(scope="module")
def severe_linearisation() -> stability.Linearisation:
    return stability.linearise(preset("severe"))


def test_pseudospectral_roots_converge_spectrally_with_discretisation(severe_linearisation):
    lin = severe_linearisation
    errors = []
    for n in (6, 8, 10, 12):
        sp = stability.dde_roots(lin.a0, lin.a1, lin.delay_s, n_chebyshev=n)
        errors.append(abs(sp.approximations[0] - sp.roots[0]) / abs(sp.roots[0]))
    assert all(b < a / 10 for a, b in itertools.pairwise(errors))  # faster than any power of n
    default = stability.dde_roots(lin.a0, lin.a1, lin.delay_s)
    fine = stability.dde_roots(lin.a0, lin.a1, lin.delay_s, n_chebyshev=60)
    lead = default.approximations[:3]
    assert np.max(np.abs(lead - default.roots[:3]) / np.abs(default.roots[:3])) < 1e-10
    assert np.allclose(default.roots[:3], fine.roots[:3], rtol=1e-12, atol=0)


@pytest.mark.parametrize("delay_s", [0.005, 0.15])
def test_default_discretisation_resolves_the_delay_range(delay_s):
    """At both ends of reflex.delay_s's range and at low and high gain, the default grid's
    rightmost estimate is already within 1e-8 of the refined root."""
    for gain in (2.0, 20.0):
        lin = stability.linearise(preset("severe").with_values({"reflex.delay_s": delay_s, "reflex.gain": gain}))
        sp = stability.dde_roots(lin.a0, lin.a1, lin.delay_s)
        assert abs(sp.approximations[0] - sp.roots[0]) < 1e-8 * abs(sp.roots[0])


def test_refined_roots_satisfy_the_characteristic_equation(severe_linearisation):
    lin = severe_linearisation
    sp = stability.dde_roots(lin.a0, lin.a1, lin.delay_s, n_roots=8)
    assert len(sp.roots) >= 8
    for s in sp.roots:
        sv = np.linalg.svd(stability.characteristic_matrix(lin.a0, lin.a1, lin.delay_s, s), compute_uv=False)
        assert sv[-1] / sv[0] < 1e-13
        # a small step off the root leaves Δ clearly non-singular: the residual measures a root
        sv_off = np.linalg.svd(
            stability.characteristic_matrix(lin.a0, lin.a1, lin.delay_s, s + 1e-3 * abs(s)), compute_uv=False
        )
        assert sv_off[-1] / sv_off[0] > 1e3 * sv[-1] / sv[0]
    assert sp.residual < 1e-13
    reals = sp.roots.real
    assert np.all(np.diff(reals) <= 0)  # rightmost first
    assert np.allclose(
        np.sort_complex(sp.roots[sp.roots.imag != 0]), np.sort_complex(np.conj(sp.roots[sp.roots.imag != 0]))
    )


# ---------------------------------------------------------------------------------------------
# Anchor (e): the finite-difference linearisation against hand-derived derivatives


def _softplus(z: float, width: float) -> float:
    return width * math.log1p(math.exp(z / width))


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_linearisation_matches_hand_derived_derivatives(severe_linearisation):
    model = preset("severe")
    lin = severe_linearisation
    op = lin.operating_point
    m, j, sp, r = model.muscle, model.joint, model.spindle, model.reflex
    assert stability.STATE_NAMES == kernel.STATE_NAMES and lin.a0.shape == (6, 6)
    fibre_m_per_rad = m.moment_arm_m / math.cos(m.pennation_rad)
    lam_per_rad = fibre_m_per_rad / m.optimal_fibre_length_m
    torque_per_force = m.moment_arm_m * math.cos(m.pennation_rad)
    lam = m.fibre_length_at_neutral + lam_per_rad * op.angle_rad
    z = (lam - 1.0) / m.fl_width
    fl = math.exp(-z * z)
    dfl_dlam = -2.0 * z / m.fl_width * fl
    passive_force = m.passive_scale * m.passive_force_at_optimal_n * math.exp(m.passive_exponent * (lam - 1.0))
    active_torque = torque_per_force * m.max_force_n * op.activation * fl  # magnitude, plantarflexing

    # at rest: still contractile element, undepressed transmission
    assert op.state.tolist() == [op.angle_rad, 0.0, op.activation, 0.0, 0.0, 1.0]

    # stiffness: active force-length slope, passive fibre exponential, anterior tissues (fv(0) = 1)
    stiffness = (
        torque_per_force * lam_per_rad * (m.max_force_n * op.activation * dfl_dlam + m.passive_exponent * passive_force)
    )
    stiffness += j.pf_end_torque_nm * j.pf_end_rate_per_rad * math.exp(-j.pf_end_rate_per_rad * op.angle_rad)
    assert lin.stiffness_nm_per_rad == pytest.approx(stiffness, rel=1e-7)

    # slow-movement damping: joint + Hill slope at zero velocity, 1 + 1/curvature, times activation
    fv_slope = 1.0 + 1.0 / m.fv_curvature
    damping = j.damping_nms_per_rad + torque_per_force * m.max_force_n * op.activation * fl * fv_slope * lam_per_rad / (
        m.max_shortening_velocity_per_s
    )
    assert lin.damping_nms_per_rad == pytest.approx(damping, rel=1e-7)

    # series elasticity: stiffness kappa x active torque above 1/T, T = fv damping / that stiffness
    kappa = m.active_stiffness_per_torque
    assert lin.series_elastic_stiffness_nm_per_rad == pytest.approx(kappa * active_torque, rel=1e-7)
    se_time = fv_slope * lam_per_rad / (kappa * m.max_shortening_velocity_per_s)
    assert lin.series_elastic_time_s == pytest.approx(se_time, rel=1e-7)
    assert lin.a0[kernel.Y_CE_VELOCITY, kernel.Y_OMEGA] == pytest.approx(lam_per_rad / se_time, rel=1e-7)

    # torque per unit activation, the twitch's input gain, recovery from depression
    assert lin.a0[1, 2] * model.foot.inertia_kg_m2 == pytest.approx(-torque_per_force * m.max_force_n * fl, rel=1e-7)
    expected_b = np.zeros(6)
    expected_b[kernel.Y_ACT_RATE] = 1.0 / m.contraction_time_s**2
    assert lin.input_gain == pytest.approx(expected_b, rel=1e-7)
    eff = kernel.Y_EFFICACY
    assert lin.a0[eff, eff] == pytest.approx(-1.0 / r.depression_recovery_s, rel=1e-7)

    # reflex: Ia rate's smooth floor, softplus recruitment (logistic slope), smooth saturation of
    # the drive; the spindle's power law is linear below linear_range: slope k e v_lin^(e-1)
    stretch_m = (lam - 1.0) * m.optimal_fibre_length_m
    raw_rate = sp.baseline_rate_ips + sp.fusimotor_scale * sp.length_gain_ips_per_m * stretch_m
    assert op.ia_rate_ips == pytest.approx(_softplus(raw_rate, kernel._RATE_FLOOR_WIDTH_IPS), rel=1e-12)
    floor_slope = _logistic(raw_rate / kernel._RATE_FLOOR_WIDTH_IPS)
    gain_drive = r.gain * r.drive_per_ips
    above = _softplus(op.ia_rate_ips - r.threshold_ips, r.recruitment_width_ips)
    saturation_slope = _logistic((1.0 - (r.tone + gain_drive * above)) / kernel.SATURATION_WIDTH)
    pool_slope = gain_drive * _logistic((op.ia_rate_ips - r.threshold_ips) / r.recruitment_width_ips)
    pool_slope *= saturation_slope
    v_ref = 1e-3  # the power law is written in mm/s
    drate_dv = (
        sp.fusimotor_scale
        * sp.velocity_gain_ips
        * sp.velocity_exponent
        * (sp.linear_range_m_per_s / v_ref) ** (sp.velocity_exponent - 1.0)
        / v_ref
    )
    drate_dtheta = sp.fusimotor_scale * sp.length_gain_ips_per_m * fibre_m_per_rad
    expected_c = np.zeros(6)
    expected_c[kernel.Y_THETA] = pool_slope * floor_slope * drate_dtheta
    expected_c[kernel.Y_OMEGA] = pool_slope * floor_slope * drate_dv * fibre_m_per_rad
    expected_c[eff] = gain_drive * above * saturation_slope
    assert lin.feedback_gain == pytest.approx(expected_c, rel=1e-7)
    assert lin.fd_relative_error < 1e-8


def test_operating_point_is_the_simulators_resting_state(severe_critical):
    hold = TorqueProfile(time_s=(0.0, 1.0), torque_nm=(30.0, 30.0))
    model = preset("severe")
    op = stability.operating_point(model, 30.0)
    first = simulate(model, hold, duration_s=0.01)
    assert first.angle_rad[0] == op.angle_rad and first.activation[0] == op.activation
    assert op.ia_rate_ips == first.spindle_rate_ips[0] and op.excitation == first.excitation[0]
    assert op.equilibria == 1
    assert op.above_threshold == (op.ia_rate_ips > model.reflex.threshold_ips)
    # more hold torque: further into dorsiflexion, more Ia firing
    op_more = stability.operating_point(model, 40.0)
    assert op_more.angle_rad > op.angle_rad and op_more.ia_rate_ips > op.ia_rate_ips

    # The lesion's hold is linearly unstable (rounding errors grow); below the critical gain it is
    # stable, and then nothing moves at all.
    stable = model.with_values({"reflex.gain": 0.5 * severe_critical.gain})
    op = stability.operating_point(stable, 30.0)
    run = simulate(stable, hold, duration_s=0.5)
    recorded = {
        kernel.Y_THETA: run.angle_rad,
        kernel.Y_OMEGA: run.velocity_rad_per_s,
        kernel.Y_ACT: run.activation,
        kernel.Y_CE_VELOCITY: run.ce_velocity_per_s,
        kernel.Y_EFFICACY: run.reflex_efficacy,
    }
    for k, series in recorded.items():
        assert np.max(np.abs(series - op.state[k])) < 1e-12, kernel.STATE_NAMES[k]
    assert op.activation == pytest.approx(run.activation[0], abs=1e-15)


# ---------------------------------------------------------------------------------------------
# Anchor (f): the real model, and agreement with simulation


@pytest.fixture(scope="module")
def severe_critical() -> stability.CriticalGain:
    return stability.critical_gain(preset("severe"))


def test_severe_preset_is_beyond_its_hopf_point(severe_critical):
    model = preset("severe")
    cg = severe_critical
    assert cg.found and cg.kind == "hopf" and math.isnan(cg.restabilising_gain)
    assert cg.model_gain == model.reflex.gain and cg.margin == model.reflex.gain / cg.gain
    assert cg.margin > 1.0 and not stability.analyse(model).stable  # supercritical lesion: small beats grow
    assert 3.0 < cg.frequency_hz < 8.0
    at = stability.analyse(model.with_values({"reflex.gain": cg.gain}))
    assert abs(at.spectrum.rightmost.real) < 1e-7
    assert at.frequency_hz == pytest.approx(cg.frequency_hz, rel=1e-9)


def test_critical_point_is_where_the_open_loop_passes_minus_one(severe_critical):
    """Independent of the roots: the open-loop frequency response at the crossing frequency is -1."""
    lin = stability.linearise(preset("severe").with_values({"reflex.gain": severe_critical.gain}))
    loop = lin.loop_transfer(severe_critical.frequency_hz)[0]
    assert loop == pytest.approx(-1.0, abs=1e-6)


def test_critical_gain_and_frequency_fall_as_the_delay_grows():
    """physiology.md §8 target 5 (Stein & Oguztoreli 1976; Hidler & Rymer 1999)."""
    boundary = stability.hopf_boundary(preset("severe"), "reflex.delay_s", [0.02, 0.04, 0.06, 0.08])
    assert boundary.found.all()
    assert np.all(np.diff(boundary.critical_gain) < 0)
    assert np.all(np.diff(boundary.frequency_hz) < 0)


def _extrema_amplitudes(t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (midpoints) and sizes of the swings between successive extrema of x."""
    inner = x[1:-1]
    is_max = (inner > x[:-2]) & (inner >= x[2:])
    is_min = (inner < x[:-2]) & (inner <= x[2:])
    ext = np.flatnonzero(is_max | is_min) + 1
    return 0.5 * (t[ext][1:] + t[ext][:-1]), np.abs(np.diff(x[ext]))


@pytest.mark.parametrize("factor", [0.85, 1.15])
def test_simulation_of_a_small_perturbation_grows_or_decays_as_predicted(severe_critical, factor):
    """Below the critical gain a tiny perturbation dies out, above it grows, at the predicted rate
    and frequency (the analysis and the simulator share the right-hand side)."""
    model = preset("severe").with_values({"reflex.gain": factor * severe_critical.gain})
    predicted = stability.analyse(model)
    assert predicted.stable == (factor < 1)
    small = validation.small_oscillation(model, 30.0, (2.0, 6.0))
    growth, frequency = small.growth_per_s, small.frequency_hz
    assert np.sign(growth) == np.sign(factor - 1)
    assert growth == pytest.approx(predicted.spectrum.oscillation_growth_per_s, rel=0.03)
    assert frequency == pytest.approx(predicted.frequency_hz, rel=2e-3)


def test_clonus_test_decays_below_and_settles_on_a_limit_cycle_above(severe_critical):
    """The nonlinear clonus test agrees with the linear boundary. Below it the 10° stretch dies
    out. Above it the onset is supercritical: the hold settles on a limit cycle that grows from
    zero at the critical gain (docs/stability.md), with the amplitude at which the loop's
    effective (describing-function) gain is back at the critical one, so it beats at the
    critical crossing frequency."""
    below = clonus_metrics(simulate(preset("severe").with_values({"reflex.gain": 0.8 * severe_critical.gain})))
    assert not below.ongoing and below.scats <= 1
    model = preset("severe").with_values({"reflex.gain": 1.35 * severe_critical.gain})
    run = simulate(model)
    t_swing, swing = _extrema_amplitudes(run.time_s, run.angle_deg)
    late = [swing[(t_swing >= a) & (t_swing < a + 2.0)] for a in (8.0, 10.0)]
    assert all(s.size >= 20 for s in late)
    assert late[1].mean() == pytest.approx(late[0].mean(), rel=0.05)  # neither dying out nor growing
    t, x = run.time_s, run.angle_deg
    peaks = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])) + 1
    peaks = peaks[t[peaks] >= 8.0]
    frequency = (len(peaks) - 1) / (t[peaks[-1]] - t[peaks[0]])
    assert frequency == pytest.approx(severe_critical.frequency_hz, rel=0.02)


def test_sharp_recruitment_gives_clonus_the_linear_analysis_calls_stable():
    """A finding, kept visible: with recruitment 1 imp/s wide and the threshold 4 imp/s above the
    held ankle's Ia rate, the hold point sits on the far tail of recruitment (small-signal gain
    ≈ e^-4 of nominal), so the equilibrium is linearly stable at every gain, yet the clonus test's
    large stretch reaches the steep part and gives clonus."""
    sharp = preset("severe").with_values({"reflex.recruitment_width_ips": 1.0})
    silent = stability.operating_point(sharp.with_values({"reflex.threshold_ips": 400.0}))
    model = sharp.with_values({"reflex.threshold_ips": silent.ia_rate_ips + 4.0, "reflex.gain": 10.0})
    op = stability.operating_point(model)
    assert op.ia_rate_ips < model.reflex.threshold_ips - 3.5  # the tonic reflex barely moves the hold point
    assert not stability.critical_gain(model).found
    assert stability.analyse(model).stable
    assert clonus_metrics(simulate(model)).beats >= 3


# ---------------------------------------------------------------------------------------------
# Numerical parameters


def test_no_parameter_is_purely_numerical():
    """The loop's small-signal behaviour comes from physiological parameters with sources: no
    documented parameter is a numerical regularisation (model v1's spindle velocity smoothing moved
    the linear critical gain from 2.2 to 7.8 over its range)."""
    numerical = [p for p in PATHS if describe(p).source.strip().lower().startswith("numerical")]
    assert numerical == []


@pytest.mark.parametrize("name", ["mild", "severe"])
def test_internal_smoothing_widths_do_not_act_at_the_operating_point(name):
    """The kernel's remaining numerical widths (the pool's saturation, the Ia rate's floor, the onset
    of the dynamic discharge) are far from the hold point, where their smooth corrections are below
    1e-15 (36 widths away) or exactly zero, so they cannot move the linearisation."""
    op = stability.operating_point(preset(name))
    cutoff = 36.0
    assert op.ia_rate_ips > cutoff * 1.0  # rate floor width 1 imp/s
    assert 1.0 - op.excitation > cutoff * kernel.SATURATION_WIDTH  # saturation at full recruitment
    # no motion at the hold: the dynamic discharge and its slope are zero, so efficacy is decoupled
    c, _ = kernel.constants(preset(name).pack())
    _, dyn_plus = kernel.spindle(c, 0, op.angle_rad, 1e-9, False)
    assert dyn_plus < 1e-12


# ---------------------------------------------------------------------------------------------
# No crossing, bad input


def test_no_crossing_is_reported_not_hidden(severe_critical):
    healthy = stability.critical_gain(preset("healthy"))
    assert not healthy.found and math.isnan(healthy.gain) and math.isnan(healthy.frequency_hz)
    assert "stable for every gain" in healthy.reason and math.isnan(healthy.margin)
    lo = 1.5 * severe_critical.gain
    already = stability.critical_gain(preset("severe"), gain_range=(lo, stability.GAIN_RANGE[1]), scan_points=5)
    assert not already.found and "unstable already" in already.reason
    # an orthosis raises the critical gain (physiology.md §8 target 8); below the raised value: no crossing
    afo = preset("severe").with_values({"orthosis.stiffness_nm_per_rad": 500.0})
    raised = stability.critical_gain(afo).gain
    assert raised > severe_critical.gain
    top = 0.5 * (severe_critical.gain + raised)
    boundary = stability.hopf_boundary(
        preset("severe"), "orthosis.stiffness_nm_per_rad", [0.0, 500.0], gain_range=(0.0, top), scan_points=11
    )
    assert boundary.found.tolist() == [True, False]
    assert np.isnan(boundary.critical_gain[1]) and "stable for every gain" in boundary.reasons[1]


def test_failed_points_do_not_abort_a_boundary():
    boundary = stability.hopf_boundary(preset("severe"), "reflex.delay_s", [0.03, 0.05], 1e6, scan_points=3)
    assert not boundary.found.any()
    assert all("analysis failed" in reason for reason in boundary.reasons)
    with pytest.raises(SimulationError, match="balances"):
        stability.critical_gain(preset("severe"), 1e6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stability.operating_point("severe", 30.0), "must be a reflexsim Model"),
        (lambda: stability.operating_point(preset("severe"), math.nan), "finite"),
        (
            lambda: stability.critical_gain(preset("severe"), gain_range=(5.0, stability.GAIN_RANGE[1] + 5.0)),
            "valid range of reflex.gain",
        ),
        (lambda: stability.hopf_boundary(preset("severe"), "reflex.delay", [0.04]), "did you mean"),
        (lambda: stability.hopf_boundary(preset("severe"), "reflex.gain", [1.0]), "solved for"),
        (lambda: stability.hopf_boundary(preset("severe"), "reflex.delay_s", [0.5]), "outside its valid range"),
        (lambda: stability.dde_roots(np.eye(2), np.eye(3), 1.0), "same size"),
        (lambda: stability.dde_roots([[0.0]], [[-1.0]], 0.0), "positive"),
        (lambda: stability.dde_roots([[0.0]], [[-1.0]], 1.0, n_chebyshev=2), "n_chebyshev"),
    ],
)
def test_bad_input_raises_one_clear_error(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_results_are_immutable(severe_linearisation):
    with pytest.raises(ValueError, match="read-only"):
        severe_linearisation.a0[0, 0] = 1.0
    sp = stability.dde_roots([[0.0]], [[-1.0]], 1.0)
    with pytest.raises(ValueError, match="read-only"):
        sp.roots[0] = 0.0


# ---------------------------------------------------------------------------------------------
# The boundary against simulation over the delay range


@pytest.mark.parametrize("delay_s", [0.02, 0.03, 0.05, 0.06, 0.08])
def test_small_perturbations_change_from_decay_to_growth_at_the_boundary(delay_s):
    model = preset("severe").with_values({"reflex.delay_s": delay_s})
    cg = stability.critical_gain(model)
    for factor in (0.9, 1.1):
        m = model.with_values({"reflex.gain": factor * cg.gain})
        small = validation.small_oscillation(m, 30.0, (2.0, 6.0))
        growth, frequency = small.growth_per_s, small.frequency_hz
        predicted = stability.analyse(m)
        assert growth == pytest.approx(predicted.spectrum.oscillation_growth_per_s, rel=0.03)
        assert frequency == pytest.approx(predicted.frequency_hz, rel=2e-3)


def test_default_hold_torque_is_the_clonus_tests():
    assert ClonusTest().hold_torque_nm == stability.DEFAULT_HOLD_TORQUE_NM

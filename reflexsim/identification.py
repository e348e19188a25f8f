"""Ankle system identification: fit a second-order impedance to a position-perturbation run.

The laboratory method of Kearney, Hunter and colleagues (Weiss, Hunter & Kearney 1988, J Biomech
21:539): a stiff position servo moves the ankle by small pseudo-random steps
(`protocols.PositionPerturbation`) while the subject holds a background torque, and the torque
the actuator needs is fitted, sample by sample, with

    tau(t) = I theta''(t) + B theta'(t) + K (theta(t) - theta0) + c

by linear least squares (`identify_impedance`). theta0 is the mean angle of the fitted span, so
c is the mean actuator torque. Angle and torque pass through the same Savitzky-Golay filter and
the derivatives are the filter's smoothing derivatives, as one would differentiate a measured
angle. The torque is the recorded `Result.external_torque_nm` with the jumps at protocol
segment boundaries sampled at the mean of their two sides (`actuator_torque`); a servo's fast
mode (inertia / damping) must also span a few steps, which is why `PositionPerturbation`'s
servo is lightly damped (docs/system_id.md). Sign conventions as in `reflexsim.kernel`: angles
positive in dorsiflexion, torques positive when dorsiflexing, so the actuator pushes the foot up
(tau > 0) against a plantarflexor contraction.

`tone_for_torque` finds the tonic descending drive (`reflex.tone`) that makes the triceps hold a
given background plantarflexor torque at rest, by bisection on the kernel's own static torque
(`kernel.static_torque`, `kernel.steady_activation`); `impedance_vs_torque` runs the perturbation
at a list of background torques with the reflex opened (`reflex.gain = 0`: intrinsic impedance)
and closed, and identifies each run. Nothing here restates a model equation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from . import kernel
from .errors import ParameterError
from .params import Model, checked_number, describe
from .protocols import PositionPerturbation
from .simulation import DEFAULT_DT_S, Result, simulate

DEFAULT_SMOOTHING_S = 0.005  # Savitzky-Golay window: its passband (> 200 Hz) covers the servo (~90 Hz)
SMOOTHING_RANGE_S = (0.002, 0.1)
POLYORDER = 5  # local polynomial of the Savitzky-Golay filter (second derivative needs >= 2)
DEFAULT_SKIP_S = 1.0  # the default fit window leaves out the first second of the sequence
MIN_WINDOWS_IN_FIT = 10  # a fit needs at least this many smoothing windows of data
TONE_RANGE = (describe("reflex.tone").lo, describe("reflex.tone").hi)
TONE_TOLERANCE = 1e-12  # bisection on the tone stops when its bracket is this narrow
ANGLE_RANGE_DEG: tuple[float, float] = PositionPerturbation.__dataclass_fields__["angle_deg"].metadata["range"]


@dataclass(frozen=True, eq=False)
class Impedance:
    """A second-order fit tau = I theta'' + B theta' + K (theta - theta0) + c of the actuator
    torque against the ankle angle over `fit_window_s`.

    `damping_ratio` is B / (2 sqrt(K I)) and `natural_frequency_hz` sqrt(K / I) / 2 pi (NaN when
    K or I is not positive); `mean_torque_nm` is the mean actuator torque over the window
    (dorsiflexing > 0: it balances a plantarflexor torque); `vaf_percent` is the variance of
    the (filtered) torque the fit accounts for; `residual_nm` is measured minus fitted torque at
    the window's samples `time_s`.

    Attributes
    ----------
    inertia_kg_m2 : float
        Fitted inertia I, kg·m².
    damping_nms_per_rad : float
        Fitted viscosity B, N·m·s/rad.
    stiffness_nm_per_rad : float
        Fitted stiffness K, N·m/rad.
    damping_ratio : float
        B / (2 sqrt(K I)), dimensionless (NaN unless K and I are positive).
    natural_frequency_hz : float
        sqrt(K / I) / 2π, Hz (NaN unless K and I are positive).
    mean_angle_rad : float
        theta0, the mean (filtered) angle over the window, rad.
    mean_torque_nm : float
        c, the mean actuator torque over the window, N·m (dorsiflexing > 0).
    vaf_percent : float
        Variance of the filtered torque the fit accounts for, %.
    fit_window_s : tuple of float
        (start, end) of the fitted span, s.
    time_s : numpy.ndarray
        Times of the fitted samples, s.
    residual_nm : numpy.ndarray
        Measured minus fitted torque at those samples, N·m.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.identification import identify_impedance
    >>> from reflexsim.protocols import PositionPerturbation
    >>> relaxed = rs.preset("healthy").with_values({"reflex.gain": 0.0})  # reflex opened
    >>> prbs = PositionPerturbation(duration_s=1.5)
    >>> run = rs.simulate(relaxed, prbs, duration_s=prbs.end_s)
    >>> fit = identify_impedance(run)
    >>> round(fit.inertia_kg_m2, 3), round(fit.damping_nms_per_rad, 1), round(fit.stiffness_nm_per_rad)
    (0.015, 0.5, 39)
    >>> fit.vaf_percent > 99
    True
    """

    inertia_kg_m2: float
    damping_nms_per_rad: float
    stiffness_nm_per_rad: float
    damping_ratio: float
    natural_frequency_hz: float
    mean_angle_rad: float
    mean_torque_nm: float
    vaf_percent: float
    fit_window_s: tuple[float, float]
    time_s: np.ndarray
    residual_nm: np.ndarray

    def as_dict(self) -> dict[str, float]:
        """The scalar results (for JSON).

        Returns
        -------
        dict of str to float
            Inertia, damping, stiffness, damping ratio, natural frequency, mean angle, mean
            torque and VAF, named as the attributes.
        """
        names = (
            "inertia_kg_m2",
            "damping_nms_per_rad",
            "stiffness_nm_per_rad",
            "damping_ratio",
            "natural_frequency_hz",
            "mean_angle_rad",
            "mean_torque_nm",
            "vaf_percent",
        )
        return {n: float(getattr(self, n)) for n in names}


def _default_window(result: Result) -> tuple[float, float]:
    start, end = result.events.stretch_start_s, min(result.events.stretch_end_s, float(result.time_s[-1]))
    return start + min(DEFAULT_SKIP_S, 0.25 * (end - start)), end


def _check_window(fit_window: Sequence[float], result: Result) -> tuple[float, float]:
    t_end = float(result.time_s[-1])
    try:
        t0, t1 = (float(x) for x in fit_window)
    except (TypeError, ValueError):
        raise ParameterError(
            f"fit_window = {fit_window!r} must be two times (start, end) in s within [0, {t_end:g}] s"
        ) from None
    if not (math.isfinite(t0) and math.isfinite(t1) and 0.0 <= t0 < t1 <= t_end):
        raise ParameterError(
            f"fit_window = ({t0:g}, {t1:g}) s must satisfy 0 <= start < end <= {t_end:g} s (the end of the run)"
        )
    return t0, t1


def _check_smoothing(smoothing_s: float, dt_s: float) -> int:
    s = checked_number("smoothing_s", smoothing_s, *SMOOTHING_RANGE_S, "s")
    return max(POLYORDER + 2, round(s / dt_s) | 1)  # odd (POLYORDER + 2 is), longer than the polynomial


def actuator_torque(result: Result) -> np.ndarray:
    """`Result.external_torque_nm` with every jump at a protocol segment boundary sampled at the
    mean of its two sides.

    The kernel evaluates the protocol's torque at a step with the segment that starts there, so
    a jump (a servo's damping times a change of ramp velocity, a torque step) is recorded by its
    right-hand value. Read as point samples of a continuous torque, that adds half a step times
    the jump to the torque's integral at every corner, which a fit reads as inertia (dt·b/2 for a
    servo damping b: +33 % for a 20 N·m·s/rad servo at 0.5 ms). The left-hand values come from
    the kernel's own `signals` with the segment table shifted by one step; away from boundaries
    both sides agree and the torque is unchanged. (Boundaries into sampled-torque segments are
    left as they are.)

    Parameters
    ----------
    result : Result
        A simulated run, typically under a `PositionPerturbation`.

    Returns
    -------
    numpy.ndarray
        The actuator torque in N·m (dorsiflexing > 0), one value per time step.

    Examples
    --------
    >>> import numpy as np
    >>> import reflexsim as rs
    >>> from reflexsim.identification import actuator_torque
    >>> from reflexsim.protocols import PositionPerturbation
    >>> run = rs.simulate(rs.preset("healthy"), PositionPerturbation(duration_s=0.5), duration_s=1.0)
    >>> torque = actuator_torque(run)
    >>> corrected = np.abs(torque - run.external_torque_nm) > 1e-6  # steps at segment boundaries
    >>> torque.shape == run.time_s.shape, int(corrected.sum())
    (True, 4)
    """
    segments = result.events.segments
    if segments.shape[0] < 2:
        return result.external_torque_nm
    # Each segment starts one step later (so a boundary step still sees the previous segment) and
    # keeps its time course: a0 + a1 (t - t0) with t0 one step later needs a0 one step further.
    # Sampled-torque segments are left alone (their samples are continuous anyway).
    ramps = np.flatnonzero(segments[1:, kernel.SEG_MODE] != kernel.MODE_SAMPLES) + 1
    shifted = segments.copy()
    shifted[ramps, kernel.SEG_START_STEP] += 1
    shifted[ramps, kernel.SEG_A0] += shifted[ramps, kernel.SEG_A1] * result.dt_s
    n = result.time_s.size
    out = np.zeros((n, kernel.OUT_COLUMNS))
    out[:, kernel.Y_THETA] = result.angle_rad
    out[:, kernel.Y_OMEGA] = result.velocity_rad_per_s
    out[:, kernel.Y_ACT] = result.activation
    out[:, kernel.Y_CE_VELOCITY] = result.ce_velocity_per_s
    out[:, kernel.Y_EFFICACY] = result.reflex_efficacy
    out[:, kernel.O_CAPACITY] = result.force_capacity
    sig = np.empty((n, kernel.N_SIGNALS))
    p = result.model.pack()
    kernel.signals(
        p, shifted, result.events.samples, result.dt_s, result.holding_torque_nm, out, result.model.reflex.delay_s, sig
    )
    return 0.5 * (result.external_torque_nm + sig[:, kernel.SIG_EXTERNAL_TORQUE])


def identify_impedance(
    result: Result, *, fit_window: Sequence[float] | None = None, smoothing_s: float = DEFAULT_SMOOTHING_S
) -> Impedance:
    """Fit tau = I theta'' + B theta' + K (theta - theta0) + c to the actuator torque
    (`Result.external_torque_nm`) against the angle over `fit_window` = (start, end) in s.

    Default window: the protocol's perturbation span (`events.stretch_start_s` to
    `stretch_end_s`) without its first `DEFAULT_SKIP_S`. Angle and torque are smoothed with the
    same Savitzky-Golay filter (`smoothing_s` long, polynomial order `POLYORDER`), which also
    gives theta' and theta''; the torque is `actuator_torque(result)` (jumps at protocol segment
    boundaries sampled at their midpoint); the fit is ordinary least squares on the window's
    samples.

    Parameters
    ----------
    result : Result
        A simulated run, typically under a `PositionPerturbation`.
    fit_window : sequence of float, optional
        (start, end) in s, 0 <= start < end <= the end of the run, holding at least
        ``MIN_WINDOWS_IN_FIT`` (10) smoothing windows of samples; default as above.
    smoothing_s : float, default 0.005
        Length of the Savitzky-Golay window, s, in [0.002, 0.1] (the default's passband, above
        200 Hz, covers the servo at about 90 Hz).

    Returns
    -------
    Impedance
        I, B, K, the mean torque, damping ratio, natural frequency, VAF and residuals.

    Raises
    ------
    ParameterError
        If `result` is not a `Result`, the window lies outside the run or is too short, or
        `smoothing_s` is not a number in range.

    Examples
    --------
    The relaxed healthy ankle with the reflex opened: the foot's inertia (0.015 kg·m²) and the
    joint's damping (0.5 N·m·s/rad) come back:

    >>> import reflexsim as rs
    >>> from reflexsim.identification import identify_impedance
    >>> from reflexsim.protocols import PositionPerturbation
    >>> relaxed = rs.preset("healthy").with_values({"reflex.gain": 0.0})  # reflex opened
    >>> prbs = PositionPerturbation(duration_s=1.5)
    >>> run = rs.simulate(relaxed, prbs, duration_s=prbs.end_s)
    >>> fit = identify_impedance(run)
    >>> round(fit.inertia_kg_m2, 3), round(fit.damping_nms_per_rad, 1), fit.fit_window_s
    (0.015, 0.5, (0.875, 2.0))
    >>> identify_impedance(run, fit_window=(0.5, 0.52))
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: fit_window = (0.5, 0.52) s holds 41 samples; the fit needs at least 110
    (10 smoothing windows of 11 samples): widen it or lower smoothing_s
    """
    if not isinstance(result, Result):
        raise ParameterError(f"result must be a reflexsim Result (from reflexsim.simulate), got {result!r}")
    dt = result.dt_s
    n_filter = _check_smoothing(smoothing_s, dt)
    t0, t1 = _check_window(_default_window(result) if fit_window is None else fit_window, result)
    rows = np.flatnonzero((result.time_s >= t0 - 0.5 * dt) & (result.time_s <= t1 + 0.5 * dt))
    need = MIN_WINDOWS_IN_FIT * n_filter
    if rows.size < need:
        raise ParameterError(
            f"fit_window = ({t0:g}, {t1:g}) s holds {rows.size} samples; the fit needs at least {need} "
            f"({MIN_WINDOWS_IN_FIT} smoothing windows of {n_filter} samples): widen it or lower smoothing_s"
        )
    if result.time_s.size < n_filter:
        raise ParameterError(f"the run has {result.time_s.size} samples, fewer than one smoothing window")

    def smooth(x: np.ndarray, deriv: int = 0) -> np.ndarray:
        return savgol_filter(x, n_filter, POLYORDER, deriv=deriv, delta=dt, mode="interp")[rows]

    theta = smooth(result.angle_rad)
    tau = smooth(actuator_torque(result))
    theta0 = float(np.mean(theta))
    design = np.column_stack(
        [smooth(result.angle_rad, 2), smooth(result.angle_rad, 1), theta - theta0, np.ones_like(theta)]
    )
    scale = np.maximum(np.abs(design).max(axis=0), np.finfo(float).tiny)  # well-conditioned columns
    coef, *_ = np.linalg.lstsq(design / scale, tau, rcond=None)
    inertia, damping, stiffness, offset = coef / scale
    residual = tau - design @ (coef / scale)
    var = float(np.var(tau))
    vaf = 100.0 * (1.0 - float(np.var(residual)) / var) if var > 0.0 else math.nan
    positive = stiffness > 0.0 and inertia > 0.0
    return Impedance(
        inertia_kg_m2=float(inertia),
        damping_nms_per_rad=float(damping),
        stiffness_nm_per_rad=float(stiffness),
        damping_ratio=float(damping / (2.0 * math.sqrt(stiffness * inertia))) if positive else math.nan,
        natural_frequency_hz=float(math.sqrt(stiffness / inertia) / (2.0 * math.pi)) if positive else math.nan,
        mean_angle_rad=theta0,
        mean_torque_nm=float(offset),
        vaf_percent=vaf,
        fit_window_s=(t0, t1),
        time_s=result.time_s[rows],
        residual_nm=residual,
    )


# ---------------------------------------------------------------------------------------------
# Background contraction and torque sweeps


def _holding_torque(p: np.ndarray, theta: float) -> float:
    """The actuator torque that holds the foot still at theta, reflex in steady state (kernel)."""
    c, _ = kernel.constants(p)
    return float(-kernel.static_torque(c, 0, theta, kernel.steady_activation(c, 0, theta)))


def _check_model(model: Model) -> None:
    if not isinstance(model, Model):
        raise ParameterError(f"model must be a reflexsim Model (e.g. reflexsim.preset('healthy')), got {model!r}")


def _check_angle(angle_deg: float) -> float:
    return checked_number("angle_deg", angle_deg, *ANGLE_RANGE_DEG, "deg")


def _background(p: np.ndarray, theta: float, tone: float) -> float:
    with_tone, relaxed = p.copy(), p.copy()
    with_tone[kernel.P_TONE] = tone
    relaxed[kernel.P_TONE] = 0.0
    return _holding_torque(with_tone, theta) - _holding_torque(relaxed, theta)


def background_torque(model: Model, angle_deg: float = 0.0) -> float:
    """Plantarflexor torque (N·m, > 0) the model's tonic drive adds at rest at `angle_deg`: its
    holding torque minus that of the same model relaxed (`reflex.tone` = 0).

    Parameters
    ----------
    model : Model
        The model; its ``reflex.tone`` is the drive.
    angle_deg : float, default 0.0
        Ankle angle held, deg, in [-30, 30] (the range of `PositionPerturbation.angle_deg`).

    Returns
    -------
    float
        Background plantarflexor torque in N·m.

    Raises
    ------
    ParameterError
        If `model` is not a `Model` or `angle_deg` is not a number in range.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.identification import background_torque
    >>> healthy = preset("healthy")
    >>> background_torque(healthy), round(background_torque(healthy.with_values({"reflex.tone": 0.05})), 1)
    (0.0, 11.5)
    """
    _check_model(model)
    return _background(model.pack(), math.radians(_check_angle(angle_deg)), model.reflex.tone)


def tone_for_torque(model: Model, torque_nm: float, angle_deg: float = 0.0) -> float:
    """The tonic drive `reflex.tone` at which the model holds `torque_nm` of background
    plantarflexor torque at rest at `angle_deg` (see `background_torque`).

    Bisection on the kernel's static torque over the valid range of `reflex.tone`, to a bracket
    of ``TONE_TOLERANCE``.

    Parameters
    ----------
    model : Model
        The model (its other parameters are kept).
    torque_nm : float
        Background plantarflexor torque to hold, N·m, from 0 to what the largest tone produces
        at that angle.
    angle_deg : float, default 0.0
        Ankle angle held, deg, in [-30, 30].

    Returns
    -------
    float
        The tonic drive ``reflex.tone`` (fraction of full recruitment).

    Raises
    ------
    ParameterError
        If `model` is not a `Model`, `angle_deg` is out of range, or the torque is negative, not
        finite or beyond what the largest tone produces.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.identification import background_torque, tone_for_torque
    >>> healthy = preset("healthy")
    >>> tone = tone_for_torque(healthy, 10.0)
    >>> round(tone, 4), round(background_torque(healthy.with_values({"reflex.tone": tone})), 6)
    (0.0433, 10.0)
    """
    _check_model(model)
    p, theta = model.pack(), math.radians(_check_angle(angle_deg))
    lo, hi = TONE_RANGE
    top = _background(p, theta, hi)
    note = f" (the background torque reflex.tone <= {hi:g} produces at {angle_deg:g}°)"
    target = checked_number("torque_nm", torque_nm, 0.0, top, "N·m", note=note)
    if target == 0.0:
        return lo
    while hi - lo > TONE_TOLERANCE:
        mid = 0.5 * (lo + hi)
        if _background(p, theta, mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True, eq=False)
class ImpedancePoint:
    """One identified run of a torque sweep: the target background torque, the tone that holds
    it, whether the reflex loop was closed, the background torque measured during the run (the
    fitted actuator torque at the held angle, c + K (angle - theta0), above the relaxed holding
    torque there) and the fit.

    Made by `impedance_vs_torque`.

    Attributes
    ----------
    target_torque_nm : float
        The background plantarflexor torque aimed at, N·m.
    tone : float
        The ``reflex.tone`` that holds it (`tone_for_torque`).
    reflex_on : bool
        Whether the reflex loop was closed (the model's own gain) or opened (gain 0).
    measured_torque_nm : float
        The background torque measured during the run, N·m.
    impedance : Impedance
        The fit of the run.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.identification import impedance_vs_torque
    >>> from reflexsim.protocols import PositionPerturbation
    >>> point = impedance_vs_torque(preset("healthy"), [10.0], protocol=PositionPerturbation(duration_s=1.5))[0]
    >>> point.reflex_on, round(point.measured_torque_nm), round(point.impedance.stiffness_nm_per_rad)
    (False, 10, 58)
    """

    target_torque_nm: float
    tone: float
    reflex_on: bool
    measured_torque_nm: float
    impedance: Impedance

    def as_dict(self) -> dict[str, float | bool]:
        """The run's scalars and its fit's (`Impedance.as_dict`) in one flat dictionary (for JSON and tables).

        Returns
        -------
        dict
            ``target_torque_nm``, ``tone``, ``reflex_on``, ``measured_torque_nm`` and the fit's
            scalars.
        """
        return {
            "target_torque_nm": self.target_torque_nm,
            "tone": self.tone,
            "reflex_on": self.reflex_on,
            "measured_torque_nm": self.measured_torque_nm,
            **self.impedance.as_dict(),
        }


def impedance_vs_torque(
    model: Model,
    torques_nm: Sequence[float],
    *,
    protocol: PositionPerturbation | None = None,
    reflex_on: Sequence[bool] = (False, True),
    smoothing_s: float = DEFAULT_SMOOTHING_S,
    dt_s: float = DEFAULT_DT_S,
) -> list[ImpedancePoint]:
    """Perturb `model` at each background plantarflexor torque (N·m, 0 = relaxed) with the
    reflex opened (`reflex.gain` = 0: intrinsic impedance) and/or closed (the model's own gain),
    and identify each run over the default fit window.

    The contraction is the tonic drive `reflex.tone` found by `tone_for_torque` (separately for
    the opened and closed loop, whose static torques may differ). Each run lasts
    `PositionPerturbation.end_s`.

    Parameters
    ----------
    model : Model
        The model.
    torques_nm : sequence of float
        Background plantarflexor torques, N·m, each from 0 to what the largest tone produces.
    protocol : PositionPerturbation, optional
        The perturbation; default ``PositionPerturbation()`` (8 s of PRBS).
    reflex_on : sequence of bool, default (False, True)
        Which loops to run: False opens the reflex (``reflex.gain`` = 0), True keeps the model's.
    smoothing_s : float, default 0.005
        Savitzky-Golay window of the fits, s, in [0.002, 0.1].
    dt_s : float, default 5e-4
        Integration step, s.

    Returns
    -------
    list of ImpedancePoint
        One per loop and torque, loops in the order of `reflex_on`, torques in the given order.

    Raises
    ------
    ParameterError
        If `protocol` is not a `PositionPerturbation`, a torque cannot be held, or a fit fails
        (see `identify_impedance`).
    SimulationError
        If a run cannot be done (e.g. `dt_s` too large for the model).

    Examples
    --------
    Stiffness rises with the background contraction (short sequences to keep it quick):

    >>> from reflexsim import preset
    >>> from reflexsim.identification import impedance_vs_torque
    >>> from reflexsim.protocols import PositionPerturbation
    >>> points = impedance_vs_torque(
    ...     preset("healthy"), [0.0, 10.0], protocol=PositionPerturbation(duration_s=1.5), reflex_on=(False,)
    ... )
    >>> [(p.target_torque_nm, round(p.impedance.stiffness_nm_per_rad)) for p in points]  # N·m, N·m/rad
    [(0.0, 39), (10.0, 58)]
    """
    protocol = PositionPerturbation() if protocol is None else protocol
    if not isinstance(protocol, PositionPerturbation):
        raise ParameterError(f"protocol must be a PositionPerturbation, got {protocol!r}")
    points = []
    for closed in reflex_on:
        loop = model if closed else model.with_values({"reflex.gain": 0.0})
        held = math.radians(protocol.angle_deg)
        relaxed = _holding_torque(loop.with_values({"reflex.tone": 0.0}).pack(), held)
        for torque in torques_nm:
            tone = tone_for_torque(loop, torque, protocol.angle_deg)
            run = simulate(loop.with_values({"reflex.tone": tone}), protocol, duration_s=protocol.end_s, dt_s=dt_s)
            fit = identify_impedance(run, smoothing_s=smoothing_s)
            at_held = fit.mean_torque_nm + fit.stiffness_nm_per_rad * (held - fit.mean_angle_rad)
            points.append(ImpedancePoint(float(torque), tone, bool(closed), at_held - relaxed, fit))
    return points


def sweep_table(points: Sequence[ImpedancePoint], reflex_on: bool) -> dict[str, np.ndarray]:
    """The runs of a torque sweep with the loop opened (False) or closed (True) as columns:
    name (see `ImpedancePoint.as_dict`) -> array over the torques, in sweep order.

    Parameters
    ----------
    points : sequence of ImpedancePoint
        The sweep, as `impedance_vs_torque` returns it.
    reflex_on : bool
        Which runs to take: False (reflex opened) or True (closed).

    Returns
    -------
    dict of str to numpy.ndarray
        One array per column of `ImpedancePoint.as_dict`, in the units named there.

    Raises
    ------
    ParameterError
        If the sweep has no runs with that `reflex_on`.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.identification import impedance_vs_torque, sweep_table
    >>> from reflexsim.protocols import PositionPerturbation
    >>> points = impedance_vs_torque(
    ...     preset("healthy"), [0.0, 10.0], protocol=PositionPerturbation(duration_s=1.5), reflex_on=(False,)
    ... )
    >>> table = sweep_table(points, reflex_on=False)
    >>> table["target_torque_nm"].tolist(), table["stiffness_nm_per_rad"].round().tolist()
    ([0.0, 10.0], [39.0, 58.0])
    """
    rows = [p.as_dict() for p in points if p.reflex_on == reflex_on]
    if not rows:
        raise ParameterError(f"the sweep has no runs with reflex_on = {reflex_on}")
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def sweep_summary(points: Sequence[ImpedancePoint], inertia_kg_m2: float) -> dict[str, float]:
    """The numbers that characterise a torque sweep run with the loop opened and closed (as
    `impedance_vs_torque` does), from the intrinsic (reflex-off) fits unless named otherwise:

    rest K and B (at the lowest target torque); the worst |I / inertia_kg_m2 - 1|; dK/dT, the
    least-squares slope of K over the target torques (1/rad); the smallest rise of K from one
    torque to the next (negative if K ever falls); the spread max/min of the damping ratio; the
    worst VAF (%); the largest reflex share of stiffness (K_on - K_off) / K_on and the target
    torque where it occurs.

    Parameters
    ----------
    points : sequence of ImpedancePoint
        A sweep with the same target torques run with the reflex off and on.
    inertia_kg_m2 : float
        The true foot inertia, kg·m², the identified inertia is compared with.

    Returns
    -------
    dict of str to float
        ``rest_stiffness_nm_per_rad``, ``rest_damping_nms_per_rad``, ``worst_inertia_error``
        (fraction), ``stiffness_per_torque_per_rad``, ``smallest_stiffness_rise_nm_per_rad``,
        ``damping_ratio_spread``, ``worst_vaf_percent``, ``peak_reflex_share`` (fraction) and
        ``torque_at_peak_reflex_share_nm``; the slope and the rise are NaN with one torque.

    Raises
    ------
    ParameterError
        If the sweep lacks the reflex-off or reflex-on runs, or their torques differ.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.identification import impedance_vs_torque, sweep_summary
    >>> from reflexsim.protocols import PositionPerturbation
    >>> healthy = preset("healthy")
    >>> points = impedance_vs_torque(healthy, [0.0, 10.0], protocol=PositionPerturbation(duration_s=1.5))
    >>> summary = sweep_summary(points, healthy.foot.inertia_kg_m2)
    >>> round(summary["rest_stiffness_nm_per_rad"]), round(summary["stiffness_per_torque_per_rad"], 1)
    (39, 1.8)
    >>> summary["worst_inertia_error"] < 0.02
    True
    """
    off, on = sweep_table(points, False), sweep_table(points, True)
    if not np.array_equal(off["target_torque_nm"], on["target_torque_nm"]):
        raise ParameterError("the sweep must hold the same torques with the reflex off and on")
    order = np.argsort(off["target_torque_nm"])
    torque = off["target_torque_nm"][order]
    k, k_on = off["stiffness_nm_per_rad"][order], on["stiffness_nm_per_rad"][order]
    zeta, share = off["damping_ratio"][order], 1.0 - k / k_on
    return {
        "rest_stiffness_nm_per_rad": float(k[0]),
        "rest_damping_nms_per_rad": float(off["damping_nms_per_rad"][order][0]),
        "worst_inertia_error": float(np.max(np.abs(off["inertia_kg_m2"] / inertia_kg_m2 - 1.0))),
        "stiffness_per_torque_per_rad": float(np.polyfit(torque, k, 1)[0]) if k.size > 1 else math.nan,
        "smallest_stiffness_rise_nm_per_rad": float(np.diff(k).min()) if k.size > 1 else math.nan,
        "damping_ratio_spread": float(zeta.max() / zeta.min()),
        "worst_vaf_percent": float(off["vaf_percent"].min()),
        "peak_reflex_share": float(share.max()),
        "torque_at_peak_reflex_share_nm": float(torque[np.argmax(share)]),
    }

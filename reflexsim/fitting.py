"""Fitting the loop to a recorded clonus test: which gain, delay, threshold ... explain a trace.

`fit` estimates chosen model parameters (any dotted path, e.g. ``reflex.gain``,
``reflex.delay_s``, ``reflex.threshold_ips``) by matching the recorded ankle angle, and the EMG
envelope when the trace has one, with simulations of the same protocol:

1. **Global stage.** A scrambled Sobol design of candidates over the search box (64 by default)
   is run over the first 1.5 s after the stretch (`run_batch`: all candidates at once on the
   compiled kernel, in parallel); the best few start local fits.
2. **Local stage with a growing horizon.** `scipy.optimize.least_squares` (trust-region
   reflective, bounded) fits the first 1.5 s, then 3 s, 6 s and the whole trace, each from the
   previous optimum. A clonus trace is an oscillation: a fit of all 12 s from a start whose
   frequency is 2 % off would lock onto the wrong beat; the short horizons cannot.
3. **Confidence intervals by profile likelihood.** Each parameter is moved away from its
   optimum with the others re-fitted until the deviance ``n_eff · ln(RSS / RSS_min)`` exceeds the
   χ²₁ quantile (3.84 for 95 %). ``n_eff`` corrects the sample count for the residuals'
   autocorrelation (neighbouring samples of a 1 kHz recording are not independent errors), so
   the intervals do not shrink just because the recording is sampled faster.

The residual of the angle is taken after removing an offset and a linear drift (electrogoniometer
offset and baseline drift are not the loop's business); the EMG envelope is compared after the
best non-negative scale and offset (the recording's units are not the model's). Each channel is
divided by its spread in the recording, so angle and EMG count equally.

Parameters that trade off (one can be exchanged for another with the same trace) are reported,
not hidden: a pairwise correlation above 0.95 in the Gauss–Newton covariance, or a profile that
stays below the χ² threshold up to the edge of the search box, marks the parameter as not
identifiable and adds a warning saying which combination the trace constrains.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import least_squares

from . import kernel
from .errors import ParameterError, SimulationError
from .params import Model, describe
from .presets import preset
from .protocols import ClonusTest, ProtocolLike
from .simulation import DEFAULT_DT_S, Result, simulate
from .traces import Trace, as_trace

DEFAULT_FREE = ("reflex.gain", "reflex.delay_s")
HORIZONS_S = (1.5, 3.0, 6.0)  # after the stretch starts; the whole trace comes last
GLOBAL_CANDIDATES = 64
LOCAL_STARTS = 3
CONFIDENCE = 0.95
TRADE_OFF_CORRELATION = 0.95
MAX_FIT_RATE_HZ = 500.0  # residuals on at most 500 Hz of the recording (clonus 5-8 Hz, EMG envelope 50 Hz)
SEARCH_FACTOR = 4.0  # default search box: [value / 4, value * 4] inside the documented range
FAILED_RUN_PENALTY = 3.0  # a run that cannot be simulated scores as 3x the recording's spread
PROFILE_MAX_STEPS = 8
DIFF_STEP = 1e-4  # forward-difference step, as a fraction of the search box


class FitError(ParameterError):
    """A fit was asked for something it cannot do.

    An unknown or duplicated free parameter, a search box outside the parameter's range, a trace
    without an angle, a confidence level outside [0.5, 1) ... (a `ParameterError`).

    Examples
    --------
    >>> from reflexsim.fitting import fit
    >>> fit("recording.csv", confidence=1.5)
    Traceback (most recent call last):
    ...
    reflexsim.fitting.FitError: confidence = 1.5 must lie in [0.5, 1)
    """


@dataclass(frozen=True)
class FittedParameter:
    """One free parameter: its estimate, its confidence interval and whether the trace pins it.

    `ci_lo`/`ci_hi` are the profile-likelihood interval at `FitResult.confidence`; an end that
    reached the search box is the box's edge and `identifiable` is False.

    Attributes
    ----------
    path : str
        The parameter's dotted path.
    value : float
        The estimate, in `unit`.
    ci_lo, ci_hi : float
        The confidence interval (NaN when no profile was computed).
    search_lo, search_hi : float
        The search box.
    unit : str
        The parameter's unit (``"1"`` = dimensionless).
    identifiable : bool
        Whether the trace pins the parameter (no trade-off, interval inside the box).

    Examples
    --------
    >>> from reflexsim.fitting import FittedParameter
    >>> gain = FittedParameter("reflex.gain", 2.98, 2.96, 2.99, 0.9, 14.4, "1", True)
    >>> gain.as_dict()["ci"]
    [2.96, 2.99]
    """

    path: str
    value: float
    ci_lo: float
    ci_hi: float
    search_lo: float
    search_hi: float
    unit: str
    identifiable: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``path``, ``value``, ``ci``, ``search_box``, ``unit``, ``identifiable``.

        Returns
        -------
        dict
            The fields, the interval and the box as two-element lists.
        """
        return {
            "path": self.path,
            "value": self.value,
            "ci": [self.ci_lo, self.ci_hi],
            "search_box": [self.search_lo, self.search_hi],
            "unit": self.unit,
            "identifiable": self.identifiable,
        }


@dataclass(frozen=True, eq=False)
class FitResult:
    """What `fit` found: parameters with intervals, the fitted model and run, residuals, warnings.

    Attributes
    ----------
    parameters : tuple of FittedParameter
        One per free parameter, in the order given.
    model : Model
        The fitted model (the starting model with the estimates).
    protocol : ClonusTest, TorqueProfile or another protocol
        The protocol the fit simulated.
    fitted : Result
        The fitted model's run.
    trace : Trace
        The recording.
    correlation : numpy.ndarray
        Correlation matrix of the estimates (Gauss–Newton), free parameters × free parameters.
    angle_rms_deg : float
        RMS angle residual, deg (offset and drift removed).
    envelope_rms : float or None
        RMS EMG envelope residual as a fraction of its spread; None without an envelope.
    effective_samples : float
        Sample count corrected for the residuals' autocorrelation (`effective_samples`).
    n_simulations : int
        Simulations run.
    seconds : float
        Wall-clock time of the fit, s.
    warnings : tuple of str
        Trade-offs and intervals that reached the search box.
    confidence : float, default 0.95
        Confidence level of the intervals.
    profiles : mapping of str to (numpy.ndarray, numpy.ndarray)
        Per parameter: the profiled values and their deviance.
    ci_method : str
        How the intervals were computed.

    Examples
    --------
    A fit runs about a hundred simulations (about 1 s), so it is not run here:

    >>> import reflexsim as rs
    >>> from reflexsim.fitting import fit, synthetic_recording
    >>> truth = rs.simulate(rs.preset("severe").with_values({"reflex.gain": 3.0}), duration_s=2.0)
    >>> result = fit(synthetic_recording(truth), "severe", free=("reflex.gain",))  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    fit of synthetic recording of severe (109 simulations, 1.1 s)
      reflex.gain = 2.976 1   95% CI [2.96, 2.992]
      angle residual 0.207° RMS (offset and drift removed)
      EMG envelope residual 0.310 of its spread (RMS)
    """

    parameters: tuple[FittedParameter, ...]
    model: Model
    protocol: ProtocolLike
    fitted: Result = field(repr=False)
    trace: Trace = field(repr=False)
    correlation: np.ndarray = field(repr=False)
    angle_rms_deg: float
    envelope_rms: float | None
    effective_samples: float
    n_simulations: int
    seconds: float
    warnings: tuple[str, ...]
    confidence: float = CONFIDENCE
    profiles: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    ci_method: str = "profile likelihood, sample count corrected for residual autocorrelation"

    @property
    def values(self) -> dict[str, float]:
        """The estimates, ``{path: value}``."""
        return {p.path: p.value for p in self.parameters}

    def summary(self) -> str:
        """The estimates with their intervals, the residuals and the warnings, as text.

        Returns
        -------
        str
            One line per parameter, residual and correlation, then the warnings.
        """
        pct = round(100 * self.confidence)
        lines = [f"fit of {self.trace.source or 'a trace'} ({self.n_simulations} simulations, {self.seconds:.1f} s)"]
        for p in self.parameters:
            flag = "" if p.identifiable else "  (not identifiable)"
            unit = "" if p.unit == "1" else f" {p.unit}"  # a dimensionless value is shown bare
            lines.append(f"  {p.path} = {p.value:.4g}{unit}   {pct}% CI [{p.ci_lo:.4g}, {p.ci_hi:.4g}]{flag}")
        lines.append(f"  angle residual {self.angle_rms_deg:.3f}° RMS (offset and drift removed)")
        if self.envelope_rms is not None:
            lines.append(f"  EMG envelope residual {self.envelope_rms:.3f} of its spread (RMS)")
        names = [p.path for p in self.parameters]
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                lines.append(f"  correlation {names[i]} / {names[j]}: {self.correlation[i, j]:+.2f}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: parameters, intervals, residuals, correlations, warnings, method.

        Returns
        -------
        dict
            Everything but the model, the runs and the profiles.
        """
        return {
            "parameters": [p.as_dict() for p in self.parameters],
            "confidence": self.confidence,
            "ci_method": self.ci_method,
            "angle_rms_deg": self.angle_rms_deg,
            "envelope_rms": self.envelope_rms,
            "effective_samples": self.effective_samples,
            "correlation": self.correlation.tolist(),
            "n_simulations": self.n_simulations,
            "seconds": self.seconds,
            "warnings": list(self.warnings),
        }

    def figure(self) -> Any:
        """Recorded and fitted traces overlaid, residuals, and each parameter's profile.

        Drawn by `reflexsim.plotting.fit_figure`; save it with ``.savefig(path)``.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .plotting import fit_figure

        return fit_figure(self)


# ---------------------------------------------------------------------------------------------
# The objective


def _nuisance_basis(t: np.ndarray) -> np.ndarray:
    """Offset and linear drift, orthonormal, for projecting out of the angle residual."""
    basis, _ = np.linalg.qr(np.column_stack([np.ones_like(t), t - t.mean()]))
    return basis


class _Objective:
    """Residuals of one trace against simulations of `model` with the free parameters set."""

    def __init__(self, trace: Trace, model: Model, protocol: ProtocolLike, free: Sequence[str], dt_s: float):
        if trace.angle_rad is None:
            raise FitError("the trace has no angle column: a fit matches the ankle angle (and the EMG envelope)")
        self.model, self.protocol, self.free, self.dt_s = model, protocol, tuple(free), dt_s
        compiled = protocol.compile(dt_s)
        self.compiled = compiled
        # the recording on the simulation's clock: its stretch starts when the protocol's does
        t = trace.time_s - trace.stretch_start_s + compiled.stretch_start_s
        keep = t >= 0.0
        stride = max(1, round(trace.sampling_rate_hz / MAX_FIT_RATE_HZ))
        idx = np.flatnonzero(keep)[::stride]
        self.t = t[idx]
        self.angle = np.degrees(trace.angle_rad[idx])
        self.envelope = None if trace.envelope is None else np.asarray(trace.envelope, float)[idx]
        self.hold_s = compiled.hold_start_s
        self.angle_scale = _spread(self.angle[self.t >= self.hold_s])
        if self.envelope is not None:
            spread = _spread(self.envelope[self.t >= self.hold_s])
            self.envelope_scale = spread if spread > 0 else None
            if self.envelope_scale is None:
                self.envelope = None
        self.end_s = float(self.t[-1])
        self.n_simulations = 0

    def model_at(self, x: np.ndarray) -> Model:
        return self.model.with_values(dict(zip(self.free, (float(v) for v in x), strict=True)))

    def window(self, horizon_s: float) -> np.ndarray:
        return self.t <= min(self.end_s, self.compiled.stretch_start_s + horizon_s)

    def residuals_from(self, sim_angle_deg: np.ndarray | None, sim_exc: np.ndarray | None, sel: np.ndarray):
        """Scaled residual vector over the samples `sel` (simulated series at those samples)."""
        angle = self.angle[sel]
        if sim_angle_deg is None or sim_exc is None:  # a failed run: both are None
            r = np.full(angle.size, FAILED_RUN_PENALTY)
            return r if self.envelope is None else np.concatenate([r, r])
        basis = _nuisance_basis(self.t[sel])
        r = angle - sim_angle_deg
        r = (r - basis @ (basis.T @ r)) / self.angle_scale
        if self.envelope is None:
            return r
        e = self.envelope[sel]
        design = np.column_stack([sim_exc, np.ones_like(sim_exc)])
        coef, *_ = np.linalg.lstsq(design, e, rcond=None)
        if coef[0] < 0.0:  # the EMG cannot fall as the excitation rises: offset only
            coef = np.array([0.0, e.mean()])
        return np.concatenate([r, (e - design @ coef) / self.envelope_scale])

    def residuals_many(self, xs: np.ndarray, horizon_s: float) -> list[np.ndarray]:
        """Residual vectors of many candidates, simulated at once on the compiled kernel
        (`kernel.run_batch`, in parallel); a run that fails scores FAILED_RUN_PENALTY."""
        sel = self.window(horizon_s)
        t = self.t[sel]
        n_steps = math.ceil((t[-1] + self.dt_s) / self.dt_s)
        params = np.array([self.model_at(x).pack() for x in xs])
        out = np.empty((len(xs), n_steps + 1, kernel.OUT_COLUMNS))
        status = np.empty(len(xs), np.int64)
        c = self.compiled
        kernel.run_batch(params, c.segments, c.samples, c.theta_start_rad, self.dt_s, n_steps, out, status)
        self.n_simulations += len(xs)
        time_s = np.arange(n_steps + 1) * self.dt_s
        residuals = []
        for k in range(len(xs)):
            if status[k] != kernel.STATUS_OK or not np.all(np.isfinite(out[k, :, kernel.Y_THETA])):
                residuals.append(self.residuals_from(None, None, sel))
                continue
            angle = np.interp(t, time_s, np.degrees(out[k, :, kernel.Y_THETA]))
            # the EMG sees the pool's output after the reflex delay, as Result.excitation does
            exc = np.interp(t - params[k, kernel.P_DELAY], time_s, out[k, :, kernel.O_U])
            residuals.append(self.residuals_from(angle, exc, sel))
        return residuals

    def residuals(self, x: np.ndarray, horizon_s: float) -> np.ndarray:
        return self.residuals_many(np.asarray([x], float), horizon_s)[0]

    def jacobian(self, x: np.ndarray, r0: np.ndarray, horizon_s: float, moving: Sequence[int], steps: np.ndarray):
        """Forward differences in the `moving` parameters, all perturbed runs at once."""
        xs = np.repeat(np.asarray([x], float), len(moving), axis=0)
        xs[np.arange(len(moving)), moving] += steps
        rs = self.residuals_many(xs, horizon_s)
        return np.column_stack([(r - r0) / h for r, h in zip(rs, steps, strict=True)])


def _spread(x: np.ndarray) -> float:
    return float(np.std(x)) if x.size > 1 else 0.0


def effective_samples(residuals: np.ndarray) -> float:
    """Sample count corrected for autocorrelation: n / (1 + 2 Σ ρ_k).

    The sum runs over lags up to the first non-positive autocorrelation (Geyer's initial positive
    sequence, simplified). Neighbouring samples of a fast recording are not independent errors;
    without this correction the confidence intervals would shrink with the sampling rate.

    Parameters
    ----------
    residuals : numpy.ndarray
        The residuals, in sample order.

    Returns
    -------
    float
        The effective number of independent samples, at most ``len(residuals)``.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.fitting import effective_samples
    >>> white = np.random.default_rng(0).normal(size=1000)
    >>> slow = np.sin(np.linspace(0.0, 20.0, 1000))  # strongly autocorrelated
    >>> round(effective_samples(white)), round(effective_samples(slow))
    (988, 10)
    """
    r = residuals - residuals.mean()
    n = r.size
    if n < 3 or not np.any(r):
        return float(n)
    spectrum = np.fft.rfft(r, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf /= acf[0]
    positive = np.flatnonzero(acf[1:] <= 0.0)
    last = positive[0] if positive.size else n - 1
    tau = 1.0 + 2.0 * float(np.sum(acf[1 : last + 1]))
    return float(n / max(tau, 1.0))


def synthetic_recording(
    result: Result,
    *,
    sampling_rate_hz: float = 1000.0,
    angle_noise_deg: float = 0.2,
    drift_deg: float = 0.5,
    emg_noise: float = 0.05,
    emg_volts_per_unit: float = 2e-3,
    seed: int = 0,
) -> Trace:
    """A simulated run as a lab would record it, for testing a fit on known parameters.

    The angle is resampled at `sampling_rate_hz` (not the model's step) with white noise of SD
    `angle_noise_deg` (an electrogoniometer's) and a linear baseline drift of `drift_deg` over the
    run; the EMG envelope is the model's excitation in volts (`emg_volts_per_unit` at full
    recruitment) plus a 10 µV offset and white noise of SD `emg_noise` times the envelope's
    largest value. Events are the protocol's.

    Parameters
    ----------
    result : Result
        The simulated run (the "truth").
    sampling_rate_hz : float, default 1000.0
        Sampling rate of the recording, Hz.
    angle_noise_deg : float, default 0.2
        SD of the angle's white noise, deg.
    drift_deg : float, default 0.5
        Linear baseline drift of the angle over the run, deg.
    emg_noise : float, default 0.05
        SD of the envelope's white noise, as a fraction of its largest value.
    emg_volts_per_unit : float, default 2e-3
        Envelope at full recruitment, V.
    seed : int, default 0
        Seed of the noise.

    Returns
    -------
    Trace
        The recording, with an angle and an EMG envelope in V.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.fitting import synthetic_recording
    >>> recording = synthetic_recording(rs.simulate(rs.preset("severe"), duration_s=2.0))
    >>> float(recording.sampling_rate_hz), recording.envelope_unit, recording.source
    (1000.0, 'V', 'synthetic recording of severe')
    """
    from .traces import from_columns

    rng = np.random.default_rng(seed)
    t = np.arange(0.0, result.time_s[-1], 1.0 / sampling_rate_hz)
    angle = np.interp(t, result.time_s, result.angle_deg)
    angle += rng.normal(0.0, angle_noise_deg, t.size) + drift_deg * t / t[-1]
    envelope = emg_volts_per_unit * np.interp(t, result.time_s, result.excitation)
    envelope += 1e-5 + rng.normal(0.0, emg_noise * float(envelope.max()), t.size)
    ev = result.events
    return from_columns(
        {"time_s": t, "angle_deg": angle, "emg_envelope_v": envelope},
        {"stretch_start_s": ev.stretch_start_s, "hold_start_s": ev.hold_start_s},
        source=f"synthetic recording of {result.model.name}",
    )


# ---------------------------------------------------------------------------------------------
# The fit


def _search_box(model: Model, free: Sequence[str], bounds: Mapping[str, tuple[float, float]] | None):
    lo, hi = [], []
    bounds = dict(bounds or {})
    for path in bounds:
        if path not in free:
            raise FitError(f"bounds given for {path!r}, which is not a free parameter ({', '.join(free)})")
    for path in free:
        info = describe(path)
        value = model.get(path)
        if path in bounds:
            try:
                b_lo, b_hi = (float(b) for b in bounds[path])
            except (TypeError, ValueError):
                raise FitError(f"bounds for {path} must be two numbers (lo, hi), got {bounds[path]!r}") from None
            if not (info.lo <= b_lo < b_hi <= info.hi):
                raise FitError(
                    f"bounds for {path} = ({b_lo:g}, {b_hi:g}) must satisfy lo < hi inside its valid range "
                    f"[{info.lo:g}, {info.hi:g}] {info.unit}"
                )
        elif value > 0.0:
            b_lo, b_hi = max(info.lo, value / SEARCH_FACTOR), min(info.hi, value * SEARCH_FACTOR)
        else:
            b_lo, b_hi = info.lo, info.hi
        if not math.isfinite(b_hi) or not math.isfinite(b_lo):
            raise FitError(f"{path}: give finite bounds for it (its valid range is [{info.lo:g}, {info.hi:g}])")
        lo.append(b_lo)
        hi.append(b_hi)
    return np.array(lo), np.array(hi)


def _check_free(free: Sequence[str]) -> tuple[str, ...]:
    if isinstance(free, str):
        free = [s.strip() for s in free.split(",") if s.strip()]
    free = tuple(free)
    if not free:
        raise FitError("give at least one free parameter, e.g. free=['reflex.gain', 'reflex.delay_s']")
    for path in free:
        describe(path)  # unknown paths: ParameterError with suggestions
    if len(set(free)) != len(free):
        raise FitError(f"a free parameter is listed twice: {', '.join(free)}")
    return free


def _local(obj: _Objective, x0: np.ndarray, lo: np.ndarray, hi: np.ndarray, horizon: float, fixed=None):
    """least_squares over the free parameters not in `fixed` ({index: value}); returns the full
    parameter vector, its residuals and the Jacobian of the moving parameters."""
    fixed = fixed or {}
    moving = [i for i in range(len(x0)) if i not in fixed]

    def full(z: np.ndarray) -> np.ndarray:
        x = np.array(x0, dtype=float)
        x[moving] = z
        for i, v in fixed.items():
            x[i] = v
        return x

    if not moving:
        x = full(np.empty(0))
        return x, obj.residuals(x, horizon), None
    scale = hi[moving] - lo[moving]
    cache: dict[bytes, np.ndarray] = {}

    def fun(z: np.ndarray) -> np.ndarray:
        key = z.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = obj.residuals(full(z), horizon)
        return cache[key]

    def jac(z: np.ndarray) -> np.ndarray:
        steps = DIFF_STEP * scale * np.where(z + DIFF_STEP * scale > hi[moving], -1.0, 1.0)
        return obj.jacobian(full(z), fun(z), horizon, moving, steps)

    z0 = np.clip(np.asarray(x0, float)[moving], lo[moving], hi[moving])
    sol = least_squares(
        fun, z0, jac=jac, bounds=(lo[moving], hi[moving]), x_scale=scale / 10.0, xtol=1e-6, ftol=1e-8, max_nfev=60
    )
    return full(sol.x), sol.fun, sol.jac


def fit(
    trace: Any,
    model: Model | str | None = None,
    protocol: ProtocolLike | None = None,
    free: Sequence[str] | str = DEFAULT_FREE,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    dt_s: float = DEFAULT_DT_S,
    candidates: int = GLOBAL_CANDIDATES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
    profile: bool = True,
) -> FitResult:
    """Estimate the `free` parameters of `model` that make `protocol` reproduce `trace`.

    `trace` is anything `reflexsim.traces.as_trace` reads (a file path, a Trace, a Result, a
    DataFrame, a Dataset); `model` a Model or a preset name (default: the severe lesion, whose
    other parameters are held); `protocol` the test the recording followed (default: the
    standard clonus test). `bounds` narrow the search box ({path: (lo, hi)}; default: a factor of
    4 around the model's value, inside the documented range). See the module docstring for the
    method; `FitResult.summary()` for the answer.

    Parameters
    ----------
    trace : Trace, Result, DataFrame, Dataset, str or Path
        The recording (anything `reflexsim.traces.as_trace` reads); it needs an angle.
    model : Model or str, optional
        The model whose other parameters are held, or a preset name (default: ``"severe"``).
    protocol : ClonusTest, TorqueProfile or another protocol, optional
        The test the recording followed (default: ``ClonusTest()``).
    free : sequence of str or str, default ("reflex.gain", "reflex.delay_s")
        The dotted paths to estimate.
    bounds : mapping of str to (float, float), optional
        Search boxes, ``{path: (lo, hi)}``, inside the parameters' valid ranges.
    dt_s : float, default 5e-4
        Simulation step, s.
    candidates : int, default 64
        Sobol candidates of the global stage, in [1, 4096].
    confidence : float, default 0.95
        Confidence level of the intervals, in [0.5, 1).
    seed : int, default 0
        Seed of the Sobol design.
    profile : bool, default True
        Compute profile-likelihood intervals (False: estimates only, intervals NaN).

    Returns
    -------
    FitResult
        The estimates, intervals, fitted model and run, residuals and warnings.

    Raises
    ------
    FitError
        If a free parameter is unknown or duplicated, a box lies outside its range, the trace has
        no angle, or `candidates` or `confidence` is out of range.
    TraceError
        If `trace` cannot be read.

    Examples
    --------
    A fit of a synthetic recording of known gain; it runs about a hundred simulations (about 1 s),
    so it is not run here:

    >>> import reflexsim as rs
    >>> from reflexsim.fitting import fit, synthetic_recording
    >>> truth = rs.simulate(rs.preset("severe").with_values({"reflex.gain": 3.0}), duration_s=2.0)
    >>> result = fit(synthetic_recording(truth), "severe", free=("reflex.gain",))  # doctest: +SKIP
    >>> gain = result.parameters[0]  # doctest: +SKIP
    >>> round(gain.value, 2), round(gain.ci_lo, 2), round(gain.ci_hi, 2), gain.identifiable  # doctest: +SKIP
    (2.98, 2.96, 2.99, True)
    """
    started = time.perf_counter()
    free = _check_free(free)
    model = preset("severe") if model is None else preset(model) if isinstance(model, str) else model
    if not isinstance(model, Model):
        raise FitError(f"model must be a reflexsim Model or a preset name, got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    if not 0.5 <= confidence < 1.0:
        raise FitError(f"confidence = {confidence!r} must lie in [0.5, 1)")
    if not isinstance(candidates, int) or not 1 <= candidates <= 4096:
        raise FitError(f"candidates = {candidates!r} must be a whole number in [1, 4096]")
    trace = as_trace(trace)
    lo, hi = _search_box(model, free, bounds)
    obj = _Objective(trace, model, protocol, free, dt_s)
    record_s = obj.end_s - obj.compiled.stretch_start_s
    horizons = [h for h in HORIZONS_S if h < record_s] + [record_s]

    # 1. global: a Sobol design over the box plus the model's own values, on the first horizon
    x_model = np.clip([model.get(p) for p in free], lo, hi)
    unit = stats.qmc.Sobol(len(free), scramble=True, seed=seed).random(candidates)
    xs = np.vstack([x_model, lo + unit * (hi - lo)])
    costs = np.array([float(np.sum(r**2)) for r in obj.residuals_many(xs, horizons[0])])
    order = np.argsort(costs)[:LOCAL_STARTS]

    # 2. local fits from the best candidates on the first horizon; the best continues
    best = None
    for k in order:
        if not math.isfinite(costs[k]):
            continue
        x, r, _ = _local(obj, xs[k], lo, hi, horizons[0])
        if best is None or np.sum(r**2) < np.sum(best[1] ** 2):
            best = (x, r)
    if best is None:
        raise SimulationError(
            "no candidate in the search box could be simulated; check the model, the protocol and the bounds"
        )
    x = best[0]
    jac = None
    for h in horizons:
        x, r, jac = _local(obj, x, lo, hi, h)
    rss = float(np.sum(r**2))
    n_angle = int(np.count_nonzero(obj.window(horizons[-1])))
    n_eff = effective_samples(r[:n_angle])
    if obj.envelope is not None:
        n_eff += effective_samples(r[n_angle:])

    correlation = _correlation(jac, hi - lo)
    threshold = float(stats.chi2.ppf(confidence, 1))
    intervals: list[tuple[float, float]] = []
    profiles: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    warnings: list[str] = []
    for j, path in enumerate(free):
        if profile:
            ci, grid, dev = _profile(obj, x, j, lo, hi, horizons[-1], rss, n_eff, threshold, jac)
            profiles[path] = (grid, dev)
        else:
            ci = (math.nan, math.nan)
        intervals.append(ci)
    unpinned = {
        path for j, path in enumerate(free) if not profile or intervals[j][0] <= lo[j] or intervals[j][1] >= hi[j]
    }
    rank_deficient = jac is not None and np.linalg.matrix_rank(jac) < len(free)
    for i, j in itertools.combinations(range(len(free)), 2):
        if abs(correlation[i, j]) > TRADE_OFF_CORRELATION and (
            rank_deficient or free[i] in unpinned or free[j] in unpinned
        ):
            unpinned |= {free[i], free[j]}
            together = "raising both together" if correlation[i, j] > 0 else "raising one and lowering the other"
            warnings.append(
                f"{free[i]} and {free[j]} trade off (correlation {correlation[i, j]:+.2f}): the trace constrains a "
                f"combination of them, not each ({together} leaves the fit almost unchanged); fix one of them "
                f"(leave it out of the free list) or add a recording that separates them"
            )
    for j, path in enumerate(free):
        if profile and path in unpinned and (intervals[j][0] <= lo[j] or intervals[j][1] >= hi[j]):
            warnings.append(
                f"{path}: the {round(100 * confidence)}% interval reaches the edge of the search box "
                f"[{lo[j]:.4g}, {hi[j]:.4g}]; the trace does not pin it down"
            )
    params = [
        FittedParameter(
            path, float(x[j]), *intervals[j], float(lo[j]), float(hi[j]), describe(path).unit, path not in unpinned
        )
        for j, path in enumerate(free)
    ]
    fitted_model = obj.model_at(x).with_values({}, name=f"{model.name} fitted")
    fitted = simulate(fitted_model, protocol, duration_s=obj.end_s + dt_s, dt_s=dt_s)
    angle_res = r[:n_angle] * obj.angle_scale
    env_rms = float(np.sqrt(np.mean(r[n_angle:] ** 2))) if obj.envelope is not None else None
    return FitResult(
        parameters=tuple(params),
        model=fitted_model,
        protocol=protocol,
        fitted=fitted,
        trace=trace,
        correlation=correlation,
        angle_rms_deg=float(np.sqrt(np.mean(angle_res**2))),
        envelope_rms=env_rms,
        effective_samples=n_eff,
        n_simulations=obj.n_simulations + 1,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        confidence=confidence,
        profiles=profiles,
    )


def _correlation(jac: np.ndarray | None, box: np.ndarray) -> np.ndarray:
    """Correlation matrix of the Gauss–Newton covariance (JᵀJ)⁻¹, in box units and with a
    vanishing ridge, so that a direction the trace does not see at all (a singular JᵀJ) shows as
    a correlation of ±1 along it instead of being dropped."""
    if jac is None:
        return np.eye(len(box))
    scaled = jac * box
    jtj = scaled.T @ scaled
    cov = np.linalg.inv(jtj + 1e-10 * np.trace(jtj) * np.eye(len(box)))
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr = np.where(np.isfinite(corr), np.clip(corr, -1.0, 1.0), 0.0)
    np.fill_diagonal(corr, 1.0)
    return corr


def _profile(obj, x, j, lo, hi, horizon, rss_min, n_eff, threshold, jac):
    """Profile-likelihood interval of parameter j: step out from the optimum each way, re-fitting
    the others, until the deviance n_eff·ln(RSS/RSS_min) passes `threshold`; the crossing is
    interpolated linearly between the last two points."""
    width = hi[j] - lo[j]
    if jac is not None:
        jtj = jac.T @ jac
        cov = np.linalg.pinv(jtj) * rss_min / max(n_eff, 1.0)
        step = math.sqrt(max(cov[j, j], 0.0)) * math.sqrt(threshold)
    else:
        step = 0.0
    step = min(max(step, width * 1e-4), width / 4.0)
    grid, dev = [float(x[j])], [0.0]
    ends = []
    for direction in (-1.0, 1.0):
        last_v, last_d = float(x[j]), 0.0
        guess = np.array(x, float)
        s = step
        end = lo[j] if direction < 0 else hi[j]
        for _ in range(PROFILE_MAX_STEPS):
            v = float(np.clip(last_v + direction * s, lo[j], hi[j]))
            xv, r, _ = _local(obj, guess, lo, hi, horizon, fixed={j: v})
            d = n_eff * math.log(max(float(np.sum(r**2)), 1e-300) / rss_min)
            grid.append(v)
            dev.append(d)
            if d >= threshold:
                frac = (threshold - last_d) / (d - last_d) if d > last_d else 1.0
                end = last_v + frac * (v - last_v)
                break
            if v in (lo[j], hi[j]):
                end = v
                break
            last_v, last_d, guess = v, d, xv
            s *= 2.0 if d < 0.25 * threshold else 1.0
        ends.append(end)
    order = np.argsort(grid)
    return (ends[0], ends[1]), np.array(grid)[order], np.array(dev)[order]

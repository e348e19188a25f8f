"""Clonus metrics, clinical grades and the per-beat table of a simulated run or a recorded trace.

Definitions (the same compiled detector grades sweeps, so a sweep point and
``clonus_metrics(simulate(...))`` agree exactly; a recorded trace goes through the same detector,
see `reflexsim.traces`):

* **beat** — a maximum of the ankle angle, after the hold starts, that rises at least
  ``beat_threshold_deg`` (peak to peak) above the preceding minimum and is followed by a fall of
  at least as much (zig-zag extrema with hysteresis), and comes at least 1/15 s after the previous
  maximum (clonus beats at 3–12 Hz; faster extrema are the foot ringing, e.g. on a stiff orthosis
  or under a large hold torque). A beat is defined on the angle alone, with or without an EMG: the
  frequency band, not the reflex, separates beats from ringing (see "Reflex bursts" below);
* **frequency** — beat rate over the last (up to) 10 beat intervals, i.e. the settled rhythm
  (NaN with fewer than 3 beats);
* **duration** — time from the start of the hold to the last beat (0 with fewer than 3 beats);
* **ongoing** — the last beat lies within two periods of the end of the run, so the clonus was
  still going when the run (or recording) ended and `duration_s` is a lower bound;
* **over_10_s** — the clonus lasted longer than 10 s (`duration_s` > 10 s: SCATS 3, Tardieu 4),
  whether or not it was still going at the end (that is `ongoing`). ``sustained`` (deprecated)
  was both together;
* **decay** — exponential decay rate of the peak-to-peak amplitude from the second to the last
  beat, 1/s (> 0 dying out, ≈ 0 sustained, < 0 growing);
* **max_peak_to_peak_deg** / **last_peak_to_peak_deg** — the largest beat's and the last beat's
  peak-to-peak angle (``peak_to_peak_deg``, deprecated, was the largest);
* **SCATS clonus score** (Benz et al. 2005) — 0 no clonus (< 3 beats), 1 < 3 s, 2 3–10 s, 3 > 10 s;
* **Tardieu grade** (modified Tardieu, quality of muscle reaction) — 4 clonus > 10 s, 3 clonus
  < 10 s, 2 clear catch (peak reflex torque ≥ ``catch_torque_nm`` during the stretch and the
  0.3 s after it), 1 slight resistance (≥ ``slight_torque_nm``), 0 none. A recorded trace without
  a reflex torque column cannot tell 0–2 apart: its grade is None (JSON null) below 3 beats.

Grades use the observed duration: a run shorter than 10 s after the hold cannot reach SCATS 3
or Tardieu 4; look at `ongoing` there.

Per-beat table (`beats_table`): for every beat, its time (the maximum), the interval since the
previous beat, its peak-to-peak angle, the preceding minimum (trough), the dorsiflexion half-cycle
(trough to peak) and the plantarflexion half-cycle (peak to the last confirmed minimum before the
next beat, or before the end; NaN if none), and the onset of its reflex burst. The table is read
off the very detector run that gives the metrics (`kernel.detect_events`), so its beat count and
its frequency over the last 10 intervals are the metrics'.

Reflex bursts: on the EMG-like envelope (the simulated `excitation`, or a recorded EMG enveloped
as `reflexsim.traces` says), the beat's cycle runs from its trough to the end of its
plantarflexion half-cycle (or one rise time past the peak when none followed); the burst onset is
the first sample in it at which the envelope exceeds its running minimum since the trough by the
burst threshold (`traces.burst_threshold`: 3 SD of the envelope before the stretch, at least 5 %
of its largest value). NaN means no burst in that cycle. Bursts are reported, not required: a
beat needs no burst, so a trace grades the same with or without an EMG column, and a sweep (which
has no EMG) agrees with it. Passive ringing is kept out by the 1/15 s rule instead; a reflex-free
ankle (``reflex.gain`` = 0) gives at most one beat under any hold torque, as its oscillation at
3–15 Hz is damped within a cycle (tests/test_metrics.py).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from . import kernel
from .errors import TraceError
from .simulation import Result
from .traces import Trace, as_trace, burst_threshold

DEFAULT_BEAT_THRESHOLD_DEG = 1.0
DEFAULT_CATCH_TORQUE_NM = 5.0
DEFAULT_SLIGHT_TORQUE_NM = 1.0

# Deprecated names (0.2), kept for one release: attribute -> (replacement, what it was).
_DEPRECATED = {
    "peak_to_peak_deg": "max_peak_to_peak_deg (the largest beat's peak to peak, which it always was)",
    "sustained": "`over_10_s and ongoing` (what it was), or over_10_s alone (clonus > 10 s, as SCATS 3)",
}


def _json_value(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


@dataclass(frozen=True)
class ClonusMetrics:
    """The clinical read-out of one clonus test (see the module docs for the definitions).

    What `clonus_metrics` returns; a sweep's metric variables hold the same numbers.

    Attributes
    ----------
    beats : int
        Number of clonic beats after the hold starts.
    frequency_hz : float
        Beat rate over the last (up to) 10 beat intervals, Hz (NaN with fewer than 3 beats).
    duration_s : float
        Time from the start of the hold to the last beat, s (0 with fewer than 3 beats).
    ongoing : bool
        The last beat lies within two periods of the end of the run: `duration_s` is a lower bound.
    over_10_s : bool
        The clonus lasted longer than 10 s (SCATS 3, Tardieu 4).
    decay_per_s : float
        Exponential decay rate of the peak-to-peak amplitude, 1/s (> 0 dying out, < 0 growing).
    max_peak_to_peak_deg : float
        The largest beat's peak-to-peak angle, deg.
    last_peak_to_peak_deg : float
        The last beat's peak-to-peak angle, deg.
    peak_reflex_torque_nm : float
        Peak reflex torque during the stretch and the 0.3 s after it, N·m (NaN for a trace
        without a reflex torque column).
    scats : int
        SCATS clonus score, 0–3 (Benz et al. 2005).
    tardieu : int or None
        Modified Tardieu grade, 0–4; None for a recorded trace without reflex torque and fewer
        than 3 beats (0–2 cannot be told apart).

    Examples
    --------
    >>> import reflexsim as rs
    >>> metrics = rs.clonus_metrics(rs.simulate(rs.preset("severe"), duration_s=3.0))
    >>> metrics.beats, round(metrics.frequency_hz, 1), metrics.ongoing, metrics.scats, metrics.tardieu
    (14, 5.5, True, 1, 3)
    """

    beats: int
    frequency_hz: float
    duration_s: float
    ongoing: bool
    over_10_s: bool
    decay_per_s: float
    max_peak_to_peak_deg: float
    last_peak_to_peak_deg: float
    peak_reflex_torque_nm: float
    scats: int
    tardieu: int | None  # None: a recorded trace without reflex torque and fewer than 3 beats

    @property
    def period_ms(self) -> float:
        """Beat period, ms (NaN without a frequency)."""
        return 1000.0 / self.frequency_hz if self.frequency_hz > 0 else math.nan

    @property
    def peak_to_peak_deg(self) -> float:
        """Deprecated: use `max_peak_to_peak_deg`."""
        _warn_deprecated("peak_to_peak_deg")
        return self.max_peak_to_peak_deg

    @property
    def sustained(self) -> bool:
        """Deprecated: use ``over_10_s and ongoing`` (what this was) or `over_10_s`."""
        _warn_deprecated("sustained")
        return self.over_10_s and self.ongoing

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN becomes None).

        For 0.2 only it also carries the deprecated keys ``peak_to_peak_deg`` and ``sustained``
        with their old meanings.

        Returns
        -------
        dict
            Field name -> value, plus the deprecated keys.

        Examples
        --------
        >>> import reflexsim as rs
        >>> d = rs.clonus_metrics(rs.simulate(rs.preset("healthy"), duration_s=1.0)).as_dict()
        >>> d["beats"], d["frequency_hz"], d["scats"]
        (1, None, 0)
        """
        d = {k: _json_value(v) for k, v in asdict(self).items()}
        d["peak_to_peak_deg"] = d["max_peak_to_peak_deg"]
        d["sustained"] = self.over_10_s and self.ongoing
        return d


def _warn_deprecated(name: str) -> None:
    warnings.warn(
        f"ClonusMetrics.{name} is deprecated and will be removed in reflexsim 0.3; use {_DEPRECATED[name]}",
        DeprecationWarning,
        stacklevel=3,
    )


def metrics_from_vector(m: np.ndarray) -> ClonusMetrics:
    """Build `ClonusMetrics` from the kernel's metric vector (indices ``kernel.M_*``).

    The compiled detector (``kernel.detect_events``) and the sweep kernels write this vector.

    Parameters
    ----------
    m : numpy.ndarray
        The metric vector, peak-to-peak amplitudes in rad.

    Returns
    -------
    ClonusMetrics
        The same numbers, amplitudes in degrees.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from reflexsim import kernel
    >>> from reflexsim.metrics import metrics_from_vector
    >>> m = np.zeros(kernel.N_METRICS)
    >>> m[kernel.M_BEATS], m[kernel.M_FREQUENCY_HZ], m[kernel.M_P2P_MAX_RAD] = 5, 5.5, math.radians(4.0)
    >>> metrics = metrics_from_vector(m)
    >>> metrics.beats, metrics.frequency_hz, round(metrics.max_peak_to_peak_deg, 6)
    (5, 5.5, 4.0)
    """
    return ClonusMetrics(
        beats=int(m[kernel.M_BEATS]),
        frequency_hz=float(m[kernel.M_FREQUENCY_HZ]),
        duration_s=float(m[kernel.M_DURATION_S]),
        ongoing=bool(m[kernel.M_ONGOING]),
        over_10_s=bool(m[kernel.M_OVER_10_S]),
        decay_per_s=float(m[kernel.M_DECAY_PER_S]),
        max_peak_to_peak_deg=math.degrees(m[kernel.M_P2P_MAX_RAD]),
        last_peak_to_peak_deg=math.degrees(m[kernel.M_P2P_LAST_RAD]),
        peak_reflex_torque_nm=float(m[kernel.M_PEAK_REFLEX_NM]),
        scats=int(m[kernel.M_SCATS]),
        tardieu=int(m[kernel.M_TARDIEU]),
    )


def _check_threshold(beat_threshold_deg: float) -> None:
    if not (math.isfinite(beat_threshold_deg) and beat_threshold_deg > 0):
        raise ValueError(f"beat_threshold_deg = {beat_threshold_deg!r} must be a positive number of degrees")


def _detect(
    trace: Trace, beat_threshold_deg: float, catch_torque_nm: float, slight_torque_nm: float
) -> tuple[ClonusMetrics, np.ndarray, np.ndarray, np.ndarray]:
    """One detector run over a trace: its metrics and the extrema it confirmed (kernel.detect_events).

    On the angle when there is one, else (an EMG-only recording) on the envelope with the burst
    threshold as hysteresis: the amplitudes (in envelope units) and the decay are then NaN."""
    _check_threshold(beat_threshold_deg)
    if trace.angle_rad is not None:
        signal, threshold = trace.angle_rad, math.radians(beat_threshold_deg)
    elif trace.envelope is not None:
        signal, threshold = trace.envelope, burst_threshold(trace)
        threshold = threshold if threshold > 0 else math.inf  # a flat envelope has no beats
    else:  # the readers refuse such a file; a Trace built by hand can still be one
        raise TraceError("a trace needs an angle or an EMG envelope to be graded")
    reflex = trace.reflex_torque_nm if trace.reflex_torque_nm is not None else np.zeros_like(trace.time_s)
    m, kinds, times, values = kernel.detect_events(
        trace.time_s,
        signal,
        reflex,
        trace.stretch_start_s,
        trace.hold_start_s,
        trace.catch_end_s,
        threshold,
        catch_torque_nm,
        slight_torque_nm,
    )
    if trace.angle_rad is None:
        m[[kernel.M_P2P_MAX_RAD, kernel.M_P2P_LAST_RAD, kernel.M_DECAY_PER_S]] = math.nan
    metrics = metrics_from_vector(m)
    if trace.reflex_torque_nm is None:
        tardieu = metrics.tardieu if metrics.beats >= kernel.MIN_CLONUS_BEATS else None
        metrics = replace(metrics, peak_reflex_torque_nm=math.nan, tardieu=tardieu)
    return metrics, kinds, times, values


def clonus_metrics(
    source: Result | Trace | Any,
    *,
    beat_threshold_deg: float = DEFAULT_BEAT_THRESHOLD_DEG,
    catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM,
    slight_torque_nm: float = DEFAULT_SLIGHT_TORQUE_NM,
) -> ClonusMetrics:
    """Beats, frequency, duration, decay and clinical grades of a clonus test.

    The definitions are in the module docs; the same compiled detector grades sweeps and recorded
    traces.

    Parameters
    ----------
    source : Result, Trace, DataFrame, Dataset or path
        A simulated `Result`, a recorded `Trace`, or anything `reflexsim.traces.as_trace` reads.
    beat_threshold_deg : float, default 1.0
        Smallest peak-to-peak rise that counts as a beat, deg (> 0).
    catch_torque_nm : float, default 5.0
        Peak reflex torque that makes a clear catch (Tardieu 2), N·m.
    slight_torque_nm : float, default 1.0
        Peak reflex torque that makes slight resistance (Tardieu 1), N·m.

    Returns
    -------
    ClonusMetrics
        The metrics and grades.

    Raises
    ------
    ValueError
        If `beat_threshold_deg` is not a positive number.
    TraceError
        If `source` cannot be read as a trace.

    Examples
    --------
    >>> import reflexsim as rs
    >>> result = rs.simulate(rs.preset("severe"), rs.ClonusTest(), duration_s=3.0)
    >>> metrics = rs.clonus_metrics(result)
    >>> metrics.beats, round(metrics.frequency_hz, 2), metrics.duration_s
    (14, 5.53, 2.6795)
    >>> rs.clonus_metrics(result, beat_threshold_deg=2.0).beats  # beats shrink as the clonus fades
    13
    """
    return _detect(as_trace(source), beat_threshold_deg, catch_torque_nm, slight_torque_nm)[0]


@dataclass(frozen=True, eq=False)
class BeatsTable:
    """One row per beat, as named arrays (times in s, angles in degrees; NaN where undefined).

    `metrics` are the clonus metrics of the same detector run, `signal` what the beats were
    found on ("ankle angle", or "EMG envelope" for an EMG-only recording), `burst_threshold` the
    envelope rise that makes a reflex burst (envelope units; NaN without an envelope).
    ``len(table)`` is the number of beats.

    Attributes
    ----------
    time_s : numpy.ndarray
        Time of the beat (maximum dorsiflexion), s.
    interval_s : numpy.ndarray
        Time since the previous beat, s (NaN for the first).
    peak_to_peak_deg : numpy.ndarray
        Rise from the preceding minimum to the beat, deg.
    trough_time_s : numpy.ndarray
        Time of the minimum before the beat, s.
    dorsiflexion_s : numpy.ndarray
        Dorsiflexion half-cycle, trough to beat, s.
    plantarflexion_s : numpy.ndarray
        Plantarflexion half-cycle, beat to the next trough, s (NaN if none).
    burst_onset_s : numpy.ndarray
        Onset of the reflex burst in the beat's cycle, s (NaN: none, or no EMG).
    metrics : ClonusMetrics
        The metrics of the same detector run.
    signal : str, default "ankle angle"
        What the beats were found on.
    burst_threshold : float, default nan
        Envelope rise that makes a reflex burst, envelope units.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.metrics import beats_table
    >>> table = beats_table(rs.simulate(rs.preset("severe"), duration_s=3.0))
    >>> len(table), table.metrics.beats, table.signal
    (14, 14, 'ankle angle')
    >>> table.time_s[:3], table.interval_s[:3]
    (array([0.3045, 0.75  , 0.926 ]), array([   nan, 0.4455, 0.176 ]))
    """

    COLUMNS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("time_s", "s", "time of the beat (maximum dorsiflexion)"),
        ("interval_s", "s", "time since the previous beat (NaN for the first)"),
        ("peak_to_peak_deg", "deg", "rise from the preceding minimum to the beat"),
        ("trough_time_s", "s", "time of the minimum before the beat"),
        ("dorsiflexion_s", "s", "dorsiflexion half-cycle: trough to beat"),
        ("plantarflexion_s", "s", "plantarflexion half-cycle: beat to the next trough (NaN if none)"),
        ("burst_onset_s", "s", "onset of the reflex burst in the beat's cycle (NaN: none, or no EMG)"),
    )

    time_s: np.ndarray = field(repr=False)
    interval_s: np.ndarray = field(repr=False)
    peak_to_peak_deg: np.ndarray = field(repr=False)
    trough_time_s: np.ndarray = field(repr=False)
    dorsiflexion_s: np.ndarray = field(repr=False)
    plantarflexion_s: np.ndarray = field(repr=False)
    burst_onset_s: np.ndarray = field(repr=False)
    metrics: ClonusMetrics
    signal: str = "ankle angle"
    burst_threshold: float = math.nan

    def __len__(self) -> int:
        return int(self.time_s.size)

    @property
    def beats_with_burst(self) -> int:
        """Number of beats whose cycle holds a reflex burst."""
        return int(np.isfinite(self.burst_onset_s).sum())

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns by name, in table order.

        Returns
        -------
        dict of str to numpy.ndarray
            Column name -> array (`COLUMNS` gives each one's unit and meaning).

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.metrics import beats_table
        >>> list(beats_table(rs.simulate(rs.preset("severe"), duration_s=3.0)).arrays())[:3]
        ['time_s', 'interval_s', 'peak_to_peak_deg']
        """
        return {name: getattr(self, name) for name, _, _ in self.COLUMNS}

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, one row per beat (needs pandas: ``pip install 'reflexsim[sweep]'``).

        Returns
        -------
        pandas.DataFrame
            The columns, indexed by beat number from 1; `signal` and `burst_threshold` in
            ``.attrs``.

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.metrics import beats_table
        >>> frame = beats_table(rs.simulate(rs.preset("severe"), duration_s=3.0)).to_dataframe()
        >>> frame.index.name, len(frame), frame.attrs["signal"]
        ('beat', 14, 'ankle angle')
        """
        from .traces import _require

        pd = _require("pandas", "sweep")
        frame = pd.DataFrame(self.arrays(), index=pd.RangeIndex(1, len(self) + 1, name="beat"))
        frame.attrs.update({"signal": self.signal, "burst_threshold": self.burst_threshold})
        return frame

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: units, the signal, the burst threshold and the columns as lists (NaN -> None).

        Returns
        -------
        dict
            Keys ``signal``, ``burst_threshold``, ``beats_with_burst``, ``units`` and ``columns``.

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.metrics import beats_table
        >>> d = beats_table(rs.simulate(rs.preset("severe"), duration_s=3.0)).as_dict()
        >>> d["units"]["interval_s"], d["columns"]["interval_s"][:2]
        ('s', [None, 0.4455])
        """
        return {
            "signal": self.signal,
            "burst_threshold": _json_value(self.burst_threshold),
            "beats_with_burst": self.beats_with_burst,
            "units": {name: unit for name, unit, _ in self.COLUMNS},
            "columns": {name: [_json_value(float(x)) for x in a] for name, a in self.arrays().items()},
        }


def beats_table(
    source: Result | Trace | Any,
    *,
    beat_threshold_deg: float = DEFAULT_BEAT_THRESHOLD_DEG,
    catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM,
    slight_torque_nm: float = DEFAULT_SLIGHT_TORQUE_NM,
) -> BeatsTable:
    """The per-beat table of a clonus test (see the module docs), with the metrics of the same detector run.

    Parameters
    ----------
    source : Result, Trace, DataFrame, Dataset or path
        As for `clonus_metrics`.
    beat_threshold_deg : float, default 1.0
        Smallest peak-to-peak rise that counts as a beat, deg (> 0).
    catch_torque_nm : float, default 5.0
        Peak reflex torque that makes a clear catch (Tardieu 2), N·m.
    slight_torque_nm : float, default 1.0
        Peak reflex torque that makes slight resistance (Tardieu 1), N·m.

    Returns
    -------
    BeatsTable
        One row per beat; its `metrics` equal ``clonus_metrics(source, ...)``.

    Raises
    ------
    ValueError
        If `beat_threshold_deg` is not a positive number.
    TraceError
        If `source` cannot be read as a trace.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.metrics import beats_table
    >>> result = rs.simulate(rs.preset("severe"), duration_s=3.0)
    >>> table = beats_table(result)
    >>> len(table) == rs.clonus_metrics(result).beats, table.beats_with_burst
    (True, 14)
    """
    trace = as_trace(source)
    metrics, kinds, times, values = _detect(trace, beat_threshold_deg, catch_torque_nm, slight_torque_nm)
    beat_t: list[float] = []
    beat_v: list[float] = []
    trough_t: list[float] = []
    trough_v: list[float] = []
    next_trough: list[float] = []
    last_min_t = last_min_v = math.nan
    for kind, t, v in zip(kinds.tolist(), times.tolist(), values.tolist(), strict=True):
        if kind == kernel.EXTREMUM_MIN:
            last_min_t, last_min_v = t, v
            if beat_t:  # the last minimum before the next beat (or the end) closes the plantarflexion
                next_trough[-1] = t
        elif kind == kernel.EXTREMUM_BEAT:
            beat_t.append(t)
            beat_v.append(v)
            trough_t.append(last_min_t)
            trough_v.append(last_min_v)
            next_trough.append(math.nan)
    time_s = np.array(beat_t)
    trough = np.array(trough_t)
    on_angle = trace.angle_rad is not None
    rise = np.degrees(np.array(beat_v) - np.array(trough_v)) if on_angle else np.full(time_s.size, math.nan)
    dorsi = time_s - trough
    plantar = np.array(next_trough) - time_s
    threshold = burst_threshold(trace)
    cycle_end = np.where(np.isfinite(plantar), time_s + plantar, time_s + dorsi)
    return BeatsTable(
        time_s=time_s,
        interval_s=np.diff(time_s, prepend=math.nan),
        peak_to_peak_deg=rise,
        trough_time_s=trough,
        dorsiflexion_s=dorsi if on_angle else np.full(time_s.size, math.nan),
        plantarflexion_s=plantar if on_angle else np.full(time_s.size, math.nan),
        burst_onset_s=_burst_onsets(trace, trough, cycle_end, threshold),
        metrics=metrics,
        signal="ankle angle" if on_angle else "EMG envelope",
        burst_threshold=threshold,
    )


def _burst_onsets(trace: Trace, start: np.ndarray, end: np.ndarray, threshold: float) -> np.ndarray:
    """First time in each [start, end] at which the envelope exceeds its running minimum since
    `start` by more than `threshold` (NaN: no such time, or no envelope)."""
    onsets = np.full(start.size, math.nan)
    if trace.envelope is None or not threshold > 0:
        return onsets
    t, e = trace.time_s, trace.envelope
    lo = np.searchsorted(t, start, side="left")
    hi = np.searchsorted(t, end, side="right")
    for i in range(start.size):
        window = e[lo[i] : hi[i]]
        above = np.flatnonzero(window > np.minimum.accumulate(window) + threshold)
        if above.size:
            onsets[i] = t[lo[i] + above[0]]
    return onsets


@dataclass(frozen=True)
class StretchResponse:
    """Torques a stretch evokes, as a laboratory would measure them (N·m, resisting > 0).

    Attributes
    ----------
    total_nm : float
        Peak of the ankle's total resistance (muscle + passive tissues) above rest, N·m.
    reflex_nm : float
        Peak active (reflex) muscle torque above rest, N·m.
    passive_change_nm : float
        Change of the passive resistance between rest and the end of the run, N·m.

    Examples
    --------
    >>> from reflexsim.metrics import StretchResponse
    >>> StretchResponse(total_nm=23.5, reflex_nm=10.4, passive_change_nm=-5.3).reflex_nm
    10.4
    """

    total_nm: float  # peak of the ankle's total resistance (muscle + passive tissues) above rest
    reflex_nm: float  # peak active (reflex) muscle torque above rest
    passive_change_nm: float  # change of the passive resistance between rest and the end of the run


def stretch_response(result: Result) -> StretchResponse:
    """Peak stretch-evoked torques from the stretch onset to 0.3 s after it ends.

    Parameters
    ----------
    result : Result
        A simulated run whose protocol has a stretch (e.g. `ClonusTest`).

    Returns
    -------
    StretchResponse
        Total, reflex and passive torques, N·m.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.metrics import stretch_response
    >>> response = stretch_response(rs.simulate(rs.preset("healthy"), duration_s=0.6))
    >>> round(response.reflex_nm, 2), response.total_nm > response.reflex_nm
    (2.52, True)
    """
    ev = result.events
    window = (result.time_s >= ev.stretch_start_s) & (result.time_s <= ev.catch_end_s)
    resistance = -(result.muscle_torque_nm + result.joint_torque_nm)
    passive = -(result.muscle_passive_torque_nm + result.joint_torque_nm)
    return StretchResponse(
        total_nm=float((resistance - resistance[0])[window].max()),
        reflex_nm=float(result.reflex_torque_nm[window].max()),
        passive_change_nm=float(passive[-1] - passive[0]),
    )


R2_NORMAL = 1.6  # healthy relaxation index R2 is about 1.6 or more (Bajd & Vodovnik 1984): R2n = R2 / 1.6


@dataclass(frozen=True)
class PendulumMetrics:
    """The swings of a knee pendulum (Wartenberg) test (`pendulum_metrics`); angles are knee flexion.

    The clinic measures the knee angle in extension, so its "first minimum" is the first flexion
    peak here; R2 is the same ratio.

    Attributes
    ----------
    start_deg : float
        Knee angle at the release, deg.
    rest_deg : float
        Resting angle: the mean over the run's last `rest_window_s`, deg.
    settled : bool
        The leg had come to rest: the angle moved less than the swing threshold over that window.
    first_peak_deg : float
        The first flexion peak after the release (the clinic's "first minimum"), deg.
    first_swing_deg : float
        First-swing amplitude: `first_peak_deg` − `start_deg`, deg.
    relaxation_index : float
        R2 = (first peak − start) / (rest − start); healthy ≥ 1.6, lower in spasticity.
    normalised_index : float
        R2n = R2 / 1.6 (Bajd & Vodovnik 1984): 1 and above normal.
    swings : int
        Flexion peaks after the release that pass the resting angle by the swing threshold.
    period_s : float
        Time between the first two flexion peaks, s (NaN with fewer than two).

    Examples
    --------
    >>> from reflexsim.metrics import PendulumMetrics
    >>> m = PendulumMetrics(0.0, 68.0, True, 110.0, 110.0, 110.0 / 68.0, 110.0 / 68.0 / 1.6, 6, 1.1)
    >>> round(m.relaxation_index, 2), m.to_dict()["swings"]
    (1.62, 6)
    """

    start_deg: float
    rest_deg: float
    settled: bool
    first_peak_deg: float
    first_swing_deg: float
    relaxation_index: float
    normalised_index: float
    swings: int
    period_s: float

    def to_dict(self) -> dict[str, Any]:
        """The metrics as a JSON-ready dict (NaN as None).

        Returns
        -------
        dict
            Field name -> value.
        """
        return {k: _json_value(v) for k, v in asdict(self).items()}


def _zigzag(angle: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Extrema of `angle` with hysteresis `threshold`: (index, +1 maximum / -1 minimum), starting
    with the direction of the first move by more than `threshold`."""
    extrema: list[tuple[int, int]] = []
    k_ext, direction = 0, 0
    for k in range(1, len(angle)):
        a = angle[k]
        if direction == 0:
            if abs(a - angle[0]) >= threshold:
                direction = 1 if a > angle[0] else -1
                k_ext = k
        elif direction * (a - angle[k_ext]) > 0.0:
            k_ext = k
        elif direction * (angle[k_ext] - a) >= threshold:
            extrema.append((k_ext, direction))
            direction, k_ext = -direction, k
    return extrema


def pendulum_metrics(result: Result, swing_threshold_deg: float = 1.0, rest_window_s: float = 1.0) -> PendulumMetrics:
    """Grade a knee pendulum test: relaxation index R2, swings, first-swing amplitude, swing period.

    Extrema after the release are found with hysteresis `swing_threshold_deg` (a reversal counts
    once the angle has come back by that much); the resting angle is the mean over the run's last
    `rest_window_s` (run long enough for the leg to settle: `settled` says whether it did).

    Parameters
    ----------
    result : Result
        A run of `reflexsim.protocols.PendulumTest` (its release is the protocol's hold start).
    swing_threshold_deg : float, default 1.0
        Hysteresis of the extrema and the excursion past rest that makes a swing, deg.
    rest_window_s : float, default 1.0
        The final stretch of the run averaged for the resting angle, s.

    Returns
    -------
    PendulumMetrics
        The metrics (NaN where undefined, e.g. no flexion peak).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.joints import knee_pendulum_model
    >>> from reflexsim.metrics import pendulum_metrics
    >>> from reflexsim.protocols import PendulumTest
    >>> m = pendulum_metrics(rs.simulate(knee_pendulum_model("healthy"), PendulumTest(), duration_s=10.0))
    >>> round(m.relaxation_index, 2), m.swings, m.settled
    (1.63, 7, True)
    """
    t, angle = result.time_s, result.angle_deg
    after = t >= result.events.hold_start_s
    k0 = int(np.argmax(after))
    start = float(angle[k0])
    window = angle[t >= t[-1] - rest_window_s]
    rest = float(window.mean())
    settled = bool(window.max() - window.min() < swing_threshold_deg)
    extrema = _zigzag(angle[k0:], swing_threshold_deg)
    peaks = [k0 + k for k, d in extrema if d > 0]
    first = float(angle[peaks[0]]) if peaks else math.nan
    r2 = (first - start) / (rest - start) if rest != start else math.nan
    swings = sum(1 for k in peaks if angle[k] - rest >= swing_threshold_deg)
    period = float(t[peaks[1]] - t[peaks[0]]) if len(peaks) >= 2 else math.nan
    return PendulumMetrics(
        start_deg=start,
        rest_deg=rest,
        settled=settled,
        first_peak_deg=first,
        first_swing_deg=first - start,
        relaxation_index=r2,
        normalised_index=r2 / R2_NORMAL,
        swings=swings,
        period_s=period,
    )

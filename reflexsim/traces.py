"""Recorded traces: a clonus test recorded in the lab, graded like a simulated run.

A `Trace` holds what the grading needs: time (s), the ankle angle (rad, dorsiflexion > 0), an
EMG-like envelope, optionally the reflex torque (N·m, resisting dorsiflexion > 0), and three event
times (the stretch starts, the hold starts, the reflex catch window ends). `as_trace` makes one
from a simulated `Result`, from a pandas DataFrame or an xarray Dataset of the shape that
`Result.to_dataframe()` / `Result.to_xarray()` and `Trace.to_dataframe()` / `Trace.to_xarray()`
produce, or from a file (`read`); `reflexsim.metrics.clonus_metrics` and `beats_table` grade any of
these through `as_trace`, so a recording and a simulation meet the same detector and grades.

Files (`read`):

* **CSV/TSV** (``.csv``, ``.tsv``, ``.txt``; comma, tab or semicolon): one header line, then one row
  per sample. Lines starting with ``#`` before the header may carry ``# key = value`` metadata;
  ``stretch_start_s``, ``hold_start_s`` and ``catch_end_s`` are read from there (`write_csv`
  writes them). Columns are found by name, the unit after the last underscore or in brackets:
  ``time_s`` / ``time (ms)``; ``angle_deg`` / ``ankle_angle (rad)`` (also ``theta``); raw EMG
  ``emg``, ``emg_mv``, ``emg (uV)``; an already enveloped EMG ``emg_envelope`` or the simulated
  ``excitation``; ``reflex_torque_nm``. Other columns are ignored. Time and angle need a unit
  (the name, or ``time_unit`` / ``angle_unit``); EMG units only scale it.
* **C3D** (``.c3d``, needs ``pip install reflexsim[c3d]`` for ezc3d): the angle from a point
  (its first, sagittal component, e.g. Plug-in Gait's ``LAnkleAngles``) or an analog channel, the
  EMG from an analog channel; the angle is linearly interpolated onto the EMG's (analog) clock,
  which moves no extremum of the angle and so changes no beat.

Checks (one-line `TraceError` naming the column and the valid range): the sampling rate lies in
100 Hz – 10 kHz (raw EMG: at least 1 kHz); time strictly increases with no step longer than 1.5
median steps; no NaN or empty cell; the angle stays within ±90°; the graded part lasts at least
1 s after the hold starts (three beats at 3 Hz).

EMG processing (raw EMG only): the mean is removed; band-pass 20–450 Hz, 4th-order Butterworth
applied forwards and backwards (zero phase): 20 Hz is the high-pass corner De Luca et al. (2010,
J Biomech 43:1573) recommend against movement artefact, and surface EMG has little power above
~450 Hz (SENIAM: Hermens et al. 2000, J Electromyogr Kinesiol 10:361); full-wave rectification;
low-pass 50 Hz, 2nd-order Butterworth forwards and backwards — the linear envelope Hodges & Bui
(1996, Electroencephalogr Clin Neurophysiol 101:511) found best for onset timing among 10, 50 and
500 Hz; a 6 Hz gait envelope would merge the bursts of 5–8 Hz clonus.

Hold start: the beats are counted from the moment the examiner's pressure takes over from the
stretch. Given (``hold_start_s``, ``--hold-start-s``) or in the file's metadata, that is used;
otherwise it is detected on the angle as the end of the examiner's stretch: once the angle has
risen 5° above its lowest value so far, the first maximum the beat detector confirms (followed by
a fall of 1°, the default beat threshold) is the hold start; the stretch starts at the last moment
before the 5° rise when the angle was within 5 % of the rise to that maximum above its minimum. A
trace that starts in the middle of clonus, or whose stretch is smaller than 5°, needs the hold
start given. The catch window ends 0.3 s after
the hold starts, as in the simulated protocols.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import kernel
from .errors import TraceError
from .protocols import CATCH_WINDOW_S
from .simulation import Result

MIN_RATE_HZ, MAX_RATE_HZ = 100.0, 10_000.0
RAW_EMG_MIN_RATE_HZ = 1000.0  # the 450 Hz band edge must stay below Nyquist (SENIAM: sample EMG at >= 1 kHz)
EMG_BAND_HZ = (20.0, 450.0)
EMG_BAND_ORDER = 4
EMG_ENVELOPE_HZ = 50.0
EMG_ENVELOPE_ORDER = 2
MAX_STEP_RATIO = 1.5  # a time step longer than this many median steps is a gap (missing samples)
MAX_ABS_ANGLE_DEG = 90.0
MIN_GRADED_S = 1.0  # after the hold starts: three beats at 3 Hz
STRETCH_MIN_DEG = 5.0  # smallest examiner's stretch the hold-start detection recognises
STRETCH_ONSET_FRACTION = 0.05
STRETCH_END_FALL_DEG = 1.0  # the default beat threshold: the stretch ends where a fall of a beat's size starts
# A reflex burst: the envelope rises above its running minimum within the beat's cycle by more
# than max(BURST_NOISE_SDS x the SD of the envelope before the stretch, BURST_FRACTION_OF_MAX x its
# largest value after the stretch starts). 3 SD of the baseline is the onset threshold of Hodges &
# Bui (1996); the fraction of the maximum (model choice) sets a floor for noise-free signals such as
# the simulated excitation.
BURST_NOISE_SDS = 3.0
BURST_FRACTION_OF_MAX = 0.05

EVENT_KEYS = ("stretch_start_s", "hold_start_s", "catch_end_s")

# Column roles: the names they go by (lower case, spaces and hyphens as underscores) and their units
# (name -> factor to SI). An EMG or envelope column may have no unit (arbitrary units).
_ROLE_NAMES = {
    "time": ("time", "t"),
    "angle": ("angle", "ankle_angle", "theta"),
    "emg": ("emg", "raw_emg", "emg_raw"),
    "envelope": ("emg_envelope", "envelope", "excitation"),
    "torque": ("reflex_torque",),
}
_EMG_UNITS = {"v": 1.0, "mv": 1e-3, "uv": 1e-6}
_ROLE_UNITS: dict[str, dict[str, float]] = {
    "time": {"s": 1.0, "ms": 1e-3},
    "angle": {"deg": math.pi / 180.0, "rad": 1.0},
    "emg": _EMG_UNITS,
    "envelope": {**_EMG_UNITS, "1": 1.0},
    "torque": {"nm": 1.0, "n·m": 1.0, "n.m": 1.0, "n_m": 1.0},
}
_UNITLESS_OK = ("emg", "envelope")
_ROLE_WORDS = {
    "time": "time",
    "angle": "ankle angle",
    "emg": "raw EMG",
    "envelope": "EMG envelope",
    "torque": "reflex torque",
}
_ALL_UNITS = {u for units in _ROLE_UNITS.values() for u in units}


@dataclass(frozen=True, eq=False)
class Trace:
    """A clonus test to grade: named arrays on one time base, and its event times (s).

    `envelope` is an EMG-like envelope (the simulated `excitation`, a fraction of full recruitment,
    or an enveloped EMG in V) or None; `angle_rad` is None for an EMG-only recording;
    `reflex_torque_nm` (active torque above rest, resisting dorsiflexion > 0) is None when not
    recorded. `notes` say where the events came from and how the EMG was processed. Build one
    with `as_trace`, `read`, `from_columns` or `from_result`, which check it.

    Attributes
    ----------
    time_s : numpy.ndarray
        Sample times, s, strictly increasing.
    angle_rad : numpy.ndarray or None
        Ankle angle, rad (dorsiflexion > 0); None for an EMG-only recording.
    envelope : numpy.ndarray or None
        EMG-like envelope, in `envelope_unit`; None without an EMG.
    reflex_torque_nm : numpy.ndarray or None
        Reflex torque, N·m (resisting dorsiflexion > 0); None when not recorded.
    stretch_start_s : float
        When the examiner's stretch starts, s.
    hold_start_s : float
        When the hold starts (beats are counted from here), s.
    catch_end_s : float
        End of the window in which the reflex catch is graded, s.
    envelope_unit : str, default "1"
        Unit of `envelope` (``"1"``: fraction of full recruitment).
    source : str, default ""
        Where the trace came from (a file name, ``"reflexsim simulation: severe"``).
    notes : tuple of str, default ()
        How the events were found and the EMG processed.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import from_result
    >>> trace = from_result(rs.simulate(rs.preset("severe"), duration_s=3.0))
    >>> trace
    Trace(stretch_start_s=0.2, hold_start_s=0.24, catch_end_s=0.54, envelope_unit='1',
          source='reflexsim simulation: severe', notes=('events from the simulated protocol',))
    >>> float(trace.sampling_rate_hz), rs.clonus_metrics(trace).beats
    (2000.0, 14)
    """

    time_s: np.ndarray = field(repr=False)
    angle_rad: np.ndarray | None = field(repr=False)
    envelope: np.ndarray | None = field(repr=False)
    reflex_torque_nm: np.ndarray | None = field(repr=False)
    stretch_start_s: float
    hold_start_s: float
    catch_end_s: float
    envelope_unit: str = "1"
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def angle_deg(self) -> np.ndarray | None:
        """Ankle angle in degrees (None for an EMG-only recording)."""
        return None if self.angle_rad is None else np.degrees(self.angle_rad)

    @property
    def sampling_rate_hz(self) -> float:
        """Mean sampling rate, Hz."""
        return (self.time_s.size - 1) / (self.time_s[-1] - self.time_s[0])

    def columns(self) -> dict[str, np.ndarray]:
        """The named arrays, with the column names `read` recognises (time first).

        Returns
        -------
        dict of str to numpy.ndarray
            ``time_s``, then ``angle_rad``, the envelope (``excitation`` or ``emg_envelope...``) and
            ``reflex_torque_nm`` where present.

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.traces import from_result
        >>> list(from_result(rs.simulate(rs.preset("severe"), duration_s=1.0)).columns())
        ['time_s', 'angle_rad', 'excitation', 'reflex_torque_nm']
        """
        cols = {"time_s": self.time_s}
        if self.angle_rad is not None:
            cols["angle_rad"] = self.angle_rad
        if self.envelope is not None:
            unit = self.envelope_unit
            name = {"1": "excitation", "a.u.": "emg_envelope"}.get(unit, f"emg_envelope_{unit.lower()}")
            cols[name] = self.envelope
        if self.reflex_torque_nm is not None:
            cols["reflex_torque_nm"] = self.reflex_torque_nm
        return cols

    def attrs(self) -> dict[str, Any]:
        """The metadata files and tables carry: the event times, the source and the notes.

        Returns
        -------
        dict
            ``stretch_start_s``, ``hold_start_s``, ``catch_end_s``, ``source`` and ``notes`` (one
            str).
        """
        return {**{k: getattr(self, k) for k in EVENT_KEYS}, "source": self.source, "notes": "; ".join(self.notes)}

    def to_dataframe(self) -> Any:
        """A pandas DataFrame indexed by ``time_s`` (events and notes in ``.attrs``).

        Returns
        -------
        pandas.DataFrame
            The `columns` but time, indexed by time; `from_dataframe` reads it back.

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.traces import from_result
        >>> frame = from_result(rs.simulate(rs.preset("severe"), duration_s=1.0)).to_dataframe()
        >>> frame.columns.tolist(), frame.attrs["hold_start_s"]
        (['angle_rad', 'excitation', 'reflex_torque_nm'], 0.24)
        """
        return to_dataframe(self.columns(), self.attrs())

    def to_xarray(self) -> Any:
        """An xarray Dataset on the ``time_s`` coordinate (events and notes in ``.attrs``).

        Returns
        -------
        xarray.Dataset
            One variable per column, its unit in ``units``; `from_xarray` reads it back.

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.traces import from_result
        >>> ds = from_result(rs.simulate(rs.preset("severe"), duration_s=1.0)).to_xarray()
        >>> list(ds.data_vars), ds["angle_rad"].attrs["units"]
        (['angle_rad', 'excitation', 'reflex_torque_nm'], 'rad')
        """
        return to_xarray(self.columns(), self.attrs())


def result_columns(result: Result) -> dict[str, np.ndarray]:
    """A simulated run's named arrays plus the reflex torque the grades read (time first).

    Parameters
    ----------
    result : Result
        The simulated run.

    Returns
    -------
    dict of str to numpy.ndarray
        `Result.arrays` and ``reflex_torque_nm``.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import result_columns
    >>> columns = result_columns(rs.simulate(rs.preset("severe"), duration_s=1.0))
    >>> list(columns)[:2], list(columns)[-1]
    (['time_s', 'angle_rad'], 'reflex_torque_nm')
    """
    return {**result.arrays(), "reflex_torque_nm": result.reflex_torque_nm}


def result_attrs(result: Result) -> dict[str, Any]:
    """A simulated run's metadata for tables and files: event times, source, step and holding torque.

    Parameters
    ----------
    result : Result
        The simulated run.

    Returns
    -------
    dict
        ``stretch_start_s``, ``hold_start_s``, ``catch_end_s`` (s), ``source``, ``dt_s`` (s) and
        ``holding_torque_nm`` (N·m).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import result_attrs
    >>> attrs = result_attrs(rs.simulate(rs.preset("severe"), duration_s=1.0))
    >>> attrs["hold_start_s"], attrs["source"], attrs["dt_s"]
    (0.24, 'reflexsim simulation: severe', 0.0005)
    """
    ev = result.events
    return {
        **{k: float(getattr(ev, k)) for k in EVENT_KEYS},
        "source": f"reflexsim simulation: {result.model.name}",
        "dt_s": result.dt_s,
        "holding_torque_nm": result.holding_torque_nm,
    }


def from_result(result: Result) -> Trace:
    """The grading view of a simulated run (its excitation is the envelope; no checks needed).

    Parameters
    ----------
    result : Result
        The simulated run.

    Returns
    -------
    Trace
        Its time, angle, excitation (as the envelope) and reflex torque, with the protocol's event
        times.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import from_result
    >>> trace = from_result(rs.simulate(rs.preset("severe"), duration_s=1.0))
    >>> trace.hold_start_s, trace.envelope_unit, trace.notes
    (0.24, '1', ('events from the simulated protocol',))
    """
    ev = result.events
    return Trace(
        time_s=result.time_s,
        angle_rad=result.angle_rad,
        envelope=result.excitation,
        reflex_torque_nm=result.reflex_torque_nm,
        stretch_start_s=ev.stretch_start_s,
        hold_start_s=ev.hold_start_s,
        catch_end_s=ev.catch_end_s,
        source=f"reflexsim simulation: {result.model.name}",
        notes=("events from the simulated protocol",),
    )


# ---------------------------------------------------------------------------------------------
# pandas / xarray shapes (shared by Result and Trace)


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise TraceError(f"this needs {module}: pip install 'reflexsim[{extra}]'") from None


def to_dataframe(columns: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> Any:
    """DataFrame indexed by the first column (``time_s``), other columns as given, attrs copied.

    Needs pandas (``pip install 'reflexsim[sweep]'``).

    Parameters
    ----------
    columns : mapping of str to array
        Named columns, time first.
    attrs : mapping
        Metadata copied into ``.attrs``.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    TraceError
        If pandas is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.traces import to_dataframe
    >>> frame = to_dataframe({"time_s": np.arange(3) * 0.1, "angle_deg": np.zeros(3)}, {"source": "demo"})
    >>> frame.index.name, frame.columns.tolist(), frame.attrs
    ('time_s', ['angle_deg'], {'source': 'demo'})
    """
    pd = _require("pandas", "sweep")
    names = list(columns)
    frame = pd.DataFrame({n: columns[n] for n in names[1:]}, index=pd.Index(columns[names[0]], name=names[0]))
    frame.attrs.update(attrs)
    return frame


def to_xarray(columns: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> Any:
    """Dataset on the first column (``time_s``) as coordinate; each variable's unit from its name.

    Needs xarray (``pip install 'reflexsim[sweep]'``).

    Parameters
    ----------
    columns : mapping of str to array
        Named columns, time first.
    attrs : mapping
        Metadata copied into ``.attrs``.

    Returns
    -------
    xarray.Dataset
        The dataset; a name without a unit gets ``units = "1"``.

    Raises
    ------
    TraceError
        If xarray is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.traces import to_xarray
    >>> ds = to_xarray({"time_s": np.arange(3) * 0.1, "angle_deg": np.zeros(3)}, {"source": "demo"})
    >>> ds["angle_deg"].attrs["units"], ds["time_s"].attrs["units"]
    ('deg', 's')
    """
    xr = _require("xarray", "sweep")
    names = list(columns)
    dim = names[0]
    ds = xr.Dataset(
        {n: (dim, columns[n], {"units": _unit_of(n)}) for n in names[1:]},
        coords={dim: (dim, columns[dim], {"units": "s"})},
        attrs=dict(attrs),
    )
    return ds


def _unit_of(name: str) -> str:
    _, unit = _split_name(name)
    return unit or "1"


# ---------------------------------------------------------------------------------------------
# Column names and units


def _normalise(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().strip('"').strip().lower())


def _normalise_unit(text: str) -> str:
    u = text.strip().lower().replace("°", "deg").replace("µ", "u").replace("μ", "u").replace(" ", "")
    return {"degrees": "deg", "degree": "deg", "radians": "rad", "sec": "s", "n*m": "nm"}.get(u, u)


_ROLE_OF_NAME = {name: role for role, names in _ROLE_NAMES.items() for name in names}


def _split_name(name: str) -> tuple[str, str | None]:
    """(base, unit) of a column name: ``angle (deg)``, ``angle [deg]``, ``angle_deg``, ``excitation``."""
    m = re.fullmatch(r"(.*?)\s*[\(\[]\s*([^\)\]]*?)\s*[\)\]]\s*", name.strip().strip('"'))
    if m:
        return _normalise(m.group(1)), _normalise_unit(m.group(2))
    base = _normalise(name)
    if base in _ROLE_OF_NAME:
        return base, None
    head, sep, tail = base.rpartition("_")
    if sep and (tail in _ALL_UNITS or head in _ROLE_OF_NAME):
        return head, _normalise_unit(tail)
    return base, None


@dataclass(frozen=True)
class _Column:
    name: str  # as in the file
    role: str
    scale: float  # to SI
    unit: str  # as understood ("deg", "mv", ...; "" for arbitrary units)


def _column(name: str, role: str, unit_override: str | None, where: str) -> _Column:
    _, unit = _split_name(name)
    if unit_override is not None:
        unit = _normalise_unit(unit_override)
    units = _ROLE_UNITS[role]
    if unit is None:
        if role in _UNITLESS_OK:
            return _Column(name, role, 1.0, "")
        option = f"{role}_unit"
        raise TraceError(
            f"{where}: column {name!r} ({_ROLE_WORDS[role]}) has no unit: name it {role}_{next(iter(units))} "
            f"or pass {option} / --{option.replace('_', '-')} (known: {', '.join(units)})"
        )
    if unit not in units:
        raise TraceError(
            f"{where}: column {name!r} ({_ROLE_WORDS[role]}) has unknown unit {unit!r}; known units: {', '.join(units)}"
        )
    return _Column(name, role, units[unit], unit)


def resolve_columns(
    names: Sequence[str],
    where: str,
    *,
    time_column: str | None = None,
    angle_column: str | None = None,
    emg_column: str | None = None,
    torque_column: str | None = None,
    time_unit: str | None = None,
    angle_unit: str | None = None,
    emg_kind: str | None = None,
) -> dict[str, _Column]:
    """Which column plays which role (time, angle, emg or envelope, torque), with its unit.

    Columns are recognised by name (the module docs list the names); the options choose a column
    or a unit explicitly.

    Parameters
    ----------
    names : sequence of str
        The column names.
    where : str
        The source (a file name), for messages.
    time_column, angle_column, emg_column, torque_column : str, optional
        The column to use for that role.
    time_unit : str, optional
        ``"s"`` or ``"ms"``, for a time column whose name has no unit.
    angle_unit : str, optional
        ``"deg"`` or ``"rad"``, for an angle column whose name has no unit.
    emg_kind : {"raw", "envelope"}, optional
        Whether the EMG column is raw (to be enveloped) or already an envelope.

    Returns
    -------
    dict
        Role -> the column's name, role, factor to SI (``scale``) and unit as understood.

    Raises
    ------
    TraceError
        If there is no time column, no angle or EMG column, an ambiguous or missing column, or a
        missing or unknown unit.

    Examples
    --------
    >>> from reflexsim.traces import resolve_columns
    >>> spec = resolve_columns(["time (ms)", "ankle_angle (deg)", "EMG (uV)", "notes"], "lab.csv")
    >>> {role: (c.name, c.unit) for role, c in spec.items()}
    {'time': ('time (ms)', 'ms'), 'angle': ('ankle_angle (deg)', 'deg'), 'emg': ('EMG (uV)', 'uv')}
    """
    if emg_kind not in (None, "raw", "envelope"):
        raise TraceError(f"emg_kind = {emg_kind!r} must be 'raw' or 'envelope'")
    listed = ", ".join(repr(n) for n in names) or "none"
    found: dict[str, list[str]] = {role: [] for role in _ROLE_NAMES}
    for name in names:
        role = _ROLE_OF_NAME.get(_split_name(name)[0])
        if role is not None:
            found[role].append(name)
    chosen: dict[str, str] = {}
    explicit = {"time": time_column, "angle": angle_column, "emg": emg_column, "torque": torque_column}
    for role, column in explicit.items():
        if column is not None:
            if column not in names:
                option = f"{role}_column"
                raise TraceError(f"{where}: no column {column!r} (given as {option}); columns: {listed}")
            chosen[role] = column
    if "emg" in chosen:  # an explicit EMG column: raw unless its name or emg_kind says envelope
        named = _ROLE_OF_NAME.get(_split_name(chosen["emg"])[0])
        if (emg_kind or ("envelope" if named == "envelope" else "raw")) == "envelope":
            chosen["envelope"] = chosen.pop("emg")
    for role, candidates in found.items():
        if role in chosen or (role in ("emg", "envelope") and ({"emg", "envelope"} & set(chosen))):
            continue
        if len(candidates) > 1:
            option = "emg_column" if role == "envelope" else f"{role}_column"
            raise TraceError(
                f"{where}: several {_ROLE_WORDS[role]} columns ({', '.join(map(repr, candidates))}); "
                f"choose one with {option} / --{option.replace('_', '-')}"
            )
        if candidates:
            chosen[role] = candidates[0]
    if "emg" in chosen and "envelope" in chosen:  # a raw EMG beside an envelope: the raw one is processed
        del chosen["envelope"]
    if "emg" in chosen and emg_kind == "envelope":
        chosen["envelope"] = chosen.pop("emg")
    if "time" not in chosen:
        raise TraceError(f"{where}: no time column (name it time_s or time_ms, or pass time_column); columns: {listed}")
    if "angle" not in chosen and "emg" not in chosen and "envelope" not in chosen:
        raise TraceError(
            f"{where}: no ankle angle or EMG column (name one angle_deg, angle_rad, emg or emg_envelope, "
            f"or pass angle_column / emg_column); columns: {listed}"
        )
    overrides = {"time": time_unit, "angle": angle_unit}
    return {role: _column(name, role, overrides.get(role), where) for role, name in chosen.items()}


# ---------------------------------------------------------------------------------------------
# Building a checked Trace from named columns


def from_columns(
    columns: Mapping[str, Any],
    attrs: Mapping[str, Any] | None = None,
    *,
    source: str = "trace",
    hold_start_s: float | None = None,
    stretch_start_s: float | None = None,
    **column_options: Any,
) -> Trace:
    """A checked `Trace` from named columns (file, DataFrame or Dataset) and metadata `attrs` (event times).

    The checks and the hold-start detection are the module docs'; a raw EMG is enveloped.

    Parameters
    ----------
    columns : mapping of str to array
        Named columns (time, angle and/or EMG, optionally reflex torque).
    attrs : mapping, optional
        Metadata; ``stretch_start_s``, ``hold_start_s`` and ``catch_end_s`` are read from it.
    source : str, default "trace"
        Where the columns came from, for messages and `Trace.source`.
    hold_start_s : float, optional
        When the hold starts, s (default: `attrs`, else detected on the angle).
    stretch_start_s : float, optional
        When the stretch starts, s (default: `attrs`, else detected, else the hold start).
    **column_options
        Options of `resolve_columns` (``time_column``, ``angle_unit``, ``emg_kind``, ...).

    Returns
    -------
    Trace
        The checked trace, its `notes` saying how the events were found.

    Raises
    ------
    TraceError
        If a column is missing or ambiguous, a check fails, or the hold start cannot be found.

    Examples
    --------
    A synthetic recording: a 10° stretch, then a decaying 5.5 Hz clonus.

    >>> import numpy as np
    >>> t = np.arange(0.0, 3.0, 0.001)  # 1 kHz
    >>> stretch = np.clip((t - 0.2) * 250.0, 0.0, 10.0)  # 10° at 250 °/s from t = 0.2 s
    >>> beats = np.where(t > 0.24, -4.0 * np.sin(2 * np.pi * 5.5 * (t - 0.24)) * np.exp(-0.3 * (t - 0.24)), 0.0)
    >>> from reflexsim.traces import from_columns
    >>> trace = from_columns({"time_s": t, "angle_deg": stretch + beats}, source="synthetic")
    >>> trace.stretch_start_s, trace.hold_start_s, trace.catch_end_s
    (0.201, 0.24, 0.54)
    >>> import reflexsim as rs
    >>> metrics = rs.clonus_metrics(trace)
    >>> metrics.beats, round(metrics.frequency_hz, 1), metrics.tardieu
    (15, 5.5, 3)
    """
    attrs = dict(attrs or {})
    spec = resolve_columns(list(columns), source, **column_options)
    arrays = {role: np.asarray(columns[c.name], dtype=float).ravel() * c.scale for role, c in spec.items()}
    time = arrays["time"]
    t_name = spec["time"].name
    if time.size < 2:
        raise TraceError(f"{source}: {time.size} sample(s); a trace needs at least {MIN_GRADED_S:g} s of samples")
    for role, values in arrays.items():
        _check_finite(values, spec[role].name, time, source)
    _check_time(time, t_name, source)
    rate = (time.size - 1) / (time[-1] - time[0])
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise TraceError(
            f"{source}: column {t_name!r} gives a sampling rate of {rate:.6g} Hz; valid range "
            f"{MIN_RATE_HZ:g} to {MAX_RATE_HZ:g} Hz (is the time unit right?)"
        )
    notes: list[str] = []
    angle = arrays.get("angle")
    if angle is not None:
        worst = float(np.max(np.abs(angle)))
        if worst > math.radians(MAX_ABS_ANGLE_DEG):
            raise TraceError(
                f"{source}: column {spec['angle'].name!r} reaches {math.degrees(worst):.4g}°; valid range "
                f"-{MAX_ABS_ANGLE_DEG:g} to {MAX_ABS_ANGLE_DEG:g}° (is the angle unit right?)"
            )
    envelope, envelope_unit = arrays.get("envelope"), "1"
    if "envelope" in spec:
        named = _split_name(spec["envelope"].name)[0]
        envelope_unit = "1" if named == "excitation" else _unit_label(spec["envelope"].unit)
        notes.append(f"EMG envelope {spec['envelope'].name!r} used as recorded")
    if "emg" in spec:
        if rate < RAW_EMG_MIN_RATE_HZ:
            raise TraceError(
                f"{source}: raw EMG column {spec['emg'].name!r} is sampled at {rate:.6g} Hz; enveloping it needs "
                f"at least {RAW_EMG_MIN_RATE_HZ:g} Hz (pass emg_kind='envelope' / --emg-kind envelope if it is "
                f"already an envelope)"
            )
        envelope = emg_envelope(arrays["emg"], rate)
        envelope_unit = _unit_label(spec["emg"].unit)
        notes.append(f"EMG {spec['emg'].name!r}: {ENVELOPE_RECIPE}")
    stretch, hold, catch_end, how = _events(time, angle, attrs, hold_start_s, stretch_start_s, source)
    notes.append(how)
    if time[-1] - hold < MIN_GRADED_S:
        raise TraceError(
            f"{source}: the trace ends {time[-1] - hold:.3g} s after the hold starts (t = {hold:g} s); grading "
            f"needs at least {MIN_GRADED_S:g} s after it"
        )
    return Trace(
        time_s=time,
        angle_rad=angle,
        envelope=envelope,
        reflex_torque_nm=arrays.get("torque"),
        stretch_start_s=stretch,
        hold_start_s=hold,
        catch_end_s=catch_end,
        envelope_unit=envelope_unit,
        source=source,
        notes=tuple(notes),
    )


def _unit_label(unit: str) -> str:
    """The unit of an EMG or envelope column after scaling to SI: V, or arbitrary units."""
    return "a.u." if unit in ("", "1") else "V"


def _check_finite(values: np.ndarray, name: str, time: np.ndarray, source: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        at = f"t = {time[i]:g} s, data row {i + 1}" if np.isfinite(time[i]) else f"data row {i + 1}"
        raise TraceError(
            f"{source}: column {name!r} has {int(bad.sum())} NaN or empty value(s), the first at {at}; "
            f"fill or cut the gap (reflexsim does not interpolate)"
        )


def _check_time(time: np.ndarray, name: str, source: str) -> None:
    step = np.diff(time)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0))
        what = "repeats" if step[i] == 0 else "goes back"
        raise TraceError(
            f"{source}: column {name!r} {what} at row {i + 2} (t = {time[i]:g} s then {time[i + 1]:g} s); time must "
            f"strictly increase (no duplicated or unsorted samples)"
        )
    typical = float(np.median(step))
    if (step > MAX_STEP_RATIO * typical).any():
        i = int(np.argmax(step > MAX_STEP_RATIO * typical))
        raise TraceError(
            f"{source}: column {name!r} jumps from {time[i]:g} s to {time[i + 1]:g} s (row {i + 2}), "
            f"{step[i] / typical:.3g} times its usual step of {typical:g} s; missing samples are a gap"
        )


def _events(
    time: np.ndarray,
    angle: np.ndarray | None,
    attrs: Mapping[str, Any],
    hold_start_s: float | None,
    stretch_start_s: float | None,
    source: str,
) -> tuple[float, float, float, str]:
    """(stretch start, hold start, catch end, how they were found)."""
    meta = {k: _meta_float(attrs, k, source) for k in EVENT_KEYS}
    detected: tuple[float, float] | None = None
    if hold_start_s is not None:
        hold, how = float(hold_start_s), f"hold start {float(hold_start_s):g} s as given"
    elif meta["hold_start_s"] is not None:
        hold, how = meta["hold_start_s"], f"hold start {meta['hold_start_s']:g} s from the file's metadata"
    elif angle is not None:
        detected = detect_hold_start(time, angle, source)
        hold = detected[1]
        how = (
            f"hold start {hold:g} s detected: the end of the first dorsiflexion of at least {STRETCH_MIN_DEG:g}° "
            f"(stretch from {detected[0]:g} s)"
        )
    else:
        raise TraceError(
            f"{source}: an EMG-only trace needs the hold start (hold_start_s / --hold-start-s): "
            f"it is detected on the ankle angle"
        )
    if not (math.isfinite(hold) and time[0] <= hold < time[-1]):
        raise TraceError(f"{source}: hold_start_s = {hold:g} s is outside the trace ({time[0]:g} to {time[-1]:g} s)")
    if stretch_start_s is not None:
        stretch = float(stretch_start_s)
    elif meta["stretch_start_s"] is not None:
        stretch = meta["stretch_start_s"]
    else:
        if detected is None and angle is not None:
            try:
                detected = detect_hold_start(time, angle, source)
            except TraceError:
                detected = None
        stretch = detected[0] if detected is not None and detected[0] <= hold else hold
    if not (math.isfinite(stretch) and time[0] <= stretch <= hold):
        raise TraceError(
            f"{source}: stretch_start_s = {stretch:g} s must lie between the trace's start ({time[0]:g} s) "
            f"and the hold start ({hold:g} s)"
        )
    catch_end = meta["catch_end_s"] if meta["catch_end_s"] is not None else hold + CATCH_WINDOW_S
    return stretch, hold, catch_end, how


def _meta_float(attrs: Mapping[str, Any], key: str, source: str) -> float | None:
    if key not in attrs or attrs[key] is None or attrs[key] == "":
        return None
    try:
        value = float(attrs[key])
    except (TypeError, ValueError):
        raise TraceError(f"{source}: metadata {key} = {attrs[key]!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise TraceError(f"{source}: metadata {key} = {attrs[key]!r} is not a finite number of seconds")
    return value


def detect_hold_start(time_s: np.ndarray, angle_rad: np.ndarray, source: str = "trace") -> tuple[float, float]:
    """(stretch start, hold start) of the examiner's stretch: see the module docs.

    Parameters
    ----------
    time_s : numpy.ndarray
        Sample times, s.
    angle_rad : numpy.ndarray
        Ankle angle, rad (dorsiflexion > 0).
    source : str, default "trace"
        Where the trace came from, for the message.

    Returns
    -------
    tuple of (float, float)
        The stretch start and the hold start, s.

    Raises
    ------
    TraceError
        If no dorsiflexion of 5° or more ends in a maximum.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0.0, 3.0, 0.001)  # 1 kHz
    >>> stretch = np.clip((t - 0.2) * 250.0, 0.0, 10.0)  # 10° at 250 °/s from t = 0.2 s
    >>> beats = np.where(t > 0.24, -4.0 * np.sin(2 * np.pi * 5.5 * (t - 0.24)) * np.exp(-0.3 * (t - 0.24)), 0.0)
    >>> from reflexsim.traces import detect_hold_start
    >>> detect_hold_start(t, np.radians(stretch + beats))
    (0.201, 0.24)
    """
    rise = angle_rad - np.minimum.accumulate(angle_rad)
    risen = np.flatnonzero(rise >= math.radians(STRETCH_MIN_DEG))
    if risen.size:
        k = int(risen[0])
        lo = float(np.min(angle_rad[: k + 1]))
        t = time_s[k:]  # from there, the first maximum the beat detector confirms ends the stretch
        _, kinds, times, values = kernel.detect_events(
            t, angle_rad[k:], np.zeros_like(t), t[0], t[0], t[0], math.radians(STRETCH_END_FALL_DEG), 0.0, 0.0
        )
        ends = np.flatnonzero(kinds != kernel.EXTREMUM_MIN)
        if ends.size:
            hold, hi = float(times[ends[0]]), float(values[ends[0]])
            low = np.flatnonzero(angle_rad[: k + 1] <= lo + STRETCH_ONSET_FRACTION * (hi - lo))
            return float(time_s[low[-1]]), hold
    raise TraceError(
        f"{source}: no dorsiflexion of {STRETCH_MIN_DEG:g}° or more that ends in a maximum, so the hold start "
        f"cannot be detected; pass hold_start_s / --hold-start-s"
    )


# ---------------------------------------------------------------------------------------------
# EMG

ENVELOPE_RECIPE = (
    f"mean removed, band-pass {EMG_BAND_HZ[0]:g}-{EMG_BAND_HZ[1]:g} Hz ({EMG_BAND_ORDER}th-order Butterworth, "
    f"zero phase), full-wave rectified, low-pass {EMG_ENVELOPE_HZ:g} Hz ({EMG_ENVELOPE_ORDER}nd-order Butterworth, "
    f"zero phase)"
)


def emg_envelope(emg: np.ndarray, sampling_rate_hz: float) -> np.ndarray:
    """Linear envelope of a raw EMG sampled at `sampling_rate_hz` (>= 1 kHz): see the module docs.

    Band-pass 20–450 Hz, full-wave rectification, low-pass 50 Hz, all zero phase (`ENVELOPE_RECIPE`).

    Parameters
    ----------
    emg : numpy.ndarray
        The raw EMG, any unit.
    sampling_rate_hz : float
        Its sampling rate, Hz (at least 1000).

    Returns
    -------
    numpy.ndarray
        The envelope, same length and unit as `emg`.

    Raises
    ------
    TraceError
        If `sampling_rate_hz` is below 1 kHz.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.traces import emg_envelope
    >>> t = np.arange(0.0, 2.0, 0.001)
    >>> bursts = 1.0 + 5.0 * (np.sin(2 * np.pi * 5.5 * t) > 0.8)  # 5.5 Hz bursts of activity
    >>> envelope = emg_envelope(np.random.default_rng(0).normal(0.0, 1.0, t.size) * bursts, 1000.0)
    >>> envelope.shape, bool(envelope[bursts > 1].mean() > 2 * envelope[bursts == 1].mean())
    ((2000,), True)
    """
    from scipy import signal

    if sampling_rate_hz < RAW_EMG_MIN_RATE_HZ:
        raise TraceError(
            f"sampling_rate_hz = {sampling_rate_hz:g} is below the {RAW_EMG_MIN_RATE_HZ:g} Hz raw EMG needs"
        )
    x = np.asarray(emg, dtype=float)
    band = signal.butter(EMG_BAND_ORDER, EMG_BAND_HZ, btype="bandpass", fs=sampling_rate_hz, output="sos")
    smooth = signal.butter(EMG_ENVELOPE_ORDER, EMG_ENVELOPE_HZ, btype="lowpass", fs=sampling_rate_hz, output="sos")
    rectified = np.abs(signal.sosfiltfilt(band, x - x.mean()))
    return signal.sosfiltfilt(smooth, rectified)


def burst_threshold(trace: Trace) -> float:
    """Rise of the envelope that makes a reflex burst (envelope units; NaN without an envelope).

    The larger of 3 SD of the envelope before the stretch (Hodges & Bui 1996) and 5 % of its
    largest value after the stretch starts.

    Parameters
    ----------
    trace : Trace
        The trace.

    Returns
    -------
    float
        The threshold, in the envelope's unit.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import burst_threshold, from_result
    >>> round(burst_threshold(from_result(rs.simulate(rs.preset("severe"), duration_s=1.0))), 4)
    0.05
    """
    if trace.envelope is None:
        return math.nan
    e, t = trace.envelope, trace.time_s
    before = e[t < trace.stretch_start_s]
    noise = float(np.std(before)) if before.size >= 2 else 0.0
    after = e[t >= trace.stretch_start_s]
    largest = float(np.max(after)) if after.size else float(np.max(e))
    return max(BURST_NOISE_SDS * noise, BURST_FRACTION_OF_MAX * largest)


# ---------------------------------------------------------------------------------------------
# Readers


def as_trace(source: Any, **options: Any) -> Trace:
    """A `Trace` from a Trace, a simulated `Result`, a pandas DataFrame, an xarray Dataset or a file path.

    What `reflexsim.clonus_metrics` and `reflexsim.metrics.beats_table` call on their input.

    Parameters
    ----------
    source : Trace, Result, DataFrame, Dataset, str or Path
        What to grade.
    **options
        Options as for `read` (a Result or Trace takes none).

    Returns
    -------
    Trace
        The trace (`source` itself if it is one).

    Raises
    ------
    TraceError
        If `source` is of another type, options are given for a Result or Trace, or reading fails.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import as_trace
    >>> result = rs.simulate(rs.preset("severe"), duration_s=3.0)
    >>> as_trace(result).source, as_trace(result.to_dataframe()).source, as_trace(result.to_xarray()).source
    ('reflexsim simulation: severe', 'DataFrame', 'Dataset')
    """
    if isinstance(source, Trace | Result):
        if options:
            raise TraceError(f"options {sorted(options)} apply to recorded traces, not to a {type(source).__name__}")
        return source if isinstance(source, Trace) else from_result(source)
    if isinstance(source, str | Path):
        return read(source, **options)
    kind = f"{type(source).__module__}.{type(source).__name__}"
    if kind.startswith("pandas.") and hasattr(source, "columns"):
        return from_dataframe(source, **options)
    if kind.startswith("xarray.") and hasattr(source, "data_vars"):
        return from_xarray(source, **options)
    raise TraceError(
        f"cannot grade a {type(source).__name__}: give a Result, a Trace, a file path, a pandas DataFrame or an "
        f"xarray Dataset"
    )


def from_dataframe(frame: Any, **options: Any) -> Trace:
    """A `Trace` from a DataFrame such as `Result.to_dataframe()`.

    Time is the named index or a column; the events come from ``.attrs`` or the options.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    **options
        As for `from_columns` (``source``, ``hold_start_s``, column options).

    Returns
    -------
    Trace
        The checked trace.

    Raises
    ------
    TraceError
        If the table fails a check (see `from_columns`).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import from_dataframe
    >>> trace = from_dataframe(rs.simulate(rs.preset("severe"), duration_s=3.0).to_dataframe())
    >>> trace.hold_start_s, rs.clonus_metrics(trace).beats
    (0.24, 14)
    """
    columns: dict[str, Any] = {}
    if frame.index.name is not None:
        columns[str(frame.index.name)] = frame.index.to_numpy()
    columns.update({str(c): frame[c].to_numpy() for c in frame.columns})
    return from_columns(columns, frame.attrs, source=options.pop("source", "DataFrame"), **options)


def from_xarray(dataset: Any, **options: Any) -> Trace:
    """A `Trace` from a Dataset such as `Result.to_xarray()` (one dimension: time).

    Parameters
    ----------
    dataset : xarray.Dataset
        The dataset; the events come from ``.attrs`` or the options.
    **options
        As for `from_columns`.

    Returns
    -------
    Trace
        The checked trace.

    Raises
    ------
    TraceError
        If the dataset has more than one dimension or fails a check.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.traces import from_xarray
    >>> trace = from_xarray(rs.simulate(rs.preset("severe"), duration_s=3.0).to_xarray())
    >>> trace.source, rs.clonus_metrics(trace).beats
    ('Dataset', 14)
    """
    if len(dataset.dims) != 1:
        raise TraceError(f"Dataset: expected one (time) dimension, got {dict(dataset.sizes)}")
    dim = next(iter(dataset.dims))
    columns = {str(dim): dataset[dim].values, **{str(n): dataset[n].values for n in dataset.data_vars}}
    return from_columns(columns, dataset.attrs, source=options.pop("source", "Dataset"), **options)


def read(path: str | Path, **options: Any) -> Trace:
    """Read a recorded trace (CSV/TSV or C3D) into a checked `Trace`.

    Options: ``hold_start_s``, ``stretch_start_s`` (s; else the file's metadata, else detected),
    ``time_column``, ``angle_column``, ``emg_column``, ``torque_column`` (names in the file),
    ``time_unit`` (s, ms), ``angle_unit`` (deg, rad), ``emg_kind`` ('raw' or 'envelope').

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv`` or ``.txt`` table, or a ``.c3d`` file (needs ``reflexsim[c3d]``).
    **options
        The options above.

    Returns
    -------
    Trace
        The checked trace, its `source` the path.

    Raises
    ------
    TraceError
        If the file is missing or unreadable, or the trace fails a check.

    Examples
    --------
    A simulated run written with `write_csv` into a temporary folder and read back:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import reflexsim as rs
    >>> from reflexsim.traces import read, write_csv
    >>> result = rs.simulate(rs.preset("severe"), duration_s=3.0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     trace = read(write_csv(result, Path(folder) / "run.csv"))
    >>> trace.hold_start_s, rs.clonus_metrics(trace) == rs.clonus_metrics(result)
    (0.24, True)
    """
    path = Path(path)
    if not path.is_file():
        raise TraceError(f"no such file: {path}")
    if path.suffix.lower() == ".c3d":
        columns, attrs = _read_c3d(path, options)
    else:
        columns, attrs = _read_table(path, options)
    return from_columns(columns, attrs, source=str(path), **options)


def _read_table(path: Path, options: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TraceError(f"{path}: not a text (UTF-8) CSV/TSV file") from None
    lines = text.splitlines()
    attrs: dict[str, str] = {}
    header_at = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            key, sep, value = stripped.lstrip("#").partition("=")
            if not sep:
                key, sep, value = stripped.lstrip("#").partition(":")
            if sep:
                attrs[key.strip()] = value.strip()
        elif stripped:
            header_at = i
            break
    if header_at is None:
        raise TraceError(f"{path}: no header line (column names) found")
    header = lines[header_at]
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in header else ","
    if delimiter == "," and ";" in header and "," not in header:
        delimiter = ";"
    names = [n.strip().strip('"').strip() for n in header.split(delimiter)]
    column_options = {k: v for k, v in options.items() if k not in ("hold_start_s", "stretch_start_s")}
    wanted = [c.name for c in resolve_columns(names, str(path), **column_options).values()]
    usecols = [names.index(n) for n in wanted]
    body = "\n".join(lines[header_at + 1 :])
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=delimiter, usecols=usecols, ndmin=2, comments="#")
    except ValueError:  # empty or non-numeric cells: find where (slow path, only for the message)
        data = _read_with_gaps(path, body, delimiter, usecols, names)
    return {n: data[:, j] for j, n in enumerate(wanted)}, attrs


def _read_with_gaps(path: Path, body: str, delimiter: str, usecols: list[int], names: list[str]) -> np.ndarray:
    """Parse with empty or non-numeric cells as NaN (the NaN check then names the column)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.genfromtxt(
                io.StringIO(body), delimiter=delimiter, usecols=usecols, comments="#", invalid_raise=True, ndmin=2
            )
    except ValueError as exc:
        detail = next((line.strip() for line in str(exc).splitlines() if "Line #" in line), str(exc).splitlines()[0])
        raise TraceError(f"{path}: rows do not match the {len(names)} header columns ({detail})") from None


def _read_c3d(path: Path, options: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Columns from a C3D file: the angle (point's first component or analog), the EMG (analog),
    on the analog clock when there is an EMG, else on the point clock."""
    ezc3d = _require("ezc3d", "c3d")
    where = str(path)
    try:
        c3d = ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises plain RuntimeErrors for malformed files
        raise TraceError(f"{where}: not a readable C3D file ({exc})") from None
    params = c3d["parameters"]
    point_labels = [str(s).strip() for s in params["POINT"]["LABELS"]["value"]]
    analog_labels = [str(s).strip() for s in params["ANALOG"]["LABELS"]["value"]] if "ANALOG" in params else []
    point_rate = float(params["POINT"]["RATE"]["value"][0])
    analog_rate = float(params["ANALOG"]["RATE"]["value"][0]) if analog_labels else 0.0
    first = float(c3d["header"]["points"]["first_frame"]) / point_rate if point_rate > 0 else 0.0
    angle_name = options.pop("angle_column", None) or _c3d_pick(
        point_labels + analog_labels, ("ankle", "angle"), "angle", where
    )
    emg_name = options.pop("emg_column", None) or _c3d_pick(analog_labels, ("emg",), "emg", where, required=False)
    angle_unit = options.pop("angle_unit", None)
    columns: dict[str, np.ndarray] = {}
    if emg_name is not None and emg_name not in analog_labels:
        raise TraceError(f"{where}: no analog channel {emg_name!r}; analog channels: {', '.join(analog_labels)}")
    n_analog = c3d["data"]["analogs"].shape[2] if analog_labels else 0
    analog_t = first + np.arange(n_analog) / analog_rate if n_analog else np.empty(0)
    point_t = first + np.arange(c3d["data"]["points"].shape[2]) / point_rate
    clock = analog_t if emg_name is not None else point_t
    if angle_name in point_labels:
        values = c3d["data"]["points"][0, point_labels.index(angle_name), :]
        unit = angle_unit or _c3d_unit(params["POINT"], "ANGLE_UNITS")
        if emg_name is not None:
            clock = clock[clock <= point_t[-1]]
            values = np.interp(clock, point_t, values)
    elif angle_name in analog_labels:
        values = c3d["data"]["analogs"][0, analog_labels.index(angle_name), :]
        unit = angle_unit or _c3d_unit(params["ANALOG"], "UNITS", analog_labels.index(angle_name))
        clock = analog_t
    else:
        raise TraceError(f"{where}: no point or analog channel {angle_name!r}; points: {', '.join(point_labels)}")
    columns["time_s"] = clock
    columns[f"angle ({unit})" if unit else "angle"] = values[: clock.size]
    if emg_name is not None:
        e_unit = _c3d_unit(params["ANALOG"], "UNITS", analog_labels.index(emg_name))
        kind = options.pop("emg_kind", None) or "raw"
        label = "emg" if kind == "raw" else "emg_envelope"
        columns[f"{label} ({e_unit})" if e_unit else label] = c3d["data"]["analogs"][
            0, analog_labels.index(emg_name), : clock.size
        ]
    options.pop("time_column", None)
    return columns, {}


def _c3d_pick(labels: list[str], words: tuple[str, ...], role: str, where: str, required: bool = True) -> str | None:
    hits = [label for label in labels if all(w in label.lower() for w in words)]
    if len(hits) == 1:
        return hits[0]
    option = f"--{role}-column"
    if len(hits) > 1:
        raise TraceError(f"{where}: several {role} channels ({', '.join(hits)}); choose one with {option}")
    if required:
        raise TraceError(
            f"{where}: no channel named like an ankle {role}; choose one with {option} ({', '.join(labels)})"
        )
    return None


def _c3d_unit(group: Mapping[str, Any], key: str, index: int = 0) -> str:
    if key not in group:
        return ""
    values = list(group[key]["value"])
    return str(values[index]).strip() if index < len(values) else ""


# ---------------------------------------------------------------------------------------------
# Writing


def write_csv(source: Result | Trace, path: str | Path) -> Path:
    """Write a run or trace as CSV that `read` takes back exactly.

    ``# key = value`` metadata lines (event times), a header, and every value in its shortest
    exact decimal form.

    Parameters
    ----------
    source : Result or Trace
        What to write.
    path : str or Path
        The file to write.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    TraceError
        If `source` is neither a Result nor a Trace.

    Examples
    --------
    Written into a temporary folder:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import reflexsim as rs
    >>> from reflexsim.traces import write_csv
    >>> result = rs.simulate(rs.preset("severe"), duration_s=1.0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     lines = write_csv(result, Path(folder) / "run.csv").read_text().splitlines()
    >>> lines[:2]
    ['# stretch_start_s = 0.2', '# hold_start_s = 0.24']
    """
    if isinstance(source, Result):
        columns, attrs = result_columns(source), result_attrs(source)
    elif isinstance(source, Trace):
        columns, attrs = source.columns(), source.attrs()
    else:
        raise TraceError(f"write_csv takes a Result or a Trace, got {type(source).__name__}")
    path = Path(path)
    meta = "".join(f"# {k} = {v}\n" for k, v in attrs.items() if v != "")
    table = np.column_stack([np.asarray(v, dtype=float) for v in columns.values()]).tolist()
    rows = "\n".join(",".join(map(repr, row)) for row in table)
    path.write_text(f"{meta}{','.join(columns)}\n{rows}\n")
    return path

"""The run specification: everything that determines a sweep's numbers, validated and hashed.

A sweep key is a model parameter (``reflex.gain``), a treatment key (``treatment.botox.weeks``)
or a protocol field (``protocol.hold_torque_nm``), each with its valid range. `make_spec` checks
every input of `sweep` before any work; `Spec.digest` names the result (checkpoints and files
carry it, so a resume never mixes two sweeps).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import treatments
from ..errors import SweepError
from ..params import Model, checked_number, describe, format_range, json_number
from ..protocols import ClonusTest, ProtocolLike
from ..simulation import MIN_GRADED_DURATION_S, checked_steps
from .designs import DESIGNS, Design, check_points, design_from_json, grid

KERNELS = ("lockstep", "exact")

# Ranges of the grading settings (the defaults are those of reflexsim.metrics).
GRADING_RANGES = {
    "beat_threshold_deg": (1e-3, 45.0, "deg"),
    "catch_torque_nm": (0.0, 150.0, "N·m"),
    "slight_torque_nm": (0.0, 150.0, "N·m"),
}


@dataclass(frozen=True)
class SweepKey:
    """One swept quantity: a model parameter, a treatment key or a protocol field, with its range.

    Made by `parse_key`, which looks the range up where the quantity is defined (the parameter's
    metadata, the treatment's key, the protocol's field), so every value is checked before any work.

    Attributes
    ----------
    text : str
        The key as written: ``"reflex.gain"``, ``"treatment.botox.weeks"``, ``"protocol.hold_torque_nm"``.
    kind : str
        ``"parameter"``, ``"treatment"`` or ``"protocol"``.
    name : str
        The parameter path, the treatment's name or the protocol's field.
    key : str
        The treatment's key (``"weeks"``); empty for the other kinds.
    lo, hi : float
        The valid range, inclusive.
    unit : str
        The unit of the values (``"1"`` when dimensionless).

    Examples
    --------
    >>> from reflexsim.sweep import parse_key
    >>> key = parse_key("treatment.botox.weeks")
    >>> key.kind, key.name, key.key, key.valid_range
    ('treatment', 'botox', 'weeks', '[0, 104] weeks')
    """

    text: str  # as written: "reflex.gain", "treatment.botox.weeks", "protocol.hold_torque_nm"
    kind: str  # "parameter", "treatment" or "protocol"
    name: str  # parameter path, treatment name or protocol field
    key: str  # treatment key ("" otherwise)
    lo: float
    hi: float
    unit: str

    @property
    def valid_range(self) -> str:
        """The valid range with its unit, as error messages show it, e.g. ``[0, 40] (dimensionless)``."""
        return format_range(self.lo, self.hi, self.unit)

    def check(self, values: np.ndarray) -> np.ndarray:
        """The values as a float array inside the valid range, or one clear SweepError.

        Parameters
        ----------
        values : array_like
            The values of this key in the design.

        Returns
        -------
        numpy.ndarray
            The values, flattened to a 1-D float array.

        Raises
        ------
        SweepError
            If the values are not numbers, are empty, or one is NaN or outside the valid range.

        Examples
        --------
        >>> from reflexsim.sweep import parse_key
        >>> parse_key("reflex.gain").check([1, 2])
        array([1., 2.])
        >>> parse_key("reflex.gain").check([99])
        Traceback (most recent call last):
        ...
        reflexsim.errors.SweepError: reflex.gain = 99 is outside its valid range [0, 40] (dimensionless)
        """
        try:
            arr = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise SweepError(f"{self.text}: {values!r} are not numbers; valid range {self.valid_range}") from None
        if arr.size == 0:
            raise SweepError(f"{self.text}: no values (empty range); valid range {self.valid_range}")
        bad = arr[np.isnan(arr) | (arr < self.lo) | (arr > self.hi)]  # inf only where the range allows it
        if bad.size:
            raise SweepError(f"{self.text} = {bad[0]:g} is outside its valid range {self.valid_range}")
        return arr


def parse_key(text: str, protocol: ProtocolLike | None = None) -> SweepKey:
    """Classify and check a sweep key (unknown names fail with the valid ones listed).

    Parameters
    ----------
    text : str
        A parameter path (``reflex.gain``), ``treatment.NAME.KEY`` or ``protocol.FIELD``.
    protocol : ProtocolLike or None
        The protocol whose fields ``protocol.FIELD`` refers to; None for `ClonusTest`'s.

    Returns
    -------
    SweepKey
        The key's kind, name and valid range.

    Raises
    ------
    SweepError
        If the key is not text, a treatment key is malformed, or the protocol has no such field
        with a range.
    ParameterError
        If a parameter path is unknown (with the nearest valid paths suggested).

    Examples
    --------
    >>> from reflexsim.sweep import parse_key
    >>> parse_key("protocol.hold_torque_nm")
    SweepKey(text='protocol.hold_torque_nm', kind='protocol', name='hold_torque_nm', key='',
             lo=0.0, hi=150.0, unit='N·m')
    >>> parse_key("reflex.gian")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: unknown parameter 'reflex.gian'; did you mean 'reflex.gain' or ...
    """
    if not isinstance(text, str):
        raise SweepError(f"a sweep key is a parameter path such as 'reflex.gain', got {text!r}")
    text = text.strip()
    head, _, rest = text.partition(".")
    if head == "treatment":
        name, _, key = rest.partition(".")
        if not name or not key:
            raise SweepError(f"{text!r}: a treatment key is treatment.NAME.KEY, e.g. treatment.botox.weeks")
        tk = treatments.get(name).key(key)
        return SweepKey(text, "treatment", name, key, tk.lo, tk.hi, tk.unit)
    if head == "protocol":
        protocol = ClonusTest() if protocol is None else protocol
        known: dict[str, dataclasses.Field[Any]] = (
            {f.name: f for f in dataclasses.fields(protocol)} if dataclasses.is_dataclass(protocol) else {}
        )
        f = known.get(rest)
        if f is None or "range" not in f.metadata:
            valid = ", ".join(n for n, g in known.items() if "range" in g.metadata) or "(none)"
            raise SweepError(f"{text!r} is not a field of {type(protocol).__name__}; valid fields: {valid}")
        lo, hi = f.metadata["range"]
        return SweepKey(text, "protocol", rest, "", lo, hi, f.metadata["unit"])
    info = describe(text)  # ParameterError with suggestions for unknown paths
    return SweepKey(text, "parameter", text, "", info.lo, info.hi, info.unit)


def protocol_json(protocol: ProtocolLike) -> dict[str, Any]:
    """A protocol as JSON (its class and fields), for the specification and the file's attributes.

    Only `reflexsim.protocols`' own protocol classes are accepted: a file must name a protocol that
    `protocol_from_json` can rebuild.

    Parameters
    ----------
    protocol : ProtocolLike
        A protocol of `reflexsim.protocols`, e.g. ``ClonusTest()``.

    Returns
    -------
    dict
        ``{"class": name, "fields": {field: value}}`` (tuples written as lists).

    Raises
    ------
    SweepError
        If the protocol is not a dataclass of `reflexsim.protocols`.

    Examples
    --------
    >>> from reflexsim.protocols import ClonusTest
    >>> from reflexsim.sweep.spec import protocol_json
    >>> d = protocol_json(ClonusTest(hold_torque_nm=20.0))
    >>> d["class"], d["fields"]["hold_torque_nm"]
    ('ClonusTest', 20.0)
    """
    from .. import protocols

    cls = type(protocol)
    if not dataclasses.is_dataclass(protocol) or getattr(protocols, cls.__name__, None) is not cls:
        raise SweepError(
            f"protocol must be one of reflexsim.protocols' protocols (e.g. ClonusTest()), got {protocol!r}"
        )
    values = {f.name: getattr(protocol, f.name) for f in dataclasses.fields(protocol)}
    return {"class": cls.__name__, "fields": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def protocol_from_json(d: Mapping[str, Any]) -> ProtocolLike:
    """Rebuild a protocol written by `protocol_json`.

    Parameters
    ----------
    d : mapping
        ``{"class": name, "fields": {field: value}}``.

    Returns
    -------
    ProtocolLike
        The protocol, equal to the one written.

    Examples
    --------
    >>> from reflexsim.protocols import ClonusTest
    >>> from reflexsim.sweep.spec import protocol_from_json, protocol_json
    >>> protocol_from_json(protocol_json(ClonusTest())) == ClonusTest()
    True
    """
    from .. import protocols

    cls = getattr(protocols, d["class"])
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["fields"].items()})


@dataclass(frozen=True, eq=False)
class Spec:
    """A validated sweep: base model, design, protocol, numerics and grading settings.

    `dt_s` None: every point runs at the largest ``max_dt_s / 2**k`` it allows
    (`reflexsim.simulation.choose_step`); a number: every point at that step, or a status code.
    Made by `make_spec`; its `digest` names the sweep's checkpoints and file.

    Attributes
    ----------
    model : Model
        The base model (fixed treatments already applied).
    design : Design
        Which points are visited.
    keys : tuple of SweepKey
        The design's keys, classified and with their ranges.
    protocol : ProtocolLike
        The test each point runs.
    duration_s : float
        Simulated time per point, in s.
    dt_s : float or None
        The fixed step, in s; None to choose one per point.
    max_dt_s : float
        The largest step a point may choose (with `dt_s` None), in s.
    kernel : str
        One of `KERNELS`.
    beat_threshold_deg, catch_torque_nm, slight_torque_nm : float
        The grading settings (see `reflexsim.metrics`).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> spec = make_spec(rs.preset("severe"), {"reflex.gain": [1, 2]}, None, 2.0, None, 0.001, "lockstep", grading)
    >>> spec.design.shape, spec.n_steps(0.0005)
    ((2,), 4000)
    >>> len(spec.digest())
    16
    """

    model: Model
    design: Design
    keys: tuple[SweepKey, ...]
    protocol: ProtocolLike
    duration_s: float
    dt_s: float | None
    max_dt_s: float
    kernel: str
    beat_threshold_deg: float
    catch_torque_nm: float
    slight_torque_nm: float

    def n_steps(self, dt_s: float) -> int:
        """Number of steps of `dt_s` that cover the duration.

        Parameters
        ----------
        dt_s : float
            The step, in s.

        Returns
        -------
        int
            ``round(duration_s / dt_s)``.
        """
        return round(self.duration_s / dt_s)

    def as_json(self) -> dict[str, Any]:
        """Everything that determines the sweep's numbers, as JSON (what `digest` hashes).

        Returns
        -------
        dict
            The reflexsim version, the model's name and values, the design, the protocol, the
            numerics and the grading settings; `spec_kwargs` reads it back.
        """
        from .. import __version__

        d = {
            "reflexsim_version": __version__,
            "model_name": self.model.name,
            "model": {path: json_number(value) for path, value in self.model.items()},
            "design": self.design.as_json(),
            "protocol": protocol_json(self.protocol),
            "duration_s": self.duration_s,
            "dt_s": self.dt_s,
            "kernel": self.kernel,
            "beat_threshold_deg": self.beat_threshold_deg,
            "catch_torque_nm": self.catch_torque_nm,
            "slight_torque_nm": self.slight_torque_nm,
        }
        if self.dt_s is None:
            d["max_dt_s"] = self.max_dt_s
        return d

    def digest(self) -> str:
        """A short hash of `as_json`: checkpoints and files carry it, so a resume never mixes two sweeps.

        Returns
        -------
        str
            16 hexadecimal digits of the SHA-256 of the sorted JSON.
        """
        text = json.dumps(self.as_json(), sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_fixed_treatments(specs: Sequence[Any], keys: Sequence[SweepKey]) -> list[tuple[str, dict[str, float | str]]]:
    """Fixed treatments as (name, values), refused where a swept key would silently undo them.

    Refused: a swept parameter the treatment acts on (its value would replace the treatment's
    effect) or the same treatment swept (it would be applied twice).

    Parameters
    ----------
    specs : sequence
        Treatments, each ``"NAME[:key=value,...]"`` or ``(name, {key: value})``.
    keys : sequence of SweepKey
        The swept keys.

    Returns
    -------
    list of (str, dict)
        Each treatment's name and values (the values are checked when it is applied).

    Raises
    ------
    SweepError
        If `specs` is not a list of treatments, or one clashes with a swept key as above.

    Examples
    --------
    >>> from reflexsim.sweep.spec import check_fixed_treatments, parse_key
    >>> check_fixed_treatments(["botox:weeks=3"], [parse_key("reflex.delay_s")])
    [('botox', {'weeks': 3.0})]
    >>> check_fixed_treatments(["botox:weeks=3"], [parse_key("treatment.botox.weeks")])
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: treatment 'botox' is both fixed and swept (it would be applied twice); keep one
    """
    if isinstance(specs, str) or not isinstance(specs, Sequence):
        raise SweepError(f"treatments must be a list such as ['botox:weeks=3'], got {specs!r}")
    parsed = [treatments.parse_spec(s) if isinstance(s, str) else _treatment_pair(s) for s in specs]
    swept_paths = {k.name for k in keys if k.kind == "parameter"}
    swept_treatments = {k.name for k in keys if k.kind == "treatment"}
    for name, _ in parsed:
        clash = sorted(set(treatments.get(name).acts_on) & swept_paths)
        if clash:
            raise SweepError(
                f"the fixed treatment {name!r} acts on {', '.join(clash)}, which the sweep also sets: each point's "
                f"swept value would replace the treatment's effect; sweep treatment.{name}.KEY instead, or drop "
                f"the treatment"
            )
        if name in swept_treatments:
            raise SweepError(f"treatment {name!r} is both fixed and swept (it would be applied twice); keep one")
    return parsed


def _treatment_pair(spec: Any) -> tuple[str, dict[str, float | str]]:  # values checked when applied
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping):
        return spec[0], dict(spec[1])
    raise SweepError(f"a treatment is 'NAME[:key=value,...]' or (name, {{key: value}}), got {spec!r}")


def make_spec(
    model: Model,
    design: Design | Mapping[str, Any],
    protocol: ProtocolLike | None,
    duration_s: float,
    dt_s: float | None,
    max_dt_s: float,
    kernel_name: str,
    grading: Mapping[str, Any],
) -> Spec:
    """Check every input of `reflexsim.sweep.sweep` before any work, and gather them in a `Spec`.

    Parameters
    ----------
    model : Model
        The base model.
    design : Design or mapping of str to values
        The points; a mapping {key: values} means a `grid`.
    protocol : ProtocolLike or None
        A protocol of `reflexsim.protocols`; None for ``ClonusTest()``.
    duration_s : float
        Simulated time per point, in s (long enough to grade).
    dt_s : float or None
        A fixed step, in s; None to choose one per point.
    max_dt_s : float
        The largest step a point may choose, in s.
    kernel_name : str
        One of `KERNELS`.
    grading : mapping of str to float
        ``beat_threshold_deg``, ``catch_torque_nm`` and ``slight_torque_nm``.

    Returns
    -------
    Spec
        The validated specification.

    Raises
    ------
    SweepError
        If any input is invalid: a value outside its key's range, an unknown design or kernel, a
        duration or step out of range, a grading setting out of range.
    ParameterError
        If a key names an unknown parameter.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> make_spec(rs.preset("severe"), {"reflex.gain": [1, 200]}, None, 2.0, None, 0.001, "lockstep", grading)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: reflex.gain = 200 is outside its valid range [0, 40] (dimensionless)
    """
    if not isinstance(model, Model):
        raise SweepError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    protocol_json(protocol)  # a reflexsim protocol, reproducible from its fields
    if isinstance(design, Design):
        if design.kind not in DESIGNS:
            raise SweepError(f"unknown design {design.kind!r}; valid designs: {', '.join(DESIGNS)}")
        check_points(design.size, len(design.keys))
    else:
        design = grid(design)
    if len(set(design.keys)) != len(design.keys):
        raise SweepError(f"a key appears twice in the sweep: {', '.join(design.keys)}")
    keys = tuple(parse_key(k, protocol) for k in design.keys)
    if design.kind in ("grid", "zip"):
        for key, axis in zip(keys, design.axes, strict=True):
            key.check(axis)
    else:
        for key, (lo, hi) in zip(keys, design.ranges, strict=True):
            key.check(np.array([lo, hi]))
    if not isinstance(kernel_name, str) or kernel_name not in KERNELS:
        raise SweepError(f"kernel = {kernel_name!r}; valid kernels: {', '.join(KERNELS)}")
    if dt_s is None:
        duration_s, max_dt_s, _ = checked_steps(duration_s, max_dt_s, SweepError, MIN_GRADED_DURATION_S)
    else:
        duration_s, dt_s, _ = checked_steps(duration_s, dt_s, SweepError, MIN_GRADED_DURATION_S)
    values = {name: checked_number(name, grading[name], *GRADING_RANGES[name], SweepError) for name in GRADING_RANGES}
    return Spec(model, design, keys, protocol, duration_s, dt_s, float(max_dt_s), kernel_name, **values)


def spec_kwargs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """`sweep` arguments that rebuild the sweep a file's attributes record (how `rerun` repeats it).

    Parameters
    ----------
    attrs : mapping
        A sweep Dataset's (or NetCDF file's) attributes, with ``sweep_spec``.

    Returns
    -------
    dict
        Keyword arguments of `reflexsim.sweep.sweep`: ``model``, ``design``, ``protocol``,
        ``duration_s``, ``dt_s``, ``max_dt_s``, ``kernel_name`` and the grading settings.

    Raises
    ------
    SweepError
        If ``sweep_spec`` is missing or unreadable.

    Examples
    --------
    >>> import json
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.spec import make_spec, spec_kwargs
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> spec = make_spec(rs.preset("severe"), {"reflex.gain": [1, 2]}, None, 2.0, None, 0.001, "lockstep", grading)
    >>> kwargs = spec_kwargs({"sweep_spec": json.dumps(spec.as_json())})
    >>> kwargs["design"].as_json() == spec.design.as_json(), kwargs["duration_s"]
    (True, 2.0)
    >>> spec_kwargs({})
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: not a reflexsim sweep: the attribute sweep_spec is missing or unreadable
    """
    try:
        d = json.loads(attrs["sweep_spec"])
        model = Model(name=d["model_name"]).with_values({p: float(v) for p, v in d["model"].items()})
        return {
            "model": model,
            "design": design_from_json(d["design"]),
            "protocol": protocol_from_json(d["protocol"]),
            "duration_s": d["duration_s"],
            "dt_s": d["dt_s"],
            "max_dt_s": d.get("max_dt_s", d["dt_s"]),
            "kernel_name": d["kernel"],
            "beat_threshold_deg": d["beat_threshold_deg"],
            "catch_torque_nm": d["catch_torque_nm"],
            "slight_torque_nm": d["slight_torque_nm"],
        }
    except (KeyError, ValueError, TypeError, AttributeError):
        raise SweepError("not a reflexsim sweep: the attribute sweep_spec is missing or unreadable") from None

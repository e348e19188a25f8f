"""Names and units of sweep files: CF-1.8 names for dotted keys, UDUNITS-2 units, selection by path.

A sweep key is a dotted path (``reflex.gain``, ``treatment.botox.weeks``,
``protocol.hold_torque_nm``), which is not a valid CF name (CF-1.8 §2.3: a letter, then letters,
digits and underscores). In a sweep's Dataset and file every key is named by `cf_name` (dots
become underscores: ``reflex_gain``, ``treatment_botox_weeks``) and its coordinate keeps the
dotted path in the attribute ``parameter_path``, so ``ds.reflex_gain`` works and nothing is lost.
`sel` and `variable` take either form::

    from reflexsim.sweep import sel

    sel(ds, {"reflex.gain": 3.0, "reflex.delay_s": 0.04}, method="nearest")
    sel(ds, reflex_gain=3.0)  # the Dataset's own names work too

Units are written in UDUNITS-2 syntax (`UDUNITS`): reflexsim's labels such as ``imp/s`` or
``l_opt`` become ``s-1`` or ``1``, with what the number counts said in ``long_name``. Files
written by reflexsim before these names (dotted names, ``model.<path>`` attributes, ``deg`` and
``1/s`` units) are converted when `reflexsim.sweep.load` reads them, with a note.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..errors import SweepError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from .spec import SweepKey

# CF-1.8 §2.3: names of variables, dimensions, attributes and groups.
CF_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# reflexsim's unit labels (parameters, treatment keys, protocol fields, sweep metrics) as
# (UDUNITS-2 string, what a number counts, for long_name). Every string on the right parses with
# UDUNITS-2 (tests/test_cf.py checks each with cf-units, and that every label in use is listed).
# Dimensionless ratios are "1"; an impulse count per second is "s-1" (impulses are counts, which
# UDUNITS does not name); a temperature *difference* is "K" (1 K = 1 °C of difference).
UDUNITS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "1": ("1", ""),
        "s": ("s", ""),
        "min": ("min", ""),
        "h": ("h", ""),
        "days": ("day", ""),
        "weeks": ("week", ""),
        "Hz": ("Hz", ""),
        "1/s": ("s-1", ""),
        "m": ("m", ""),
        "m/s": ("m s-1", ""),
        "m/s²": ("m s-2", ""),
        "kg": ("kg", ""),
        "kg·m²": ("kg m2", ""),
        "mg": ("mg", ""),
        "ng/ml": ("ng mL-1", ""),
        "N": ("N", ""),
        "N·m": ("N m", ""),
        "N m": ("N m", ""),
        "N·m/rad": ("N m rad-1", ""),
        "N·m·s/rad": ("N m s rad-1", ""),
        "N·m/deg": ("N m degree-1", ""),
        "N·m·s/deg": ("N m s degree-1", ""),
        "rad": ("rad", ""),
        "1/rad": ("rad-1", ""),
        "deg": ("degree", ""),
        "deg/s": ("degree s-1", ""),
        "°C": ("K", "a temperature difference (1 K = 1 °C)"),
        "imp/s": ("s-1", "in impulses per second"),
        "imp/s/m": ("m-1 s-1", "in impulses per second per metre"),
        "1/(imp/s)": ("s", "in 1/(impulses per second)"),
        "l_opt": ("1", "in optimal fibre lengths (muscle.optimal_fibre_length_m)"),
        "l_opt/s": ("s-1", "in optimal fibre lengths (muscle.optimal_fibre_length_m) per second"),
        "1/l_opt": ("1", "per optimal fibre length (muscle.optimal_fibre_length_m)"),
        "F_max": ("1", "in maximum isometric forces (muscle.max_force_n)"),
    }
)

LONG_NAME_CHARS = 80  # a long_name is a label (xarray's plots use it): the first clause of the doc


def cf_name(key: str) -> str:
    """The CF name of a dotted key: dots become underscores.

    Parameters
    ----------
    key : str
        A sweep key or attribute name, e.g. ``reflex.gain`` or ``treatment.botox.weeks``.

    Returns
    -------
    str
        The name a sweep's Dataset and NetCDF file use for it.

    Raises
    ------
    SweepError
        If the result is still not a valid CF name (it must start with a letter).

    Examples
    --------
    >>> from reflexsim.sweep import cf_name
    >>> cf_name("reflex.gain"), cf_name("treatment.botox.weeks")
    ('reflex_gain', 'treatment_botox_weeks')
    """
    name = str(key).strip().replace(".", "_")
    if not CF_NAME.match(name):
        raise SweepError(f"{key!r} has no valid CF name (a letter, then letters, digits and underscores)")
    return name


def udunits(unit: str) -> tuple[str, str]:
    """The UDUNITS-2 spelling of one of reflexsim's unit labels.

    Parameters
    ----------
    unit : str
        A label as the parameter table writes it, e.g. ``imp/s``, ``N·m`` or ``l_opt``.

    Returns
    -------
    tuple of str
        (units, note): the UDUNITS-2 string, and what a number counts where the units cannot say
        it (empty if they can). An unknown label is returned as it is, with no note.

    Examples
    --------
    >>> from reflexsim.sweep.names import udunits
    >>> udunits("N·m"), udunits("imp/s")
    (('N m', ''), ('s-1', 'in impulses per second'))
    """
    return UDUNITS.get(unit, (unit, ""))


def _clause(doc: str) -> str:
    """The first clause of a description, short enough for an axis label."""
    text = doc.strip()
    while True:  # asides in parentheses go first (innermost first), then all after a ';' or ':'
        shorter = re.sub(r"\s*\([^()]*\)", "", text)
        if shorter == text:
            break
        text = shorter
    text = re.split(r"; |: ", text, maxsplit=1)[0].strip().rstrip(".,")
    if len(text) > LONG_NAME_CHARS:
        text = text[: LONG_NAME_CHARS - 3].rsplit(" ", 1)[0] + "..."
    return text


def key_doc(key: SweepKey, protocol: Any = None) -> tuple[str, str]:
    """What a swept key means, and whose it is.

    Parameters
    ----------
    key : SweepKey
        A parsed key (`reflexsim.sweep.parse_key`).
    protocol : protocol, optional
        The protocol whose field a ``protocol.`` key names (default: a `ClonusTest`).

    Returns
    -------
    tuple of str
        (description, owner): the parameter's, treatment key's or protocol field's description,
        and the treatment's or protocol's name ("" for a model parameter).

    Examples
    --------
    >>> from reflexsim.sweep import parse_key
    >>> from reflexsim.sweep.names import key_doc
    >>> key_doc(parse_key("treatment.botox.weeks"))
    ('time since the first injection', 'botox')
    """
    from .. import treatments
    from ..params import describe
    from ..protocols import ClonusTest

    if key.kind == "parameter":
        return describe(key.name).doc, ""
    if key.kind == "treatment":
        return treatments.get(key.name).key(key.key).doc, key.name
    protocol = ClonusTest() if protocol is None else protocol
    known = {f.name: f for f in dataclasses.fields(protocol)}
    return known[key.name].metadata.get("doc", key.name), type(protocol).__name__


def key_attrs(key: SweepKey, protocol: Any = None) -> dict[str, str]:
    """The CF attributes of a swept key's coordinate.

    Parameters
    ----------
    key : SweepKey
        A parsed key (`reflexsim.sweep.parse_key`).
    protocol : protocol, optional
        The protocol whose field a ``protocol.`` key names (default: a `ClonusTest`).

    Returns
    -------
    dict
        ``long_name`` (the first clause of the key's description, what the number counts where
        the units cannot say it, and the treatment or protocol it belongs to), ``units``
        (UDUNITS-2), ``parameter_path`` (the dotted key) and ``comment`` (the whole description
        and the valid range).

    Examples
    --------
    >>> from reflexsim.sweep import parse_key
    >>> from reflexsim.sweep.names import key_attrs
    >>> attrs = key_attrs(parse_key("reflex.threshold_ips"))
    >>> attrs["units"], attrs["parameter_path"]
    ('s-1', 'reflex.threshold_ips')
    >>> attrs["long_name"]
    'Ia rate at which the reflex starts recruiting motoneurons, in impulses per second'
    """
    units, note = udunits(key.unit)
    doc, owner = key_doc(key, protocol)
    long_name = _clause(doc)
    if note:
        long_name += f", {note}"
    if owner:
        long_name = f"{owner}: {long_name}"
    return {
        "long_name": long_name,
        "units": units,
        "parameter_path": key.text,
        "comment": f"{key.text}: {doc} (valid range {key.valid_range})",
    }


def variable(obj: xr.Dataset | xr.DataArray, key: Hashable) -> Hashable:
    """The name in a sweep's Dataset of a swept key.

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
        A sweep's result, or a variable of it.
    key : str
        The key as a dotted path (``reflex.gain``) or as the Dataset's name (``reflex_gain``).

    Returns
    -------
    str
        The name of its coordinate in `obj`.

    Raises
    ------
    SweepError
        If `obj` has no such coordinate (the message lists the swept keys).

    Examples
    --------
    >>> import xarray as xr
    >>> from reflexsim.sweep import variable
    >>> ds = xr.Dataset(coords={"reflex_gain": ("reflex_gain", [1.0, 2.0], {"parameter_path": "reflex.gain"})})
    >>> variable(ds, "reflex.gain")
    'reflex_gain'
    """
    if key in obj.coords or key in getattr(obj, "data_vars", {}):
        return key
    for name, coord in obj.coords.items():
        if coord.attrs.get("parameter_path") == key:
            return name
    if isinstance(key, str) and "." in key and key.replace(".", "_") in obj.coords:
        return key.replace(".", "_")
    swept = [str(c.attrs["parameter_path"]) for c in obj.coords.values() if "parameter_path" in c.attrs]
    raise SweepError(f"{key!r} is not swept here; swept keys: {', '.join(swept) or '(none)'}")


def sel(
    obj: xr.Dataset | xr.DataArray,
    indexers: Mapping[Hashable, Any] | None = None,
    method: str | None = None,
    tolerance: Any = None,
    drop: bool = False,
    **indexers_kwargs: Any,
) -> Any:
    """``obj.sel(...)`` with swept keys given as dotted paths or as the Dataset's names.

    ``sel(ds, {"reflex.gain": 3.0}, method="nearest")`` is ``ds.sel(reflex_gain=3.0,
    method="nearest")``. It selects along the dimensions of a grid sweep; the keys of a zip, lhs
    or sobol design are coordinates along ``point`` (select those with ``ds.where``).

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
        A sweep's result, or a variable of it.
    indexers : mapping, optional
        {key: value(s)}, each key a dotted path or a name of `obj`.
    method, tolerance, drop
        As for `xarray.Dataset.sel`.
    **indexers_kwargs
        More indexers, by name (``reflex_gain=3.0``; a dotted path is not a Python keyword, but
        ``**{"reflex.gain": 3.0}`` works).

    Returns
    -------
    xarray.Dataset or xarray.DataArray
        The selection, as `xarray.Dataset.sel` returns it.

    Raises
    ------
    SweepError
        If a key is not swept in `obj`.

    Examples
    --------
    >>> import xarray as xr
    >>> from reflexsim.sweep import sel
    >>> gain = ("reflex_gain", [1.0, 2.0, 4.0], {"parameter_path": "reflex.gain"})
    >>> ds = xr.Dataset({"beats": ("reflex_gain", [0.0, 2.0, 9.0])}, coords={"reflex_gain": gain})
    >>> float(sel(ds, {"reflex.gain": 3.9}, method="nearest").beats)
    9.0
    >>> float(sel(ds, **{"reflex.gain": 2.0}).beats), float(sel(ds, reflex_gain=1.0).beats)
    (2.0, 0.0)
    """
    wanted: dict[Hashable, Any] = {**(indexers or {})}
    wanted.update(indexers_kwargs)
    named = {variable(obj, key): value for key, value in wanted.items()}
    return obj.sel(named, method=method, tolerance=tolerance, drop=drop)


def _old_names(ds: xr.Dataset) -> dict[Hashable, str]:
    names = set(ds.variables) | set(ds.dims)
    return {name: cf_name(name) for name in names if isinstance(name, str) and "." in name}


def upgrade(ds: xr.Dataset) -> tuple[xr.Dataset, bool]:
    """A sweep Dataset written before CF names, converted to them.

    Dotted variables and dimensions are renamed (the path kept in ``parameter_path``, with the
    key's long_name and units), units get their UDUNITS-2 spelling, and ``model.<path>``
    attributes become ``model_<path>``.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's Dataset as read from a file.

    Returns
    -------
    tuple
        (dataset, converted): the Dataset with CF names (`ds` itself if it had them) and whether
        anything was converted.

    Raises
    ------
    SweepError
        If a converted name would clash with a name the file already has.

    Examples
    --------
    >>> import xarray as xr
    >>> from reflexsim.sweep.names import upgrade
    >>> old = xr.Dataset({"beats": ("reflex.gain", [0.0, 5.0])}, coords={"reflex.gain": [1.0, 4.0]})
    >>> new, converted = upgrade(old)
    >>> converted, list(new.coords), new.reflex_gain.attrs["parameter_path"]
    (True, ['reflex_gain'], 'reflex.gain')
    """
    renames = _old_names(ds)
    old_attrs = [name for name in ds.attrs if "." in name]
    old_units = [name for name, v in ds.variables.items() if v.attrs.get("units") in ("deg", "1/s")]
    if not renames and not old_attrs and not old_units:
        return ds, False
    clash = sorted(set(renames.values()) & (set(ds.variables) - set(renames)))
    if clash:
        raise SweepError(f"cannot read the old names of this file: {clash[0]!r} would be there twice")
    protocol = _protocol(ds.attrs)
    ds = ds.copy()
    for name, var in ds.variables.items():
        attrs = dict(var.attrs)
        if "units" in attrs:
            attrs["units"] = udunits(str(attrs["units"]))[0]
        if name in renames:
            attrs.update(_old_key_attrs(str(name), protocol))
        elif name == "status":
            attrs.setdefault("units", "1")
        elif name == "point":
            attrs.setdefault("long_name", "index of the point in the design")
            attrs.setdefault("units", "1")
        var.attrs = attrs
    ds.attrs = {(cf_name(k) if "." in k else k): v for k, v in ds.attrs.items()}
    return ds.rename(renames), True


def _protocol(attrs: Mapping[str, Any]) -> Any:
    """The protocol a file's attributes record (None if they do not)."""
    import json

    from .spec import protocol_from_json

    try:
        return protocol_from_json(json.loads(attrs["protocol"]))
    except Exception:
        return None


def _old_key_attrs(path: str, protocol: Any) -> dict[str, str]:
    from ..errors import ReflexsimError
    from .spec import parse_key

    try:
        return key_attrs(parse_key(path, protocol), protocol)
    except (ReflexsimError, KeyError, TypeError):  # a key this version no longer knows
        return {"long_name": path, "parameter_path": path}

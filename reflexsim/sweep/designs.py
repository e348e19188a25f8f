"""Designs: which points a sweep visits (grid, zip, Latin hypercube, Sobol), and the value syntax.

Values are written ``start:stop:num`` (evenly spaced, both ends included), ``v1,v2,...`` or as
arrays and lists; random designs take ranges ``lo:hi`` or ``(lo, hi)``. Every number goes through
`reflexsim.params.as_number`, the one conversion the command line, TOML files and the API share
(no ``1_0``, no booleans). Sizes are checked against this machine's memory before any array is
made (`check_points`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import kernel
from ..errors import SweepError
from ..params import as_number, json_number, number_from_text
from ..resources import check_memory

DESIGNS = ("grid", "zip", "lhs", "sobol")

# Memory a sweep holds per point until its file is written: the kernel's metrics, status and
# failure time, the dataset's copies of them, and per key its coordinate (two copies).
BYTES_PER_POINT = 2 * (8 * kernel.N_METRICS + 1 + 8 + 8)
BYTES_PER_KEY_AND_POINT = 16


def check_points(n_points: int, n_keys: int, what: str = "the sweep") -> None:
    """Refuse a design whose points cannot be held in memory, saying how many fit.

    Checked before any array is made, so a typo such as ``0:4:6400000000`` fails at once instead
    of exhausting the machine's memory.

    Parameters
    ----------
    n_points : int
        Number of points of the design.
    n_keys : int
        Number of swept keys (each adds a coordinate per point).
    what : str
        What is checked, as the error message names it.

    Raises
    ------
    SweepError
        If the points need more memory than this machine has available.

    Examples
    --------
    >>> from reflexsim.sweep.designs import check_points
    >>> check_points(1000, 2)  # fits: returns quietly
    >>> check_points(10**15, 2)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: the sweep (1,000,000,000,000,000 points) needs ... GiB of memory ...
    """
    check_memory(
        f"{what} ({n_points:,} points)",
        n_points,
        BYTES_PER_POINT + BYTES_PER_KEY_AND_POINT * n_keys,
        "points",
        SweepError,
    )


def _number(text: str, what: str) -> float:
    try:
        return number_from_text(text)
    except ValueError:
        raise SweepError(f"{what}: {text.strip()!r} is not a number") from None


def parse_values(text: str, what: str = "values") -> np.ndarray:
    """Parse ``start:stop:num`` (evenly spaced, both ends included), ``v1,v2,...`` or one number.

    The syntax of the command line's ``--sweep`` and of TOML files; numbers go through
    `reflexsim.params.as_number`.

    Parameters
    ----------
    text : str
        The values, e.g. ``"0:4:5"`` or ``"0.03,0.05"``.
    what : str
        What the values are for, as error messages name it (usually the key).

    Returns
    -------
    numpy.ndarray
        The values, a 1-D float array.

    Raises
    ------
    SweepError
        If the text is in neither form, a value is not a number, or the points do not fit in memory.

    Examples
    --------
    >>> from reflexsim.sweep.designs import parse_values
    >>> parse_values("0:1:5")
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> parse_values("1, 2.5,3")
    array([1. , 2.5, 3. ])
    >>> parse_values("0:1")
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: '0:1' is neither start:stop:num (num a positive integer) nor a comma-separated list
    """
    text = text.strip()
    form = "start:stop:num (num a positive integer) or a comma-separated list of numbers"
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not parts[2].strip().isdigit() or int(parts[2]) < 1:
            raise SweepError(f"{text!r} is neither start:stop:num (num a positive integer) nor a comma-separated list")
        start, stop = (_number(p, f"{what} {text!r}") for p in parts[:2])
        n = int(parts[2])
        check_points(n, 1, f"{what} {text!r}")
        return np.linspace(start, stop, n)
    if not text or any(not v.strip() for v in text.split(",")):
        raise SweepError(f"{text!r} is neither {form}")
    return np.array([_number(v, f"{what} {text!r}") for v in text.split(",")])


def parse_range(text: str) -> tuple[float, float]:
    """Parse a range ``lo:hi`` for random designs (Latin hypercube, Sobol).

    Parameters
    ----------
    text : str
        Two numbers separated by a colon.

    Returns
    -------
    tuple of float
        (lo, hi), as written (their order is checked by the design).

    Raises
    ------
    SweepError
        If the text is not two numbers separated by one colon.

    Examples
    --------
    >>> from reflexsim.sweep.designs import parse_range
    >>> parse_range(" 0.5:4 ")
    (0.5, 4.0)
    >>> parse_range("1:2:3")
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: '1:2:3' is not a range lo:hi (random designs sample between two numbers)
    """
    parts = text.strip().split(":")
    if len(parts) != 2:
        raise SweepError(f"{text!r} is not a range lo:hi (random designs sample between two numbers)")
    lo, hi = (_number(p, f"range {text!r}") for p in parts)
    return lo, hi


def number_array(key: str, values: Any) -> np.ndarray:
    """The values of one key as a non-empty 1-D float array.

    Accepts a 'start:stop:num' or 'v1,v2' string, a number, or a flat list/array of numbers (no
    booleans, no strings inside), so the API, TOML files and the command line agree.

    Parameters
    ----------
    key : str
        The sweep key, as error messages name it.
    values : str, float, list or numpy.ndarray
        The values in one of the forms above.

    Returns
    -------
    numpy.ndarray
        The values, a non-empty 1-D float array.

    Raises
    ------
    SweepError
        If the values are not numbers, are empty or are not one-dimensional.

    Examples
    --------
    >>> from reflexsim.sweep.designs import number_array
    >>> number_array("reflex.gain", [1, 2])
    array([1., 2.])
    >>> number_array("reflex.gain", 3)
    array([3.])
    >>> number_array("reflex.gain", [True, False])
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: reflex.gain: [True, False] is not a list of numbers ...
    """
    if isinstance(values, str):
        return parse_values(values, key)
    arr = np.asarray(values) if isinstance(values, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "iuf":
        arr = arr.astype(float)
    else:
        items = values if isinstance(values, (list, tuple, np.ndarray)) else [values]
        try:
            arr = np.array([as_number(v) for v in items], dtype=float)
        except (TypeError, ValueError):
            raise SweepError(
                f"{key}: {values!r} is not a list of numbers (nor 'start:stop:num' or 'v1,v2,...')"
            ) from None
    if arr.ndim != 1 or arr.size == 0:
        raise SweepError(f"{key}: values must be a non-empty 1-D list of numbers (or start:stop:num)")
    return arr


def number_range(key: str, r: Any) -> tuple[float, float]:
    """A random design's range: 'lo:hi' or a pair (lo, hi) of numbers, lo < hi, both finite.

    Parameters
    ----------
    key : str
        The sweep key, as error messages name it.
    r : str or pair of float
        The range, ``"lo:hi"`` or ``(lo, hi)``.

    Returns
    -------
    tuple of float
        (lo, hi).

    Raises
    ------
    SweepError
        If the range is not two numbers, or lo >= hi, or either is not finite.

    Examples
    --------
    >>> from reflexsim.sweep.designs import number_range
    >>> number_range("reflex.gain", "0:4")
    (0.0, 4.0)
    >>> number_range("reflex.gain", (4, 0))
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: reflex.gain: range 4:0 must have lo < hi (both finite)
    """
    if isinstance(r, str):
        lo, hi = parse_range(r)
    else:
        try:
            if isinstance(r, (str, bytes)) or len(r) != 2:
                raise ValueError
            lo, hi = (as_number(v) for v in r)
        except (TypeError, ValueError):
            raise SweepError(f"{key}: range {r!r} must be 'lo:hi' or a pair [lo, hi] of numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SweepError(f"{key}: range {lo:g}:{hi:g} must have lo < hi (both finite)")
    return lo, hi


def _key_text(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise SweepError(f"a sweep key is a parameter path such as 'reflex.gain', got {key!r}")
    return key.strip()


def _spec_items(spec: Any, kind: str) -> list[tuple[str, Any]]:
    if not isinstance(spec, Mapping):
        raise SweepError(f"a {kind} design takes a mapping {{key: values}}, got {spec!r}")
    if not spec:
        raise SweepError("a sweep needs at least one key, e.g. {'reflex.gain': np.linspace(0, 4, 64)}")
    items = [(_key_text(k), v) for k, v in spec.items()]
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise SweepError(f"a key appears twice in the sweep: {', '.join(keys)}")
    return items


@dataclass(frozen=True, eq=False)
class Design:
    """Which points a sweep visits, in a fixed order.

    grid: every combination of the axes (C order: the last key varies fastest); zip: the i-th
    values of every key together; lhs / sobol: `samples` random points in the box `ranges`
    (scipy.stats.qmc, scrambled, seeded). Values are checked when the sweep starts. Make one with
    `grid`, `zipped`, `latin_hypercube`, `sobol` or `design_from_json` rather than directly.

    Attributes
    ----------
    kind : str
        One of `DESIGNS`: ``"grid"``, ``"zip"``, ``"lhs"`` or ``"sobol"``.
    keys : tuple of str
        The swept keys (dotted paths), in order.
    axes : tuple of numpy.ndarray
        Grid and zip: the values per key (empty for random designs).
    ranges : tuple of (float, float)
        Lhs and sobol: (lo, hi) per key (empty for grid and zip).
    samples : int
        Lhs and sobol: the number of points.
    seed : int
        Lhs and sobol: the seed of the random generator (the same seed gives the same points).
    _points : numpy.ndarray or None
        Zip, lhs and sobol: every point, shape (n, len(keys)); None for a grid (computed from its
        axes) or a design stripped of its points.

    Examples
    --------
    >>> from reflexsim.sweep import grid
    >>> design = grid({"reflex.gain": [1, 2, 3], "reflex.delay_s": "0.03:0.05:2"})
    >>> design.kind, design.shape, design.size
    ('grid', (3, 2), 6)
    >>> design.points(0, 3)
    array([[1.  , 0.03],
           [1.  , 0.05],
           [2.  , 0.03]])
    """

    kind: str
    keys: tuple[str, ...]
    axes: tuple[np.ndarray, ...] = ()  # grid and zip: the values per key
    ranges: tuple[tuple[float, float], ...] = ()  # lhs and sobol: (lo, hi) per key
    samples: int = 0
    seed: int = 0
    _points: np.ndarray | None = field(default=None, repr=False)  # zip/lhs/sobol: (n, len(keys))

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid: one axis per key; other designs: (number of points,)."""
        if self.kind == "grid":
            return tuple(a.size for a in self.axes)
        return (self.axes[0].size,) if self.kind == "zip" else (self.samples,)

    @property
    def size(self) -> int:
        """Number of points."""
        return math.prod(self.shape)

    def points(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Values of points lo .. hi-1, in the design's order (a chunk of the sweep).

        Parameters
        ----------
        lo : int
            Index of the first point.
        hi : int or None
            One past the index of the last point; None for the end of the design.

        Returns
        -------
        numpy.ndarray
            Shape (hi - lo, len(keys)): one row per point, one column per key.

        Raises
        ------
        SweepError
            If the design was stripped of its points (as sent to a Dask task).
        """
        hi = self.size if hi is None else hi
        if self.kind == "grid":
            index = np.unravel_index(np.arange(lo, hi), self.shape)
            return np.stack([axis[i] for axis, i in zip(self.axes, index, strict=True)], axis=1)
        if self._points is None:
            raise SweepError("this design was stripped of its points (a Dask task gets its own)")
        return self._points[lo:hi]

    def as_json(self) -> dict[str, Any]:
        """Everything needed to rebuild the design (see `design_from_json`).

        Written into the sweep's specification (and so its hash and its NetCDF file); random
        designs are stored by range, samples and seed, not by their points.

        Returns
        -------
        dict
            ``kind`` and ``keys``, then ``values`` (grid, zip) or ``ranges``, ``samples``,
            ``seed`` (lhs, sobol); JSON-serialisable.
        """
        d: dict[str, Any] = {"kind": self.kind, "keys": list(self.keys)}
        if self.kind in ("grid", "zip"):
            d["values"] = [[json_number(v) for v in a.tolist()] for a in self.axes]
        else:
            d.update(ranges=[list(r) for r in self.ranges], samples=self.samples, seed=self.seed)
        return d


def _keys_and_arrays(spec: Mapping[str, Any], kind: str) -> tuple[tuple[str, ...], tuple[np.ndarray, ...]]:
    items = _spec_items(spec, kind)
    return tuple(k for k, _ in items), tuple(number_array(k, v) for k, v in items)


def grid(spec: Mapping[str, Any]) -> Design:
    """Every combination of the given values (arrays, lists or 'start:stop:num' strings).

    Parameters
    ----------
    spec : mapping of str to values
        Key (dotted path) -> its values, in any form `number_array` accepts. The last key varies
        fastest.

    Returns
    -------
    Design
        A grid with one axis per key.

    Raises
    ------
    SweepError
        If there is no key, a key appears twice, values are not numbers, or the grid does not fit
        in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.sweep import grid
    >>> design = grid({"reflex.gain": np.linspace(0, 4, 5), "reflex.delay_s": "0.02:0.06:3"})
    >>> design.shape
    (5, 3)
    """
    keys, axes = _keys_and_arrays(spec, "grid")
    check_points(math.prod(a.size for a in axes), len(keys), f"a {' × '.join(str(a.size) for a in axes)} grid")
    return Design("grid", keys, axes=axes)


def zipped(spec: Mapping[str, Any]) -> Design:
    """Paired values: point i takes the i-th value of every key (all of the same length).

    For points that are not a grid, e.g. patients sampled with `reflexsim.cohort.sample_patients`.

    Parameters
    ----------
    spec : mapping of str to values
        Key (dotted path) -> its values, in any form `number_array` accepts; all of one length.

    Returns
    -------
    Design
        A zip design with one point per value.

    Raises
    ------
    SweepError
        If the keys' values differ in length (or as for `grid`).

    Examples
    --------
    >>> from reflexsim.sweep import zipped
    >>> zipped({"reflex.gain": [1, 2], "reflex.delay_s": [0.03, 0.05]}).points()
    array([[1.  , 0.03],
           [2.  , 0.05]])
    >>> zipped({"reflex.gain": [1, 2], "reflex.delay_s": [0.03]})
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: zipped values must all have the same length (reflex.gain: 2, reflex.delay_s: 1)
    """
    keys, axes = _keys_and_arrays(spec, "zip")
    lengths = {a.size for a in axes}
    if len(lengths) != 1:
        sizes = ", ".join(f"{k}: {a.size}" for k, a in zip(keys, axes, strict=True))
        raise SweepError(f"zipped values must all have the same length ({sizes})")
    return Design("zip", keys, axes=axes, _points=np.stack(axes, axis=1))


def _whole_number(name: str, value: Any, lo: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < lo:
        kind = "positive" if lo == 1 else "non-negative"
        raise SweepError(f"{name} = {value!r} must be a {kind} integer")
    return int(value)


def _random_design(kind: str, ranges: Mapping[str, Any], samples: int, seed: int) -> Design:
    from scipy.stats import qmc

    if not isinstance(ranges, Mapping) or not ranges:
        raise SweepError(f"a {kind} design needs at least one key with a range lo:hi")
    samples = _whole_number("samples", samples, 1)
    seed = _whole_number("seed", seed, 0)
    items = _spec_items(ranges, kind)
    keys = tuple(k for k, _ in items)
    bounds = tuple(number_range(k, r) for k, r in items)
    check_points(samples, len(keys), f"a {kind} design")
    d = len(keys)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(samples)
    else:
        m = samples.bit_length() - 1
        if samples != 2**m:
            raise SweepError(f"a Sobol design needs a power of two samples (got {samples}; try {2 ** (m + 1)})")
        unit = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    lows, highs = np.array(bounds).T
    points = qmc.scale(unit, lows, highs)
    return Design(kind, keys, ranges=bounds, samples=samples, seed=seed, _points=points)


def latin_hypercube(ranges: Mapping[str, Any], samples: int, seed: int = 0) -> Design:
    """A Latin hypercube: `samples` points, one in each of `samples` strata of every key's range.

    Covers a box of many parameters with far fewer points than a grid (scipy.stats.qmc, seeded).

    Parameters
    ----------
    ranges : mapping of str to range
        Key (dotted path) -> its range, ``(lo, hi)`` or ``"lo:hi"``.
    samples : int
        Number of points, a positive integer.
    seed : int
        Seed of the random generator, a non-negative integer: the same seed gives the same points.

    Returns
    -------
    Design
        An ``lhs`` design.

    Raises
    ------
    SweepError
        If a range is invalid, `samples` or `seed` is not a whole number of the right sign, or the
        points do not fit in memory.

    Examples
    --------
    >>> from reflexsim.sweep import latin_hypercube
    >>> design = latin_hypercube({"reflex.gain": (0, 4)}, samples=4, seed=1)
    >>> sorted(int(v) for v in design.points()[:, 0])  # one point in each quarter of [0, 4]
    [0, 1, 2, 3]
    """
    return _random_design("lhs", ranges, samples, seed)


def sobol(ranges: Mapping[str, Any], samples: int, seed: int = 0) -> Design:
    """A scrambled Sobol sequence of `samples` points (a power of two) in the given ranges.

    Low-discrepancy points: a box is covered more evenly than by random or Latin hypercube points
    of the same number.

    Parameters
    ----------
    ranges : mapping of str to range
        Key (dotted path) -> its range, ``(lo, hi)`` or ``"lo:hi"``.
    samples : int
        Number of points, a power of two.
    seed : int
        Seed of the scrambling, a non-negative integer: the same seed gives the same points.

    Returns
    -------
    Design
        A ``sobol`` design.

    Raises
    ------
    SweepError
        If `samples` is not a power of two (or as for `latin_hypercube`).

    Examples
    --------
    >>> from reflexsim.sweep import sobol
    >>> design = sobol({"reflex.gain": "0:4", "reflex.delay_s": "0.02:0.06"}, samples=4)
    >>> design.shape
    (4,)
    >>> sobol({"reflex.gain": "0:4"}, samples=5)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: a Sobol design needs a power of two samples (got 5; try 8)
    """
    return _random_design("sobol", ranges, samples, seed)


def design_from_json(d: Mapping[str, Any]) -> Design:
    """Rebuild a design written by `Design.as_json` (bit-identical points).

    How `reflexsim.sweep.rerun` repeats a sweep from its file.

    Parameters
    ----------
    d : mapping
        The design's JSON form: ``kind``, ``keys`` and either ``values`` or ``ranges``,
        ``samples`` and ``seed``.

    Returns
    -------
    Design
        The same design: the same keys and the same points.

    Raises
    ------
    SweepError
        If the kind is unknown or the values are invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.sweep import design_from_json, sobol
    >>> design = sobol({"reflex.gain": "0:4"}, samples=8, seed=3)
    >>> design.as_json()
    {'kind': 'sobol', 'keys': ['reflex.gain'], 'ranges': [[0.0, 4.0]], 'samples': 8, 'seed': 3}
    >>> np.array_equal(design_from_json(design.as_json()).points(), design.points())
    True
    """
    kind = d["kind"]
    if kind == "grid":
        return grid(dict(zip(d["keys"], d["values"], strict=True)))
    if kind == "zip":
        return zipped(dict(zip(d["keys"], d["values"], strict=True)))
    if kind in ("lhs", "sobol"):
        return _random_design(kind, dict(zip(d["keys"], d["ranges"], strict=True)), d["samples"], d["seed"])
    raise SweepError(f"unknown design {kind!r}; valid designs: {', '.join(DESIGNS)}")

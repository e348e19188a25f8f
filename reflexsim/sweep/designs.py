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
    """Refuse a design whose points cannot be held in memory, saying how many fit."""
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
    """``start:stop:num`` (evenly spaced, both ends included), ``v1,v2,...`` or one number."""
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
    """``lo:hi`` for random designs (Latin hypercube, Sobol)."""
    parts = text.strip().split(":")
    if len(parts) != 2:
        raise SweepError(f"{text!r} is not a range lo:hi (random designs sample between two numbers)")
    lo, hi = (_number(p, f"range {text!r}") for p in parts)
    return lo, hi


def number_array(key: str, values: Any) -> np.ndarray:
    """The values of one key as a non-empty 1-D float array: a 'start:stop:num' or 'v1,v2' string,
    a number, or a flat list/array of numbers (no booleans, no strings inside)."""
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
    """A random design's range: 'lo:hi' or a pair (lo, hi) of numbers, lo < hi, both finite."""
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
    (scipy.stats.qmc, scrambled, seeded). Values are checked when the sweep starts.
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
        return math.prod(self.shape)

    def points(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Values of points lo .. hi-1, shape (n, len(keys))."""
        hi = self.size if hi is None else hi
        if self.kind == "grid":
            index = np.unravel_index(np.arange(lo, hi), self.shape)
            return np.stack([axis[i] for axis, i in zip(self.axes, index, strict=True)], axis=1)
        if self._points is None:
            raise SweepError("this design was stripped of its points (a Dask task gets its own)")
        return self._points[lo:hi]

    def as_json(self) -> dict[str, Any]:
        """Everything needed to rebuild the design (see `design_from_json`)."""
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
    """Every combination of the given values (arrays, lists or 'start:stop:num' strings)."""
    keys, axes = _keys_and_arrays(spec, "grid")
    check_points(math.prod(a.size for a in axes), len(keys), f"a {' × '.join(str(a.size) for a in axes)} grid")
    return Design("grid", keys, axes=axes)


def zipped(spec: Mapping[str, Any]) -> Design:
    """Paired values: point i takes the i-th value of every key (all of the same length)."""
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
    """`samples` points, one per row and column stratum of every key's range (ranges: (lo, hi) or 'lo:hi')."""
    return _random_design("lhs", ranges, samples, seed)


def sobol(ranges: Mapping[str, Any], samples: int, seed: int = 0) -> Design:
    """A scrambled Sobol sequence of `samples` points (a power of two) in the given ranges."""
    return _random_design("sobol", ranges, samples, seed)


def design_from_json(d: Mapping[str, Any]) -> Design:
    """Rebuild a design written by `Design.as_json` (bit-identical points)."""
    kind = d["kind"]
    if kind == "grid":
        return grid(dict(zip(d["keys"], d["values"], strict=True)))
    if kind == "zip":
        return zipped(dict(zip(d["keys"], d["values"], strict=True)))
    if kind in ("lhs", "sobol"):
        return _random_design(kind, dict(zip(d["keys"], d["ranges"], strict=True)), d["samples"], d["seed"])
    raise SweepError(f"unknown design {kind!r}; valid designs: {', '.join(DESIGNS)}")

"""Global sensitivity: which parameters drive clonus duration, frequency, beats ... over a box.

Sobol' variance-based indices of any output of a sweep (`reflexsim.sweep`), over any parameter
set (model paths, ``treatment.NAME.KEY``, ``protocol.FIELD``), with SALib:

* **Sampling** (`saltelli_points`): SALib's Saltelli scheme on a scrambled Sobol' sequence
  (`SALib.sample.sobol.sample`): N base points give N·(D+2) runs (N·(2D+2) with second-order
  indices), in blocks of D+2 rows per base point: A, A with column i from B (i = 1..D), B.
* **Runs** (`sensitivity`): the rows are an explicit (``zip``) design of `reflexsim.sweep.sweep`,
  so every run goes through the compiled sweep kernels and is graded inside them, exactly as
  `reflexsim sweep` grades it (and as `simulate` + `clonus_metrics` would).
* **Indices** (`sobol_indices`): `SALib.analyze.sobol.analyze` — first-order S1 with the
  estimator of Saltelli et al. (2010) and total ST with Jansen's (1999), on the output
  standardised to unit variance. **Confidence intervals are bootstrap intervals**: the N base
  points are resampled with replacement (`resamples` times) and the half-width is the normal
  quantile (1.96 at 95 %) times the standard deviation of the resampled indices.

S1 is the share of the output's variance that a parameter explains alone; ST adds every
interaction it takes part in. ST ≈ 0 means the parameter can be fixed anywhere in its range; a
gap ST − S1 means interactions; ΣS1 < 1 means interactions overall.

**Failed or undefined runs.** The estimators need every run of a base point's block. A run that
fails (a status other than ok: the ankle passed ±90°, ...) or whose output is undefined (the
frequency of a run with fewer than 3 beats is NaN) removes its whole block of D+2 runs; the
indices are then those of the remaining base points, and `SobolIndices.dropped` says how many
were removed. That conditions the analysis on the output being defined (e.g. "frequency, where
there is clonus"): read `dropped` before the numbers. ``on_undefined="raise"`` refuses instead.

Checked on the Ishigami function against its analytic indices (`ishigami`, `ISHIGAMI`;
tests/test_sensitivity.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from .errors import ReflexsimError
from .params import Model

if TYPE_CHECKING:  # pragma: no cover
    from .protocols import ProtocolLike

CONFIDENCE = 0.95
RESAMPLES = 1000
DEFAULT_OUTPUTS = ("duration_s", "frequency_hz")
MAX_SAMPLES = 2**20
METHOD = (
    "Sobol' indices (SALib): Saltelli sampling on a scrambled Sobol' sequence; S1 by Saltelli et al. 2010, "
    "ST by Jansen 1999; confidence intervals by bootstrap over the base points"
)


class SensitivityError(ReflexsimError, ValueError):
    """A sensitivity analysis was asked for something it cannot do (an unknown output, a sample
    count that is not a power of two, a range with lo >= hi, an output undefined on every run ...).

    Also a `ValueError`, so code that catches bad values catches it.

    Examples
    --------
    >>> from reflexsim.sensitivity import SensitivityError, saltelli_points
    >>> try:
    ...     saltelli_points({"reflex.gain": (2, 6)}, samples=6)
    ... except SensitivityError as exc:
    ...     print(exc)
    samples = 6 must be a power of two (Sobol' sequence balance); try 4 or 8
    """


def _require_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise SensitivityError(
            "global sensitivity needs SALib: pip install 'reflexsim[research]' (or pip install SALib)"
        ) from None


# ---------------------------------------------------------------------------------------------
# Sampling and analysis (any function)


def _checked_ranges(ranges: Mapping[str, Any]) -> tuple[tuple[str, ...], np.ndarray]:
    from .sweep.designs import number_range

    if not isinstance(ranges, Mapping) or not ranges:
        raise SensitivityError("give at least one parameter with a range, e.g. {'reflex.gain': (2, 6)}")
    names, bounds = [], []
    for key, r in ranges.items():
        if not isinstance(key, str) or not key.strip():
            raise SensitivityError(f"a parameter is named by a path such as 'reflex.gain', got {key!r}")
        try:
            bounds.append(number_range(key.strip(), r))
        except ReflexsimError as exc:
            raise SensitivityError(str(exc)) from None
        names.append(key.strip())
    if len(set(names)) != len(names):
        raise SensitivityError(f"a parameter is given twice: {', '.join(names)}")
    return tuple(names), np.array(bounds, dtype=float)


def _checked_samples(samples: Any) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise SensitivityError(f"samples = {samples!r} must be a whole number of base points, at least 2")
    samples = int(samples)
    m = samples.bit_length() - 1
    if samples != 2**m:
        raise SensitivityError(
            f"samples = {samples} must be a power of two (Sobol' sequence balance); try {2**m} or {2 ** (m + 1)}"
        )
    if samples > MAX_SAMPLES:
        raise SensitivityError(f"samples = {samples:,} is more than {MAX_SAMPLES:,} base points")
    return samples


def runs_per_sample(n_params: int, second_order: bool = False) -> int:
    """Runs per base point: D + 2 (2D + 2 with second-order indices).

    Parameters
    ----------
    n_params : int
        D, the number of parameters.
    second_order : bool
        Whether second-order (pair) indices are estimated.

    Returns
    -------
    int
        The size of a base point's block of runs; a design has samples times as many runs.

    Examples
    --------
    >>> from reflexsim.sensitivity import runs_per_sample
    >>> runs_per_sample(3), runs_per_sample(3, second_order=True)
    (5, 8)
    """
    return 2 * n_params + 2 if second_order else n_params + 2


def saltelli_points(
    ranges: Mapping[str, Any], samples: int, *, second_order: bool = False, seed: int = 0
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The Saltelli design: the points whose outputs `sobol_indices` analyses.

    SALib.sample.sobol on a scrambled, seeded Sobol' sequence, in blocks of `runs_per_sample`
    rows per base point.

    Parameters
    ----------
    ranges : mapping of str to range
        Parameter name -> ``(lo, hi)`` or ``"lo:hi"``, lo < hi.
    samples : int
        Base points, a power of two (at least 2, at most `MAX_SAMPLES`).
    second_order : bool
        Whether the design also serves second-order indices.
    seed : int
        Seed of the scrambling: the same seed gives the same points.

    Returns
    -------
    tuple
        (names, bounds, points): the names in order, the bounds (D, 2), and the points of shape
        (samples · `runs_per_sample`, D) scaled to the ranges.

    Raises
    ------
    SensitivityError
        If a range is invalid, a name is given twice, `samples` is not a power of two, or SALib
        is not installed.

    Examples
    --------
    >>> from reflexsim.sensitivity import saltelli_points
    >>> names, bounds, points = saltelli_points({"reflex.gain": (2, 6), "reflex.delay_s": "0.03:0.05"}, 4)
    >>> names, points.shape  # 4 base points, blocks of 2 + 2 runs
    (('reflex.gain', 'reflex.delay_s'), (16, 2))
    >>> bounds
    array([[2.  , 6.  ],
           [0.03, 0.05]])
    """
    _require_salib()
    from SALib.sample import sobol as sobol_sample

    names, bounds = _checked_ranges(ranges)
    samples = _checked_samples(samples)
    problem = {"num_vars": len(names), "names": list(names), "bounds": bounds.tolist()}
    points = sobol_sample.sample(problem, samples, calc_second_order=second_order, scramble=True, seed=seed)
    return names, bounds, points


@dataclass(frozen=True, eq=False)
class SobolIndices:
    """Sobol' indices of one output: S1 and ST per parameter with their confidence half-widths
    (`confidence` level, bootstrap), S2 (pairs) when asked for, and how many base points were
    used and dropped (their block held a failed run or an undefined output).

    Attributes
    ----------
    output : str
        The output's name.
    names : tuple of str
        The parameters, in the order of the arrays.
    S1, S1_conf : numpy.ndarray
        First-order indices and their confidence half-widths, one per parameter.
    ST, ST_conf : numpy.ndarray
        Total indices and their confidence half-widths, one per parameter.
    samples : int
        Base points used.
    dropped : int
        Base points removed (a failed run or an undefined output in their block).
    mean, std : float
        Mean and standard deviation of the output over the runs used.
    confidence : float
        Level of the intervals, e.g. 0.95.
    S2, S2_conf : numpy.ndarray or None
        Second-order indices of pairs (D, D; upper triangle) and their half-widths; None unless
        asked for.
    note : str
        Why there are no indices ("" when there are), e.g. an output that never changes.

    Examples
    --------
    >>> from reflexsim.sensitivity import ISHIGAMI_RANGES, analyze_function, ishigami
    >>> indices = analyze_function(ishigami, ISHIGAMI_RANGES, 1024, resamples=100)
    >>> indices.names, indices.samples, indices.dropped
    (('x1', 'x2', 'x3'), 1024, 0)
    >>> indices.ST.round(1)  # analytic: 0.558, 0.442, 0.244
    array([0.6, 0.4, 0.2])
    """

    output: str
    names: tuple[str, ...]
    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    samples: int  # base points used
    dropped: int  # base points removed (a failed run or undefined output in their block)
    mean: float
    std: float
    confidence: float = CONFIDENCE
    S2: np.ndarray | None = field(default=None, repr=False)
    S2_conf: np.ndarray | None = field(default=None, repr=False)
    note: str = ""

    @property
    def warning(self) -> str:
        """Why these numbers may not describe the whole box ("" when every base point was used)."""
        if not self.dropped:
            return ""
        total = self.samples + self.dropped
        return (
            f"{self.dropped} of {total} base points ({100 * self.dropped / total:.2g}%) were removed because a run "
            f"of their block failed or has no {self.output} (NaN): the indices describe the part of the box where "
            f"{self.output} is defined, and removing whole blocks biases them (S1 below 0 or ST above 1 are signs); "
            "narrow the box to where the output is defined"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: per parameter S1, ST and their intervals, and the sample counts.

        Returns
        -------
        dict
            ``output``, ``samples_used``, ``samples_dropped``, ``mean``, ``std``,
            ``confidence``, ``parameters`` ({name: S1, S1_ci, ST, ST_ci}), and ``S2``, ``note``
            and ``warning`` where they apply.
        """
        d: dict[str, Any] = {
            "output": self.output,
            "samples_used": self.samples,
            "samples_dropped": self.dropped,
            "mean": self.mean,
            "std": self.std,
            "confidence": self.confidence,
            "parameters": {
                name: {
                    "S1": float(self.S1[i]),
                    "S1_ci": [float(self.S1[i] - self.S1_conf[i]), float(self.S1[i] + self.S1_conf[i])],
                    "ST": float(self.ST[i]),
                    "ST_ci": [float(self.ST[i] - self.ST_conf[i]), float(self.ST[i] + self.ST_conf[i])],
                }
                for i, name in enumerate(self.names)
            },
        }
        if self.S2 is not None and self.S2_conf is not None:
            d["S2"] = {
                f"{a} × {b}": {"S2": float(self.S2[i, j]), "S2_conf": float(self.S2_conf[i, j])}
                for i, a in enumerate(self.names)
                for j, b in enumerate(self.names)
                if j > i
            }
        if self.note:
            d["note"] = self.note
        if self.warning:
            d["warning"] = self.warning
        return d

    def lines(self) -> list[str]:
        """A text table: S1 and ST with their intervals, largest ST first.

        Returns
        -------
        list of str
            The table's lines (indented), with the sum of S1 and any warning.
        """
        pct = round(100 * self.confidence)
        dropped = f" ({self.dropped} dropped)" if self.dropped else ""
        lines = [f"  {self.output}: mean {self.mean:.4g}, SD {self.std:.4g}; {self.samples} base points{dropped}"]
        if self.note:
            return [*lines, f"    {self.note}"]
        width = max(len(n) for n in self.names)
        lines.append(f"    {'parameter':<{width}}  {'S1':>7} ± {pct}% CI   {'ST':>7} ± {pct}% CI")
        for i in np.argsort(-self.ST, kind="stable"):
            lines.append(
                f"    {self.names[i]:<{width}}  {self.S1[i]:7.3f} ± {self.S1_conf[i]:.3f}     "
                f"{self.ST[i]:7.3f} ± {self.ST_conf[i]:.3f}"
            )
        lines.append(f"    sum of S1 = {float(np.sum(self.S1)):.3f} (1 - sum = the share of interactions)")
        if self.warning:
            lines.append(f"    warning: {self.warning}")
        return lines


def _blocks(values: np.ndarray, step: int) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    if values.size % step:
        raise SensitivityError(
            f"{values.size} outputs do not form blocks of {step} runs per base point: give the outputs of "
            "saltelli_points' rows, in order (and the same second_order)"
        )
    return values.reshape(-1, step)


class _SobolContext(TypedDict):
    """The fields of a `SobolIndices` that do not depend on whether the output varies."""

    output: str
    names: tuple[str, ...]
    samples: int
    dropped: int
    confidence: float


def sobol_indices(
    names: Sequence[str],
    values: np.ndarray,
    *,
    second_order: bool = False,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = 0,
    output: str = "y",
    on_undefined: str = "drop",
    bounds: np.ndarray | None = None,
) -> SobolIndices:
    """Sobol' indices of `values`, the outputs of the rows of `saltelli_points` in order.

    A NaN output removes its base point's whole block (``on_undefined="drop"``, counted in
    `SobolIndices.dropped`) or stops the analysis (``"raise"``). The intervals are bootstrap
    intervals over the base points at level `confidence`.

    Parameters
    ----------
    names : sequence of str
        The parameters, in the order of `saltelli_points`' columns.
    values : numpy.ndarray
        One output per row of `saltelli_points`, in order.
    second_order : bool
        Whether to estimate second-order indices (the design must have been made for them).
    confidence : float
        Level of the intervals, in [0.5, 1).
    resamples : int
        Bootstrap resamples, at least 10.
    seed : int
        Seed of the bootstrap: the same seed gives the same intervals.
    output : str
        The output's name, for the result and messages.
    on_undefined : str
        ``"drop"`` or ``"raise"``: what a NaN output does (see above).
    bounds : numpy.ndarray or None
        The parameters' bounds (D, 2), as SALib's problem records them; None for unit ranges
        (the indices do not depend on them).

    Returns
    -------
    SobolIndices
        The indices (NaN, with a `SobolIndices.note`, when the output never changes).

    Raises
    ------
    SensitivityError
        If the values do not form whole blocks, a setting is out of range, fewer than 2 base
        points remain, or there is a NaN and `on_undefined` is ``"raise"``.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.sensitivity import ISHIGAMI_RANGES, ishigami, saltelli_points, sobol_indices
    >>> names, bounds, points = saltelli_points(ISHIGAMI_RANGES, 8)
    >>> values = ishigami(points)
    >>> values[0] = np.nan  # an undefined output: its base point's block is dropped
    >>> indices = sobol_indices(names, values, bounds=bounds, resamples=100)
    >>> indices.samples, indices.dropped
    (7, 1)
    >>> sobol_indices(names, values, on_undefined="raise")
    Traceback (most recent call last):
    ...
    reflexsim.sensitivity.SensitivityError: y: 1 of 8 base points have a failed run or an undefined output ...
    """
    _require_salib()
    from SALib.analyze import sobol as sobol_analyze

    names = tuple(names)
    if on_undefined not in ("drop", "raise"):
        raise SensitivityError(f"on_undefined = {on_undefined!r}; valid values: drop, raise")
    if not 0.5 <= confidence < 1.0:
        raise SensitivityError(f"confidence = {confidence!r} must lie in [0.5, 1)")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 10:
        raise SensitivityError(f"resamples = {resamples!r} must be a whole number, at least 10")
    step = runs_per_sample(len(names), second_order)
    blocks = _blocks(values, step)
    ok = np.all(np.isfinite(blocks), axis=1)
    dropped = int(np.count_nonzero(~ok))
    if dropped and on_undefined == "raise":
        raise SensitivityError(
            f"{output}: {dropped} of {len(blocks)} base points have a failed run or an undefined output "
            "(NaN) in their block; on_undefined='drop' analyses the others"
        )
    kept = blocks[ok]
    nan = np.full(len(names), math.nan)
    if len(kept) < 2:
        raise SensitivityError(
            f"{output} is undefined (NaN) somewhere in {dropped} of {len(blocks)} base points' blocks, leaving "
            f"{len(kept)}: no indices can be estimated (is there clonus in this box?)"
        )
    y = kept.ravel()
    common = _SobolContext(output=output, names=tuple(names), samples=len(kept), dropped=dropped, confidence=confidence)
    if not np.ptp(y) > 0.0:
        note = f"{output} = {y[0]:.6g} on every run: no parameter changes it, and its indices are undefined"
        return SobolIndices(S1=nan, S1_conf=nan, ST=nan, ST_conf=nan, mean=float(y[0]), std=0.0, note=note, **common)
    lo_hi = np.tile([0.0, 1.0], (len(names), 1)) if bounds is None else np.asarray(bounds, float)
    problem = {"num_vars": len(names), "names": list(names), "bounds": lo_hi.tolist()}
    # SALib seeds its bootstrap only for a non-zero seed
    boot_seed = int(np.random.default_rng(seed).integers(1, 2**31 - 1))
    si = sobol_analyze.analyze(
        problem,
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=confidence,
        seed=boot_seed,
    )
    return SobolIndices(
        S1=np.asarray(si["S1"], float),
        S1_conf=np.asarray(si["S1_conf"], float),
        ST=np.asarray(si["ST"], float),
        ST_conf=np.asarray(si["ST_conf"], float),
        S2=np.asarray(si["S2"], float) if second_order else None,
        S2_conf=np.asarray(si["S2_conf"], float) if second_order else None,
        mean=float(np.mean(y)),
        std=float(np.std(y)),
        **common,
    )


def analyze_function(
    func: Callable[[np.ndarray], np.ndarray],
    ranges: Mapping[str, Any],
    samples: int,
    *,
    second_order: bool = False,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = 0,
    output: str = "y",
) -> SobolIndices:
    """Sobol' indices of a vectorised Python function ``func(points) -> values``.

    The same sampling and analysis as `sensitivity`, for checking it (e.g. on `ishigami`) or for
    a model of your own.

    Parameters
    ----------
    func : callable
        Takes points of shape (n, D), columns in the order of `ranges`, and returns n values.
    ranges : mapping of str to range
        Parameter name -> ``(lo, hi)`` or ``"lo:hi"``.
    samples : int
        Base points, a power of two.
    second_order, confidence, resamples, seed, output
        As for `sobol_indices` (`seed` also seeds the design).

    Returns
    -------
    SobolIndices
        The indices of `func`'s output.

    Raises
    ------
    SensitivityError
        If `func` does not return one value per point (or as for `saltelli_points` and
        `sobol_indices`).

    Examples
    --------
    >>> from reflexsim.sensitivity import ISHIGAMI, ISHIGAMI_RANGES, analyze_function, ishigami
    >>> indices = analyze_function(ishigami, ISHIGAMI_RANGES, 1024, resamples=100)
    >>> indices.S1.round(1), ISHIGAMI["S1"].round(1)
    (array([0.3, 0.4, 0. ]), array([0.3, 0.4, 0. ]))
    """
    names, bounds, points = saltelli_points(ranges, samples, second_order=second_order, seed=seed)
    values = np.asarray(func(points), dtype=float)
    if values.shape != (len(points),):
        raise SensitivityError(f"func must return one value per point ({len(points)}), got shape {values.shape}")
    return sobol_indices(
        names,
        values,
        second_order=second_order,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        output=output,
        bounds=bounds,
    )


# The Ishigami function (Ishigami & Homma 1990), the standard check of Sobol' estimators:
# Y = sin x1 + a sin² x2 + b x3⁴ sin x1 on [-π, π]³; x2 acts alone, x3 only with x1.
ISHIGAMI_RANGES = {"x1": (-math.pi, math.pi), "x2": (-math.pi, math.pi), "x3": (-math.pi, math.pi)}


def ishigami(points: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function of the rows of `points` (n, 3): the standard check of Sobol' estimators.

    Y = sin x1 + a sin² x2 + b x3⁴ sin x1 (Ishigami & Homma 1990), on [-π, π]³ (`ISHIGAMI_RANGES`).

    Parameters
    ----------
    points : numpy.ndarray
        Shape (n, 3): x1, x2, x3 per row.
    a, b : float
        The function's constants (7 and 0.1 in the literature).

    Returns
    -------
    numpy.ndarray
        Shape (n,): Y per row.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.sensitivity import ishigami
    >>> ishigami(np.array([[0.0, np.pi / 2, 1.0], [np.pi / 2, 0.0, 2.0]]))
    array([7. , 2.6])
    """
    x1, x2, x3 = np.asarray(points, float).T
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic Sobol' indices of `ishigami` (Sobol' & Levitan 1999), to check estimates against.

    Parameters
    ----------
    a, b : float
        The function's constants.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{"S1": ..., "ST": ...}``, one value per x1, x2, x3.

    Examples
    --------
    >>> from reflexsim.sensitivity import ishigami_indices
    >>> {k: v.round(3) for k, v in ishigami_indices().items()}
    {'S1': array([0.314, 0.442, 0.   ]), 'ST': array([0.558, 0.442, 0.244])}
    """
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a**2 / 8.0
    v13 = b**2 * pi8 * (1.0 / 18.0 - 1.0 / 50.0)
    var = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / var, "ST": np.array([v1 + v13, v2, v13]) / var}


ISHIGAMI = ishigami_indices()  # S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244


# ---------------------------------------------------------------------------------------------
# The model, through the sweep


def output_names() -> tuple[str, ...]:
    """The outputs a sensitivity analysis can use: the sweep's metric variables.

    Returns
    -------
    tuple of str
        The names, in the sweep Dataset's order.

    Examples
    --------
    >>> from reflexsim.sensitivity import output_names
    >>> output_names()[:3]
    ('beats', 'frequency_hz', 'duration_s')
    """
    from .sweep.dataset import METRICS

    return tuple(m[0] for m in METRICS)


def checked_outputs(outputs: Sequence[str] | str) -> tuple[str, ...]:
    """The outputs asked for, checked against `output_names` (a comma-separated string or a list).

    Parameters
    ----------
    outputs : str or sequence of str
        Output names, e.g. ``"duration_s, beats"`` (as the command line takes them).

    Returns
    -------
    tuple of str
        The names, stripped, in the order given.

    Raises
    ------
    SensitivityError
        If there is none, one is unknown (the valid ones are listed) or one is given twice.

    Examples
    --------
    >>> from reflexsim.sensitivity import checked_outputs
    >>> checked_outputs("duration_s, beats")
    ('duration_s', 'beats')
    >>> checked_outputs(["clonus"])
    Traceback (most recent call last):
    ...
    reflexsim.sensitivity.SensitivityError: unknown output 'clonus'; valid outputs (sweep variables): beats, ...
    """
    if isinstance(outputs, str):
        outputs = [o.strip() for o in outputs.split(",")]
    outputs = tuple(outputs)
    valid = output_names()
    if not outputs:
        raise SensitivityError(f"give at least one output; valid outputs: {', '.join(valid)}")
    for o in outputs:
        if o not in valid:
            raise SensitivityError(f"unknown output {o!r}; valid outputs (sweep variables): {', '.join(valid)}")
    if len(set(outputs)) != len(outputs):
        raise SensitivityError(f"an output is listed twice: {', '.join(outputs)}")
    return outputs


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """What `sensitivity` found: indices per output, with the design, the runs and their cost.

    ``result["duration_s"]`` is the `SobolIndices` of that output.

    Attributes
    ----------
    indices : mapping of str to SobolIndices
        The indices of each output.
    names : tuple of str
        The parameters (sweep keys), in order.
    bounds : numpy.ndarray
        Their ranges, shape (D, 2).
    points : numpy.ndarray
        The Saltelli design's points, shape (runs, D).
    values : mapping of str to numpy.ndarray
        Each output's value per run (NaN where undefined or failed).
    status : numpy.ndarray
        Each run's status code (`reflexsim.sweep.STATUS`).
    dataset : xarray.Dataset
        The sweep's Dataset of the runs.
    model_name : str
        The base model's name.
    samples : int
        Base points.
    runs : int
        Runs, samples · `runs_per_sample`.
    failed_runs : int
        Runs whose status is not ok.
    seconds : float
        Wall time of the analysis, in s.
    second_order : bool
        Whether second-order indices were estimated.
    method : str
        The method, as reports cite it.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sensitivity import sensitivity
    >>> result = sensitivity(rs.preset("severe"), {"reflex.gain": (2, 6)}, "beats", samples=4, duration_s=1.0,
    ...                      resamples=100)
    >>> result.runs, result.failed_runs, result.box()
    (12, 0, [('reflex.gain', (2.0, 6.0))])
    >>> result["beats"].names
    ('reflex.gain',)
    """

    indices: Mapping[str, SobolIndices]
    names: tuple[str, ...]
    bounds: np.ndarray
    points: np.ndarray = field(repr=False)
    values: Mapping[str, np.ndarray] = field(repr=False)
    status: np.ndarray = field(repr=False)
    dataset: Any = field(repr=False)
    model_name: str
    samples: int
    runs: int
    failed_runs: int
    seconds: float
    second_order: bool = False
    method: str = METHOD

    def __getitem__(self, output: str) -> SobolIndices:
        return self.indices[output]

    def box(self) -> list[tuple[str, tuple[float, float]]]:
        """The parameters and their ranges.

        Returns
        -------
        list of (str, (float, float))
            (name, (lo, hi)) per parameter.
        """
        return [(n, (float(lo), float(hi))) for n, (lo, hi) in zip(self.names, self.bounds, strict=True)]

    def summary(self) -> str:
        """Every output's table of S1 and ST with their intervals, as text.

        Returns
        -------
        str
            The box, the counts and cost, each output's table (`SobolIndices.lines`) and the method.
        """
        lines = [
            f"Sobol' sensitivity of {self.model_name}: {len(self.names)} parameter{'s' * (len(self.names) > 1)}, "
            f"{self.samples} base points, "
            f"{self.runs:,} runs ({self.failed_runs:,} failed) in {self.seconds:.1f} s",
            "  box: " + ", ".join(f"{n} in [{lo:.4g}, {hi:.4g}]" for n, (lo, hi) in self.box()),
        ]
        for ind in self.indices.values():
            lines += ind.lines()
        lines.append(f"  method: {self.method}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the box, the counts, the method and each output's indices.

        Returns
        -------
        dict
            ``model``, ``parameters``, ``samples``, ``runs``, ``failed_runs``, ``seconds``,
            ``second_order``, ``method`` and ``outputs`` (each `SobolIndices.as_dict`).
        """
        return {
            "model": self.model_name,
            "parameters": {n: [lo, hi] for n, (lo, hi) in self.box()},
            "samples": self.samples,
            "runs": self.runs,
            "failed_runs": self.failed_runs,
            "seconds": self.seconds,
            "second_order": self.second_order,
            "method": self.method,
            "outputs": {name: ind.as_dict() for name, ind in self.indices.items()},
        }

    def figure(self) -> Any:
        """Bar chart of S1 and ST with their intervals, one panel per output.

        Returns
        -------
        matplotlib.figure.Figure
            The figure (`sensitivity_figure`).
        """
        return sensitivity_figure(self.indices.values())


def sensitivity(
    model: Model,
    ranges: Mapping[str, Any],
    outputs: Sequence[str] | str = DEFAULT_OUTPUTS,
    samples: int = 1024,
    *,
    treatments: Sequence[Any] = (),
    protocol: ProtocolLike | None = None,
    duration_s: float | None = None,
    dt_s: float | None = None,
    kernel_name: str = "lockstep",
    chunk_size: int | None = None,
    client: Any = None,
    out: Any = None,
    progress: bool | None = None,
    second_order: bool = False,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = 0,
    on_undefined: str = "drop",
) -> SensitivityResult:
    """Sobol' indices of sweep `outputs` over the parameter box `ranges` around `model`.

    `ranges` maps sweep keys (parameter paths, ``treatment.NAME.KEY``, ``protocol.FIELD``) to
    (lo, hi) or 'lo:hi'; `outputs` names sweep variables (`output_names`: ``duration_s``,
    ``frequency_hz``, ``beats``, ``peak_to_peak_deg``, ``scats`` ...). `samples` base points (a
    power of two) make samples · (D + 2) runs, run as an explicit design through
    `reflexsim.sweep.sweep` (its kernels, chunks, Dask `client`, checkpoints with `out`); the
    other keywords are the sweep's. See the module docstring for the method and for how failed
    runs and undefined outputs are handled.

    Parameters
    ----------
    model : Model
        The base model, e.g. ``reflexsim.preset("severe")``.
    ranges : mapping of str to range
        Sweep key -> ``(lo, hi)`` or ``"lo:hi"``, inside the key's valid range.
    outputs : str or sequence of str
        Sweep variables to analyse (`output_names`), a list or a comma-separated string.
    samples : int
        Base points, a power of two.
    treatments, protocol, duration_s, dt_s, kernel_name, chunk_size, client, out, progress
        As for `reflexsim.sweep.sweep` (None for `duration_s` and `chunk_size`: the defaults).
    second_order, confidence, resamples, seed, on_undefined
        As for `sobol_indices` (`seed` also seeds the design).

    Returns
    -------
    SensitivityResult
        The indices per output, with the design, the runs and their cost.

    Raises
    ------
    SensitivityError
        If the model, an output, a range or a setting is invalid, or a range reaches outside its
        key's valid range.
    SweepError
        If the sweep refuses an input (see `reflexsim.sweep.sweep`).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sensitivity import sensitivity
    >>> result = sensitivity(rs.preset("severe"), {"reflex.gain": (2, 6), "reflex.delay_s": (0.03, 0.05)},
    ...                      outputs="beats", samples=4, duration_s=1.0, resamples=100)
    >>> result.runs, result.names
    (16, ('reflex.gain', 'reflex.delay_s'))
    >>> print(result.summary())
    Sobol' sensitivity of severe: 2 parameters, 4 base points, 16 runs (0 failed) in ... s
      box: reflex.gain in [2, 6], reflex.delay_s in [0.03, 0.05]
    ...
    >>> sensitivity(rs.preset("severe"), {"reflex.gain": (2, 60)}, samples=4)
    Traceback (most recent call last):
    ...
    reflexsim.sensitivity.SensitivityError: reflex.gain: the range 2:60 reaches outside its valid range [0, 40] ...
    """
    from .simulation import DEFAULT_DURATION_S
    from .sweep import DEFAULT_CHUNK_SIZE, parse_key, sweep, zipped

    started = time.perf_counter()
    if not isinstance(model, Model):
        raise SensitivityError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    outputs = checked_outputs(outputs)
    for key, (lo, hi) in zip(*_checked_ranges(ranges), strict=True):
        info = parse_key(key, protocol)  # unknown keys: the valid names
        if lo < info.lo or hi > info.hi:
            raise SensitivityError(f"{key}: the range {lo:g}:{hi:g} reaches outside its valid range {info.valid_range}")
    names, bounds, points = saltelli_points(ranges, samples, second_order=second_order, seed=seed)
    design = zipped({name: points[:, i] for i, name in enumerate(names)})
    ds = sweep(
        model,
        design,
        treatments=treatments,
        protocol=protocol,
        duration_s=DEFAULT_DURATION_S if duration_s is None else duration_s,
        dt_s=dt_s,
        kernel_name=kernel_name,
        chunk_size=DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size,
        client=client,
        out=out,
        progress=progress,
        command=f"reflexsim.sensitivity over {', '.join(names)} ({samples} base points, seed {seed})",
    )
    status = np.asarray(ds["status"]).ravel()
    values = {o: np.asarray(ds[o], dtype=float).ravel() for o in outputs}
    indices = {
        o: sobol_indices(
            names,
            values[o],
            second_order=second_order,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            output=o,
            on_undefined=on_undefined,
            bounds=bounds,
        )
        for o in outputs
    }
    return SensitivityResult(
        indices=indices,
        names=names,
        bounds=bounds,
        points=points,
        values=values,
        status=status,
        dataset=ds,
        model_name=model.name,
        samples=samples,
        runs=len(points),
        failed_runs=int(np.count_nonzero(status != 0)),
        seconds=time.perf_counter() - started,
        second_order=second_order,
    )


def sensitivity_figure(indices: Any, *, labels: Mapping[str, str] | None = None) -> Any:
    """S1 and ST bars with their confidence intervals as error bars, one panel per output.

    Parameters
    ----------
    indices : SobolIndices sequence or mapping
        The indices to draw, e.g. ``result.indices`` of `sensitivity`.
    labels : mapping of str to str, optional
        Display names for parameters and outputs (default: their own names).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from reflexsim.sensitivity import ISHIGAMI_RANGES, analyze_function, ishigami, sensitivity_figure
    >>> indices = analyze_function(ishigami, ISHIGAMI_RANGES, 64, output="Y", resamples=100)
    >>> fig = sensitivity_figure([indices], labels={"Y": "Ishigami"})
    >>> fig.axes[0].get_title()
    'Ishigami (64 base points)'
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    indices = list(indices.values() if isinstance(indices, Mapping) else indices)
    labels = dict(labels or {})
    n = len(indices)
    width = min(8.0, max(4.5, 0.6 * max(len(ind.names) for ind in indices) + 1.5))
    fig, axes = plt.subplots(1, n, figsize=(width * n, 4.4), squeeze=False)
    for ax, ind in zip(axes[0], indices, strict=True):
        x = np.arange(len(ind.names))
        pct = round(100 * ind.confidence)
        ax.bar(x - 0.2, ind.S1, 0.4, yerr=ind.S1_conf, capsize=3, label="first order S1", color="tab:blue")
        ax.bar(x + 0.2, ind.ST, 0.4, yerr=ind.ST_conf, capsize=3, label="total ST", color="tab:orange")
        ax.set_xticks(x, [labels.get(name, name) for name in ind.names], rotation=30, ha="right")
        ax.axhline(0.0, color="k", lw=0.6)
        title = f"{labels.get(ind.output, ind.output)} ({ind.samples} base points"
        title += f", {ind.dropped} dropped)" if ind.dropped else ")"
        ax.set_title(title, fontsize=10)
        lowest = np.nanmin(np.r_[ind.S1 - ind.S1_conf, 0.0]) if np.any(np.isfinite(ind.S1)) else 0.0
        highest = np.nanmax(np.r_[ind.ST + ind.ST_conf, 1.0]) if np.any(np.isfinite(ind.ST)) else 1.0
        ax.set_ylim(max(-0.5, lowest - 0.05), min(1.5, highest + 0.05))
        ax.text(
            0.99, 0.97, f"error bars: {pct}% bootstrap CI", transform=ax.transAxes, ha="right", va="top", fontsize=8
        )
    axes[0][0].set_ylabel("Sobol' index")
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig

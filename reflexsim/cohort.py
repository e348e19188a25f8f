"""Virtual patients and trials: a population sampled around a preset, the clonus test on every
patient, treatments compared by their responder fraction.

A virtual patient is the preset with the parameters in `BETWEEN_SUBJECT_SPREAD` drawn from
log-normal distributions (mean = the preset's value, coefficient of variation from the literature
where it is known, marked *assumed* where it is not), redrawn until inside the parameter's valid
range. Each treatment arm applies one treatment to every patient (the treatment acts on that
patient's own parameters, so a patient with a higher gain keeps a higher gain after tizanidine),
and all runs go through the compiled sweep kernel (`reflexsim.sweep`, a zipped design).

    >>> import reflexsim as rs
    >>> from reflexsim.cohort import cohort
    >>> trial = cohort(rs.preset("severe"), n=8, treatments=["tizanidine:dose_mg=16"], duration_s=3, progress=False)
    >>> trial.sizes["arm"], trial.sizes["patient"]
    (2, 8)

A responder is a patient whose SCATS clonus grade drops by at least `responder_drop` (default 1)
under the treatment; the responder fraction comes with a Wilson score interval. Patients whose
run failed in either arm are left out of both the count and the denominator (``n_evaluable``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ParameterError
from .params import PATHS, Model, checked_number, describe
from .presets import preset
from .provenance import command_line
from .simulation import DEFAULT_DURATION_S
from .treatments import apply_all, get, parse_spec

if TYPE_CHECKING:
    import xarray as xr

MAX_PATIENTS = 1_000_000
_MAX_REDRAWS = 200


@dataclass(frozen=True)
class Spread:
    """Between-subject spread of one parameter: a coefficient of variation (log-normal) and its source.

    Attributes
    ----------
    path : str
        Parameter path, e.g. ``reflex.delay_s``.
    cv : float
        Coefficient of variation (standard deviation over mean), 0 to 1.
    source : str
        Where the number comes from; "assumed" where no measurement was found.

    Examples
    --------
    >>> from reflexsim.cohort import Spread, sample_patients
    >>> from reflexsim import preset
    >>> only_delay = [Spread("reflex.delay_s", 0.1, "my lab's latencies")]
    >>> sorted(sample_patients(preset("severe"), 5, only_delay))
    ['reflex.delay_s']
    """

    path: str
    cv: float
    source: str


BETWEEN_SUBJECT_SPREAD: tuple[Spread, ...] = (
    Spread("reflex.delay_s", 3.0 / 42.0, "soleus short-latency stretch reflex onset 42 ± 3 ms (Sinkjaer et al. 1996)"),
    Spread(
        "muscle.contraction_time_s",
        11.0 / 112.0,
        "triceps surae twitch contraction time 112 ± 11 ms (Sale et al. 1982)",
    ),
    Spread(
        "muscle.max_force_n",
        0.20,
        "assumed: soleus maximal force 3500-6200 N across models and subjects (gait2392; Rajagopal 2016), "
        "a quarter of that range over the mean",
    ),
    Spread("muscle.moment_arm_m", 0.08, "assumed: Achilles moment arm 35-50 mm (Manal 2013; Wolfram 2018), range/4"),
    Spread("foot.inertia_kg_m2", 0.20, "assumed: foot inertia 0.01-0.05 kg·m² with the examiner's hand"),
    Spread("muscle.passive_scale", 0.25, "assumed: relaxed passive stiffness 20-150 N·m/rad across subjects"),
    Spread("reflex.gain", 0.25, "assumed: no between-patient spread of the loop gain is published"),
    Spread("reflex.threshold_ips", 0.10, "assumed: no between-patient spread of the reflex threshold is published"),
)


def _check_spread(spread: Sequence[Spread]) -> tuple[Spread, ...]:
    known = set(PATHS)
    checked = []
    for s in spread:
        if not isinstance(s, Spread):
            raise ParameterError(f"spread entries are cohort.Spread(path, cv, source), got {s!r}")
        if s.path not in known:
            raise ParameterError(f"spread: unknown parameter {s.path!r} (`reflexsim params` lists them)")
        checked_number(f"spread[{s.path}].cv", s.cv, 0.0, 1.0, "1")
        checked.append(s)
    if len({s.path for s in checked}) != len(checked):
        raise ParameterError("spread: a parameter is listed twice")
    return tuple(checked)


def sample_patients(
    model: Model, n: int, spread: Sequence[Spread] = BETWEEN_SUBJECT_SPREAD, seed: int = 0
) -> dict[str, np.ndarray]:
    """Draw `n` virtual patients around `model`: {parameter path: n values}.

    Each parameter is log-normal with mean = the model's value and the spread's coefficient of
    variation; draws outside the parameter's valid range are redrawn (a truncated distribution).

    Parameters
    ----------
    model : Model
        The typical patient (e.g. ``preset("severe")``).
    n : int
        Number of patients, 1 to 1,000,000.
    spread : sequence of Spread
        Which parameters vary and by how much (default `BETWEEN_SUBJECT_SPREAD`).
    seed : int
        Seed of the random generator: the same seed gives the same patients.

    Returns
    -------
    dict of str to numpy.ndarray
        The sampled values of each varied parameter, in SI units.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.cohort import sample_patients
    >>> values = sample_patients(preset("severe"), 1000, seed=1)
    >>> round(float(values["reflex.delay_s"].mean()), 3)
    0.04
    """
    n = int(checked_number("n", n, 1, MAX_PATIENTS, "patients"))
    rng = np.random.default_rng(int(checked_number("seed", seed, 0, 2**63 - 1, "1")))
    values = {}
    for s in _check_spread(spread):
        mean = model.get(s.path)
        if s.cv == 0.0 or mean <= 0.0:
            values[s.path] = np.full(n, mean)
            continue
        sigma = math.sqrt(math.log1p(s.cv**2))
        mu = math.log(mean) - 0.5 * sigma**2
        info = describe(s.path)
        lo, hi = info.lo, info.hi
        drawn = rng.lognormal(mu, sigma, n)
        for _ in range(_MAX_REDRAWS):
            outside = (drawn < lo) | (drawn > hi)
            if not outside.any():
                break
            drawn[outside] = rng.lognormal(mu, sigma, int(outside.sum()))
        else:
            raise ParameterError(f"spread[{s.path}]: cv {s.cv:g} puts too many draws outside [{lo:g}, {hi:g}]")
        values[s.path] = drawn
    return values


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (good coverage even near 0 or 1 and for small samples):
    scipy's ``binomtest(...).proportion_ci(method="wilson")``, with (nan, nan) for no trials.

    Parameters
    ----------
    successes, trials : int
        Counts; with no trials the interval is (nan, nan).
    confidence : float
        Coverage, e.g. 0.95.

    Returns
    -------
    tuple of float
        (low, high).

    Examples
    --------
    >>> from reflexsim.cohort import wilson_interval
    >>> [round(x, 3) for x in wilson_interval(50, 100)]
    [0.404, 0.596]
    """
    if trials == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest

    ci = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _arm_models(base: Model, patients: Mapping[str, np.ndarray], spec: str | None) -> tuple[Model, dict[str, Any]]:
    """An arm's base model and zipped design: the patients, each treated by `spec` (None: untreated).

    Parameters that the treatment sets to one value for everybody (an orthosis' stiffness) go into
    the base model; those that differ between patients into the design.
    """
    n = len(next(iter(patients.values())))
    if spec is None:
        return base, dict(patients)
    name, _ = parse_spec(spec)
    paths = list(dict.fromkeys([*patients, *get(name).acts_on]))
    columns: dict[str, list[float]] = {path: [] for path in paths}
    for i in range(n):
        treated = apply_all(base.with_values({p: float(v[i]) for p, v in patients.items()}), [spec])
        for path in paths:
            columns[path].append(treated.get(path))
    varying = {p: np.asarray(c) for p, c in columns.items() if p in patients or any(v != c[0] for v in c)}
    constant = {p: c[0] for p, c in columns.items() if p not in varying and c[0] != base.get(p)}
    return (base.with_values(constant) if constant else base), varying


def cohort(
    model: Model | str,
    n: int = 1000,
    treatments: Sequence[str] = (),
    *,
    spread: Sequence[Spread] = BETWEEN_SUBJECT_SPREAD,
    seed: int = 0,
    protocol: Any = None,
    duration_s: float = DEFAULT_DURATION_S,
    responder_drop: int = 1,
    confidence: float = 0.95,
    out: Any = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Run the clonus test on `n` virtual patients, untreated and under each treatment.

    Parameters
    ----------
    model : Model or str
        The typical patient, or a preset name.
    n : int
        Number of patients.
    treatments : sequence of str
        One arm per entry, ``NAME[:key=value,...]`` as on the command line (each applied alone).
    spread : sequence of Spread
        The between-subject spread (default `BETWEEN_SUBJECT_SPREAD`).
    seed : int
        Seed of the population.
    protocol : protocol, optional
        The test (default: the standard clonus test).
    duration_s : float
        Simulated time per run, s.
    responder_drop : int
        SCATS grades a patient's clonus must drop by to count as a responder (1-3).
    confidence : float
        Coverage of the responder fraction's Wilson interval (0.5-0.999).
    out : path, optional
        A ``.nc`` file to write the trial to (atomically).
    progress : bool, optional
        Progress bars of the sweeps (default as `reflexsim.sweep.sweep`).

    Returns
    -------
    xarray.Dataset
        Dimensions ``arm`` ("untreated", then the treatments) and ``patient``: every clonus
        metric of every run, the sampled parameters, ``responder`` (1/0, -1 where a run failed),
        and per arm ``responder_fraction`` with ``responder_ci_low``/``responder_ci_high`` and
        ``n_evaluable``.

    Raises
    ------
    reflexsim.errors.ParameterError
        For a bad count, spread, treatment or option (before any simulation).

    Examples
    --------
    >>> from reflexsim.cohort import cohort
    >>> trial = cohort("severe", n=6, treatments=["botox:weeks=3"], duration_s=3, progress=False)
    >>> float(trial.responder_fraction.sel(arm="botox:weeks=3")) >= 0.0
    True
    """
    from .sweep import sweep, zipped
    from .sweep.names import cf_name, key_attrs
    from .sweep.spec import parse_key
    from .sweep.store import check_out, write_netcdf

    base = preset(model) if isinstance(model, str) else model
    if isinstance(treatments, str) or not isinstance(treatments, Sequence):
        raise ParameterError(f"treatments must be a list such as ['tizanidine:dose_mg=4'], got {treatments!r}")
    arms = ["untreated", *(str(t) for t in treatments)]
    if len(set(arms)) != len(arms):
        raise ParameterError("treatments: an arm is listed twice (or is called 'untreated')")
    for spec in treatments:
        parse_spec(spec)  # a bad name or key is refused before any work
    drop = int(checked_number("responder_drop", responder_drop, 1, 3, "SCATS grades"))
    confidence = checked_number("confidence", confidence, 0.5, 0.999, "1")
    out_path = None if out is None else check_out(out)
    spread = _check_spread(spread)
    patients = sample_patients(base, n, spread, seed)

    import xarray as xr

    results = []
    for arm_spec in [None, *treatments]:
        arm_base, design = _arm_models(base, patients, arm_spec)
        ds = sweep(arm_base, zipped(design), protocol=protocol, duration_s=duration_s, progress=progress)
        metrics = ds.drop_vars([c for c in ds.coords if c != "point"]).rename(point="patient")
        results.append(metrics.drop_vars("patient"))
    trial = xr.concat(results, dim="arm", combine_attrs="drop_conflicts")
    trial = trial.assign_coords(arm=("arm", arms), patient=("patient", np.arange(len(results[0].patient))))
    trial["arm"].attrs = {"long_name": "trial arm: untreated, or the treatment applied to every patient"}
    trial["patient"].attrs = {"long_name": "virtual patient index"}
    for path, values in patients.items():
        name = cf_name(path)
        trial[name] = ("patient", values, key_attrs(parse_key(path)))
    ok = trial.status == 0
    scats = trial.scats
    evaluable = ok & ok.sel(arm="untreated")
    responder = ((scats.sel(arm="untreated") - scats) >= drop).astype("int8").where(evaluable, -1)
    responder.loc[{"arm": "untreated"}] = -1
    trial["responder"] = responder.astype("int8").transpose("arm", "patient")
    trial["responder"].attrs = {
        "long_name": f"SCATS grade dropped by at least {drop} against the untreated run",
        "units": "1",
        "flag_values": np.array([-1, 0, 1], dtype="int8"),
        "flag_meanings": "not_evaluable non_responder responder",
    }
    counts = [(int((trial.responder.sel(arm=a) == 1).sum()), int(evaluable.sel(arm=a).sum())) for a in arms]
    fractions = [k / m if m and a != "untreated" else math.nan for a, (k, m) in zip(arms, counts, strict=True)]
    intervals = [
        wilson_interval(k, m, confidence) if a != "untreated" else (math.nan, math.nan)
        for a, (k, m) in zip(arms, counts, strict=True)
    ]
    trial["responder_fraction"] = ("arm", np.asarray(fractions), {"long_name": "fraction of responders", "units": "1"})
    trial["responder_ci_low"] = (
        "arm",
        np.asarray([lo for lo, _ in intervals]),
        {"long_name": f"responder fraction, {confidence:.0%} Wilson interval, lower end", "units": "1"},
    )
    trial["responder_ci_high"] = (
        "arm",
        np.asarray([hi for _, hi in intervals]),
        {"long_name": f"responder fraction, {confidence:.0%} Wilson interval, upper end", "units": "1"},
    )
    trial["n_evaluable"] = (
        "arm",
        np.asarray([m for _, m in counts], dtype="int64"),
        {"long_name": "patients whose runs succeeded in this arm and untreated", "units": "1"},
    )
    trial.attrs.update(
        {
            "title": "reflexsim virtual trial",
            "model_name": base.name,
            "patients": len(trial.patient),
            "seed": int(seed),
            "responder_drop_scats": drop,
            "spread": "; ".join(f"{s.path}: cv {s.cv:g} ({s.source})" for s in spread),
            "command": command_line(),
        }
    )
    for drop_key in ("design", "samples", "sweep_spec", "sweep_digest", "swept"):
        trial.attrs.pop(drop_key, None)
    if out_path is not None:
        write_netcdf(trial, out_path)
    return trial


def trial_summary(trial: xr.Dataset) -> str:
    """One line per arm: clonus and responder fraction with its interval.

    Parameters
    ----------
    trial : xarray.Dataset
        What `cohort` returned.

    Returns
    -------
    str
        A small table, e.g. for a terminal.

    Examples
    --------
    >>> from reflexsim.cohort import cohort, trial_summary
    >>> print(trial_summary(cohort("severe", n=4, duration_s=3, progress=False)).splitlines()[0])
    arm median clonus s sustained responders (CI)
    """
    lines = [f"{'arm':28s} {'median clonus s':>15s} {'sustained':>9s} {'responders (CI)':>26s}"]
    for arm in trial.arm.values:
        a = trial.sel(arm=arm)
        sustained = float((a.scats == 3).mean())
        if arm == "untreated":
            resp = "—"
        else:
            resp = (
                f"{float(a.responder_fraction):6.1%} ({float(a.responder_ci_low):.1%}–{float(a.responder_ci_high):.1%})"
            )
        lines.append(f"{arm!s:28s} {float(a.duration_s.median()):15.2f} {sustained:9.0%} {resp:>26s}")
    return "\n".join(lines)

"""Virtual patients and trials (reflexsim.cohort): the population, the arms, the responder count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reflexsim import preset
from reflexsim.cohort import BETWEEN_SUBJECT_SPREAD, Spread, _arm_models, cohort, sample_patients, wilson_interval
from reflexsim.errors import ParameterError
from reflexsim.params import describe
from reflexsim.treatments import TreatmentError

xr = pytest.importorskip("xarray")


def test_patients_have_the_preset_as_mean_and_the_stated_spread():
    from scipy.stats import lognorm

    base = preset("severe")
    values = sample_patients(base, 20_000, seed=3)
    assert set(values) == {s.path for s in BETWEEN_SUBJECT_SPREAD}
    checked = 0
    for s in BETWEEN_SUBJECT_SPREAD:
        v = values[s.path]
        info = describe(s.path)
        assert v.min() >= info.lo and v.max() <= info.hi
        sigma = math.sqrt(math.log1p(s.cv**2))
        dist = lognorm(sigma, scale=base.get(s.path) * math.exp(-0.5 * sigma**2))
        if dist.sf(info.hi) + dist.cdf(info.lo) > 1e-4:
            # the valid range cuts the tail (the severe lesion's passive scale 2.0 of at most 3.0): the
            # redrawn values follow the truncated distribution, whose mean is the reference
            lo_p, hi_p = dist.cdf(info.lo), dist.cdf(info.hi)
            grid = dist.ppf(np.linspace(lo_p, hi_p, 200_001)[1:-1])
            assert np.mean(v) == pytest.approx(np.mean(grid), rel=4 * s.cv / math.sqrt(len(v)))
            assert np.mean(v) < base.get(s.path)
            continue
        # log-normal with mean = the preset's value: 20,000 draws put the sample mean within 4 standard
        # errors and the sample cv within 10 % of the stated one
        assert np.mean(v) == pytest.approx(base.get(s.path), rel=4 * s.cv / math.sqrt(len(v)))
        assert np.std(v) / np.mean(v) == pytest.approx(s.cv, rel=0.1)
        checked += 1
    assert checked >= len(BETWEEN_SUBJECT_SPREAD) - 1


def test_the_same_seed_gives_the_same_patients_and_another_seed_others():
    a, b, c = (sample_patients(preset("mild"), 50, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(a[p], b[p]) for p in a)
    assert not np.array_equal(a["reflex.gain"], c["reflex.gain"])


@pytest.mark.parametrize(
    ("spread", "message"),
    [
        ([Spread("reflex.gian", 0.1, "x")], "unknown parameter 'reflex.gian'"),
        ([Spread("reflex.gain", 1.5, "x")], "spread[reflex.gain].cv = 1.5 is outside"),
        ([Spread("reflex.gain", 0.1, "x"), Spread("reflex.gain", 0.2, "y")], "listed twice"),
        ([("reflex.gain", 0.1)], "cohort.Spread(path, cv, source)"),
    ],
)
def test_a_bad_spread_is_refused_naming_it(spread, message):
    with pytest.raises(ParameterError) as err:
        sample_patients(preset("severe"), 10, spread)
    assert message in str(err.value)


@given(st.integers(0, 60), st.integers(1, 60), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=60, deadline=None)
def test_wilson_interval_agrees_with_scipy(k, extra, confidence):
    from scipy.stats import binomtest

    n = k + extra
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    lo, hi = wilson_interval(k, n, confidence)
    assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)


def test_a_treatment_acts_on_each_patients_own_parameters():
    base = preset("severe")
    patients = sample_patients(base, 20, seed=5)
    arm_base, design = _arm_models(base, patients, "tizanidine:dose_mg=4")
    ratio = design["reflex.gain"] / patients["reflex.gain"]
    assert np.ptp(ratio) < 1e-12 and ratio[0] < 0.9  # the same relative cut for everybody
    arm_base, design = _arm_models(base, patients, "afo_carbon")
    assert arm_base.orthosis.stiffness_nm_per_rad > 0 and "orthosis.stiffness_nm_per_rad" not in design


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    out = tmp_path_factory.mktemp("trial") / "trial.nc"
    arms = ["rhizotomy:fraction=1", "tizanidine:dose_mg=4"]
    return cohort("severe", n=24, treatments=arms, duration_s=6, seed=2, progress=False, out=out), out


def test_trial_has_every_arm_and_patient_and_reads_back(trial):
    ds, out = trial
    assert list(ds.arm.values) == ["untreated", "rhizotomy:fraction=1", "tizanidine:dose_mg=4"]
    assert ds.sizes == {"arm": 3, "patient": 24}
    assert ds.responder.dims == ("arm", "patient") and (ds.responder.sel(arm="untreated") == -1).all()
    with xr.open_dataset(out) as back:
        assert back.responder_fraction.values[1:] == pytest.approx(ds.responder_fraction.values[1:])
        assert back.attrs["title"] == "reflexsim virtual trial" and "reflexsim" in back.attrs["history"]


def test_cutting_the_whole_reflex_helps_exactly_the_patients_with_clonus(trial):
    ds, _ = trial
    untreated = ds.sel(arm="untreated")
    cut = ds.sel(arm="rhizotomy:fraction=1")
    assert (cut.scats == 0).all()  # no reflex, no clonus
    had_clonus = untreated.scats >= 1
    assert (cut.responder == had_clonus.astype("int8")).all()
    assert float(cut.responder_fraction) == pytest.approx(float(had_clonus.mean()))
    assert cut.responder_ci_low <= cut.responder_fraction <= cut.responder_ci_high


def test_the_population_is_not_all_alike(trial):
    ds, _ = trial
    untreated = ds.sel(arm="untreated")
    assert float(untreated.frequency_hz.std()) > 0.05 and np.isfinite(untreated.frequency_hz).any()
    assert len(set(untreated.scats.values.tolist())) >= 2  # more than one clonus grade among 24 patients


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ParameterError, "n = 0 is outside"),
        ({"treatments": ["tizanidin"]}, TreatmentError, "did you mean 'tizanidine'"),
        ({"treatments": "botox"}, ParameterError, "must be a list"),
        ({"treatments": ["botox", "botox"]}, ParameterError, "listed twice"),
        ({"responder_drop": 4}, ParameterError, "responder_drop = 4 is outside"),
    ],
)
def test_bad_trials_are_refused_before_any_work(kwargs, error, message, tmp_path):
    with pytest.raises(error) as err:
        cohort("severe", **{"n": 4, "out": tmp_path / "t.nc", **kwargs})
    assert message in str(err.value) and not list(tmp_path.iterdir())

"""Triggers move the model in the direction of their source, by the size it reports.

Reflex sizes are measured as the treatments' are: the peak reflex torque the calibration stretch
(8° at 175 °/s, motor-held) evokes (`treatments.peak_reflex_torque`), on the healthy ankle, whose
subjects the studies measured. Clonus is graded with the standard clonus test (12 s) and, for
spontaneous clonus, with `triggers.AT_REST` (the foot untouched but for a 0.2 N·m nudge).
"""

from __future__ import annotations

import json
import math
from types import MappingProxyType

import pytest

from reflexsim import clonus_metrics, simulate
from reflexsim.cli import main
from reflexsim.presets import preset
from reflexsim.treatments import TREATMENTS, Treatment, TreatmentError, apply, peak_reflex_torque
from reflexsim.triggers import (
    AT_REST,
    TRIGGERS,
    caffeine_effect,
    fatigue_reflex_fraction,
    gain_factor_for_reflex_change,
    serotonin_amplification,
)

# Reported percentages are hit to within one percentage point. The bisection stops at a bracket
# 1e-4 wide (relative) in a gain to which the reflex is proportional, so its own error is ~0.01
# point; one point leaves room for the step and the servo's small give, and is two orders of
# magnitude below the studies' spread (caffeine ± 17 points, stress SD ~100 points).
PERCENT_POINT = 0.01


def _ratio(name: str, preset_name: str = "healthy", **keys: float) -> float:
    base = preset(preset_name)
    return peak_reflex_torque(TRIGGERS[name](base, **keys)) / peak_reflex_torque(base)


def _test(model):
    return clonus_metrics(simulate(model, duration_s=12.0))


def _at_rest(model):
    return clonus_metrics(simulate(model, AT_REST, duration_s=10.0))


# ---------------------------------------------------------------------------------------------
# The registry


def test_triggers_are_treatments_in_a_read_only_mapping():
    assert isinstance(TRIGGERS, MappingProxyType)
    assert set(TRIGGERS) == {
        "serotonin_toxicity",
        "caffeine",
        "amphetamine",
        "stress",
        "sleep_loss",
        "fatigue",
        "baclofen_withdrawal",
        "benzodiazepine_withdrawal",
    }
    assert all(isinstance(t, Treatment) and t.name == name for name, t in TRIGGERS.items())
    assert all(t.kind == "trigger" for t in TRIGGERS.values())
    # baclofen withdrawal is listed in both: the same law, not a copy of it
    assert TRIGGERS["baclofen_withdrawal"].function is TREATMENTS["baclofen_withdrawal"].function
    for t in TRIGGERS.values():
        assert t.summary and t.source and t.keys
        for k in t.keys:
            assert k.lo <= k.default <= k.hi and k.unit and k.doc


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_each_trigger_changes_only_the_paths_it_names(name):
    for preset_name in ("healthy", "mild"):
        base = preset(preset_name)
        triggered = TRIGGERS[name](base)
        changed = {path for path, value in base.items() if triggered.get(path) != value}
        assert changed <= set(TRIGGERS[name].acts_on), (preset_name, changed)
        assert triggered.name == f"{preset_name} + {name}"


@pytest.mark.parametrize(
    ("name", "key", "value", "fragment"),
    [
        ("caffeine", "dose_mg_per_kg", 7.0, "caffeine:dose_mg_per_kg = 7.0 is outside its valid range [0, 6] mg/kg"),
        ("caffeine", "hours_after_dose", -1.0, "caffeine:hours_after_dose = -1.0 is outside its valid range [0, 24] h"),
        ("serotonin_toxicity", "severity", 4.0, "serotonin_toxicity:severity = 4.0 is outside its valid range [0, 3]"),
        (
            "stress",
            "reflex_increase_pct",
            200.0,
            "stress:reflex_increase_pct = 200.0 is outside its valid range [0, 160]",
        ),
        ("sleep_loss", "hours_awake", 48.0, "sleep_loss:hours_awake = 48.0 is outside its valid range [0, 24] h"),
        ("fatigue", "minutes_since", -5.0, "fatigue:minutes_since = -5.0 is outside its valid range [0, 120] min"),
        ("amphetamine", "dose_fraction", 2.0, "amphetamine:dose_fraction = 2.0 is outside its valid range [0, 1]"),
        (
            "benzodiazepine_withdrawal",
            "days_since_stop",
            90.0,
            "benzodiazepine_withdrawal:days_since_stop = 90.0 is outside its valid range [0, 60] days",
        ),
        ("caffeine", "dose_mg_per_kg", "lots", "caffeine:dose_mg_per_kg = 'lots' is not a number"),
        ("caffeine", "dose_mg_per_kg", math.nan, "caffeine:dose_mg_per_kg = nan is outside its valid range"),
    ],
)
def test_bad_key_values_are_refused_naming_key_and_range(name, key, value, fragment):
    with pytest.raises(TreatmentError) as err:
        TRIGGERS[name](preset("mild"), **{key: value})
    assert fragment in str(err.value)


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(TreatmentError) as err:
        TRIGGERS["caffeine"](preset("mild"), dose_mg=400)
    assert "has no key 'dose_mg'; valid keys: dose_mg_per_kg, hours_after_dose" in str(err.value)


# ---------------------------------------------------------------------------------------------
# Calibration


def test_gain_factor_reproduces_the_requested_reflex_change():
    for ratio in (0.6, 1.43, 2.11):
        factor = gain_factor_for_reflex_change(ratio)
        model = preset("healthy").with_values({"reflex.gain": factor})
        assert peak_reflex_torque(model) / peak_reflex_torque(preset("healthy")) == pytest.approx(ratio, abs=1e-3)
    assert gain_factor_for_reflex_change(1.0) == 1.0


# ---------------------------------------------------------------------------------------------
# Serotonin toxicity: Hunter levels on the healthy ankle


def test_serotonin_scale_is_monotone_and_zero_is_no_change():
    levels = [serotonin_amplification(s) for s in (0, 0.5, 1, 1.5, 2, 2.5, 3)]
    assert levels == sorted(levels) and levels[0] == 1.0
    healthy = preset("healthy")
    assert dict(TRIGGERS["serotonin_toxicity"](healthy, severity=0).items()) == dict(healthy.items())
    models = [TRIGGERS["serotonin_toxicity"](healthy, severity=s) for s in (1, 2, 3)]
    assert [m.reflex.threshold_ips for m in models] == sorted((m.reflex.threshold_ips for m in models), reverse=True)
    assert [m.reflex.gain for m in models] == sorted(m.reflex.gain for m in models)
    assert all(m.reflex.tone > 0 for m in models)


def test_serotonin_mild_level_is_hyperreflexia_without_clonus():
    model = TRIGGERS["serotonin_toxicity"](preset("healthy"), severity=1)
    assert peak_reflex_torque(model) > 5.0  # N·m, from 0.05 N·m: a brisk reflex (hyperreflexia)
    assert _test(model).beats < 3
    assert _at_rest(model).beats == 0


def test_serotonin_moderate_level_is_inducible_clonus():
    model = TRIGGERS["serotonin_toxicity"](preset("healthy"), severity=2)
    assert _test(model).beats >= 3  # inducible: the clonus test brings it on
    assert _at_rest(model).beats == 0  # ... but the untouched ankle stays still


def test_serotonin_severe_level_is_spontaneous_clonus():
    model = TRIGGERS["serotonin_toxicity"](preset("healthy"), severity=3)
    rest = _at_rest(model)
    assert rest.beats >= 10 and rest.ongoing  # grows from a nudge of < 0.1° and keeps beating
    assert rest.max_peak_to_peak_deg > 1.0
    assert _test(model).scats == 3


# ---------------------------------------------------------------------------------------------
# Stimulants


def test_caffeine_6_mg_per_kg_at_its_peak_raises_the_reflex_43_percent():
    """Walton et al. 2003: H-slope/M-slope +43 % 1 h after 6 mg/kg."""
    assert _ratio("caffeine") == pytest.approx(1.43, abs=PERCENT_POINT)
    assert _ratio("caffeine", dose_mg_per_kg=3.0) == pytest.approx(1.215, abs=PERCENT_POINT)


def test_caffeine_time_course_peaks_at_1_h_and_wears_off():
    hours = [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 24.0]
    effects = [caffeine_effect(6.0, h) for h in hours]
    assert effects[0] == 0.0 and max(effects) == effects[2] == pytest.approx(0.43, abs=1e-4)  # peak at 1.0 h
    assert effects[2:] == sorted(effects[2:], reverse=True)
    assert effects[4] == pytest.approx(0.43 * 0.5 ** (4.0 / 5.0), rel=0.1)  # t1/2 5 h after the peak
    assert effects[-1] < 0.02
    assert TRIGGERS["caffeine"](preset("mild"), dose_mg_per_kg=0.0).reflex.gain == preset("mild").reflex.gain


def test_amphetamine_amplifies_by_the_pic_increase_at_its_peak():
    """Udina et al. 2010: ΔF +62 %; amplification A = 1.62: gain ×A, threshold ÷A."""
    for name in ("healthy", "mild"):
        base, peak = preset(name), TRIGGERS["amphetamine"](preset(name))
        assert peak.reflex.gain / base.reflex.gain == pytest.approx(1.62, rel=1e-3)
        assert base.reflex.threshold_ips / peak.reflex.threshold_ips == pytest.approx(1.62, rel=1e-3)
    late = TRIGGERS["amphetamine"](preset("healthy"), hours_after_dose=48.0)
    assert 1.0 < late.reflex.gain < 1.05
    assert _ratio("amphetamine") > 1.0
    assert _test(TRIGGERS["amphetamine"](preset("healthy"))).beats < 3  # a healthy ankle stays clonus-free


# ---------------------------------------------------------------------------------------------
# Stress, sleep loss, fatigue


def test_stress_raises_the_reflex_by_the_reported_percentage():
    """Hjortskov et al. 2005: +111 % (mental arithmetic), +160 % (static handgrip), relaxed soleus."""
    assert _ratio("stress") == pytest.approx(2.11, abs=PERCENT_POINT)
    assert _ratio("stress", reflex_increase_pct=160.0) == pytest.approx(2.60, abs=PERCENT_POINT)
    assert _ratio("stress", reflex_increase_pct=0.0) == pytest.approx(1.0, abs=1e-9)


def test_stress_percentage_does_not_depend_on_the_stretch():
    """Through the gain, a tendon tap and a ramp stretch rise alike: the clonus test's brisker
    stretch (10° at 250 °/s) rises by the same 111 %, within 1.5 points (its hand-driven stretch
    is not servo-exact)."""
    healthy = preset("healthy")

    def clonus_test_reflex(model):
        return clonus_metrics(simulate(model, duration_s=1.0)).peak_reflex_torque_nm

    ratio = clonus_test_reflex(TRIGGERS["stress"](healthy)) / clonus_test_reflex(healthy)
    assert ratio == pytest.approx(2.11, abs=1.5 * PERCENT_POINT)


def test_sleep_loss_changes_nothing():
    """Gonçalves et al. 2020: after 24 h awake, soleus H-reflex and V-wave unchanged."""
    for name in ("healthy", "mild", "severe"):
        base = preset(name)
        assert dict(TRIGGERS["sleep_loss"](base).items()) == dict(base.items())
    assert _test(TRIGGERS["sleep_loss"](preset("mild"))).duration_s == _test(preset("mild")).duration_s


def test_fatigue_lowers_the_reflex_and_recovers_on_the_reported_course():
    """Garland & McComas 1990: H-reflex ~60 % right after, ~90 % within 2-3 min, 96-97 % at 30 min."""
    assert [fatigue_reflex_fraction(t) for t in (0.0, 2.5, 30.0)] == pytest.approx([0.60, 0.90, 0.965], abs=0.003)
    assert _ratio("fatigue") == pytest.approx(0.60, abs=PERCENT_POINT)
    assert _ratio("fatigue", minutes_since=30.0) == pytest.approx(0.965, abs=PERCENT_POINT)
    fractions = [fatigue_reflex_fraction(t) for t in (0, 1, 2, 5, 10, 30, 60, 120)]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0


def test_fatigue_shortens_the_mild_lesions_clonus():
    baseline = _test(preset("mild")).duration_s
    assert _test(TRIGGERS["fatigue"](preset("mild"))).duration_s < baseline
    assert _test(TRIGGERS["fatigue"](preset("mild"), minutes_since=30.0)).duration_s < baseline


# ---------------------------------------------------------------------------------------------
# Withdrawal


def test_benzodiazepine_withdrawal_washes_out_then_rebounds_then_settles():
    base = preset("mild")
    on_drug = apply(base, "diazepam", plasma_ng_per_ml=800.0)
    day = {d: TRIGGERS["benzodiazepine_withdrawal"](base, days_since_stop=d) for d in (0.0, 2.0, 7.0, 60.0)}
    assert day[0.0].reflex.gain == pytest.approx(on_drug.reflex.gain)  # still on the drug
    assert day[0.0].muscle.max_force_n == pytest.approx(on_drug.muscle.max_force_n)
    assert day[0.0].reflex.gain < day[2.0].reflex.gain < day[7.0].reflex.gain
    former_cut = 1.0 - on_drug.reflex.gain / base.reflex.gain
    assert day[7.0].reflex.gain / base.reflex.gain == pytest.approx(1.0 + 0.5 * former_cut, rel=0.01)  # the rebound
    assert day[60.0].reflex.gain == pytest.approx(base.reflex.gain, rel=0.01)
    assert day[60.0].muscle.max_force_n == pytest.approx(base.muscle.max_force_n, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# What the experiment asks


def test_excitatory_triggers_make_the_mild_lesions_clonus_sustained_and_spare_a_healthy_ankle():
    assert _test(preset("mild")).scats == 1  # fatigable, < 3 s
    for name in ("caffeine", "amphetamine", "stress", "baclofen_withdrawal", "benzodiazepine_withdrawal"):
        assert _test(TRIGGERS[name](preset("mild"))).scats == 3, name
        assert _test(TRIGGERS[name](preset("healthy"))).beats < 3, name


# ---------------------------------------------------------------------------------------------
# The command line: `reflexsim triggers`, `--trigger` on the model commands and the sweep


def test_triggers_command_lists_every_trigger_as_json(capsys):
    assert main(["triggers", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["triggers"]
    assert [t["name"] for t in listed] == list(TRIGGERS)
    assert all(t["source"] and all(k["lo"] <= k["default"] <= k["hi"] for k in t["keys"]) for t in listed)


def test_clonus_test_applies_the_trigger_before_the_treatment(capsys):
    argv = ["clonus-test", "--no-plot", "--json", "--duration", "2", "--preset", "mild"]
    assert main([*argv, "--trigger", "stress", "--treatment", "baclofen"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["model"] == "mild + stress + baclofen"
    assert payload["triggers"] == ["stress"] and payload["treatments"] == ["baclofen"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("serotonin", "unknown trigger 'serotonin'; did you mean 'serotonin_toxicity'?"),
        ("stress:reflex_increase_pct=500", "stress:reflex_increase_pct = 500"),
        ("caffeine:dose=3", "trigger 'caffeine' has no key 'dose'; valid keys: dose_mg_per_kg, hours_after_dose"),
    ],
)
def test_a_bad_trigger_is_one_line_and_exit_2(capsys, spec, message):
    assert main(["clonus-test", "--no-plot", "--duration", "2", "--trigger", spec]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reflexsim: error: ") and message in err and err.count("\n") == 1


def test_sweep_refuses_a_fixed_trigger_that_a_swept_parameter_would_undo(tmp_path, capsys):
    out = tmp_path / "s.nc"
    argv = ["sweep", "--quiet", "--duration", "2", "--trigger", "caffeine", "--param", "reflex.gain=1,2"]
    assert main([*argv, "--out", str(out)]) == 2
    assert "the fixed trigger 'caffeine' acts on reflex.gain" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_sweep_runs_on_the_triggered_model(tmp_path):
    import xarray as xr

    out = tmp_path / "s.nc"
    argv = ["sweep", "--quiet", "--duration", "2", "--preset", "mild", "--trigger", "serotonin_toxicity:severity=1"]
    assert main([*argv, "--param", "reflex.delay_s=0.03,0.04", "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.attrs["model_name"] == "mild + serotonin_toxicity:severity=1"
        triggered = TRIGGERS["serotonin_toxicity"](preset("mild"), severity=1)
        assert float(ds.attrs["model_reflex_gain"]) == pytest.approx(triggered.reflex.gain)

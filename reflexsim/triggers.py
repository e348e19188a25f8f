"""Triggers: what makes clonus appear or worsen besides the lesion itself, as Model -> Model functions.

The clinical articles name serotonin toxicity, stimulants, stress, sleep loss, extreme fatigue and
the withdrawal of baclofen or benzodiazepines. Each trigger here has the shape of a treatment
(`reflexsim.treatments.Treatment`: keys with unit, default and checked range, the parameter paths it
acts on, its sources) and maps what was measured onto the loop:

* a change of the **reflex gain** where the measure is the size of a reflex to a fixed stimulus
  (H-reflex slope after caffeine, tendon-tap reflex under stress, H-reflex after fatigue). The gain
  factor is found by bisection so that the healthy ankle's stretch-evoked reflex torque
  (`treatments.peak_reflex_torque` on the calibration stretch) changes by the reported percentage;
  the same factor then applies to any model (the physiological change is the same in a patient);
* **motoneuron amplification** by persistent inward currents (PICs) where the measure is a PIC
  (amphetamine) or the mechanism is one (serotonin): a PIC that amplifies the Ia synaptic input by
  a factor A multiplies the pool's response by A and divides the Ia rate needed to recruit it by A
  (``G·softplus(A·r − θ) = A·G·softplus(r − θ/A)``), plus a little self-sustained (tonic) firing;
* **no change** where the evidence finds none (24 h of sleep loss), and a *lower* gain where it finds
  inhibition (fatigue) — the model follows the measurements, and docs/triggers.md sets out where
  they disagree with what patients report.

Numbers marked "model assumption" are chosen so that the documented effect comes out; they are the
first thing to revisit with data.

    >>> from reflexsim import preset
    >>> from reflexsim.triggers import TRIGGERS
    >>> TRIGGERS["caffeine"](preset("mild"), dose_mg_per_kg=3).name
    'mild + caffeine:dose_mg_per_kg=3'
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from . import treatments
from .errors import SimulationError
from .params import Model
from .presets import preset
from .protocols import TorqueProfile
from .treatments import (
    DIAZEPAM_HALF_LEVEL,
    DIAZEPAM_MAX_GAIN_CUT,
    DIAZEPAM_STEEPNESS,
    TREATMENTS,
    Treatment,
    TreatmentKey,
    bateman,
    gamma_course,
    hill,
    peak_reflex_torque,
)

# ---------------------------------------------------------------------------------------------
# Calibration: a reported change in reflex size -> a factor on the reflex gain.

CALIBRATION_PRESET = "healthy"  # the subjects of every reflex study below were healthy
_GAIN_TOLERANCE = 1e-4  # relative width of the bisection's final bracket


def gain_factor_for_reflex_change(ratio: float) -> float:
    """Factor on ``reflex.gain`` that multiplies the healthy ankle's stretch-evoked reflex by `ratio`.

    Bisection on simulations of the calibration stretch (`treatments.peak_reflex_torque`, 8° at
    175 °/s, motor-held), as `treatments` finds baclofen's threshold. Below saturation the reflex
    torque of the servo-held stretch is proportional to the gain, so the factor comes out equal to
    `ratio`; the bisection keeps it right if the preset or the muscle model changes. Results are
    cached.

    Parameters
    ----------
    ratio : float
        Wanted reflex torque over the present one, > 0 (2.11 for +111 %, 0.6 for -40 %).

    Returns
    -------
    float
        The gain factor; the end of ``reflex.gain``'s range (0 to 40) if the target is out of reach.

    Examples
    --------
    >>> from reflexsim.triggers import gain_factor_for_reflex_change
    >>> round(gain_factor_for_reflex_change(2.11), 2)
    2.11
    """
    return _gain_factor(round(float(ratio), 6))


@functools.lru_cache(maxsize=512)
def _gain_factor(ratio: float) -> float:
    if ratio == 1.0:
        return 1.0
    model = preset(CALIBRATION_PRESET)
    gain = model.reflex.gain
    target = ratio * peak_reflex_torque(model)

    def response(factor: float) -> float:
        try:
            return peak_reflex_torque(model.with_values({"reflex.gain": gain * factor}))
        except SimulationError:  # so excitable that the muscle saturates: more than any target
            return math.inf

    lo, hi = (1.0, 40.0 / gain) if ratio > 1.0 else (0.0, 1.0)
    if response(hi) <= target:
        return hi  # the whole range cannot reach the target: go to its end
    if response(lo) >= target:
        return lo
    while hi - lo > _GAIN_TOLERANCE * hi:
        mid = 0.5 * (lo + hi)
        if response(mid) > target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _scaled_gain(model: Model, ratio: float) -> dict[str, float]:
    return {"reflex.gain": min(40.0, model.reflex.gain * gain_factor_for_reflex_change(ratio))}


# ---------------------------------------------------------------------------------------------
# Persistent inward currents (PICs): serotonin and noradrenaline.

PIC_TONE_PER_AMPLIFICATION = 0.001  # self-sustained firing: tonic drive per unit of extra amplification
# (model assumption: 0.005 at the severe serotonin level, half the lesion presets' tone)


def pic_facilitation(model: Model, amplification: float) -> dict[str, float]:
    """Parameter changes for motoneuron PICs that amplify the Ia synaptic input by `amplification`.

    An input amplified by A recruits the pool at 1/A of the Ia rate and drives it A times harder:
    ``G·softplus(A·r − θ; σ) = A·G·softplus(r − θ/A; σ/A)``; the recruitment width is kept. PICs
    also keep motoneurons firing after the input falls (self-sustained firing), added as tonic drive
    ``PIC_TONE_PER_AMPLIFICATION·(A − 1)`` (model assumption).

    Parameters
    ----------
    model : Model
        The model before the change.
    amplification : float
        Factor A >= 1 on the Ia synaptic input (1 = no change).

    Returns
    -------
    dict
        New values of ``reflex.threshold_ips``, ``reflex.gain`` and ``reflex.tone``.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.triggers import pic_facilitation
    >>> pic_facilitation(preset("healthy"), 2.0)
    {'reflex.threshold_ips': 87.5, 'reflex.gain': 2.0, 'reflex.tone': 0.001}
    """
    r = model.reflex
    a = max(1.0, amplification)
    return {
        "reflex.threshold_ips": r.threshold_ips / a,
        "reflex.gain": min(40.0, r.gain * a),
        "reflex.tone": min(0.3, r.tone + PIC_TONE_PER_AMPLIFICATION * (a - 1.0)),
    }


# Serotonin toxicity, graded after the Hunter criteria (Dunkley et al. 2003): 1 mild (tremor,
# hyperreflexia), 2 moderate (inducible clonus), 3 severe (spontaneous clonus). The PIC amplification
# at each level is a model assumption calibrated on the healthy preset (tests/test_triggers.py): level
# 1 enlarges the stretch reflex without clonus, level 2 gives >= 3 beats in the standard clonus test
# but none at rest, level 3 an oscillation growing from rest.
SEROTONIN_LEVELS = (0.0, 1.0, 2.0, 3.0)
SEROTONIN_AMPLIFICATION = (1.0, 2.0, 3.2, 6.0)


def serotonin_amplification(severity: float) -> float:
    """PIC amplification of the Ia input at a serotonin-toxicity `severity` (0-3, Hunter grading).

    Geometric interpolation between the calibrated levels (`SEROTONIN_AMPLIFICATION`).

    Parameters
    ----------
    severity : float
        0 none, 1 mild (hyperreflexia), 2 moderate (inducible clonus), 3 severe (spontaneous clonus).

    Returns
    -------
    float
        The amplification factor A (1 at severity 0).

    Examples
    --------
    >>> from reflexsim.triggers import serotonin_amplification
    >>> [serotonin_amplification(s) for s in (0, 1, 2, 3)]
    [1.0, 2.0, 3.2, 6.0]
    """
    s = min(max(float(severity), SEROTONIN_LEVELS[0]), SEROTONIN_LEVELS[-1])
    i = min(int(s), len(SEROTONIN_LEVELS) - 2)
    lo, hi = SEROTONIN_AMPLIFICATION[i], SEROTONIN_AMPLIFICATION[i + 1]
    return lo * (hi / lo) ** (s - SEROTONIN_LEVELS[i])


def _serotonin(model: Model, severity: float) -> dict[str, float]:
    return pic_facilitation(model, serotonin_amplification(severity))


# Amphetamine: PIC estimate ΔF +62 % (Udina et al. 2010). The amplification is taken equal to the ΔF
# ratio (model assumption: an upper bound if part of the motoneurons' amplification is not PIC-borne),
# at the plasma peak (model assumption: the abstract gives neither the dose nor the time of testing).
AMPHETAMINE_PIC_INCREASE = 0.62
AMPHETAMINE_HALF_LIFE_H = 10.0  # d-amphetamine, ~10 h (pharmacology texts; from memory, unverified)
AMPHETAMINE_ABSORPTION_H = 0.92  # absorption half-time putting the plasma peak at ~3.5 h (25 mg oral)


def _amphetamine(model: Model, dose_fraction: float, hours_after_dose: float) -> dict[str, float]:
    level = dose_fraction * bateman(hours_after_dose, AMPHETAMINE_ABSORPTION_H, AMPHETAMINE_HALF_LIFE_H)
    return pic_facilitation(model, 1.0 + AMPHETAMINE_PIC_INCREASE * level)


# ---------------------------------------------------------------------------------------------
# Caffeine: H-reflex slope (normalised to the M-wave slope) +43 ± 17 % 1 h after 6 mg/kg
# (Walton, Kalmar & Cafarelli 2003): a gain change. Plasma peaks ~1 h after the dose (Kalmar 2005,
# ~40 µmol/L) and falls with t1/2 ≈ 5 h (IOM 2001; 2.7-9.9 h, Blanchard & Sawers 1983). The effect is
# taken proportional to the plasma level (model assumption: one dose was studied).
CAFFEINE_STUDIED_DOSE_MG_PER_KG = 6.0
CAFFEINE_SLOPE_INCREASE = 0.43
CAFFEINE_HALF_LIFE_H = 5.0
CAFFEINE_ABSORPTION_H = 0.21  # absorption half-time putting the plasma peak at 1.0 h


def caffeine_effect(dose_mg_per_kg: float, hours_after_dose: float) -> float:
    """Fractional rise of the reflex (H-reflex slope) after an oral caffeine dose.

    0.43 at 6 mg/kg at the plasma peak (1 h), proportional to the plasma level of a one-compartment
    course (t1/2 5 h).

    Parameters
    ----------
    dose_mg_per_kg : float
        Oral dose, mg per kg of body weight (6 = the studied dose).
    hours_after_dose : float
        Time since the dose, h.

    Returns
    -------
    float
        Fractional increase of the reflex (0.43 = +43 %).

    Examples
    --------
    >>> from reflexsim.triggers import caffeine_effect
    >>> round(caffeine_effect(6.0, 1.0), 3), round(caffeine_effect(3.0, 1.0), 3)
    (0.43, 0.215)
    """
    peak = CAFFEINE_SLOPE_INCREASE * dose_mg_per_kg / CAFFEINE_STUDIED_DOSE_MG_PER_KG
    return peak * bateman(hours_after_dose, CAFFEINE_ABSORPTION_H, CAFFEINE_HALF_LIFE_H)


def _caffeine(model: Model, dose_mg_per_kg: float, hours_after_dose: float) -> dict[str, float]:
    return _scaled_gain(model, 1.0 + caffeine_effect(dose_mg_per_kg, hours_after_dose))


# Stress/arousal: soleus tendon-tap reflex (peak to peak) +111 (SD 100) % during mental arithmetic,
# +160 (SD 103) % during static handgrip, +90 (SD 67) % in post-handgrip ischaemia, relaxed healthy
# subjects, n = 9 (Hjortskov et al. 2005). The gain carries it: the site (fusimotor/spindle or
# motoneuron) is unresolved, and a gain change raises a sub-saturating reflex by the same percentage
# whatever the stimulus (tap or ramp), which a threshold shift would not.
STRESS_MENTAL_ARITHMETIC_PCT = 111.0
STRESS_HANDGRIP_PCT = 160.0


def _stress(model: Model, reflex_increase_pct: float) -> dict[str, float]:
    return _scaled_gain(model, 1.0 + reflex_increase_pct / 100.0)


def _sleep_loss(model: Model, hours_awake: float) -> dict[str, float]:
    """24 h awake: soleus H-reflex and V-wave unchanged (Gonçalves et al. 2020): no change."""
    return {}


# Fatigue (6-9 min at 75 % MVC): the soleus H-reflex is ~60 % of control right after, ~90 % within
# 2-3 min, 96-97 % at 30 min (Garland & McComas 1990 and a 2006 study; physiology-joints.md §2). Two
# exponentials through those three points, the slow time constant chosen (model assumption): at 0,
# 2.5 and 30 min they give 60.0 %, 90.0 % and 96.5 %.
FATIGUE_FAST_INHIBITION = 0.342
FATIGUE_FAST_RECOVERY_MIN = 1.23
FATIGUE_SLOW_INHIBITION = 0.058
FATIGUE_SLOW_RECOVERY_MIN = 60.0  # model assumption


def fatigue_reflex_fraction(minutes_since: float) -> float:
    """H-reflex size as a fraction of control, `minutes_since` an exhausting calf contraction.

    Parameters
    ----------
    minutes_since : float
        Time since the end of the fatiguing contraction, min.

    Returns
    -------
    float
        0.60 right after, 0.90 at 2.5 min, 0.965 at 30 min, -> 1.

    Examples
    --------
    >>> from reflexsim.triggers import fatigue_reflex_fraction
    >>> [round(fatigue_reflex_fraction(t), 3) for t in (0, 2.5, 30)]
    [0.6, 0.9, 0.965]
    """
    t = max(0.0, minutes_since)
    inhibition = FATIGUE_FAST_INHIBITION * math.exp(-t / FATIGUE_FAST_RECOVERY_MIN)
    inhibition += FATIGUE_SLOW_INHIBITION * math.exp(-t / FATIGUE_SLOW_RECOVERY_MIN)
    return 1.0 - inhibition


def _fatigue(model: Model, minutes_since: float) -> dict[str, float]:
    return _scaled_gain(model, fatigue_reflex_fraction(minutes_since))


# Benzodiazepine withdrawal: no reflex data. Mirrors baclofen_withdrawal: the diazepam effect washes
# out (here its plasma level, t1/2 48 h) and a rebound of half the former gain cut (model assumption,
# as for baclofen) peaks at 7 days (model assumption: withdrawal from long-acting benzodiazepines
# begins within days and peaks in the first weeks) and fades over about a month.
DIAZEPAM_HALF_LIFE_H = 48.0  # diazepam 20-100 h, longer with desmethyldiazepam (from memory, unverified)
BENZODIAZEPINE_REBOUND = 0.5
BENZODIAZEPINE_REBOUND_PEAK_DAYS = 7.0


def _benzodiazepine_withdrawal(model: Model, days_since_stop: float, plasma_ng_per_ml: float) -> dict[str, float]:
    residual_level = plasma_ng_per_ml * 0.5 ** (24.0 * days_since_stop / DIAZEPAM_HALF_LIFE_H)
    changes = TREATMENTS["diazepam"].function(model, plasma_ng_per_ml=residual_level)
    former_cut = DIAZEPAM_MAX_GAIN_CUT * hill(plasma_ng_per_ml, DIAZEPAM_HALF_LEVEL, DIAZEPAM_STEEPNESS)
    rebound = BENZODIAZEPINE_REBOUND * former_cut * gamma_course(days_since_stop, BENZODIAZEPINE_REBOUND_PEAK_DAYS, 2.0)
    changes["reflex.gain"] = min(40.0, changes["reflex.gain"] + model.reflex.gain * rebound)
    return changes


# ---------------------------------------------------------------------------------------------
# A protocol for spontaneous clonus: nobody touches the foot. The relaxed foot starts at rest (an
# equilibrium); a 0.2 N·m nudge lasting 10 ms at 0.5 s (moves the foot < 0.1°) is the disturbance
# that any real rest state has. Beats (>= 1° peak to peak) are counted from the start.
AT_REST = TorqueProfile((0.0, 0.5, 0.505, 0.51), (0.0, 0.0, 0.2, 0.0), hold_start_s=0.0)


_GAIN = ("reflex.gain",)
_PIC = ("reflex.threshold_ips", "reflex.gain", "reflex.tone")

_ALL: tuple[Treatment, ...] = (
    Treatment(
        "serotonin_toxicity",
        "excess serotonin: motoneuron persistent inward currents amplify the Ia input (threshold down, gain "
        "up, a little tonic firing), graded after the Hunter criteria: 1 hyperreflexia, 2 inducible clonus, "
        "3 spontaneous clonus",
        _PIC,
        "Dunkley et al. 2003, QJM 96:635 (Hunter criteria); 5-HT2 receptors facilitate motoneuron PICs (Harvey "
        "et al. 2006; Murray et al. 2010); citalopram facilitates PIC-mediated reflexes in SCI (D'Amico et al. "
        "2013); fluoxetine raises stretch-reflex stiffness in the cat, not via spindles (Carp & Rymer 1986); "
        "amplification 2 / 3.2 / 6 at levels 1 / 2 / 3 and the tonic drive are model assumptions calibrated "
        "on the healthy preset",
        (
            TreatmentKey(
                "severity",
                "level",
                2.0,
                0.0,
                3.0,
                "0 none, 1 mild (hyperreflexia), 2 moderate (inducible clonus), "
                "3 severe (spontaneous clonus); fractions interpolate",
            ),
        ),
        _serotonin,
    ),
    Treatment(
        "caffeine",
        "the reflex gain up with the plasma level (+43 % H-reflex slope at the 1-h peak of 6 mg/kg)",
        _GAIN,
        "Walton, Kalmar & Cafarelli 2003, Muscle Nerve 28:359 (H-slope/M-slope +43 ± 17 %, n = 7); contrary: "
        "Kalmar & Cafarelli 1999, J Appl Physiol (no change in H-reflex amplitude, effect supraspinal); plasma "
        "peak ~1 h (Kalmar 2005, MSSE 37:2113), t1/2 5 h (IOM 2001); effect proportional to plasma level is a "
        "model assumption",
        (
            TreatmentKey(
                "dose_mg_per_kg", "mg/kg", 6.0, 0.0, 6.0, "oral dose (6 mg/kg, ~4-5 cups of coffee, was studied)"
            ),
            TreatmentKey("hours_after_dose", "h", 1.0, 0.0, 24.0, "time since the dose (plasma peak ~1 h)"),
        ),
        _caffeine,
    ),
    Treatment(
        "amphetamine",
        "noradrenergic facilitation of motoneuron PICs (ΔF +62 %) amplifying the Ia input",
        _PIC,
        "Udina et al. 2010, J Neurophysiol 103:1295 (ΔF 3.7 -> 6.0 imp/s, n = 5); amplification = ΔF ratio, "
        "effect at the plasma peak (~3.5 h), t1/2 10 h and linearity in dose are model assumptions",
        (
            TreatmentKey("dose_fraction", "1", 1.0, 0.0, 1.0, "oral dose as a fraction of the studied one"),
            TreatmentKey("hours_after_dose", "h", 3.5, 0.0, 48.0, "time since the dose (plasma peak ~3.5 h)"),
        ),
        _amphetamine,
    ),
    Treatment(
        "stress",
        "mental stress or sympathetic arousal: the reflex gain up so that the stretch reflex rises by the "
        "reported percentage (mental arithmetic +111 %, static handgrip +160 %, post-handgrip ischaemia +90 %)",
        _GAIN,
        "Hjortskov et al. 2005, J Appl Physiol 98:1366 (soleus tendon-tap reflex, relaxed, n = 9; SD ~100 %); "
        "McIntyre, Ring & Carroll 2004, Psychophysiology 41:954; acting through the gain is a model choice "
        "(site unresolved)",
        (
            TreatmentKey(
                "reflex_increase_pct",
                "%",
                STRESS_MENTAL_ARITHMETIC_PCT,
                0.0,
                STRESS_HANDGRIP_PCT,
                "rise of the short-latency reflex (111 mental arithmetic, 160 handgrip, 90 ischaemia)",
            ),
        ),
        _stress,
    ),
    Treatment(
        "sleep_loss",
        "no change to the reflex loop (H-reflex and V-wave unchanged after 24 h awake)",
        (),
        "Gonçalves et al. 2020, J Sleep Res (24 h: soleus H-reflex and V-wave unchanged; antagonist "
        "co-activation +6.2 %, not modelled)",
        (TreatmentKey("hours_awake", "h", 24.0, 0.0, 24.0, "time without sleep (24 h studied)"),),
        _sleep_loss,
    ),
    Treatment(
        "fatigue",
        "extreme fatigue of the calf: reflex inhibition (group III/IV afferents, presynaptic inhibition) "
        "lowers the gain: H-reflex 60 % right after, 90 % at 2-3 min, 96-97 % at 30 min",
        _GAIN,
        "Garland & McComas 1990, J Physiol 429:17; physiology-joints.md §2 (6-9 min at 75 % MVC); the fit's "
        "60-min slow recovery is a model assumption; clonus 'after long walks' is anecdotal",
        (TreatmentKey("minutes_since", "min", 0.0, 0.0, 120.0, "time since the exhausting contraction ended"),),
        _fatigue,
    ),
    TREATMENTS["baclofen_withdrawal"],
    Treatment(
        "benzodiazepine_withdrawal",
        "stopping a benzodiazepine (diazepam): the GABA-A potentiation washes out with the plasma level and "
        "the gain transiently overshoots (rebound, peak ~1 week; mirrors baclofen_withdrawal)",
        ("reflex.gain", "muscle.max_force_n"),
        "diazepam effect as in treatments (Verrier 1976); reflex data not found; t1/2 48 h, rebound half the "
        "former effect peaking at 7 days are model assumptions",
        (
            TreatmentKey("days_since_stop", "days", 7.0, 0.0, 60.0, "time since the last dose"),
            TreatmentKey("plasma_ng_per_ml", "ng/ml", 800.0, 0.0, 3000.0, "steady diazepam level before stopping"),
        ),
        _benzodiazepine_withdrawal,
    ),
)

TRIGGERS: Mapping[str, Treatment] = MappingProxyType({t.name: dataclasses.replace(t, kind="trigger") for t in _ALL})


def get(name: str) -> Treatment:
    """The trigger called `name`, or an error listing the valid names.

    Parameters
    ----------
    name : str
        A key of `TRIGGERS`.

    Returns
    -------
    Treatment
        The trigger (a `reflexsim.treatments.Treatment`: call it on a model).

    Raises
    ------
    reflexsim.treatments.TreatmentError
        For an unknown name, with the closest valid names.

    Examples
    --------
    >>> from reflexsim.triggers import get
    >>> get("stress").keys[0].name
    'reflex_increase_pct'
    """
    return treatments.get(name, TRIGGERS, "trigger")


def apply(model: Model, name: str, **values: float) -> Model:
    """Apply one trigger by name, e.g. ``apply(model, "caffeine", dose_mg_per_kg=3)``.

    Parameters
    ----------
    model : Model
        The model before the trigger.
    name : str
        A key of `TRIGGERS`.
    **values : float
        The trigger's keys (the others keep their defaults); each is checked against its range.

    Returns
    -------
    Model
        The triggered model, its name extended with the trigger.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.triggers import apply
    >>> apply(preset("healthy"), "serotonin_toxicity", severity=1).reflex.gain
    2.0
    """
    return get(name)(model, **values)


def apply_all(model: Model, specs: Iterable[str | tuple[str, Mapping[str, float]]]) -> Model:
    """Apply triggers in order; each is ``"NAME[:key=value,...]"`` (the ``--trigger`` form) or ``(name, {key: value})``.

    Parameters
    ----------
    model : Model
        The model before the triggers.
    specs : iterable of str or (str, mapping)
        The triggers, e.g. ``["caffeine:dose_mg_per_kg=3", "stress"]``.

    Returns
    -------
    Model
        The model with every trigger applied.

    Examples
    --------
    >>> from reflexsim import preset
    >>> from reflexsim.triggers import apply_all
    >>> apply_all(preset("mild"), ["sleep_loss", "serotonin_toxicity:severity=0"]).name
    'mild + sleep_loss + serotonin_toxicity:severity=0'
    """
    return treatments.apply_all(model, specs, TRIGGERS, "trigger")

"""Treatments: pure functions Model -> Model with documented keys, units, ranges and sources.

Each treatment maps a clinical quantity (a dose, a plasma level, weeks since an injection, an
orthosis' stiffness) to the model parameters it acts on, through a dose-response or time course
written out below. Treatments compose: apply them in order (`apply_all`), e.g. baclofen then an
ankle-foot orthosis. The model's name records what was applied.

    >>> from reflexsim import preset, treatments
    >>> treated = treatments.apply(preset("severe"), "botox", weeks=3)
    >>> treated = treatments.apply_all(preset("severe"), ["baclofen", "afo:stiffness_nm_per_deg=2"])

Numbers marked "model assumption" are chosen so that the documented clinical effect size comes
out; they are not measured constants and are the first thing to revisit with data.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import ParameterError, SimulationError
from .metrics import stretch_response
from .params import Model, checked_number, format_range, json_number, number_from_text
from .protocols import RampAndHold
from .simulation import simulate

DEG = math.pi / 180.0


class TreatmentError(ParameterError):
    """A treatment name, key or value is invalid (a `ParameterError`).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim import treatments
    >>> treatments.apply(rs.preset("severe"), "tizanidine", dose_mg=100)
    Traceback (most recent call last):
    ...
    reflexsim.treatments.TreatmentError: tizanidine:dose_mg = 100 is outside its valid range [0, 36] mg
    """


@dataclass(frozen=True)
class TreatmentKey:
    """One adjustable quantity of a treatment (its unit is the user's: mg, weeks, N·m/deg ...).

    Attributes
    ----------
    name : str
        The key's name, as written in ``NAME:key=value``.
    unit : str
        Its unit (``"1"`` = dimensionless).
    default : float
        The value used when the key is not given.
    lo, hi : float
        Inclusive valid range (`hi` may be infinite).
    doc : str
        What the key means.

    Examples
    --------
    >>> from reflexsim import treatments
    >>> treatments.get("botox").key("weeks")
    TreatmentKey(name='weeks', unit='weeks', default=3.0, lo=0.0, hi=104.0, doc='time since the first injection')
    """

    name: str
    unit: str
    default: float
    lo: float
    hi: float
    doc: str


@dataclass(frozen=True)
class Treatment:
    """A named treatment: what it does, its keys, its sources, and the function that applies it.

    Call it with a model and keys to get the treated model: ``treatment(model, weeks=3)``; keys not
    given take their defaults, each value is checked against its key's range, and the new model's
    name records what was applied.

    Attributes
    ----------
    name : str
        The name used on the command line and in `TREATMENTS`.
    summary : str
        What it does, one line.
    acts_on : tuple of str
        The parameter paths it changes.
    source : str
        Where its dose-response or time course comes from.
    keys : tuple of TreatmentKey
        Its adjustable quantities.
    function : callable
        ``function(model, **keys)`` -> the changed parameter values, ``{path: value}``.
    kind : str, default "treatment"
        What messages call it: ``"treatment"``, or ``"trigger"`` (`reflexsim.triggers`).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim import treatments
    >>> botox = treatments.get("botox")
    >>> botox.acts_on, [key.name for key in botox.keys][:2]
    (('muscle.max_force_n', 'spindle.fusimotor_scale'), ['weeks', 'every_weeks'])
    >>> treated = botox(rs.preset("severe"), weeks=3)
    >>> treated.name, round(treated.muscle.max_force_n), treated.spindle.fusimotor_scale
    ('severe + botox:weeks=3', 4053, 0.4)
    """

    name: str
    summary: str
    acts_on: tuple[str, ...]  # parameter paths it changes
    source: str
    keys: tuple[TreatmentKey, ...]
    function: Callable[..., dict[str, float]]  # (model, **keys) -> the changed parameter values
    kind: str = "treatment"  # what messages call it: "treatment", or "trigger" (reflexsim.triggers)

    def key(self, name: str) -> TreatmentKey:
        """The key called `name`.

        Parameters
        ----------
        name : str
            The key's name.

        Returns
        -------
        TreatmentKey
            Its unit, default, range and meaning.

        Raises
        ------
        TreatmentError
            If the treatment has no such key; the message lists the valid keys.
        """
        for k in self.keys:
            if k.name == name:
                return k
        valid = ", ".join(k.name for k in self.keys) or "(none)"
        raise TreatmentError(f"{self.kind} {self.name!r} has no key {name!r}; valid keys: {valid}")

    def __call__(self, model: Model, **values: float | str) -> Model:
        """Apply to `model` with the given keys (others at their defaults); validated."""
        resolved = {k.name: k.default for k in self.keys}
        for name, value in values.items():
            key = self.key(name)
            if isinstance(value, str):  # text is parsed by parse_spec (the command-line form), not here
                valid = format_range(key.lo, key.hi, key.unit)
                raise TreatmentError(f"{self.name}:{name} = {value!r} is not a number; valid range {valid}")
            resolved[name] = checked_number(f"{self.name}:{name}", value, key.lo, key.hi, key.unit, TreatmentError)
        changes = self.function(model, **resolved)
        shown = ",".join(f"{k}={resolved[k]:g}" for k in resolved if k in values)
        label = f"{self.name}:{shown}" if shown else self.name
        return model.with_values(changes, name=f"{model.name} + {label}")

    def describe(self) -> dict:
        """The treatment as a JSON-ready dict (``reflexsim treatments --json``; infinities as text).

        Returns
        -------
        dict
            ``name``, ``summary``, ``acts_on``, ``source`` and ``keys`` (each a dict of its fields).
        """
        return {
            "name": self.name,
            "summary": self.summary,
            "acts_on": list(self.acts_on),
            "source": self.source,
            "keys": [
                {
                    "name": k.name,
                    "unit": k.unit,
                    "default": json_number(k.default),
                    "lo": json_number(k.lo),
                    "hi": json_number(k.hi),
                    "doc": k.doc,
                }
                for k in self.keys
            ],
        }


# ---------------------------------------------------------------------------------------------
# Dose-response and time-course shapes.


def hill(x: float, half: float, steepness: float) -> float:
    """Fraction of the maximal effect at dose or level `x` (Hill equation; 0.5 at `half`).

    Parameters
    ----------
    x : float
        The dose or plasma level (0 or less: no effect).
    half : float
        The dose or level of half the maximal effect, in `x`'s unit.
    steepness : float
        Hill coefficient.

    Returns
    -------
    float
        ``x**n / (half**n + x**n)``, in [0, 1).

    Examples
    --------
    >>> from reflexsim.treatments import hill
    >>> hill(400.0, 400.0, 1.8), round(hill(800.0, 400.0, 1.8), 4), hill(0.0, 400.0, 1.8)
    (0.5, 0.7769, 0.0)
    """
    if x <= 0.0:
        return 0.0
    return x**steepness / (half**steepness + x**steepness)


def bateman(hours: float, absorption_h: float, half_life_h: float) -> float:
    """Plasma level after one oral dose, normalised to 1 at its peak (one-compartment model).

    Parameters
    ----------
    hours : float
        Time since the dose, h (0 or less: level 0).
    absorption_h : float
        Absorption half-time, h.
    half_life_h : float
        Elimination half-life, h.

    Returns
    -------
    float
        The level, 1 at the peak.

    Examples
    --------
    >>> from reflexsim.treatments import bateman
    >>> round(bateman(1.5, 1.0, 2.5), 2), round(bateman(6.0, 1.0, 2.5), 2)  # tizanidine's course
    (0.94, 0.53)
    """
    if hours <= 0.0:
        return 0.0
    ka = math.log(2) / absorption_h
    ke = math.log(2) / half_life_h
    t_peak = math.log(ka / ke) / (ka - ke)

    def level(t: float) -> float:
        return math.exp(-ke * t) - math.exp(-ka * t)

    return level(hours) / level(t_peak)


def gamma_course(weeks: float, peak_weeks: float, shape: float) -> float:
    """A rise-and-decay time course, 0 at week 0, 1 at `peak_weeks`: (t/T)^k exp(k (1 - t/T)).

    Parameters
    ----------
    weeks : float
        Time since the start, weeks (or any unit shared with `peak_weeks`).
    peak_weeks : float
        Time of the peak, T.
    shape : float
        k: larger is a sharper rise and faster decay.

    Returns
    -------
    float
        The course, in [0, 1].

    Examples
    --------
    >>> from reflexsim.treatments import gamma_course
    >>> gamma_course(3.0, 3.0, 2.65), round(gamma_course(10.0, 3.0, 2.65), 3)  # botox weakness
    (1.0, 0.05)
    """
    if weeks <= 0.0:
        return 0.0
    x = weeks / peak_weeks
    return x**shape * math.exp(shape * (1.0 - x))


# The laboratory stretch against which drug effects on "the response to passive stretch" are
# calibrated: 8° at 175 °/s from neutral, position held by a motor (Sinkjaer 1996).
CALIBRATION_STRETCH = RampAndHold()
_CALIBRATION_RUN_S = 0.8
_NEGLIGIBLE_REFLEX_NM = 0.05


def peak_reflex_torque(model: Model) -> float:
    """Peak reflex (active muscle) torque evoked by the calibration stretch, N·m.

    The calibration stretch (`CALIBRATION_STRETCH`: 8° at 175 °/s from neutral, held by a motor;
    Sinkjaer 1996) is the laboratory measurement drug effects on "the response to passive
    stretch" are reported for.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    float
        The peak reflex torque, N·m.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.treatments import peak_reflex_torque
    >>> round(peak_reflex_torque(rs.preset("severe")), 1), round(peak_reflex_torque(rs.preset("healthy")), 3)
    (41.6, 0.045)
    """
    return stretch_response(simulate(model, CALIBRATION_STRETCH, duration_s=_CALIBRATION_RUN_S)).reflex_nm


def _threshold_for_response(model: Model, fraction_kept: float) -> float:
    """Reflex threshold at which the calibration stretch evokes `fraction_kept` of the model's
    present peak reflex torque: the stretch-reflex curve shifts, its slope (the gain) is kept.
    Found by bisection on simulations of the calibration stretch (a few milliseconds)."""
    thr = model.reflex.threshold_ips
    base = peak_reflex_torque(model)
    if base < _NEGLIGIBLE_REFLEX_NM or fraction_kept == 1.0:
        return thr  # no measurable response to scale
    target = fraction_kept * base
    lo, hi = (thr, min(thr + 300.0, 400.0)) if fraction_kept < 1.0 else (0.5 * thr, thr)

    def response(threshold: float) -> float:
        try:
            return peak_reflex_torque(model.with_values({"reflex.threshold_ips": threshold}))
        except SimulationError:  # so excitable that the muscle saturates: more than any target
            return math.inf

    if (fraction_kept > 1.0 and response(lo) <= target) or (fraction_kept < 1.0 and response(hi) >= target):
        return lo if fraction_kept > 1.0 else hi  # the whole range cannot reach the target: go to its end
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if response(mid) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 0.01:
            break
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------------------------------------
# The treatments.


def _reflex_gain_cut(model: Model, fraction: float) -> dict[str, float]:
    return {"reflex.gain": model.reflex.gain * (1.0 - fraction)}


# Reflex gain cut at the peak: Emax dose/(ED50 + dose). Calibrated so that 4 mg cuts the total
# stretch-evoked torque (8° at 175 °/s, about 55 % of it reflex) by 23 % in the mild and 29 % in
# the severe lesion, mean 26 % (Mirbagheri 2010: mean 25 %); 2 mg gives 15-19 %, 16 mg 39-50 %,
# inside the reported -15 to -60 %.
TIZANIDINE_MAX_EFFECT = 0.9
TIZANIDINE_HALF_DOSE_MG = 5.0
TIZANIDINE_TMAX_H = 1.0  # absorption half-time giving a peak near 1.5 h (model assumption)
TIZANIDINE_HALF_LIFE_H = 2.5


def tizanidine_effect(dose_mg: float, hours_after_dose: float) -> float:
    """Fractional cut in reflex gain: Emax dose/(ED50 + dose) at the peak, times the plasma course.

    Parameters
    ----------
    dose_mg : float
        Single oral dose, mg.
    hours_after_dose : float
        Time since the dose, h.

    Returns
    -------
    float
        The fraction of the reflex gain removed, in [0, 0.9).

    Examples
    --------
    >>> from reflexsim.treatments import tizanidine_effect
    >>> round(tizanidine_effect(4.0, 1.5), 3), tizanidine_effect(4.0, 0.0)
    (0.376, 0.0)
    """
    peak = TIZANIDINE_MAX_EFFECT * dose_mg / (TIZANIDINE_HALF_DOSE_MG + dose_mg)
    return peak * bateman(hours_after_dose, TIZANIDINE_TMAX_H, TIZANIDINE_HALF_LIFE_H)


def _tizanidine(model: Model, dose_mg: float, hours_after_dose: float) -> dict[str, float]:
    return {"reflex.gain": model.reflex.gain * (1.0 - tizanidine_effect(dose_mg, hours_after_dose))}


BACLOFEN_HALF_LEVEL = 400.0  # ng/ml: fitted to McLellan 1977 (-30 % above 250, -50 % above 400 ng/ml)
BACLOFEN_STEEPNESS = 1.80
BACLOFEN_HALF_LIFE_H = 3.5
BACLOFEN_REBOUND = 0.5  # model assumption: withdrawal rebound = half the previous effect, peaking at 2 days
BACLOFEN_REBOUND_PEAK_DAYS = 2.0


def baclofen_effect(plasma_ng_per_ml: float) -> float:
    """Fractional cut in the reflex response to the standard stretch at a plasma level.

    Parameters
    ----------
    plasma_ng_per_ml : float
        Steady plasma level of baclofen, ng/ml.

    Returns
    -------
    float
        The fraction of the calibration stretch's reflex torque removed (McLellan 1977: about
        30 % above 250 ng/ml, 50 % above 400 ng/ml).

    Examples
    --------
    >>> from reflexsim.treatments import baclofen_effect
    >>> round(baclofen_effect(250.0), 2), baclofen_effect(400.0)
    (0.3, 0.5)
    """
    return hill(plasma_ng_per_ml, BACLOFEN_HALF_LEVEL, BACLOFEN_STEEPNESS)


def _baclofen(model: Model, plasma_ng_per_ml: float) -> dict[str, float]:
    return {"reflex.threshold_ips": _threshold_for_response(model, 1.0 - baclofen_effect(plasma_ng_per_ml))}


def _baclofen_withdrawal(model: Model, days_since_stop: float, plasma_ng_per_ml: float) -> dict[str, float]:
    residual = baclofen_effect(plasma_ng_per_ml) * 0.5 ** (24.0 * days_since_stop / BACLOFEN_HALF_LIFE_H)
    rebound = BACLOFEN_REBOUND * baclofen_effect(plasma_ng_per_ml)
    rebound *= gamma_course(days_since_stop, BACLOFEN_REBOUND_PEAK_DAYS, 2.0)
    threshold = _threshold_for_response(model, 1.0 - residual + rebound)
    return {"reflex.threshold_ips": max(0.0, threshold)}


DIAZEPAM_HALF_LEVEL = 600.0  # ng/ml; model assumption placing the effect at sedating levels (Verrier 1976)
DIAZEPAM_STEEPNESS = 3.0
DIAZEPAM_MAX_GAIN_CUT = 0.7
DIAZEPAM_MAX_WEAKENING = 0.1


def _diazepam(model: Model, plasma_ng_per_ml: float) -> dict[str, float]:
    e = hill(plasma_ng_per_ml, DIAZEPAM_HALF_LEVEL, DIAZEPAM_STEEPNESS)
    return {
        "reflex.gain": model.reflex.gain * (1.0 - DIAZEPAM_MAX_GAIN_CUT * e),
        "muscle.max_force_n": model.muscle.max_force_n * (1.0 - DIAZEPAM_MAX_WEAKENING * e),
    }


BOTOX_FORCE_PEAK_WEEKS = 3.0  # peak weakness 2-4 weeks after injection (Hesse 1994)
BOTOX_FORCE_SHAPE = 2.65  # rises within days, < 5 % left at 10 weeks (recovered by 8-12 weeks)
BOTOX_SPINDLE_PEAK_WEEKS = 3.0
BOTOX_SPINDLE_SHAPE = 1.5  # slower recovery: the spindle/fusimotor depression outlasts the weakness


def botox_course(weeks: float, every_weeks: float, peak_weeks: float, shape: float) -> float:
    """Combined effect (0..1) of injections at weeks 0, `every_weeks`, 2 `every_weeks`, ... up to `weeks`.

    Each injection follows the same `gamma_course`; independent effects combine multiplicatively
    (what one leaves, the next acts on).

    Parameters
    ----------
    weeks : float
        Time since the first injection, weeks.
    every_weeks : float
        Repeat interval, weeks (0 = a single injection).
    peak_weeks : float
        Time of each injection's peak effect, weeks.
    shape : float
        The course's shape (see `gamma_course`).

    Returns
    -------
    float
        The combined effect, in [0, 1].

    Examples
    --------
    >>> from reflexsim.treatments import botox_course
    >>> round(botox_course(15.0, 0.0, 3.0, 2.65), 4), botox_course(15.0, 12.0, 3.0, 2.65)  # single, repeated
    (0.0018, 1.0)
    """
    remaining = 1.0
    t = 0.0
    while t <= weeks + 1e-12:
        remaining *= 1.0 - gamma_course(weeks - t, peak_weeks, shape)
        if every_weeks <= 0.0:
            break
        t += every_weeks
    return 1.0 - remaining


def _botox(
    model: Model, weeks: float, every_weeks: float, peak_weakness: float, peak_spindle_depression: float
) -> dict[str, float]:
    weak = peak_weakness * botox_course(weeks, every_weeks, BOTOX_FORCE_PEAK_WEEKS, BOTOX_FORCE_SHAPE)
    spindle = peak_spindle_depression * botox_course(weeks, every_weeks, BOTOX_SPINDLE_PEAK_WEEKS, BOTOX_SPINDLE_SHAPE)
    return {
        "muscle.max_force_n": model.muscle.max_force_n * (1.0 - weak),
        "spindle.fusimotor_scale": model.spindle.fusimotor_scale * (1.0 - spindle),
    }


def _afo(
    model: Model, stiffness_nm_per_deg: float, damping_nms_per_deg: float, stop_deg: float, wedge_deg: float
) -> dict[str, float]:
    """The AFO replaces any orthosis already on the model (one brace at a time)."""
    return {
        "orthosis.stiffness_nm_per_rad": stiffness_nm_per_deg / DEG,
        "orthosis.damping_nms_per_rad": damping_nms_per_deg / DEG,
        "orthosis.neutral_angle_rad": -wedge_deg * DEG,
        "orthosis.stop_angle_rad": (stop_deg - wedge_deg) * DEG if math.isfinite(stop_deg) else math.inf,
    }


def _afo_preset(stiffness: float, damping: float, stop: float) -> Callable[..., dict[str, float]]:
    def apply_preset(model: Model, wedge_deg: float) -> dict[str, float]:
        return _afo(model, stiffness, damping, stop, wedge_deg)

    return apply_preset


# Stretching (physiology-joints.md §4). Reflex excitability is depressed *during* a static stretch
# and recovers within seconds of its end (Guissard, Duchateau & Hainaut 1988); after a 30-min session
# in stroke the triceps H/M ratio was lower (Tsai et al. 2001, size not reported) but in a 30-min
# robotic session reflex hyperexcitability was not significantly reduced, and 6 weeks of stretching
# left Hmax/Mmax and presynaptic inhibition unchanged (Hayes et al. 2012): so only a small, short-lived
# reflex cut. One hour of repeated stretching lowers force (MVC -13.8 %, twitch -16.8 %) and slows the
# twitch (+14 % duration; Avela et al. 2004), and acute stretching lowers passive stiffness by stress
# relaxation. Sizes marked (assumption) are model assumptions scaled to those reports.
STRETCH_REFLEX_CUT = 0.15  # reflex gain cut right after a 30-min session (assumption: "reduced H/M", Tsai 2001)
STRETCH_REFLEX_RECOVERY_MIN = 10.0  # the post-stretch reflex depression fades within minutes (assumption)
STRETCH_FORCE_LOSS_PER_HOUR = 0.138  # Avela et al. 2004, after 1 h of repeated stretching
STRETCH_TWITCH_SLOWING_PER_HOUR = 0.14  # Avela et al. 2004
STRETCH_PASSIVE_DROP = 0.2  # passive fibre force right after a session (stress relaxation, assumption)
STRETCH_AFTEREFFECT_RECOVERY_MIN = 60.0  # force, twitch and passive stiffness recover within ~1 h (assumption)


def stretching_effects(session_min: float, minutes_since: float) -> dict[str, float]:
    """Fractional effects of a stretching session of `session_min` minutes, `minutes_since` after it.

    Parameters
    ----------
    session_min : float
        Duration of the session, min.
    minutes_since : float
        Time since the session ended, min.

    Returns
    -------
    dict of str to float
        ``reflex_cut`` (fades within minutes), ``force_loss``, ``twitch_slowing`` and
        ``passive_drop`` (within about an hour), as fractions.

    Examples
    --------
    >>> from reflexsim.treatments import stretching_effects
    >>> stretching_effects(30.0, 0.0)
    {'reflex_cut': 0.15, 'force_loss': 0.069, 'twitch_slowing': 0.07, 'passive_drop': 0.2}
    >>> round(stretching_effects(30.0, 60.0)["reflex_cut"], 4)
    0.0004
    """
    dose = min(session_min / 30.0, 2.0)  # relative to the 30-min sessions of the sources
    reflex = STRETCH_REFLEX_CUT * min(dose, 1.0) * math.exp(-minutes_since / STRETCH_REFLEX_RECOVERY_MIN)
    after = math.exp(-minutes_since / STRETCH_AFTEREFFECT_RECOVERY_MIN)
    hours = session_min / 60.0
    return {
        "reflex_cut": reflex,
        "force_loss": STRETCH_FORCE_LOSS_PER_HOUR * hours * after,
        "twitch_slowing": STRETCH_TWITCH_SLOWING_PER_HOUR * hours * after,
        "passive_drop": STRETCH_PASSIVE_DROP * min(dose, 1.0) * after,
    }


def _stretching(model: Model, session_min: float, minutes_since: float) -> dict[str, float]:
    e = stretching_effects(session_min, minutes_since)
    m = model.muscle
    return {
        "reflex.gain": model.reflex.gain * (1.0 - e["reflex_cut"]),
        "muscle.max_force_n": m.max_force_n * (1.0 - e["force_loss"]),
        "muscle.contraction_time_s": min(0.3, m.contraction_time_s * (1.0 + e["twitch_slowing"])),
        "muscle.passive_scale": max(0.2, m.passive_scale * (1.0 - e["passive_drop"])),
    }


COOLING_Q10_CONDUCTION = 1.5  # nerve conduction slows ~4 %/°C (model assumption within reported Q10s)
COOLING_Q10_TWITCH = 2.0  # twitch slows with muscle temperature (model assumption)
COOLING_Q10_SPINDLE = 2.0  # spindle sensitivity falls with temperature (model assumption)


def _cooling(
    model: Model, temperature_drop_c: float, conduction_q10: float, twitch_q10: float, spindle_q10: float
) -> dict[str, float]:
    slow = temperature_drop_c / 10.0
    return {
        "reflex.delay_s": min(0.15, model.reflex.delay_s * conduction_q10**slow),
        "muscle.electromechanical_delay_s": min(0.05, model.muscle.electromechanical_delay_s * twitch_q10**slow),
        "muscle.contraction_time_s": min(0.3, model.muscle.contraction_time_s * twitch_q10**slow),
        "spindle.fusimotor_scale": model.spindle.fusimotor_scale / spindle_q10**slow,
    }


def _rhizotomy(model: Model, fraction: float) -> dict[str, float]:
    return {"reflex.gain": model.reflex.gain * (1.0 - fraction)}


def _neurotomy(model: Model, fraction: float) -> dict[str, float]:
    return {"muscle.max_force_n": model.muscle.max_force_n * (1.0 - fraction)}


_WEDGE = TreatmentKey(
    "wedge_deg", "deg", 0.0, 0.0, 20.0, "heel wedge: shifts the AFO's neutral angle toward plantarflexion"
)
_AFO_SOURCE = "Shuman & Russell Esposito 2021 (carbon AFOs 0.58-3.66 N·m/deg); physiology.md §6"
_AFO_PATHS = (
    "orthosis.stiffness_nm_per_rad",
    "orthosis.damping_nms_per_rad",
    "orthosis.neutral_angle_rad",
    "orthosis.stop_angle_rad",
)

_ALL: tuple[Treatment, ...] = (
    Treatment(
        "reflex_gain_cut",
        "generic antispastic drug: cut the reflex gain by a fraction",
        ("reflex.gain",),
        "convention",
        (TreatmentKey("fraction", "1", 0.3, 0.0, 1.0, "fraction of the reflex gain removed"),),
        _reflex_gain_cut,
    ),
    Treatment(
        "tizanidine",
        "oral tizanidine: reflex gain down (dose: Emax model; time: one-compartment kinetics); passive "
        "stiffness untouched",
        ("reflex.gain",),
        "Mirbagheri et al. 2010, J NeuroEng Rehabil 7:29 (-15 to -60 %, mean -25 % stretch-evoked torque); t1/2 2.5 h",
        (
            TreatmentKey("dose_mg", "mg", 4.0, 0.0, 36.0, "single oral dose"),
            TreatmentKey("hours_after_dose", "h", 1.5, 0.0, 24.0, "time since the dose (effect peaks near 1.5 h)"),
        ),
        _tizanidine,
    ),
    Treatment(
        "baclofen",
        "oral baclofen: reflex threshold up with the slope (gain) unchanged, so that the reflex torque evoked "
        "by a standard stretch (8° at 175 °/s) falls by a Hill function of the plasma level",
        ("reflex.threshold_ips",),
        "McLellan 1977, JNNP 40:30 (-30 % above 250, -50 % above 400 ng/ml); Mult Scler 2000 (threshold, not slope)",
        (TreatmentKey("plasma_ng_per_ml", "ng/ml", 300.0, 0.0, 1500.0, "steady plasma level"),),
        _baclofen,
    ),
    Treatment(
        "baclofen_withdrawal",
        "stopping baclofen abruptly: the effect washes out within a day and excitability transiently "
        "overshoots (rebound spasticity, peak ~2 days, model assumption on its size)",
        ("reflex.threshold_ips",),
        "McLellan 1977 (effect size); baclofen t1/2 3.5 h; rebound size and timing are model assumptions",
        (
            TreatmentKey("days_since_stop", "days", 2.0, 0.0, 30.0, "time since the last dose"),
            TreatmentKey("plasma_ng_per_ml", "ng/ml", 300.0, 0.0, 1500.0, "steady plasma level before stopping"),
        ),
        _baclofen_withdrawal,
    ),
    Treatment(
        "diazepam",
        "diazepam: reflex gain down only at sedating plasma levels, with a small peripheral weakening",
        ("reflex.gain", "muscle.max_force_n"),
        "Verrier et al. 1976 (effect only at sedating levels); EC50 600 ng/ml, Hill 3, Emax 0.7 and 10 % "
        "weakening are model assumptions",
        (TreatmentKey("plasma_ng_per_ml", "ng/ml", 800.0, 0.0, 3000.0, "plasma level (sedating above ~500)"),),
        _diazepam,
    ),
    Treatment(
        "botox",
        "botulinum toxin A into the calf: max force down (onset in days, peak 2-4 weeks, recovered by 8-12 "
        "weeks) and a longer-lasting cut in spindle/fusimotor sensitivity; optional repeat injections",
        ("muscle.max_force_n", "spindle.fusimotor_scale"),
        "Hesse 1994 (force to 0.6-0.8); Trompetto 2006 (vibration reflex to 0.24 at 3 weeks); Filippi 1993",
        (
            TreatmentKey("weeks", "weeks", 3.0, 0.0, 104.0, "time since the first injection"),
            TreatmentKey("every_weeks", "weeks", 0.0, 0.0, 52.0, "repeat interval (0 = a single injection)"),
            TreatmentKey("peak_weakness", "1", 0.3, 0.0, 0.9, "fraction of max force lost at the peak"),
            TreatmentKey(
                "peak_spindle_depression", "1", 0.6, 0.0, 0.95, "fraction of fusimotor sensitivity lost at the peak"
            ),
        ),
        _botox,
    ),
    Treatment(
        "afo",
        "ankle-foot orthosis built from its keys: rotational stiffness and damping about its neutral angle, "
        "a smooth dorsiflexion stop, a heel wedge; each key does only what it names (all 0/none by default; "
        "see afo_carbon, afo_leaf_spring, afo_hinged_stop, afo_solid for typical braces)",
        _AFO_PATHS,
        _AFO_SOURCE,
        (
            TreatmentKey(
                "stiffness_nm_per_deg", "N·m/deg", 0.0, 0.0, 30.0, "rotational stiffness (carbon AFOs 0.58-3.66)"
            ),
            TreatmentKey("damping_nms_per_deg", "N·m·s/deg", 0.0, 0.0, 0.3, "rotational damping"),
            TreatmentKey("stop_deg", "deg", math.inf, -20.0, math.inf, "dorsiflexion stop angle (inf = none)"),
            _WEDGE,
        ),
        _afo,
    ),
    Treatment(
        "afo_carbon",
        "carbon-composite AFO: 2 N·m/deg (middle of the measured 0.58-3.66), no stop",
        _AFO_PATHS,
        _AFO_SOURCE,
        (_WEDGE,),
        _afo_preset(2.0, 0.0, math.inf),
    ),
    Treatment(
        "afo_leaf_spring",
        "posterior leaf spring AFO: flexible, no stop (1 N·m/deg)",
        _AFO_PATHS,
        _AFO_SOURCE,
        (_WEDGE,),
        _afo_preset(1.0, 0.0, math.inf),
    ),
    Treatment(
        "afo_hinged_stop",
        "hinged AFO with a dorsiflexion stop at 0° (nearly free hinge, 0.1 N·m/deg)",
        _AFO_PATHS,
        _AFO_SOURCE,
        (_WEDGE,),
        _afo_preset(0.1, 0.0, 0.0),
    ),
    Treatment(
        "afo_solid",
        "solid AFO: stiffer than any carbon AFO (8 N·m/deg, model choice), stop at 5°",
        _AFO_PATHS,
        _AFO_SOURCE + "; solid AFO stiffness is a model choice",
        (_WEDGE,),
        _afo_preset(8.0, 0.02, 5.0),
    ),
    Treatment(
        "stretching",
        "a calf-stretching session: a small reflex-gain cut that fades within minutes, and for about an hour "
        "lower force, a slower twitch and lower passive stiffness; no lasting reflex change",
        ("reflex.gain", "muscle.max_force_n", "muscle.contraction_time_s", "muscle.passive_scale"),
        "Guissard et al. 1988 (reflex depressed only during the stretch); Tsai et al. 2001 (stroke, H/M down after "
        "30 min); Avela et al. 2004 (1 h: force -13.8 %, twitch +14 % longer); Hayes et al. 2012 (6 weeks: no reflex "
        "change); reflex-cut size and recovery times are model assumptions",
        (
            TreatmentKey("session_min", "min", 30.0, 0.0, 60.0, "duration of the stretching session"),
            TreatmentKey("minutes_since", "min", 0.0, 0.0, 1440.0, "time since the session ended"),
        ),
        _stretching,
    ),
    Treatment(
        "cooling",
        "cold pack on the calf: slower conduction (longer delay), slower twitch, lower spindle sensitivity, each "
        "through its own Q10 (set a Q10 to 1 to switch that effect off)",
        (
            "reflex.delay_s",
            "muscle.electromechanical_delay_s",
            "muscle.contraction_time_s",
            "spindle.fusimotor_scale",
        ),
        "Lippold 1970 (cooling slows clonus); Q10 1.5 conduction, 2 twitch and spindle are model assumptions",
        (
            TreatmentKey("temperature_drop_c", "°C", 5.0, 0.0, 15.0, "fall of muscle and nerve temperature"),
            TreatmentKey(
                "conduction_q10", "1", COOLING_Q10_CONDUCTION, 1.0, 3.0, "Q10 of nerve conduction (loop delay)"
            ),
            TreatmentKey(
                "twitch_q10", "1", COOLING_Q10_TWITCH, 1.0, 4.0, "Q10 of the twitch and electromechanical delay"
            ),
            TreatmentKey("spindle_q10", "1", COOLING_Q10_SPINDLE, 1.0, 4.0, "Q10 of spindle (fusimotor) sensitivity"),
        ),
        _cooling,
    ),
    Treatment(
        "rhizotomy",
        "selective dorsal rhizotomy: a fraction of the Ia afferents cut (reflex gain down)",
        ("reflex.gain",),
        "convention (gain scales with the afferents left)",
        (TreatmentKey("fraction", "1", 0.4, 0.0, 1.0, "fraction of dorsal rootlets cut"),),
        _rhizotomy,
    ),
    Treatment(
        "neurotomy",
        "selective tibial neurotomy: a fraction of the motor supply to the calf cut (max force down)",
        ("muscle.max_force_n",),
        "convention (force scales with the motor axons left)",
        (TreatmentKey("fraction", "1", 0.5, 0.0, 0.95, "fraction of motor fascicles cut"),),
        _neurotomy,
    ),
)

TREATMENTS: Mapping[str, Treatment] = MappingProxyType({t.name: t for t in _ALL})


def get(name: str, registry: Mapping[str, Treatment] | None = None, kind: str = "treatment") -> Treatment:
    """The treatment called `name`, or an error listing the valid names.

    `registry` and `kind` let another registry of the same shape (`reflexsim.triggers.TRIGGERS`,
    "trigger") share the lookup, the command-line parser and `apply_all`.

    Parameters
    ----------
    name : str
        The treatment's name.
    registry : mapping of str to Treatment, optional
        Where to look it up (default: the module's `TREATMENTS`, read when called).
    kind : str, default "treatment"
        What messages call it.

    Returns
    -------
    Treatment
        The treatment.

    Raises
    ------
    TreatmentError
        If `name` is not in `registry`; the message suggests close names and lists the valid ones.

    Examples
    --------
    >>> from reflexsim import treatments
    >>> treatments.get("baclofen").acts_on
    ('reflex.threshold_ips',)
    >>> treatments.get("botux")
    Traceback (most recent call last):
    ...
    reflexsim.treatments.TreatmentError: unknown treatment 'botux'; did you mean 'botox'? valid treatments: ...
    """
    if registry is None:
        registry = TREATMENTS
    try:
        return registry[name]
    except KeyError:
        close = difflib.get_close_matches(name, registry, n=2)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise TreatmentError(f"unknown {kind} {name!r}; {hint}valid {kind}s: {', '.join(registry)}") from None


def apply(model: Model, name: str, **values: float) -> Model:
    """Apply one treatment by name, e.g. ``apply(model, "botox", weeks=3)``.

    Parameters
    ----------
    model : Model
        The model to treat (unchanged: models are immutable).
    name : str
        The treatment's name (`TREATMENTS` lists them).
    **values : float
        Its keys; keys not given take their defaults.

    Returns
    -------
    Model
        The treated model, named ``"<model's name> + <treatment>[:keys]"``.

    Raises
    ------
    TreatmentError
        If the name or a key is unknown or a value lies outside its key's range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim import treatments
    >>> treated = treatments.apply(rs.preset("severe"), "tizanidine", dose_mg=8)
    >>> treated.name, round(treated.reflex.gain, 2)
    ('severe + tizanidine:dose_mg=8', 1.73)
    """
    return get(name)(model, **values)


def parse_spec(
    spec: str, registry: Mapping[str, Treatment] | None = None, kind: str = "treatment"
) -> tuple[str, dict[str, float | str]]:
    """Parse ``NAME[:key=value,...]`` (the command-line form) into a name and its keys.

    Parameters
    ----------
    spec : str
        For example ``"botox:weeks=3,every_weeks=12"``.
    registry : mapping of str to Treatment, optional
        Where the name is looked up (default `TREATMENTS`).
    kind : str, default "treatment"
        What messages call it.

    Returns
    -------
    tuple of (str, dict)
        The name and ``{key: value}``; values that are not plain numbers stay text, for the
        treatment to refuse with its range.

    Raises
    ------
    TreatmentError
        If `spec` is not a str, or the name or a key is unknown, malformed or given twice.

    Examples
    --------
    >>> from reflexsim.treatments import parse_spec
    >>> parse_spec("botox:weeks=3,every_weeks=12")
    ('botox', {'weeks': 3.0, 'every_weeks': 12.0})
    >>> parse_spec("afo_carbon")
    ('afo_carbon', {})
    """
    if not isinstance(spec, str):
        raise TreatmentError(f"a {kind} is written NAME[:key=value,...] (e.g. 'botox:weeks=3'), got {spec!r}")
    name, _, rest = spec.strip().partition(":")
    treatment = get(name.strip(), registry, kind)
    values: dict[str, float | str] = {}  # text that is not a number stays text (see below)
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, sep, text = item.partition("=")
        if not sep:
            raise TreatmentError(f"{kind} {treatment.name!r}: expected key=value, got {item!r}")
        spec_key = treatment.key(key.strip())
        if spec_key.name in values:
            raise TreatmentError(f"{kind} {treatment.name!r}: key {spec_key.name!r} is given twice in {spec!r}")
        try:
            values[spec_key.name] = number_from_text(text)
        except ValueError:
            values[spec_key.name] = text.strip()  # the treatment refuses it with its range
    return treatment.name, values


def apply_all(
    model: Model,
    specs: Iterable[str | tuple[str, Mapping[str, float | str]]],
    registry: Mapping[str, Treatment] | None = None,
    kind: str = "treatment",
) -> Model:
    """Apply treatments in order; each is ``"NAME[:key=value,...]"`` or ``(name, {key: value})``.

    Parameters
    ----------
    model : Model
        The model to treat.
    specs : iterable of str or (str, mapping)
        The treatments, applied first to last.
    registry : mapping of str to Treatment, optional
        Where the names are looked up (default `TREATMENTS`).
    kind : str, default "treatment"
        What messages call them.

    Returns
    -------
    Model
        The model after every treatment, its name listing them in order.

    Raises
    ------
    TreatmentError
        If `specs` is not a list of specs (a single str is refused), or a spec is invalid.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.treatments import apply_all
    >>> treated = apply_all(rs.preset("severe"), ["tizanidine:dose_mg=8", ("afo", {"stiffness_nm_per_deg": 2.0})])
    >>> treated.name
    'severe + tizanidine:dose_mg=8 + afo:stiffness_nm_per_deg=2'
    >>> round(treated.orthosis.stiffness_nm_per_rad, 1)
    114.6
    """
    if isinstance(specs, str) or not isinstance(specs, Iterable):
        raise TreatmentError(f"{kind}s must be a list such as ['botox:weeks=3'], got {specs!r}")
    for spec in specs:
        values: dict[str, float | str]
        if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping):
            name, values = spec[0], dict(spec[1])
        else:
            name, values = parse_spec(spec, registry, kind)
        model = get(name, registry, kind)(model, **values)
    return model

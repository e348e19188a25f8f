"""Model parameters: frozen dataclasses with SI units, documented defaults, sources and checked
ranges, addressed by dotted paths such as ``reflex.gain``.

A :class:`Model` groups six sections (foot, joint, muscle, spindle, reflex, orthosis). Every
field carries metadata (unit, valid range, description, source) that drives validation, the
``reflexsim params`` listing and the docs. Values are checked when a section is built, so an
invalid model cannot exist. Models are immutable: change one with :meth:`Model.with_values`.

Sign convention: ankle angle positive in dorsiflexion (stretching the calf); torques positive
when dorsiflexing.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from . import kernel
from .errors import ParameterError

_RE = "Riener & Edrich 1999, J Biomech 32:539 (passive ankle moment, knee extended)"
_GAIT2392 = "OpenSim gait2392 (Delp 1990; soleus)"
_THELEN = "Thelen 2003, J Biomech Eng 125:70"
_PROCHAZKA = "Prochazka & Gorassini 1998, J Physiol 507:277 (coefficients unverified)"


def param(default: float, unit: str, lo: float, hi: float, doc: str, source: str) -> Any:
    """A dataclass field with its unit, inclusive valid range [lo, hi], description and source.

    The metadata drives `Validated`'s range check, the ``reflexsim params`` listing and the docs,
    so a parameter's range and meaning are written once, beside its default.

    Parameters
    ----------
    default : float
        The default value, in `unit`.
    unit : str
        The unit (``"1"`` for dimensionless).
    lo, hi : float
        The inclusive valid range; `hi` may be ``math.inf``.
    doc : str
        What the parameter means (one lower-case clause).
    source : str
        Where the default and range come from.

    Returns
    -------
    dataclasses.Field
        A field with default `default` and metadata ``unit``, ``range`` (``(lo, hi)``), ``doc``
        and ``source``.

    Examples
    --------
    >>> import dataclasses
    >>> from reflexsim.params import param
    >>> f = param(0.04, "s", 0.005, 0.15, "stretch-to-EMG loop delay", "Sinkjaer et al. 1996")
    >>> f.default, f.metadata["unit"], f.metadata["range"]
    (0.04, 's', (0.005, 0.15))
    """
    return field(default=default, metadata={"unit": unit, "range": (lo, hi), "doc": doc, "source": source})


@dataclass(frozen=True)
class ParamInfo:
    """Everything known about one parameter, for listings and docs (what `describe` returns).

    Attributes
    ----------
    path : str
        Dotted path, e.g. ``"reflex.gain"``.
    value : float
        The value in the model it was read from (the default for `describe` without a value).
    default : float
        The default value.
    unit : str
        Unit (``"1"`` for dimensionless).
    lo, hi : float
        Inclusive valid range.
    doc : str
        What the parameter means.
    source : str
        Where the default and range come from.

    Examples
    --------
    >>> from reflexsim.params import describe
    >>> info = describe("reflex.delay_s")
    >>> info.value, info.unit, (info.lo, info.hi)
    (0.04, 's', (0.005, 0.15))
    """

    path: str
    value: float
    default: float
    unit: str
    lo: float
    hi: float
    doc: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (infinite numbers as ``"inf"`` / ``"-inf"``).

        Returns
        -------
        dict
            Field name -> value.
        """
        d = dataclasses.asdict(self)
        for key in ("value", "default", "lo", "hi"):
            d[key] = json_number(d[key])
        return d


def json_number(x: float) -> float | str:
    """A float for JSON: infinities become the strings "inf" / "-inf" (JSON has no infinity).

    Parameters
    ----------
    x : float
        The number.

    Returns
    -------
    float or str
        `x` if finite, else ``"inf"`` or ``"-inf"``.

    Examples
    --------
    >>> from reflexsim.params import json_number
    >>> json_number(2.5), json_number(float("inf")), json_number(float("-inf"))
    (2.5, 'inf', '-inf')
    """
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def format_range(lo: float, hi: float, unit: str) -> str:
    """A valid range as text, ``"[lo, hi] unit"``, with dimensionless units spelled out.

    Parameters
    ----------
    lo, hi : float
        The inclusive range.
    unit : str
        Its unit (``"1"`` = dimensionless).

    Returns
    -------
    str
        The range as error messages and listings show it.

    Examples
    --------
    >>> from reflexsim.params import format_range
    >>> format_range(0.005, 0.15, "s"), format_range(0.0, 40.0, "1")
    ('[0.005, 0.15] s', '[0, 40] (dimensionless)')
    """
    unit = "(dimensionless)" if unit == "1" else unit
    return f"[{lo:g}, {hi:g}] {unit}".rstrip()


# The one spelling of a number accepted from text (command line, TOML strings, sweep values): plain
# decimal or scientific notation, inf or nan. Python's float() also takes "1_0" (= 10), which a
# slip of the finger should not turn into a valid value.
_NUMBER_TEXT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def number_from_text(text: str) -> float:
    """`text` as a float if it is written as a plain number (``3``, ``-0.5``, ``1e-3``, ``inf``).

    Stricter than `float`, which also reads ``1_0`` as 10: a slip of the finger on the command
    line or in a TOML file should not become a valid value.

    Parameters
    ----------
    text : str
        The text; surrounding white space is ignored.

    Returns
    -------
    float
        The number.

    Raises
    ------
    ValueError
        If `text` is not a plain decimal or scientific number, ``inf`` or ``nan`` (``1_0``,
        ``0x10``, ``true``, ``3 4``).

    Examples
    --------
    >>> from reflexsim.params import number_from_text
    >>> number_from_text(" 1e-3"), number_from_text("-inf")
    (0.001, -inf)
    >>> number_from_text("1_0")
    Traceback (most recent call last):
    ...
    ValueError: not a number: '1_0'
    """
    stripped = text.strip()
    if not _NUMBER_TEXT.fullmatch(stripped):
        raise ValueError(f"not a number: {text!r}")
    return float(stripped)


def as_number(value: Any) -> float:
    """A real number given as int, float, numpy number or plain-number text (booleans refused).

    The one conversion behind every checked value of the command line, TOML files and the API.

    Parameters
    ----------
    value : int, float, numpy number or str
        The value; text must be a plain number (see `number_from_text`).

    Returns
    -------
    float
        The value as a float.

    Raises
    ------
    TypeError
        If `value` is a boolean or not a number at all.
    ValueError
        If `value` is text that is not a plain number.

    Examples
    --------
    >>> import numpy as np
    >>> from reflexsim.params import as_number
    >>> as_number(3), as_number(np.float32(2.5)), as_number(" 4 ")
    (3.0, 2.5, 4.0)
    >>> as_number(True)
    Traceback (most recent call last):
    ...
    TypeError: a boolean is not a number
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a boolean is not a number")
    if isinstance(value, str):
        return number_from_text(value)
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{type(value).__name__} is not a number")
    return float(value)


def checked_number(
    name: str, value: Any, lo: float, hi: float, unit: str, error: type[Exception] = ParameterError, note: str = ""
) -> float:
    """`value` as a float inside [lo, hi], or one clear error naming the value and its valid range.

    Infinite values pass only where the range reaches infinity.

    Parameters
    ----------
    name : str
        What the value is (``"reflex.gain"``, ``"duration_s"``), for the message.
    value : int, float, numpy number or str
        The value (see `as_number`).
    lo, hi : float
        The inclusive valid range.
    unit : str
        Its unit (``"1"`` = dimensionless).
    error : type of Exception, default ParameterError
        The exception to raise.
    note : str, optional
        Added after the range in the message, e.g. where the range comes from.

    Returns
    -------
    float
        The value.

    Raises
    ------
    Exception
        `error`, if `value` is not a number or lies outside [lo, hi].

    Examples
    --------
    >>> from reflexsim.params import checked_number
    >>> checked_number("duration_s", "5", 0.001, 3600.0, "s")
    5.0
    >>> checked_number("duration_s", 0, 0.001, 3600.0, "s", note=" (at least one step)")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: duration_s = 0 is outside its valid range [0.001, 3600] s (at least one step)
    """
    valid = f"valid range {format_range(lo, hi, unit)}{note}"
    try:
        v = as_number(value)
    except (TypeError, ValueError):
        raise error(f"{name} = {value!r} is not a number; {valid}") from None
    if not (lo <= v <= hi) or (math.isinf(v) and not math.isinf(lo if v < 0 else hi)):
        shown = value.strip() if isinstance(value, str) else repr(value)
        raise error(f"{name} = {shown} is outside its {valid}")
    return v


class Validated:
    """Range validation shared by parameter sections and protocols.

    Every field made with `param` is checked to be a number inside its range (finite unless the
    range reaches infinity) when the object is built, so an invalid section or protocol cannot
    exist. Subclasses set `section` (the dotted paths' prefix) and may set `error` (the exception
    raised, `ParameterError` by default).

    Examples
    --------
    >>> from reflexsim.params import Foot, Validated
    >>> issubclass(Foot, Validated), Foot.section
    (True, 'foot')
    >>> Foot(mass_kg=float("nan"))
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: foot.mass_kg = nan is not finite; valid range [0.05, 10] kg
    """

    section: ClassVar[str]
    error: ClassVar[type[Exception]] = ParameterError
    # every subclass is a dataclass: this declares it to type checkers (typeshed's DataclassInstance)
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            path = f"{self.section}.{f.name}"
            lo, hi = f.metadata["range"]
            unit = f.metadata["unit"]
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise self.error(f"{path} = {value!r} is not a number; valid range {format_range(lo, hi, unit)}")
            value = float(value)
            if math.isnan(value) or (math.isinf(value) and not math.isinf(hi)):
                raise self.error(f"{path} = {value} is not finite; valid range {format_range(lo, hi, unit)}")
            if not lo <= value <= hi:
                raise self.error(f"{path} = {value:g} is outside its valid range {format_range(lo, hi, unit)}")
            object.__setattr__(self, f.name, value)


@dataclass(frozen=True)
class Foot(Validated):
    """The foot as a rigid body rotating about the ankle.

    Its inertia, with the muscle's and tissues' stiffness, sets the frequency at which the loop
    can oscillate; gravity matters only when the shank is vertical.

    Parameters
    ----------
    inertia_kg_m2 : float, default 0.015
        Moment of inertia of foot (and shoe) about the ankle axis; an examiner's hand adds to it (other joints:
        the moved segment about its joint, reflexsim.joints); kg·m², valid range [0.0001, 1]; source: gait2392
        segment data; physiology.md §3 (0.01–0.05).
    mass_kg : float, default 1.25
        Foot (moved segment's) mass, used only when gravity acts; kg, valid range [0.05, 10]; source: gait2392
        segment data.
    com_distance_m : float, default 0.06
        Distance from ankle axis to the foot's (moved segment's) centre of mass; m, valid range [0, 0.5];
        source: gait2392 segment data (approx.).
    gravity_m_per_s2 : float, default 0
        Gravity acting in the foot's plane of motion: 0 = foot supported or supine, 9.81 = seated with the shank
        vertical (torque -m·g·d·cos θ); m/s², valid range [0, 9.81]; source: convention.
    gravity_reference_angle_rad : float, default 0
        Angle θ_g at which gravity's torque -m·g·d·cos(θ − θ_g) is largest toward −θ; the segment hangs at θ_g
        − 90°: 0 for the foot (horizontal at neutral, hangs plantarflexed), π for the knee pendulum test (shank
        horizontal at full extension, pulled into flexion, hangs at 90°); rad, valid range [-3.14159, 3.14159];
        source: convention (geometry).
    angle_limit_rad : float, default 1.5708
        The angle guard: a run stops (out of range) when the angle passes ± this; 90° for a segment that never
        passes it, 180° for the swinging shank of the knee pendulum test; rad, valid range [1.5708, 3.14159];
        source: convention (joint range).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> from reflexsim.params import Foot
    >>> Foot(gravity_m_per_s2=9.81)  # doctest: +ELLIPSIS
    Foot(inertia_kg_m2=0.015, mass_kg=1.25, com_distance_m=0.06, gravity_m_per_s2=9.81, ...)
    """

    section: ClassVar[str] = "foot"
    inertia_kg_m2: float = param(
        0.015,
        "kg·m²",
        1e-4,
        1.0,
        "moment of inertia of foot (and shoe) about the ankle axis; an examiner's hand adds to it (other "
        "joints: the moved segment about its joint, reflexsim.joints)",
        "gait2392 segment data; physiology.md §3 (0.01–0.05)",
    )
    mass_kg: float = param(
        1.25, "kg", 0.05, 10.0, "foot (moved segment's) mass, used only when gravity acts", "gait2392 segment data"
    )
    com_distance_m: float = param(
        0.06,
        "m",
        0.0,
        0.5,
        "distance from ankle axis to the foot's (moved segment's) centre of mass",
        "gait2392 segment data (approx.)",
    )
    gravity_m_per_s2: float = param(
        0.0,
        "m/s²",
        0.0,
        9.81,
        "gravity acting in the foot's plane of motion: 0 = foot supported or supine, "
        "9.81 = seated with the shank vertical (torque -m·g·d·cos θ)",
        "convention",
    )
    gravity_reference_angle_rad: float = param(
        0.0,
        "rad",
        -math.pi,
        math.pi,
        "angle θ_g at which gravity's torque -m·g·d·cos(θ − θ_g) is largest toward −θ; the segment hangs at "
        "θ_g − 90°: 0 for the foot (horizontal at neutral, hangs plantarflexed), π for the knee pendulum test "
        "(shank horizontal at full extension, pulled into flexion, hangs at 90°)",
        "convention (geometry)",
    )
    angle_limit_rad: float = param(
        0.5 * math.pi,
        "rad",
        0.5 * math.pi,
        math.pi,
        "the angle guard: a run stops (out of range) when the angle passes ± this; 90° for a segment that never passes "
        "it, 180° for the swinging shank of the knee pendulum test",
        "convention (joint range)",
    )


@dataclass(frozen=True)
class Joint(Validated):
    """Passive ankle tissues other than the triceps surae, and joint damping.

    With the muscle's passive force they reproduce the passive ankle moment of Riener & Edrich
    (1999).

    Parameters
    ----------
    damping_nms_per_rad : float, default 0.5
        Passive viscous damping of the relaxed ankle; N·m·s/rad, valid range [0.05, 5]; source: Kearney & Hunter
        system identification; physiology.md §3 (0.2–2, unverified).
    pf_end_torque_nm : float, default 0.0003435
        Dorsiflexing passive torque of the anterior tissues at neutral (R&E exp(-7.9763)); rises exponentially
        toward plantarflexion; N·m, valid range [0, 50]; source: Riener & Edrich 1999, J Biomech 32:539 (passive
        ankle moment, knee extended).
    pf_end_rate_per_rad : float, default 11.167
        Exponential rate of the plantarflexion-end passive torque (0.1949/deg); 1/rad, valid range [1, 30];
        source: Riener & Edrich 1999, J Biomech 32:539 (passive ankle moment, knee extended).
    offset_torque_nm : float, default 1.792
        Constant term of the Riener & Edrich passive moment (dorsiflexing); N·m, valid range [-10, 10]; source:
        Riener & Edrich 1999, J Biomech 32:539 (passive ankle moment, knee extended).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> rs.preset("severe").joint.damping_nms_per_rad
    0.5
    """

    section: ClassVar[str] = "joint"
    damping_nms_per_rad: float = param(
        0.5,
        "N·m·s/rad",
        0.05,
        5.0,
        "passive viscous damping of the relaxed ankle",
        "Kearney & Hunter system identification; physiology.md §3 (0.2–2, unverified)",
    )
    pf_end_torque_nm: float = param(
        3.435e-4,
        "N·m",
        0.0,
        50.0,
        "dorsiflexing passive torque of the anterior tissues at neutral (R&E exp(-7.9763)); "
        "rises exponentially toward plantarflexion",
        _RE,
    )
    pf_end_rate_per_rad: float = param(
        11.167, "1/rad", 1.0, 30.0, "exponential rate of the plantarflexion-end passive torque (0.1949/deg)", _RE
    )
    offset_torque_nm: float = param(
        1.792, "N·m", -10.0, 10.0, "constant term of the Riener & Edrich passive moment (dorsiflexing)", _RE
    )


@dataclass(frozen=True)
class Muscle(Validated):
    """Triceps surae (soleus + gastrocnemius) as one Hill-type muscle with a rigid tendon.

    Force-length, force-velocity and passive curves follow Thelen (2003) with gait2392's soleus
    geometry; spasticity stiffens the passive curve (`passive_scale`).

    Parameters
    ----------
    max_force_n : float, default 5790
        Maximum isometric force of the lumped triceps surae (soleus 3549 + gastrocnemius 2241); N, valid range
        [0, 15000]; source: OpenSim gait2392 (Delp 1990; soleus); physiology.md §3.
    moment_arm_m : float, default 0.045
        Achilles tendon moment arm (constant); m, valid range [0.005, 0.1]; source: Manal 2013; Wolfram 2018;
        physiology.md §3.
    optimal_fibre_length_m : float, default 0.05
        Optimal fibre length; m, valid range [0.02, 0.1]; source: OpenSim gait2392 (Delp 1990; soleus).
    pennation_rad : float, default 0.4363
        Pennation angle (25°), constant; rad, valid range [0, 0.7]; source: OpenSim gait2392 (Delp 1990;
        soleus).
    fibre_length_at_neutral : float, default 0.9
        Fibre length at 0° (neutral ankle) as a fraction of optimal: the fibres reach optimal length near 6° of
        dorsiflexion; l_opt, valid range [0.6, 1.3]; source: soleus works on the ascending limb near neutral
        (Maganaris 2003, unverified).
    max_shortening_velocity_per_s : float, default 10
        Maximum shortening velocity of the fibres; l_opt/s, valid range [2, 30]; source: Thelen 2003, J Biomech
        Eng 125:70; OpenSim default.
    fv_curvature : float, default 0.25
        Hill curvature a/F0 of the force-velocity hyperbola (shortening); dimensionless, valid range [0.1, 1];
        source: Thelen 2003, J Biomech Eng 125:70.
    max_eccentric_force : float, default 1.4
        Force-velocity asymptote for fast lengthening; F_max, valid range [1.05, 2]; source: OpenSim
        Thelen2003Muscle default.
    fl_width : float, default 0.6708
        Width of the Gaussian active force-length curve (sqrt of Thelen's γ = 0.45); l_opt, valid range [0.2,
        1.5]; source: Thelen 2003, J Biomech Eng 125:70.
    active_stiffness_per_torque : float, default 2
        Joint stiffness contributed per N·m of active torque by the series elasticity (tendon, aponeurosis,
        cross-bridges) that carries the active force; with the force-velocity slope it sets the series-elastic
        time constant T = (1 + 1/fv_curvature)·(dλ/dθ)/v_max / κ, above 1/T a stretched active muscle acts as a
        spring κ·T_active, below as a damper; 1/rad, valid range [0.5, 10]; source: intrinsic ankle stiffness
        rises in proportion to torque with near-constant damping ratio (Weiss, Hunter & Kearney 1988, J Biomech
        21:539); series-elastic stiffness 250–400 N·m/rad at 100 N·m (Hof 1998, J Biomech 31:793); Hill models
        err most at low firing rates (Perreault, Heckman & Sandercock 2003, J Biomech 36:211).
    passive_force_at_optimal_n : float, default 326.2
        Passive fibre force at optimal length; with `passive_exponent` it reproduces the dorsiflexion-end term
        of Riener & Edrich (8.18·e^(4.83 θ) N·m) at the default geometry; N, valid range [0, 5000]; source:
        Riener & Edrich 1999, J Biomech 32:539 (passive ankle moment, knee extended), refitted to fibre length.
    passive_exponent : float, default 4.864
        Exponential rate of passive fibre force with fibre strain (0.0843/deg at the joint); 1/l_opt, valid
        range [1, 50]; source: Riener & Edrich 1999, J Biomech 32:539 (passive ankle moment, knee extended),
        refitted to fibre length.
    passive_scale : float, default 1
        Multiplier of passive fibre force: 1 = healthy; spastic muscle ×1.5–2.5; dimensionless, valid range
        [0.2, 3]; source: Sinkjaer & Magnussen 1994; Sinkjaer 1993 (MS +152 %); physiology.md §3.
    contraction_time_s : float, default 0.1
        Twitch contraction time of the critically damped activation filter; with the 12 ms electromechanical
        delay the modelled twitch peaks 112 ms after the motor volley; s, valid range [0.04, 0.3]; source:
        Vandervoort & McComas 1983; Sale et al. 1982 (triceps surae 112 ± 11 ms).
    electromechanical_delay_s : float, default 0.012
        Delay from EMG to onset of force; s, valid range [0, 0.05]; source: Nordez et al. 2009, J Appl Physiol.
    fatigue_rate_per_s : float, default 0
        Loss of force capacity per second at full activation (0 = no fatigue, the default); 0.0050 for a control
        muscle, 0.040 for a chronically paralysed one; 1/s, valid range [0, 0.1]; source: Burke fatigue test (40
        Hz trains, duty 1/3, 2 min): fatigue index 0.85 control, 0.31 chronically paralysed (Thomas group,
        physiology-joints.md §3); the rates end that test at those indices with the default recovery time.
    fatigue_recovery_s : float, default 300
        Time constant of the recovery of force capacity at rest; s, valid range [10, 3600]; source: model
        assumption (minutes; time constants for soleus under 5 Hz burst activation not found,
        physiology-joints.md §3).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.params import Muscle
    >>> rs.preset("healthy").muscle.passive_scale, rs.preset("severe").muscle.passive_scale
    (1.0, 2.0)
    >>> Muscle(passive_scale=5.0)
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: muscle.passive_scale = 5 is outside its valid range [0.2, 3] (dimensionless)
    """

    section: ClassVar[str] = "muscle"
    max_force_n: float = param(
        5790.0,
        "N",
        0.0,
        15000.0,
        "maximum isometric force of the lumped triceps surae (soleus 3549 + gastrocnemius 2241)",
        _GAIT2392 + "; physiology.md §3",
    )
    moment_arm_m: float = param(
        0.045, "m", 0.005, 0.1, "Achilles tendon moment arm (constant)", "Manal 2013; Wolfram 2018; physiology.md §3"
    )
    optimal_fibre_length_m: float = param(0.05, "m", 0.02, 0.1, "optimal fibre length", _GAIT2392)
    pennation_rad: float = param(0.4363, "rad", 0.0, 0.7, "pennation angle (25°), constant", _GAIT2392)
    fibre_length_at_neutral: float = param(
        0.9,
        "l_opt",
        0.6,
        1.3,
        "fibre length at 0° (neutral ankle) as a fraction of optimal: the fibres reach optimal "
        "length near 6° of dorsiflexion",
        "soleus works on the ascending limb near neutral (Maganaris 2003, unverified)",
    )
    max_shortening_velocity_per_s: float = param(
        10.0, "l_opt/s", 2.0, 30.0, "maximum shortening velocity of the fibres", _THELEN + "; OpenSim default"
    )
    fv_curvature: float = param(
        0.25, "1", 0.1, 1.0, "Hill curvature a/F0 of the force-velocity hyperbola (shortening)", _THELEN
    )
    max_eccentric_force: float = param(
        1.4, "F_max", 1.05, 2.0, "force-velocity asymptote for fast lengthening", "OpenSim Thelen2003Muscle default"
    )
    fl_width: float = param(
        0.6708,
        "l_opt",
        0.2,
        1.5,
        "width of the Gaussian active force-length curve (sqrt of Thelen's γ = 0.45)",
        _THELEN,
    )
    active_stiffness_per_torque: float = param(
        2.0,
        "1/rad",
        0.5,
        10.0,
        "joint stiffness contributed per N·m of active torque by the series elasticity (tendon, "
        "aponeurosis, cross-bridges) that carries the active force; with the force-velocity slope it "
        "sets the series-elastic time constant T = (1 + 1/fv_curvature)·(dλ/dθ)/v_max / κ, above "
        "1/T a stretched active muscle acts as a spring κ·T_active, below as a damper",
        "intrinsic ankle stiffness rises in proportion to torque with near-constant damping ratio "
        "(Weiss, Hunter & Kearney 1988, J Biomech 21:539); series-elastic stiffness 250–400 N·m/rad "
        "at 100 N·m (Hof 1998, J Biomech 31:793); Hill models err most at low firing rates "
        "(Perreault, Heckman & Sandercock 2003, J Biomech 36:211)",
    )
    passive_force_at_optimal_n: float = param(
        326.2,
        "N",
        0.0,
        5000.0,
        "passive fibre force at optimal length; with `passive_exponent` it reproduces the "
        "dorsiflexion-end term of Riener & Edrich (8.18·e^(4.83 θ) N·m) at the default geometry",
        _RE + ", refitted to fibre length",
    )
    passive_exponent: float = param(
        4.864,
        "1/l_opt",
        1.0,
        50.0,
        "exponential rate of passive fibre force with fibre strain (0.0843/deg at the joint)",
        _RE + ", refitted to fibre length",
    )
    passive_scale: float = param(
        1.0,
        "1",
        0.2,
        3.0,
        "multiplier of passive fibre force: 1 = healthy; spastic muscle ×1.5–2.5",
        "Sinkjaer & Magnussen 1994; Sinkjaer 1993 (MS +152 %); physiology.md §3",
    )
    contraction_time_s: float = param(
        0.100,
        "s",
        0.04,
        0.3,
        "twitch contraction time of the critically damped activation filter; with the 12 ms "
        "electromechanical delay the modelled twitch peaks 112 ms after the motor volley",
        "Vandervoort & McComas 1983; Sale et al. 1982 (triceps surae 112 ± 11 ms)",
    )
    electromechanical_delay_s: float = param(
        0.012, "s", 0.0, 0.05, "delay from EMG to onset of force", "Nordez et al. 2009, J Appl Physiol"
    )
    fatigue_rate_per_s: float = param(
        0.0,
        "1/s",
        0.0,
        0.1,
        "loss of force capacity per second at full activation (0 = no fatigue, the default); 0.0050 for a "
        "control muscle, 0.040 for a chronically paralysed one",
        "Burke fatigue test (40 Hz trains, duty 1/3, 2 min): fatigue index 0.85 control, 0.31 chronically "
        "paralysed (Thomas group, physiology-joints.md §3); the rates end that test at those indices with "
        "the default recovery time",
    )
    fatigue_recovery_s: float = param(
        300.0,
        "s",
        10.0,
        3600.0,
        "time constant of the recovery of force capacity at rest",
        "model assumption (minutes; time constants for soleus under 5 Hz burst activation not found, "
        "physiology-joints.md §3)",
    )


@dataclass(frozen=True)
class Spindle(Validated):
    """Ia afferents of the triceps surae muscle spindles (sensing fibre length and velocity).

    The Ia rate follows Prochazka & Gorassini's (1998) power law in lengthening velocity plus a
    length term; it is the reflex's input.

    Parameters
    ----------
    baseline_rate_ips : float, default 82
        Ia rate at optimal length, at rest; imp/s, valid range [0, 200]; source: Prochazka & Gorassini 1998, J
        Physiol 507:277 (coefficients unverified).
    velocity_gain_ips : float, default 4.3
        Ia rate added by 1 mm/s of fibre lengthening (power law k·(v / 1 mm/s)^e; shortening lowers the rate by
        the mirror image until the ending falls silent); imp/s, valid range [0, 30]; source: Prochazka &
        Gorassini 1998, J Physiol 507:277 (coefficients unverified).
    velocity_exponent : float, default 0.6
        Exponent of the power law in lengthening velocity (0.5–0.6); dimensionless, valid range [0.3, 1];
        source: Prochazka & Gorassini 1998, J Physiol 507:277 (coefficients unverified).
    length_gain_ips_per_m : float, default 2000
        Ia rate per metre of fibre stretch beyond optimal (2 imp/s/mm); imp/s/m, valid range [0, 20000]; source:
        Prochazka & Gorassini 1998, J Physiol 507:277 (coefficients unverified).
    fusimotor_scale : float, default 1
        Fusimotor (γ) sensitivity multiplying the dynamic and length terms; 1 = normal; dimensionless, valid
        range [0, 3]; source: convention; botulinum toxin lowers it (Filippi 1993).
    linear_range_m_per_s : float, default 0.001
        Fibre velocity below which the Ia response is linear in velocity (the power law's small-signal core):
        sensitivity k·e·v_lin^(e-1) ≈ 2.6 imp/s per mm/s at 1 mm/s, i.e. ≈ 80 imp/s per mm of 5 Hz stretching;
        m/s, valid range [0.0001, 0.01]; source: primary endings respond linearly to stretches below ~0.1 mm
        with sensitivities of order 100 imp/s per mm (Matthews & Stein 1969, J Physiol 200:723; Hunt & Wilkinson
        1980).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> from reflexsim.params import Spindle
    >>> spindle = Spindle(fusimotor_scale=0.5)  # reduced gamma drive, as after botulinum toxin
    >>> spindle.baseline_rate_ips, spindle.fusimotor_scale
    (82.0, 0.5)
    """

    section: ClassVar[str] = "spindle"
    baseline_rate_ips: float = param(82.0, "imp/s", 0.0, 200.0, "Ia rate at optimal length, at rest", _PROCHAZKA)
    velocity_gain_ips: float = param(
        4.3,
        "imp/s",
        0.0,
        30.0,
        "Ia rate added by 1 mm/s of fibre lengthening (power law k·(v / 1 mm/s)^e; shortening "
        "lowers the rate by the mirror image until the ending falls silent)",
        _PROCHAZKA,
    )
    velocity_exponent: float = param(
        0.6, "1", 0.3, 1.0, "exponent of the power law in lengthening velocity (0.5–0.6)", _PROCHAZKA
    )
    length_gain_ips_per_m: float = param(
        2000.0, "imp/s/m", 0.0, 20000.0, "Ia rate per metre of fibre stretch beyond optimal (2 imp/s/mm)", _PROCHAZKA
    )
    fusimotor_scale: float = param(
        1.0,
        "1",
        0.0,
        3.0,
        "fusimotor (γ) sensitivity multiplying the dynamic and length terms; 1 = normal",
        "convention; botulinum toxin lowers it (Filippi 1993)",
    )
    linear_range_m_per_s: float = param(
        0.001,
        "m/s",
        1e-4,
        0.01,
        "fibre velocity below which the Ia response is linear in velocity (the power law's small-signal "
        "core): sensitivity k·e·v_lin^(e-1) ≈ 2.6 imp/s per mm/s at 1 mm/s, i.e. ≈ 80 imp/s per mm "
        "of 5 Hz stretching",
        "primary endings respond linearly to stretches below ~0.1 mm with sensitivities of order 100 "
        "imp/s per mm (Matthews & Stein 1969, J Physiol 200:723; Hunt & Wilkinson 1980)",
    )


@dataclass(frozen=True)
class Reflex(Validated):
    """Spinal stretch reflex: delayed Ia drive onto the triceps motoneuron pool.

    Gain, delay and threshold decide whether the loop oscillates (clonus); post-activation
    depression lets a mild lesion's clonus fade.

    Parameters
    ----------
    gain : float, default 1
        Multiplier of the spindle-to-motoneuron drive; 1.0 = healthy ankle; dimensionless, valid range [0, 40];
        source: convention (the healthy scale is set by `drive_per_ips`).
    delay_s : float, default 0.04
        Stretch-to-EMG loop delay (afferent + central + efferent conduction); the electromechanical delay comes
        on top; s, valid range [0.005, 0.15]; source: Sinkjaer et al. 1996 (soleus short-latency onset 42 ± 3
        ms).
    threshold_ips : float, default 175
        Ia rate at which the reflex starts recruiting motoneurons (excitability: lower = more excitable); below
        the static Ia rate of a held ankle the pool fires tonically there; imp/s, valid range [0, 400]; source:
        model calibration: healthy relaxed soleus is silent at rest and recruited by a brisk stretch; in
        spasticity the tonic stretch-reflex threshold lies inside the joint range (Levin & Feldman 1994).
    tone : float, default 0
        Background (tonic, descending) excitation of the motoneuron pool, fraction of full recruitment;
        dimensionless, valid range [0, 0.3]; source: convention; 0 = relaxed.
    drive_per_ips : float, default 0.0025
        Excitation per imp/s of Ia rate above threshold at gain 1 (sets the healthy reflex size); 1/(imp/s),
        valid range [0.0001, 0.05]; source: model calibration: a brisk healthy stretch gives a small reflex
        burst.
    recruitment_width_ips : float, default 5
        Width of the smooth recruitment onset around the threshold; imp/s, valid range [0.5, 50]; source: model
        choice.
    depression_per_impulse : float, default 0.12
        Post-activation (homosynaptic) depression: fraction of the remaining Ia–motoneuron transmission lost per
        dynamic Ia impulse; large in healthy subjects, reduced in spasticity; dimensionless, valid range [0,
        0.5]; source: Crone & Nielsen 1989, Exp Brain Res 78:28; Hultborn et al. 1996, Exp Brain Res 108:450;
        reduced after stroke and SCI (Aymard et al. 2000, Brain 123:1688; Grey et al. 2008, Exp Brain Res
        185:189); size calibrated (see docs/model.md).
    depression_recovery_s : float, default 8
        Time constant with which post-activation depression recovers; s, valid range [0.5, 30]; source:
        depression lasts > 8 s after a single volley (Crone & Nielsen 1989).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> reflex = rs.preset("severe").reflex
    >>> reflex.gain, reflex.delay_s, reflex.threshold_ips
    (3.6, 0.04, 65.0)
    """

    section: ClassVar[str] = "reflex"
    gain: float = param(
        1.0,
        "1",
        0.0,
        40.0,
        "multiplier of the spindle-to-motoneuron drive; 1.0 = healthy ankle",
        "convention (the healthy scale is set by `drive_per_ips`)",
    )
    delay_s: float = param(
        0.040,
        "s",
        0.005,
        0.15,
        "stretch-to-EMG loop delay (afferent + central + efferent conduction); the "
        "electromechanical delay comes on top",
        "Sinkjaer et al. 1996 (soleus short-latency onset 42 ± 3 ms)",
    )
    threshold_ips: float = param(
        175.0,
        "imp/s",
        0.0,
        400.0,
        "Ia rate at which the reflex starts recruiting motoneurons (excitability: lower = more excitable); "
        "below the static Ia rate of a held ankle the pool fires tonically there",
        "model calibration: healthy relaxed soleus is silent at rest and recruited by a brisk stretch; in "
        "spasticity the tonic stretch-reflex threshold lies inside the joint range (Levin & Feldman 1994)",
    )
    tone: float = param(
        0.0,
        "1",
        0.0,
        0.3,
        "background (tonic, descending) excitation of the motoneuron pool, fraction of full recruitment",
        "convention; 0 = relaxed",
    )
    drive_per_ips: float = param(
        0.0025,
        "1/(imp/s)",
        1e-4,
        0.05,
        "excitation per imp/s of Ia rate above threshold at gain 1 (sets the healthy reflex size)",
        "model calibration: a brisk healthy stretch gives a small reflex burst",
    )
    recruitment_width_ips: float = param(
        5.0, "imp/s", 0.5, 50.0, "width of the smooth recruitment onset around the threshold", "model choice"
    )
    depression_per_impulse: float = param(
        0.12,
        "1",
        0.0,
        0.5,
        "post-activation (homosynaptic) depression: fraction of the remaining Ia–motoneuron "
        "transmission lost per dynamic Ia impulse; large in healthy subjects, reduced in spasticity",
        "Crone & Nielsen 1989, Exp Brain Res 78:28; Hultborn et al. 1996, Exp Brain Res 108:450; "
        "reduced after stroke and SCI (Aymard et al. 2000, Brain 123:1688; Grey et al. 2008, "
        "Exp Brain Res 185:189); size calibrated (see docs/model.md)",
    )
    depression_recovery_s: float = param(
        8.0,
        "s",
        0.5,
        30.0,
        "time constant with which post-activation depression recovers",
        "depression lasts > 8 s after a single volley (Crone & Nielsen 1989)",
    )


@dataclass(frozen=True)
class Orthosis(Validated):
    """An ankle-foot orthosis acting in parallel with the ankle (all zero = none).

    A spring about a neutral angle, a damper, and an optional dorsiflexion stop; the defaults are
    no orthosis.

    Parameters
    ----------
    stiffness_nm_per_rad : float, default 0
        Rotational stiffness about the AFO's neutral angle (carbon AFOs 33–210 N·m/rad); N·m/rad, valid range
        [0, 2000]; source: Shuman & Russell Esposito 2021.
    damping_nms_per_rad : float, default 0
        Rotational damping of the AFO; N·m·s/rad, valid range [0, 20]; source: convention.
    neutral_angle_rad : float, default 0
        Angle at which the AFO spring is unloaded; a heel wedge shifts it toward plantarflexion (< 0); rad,
        valid range [-0.5, 0.5]; source: convention.
    stop_angle_rad : float, default inf
        Dorsiflexion stop angle (inf = no stop); rad, valid range [-0.35, inf]; source: convention.
    stop_stiffness_nm_per_rad : float, default 5000
        Stiffness of the dorsiflexion stop once engaged (a firm stop: 5x an examiner's hand); N·m/rad, valid
        range [0, 20000]; source: model choice.
    stop_width_rad : float, default 0.01
        Angle past the stop over which its resistance builds up to the full stiffness (no resistance before the
        stop angle); rad, valid range [0.001, 0.1]; source: model choice: a real stop engages over padding,
        strap and soft-tissue compliance (this also keeps the right-hand side smooth at the step's scale).

    Raises
    ------
    ParameterError
        If a field is not a number, is not finite (unless its range reaches infinity) or lies
        outside its valid range.

    Examples
    --------
    >>> import math
    >>> import reflexsim as rs
    >>> from reflexsim.params import Orthosis
    >>> Orthosis().stop_angle_rad  # no stop
    inf
    >>> afo = Orthosis(stiffness_nm_per_rad=100.0, stop_angle_rad=math.radians(5.0))
    >>> braced = rs.preset("severe").with_values({"orthosis.stiffness_nm_per_rad": 100.0})
    >>> braced.orthosis.stiffness_nm_per_rad, round(afo.stop_angle_rad, 4)
    (100.0, 0.0873)
    """

    section: ClassVar[str] = "orthosis"
    stiffness_nm_per_rad: float = param(
        0.0,
        "N·m/rad",
        0.0,
        2000.0,
        "rotational stiffness about the AFO's neutral angle (carbon AFOs 33–210 N·m/rad)",
        "Shuman & Russell Esposito 2021",
    )
    damping_nms_per_rad: float = param(0.0, "N·m·s/rad", 0.0, 20.0, "rotational damping of the AFO", "convention")
    neutral_angle_rad: float = param(
        0.0,
        "rad",
        -0.5,
        0.5,
        "angle at which the AFO spring is unloaded; a heel wedge shifts it toward plantarflexion (< 0)",
        "convention",
    )
    stop_angle_rad: float = param(
        math.inf, "rad", -0.35, math.inf, "dorsiflexion stop angle (inf = no stop)", "convention"
    )
    stop_stiffness_nm_per_rad: float = param(
        5000.0,
        "N·m/rad",
        0.0,
        20000.0,
        "stiffness of the dorsiflexion stop once engaged (a firm stop: 5x an examiner's hand)",
        "model choice",
    )
    stop_width_rad: float = param(
        0.01,
        "rad",
        0.001,
        0.1,
        "angle past the stop over which its resistance builds up to the full stiffness (no resistance "
        "before the stop angle)",
        "model choice: a real stop engages over padding, strap and soft-tissue compliance (this also keeps "
        "the right-hand side smooth at the step's scale)",
    )


SECTIONS: tuple[type[Validated], ...] = (Foot, Joint, Muscle, Spindle, Reflex, Orthosis)


@dataclass(frozen=True)
class Model:
    """A complete, validated parameter set of the ankle stretch-reflex loop.

    Six sections, each validated when built, and a name. Models are immutable (and hashable):
    change one with `with_values`, which returns a new model; read a value by its dotted path
    with `get`. The presets (`reflexsim.preset`) are the usual starting point.

    Parameters
    ----------
    foot : Foot, optional
        The moved segment (default `Foot()`).
    joint : Joint, optional
        Passive ankle tissues and damping (default `Joint()`).
    muscle : Muscle, optional
        The triceps surae (default `Muscle()`).
    spindle : Spindle, optional
        Ia afferents (default `Spindle()`).
    reflex : Reflex, optional
        The spinal stretch reflex (default `Reflex()`, a healthy reflex).
    orthosis : Orthosis, optional
        An ankle-foot orthosis (default `Orthosis()`, none).
    name : str, default "custom"
        A label carried into results, figures and files.

    Raises
    ------
    ParameterError
        If a section is not an instance of its class (for example a dict), or `name` not a str.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.params import Model, Reflex
    >>> model = Model(reflex=Reflex(gain=2.0), name="my lesion")
    >>> model.name, model.get("reflex.gain"), model.get("muscle.passive_scale")
    ('my lesion', 2.0, 1.0)
    >>> rs.preset("severe").with_values({"reflex.gain": 2.5}, name="less severe").reflex.gain
    2.5
    >>> Model(reflex={"gain": 2.0})
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: Model(reflex={'gain': 2.0}): reflex must be a Reflex section (e.g. ...)
    """

    foot: Foot = field(default_factory=Foot)
    joint: Joint = field(default_factory=Joint)
    muscle: Muscle = field(default_factory=Muscle)
    spindle: Spindle = field(default_factory=Spindle)
    reflex: Reflex = field(default_factory=Reflex)
    orthosis: Orthosis = field(default_factory=Orthosis)
    name: str = "custom"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = str if f.name == "name" else f.default_factory
            assert isinstance(kind, type)  # a section's default_factory is its class
            if not isinstance(value, kind):
                shown = (
                    "a str" if kind is str else f"a {kind.__name__} section (e.g. reflexsim.params.{kind.__name__}())"
                )
                raise ParameterError(f"Model({f.name}={value!r}): {f.name} must be {shown}")

    def get(self, path: str) -> float:
        """Value at a dotted path, e.g. ``model.get("reflex.gain")``.

        Parameters
        ----------
        path : str
            ``"section.field"``, one of `PATHS`.

        Returns
        -------
        float
            The value, in the parameter's unit.

        Raises
        ------
        ParameterError
            If `path` is not a parameter; the message suggests close matches.

        Examples
        --------
        >>> import reflexsim as rs
        >>> rs.preset("severe").get("reflex.delay_s")
        0.04
        >>> rs.preset("severe").get("reflex.gian")
        Traceback (most recent call last):
        ...
        reflexsim.errors.ParameterError: unknown parameter 'reflex.gian'; did you mean 'reflex.gain' or ...
        """
        section, name = _split(path)
        return getattr(getattr(self, section), name)

    def with_values(self, values: Mapping[str, float], *, name: str | None = None) -> Model:
        """A copy with the given dotted-path values replaced (validated).

        Parameters
        ----------
        values : mapping of str to float
            Dotted path -> new value, e.g. ``{"reflex.gain": 2.5}``.
        name : str, optional
            The copy's name (default: this model's).

        Returns
        -------
        Model
            The new model; this one is unchanged.

        Raises
        ------
        ParameterError
            If a path is unknown or a value is outside its valid range.

        Examples
        --------
        >>> import reflexsim as rs
        >>> severe = rs.preset("severe")
        >>> treated = severe.with_values({"reflex.gain": 2.0, "muscle.passive_scale": 1.5}, name="treated")
        >>> treated.name, treated.reflex.gain, severe.reflex.gain
        ('treated', 2.0, 3.6)
        """
        changes: dict[str, dict[str, float]] = {}
        for path, value in values.items():
            section, fname = _split(path)
            changes.setdefault(section, {})[fname] = value
        sections = {s: dataclasses.replace(getattr(self, s), **kw) for s, kw in changes.items()}
        return dataclasses.replace(self, **sections, name=self.name if name is None else name)

    def items(self) -> Iterator[tuple[str, float]]:
        """(path, value) for every parameter, in packing order.

        Returns
        -------
        Iterator of (str, float)
            Dotted path and value, in the order of `PATHS`.

        Examples
        --------
        >>> import reflexsim as rs
        >>> values = dict(rs.preset("severe").items())
        >>> values["reflex.gain"], values["foot.inertia_kg_m2"]
        (3.6, 0.015)
        """
        for path in PATHS:
            yield path, self.get(path)

    def info(self) -> list[ParamInfo]:
        """Metadata and current value of every parameter.

        Returns
        -------
        list of ParamInfo
            One per parameter, in the order of `PATHS`.

        Examples
        --------
        >>> import reflexsim as rs
        >>> gain = next(i for i in rs.preset("severe").info() if i.path == "reflex.gain")
        >>> gain.value, gain.default, (gain.lo, gain.hi)
        (3.6, 1.0, (0.0, 40.0))
        """
        return [describe(path, self.get(path)) for path in PATHS]

    def markdown_table(self) -> str:
        """Every parameter as a Markdown table (path, value, unit, valid range, meaning, source).

        docs/model.md carries the defaults' table (``reflexsim params --markdown``).

        Returns
        -------
        str
            The table, one row per parameter.

        Examples
        --------
        >>> import reflexsim as rs
        >>> print(rs.preset("severe").markdown_table().splitlines()[2])
        | `foot.inertia_kg_m2` | 0.015 | kg·m² | [0.0001, 1] | moment of inertia of foot ... |
        """
        rows = [
            "| path | default | unit | valid range | meaning | source |",
            "|---|---|---|---|---|---|",
        ]
        for i in self.info():
            unit = "—" if i.unit == "1" else i.unit
            rows.append(f"| `{i.path}` | {i.value:g} | {unit} | [{i.lo:g}, {i.hi:g}] | {i.doc} | {i.source} |")
        return "\n".join(rows)

    def pack(self) -> np.ndarray:
        """The packed float64 parameter vector the kernels read.

        Returns
        -------
        numpy.ndarray
            One value per parameter, in the order of `PATHS` (the kernel's layout).

        Examples
        --------
        >>> import reflexsim as rs
        >>> from reflexsim.params import PATHS
        >>> vector = rs.preset("severe").pack()
        >>> float(vector[PATHS.index("reflex.gain")]), vector.dtype, len(vector) == len(PATHS)
        (3.6, dtype('float64'), True)
        """
        return np.array([self.get(path) for path in kernel.PARAM_PATHS], dtype=np.float64)


def _fields() -> dict[str, dataclasses.Field]:
    return {f"{cls.section}.{f.name}": f for cls in SECTIONS for f in dataclasses.fields(cls)}


_FIELDS = _fields()
PATHS: tuple[str, ...] = kernel.PARAM_PATHS
if set(_FIELDS) != set(PATHS):  # pragma: no cover - a developer error caught at import
    raise RuntimeError(f"params and kernel layout disagree: {sorted(set(_FIELDS) ^ set(PATHS))}")


def _split(path: str) -> tuple[str, str]:
    if path not in _FIELDS:
        close = difflib.get_close_matches(path, PATHS, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise ParameterError(f"unknown parameter {path!r}; {hint}valid paths: {', '.join(PATHS)}")
    section, name = path.split(".")
    return section, name


def describe(path: str, value: float | None = None) -> ParamInfo:
    """Metadata of one parameter: unit, valid range, meaning, source, and a value.

    Parameters
    ----------
    path : str
        Dotted path, e.g. ``"reflex.gain"``.
    value : float, optional
        The value to report (default: the parameter's default).

    Returns
    -------
    ParamInfo
        Everything known about the parameter.

    Raises
    ------
    ParameterError
        If `path` is not a parameter.

    Examples
    --------
    >>> from reflexsim.params import describe
    >>> info = describe("reflex.gain", 3.6)
    >>> info.value, info.default, info.unit, info.lo, info.hi
    (3.6, 1.0, '1', 0.0, 40.0)
    >>> info.doc
    'multiplier of the spindle-to-motoneuron drive; 1.0 = healthy ankle'
    """
    _split(path)
    f = _FIELDS[path]
    assert f.default is not dataclasses.MISSING  # `param` gives every parameter a default
    lo, hi = f.metadata["range"]
    return ParamInfo(
        path=path,
        value=f.default if value is None else value,
        default=f.default,
        unit=f.metadata["unit"],
        lo=lo,
        hi=hi,
        doc=f.metadata["doc"],
        source=f.metadata["source"],
    )


def parse_value(path: str, text: Any) -> float:
    """A value for `path` from the command line or a TOML file, checked against its range.

    Parameters
    ----------
    path : str
        Dotted path, e.g. ``"reflex.gain"``.
    text : str or number
        The value as written (see `as_number`).

    Returns
    -------
    float
        The value.

    Raises
    ------
    ParameterError
        If `path` is not a parameter, or `text` is not a number or lies outside the valid range.

    Examples
    --------
    >>> from reflexsim.params import parse_value
    >>> parse_value("reflex.gain", "2.5")
    2.5
    >>> parse_value("reflex.gain", "50")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: reflex.gain = 50 is outside its valid range [0, 40] (dimensionless)
    """
    info = describe(path)
    return checked_number(path, text, info.lo, info.hi, info.unit)

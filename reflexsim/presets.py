"""Named parameter sets: the healthy ankle and two upper-motor-neuron lesions.

The lesions differ from the healthy ankle in what the literature names: reflex excitability (a
recruitment threshold inside the joint's range, so the held ankle is tonically
active — the tonic stretch-reflex threshold of Levin & Feldman 1994 — and a higher gain; Hidler &
Rymer 1999 need raised excitability and a long loop for clonus), reduced post-activation
depression (Aymard et al. 2000; Grey et al. 2008), a little tonic drive, and passive muscle
stiffness (×1.5–2.5 in spasticity; Sinkjaer & Magnussen 1994, Sinkjaer 1993). Mild and severe share
every parameter but the reflex gain, so the gain alone moves a lesion from fatigable to sustained
clonus. Every value lies inside its documented range; the gains are chosen so that the standard
clonus test gives the clinical picture of each grade with margin (docs/validation.md lists what
they produce and how far each preset is from the next grade).
"""

from __future__ import annotations

from types import MappingProxyType

from .errors import ParameterError
from .params import Model

_HEALTHY = Model(name="healthy").with_values(
    {
        "reflex.gain": 1.0,
        "reflex.threshold_ips": 175.0,
        "reflex.tone": 0.0,
        "muscle.passive_scale": 1.0,
    }
)

_MILD = Model(name="mild").with_values(
    {
        "reflex.gain": 1.8,
        "reflex.threshold_ips": 65.0,
        "reflex.tone": 0.01,
        "reflex.depression_per_impulse": 0.012,
        "muscle.passive_scale": 2.0,
    }
)

_SEVERE = Model(name="severe").with_values(
    {
        "reflex.gain": 3.6,
        "reflex.threshold_ips": 65.0,
        "reflex.tone": 0.01,
        "reflex.depression_per_impulse": 0.012,
        "muscle.passive_scale": 2.0,
    }
)

PRESETS: MappingProxyType[str, Model] = MappingProxyType({"healthy": _HEALTHY, "mild": _MILD, "severe": _SEVERE})
DEFAULT_PRESET = "severe"

DESCRIPTIONS = MappingProxyType(
    {
        "healthy": "healthy ankle: a brisk stretch gives a small reflex burst and no clonus",
        "mild": "mild UMN lesion: fatigable clonus (about 3 s at 5.7 Hz, Tardieu 3)",
        "severe": "severe UMN lesion: sustained clonus (> 10 s at 5.6 Hz, Tardieu 4, SCATS 3)",
    }
)


def preset(name: str, joint: str | None = None) -> Model:
    """The named preset model (`healthy`, `mild` or `severe`), the validated starting point of a study.

    Presets are immutable: change one with `Model.with_values`, which returns a new model. With
    `joint` (or a name such as ``"knee_severe"``) the same lesion variant of another joint
    (`reflexsim.joints`: knee, wrist, jaw, or one added with `reflexsim.joints.register`); the
    ankle's presets are the ones below.

    Parameters
    ----------
    name : str
        ``"healthy"`` (a brisk stretch gives a small reflex burst and no clonus), ``"mild"``
        (fatigable clonus, Tardieu 3) or ``"severe"`` (sustained clonus, SCATS 3, Tardieu 4);
        `PRESETS` holds them and `DESCRIPTIONS` describes them. ``"JOINT_VARIANT"`` names a joint's
        variant (``"wrist_mild"``).
    joint : str, optional
        ``"ankle"`` (default), ``"knee"``, ``"wrist"``, ``"jaw"`` or a registered joint.

    Returns
    -------
    Model
        The preset; mild and severe differ only in ``reflex.gain``. Other joints' models are named
        ``JOINT_VARIANT``.

    Raises
    ------
    ParameterError
        If `name` is not a preset or `joint` not a joint; the message lists the valid names.

    Examples
    --------
    >>> from reflexsim import preset
    >>> severe = preset("severe")
    >>> severe.name, severe.reflex.gain, severe.reflex.threshold_ips
    ('severe', 3.6, 65.0)
    >>> preset("severe").with_values({"reflex.gain": 2.5}).reflex.gain
    2.5
    >>> knee = preset("severe", joint="knee")
    >>> knee.name, knee.muscle.moment_arm_m, preset("knee_severe") == knee
    ('knee_severe', 0.04, True)
    >>> preset("moderate")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: unknown preset 'moderate'; valid presets: healthy, mild, severe
    """
    if joint is None and "_" in name:
        joint, _, name = name.partition("_")
    if joint is not None and joint != "ankle":
        from .joints import joint as get_joint

        spec = get_joint(joint)
        if name not in PRESETS:
            raise ParameterError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
        return spec.model(name)
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}") from None

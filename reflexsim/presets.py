"""Named parameter sets: the healthy ankle and two upper-motor-neuron lesions.

The lesions differ from the healthy ankle in the three things the literature names: reflex
excitability (a lower recruitment threshold and a higher gain; Hidler & Rymer 1999 need both a
long loop delay and raised motoneuron excitability for clonus), tonic drive, and passive muscle
stiffness (×1.5–2.5 in spasticity; Sinkjaer & Magnussen 1994, Sinkjaer 1993). Every value lies
inside its documented range; the thresholds and gains are chosen so that the standard clonus
test gives the clinical picture of each grade (see docs/validation.md for what they produce).
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
        "mild": "mild UMN lesion: fatigable clonus (3-10 s, Tardieu 3)",
        "severe": "severe UMN lesion: sustained clonus (> 10 s, Tardieu 4, SCATS 3)",
    }
)


def preset(name: str) -> Model:
    """The named preset model (`healthy`, `mild` or `severe`)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}") from None

"""reflexsim: a delay-differential model of the ankle stretch-reflex loop and clonus."""

from .errors import ParameterError, ProtocolError, ReflexsimError, SimulationError
from .metrics import ClonusMetrics, clonus_metrics
from .params import Model
from .presets import PRESETS, preset
from .protocols import ClonusTest, TorqueProfile
from .simulation import DEFAULT_DT_S, Result, simulate

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DT_S",
    "PRESETS",
    "ClonusMetrics",
    "ClonusTest",
    "Model",
    "ParameterError",
    "ProtocolError",
    "ReflexsimError",
    "Result",
    "SimulationError",
    "TorqueProfile",
    "clonus_metrics",
    "preset",
    "simulate",
]

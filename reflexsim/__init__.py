"""reflexsim: a delay-differential model of the ankle stretch-reflex loop and clonus."""

from importlib import metadata as _metadata

from .errors import ParameterError, ProtocolError, ReflexsimError, SimulationError
from .metrics import ClonusMetrics, clonus_metrics
from .params import Model
from .presets import PRESETS, preset
from .protocols import ClonusTest, TorqueProfile
from .simulation import DEFAULT_DT_S, Result, simulate

try:  # one version string: pyproject.toml's, as installed
    __version__ = _metadata.version("reflexsim")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0+unknown"

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

"""Exceptions raised by reflexsim. Each carries one clear, user-facing message."""

from __future__ import annotations


class ReflexsimError(Exception):
    """Base class of every error reflexsim raises on purpose."""


class ParameterError(ReflexsimError, ValueError):
    """A parameter path, value or range is invalid."""


class ProtocolError(ReflexsimError, ValueError):
    """A protocol (what the examiner does) is invalid."""


class SimulationError(ReflexsimError, RuntimeError):
    """A simulation could not be run or blew up; the message says when and what to try."""


class SweepError(ReflexsimError, ValueError):
    """A sweep specification (keys, values, design, output) is invalid, or its output is busy."""


class TraceError(ReflexsimError, ValueError):
    """A recorded trace cannot be read or graded (missing column, bad time, gaps, unknown unit)."""

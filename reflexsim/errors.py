"""Exceptions raised by reflexsim. Each carries one clear, user-facing message."""

from __future__ import annotations


class ReflexsimError(Exception):
    """Base class of every error reflexsim raises on purpose.

    Catch it to tell reflexsim's own, explained failures (bad input, a run that cannot be made)
    from bugs; each subclass is also the built-in exception it resembles (`ValueError` or
    `RuntimeError`), so code that catches those keeps working.

    Examples
    --------
    >>> import reflexsim as rs
    >>> try:
    ...     rs.preset("moderate")
    ... except rs.ReflexsimError as error:
    ...     print(type(error).__name__, "-", error)
    ParameterError - unknown preset 'moderate'; valid presets: healthy, mild, severe
    """


class ParameterError(ReflexsimError, ValueError):
    """A parameter path, value or range is invalid.

    Raised when a model is built or changed with an unknown path, a value outside the
    parameter's valid range, or text that is not a number.

    Examples
    --------
    >>> import reflexsim as rs
    >>> rs.preset("severe").with_values({"reflex.gain": -1.0})
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: reflex.gain = -1 is outside its valid range [0, 40] (dimensionless)
    >>> issubclass(rs.ParameterError, ValueError)
    True
    """


class ProtocolError(ReflexsimError, ValueError):
    """A protocol (what the examiner does) is invalid.

    Examples
    --------
    >>> import reflexsim as rs
    >>> rs.ClonusTest(velocity_deg_per_s=-5.0)
    Traceback (most recent call last):
    ...
    reflexsim.errors.ProtocolError: protocol.velocity_deg_per_s = -5 is outside its valid range [5, 1000] deg/s
    """


class SimulationError(ReflexsimError, RuntimeError):
    """A simulation could not be run or blew up; the message says when and what to try.

    Examples
    --------
    >>> import reflexsim as rs
    >>> rs.simulate(rs.preset("severe"), rs.ClonusTest(), duration_s=-1.0)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SimulationError: duration_s = -1.0 is outside its valid range [0.001, 3600] s
    """


class SweepError(ReflexsimError, ValueError):
    """A sweep specification (keys, values, design, output) is invalid, or its output is busy.

    Examples
    --------
    >>> from reflexsim.sweep import grid
    >>> grid({})
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: a sweep needs at least one key, e.g. {'reflex.gain': np.linspace(0, 4, 64)}
    """


class TraceError(ReflexsimError, ValueError):
    """A recorded trace cannot be read or graded (missing column, bad time, gaps, unknown unit).

    Examples
    --------
    >>> from reflexsim.traces import from_columns
    >>> from_columns({"time_s": [0.0, 0.1, 0.2]})
    Traceback (most recent call last):
    ...
    reflexsim.errors.TraceError: trace: no ankle angle or EMG column ...
    """

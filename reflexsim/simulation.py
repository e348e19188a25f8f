"""`simulate`: run one model under one protocol and return a `Result` with named arrays.

The wrapper validates its inputs, checks that the step suits the delay and the stiffness,
calls the compiled integrator, turns status codes into clear `SimulationError`s, and computes
the derived signals (forces, torques, spindle rate, EMG-like excitation) from the same
component functions the right-hand side uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import kernel
from .errors import SimulationError
from .params import Model, checked_number
from .protocols import ClonusTest, CompiledProtocol, ProtocolLike
from .resources import check_memory

DEFAULT_DT_S = 5e-4  # from the convergence study in docs/numerics.md
DEFAULT_DURATION_S = 12.0  # a clonus test long enough to grade > 10 s of clonus
MIN_DT_S, MAX_DT_S = 1e-6, 5e-3
MIN_DURATION_S, MAX_DURATION_S = 1e-3, 3600.0
# A graded clonus test (the command line, sweep files and sweeps) needs the stretch and a little hold.
MIN_GRADED_DURATION_S = 0.5


@dataclass(frozen=True, eq=False)
class Result:
    """One simulated run: the model and protocol that produced it and its named time series.

    Angles in rad (``angle_deg`` for degrees), torques in N·m (dorsiflexing > 0), forces in N,
    rates in imp/s, excitation and activation as fractions of full recruitment,
    `ce_velocity_per_s` the contractile element's lengthening velocity in optimal fibre lengths
    per second, `reflex_efficacy` the Ia–motoneuron transmission left after post-activation
    depression (1 = rested), `force_capacity` the muscle's force capacity left by fatigue (1 =
    fresh; constant 1 unless ``muscle.fatigue_rate_per_s`` > 0).

    Every array has one value per recorded step, ``len(time_s)`` = number of steps + 1.

    Attributes
    ----------
    model : Model
        The simulated model.
    protocol : ClonusTest, TorqueProfile or another protocol
        What the examiner did.
    dt_s : float
        The integration (and recording) step, s.
    events : CompiledProtocol
        The protocol compiled for `dt_s`: its segments and event times (stretch start, hold start,
        end of the catch window).
    time_s : numpy.ndarray
        Time from the start of the run, s.
    angle_rad : numpy.ndarray
        Ankle angle, rad (dorsiflexion > 0).
    velocity_rad_per_s : numpy.ndarray
        Ankle angular velocity, rad/s.
    activation : numpy.ndarray
        Muscle activation, fraction of full.
    ce_velocity_per_s : numpy.ndarray
        Contractile element lengthening velocity, optimal fibre lengths per second.
    reflex_efficacy : numpy.ndarray
        Ia–motoneuron transmission left after post-activation depression (1 = rested).
    force_capacity : numpy.ndarray
        Force capacity left by fatigue (1 = fresh).
    excitation : numpy.ndarray
        Motoneuron pool excitation (EMG-like), fraction of full recruitment.
    spindle_rate_ips : numpy.ndarray
        Ia firing rate, imp/s.
    muscle_force_n : numpy.ndarray
        Triceps surae force along the tendon, N.
    active_torque_nm : numpy.ndarray
        Ankle torque of the active fibre force, N·m (plantarflexing < 0).
    muscle_passive_torque_nm : numpy.ndarray
        Ankle torque of the passive fibre force, N·m.
    joint_torque_nm : numpy.ndarray
        Passive torque of the other ankle tissues and damping, N·m.
    external_torque_nm : numpy.ndarray
        Torque of the examiner (and orthosis), N·m.
    holding_torque_nm : float
        External torque that held the foot at rest before the protocol began, N·m.

    Examples
    --------
    >>> import reflexsim as rs
    >>> result = rs.simulate(rs.preset("severe"), rs.ClonusTest(), duration_s=1.0)
    >>> result.dt_s, len(result.time_s), result.model.name
    (0.0005, 2001, 'severe')
    >>> round(float(result.angle_deg.max()), 1), round(float(result.reflex_torque_nm.max()), 1)
    (9.1, 10.4)
    """

    model: Model
    protocol: ProtocolLike
    dt_s: float
    events: CompiledProtocol = field(repr=False)
    time_s: np.ndarray = field(repr=False)
    angle_rad: np.ndarray = field(repr=False)
    velocity_rad_per_s: np.ndarray = field(repr=False)
    activation: np.ndarray = field(repr=False)
    ce_velocity_per_s: np.ndarray = field(repr=False)
    reflex_efficacy: np.ndarray = field(repr=False)
    force_capacity: np.ndarray = field(repr=False)
    excitation: np.ndarray = field(repr=False)
    spindle_rate_ips: np.ndarray = field(repr=False)
    muscle_force_n: np.ndarray = field(repr=False)
    active_torque_nm: np.ndarray = field(repr=False)
    muscle_passive_torque_nm: np.ndarray = field(repr=False)
    joint_torque_nm: np.ndarray = field(repr=False)
    external_torque_nm: np.ndarray = field(repr=False)
    holding_torque_nm: float = 0.0

    @property
    def angle_deg(self) -> np.ndarray:
        """Ankle angle in degrees (dorsiflexion > 0)."""
        return np.degrees(self.angle_rad)

    @property
    def muscle_torque_nm(self) -> np.ndarray:
        """Total triceps torque (active + passive fibre force)."""
        return self.active_torque_nm + self.muscle_passive_torque_nm

    @property
    def reflex_torque_nm(self) -> np.ndarray:
        """Active muscle torque above its resting level, positive when resisting dorsiflexion."""
        return -(self.active_torque_nm - self.active_torque_nm[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays, e.g. for saving with ``numpy.savez``.

        Returns
        -------
        dict of str to numpy.ndarray
            Field name -> the array itself (not a copy), ``time_s`` first.

        Examples
        --------
        >>> import reflexsim as rs
        >>> arrays = rs.simulate(rs.preset("severe"), duration_s=0.5).arrays()
        >>> list(arrays)[:3], arrays["time_s"].shape
        (['time_s', 'angle_rad', 'velocity_rad_per_s'], (1001,))
        """
        names = (
            "time_s",
            "angle_rad",
            "velocity_rad_per_s",
            "activation",
            "ce_velocity_per_s",
            "reflex_efficacy",
            "force_capacity",
            "excitation",
            "spindle_rate_ips",
            "muscle_force_n",
            "active_torque_nm",
            "muscle_passive_torque_nm",
            "joint_torque_nm",
            "external_torque_nm",
        )
        return {n: getattr(self, n) for n in names}

    def to_dataframe(self) -> Any:
        """The named arrays and `reflex_torque_nm` as a pandas DataFrame indexed by ``time_s``.

        The event times (``stretch_start_s``, ``hold_start_s``, ``catch_end_s``), the step and the
        model's name go in ``.attrs``: the shape `reflexsim.traces` reads back and grades
        identically (needs pandas: ``pip install 'reflexsim[sweep]'``).

        Returns
        -------
        pandas.DataFrame
            One column per array, indexed by ``time_s``.

        Examples
        --------
        >>> import reflexsim as rs
        >>> frame = rs.simulate(rs.preset("severe"), duration_s=0.5).to_dataframe()
        >>> frame.index.name, frame.attrs["stretch_start_s"], frame.attrs["source"]
        ('time_s', 0.2, 'reflexsim simulation: severe')
        """
        from .traces import result_attrs, result_columns, to_dataframe

        return to_dataframe(result_columns(self), result_attrs(self))

    def to_xarray(self) -> Any:
        """`to_dataframe`'s content as an xarray Dataset on the ``time_s`` coordinate (units from
        the names).

        Returns
        -------
        xarray.Dataset
            One variable per array, the event times and the step in ``.attrs``.

        Examples
        --------
        >>> import reflexsim as rs
        >>> ds = rs.simulate(rs.preset("severe"), duration_s=0.5).to_xarray()
        >>> ds.sizes["time_s"], ds.attrs["hold_start_s"]
        (1001, 0.24)
        """
        from .traces import result_attrs, result_columns, to_xarray

        return to_xarray(result_columns(self), result_attrs(self))


def checked_steps(
    duration_s: float, dt_s: float, error: type[Exception] = SimulationError, min_duration_s: float = MIN_DURATION_S
) -> tuple[float, float, int]:
    """Validated (duration_s, dt_s, number of steps); `error` is raised with one clear message.

    Parameters
    ----------
    duration_s : float
        Length of the run, s; valid range [`min_duration_s`, 3600].
    dt_s : float
        The step, s; valid range [1e-6, 0.005].
    error : type of Exception, default SimulationError
        The exception to raise.
    min_duration_s : float, default 0.001
        The shortest run accepted, s (a graded clonus test needs `MIN_GRADED_DURATION_S`).

    Returns
    -------
    tuple of (float, float, int)
        `duration_s`, `dt_s` and the number of steps, ``round(duration_s / dt_s)``.

    Raises
    ------
    Exception
        `error`, if a value is not a number, lies outside its range, or the run is shorter than
        one step.

    Examples
    --------
    >>> from reflexsim.simulation import checked_steps
    >>> checked_steps(2.0, 5e-4)
    (2.0, 0.0005, 4000)
    >>> checked_steps(0.001, 0.004)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SimulationError: duration_s = 0.001 s is shorter than one step (dt_s = 0.004 s)
    """
    duration_s = checked_number("duration_s", duration_s, min_duration_s, MAX_DURATION_S, "s", error)
    dt_s = checked_number("dt_s", dt_s, MIN_DT_S, MAX_DT_S, "s", error)
    n_steps = round(duration_s / dt_s)
    if n_steps < 1:
        raise error(f"duration_s = {duration_s:g} s is shorter than one step (dt_s = {dt_s:g} s)")
    return duration_s, dt_s, n_steps


# Bytes a recorded step costs: the states, the derived signals and the time axis, float64, plus
# the copies grading and plotting make.
_BYTES_PER_RECORDED_STEP = 8 * 2 * (kernel.OUT_COLUMNS + kernel.N_SIGNALS + 1)


def check_recording_fits(n_steps: int, dt_s: float, error: type[Exception] = SimulationError) -> None:
    """Refuse a run whose time series cannot be held in this machine's memory (before allocating).

    Parameters
    ----------
    n_steps : int
        Number of steps to record.
    dt_s : float
        The step, s (for the message).
    error : type of Exception, default SimulationError
        The exception to raise.

    Raises
    ------
    Exception
        `error`, naming the memory needed and how many steps fit.

    Examples
    --------
    >>> from reflexsim.simulation import check_recording_fits
    >>> check_recording_fits(24_000, 5e-4)  # a 12 s clonus test fits
    >>> check_recording_fits(10**13, 5e-4)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SimulationError: recording 10,000,000,000,000 steps of 0.0005 s (5e+09 s) needs ... GiB of
    memory ... at most ... steps fit
    """
    check_memory(
        f"recording {n_steps:,} steps of {dt_s:g} s ({n_steps * dt_s:g} s)",
        n_steps + 1,
        _BYTES_PER_RECORDED_STEP,
        "steps",
        error,
    )


# Fastest joint velocity a run is assumed to reach (rad/s): above any examiner's stretch (≈ 400 °/s
# "as fast as possible", Banky 2019) and any clonic beat; a protocol's own faster ramp raises it.
FASTEST_JOINT_VELOCITY_RAD_PER_S = 10.0


def max_stable_dt(model: Model, compiled: CompiledProtocol) -> float:
    """Largest step that keeps RK4 stable for this model under this protocol.

    Found from the eigenvalues of the model's own vector field at the stiffest states the run can
    reach, and the fastest post-activation depression a quick stretch can drive
    (``kernel.max_stable_dt``).

    Parameters
    ----------
    model : Model
        The model.
    compiled : CompiledProtocol
        The protocol compiled for the step in question (its angle range, added stiffness and
        damping, and fastest ramp).

    Returns
    -------
    float
        The step limit, s.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.simulation import max_stable_dt
    >>> limit = max_stable_dt(rs.preset("severe"), rs.ClonusTest().compile(5e-4))
    >>> 5e-4 < limit < 0.05
    True
    """
    c, _ = kernel.constants(model.pack())
    lo, hi = compiled.angle_range_rad
    servo = compiled.segments[:, kernel.SEG_MODE] == kernel.MODE_SERVO
    ramps = np.abs(compiled.segments[servo, kernel.SEG_A1])
    omega_max = max(FASTEST_JOINT_VELOCITY_RAD_PER_S, 1.5 * float(ramps.max()) if ramps.size else 0.0)
    return float(
        kernel.max_stable_dt(
            c, lo, hi, compiled.added_stiffness_nm_per_rad, compiled.added_damping_nms_per_rad, omega_max
        )
    )


_HINT_MODEL = "check that the parameters are physiological (`reflexsim params` lists the ranges)"


def loop_delay_s(model: Model) -> float:
    """Reflex plus electromechanical delay: the delay line must span at least 2 steps of it.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    float
        ``reflex.delay_s + muscle.electromechanical_delay_s``, s.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.simulation import loop_delay_s
    >>> round(loop_delay_s(rs.preset("severe")), 3)
    0.052
    """
    return model.reflex.delay_s + model.muscle.electromechanical_delay_s


def choose_step(
    model: Model, protocol: ProtocolLike, max_dt_s: float = DEFAULT_DT_S, error: type[Exception] = SimulationError
) -> tuple[float, CompiledProtocol]:
    """The step `simulate` uses when none is given, and the protocol compiled for it.

    The largest ``max_dt_s / 2**k`` (k = 0, 1, ...) that spans the loop delay twice and keeps RK4
    stable for this model under this protocol (`max_stable_dt`). Halving keeps the protocol's
    events on the grid of the larger step, so the run differs from one at `max_dt_s` only by the
    finer step.

    Parameters
    ----------
    model : Model
        The model.
    protocol : ClonusTest, TorqueProfile or another protocol
        What the examiner does.
    max_dt_s : float, default 5e-4
        The largest step allowed, s; valid range [1e-6, 0.005].
    error : type of Exception, default SimulationError
        The exception to raise.

    Returns
    -------
    tuple of (float, CompiledProtocol)
        The step, s, and `protocol` compiled for it.

    Raises
    ------
    Exception
        `error`, if `max_dt_s` is out of range or no step of at least 1e-6 s suits the model.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.simulation import choose_step
    >>> step, compiled = choose_step(rs.preset("severe"), rs.ClonusTest())
    >>> step
    0.0005
    """
    step = delay_step(loop_delay_s(model), checked_number("max_dt_s", max_dt_s, MIN_DT_S, MAX_DT_S, "s", error))
    found = stable_step(model, protocol, step)
    if found is None:
        raise error(
            f"no step of at least {MIN_DT_S:g} s suits this model and protocol (loop delay or stiffness); {_HINT_MODEL}"
        )
    return found


def delay_step(loop_delay: float, max_dt_s: float) -> float:
    """The largest ``max_dt_s / 2**k`` that the loop delay spans twice.

    Parameters
    ----------
    loop_delay : float
        The loop delay (`loop_delay_s`), s.
    max_dt_s : float
        The largest step allowed, s.

    Returns
    -------
    float
        The step, s; below `MIN_DT_S` if no allowed step spans the delay twice.

    Examples
    --------
    >>> from reflexsim.simulation import delay_step
    >>> delay_step(0.052, 0.005), delay_step(0.001, 0.0005)
    (0.005, 0.0005)
    >>> delay_step(0.0005, 0.0005)
    0.00025
    """
    step = max_dt_s
    while step >= MIN_DT_S and loop_delay < 2.0 * step:
        step /= 2.0
    return step


def stable_step(model: Model, protocol: ProtocolLike, step: float) -> tuple[float, CompiledProtocol] | None:
    """The largest ``step / 2**k`` no smaller than `MIN_DT_S` that keeps RK4 stable, and the protocol compiled for it.

    Parameters
    ----------
    model : Model
        The model.
    protocol : ClonusTest, TorqueProfile or another protocol
        What the examiner does.
    step : float
        The first step tried, s.

    Returns
    -------
    tuple of (float, CompiledProtocol) or None
        The step and the compiled protocol, or None if no step down to `MIN_DT_S` is stable.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.simulation import stable_step
    >>> step, compiled = stable_step(rs.preset("severe"), rs.ClonusTest(), 0.004)
    >>> step <= 0.004
    True
    """
    while step >= MIN_DT_S:
        compiled = protocol.compile(step)
        limit = max_stable_dt(model, compiled)
        if step <= limit:
            return step, compiled
        step /= 2.0 ** max(1, math.ceil(math.log2(step / limit)))  # checked again: the compiled protocol moves
    return None


def simulate(
    model: Model,
    protocol: ProtocolLike | None = None,
    *,
    duration_s: float = DEFAULT_DURATION_S,
    dt_s: float | None = None,
    max_dt_s: float = DEFAULT_DT_S,
) -> Result:
    """Simulate `model` under `protocol` (default: the standard `ClonusTest`).

    Fixed-step RK4 with a delay line; see docs/numerics.md for the step choice and accuracy. With
    `dt_s` the run uses that step and refuses one too large for the model; without, it uses the
    largest ``max_dt_s / 2**k`` the model allows (`choose_step`; `Result.dt_s` reports it).
    Raises `SimulationError` with the time and a hint if the run cannot be done or blows up.

    Parameters
    ----------
    model : Model
        The parameter set, e.g. ``reflexsim.preset("severe")``.
    protocol : ClonusTest, TorqueProfile or another protocol, optional
        What the examiner does (default: ``ClonusTest()``).
    duration_s : float, default 12.0
        Length of the run, s; valid range [0.001, 3600]. The default grades more than 10 s of
        clonus.
    dt_s : float, optional
        A fixed step, s; valid range [1e-6, 0.005]. Default: chosen by `choose_step`.
    max_dt_s : float, default 5e-4
        The largest step the automatic choice may use, s (from the convergence study in
        docs/numerics.md).

    Returns
    -------
    Result
        The model, the protocol, the step and the named time series.

    Raises
    ------
    SimulationError
        If an input is invalid, the step is too large for the loop delay or the stiffness, the
        recording does not fit in memory, or the run blows up or leaves the joint's range.

    Examples
    --------
    >>> import reflexsim as rs
    >>> result = rs.simulate(rs.preset("severe"), rs.ClonusTest(), duration_s=2.0)
    >>> result.dt_s, float(result.time_s[-1])
    (0.0005, 2.0)
    >>> rs.simulate(rs.preset("severe"), duration_s=0.5, dt_s=2.5e-4).dt_s
    0.00025
    >>> rs.simulate(rs.preset("severe"), dt_s=0.03)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SimulationError: dt_s = 0.03 is outside its valid range [1e-06, 0.005] s
    """
    if not isinstance(model, Model):
        raise SimulationError(f"model must be a reflexsim Model (e.g. reflexsim.preset('severe')), got {model!r}")
    protocol = ClonusTest() if protocol is None else protocol
    if not hasattr(protocol, "compile"):
        raise SimulationError(f"protocol must be a reflexsim protocol such as ClonusTest(), got {protocol!r}")
    if dt_s is None:
        dt_s, compiled = choose_step(model, protocol, max_dt_s)
    else:
        compiled = None
    duration_s, dt_s, n_steps = checked_steps(duration_s, dt_s)
    check_recording_fits(n_steps, dt_s)

    total_delay = loop_delay_s(model)
    if total_delay < 2.0 * dt_s:
        raise SimulationError(
            f"dt_s = {dt_s:g} s is too large for the loop delay: reflex.delay_s + "
            f"muscle.electromechanical_delay_s = {total_delay:g} s must be at least 2 steps; "
            f"use dt_s <= {total_delay / 2:g}"
        )
    compiled = protocol.compile(dt_s) if compiled is None else compiled
    segments = compiled.segments
    dt_limit = max_stable_dt(model, compiled)
    if dt_s > dt_limit:
        raise SimulationError(
            f"dt_s = {dt_s:g} s is too large for the stiffness of this model and protocol (passive tissues, "
            f"fully active muscle, orthosis and examiner's hand) or its fastest post-activation depression: "
            f"use dt_s <= {dt_limit:.3g} s"
        )

    p = model.pack()
    out = np.empty((n_steps + 1, kernel.OUT_COLUMNS))
    status, k_fail, hold = kernel.run(
        p, segments, compiled.samples, compiled.theta_start_rad, dt_s, n_steps, np.empty(0), out, np.empty(0)
    )
    if status != kernel.STATUS_OK:
        raise _simulation_error(status, k_fail, dt_s, model.foot.angle_limit_rad)

    sig = np.empty((n_steps + 1, kernel.N_SIGNALS))
    kernel.signals(p, segments, compiled.samples, dt_s, hold, out, model.reflex.delay_s, sig)
    time_s = np.arange(n_steps + 1) * dt_s
    return Result(
        model=model,
        protocol=protocol,
        dt_s=dt_s,
        events=compiled,
        time_s=time_s,
        angle_rad=out[:, kernel.Y_THETA],
        velocity_rad_per_s=out[:, kernel.Y_OMEGA],
        activation=out[:, kernel.Y_ACT],
        ce_velocity_per_s=out[:, kernel.Y_CE_VELOCITY],
        reflex_efficacy=out[:, kernel.Y_EFFICACY],
        force_capacity=out[:, kernel.O_CAPACITY],
        excitation=sig[:, kernel.SIG_EXCITATION],
        spindle_rate_ips=sig[:, kernel.SIG_SPINDLE_RATE],
        muscle_force_n=sig[:, kernel.SIG_MUSCLE_FORCE],
        active_torque_nm=sig[:, kernel.SIG_ACTIVE_TORQUE],
        muscle_passive_torque_nm=sig[:, kernel.SIG_MUSCLE_PASSIVE_TORQUE],
        joint_torque_nm=sig[:, kernel.SIG_JOINT_TORQUE],
        external_torque_nm=sig[:, kernel.SIG_EXTERNAL_TORQUE],
        holding_torque_nm=hold,
    )


def _simulation_error(status: int, k_fail: int, dt_s: float, angle_limit_rad: float = 0.5 * math.pi) -> SimulationError:
    t = k_fail * dt_s
    if status == kernel.STATUS_NO_EQUILIBRIUM:
        return SimulationError(
            "no resting angle within ±90° balances the protocol's initial torque; "
            f"lower the initial torque or {_HINT_MODEL}"
        )
    if status == kernel.STATUS_OUT_OF_RANGE:
        return SimulationError(
            f"at t = {t:.4f} s the ankle passed ±{math.degrees(angle_limit_rad):.0f}°: the external torque"
            f" or the reflex drove the foot "
            f"beyond any joint range; lower the protocol's torque or {_HINT_MODEL}"
        )
    return SimulationError(
        f"the simulation blew up (non-finite state) at t = {t:.4f} s; the step dt_s = {dt_s:g} s may be "
        f"too large for this model's stiffness or delay (try dt_s = {dt_s / 4:g}), or {_HINT_MODEL}"
    )

"""An independent reference solver: the same equations integrated by SciPy's `solve_ivp`
with the method of steps.

It shares the model's physical laws with the compiled integrator (the kernel's `loop_rhs`, the
protocol's hand and torque from `protocol_inputs` / `stage_inputs`, the pool excitation from
`excitation_vector`, the resting state from `initial_state`) but nothing of its numerics: the
integration is adaptive (default LSODA), the delayed drive is read from the dense output of
earlier intervals, and every protocol event and every event shifted by one loop delay is a
breakpoint where the integration restarts. It exists to verify `simulate` (tests) and to time it
against (benchmarks); it is slow.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from . import kernel
from .errors import SimulationError
from .params import Model
from .protocols import ProtocolLike


def solve_reference(
    model: Model,
    protocol: ProtocolLike,
    *,
    duration_s: float,
    grid_dt_s: float,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate `model` under `protocol` with scipy's adaptive `solve_ivp` by the method of steps,
    independently of `simulate`'s numerics, to verify it.

    `grid_dt_s` only fixes where protocol events fall (as in `simulate`) and where the
    solution is sampled; the solver chooses its own steps.

    Parameters
    ----------
    model : Model
        The model.
    protocol : ProtocolLike
        The protocol, compiled on the grid of `grid_dt_s`.
    duration_s : float
        Simulated time, s.
    grid_dt_s : float
        Grid on which events fall and the solution is sampled, s.
    method : str, default "LSODA"
        A `scipy.integrate.solve_ivp` method.
    rtol : float, default 1e-8
        Relative tolerance of the solver.
    atol : float, default 1e-10
        Absolute tolerance of the solver.

    Returns
    -------
    time_s : numpy.ndarray
        The grid k * `grid_dt_s`, k = 0 .. round(`duration_s` / `grid_dt_s`), s.
    states : numpy.ndarray
        States, shape (n, ``kernel.N_STATES``), ordered as ``kernel.STATE_NAMES`` (angle in rad
        first).

    Raises
    ------
    SimulationError
        If there is no resting initial state or the solver fails on an interval.

    Examples
    --------
    A short, small stretch of the healthy ankle agrees with `simulate` (slow: use short runs):

    >>> import numpy as np
    >>> import reflexsim as rs
    >>> from reflexsim.reference import solve_reference
    >>> stretch = rs.ClonusTest(settle_s=0.05, stretch_deg=5.0)
    >>> time_s, states = solve_reference(rs.preset("healthy"), stretch, duration_s=0.15, grid_dt_s=1e-3)
    >>> states.shape
    (151, 6)
    >>> run = rs.simulate(rs.preset("healthy"), stretch, duration_s=0.15, dt_s=5e-4)
    >>> bool(np.max(np.abs(np.degrees(states[:, 0]) - run.angle_deg[::2])) < 1e-3)  # degrees
    True
    """
    p = model.pack()
    c, _ = kernel.constants(p)
    compiled = protocol.compile(grid_dt_s)
    seg, samples = compiled.segments, compiled.samples
    theta0, u_init, status = kernel.initial_state(c, 0, seg, samples, compiled.theta_start_rad)  # sets C_HOLD
    if status != kernel.STATUS_OK:
        raise SimulationError("reference: no resting initial state")
    delay = float(kernel.delay_steps(p, 1.0))  # the loop delay in s, as `run` reads it

    event_times = sorted({row[kernel.SEG_START_STEP] * grid_dt_s for row in seg} | {0.0})
    breaks: set[float] = set()
    for t_event in event_times:
        for n in range(4):  # discontinuities propagate through the delay
            breaks.add(t_event + n * delay)
    n_chunks = int(np.ceil(duration_s / delay))
    breaks |= {i * delay for i in range(n_chunks + 1)}  # method of steps: no interval longer than the delay
    bounds = [*sorted(b for b in breaks if 0.0 <= b < duration_s), duration_s]

    starts: list[float] = []
    pieces: list[Callable[[float], np.ndarray]] = []  # scipy's dense outputs (OdeSolution)

    def u_at(s: float) -> float:
        if s <= 0.0:
            return u_init
        i = bisect.bisect_right(starts, s) - 1
        return kernel.excitation_vector(c, pieces[i](s))[0]

    def seg_at(t: float) -> int:
        step = int(np.floor(t / grid_dt_s + 1e-9))
        return kernel.segment_index(seg, step, 0)

    # the muscle's force capacity (fatigue) is one more ODE here: the kernel holds it in the
    # constants record and advances it between steps, the reference integrates it with the rest
    y = np.array([*kernel.rest_state(theta0, u_init), 1.0], dtype=float)
    for t_a, t_b in itertools.pairwise(bounds):
        if t_b - t_a < 1e-12:
            continue
        row = kernel.segment_row(seg, seg_at(0.5 * (t_a + t_b)), grid_dt_s)
        hand = kernel.protocol_inputs(samples, row, t_a, 0.0)[0]  # (servo, slope, stiffness, damping)

        def f(t, state, row=row, hand=hand):
            stage = kernel.stage_inputs(samples, row, t)  # (torque, reference angle) at t
            c[kernel.C_CAPACITY] = state[kernel.N_STATES]
            d = kernel.full_rhs(c, 0, hand, stage, tuple(state[: kernel.N_STATES]), u_at(t - delay), True, False)
            return (*d, kernel.capacity_rate(c, 0, state[kernel.N_STATES], state[kernel.Y_ACT]))

        sol = solve_ivp(f, (t_a, t_b), y, method=method, rtol=rtol, atol=atol, dense_output=True)
        if not sol.success:
            raise SimulationError(f"reference solver failed at t = {t_a:.4f} s: {sol.message}")
        starts.append(t_a)
        pieces.append(sol.sol)
        y = sol.y[:, -1]

    n = round(duration_s / grid_dt_s)
    time = np.arange(n + 1) * grid_dt_s
    states = np.empty((n + 1, kernel.N_STATES))
    for k, t in enumerate(time):
        i = min(bisect.bisect_right(starts, t) - 1, len(pieces) - 1)
        states[k] = pieces[i](t)[: kernel.N_STATES]
    return time, states

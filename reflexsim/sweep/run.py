"""Running a sweep: the entry points `sweep` and `rerun`, chunks here (the kernels use every core)
or on a Dask cluster, and the progress bar."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import kernel
from ..errors import SweepError
from ..metrics import DEFAULT_BEAT_THRESHOLD_DEG, DEFAULT_CATCH_TORQUE_NM, DEFAULT_SLIGHT_TORQUE_NM
from ..params import Model
from ..protocols import ProtocolLike
from ..provenance import command_line
from ..simulation import DEFAULT_DT_S, DEFAULT_DURATION_S
from ..treatments import apply_all
from . import dataset
from .designs import Design
from .plan import ChunkResult, Plan, compute_chunk, make_plan
from .spec import check_fixed_treatments, make_spec, spec_kwargs
from .store import Checkpoint, check_out, load, require, run_lock, write_netcdf

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

DEFAULT_CHUNK_SIZE = 1024
_NOT_RUN = -1  # in-memory marker of a point whose chunk has not finished


@dataclass(frozen=True)
class ChunkReport:
    """Passed to `on_chunk` after each chunk is saved: how far the sweep is.

    For a progress display of one's own (a GUI, a log line) when the tqdm bar does not fit.

    Attributes
    ----------
    index : int
        The chunk's number.
    points : int
        Points in this chunk.
    points_done : int
        Points finished so far, including any a checkpoint held.
    points_total : int
        Points in the sweep.
    elapsed_s : float
        Time since this call of `sweep` started, in s.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep import sweep
    >>> reports = []
    >>> ds = sweep(rs.preset("severe"), {"reflex.gain": [0.5, 3.0, 6.0]}, duration_s=1.0, chunk_size=2,
    ...            on_chunk=reports.append)
    >>> [(r.index, r.points, r.points_done, r.points_total) for r in reports]
    [(0, 2, 2, 3), (1, 1, 3, 3)]
    """

    index: int  # chunk number
    points: int  # points in this chunk
    points_done: int  # points finished so far (including any from a checkpoint)
    points_total: int
    elapsed_s: float  # since this call started


def _run_local(plan: Plan, todo: list[tuple[int, int, int]], on_result: Callable[[ChunkResult], None]) -> None:
    for index, lo, hi in todo:
        on_result(compute_chunk(plan, index, plan.spec.design.points(lo, hi)))


def _run_dask(
    client: Any, plan: Plan, todo: list[tuple[int, int, int]], on_result: Callable[[ChunkResult], None]
) -> None:
    """One task per chunk, each carrying its own points; a lost worker costs only its chunks, which
    Dask runs again elsewhere. Results arrive in completion order and are saved as they come."""
    import uuid

    from distributed import as_completed

    design = plan.spec.design
    light = dataclasses.replace(
        plan, spec=dataclasses.replace(plan.spec, design=dataclasses.replace(design, _points=None))
    )
    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(
            compute_chunk,
            light,
            index,
            design.points(lo, hi),
            key=f"reflexsim-sweep-{run}-{index}",
            pure=False,
            retries=2,
        )
        for index, lo, hi in todo
    ]
    try:
        for future in as_completed(futures):
            on_result(future.result())
            future.release()  # saved: the cluster may forget it (and need not recompute it if a worker dies)
    finally:
        client.cancel(futures)  # after an interrupt: stop the rest (harmless when all are done)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is not a terminal but a progress bar still shows).

    Returns
    -------
    bool
        Whether this process is a Jupyter (ZMQ) kernel.

    Examples
    --------
    >>> from reflexsim.sweep.run import in_notebook
    >>> in_notebook()  # a doctest runs outside Jupyter
    False
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, done: int, enabled: bool | None) -> Any:
    """A tqdm progress bar over the sweep's points (`tqdm.auto`: a widget in a notebook, a line on
    stderr in a terminal), starting at the points a checkpoint already holds.

    Parameters
    ----------
    total : int
        Points in the sweep.
    done : int
        Points already finished (from a checkpoint).
    enabled : bool or None
        None: on when stderr is a terminal or in a Jupyter kernel; True: on; False: off
        (``--quiet``).

    Returns
    -------
    tqdm.tqdm
        The bar (disabled when off); the caller updates and closes it.

    Examples
    --------
    >>> from reflexsim.sweep.run import progress_bar
    >>> bar = progress_bar(10, 4, enabled=False)
    >>> bar.n, bar.total
    (4, 10)
    >>> bar.close()
    """
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty() or in_notebook()
    return tqdm(
        total=total,
        initial=done,
        desc="sweep",
        unit=" points",
        unit_scale=False,
        smoothing=0.1,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _checked_chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise SweepError(f"chunk_size = {chunk_size!r} must be a positive integer")
    return int(chunk_size)


def sweep(
    model: Model,
    design: Design | Mapping[str, Any],
    *,
    treatments: Sequence[Any] = (),
    protocol: ProtocolLike | None = None,
    duration_s: float = DEFAULT_DURATION_S,
    dt_s: float | None = None,
    max_dt_s: float = DEFAULT_DT_S,
    out: str | os.PathLike[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    client: Any = None,
    kernel_name: str = "lockstep",
    beat_threshold_deg: float = DEFAULT_BEAT_THRESHOLD_DEG,
    catch_torque_nm: float = DEFAULT_CATCH_TORQUE_NM,
    slight_torque_nm: float = DEFAULT_SLIGHT_TORQUE_NM,
    progress: bool | None = None,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    command: str | None = None,
) -> xr.Dataset:
    """Simulate and grade `model` at every point of `design`; returns an xarray Dataset.

    Every input is checked before any work. A point that fails gets a status code and NaN
    metrics; it never stops the sweep. With `out`, the run holds a lock on the file, finished
    chunks are checkpointed beside it (`checkpoint_folder`), the same call resumes, and the result
    is written there atomically; an existing `out` holding this very sweep is returned without
    recomputing.

    Parameters
    ----------
    model : Model
        The base model, e.g. ``reflexsim.preset("severe")``.
    design : Design or mapping of str to values
        A `Design` (`grid`, `zipped`, `latin_hypercube`, `sobol`) or a mapping {key: values},
        which means a grid. A key is a parameter path, ``treatment.NAME.KEY`` or
        ``protocol.FIELD``.
    treatments : sequence
        Fixed treatments, ``"NAME[:key=value,...]"`` or ``(name, {key: value})``, applied to
        `model` first, in order; one acting on a swept parameter is refused (the swept value
        would replace its effect).
    protocol : ProtocolLike or None
        The test each point runs; None for ``ClonusTest()``.
    duration_s : float
        Simulated time per point, in s.
    dt_s : float or None
        A fixed step, in s: every point runs at that step (points it cannot serve get a status
        code). None: each point runs at the largest ``max_dt_s / 2**k`` it allows, as
        `reflexsim.simulate` chooses it (variable ``step_s``).
    max_dt_s : float
        The largest step a point may choose (with `dt_s` None), in s.
    out : str or os.PathLike or None
        A NetCDF file (.nc, .nc4, .netcdf) to write the result to, with checkpoints and resume;
        None to keep it in memory only.
    chunk_size : int
        Points per chunk (the unit of checkpoints, Dask tasks and progress).
    client : dask.distributed.Client or None
        A Dask client to run the chunks on (see `dask_client`); None to run them here.
    kernel_name : str
        ``"lockstep"`` (vectorised across simulations, the same equations as `simulate`) or
        ``"exact"`` (one simulation per thread); both agree with `simulate` + `clonus_metrics`.
    beat_threshold_deg, catch_torque_nm, slight_torque_nm : float
        The grading settings (defaults of `reflexsim.metrics`).
    progress : bool or None
        A tqdm progress bar; None: when stderr is a terminal, or in a Jupyter notebook (a
        widget); False: none.
    on_chunk : callable or None
        Called with a `ChunkReport` after each chunk is saved.
    command : str or None
        Recorded in the attributes with the reflexsim version; None for this process's command
        line (`reflexsim.provenance.command_line`).

    Returns
    -------
    xarray.Dataset
        The metrics, ``status``, ``failed_at_s`` and ``step_s`` over one dimension per grid key
        (or ``point`` for other designs), with CF names, long_name and UDUNITS-2 units.

    Raises
    ------
    SweepError
        If an input is invalid (a value outside its key's range, an unknown kernel, a treatment
        clashing with a swept key, an unwritable `out`), `out` holds another sweep, another
        sweep is writing `out`, or xarray is not installed.
    ParameterError
        If a key names an unknown parameter.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep import sweep
    >>> ds = sweep(rs.preset("severe"), {"reflex.gain": [0.5, 3.0, 6.0], "reflex.delay_s": [0.03, 0.05]},
    ...            duration_s=2.0)
    >>> ds.beats.dims
    ('reflex_gain', 'reflex_delay_s')
    >>> ds.beats.values  # more gain, more beats
    array([[ 1.,  1.],
           [10.,  8.],
           [ 9.,  8.]], dtype=float32)

    A treatment key is swept like a parameter (the treatment is applied per value):

    >>> ds = sweep(rs.preset("severe"), {"treatment.botox.weeks": [0, 6]}, duration_s=1.0)
    >>> ds.scats.values
    array([1., 0.], dtype=float32)
    """
    require("xarray", "a sweep")
    if command is None:
        command = command_line()
    grading = {
        "beat_threshold_deg": beat_threshold_deg,
        "catch_torque_nm": catch_torque_nm,
        "slight_torque_nm": slight_torque_nm,
    }
    spec = make_spec(model, design, protocol, duration_s, dt_s, max_dt_s, kernel_name, grading)
    fixed = check_fixed_treatments(treatments, spec.keys)
    if fixed:
        spec = dataclasses.replace(spec, model=apply_all(model, fixed))
    plan = make_plan(spec)
    chunk_size = _checked_chunk_size(chunk_size)
    out_path = None if out is None else check_out(out)
    if out_path is None:
        return _execute(plan, chunk_size, None, client, progress, on_chunk, command)
    existing = _finished(out_path, spec.digest())
    if existing is not None:
        return existing
    with run_lock(out_path):
        existing = _finished(out_path, spec.digest())  # written by a run that held the lock just before
        if existing is not None:
            return existing
        return _execute(plan, chunk_size, out_path, client, progress, on_chunk, command)


def _finished(out: Path, digest: str) -> xr.Dataset | None:
    """The existing file at `out` if it holds this sweep; None if there is none; refused otherwise."""
    if not out.exists():
        return None
    try:
        existing = load(out)
    except SweepError as exc:
        raise SweepError(f"{exc}; move it away or write to another file") from None
    if existing.attrs.get("sweep_digest") == digest:
        return existing
    raise SweepError(f"{out} exists and holds a different sweep; delete it or write to another file")


def _execute(
    plan: Plan,
    chunk_size: int,
    out: Path | None,
    client: Any,
    progress: bool | None,
    on_chunk: Callable[[ChunkReport], None] | None,
    command: str,
) -> xr.Dataset:
    spec = plan.spec
    total = spec.design.size
    chunks = [(i, lo, min(lo + chunk_size, total)) for i, lo in enumerate(range(0, total, chunk_size))]
    digest = spec.digest()

    checkpoint = None
    done: dict[int, ChunkResult] = {}
    if out is not None:
        manifest = {"digest": digest, "chunk_size": chunk_size, "points": total, "spec": spec.as_json()}
        checkpoint = Checkpoint(out, manifest, [hi - lo for _, lo, hi in chunks])
        done = checkpoint.open()

    metrics = np.full((total, kernel.N_METRICS), math.nan)
    status = np.full(total, _NOT_RUN, dtype=np.int8)
    failed_at = np.full(total, math.nan)
    dt = np.full(total, math.nan)

    def store(result: ChunkResult) -> int:
        _, lo, hi = chunks[result.index]
        metrics[lo:hi], status[lo:hi], failed_at[lo:hi] = result.metrics, result.status, result.failed_at_s
        dt[lo:hi] = result.dt_s
        return hi - lo

    points_done = sum(store(result) for result in done.values())  # from the checkpoint
    bar = progress_bar(total, points_done, progress)
    t0 = time.perf_counter()

    def finished(result: ChunkResult) -> None:
        nonlocal points_done
        if checkpoint is not None:
            checkpoint.save(result)
        n = store(result)
        points_done += n
        bar.update(n)
        if on_chunk is not None:
            on_chunk(ChunkReport(result.index, n, points_done, total, time.perf_counter() - t0))

    todo = [c for c in chunks if c[0] not in done]
    try:
        if client is None:
            _run_local(plan, todo, finished)
        else:
            _run_dask(client, plan, todo, finished)
    except BaseException:
        if checkpoint is not None:
            checkpoint.remove_if_empty()
        raise
    finally:
        bar.close()
    if np.any(status == _NOT_RUN):  # pragma: no cover - every chunk reports or raises
        raise SweepError("internal error: some points were not run")
    ds = dataset.build(spec, digest, metrics, status, failed_at, dt, command)
    if out is not None:
        write_netcdf(ds, out)
    if checkpoint is not None:  # there is one exactly when `out` is given
        checkpoint.remove()
    return ds


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A dask.distributed Client, closed on exit.

    "local" or "local:N" starts a LocalCluster of N worker processes on this machine (default: one
    per core) on the loopback interface, each with one Dask thread and an equal share of the cores
    for the kernels' threads; anything else is the address of a running scheduler, e.g.
    "tcp://10.0.0.5:8786" (start one with `dask scheduler`, workers with `dask worker ADDRESS`).

    Parameters
    ----------
    address : str
        ``"local"``, ``"local:N"`` or a scheduler's address.

    Yields
    ------
    distributed.Client
        The client, to pass to `sweep` as `client`.

    Raises
    ------
    SweepError
        If the address is empty or malformed, the scheduler cannot be reached, or the optional
        package ``distributed`` is not installed.

    Examples
    --------
    The first example is skipped: starting a local cluster takes seconds and spawns worker
    processes.

    >>> import reflexsim as rs
    >>> from reflexsim.sweep import dask_client, sweep
    >>> with dask_client("local:2") as client:  # doctest: +SKIP
    ...     ds = sweep(rs.preset("severe"), {"reflex.gain": [0.5, 3.0]}, duration_s=1.0, client=client)
    >>> with dask_client(" "):
    ...     pass
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: dask = ' ': expected a scheduler address or local[:N]
    """
    if not isinstance(address, str) or not address.strip():
        raise SweepError(f"dask = {address!r}: expected a scheduler address or local[:N]")
    require("distributed", "running a sweep on Dask")
    from distributed import Client, LocalCluster

    name, _, count = address.partition(":")
    if name != "local":
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
        with client:
            yield client
        return
    cores = os.cpu_count() or 1
    if (count and not count.isdigit()) or (count and int(count) < 1):
        raise SweepError(f"--dask {address!r}: expected local or local:N with N a positive integer")
    n_workers = int(count) if count else cores
    threads = str(max(1, cores // n_workers))
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def rerun(source: str | os.PathLike[str] | xr.Dataset, **options: Any) -> xr.Dataset:
    """Run again the sweep a file (or Dataset) records, from its attrs alone.

    The model, design, protocol, numerics and grading come from the ``sweep_spec`` attribute,
    so a file is enough to reproduce (or finish) the sweep that wrote it.

    Parameters
    ----------
    source : str or os.PathLike or xarray.Dataset
        A sweep file, or a sweep's Dataset.
    **options
        Passed to `sweep` (``out``, ``client``, ``chunk_size``, ``progress``, ...); ``command``
        defaults to the one recorded.

    Returns
    -------
    xarray.Dataset
        The sweep's result, computed again.

    Raises
    ------
    SweepError
        If the source is not a reflexsim sweep (no readable ``sweep_spec``).

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep import rerun, sweep
    >>> ds = sweep(rs.preset("severe"), {"reflex.gain": [0.5, 3.0]}, duration_s=1.0)
    >>> again = rerun(ds)
    >>> bool((again.beats == ds.beats).all()), again.attrs["sweep_digest"] == ds.attrs["sweep_digest"]
    (True, True)
    """
    attrs = source.attrs if hasattr(source, "attrs") else load(source).attrs
    options.setdefault("command", attrs.get("command", ""))
    return sweep(**spec_kwargs(attrs), **options)

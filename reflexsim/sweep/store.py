"""Where a sweep keeps its work: the run lock, checkpoint chunks and the NetCDF file.

* **Lock**: a sweep with ``out=`` holds an exclusive lock (`filelock`, an flock on Unix) on
  ``OUT.lock`` for the whole run, so a second sweep aimed at the same file is refused at once
  instead of sharing the checkpoint folder. The lock file is removed when the run ends; one left by
  a killed process is harmless (the kernel released its lock) and is taken over.
* **Checkpoints**: each finished chunk is one ``.npz`` file in ``OUT.checkpoint/``, written
  atomically and carrying the sweep's digest, its index and the step of each point; on resume a
  chunk that is damaged, of another sweep or of the wrong size is computed again, with a note.
* **NetCDF**: the final file is written under a temporary name and renamed into place; `load`
  reads one back (converting the dotted names of files written before CF names, with a note).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import kernel
from ..errors import SweepError
from ..files import OutputError, atomic_write, check_output, write_bytes_atomically
from .names import upgrade
from .plan import STATUS, ChunkResult

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

CHECKPOINT_SUFFIX = ".checkpoint"
LOCK_SUFFIX = ".lock"
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")


class SweepNote(UserWarning):
    """Something a sweep did on its own that the user should know (e.g. a damaged chunk recomputed).

    A warning, not an error: the sweep goes on. Filter it as any warning, e.g.
    ``warnings.simplefilter("ignore", SweepNote)``.

    Examples
    --------
    >>> import warnings
    >>> from reflexsim.sweep import SweepNote
    >>> from reflexsim.sweep.store import note
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     note("checkpoint chunk chunk-0000003.npz is unusable; its points are computed again")
    >>> caught[0].category is SweepNote
    True
    """


def checkpoint_folder(out: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of a sweep written to `out` lives: `out` + ".checkpoint", beside it.

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output file.

    Returns
    -------
    pathlib.Path
        The checkpoint folder (it may not exist).

    Examples
    --------
    >>> from reflexsim.sweep import checkpoint_folder
    >>> checkpoint_folder("runs/sweep.nc").as_posix()
    'runs/sweep.nc.checkpoint'
    """
    out = Path(out)
    return out.with_name(out.name + CHECKPOINT_SUFFIX)


def lock_file(out: str | os.PathLike[str]) -> Path:
    """The lock file of a sweep written to `out`: `out` + ".lock", beside it.

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output file.

    Returns
    -------
    pathlib.Path
        The lock file (it exists only while a sweep runs).

    Examples
    --------
    >>> from reflexsim.sweep.store import lock_file
    >>> lock_file("runs/sweep.nc").as_posix()
    'runs/sweep.nc.lock'
    """
    out = Path(out)
    return out.with_name(out.name + LOCK_SUFFIX)


def check_out(out: Any) -> Path:
    """The output path, if a NetCDF file can be written there (checked before any work).

    Parameters
    ----------
    out : str or os.PathLike
        The sweep's output file, ending in .nc, .nc4 or .netcdf.

    Returns
    -------
    pathlib.Path
        `out` as a path whose folder exists and is writable.

    Raises
    ------
    SweepError
        If `out` is not a file name, has another suffix, or its folder is missing or not writable.

    Examples
    --------
    >>> from reflexsim.sweep.store import check_out
    >>> check_out("sweep.nc")
    PosixPath('sweep.nc')
    >>> check_out("sweep.csv")
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: the sweep's output file 'sweep.csv' must end in .nc or .nc4 or .netcdf
    """
    try:
        return check_output(out, "the sweep's output file", NETCDF_SUFFIXES)
    except OutputError as exc:
        raise SweepError(str(exc)) from None


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the exclusive lock of the sweep writing `out`, or refuse at once (never waits).

    Two sweeps aimed at one file would share its checkpoint folder; the second is refused instead.
    The lock file is removed when the block ends.

    Parameters
    ----------
    out : pathlib.Path
        The sweep's output file.

    Yields
    ------
    None
        While the lock is held.

    Raises
    ------
    SweepError
        If another sweep holds the lock, or the lock file cannot be created.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> from reflexsim.sweep.store import run_lock
    >>> folder = Path(tempfile.mkdtemp())
    >>> with run_lock(folder / "sweep.nc"):
    ...     with run_lock(folder / "sweep.nc"):
    ...         pass
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: another sweep is writing .../sweep.nc (it holds .../sweep.nc.lock); ...
    >>> sorted(folder.iterdir())  # the lock file is gone
    []
    >>> shutil.rmtree(folder)
    """
    from filelock import FileLock, Timeout

    path = lock_file(out)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SweepError(
            f"another sweep is writing {out} (it holds {path}); wait for it to end or write to another file"
        ) from None
    except OSError as exc:
        raise SweepError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        # Unlinked while still held: a process that opened the old file sees it unlinked and retries.
        path.unlink(missing_ok=True)
        lock.release()


def note(message: str) -> None:
    """Warn with a `SweepNote` (pointing at the caller of the sweep function that noticed it).

    Parameters
    ----------
    message : str
        What happened and what was done about it.

    Examples
    --------
    >>> import warnings
    >>> from reflexsim.sweep.store import note
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     note("the checkpoint manifest was damaged; written again")
    >>> str(caught[0].message)
    'the checkpoint manifest was damaged; written again'
    """
    warnings.warn(message, SweepNote, stacklevel=3)


class Checkpoint:
    """Finished chunks of one sweep, kept until the final file is written.

    One ``.npz`` file per chunk in ``OUT.checkpoint/``, written atomically, beside a manifest
    (``sweep.json``) naming the sweep by its digest; rerunning the same sweep resumes from them.

    Parameters
    ----------
    out : pathlib.Path
        The sweep's output file (the folder is `checkpoint_folder` of it).
    manifest : dict
        What ``sweep.json`` records: at least ``digest`` and ``chunk_size``.
    chunk_rows : list of int
        The number of points of each chunk, by index.

    Examples
    --------
    >>> import shutil, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from reflexsim.sweep.plan import ChunkResult
    >>> from reflexsim.sweep.store import Checkpoint
    >>> folder = Path(tempfile.mkdtemp())
    >>> checkpoint = Checkpoint(folder / "sweep.nc", {"digest": "0123abcd", "chunk_size": 2}, [2, 1])
    >>> checkpoint.open()  # a new sweep: nothing done yet
    {}
    >>> metrics = np.zeros((2, 12))
    >>> status = np.zeros(2, dtype=np.int8)
    >>> checkpoint.save(ChunkResult(0, metrics, status, np.full(2, np.nan), np.full(2, 1e-3)))
    >>> sorted(Checkpoint(folder / "sweep.nc", {"digest": "0123abcd", "chunk_size": 2}, [2, 1]).open())
    [0]
    >>> checkpoint.remove()
    >>> checkpoint.folder.exists()
    False
    >>> shutil.rmtree(folder)
    """

    def __init__(self, out: Path, manifest: dict[str, Any], chunk_rows: list[int]) -> None:
        self.folder = checkpoint_folder(out)
        self.manifest = manifest
        self.digest = manifest["digest"]
        self.chunk_rows = chunk_rows  # points per chunk index

    def open(self) -> dict[int, ChunkResult]:
        """Create the folder, or check that it holds this sweep; returns the valid chunks already done.

        A chunk file that is damaged, of another sweep or of the wrong size is skipped with a
        `SweepNote` (its points are computed again).

        Returns
        -------
        dict of int to ChunkResult
            The chunks already finished, by index.

        Raises
        ------
        SweepError
            If the folder holds another sweep's checkpoint (or one with another chunk size), or it
            cannot be created.
        """
        path = self.folder / "sweep.json"
        if self.folder.is_dir() and path.exists():
            try:
                found = json.loads(path.read_text())
                if not isinstance(found, dict):
                    raise ValueError
            except (OSError, ValueError):
                note(f"the checkpoint manifest {path} was damaged; written again (chunks are checked one by one)")
                found = None
            if found is not None and (
                found.get("digest") != self.digest or found.get("chunk_size") != self.manifest["chunk_size"]
            ):
                raise SweepError(
                    f"{self.folder} holds the checkpoint of a different sweep (or chunk size); "
                    f"delete it to start over, or write to another output file"
                )
            if found is None:
                self._write_manifest(path)
            return self._load()
        try:
            self.folder.mkdir(exist_ok=True)  # it may exist, empty, after a crash right after creating it
        except OSError as exc:
            raise SweepError(f"cannot create the checkpoint folder {self.folder}: {exc.strerror}") from None
        self._write_manifest(path)
        return {}

    def _write_manifest(self, path: Path) -> None:
        write_bytes_atomically(path, json.dumps(self.manifest, indent=1).encode())

    def _load(self) -> dict[int, ChunkResult]:
        done = {}
        for file in sorted(self.folder.glob("chunk-*.npz")):
            try:
                result = self._read(file)
            except Exception as exc:
                note(f"checkpoint chunk {file.name} is unusable ({_reason(exc)}); its points are computed again")
                continue
            done[result.index] = result
        return done

    def _read(self, file: Path) -> ChunkResult:
        with np.load(file, allow_pickle=False) as z:
            if str(z["digest"]) != self.digest:
                raise ValueError("it belongs to another sweep")
            index = int(z["index"])
            if not 0 <= index < len(self.chunk_rows) or file.name != _chunk_name(index):
                raise ValueError(f"chunk index {index} does not match")
            n = self.chunk_rows[index]
            result = ChunkResult(index, z["metrics"], z["status"], z["failed_at_s"], z["dt_s"])
        shapes = {
            "metrics": (result.metrics, (n, kernel.N_METRICS), "f"),
            "status": (result.status, (n,), "i"),
            "failed_at_s": (result.failed_at_s, (n,), "f"),
            "dt_s": (result.dt_s, (n,), "f"),
        }
        for name, (arr, shape, kind) in shapes.items():
            if arr.shape != shape or arr.dtype.kind != kind:
                raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
        if not np.isin(result.status, list(STATUS)).all():
            raise ValueError("unknown status codes")
        return result

    def save(self, result: ChunkResult) -> None:
        """Write one finished chunk atomically (a crash never leaves a partial chunk file).

        Parameters
        ----------
        result : ChunkResult
            The chunk, with the sweep's digest written beside it.
        """

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(
                    f,
                    digest=np.array(self.digest),
                    index=result.index,
                    metrics=result.metrics,
                    status=result.status,
                    failed_at_s=result.failed_at_s,
                    dt_s=result.dt_s,
                )

        atomic_write(self.folder / _chunk_name(result.index), write)

    def remove(self) -> None:
        """Delete the checkpoint folder (once the final file is written)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def remove_if_empty(self) -> None:
        """After a failed or interrupted run: remove the folder if it holds no finished chunk.

        Nothing is lost, and a full disk or an early Ctrl-C leaves nothing behind; a folder with
        chunks is kept for the resume.
        """
        if self.folder.is_dir() and not any(self.folder.glob("chunk-*.npz")):
            self.remove()


def _chunk_name(index: int) -> str:
    return f"chunk-{index:07d}.npz"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def netcdf_engine() -> Literal["netcdf4"] | None:
    """The engine for reading and writing sweep files: netCDF4 if installed, else xarray's choice.

    netCDF4 (the ``sweep`` extra) writes NetCDF-4 files; without it xarray falls back to scipy's
    NetCDF-3 writer.

    Returns
    -------
    str or None
        ``"netcdf4"``, or None to let xarray choose.

    Examples
    --------
    >>> from reflexsim.sweep.store import netcdf_engine
    >>> netcdf_engine() in ("netcdf4", None)
    True
    """
    return "netcdf4" if importlib.util.find_spec("netCDF4") else None


def require(module: str, what: str) -> None:
    """Refuse, with the command that installs it, a feature whose optional package is missing.

    Parameters
    ----------
    module : str
        The package to import, e.g. ``"xarray"``.
    what : str
        The feature that needs it, for the message.

    Raises
    ------
    SweepError
        If `module` is not installed.

    Examples
    --------
    >>> from reflexsim.sweep.store import require
    >>> require("numpy", "a sweep")  # installed: returns quietly
    >>> require("no_such_package", "a sweep")
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: a sweep needs the optional package 'no_such_package': pip install 'reflexsim[sweep]'
    """
    if importlib.util.find_spec(module) is None:
        raise SweepError(f"{what} needs the optional package {module!r}: pip install 'reflexsim[sweep]'")


def write_netcdf(ds: xr.Dataset, path: Path) -> None:
    """Write a Dataset as NetCDF: to a temporary file beside `path`, then renamed into place.

    A crash or Ctrl-C never leaves a partial file at `path`.

    Parameters
    ----------
    ds : xarray.Dataset
        The sweep's Dataset.
    path : pathlib.Path
        The output file.

    Examples
    --------
    >>> import shutil, tempfile
    >>> import xarray as xr
    >>> from pathlib import Path
    >>> from reflexsim.sweep import load
    >>> from reflexsim.sweep.store import write_netcdf
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_netcdf(xr.Dataset({"beats": ("point", [1.0, 3.0])}), folder / "sweep.nc")
    >>> load(folder / "sweep.nc").beats.values
    array([1., 3.])
    >>> shutil.rmtree(folder)
    """
    atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine=netcdf_engine()))


def load(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a sweep file into memory (the file is closed afterwards).

    A file written by reflexsim before CF names (dotted names such as ``reflex.gain``) is read
    with the current names (``reflex_gain``, the path in ``parameter_path``), with a note.

    Parameters
    ----------
    path : str or os.PathLike
        The sweep file (NetCDF).

    Returns
    -------
    xarray.Dataset
        The sweep's Dataset, loaded into memory.

    Raises
    ------
    SweepError
        If `path` is not a path, the file is missing or unreadable, or xarray is not installed.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> import reflexsim as rs
    >>> from reflexsim.sweep import load, sweep
    >>> folder = Path(tempfile.mkdtemp())
    >>> ds = sweep(rs.preset("severe"), {"reflex.gain": [0.5, 3.0]}, duration_s=1.0, out=folder / "sweep.nc")
    >>> load(folder / "sweep.nc").beats.values
    array([1., 3.], dtype=float32)
    >>> load(folder / "missing.nc")
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: cannot read .../missing.nc: no such file
    >>> shutil.rmtree(folder)
    """
    require("xarray", "reading a sweep")
    import xarray as xr

    if not isinstance(path, (str, os.PathLike)):
        raise SweepError(f"a sweep file is a path such as 'sweep.nc', got {path!r}")
    if not Path(path).is_file():
        raise SweepError(f"cannot read {path}: no such file")
    try:
        with xr.open_dataset(path, engine=netcdf_engine()) as ds:
            ds = ds.load()
    except (OSError, ValueError, RuntimeError) as exc:
        raise SweepError(f"{path} is not a readable sweep file ({_reason(exc)})") from None
    ds, converted = upgrade(ds)
    if converted:
        note(
            f"{path} was written by an older reflexsim with dotted names (e.g. 'reflex.gain'); read with the CF "
            f"names (e.g. 'reflex_gain', the path in the attribute parameter_path). Write it again to keep them: "
            f"reflexsim.sweep.load(path).to_netcdf(new_path)"
        )
    return ds

"""Output files: checked before any work, written through a temporary file and a rename.

Every file reflexsim writes (figures, animations, CSV, NetCDF, checkpoint chunks) goes through
`atomic_write`, so a crash, Ctrl-C or a full disk never leaves a half-written file under the
requested name, and a failure is one line naming the file and the reason. `check_output` tells
before a long computation whether the file can be written there at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import ReflexsimError


class OutputError(ReflexsimError, OSError):
    """An output file cannot be written (folder missing, read-only, wrong format, disk full)."""


def check_output(path: Any, what: str, suffixes: Sequence[str] = ()) -> Path:
    """`path` as a Path whose folder exists and is writable and whose suffix is one of `suffixes`
    (any if empty); OutputError otherwise. Nothing is created."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise OutputError(f"{what}: {path!r} is not a file name")
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise OutputError(f"{what} {str(path)!r} must end in {' or '.join(suffixes)}")
    folder = path.parent
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"cannot write {path}: {folder} {reason}")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable")
    return path


def temporary_name(path: Path) -> Path:
    """A hidden name beside `path` for this process, with the same suffix (writers pick the format by it)."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Call `write(temporary path)`, flush it to disk, then rename it to `path`; on any failure the
    temporary file is removed and an OSError becomes one OutputError line."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except RuntimeError as exc:  # netCDF4 / HDF5 report a full disk as RuntimeError("NetCDF: HDF error")
        raise OutputError(f"cannot write {path}: {exc} (is the disk full?)") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))

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
    """An output file cannot be written (folder missing, read-only, wrong format, disk full).

    It is also an `OSError`, so code that catches file errors catches it.

    Examples
    --------
    >>> from reflexsim.files import check_output
    >>> check_output("no-such-folder/figure.png", "the figure")
    Traceback (most recent call last):
    ...
    reflexsim.files.OutputError: cannot write no-such-folder/figure.png: no-such-folder does not exist
    """


def check_output(path: Any, what: str, suffixes: Sequence[str] = ()) -> Path:
    """Check, before any work, that an output file can be written there; nothing is created.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written.
    what : str
        What the file is (``"the figure"``), for the error message.
    suffixes : sequence of str, optional
        The accepted suffixes, lower case with the dot (``(".png", ".pdf")``); any if empty.

    Returns
    -------
    Path
        `path` as a `Path` whose folder exists and is writable and whose suffix is accepted.

    Raises
    ------
    OutputError
        If `path` is not a file name, has the wrong suffix, is a folder, or its folder is missing
        or not writable.

    Examples
    --------
    >>> from reflexsim.files import check_output
    >>> check_output("sweep.nc", "the sweep file", (".nc",))
    PosixPath('sweep.nc')
    >>> check_output("sweep.csv", "the sweep file", (".nc",))
    Traceback (most recent call last):
    ...
    reflexsim.files.OutputError: the sweep file 'sweep.csv' must end in .nc
    """
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
    """A hidden name beside `path` for this process, with the same suffix (writers pick the format by it).

    Parameters
    ----------
    path : Path
        The file that will be written.

    Returns
    -------
    Path
        ``.STEM.tmp-PID.SUFFIX`` in the same folder (the same file system, so the rename is atomic).

    Examples
    --------
    >>> import os
    >>> from pathlib import Path
    >>> from reflexsim.files import temporary_name
    >>> temporary_name(Path("figures/clonus.png")) == Path(f"figures/.clonus.tmp-{os.getpid()}.png")
    True
    """
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Write a file through a temporary file and a rename, so `path` is never left half-written.

    Calls `write` with a temporary path beside `path`, flushes that file to disk, then renames it
    to `path`. On any failure the temporary file is removed and an `OSError` (or netCDF4's
    `RuntimeError` for a full disk) becomes one `OutputError` line.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    write : callable
        ``write(tmp)`` writes the whole file at the `Path` ``tmp`` (which has `path`'s suffix).

    Returns
    -------
    Path
        `path`, now holding what `write` wrote.

    Raises
    ------
    OutputError
        If writing, flushing or renaming fails.

    Examples
    --------
    The example writes into a temporary folder, removed at the end:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from reflexsim.files import atomic_write
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write(Path(folder) / "notes.txt", lambda tmp: tmp.write_text("beats: 8"))
    ...     print(path.name, path.read_text(), [p.name for p in Path(folder).iterdir()])
    notes.txt beats: 8 ['notes.txt']
    """
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
    """Write `data` to `path` with `atomic_write` (a temporary file and a rename).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    data : bytes
        Its whole content.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    OutputError
        If the file cannot be written.

    Examples
    --------
    The example writes into a temporary folder, removed at the end:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from reflexsim.files import write_bytes_atomically
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_bytes_atomically(Path(folder) / "beats.txt", b"8 beats").read_bytes()
    b'8 beats'
    """
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))

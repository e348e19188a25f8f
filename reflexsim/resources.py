"""What fits on this machine: memory checks made before any large allocation.

Every command and API call that allocates in proportion to its input (a simulation's time series,
a sweep's points, a design's random samples) asks `check_memory` first, so an impossible request
is one clear line naming what fits instead of a MemoryError (or the machine swapping) later.
"""

from __future__ import annotations

import os

# Leave room for the interpreter, numba, matplotlib and whatever else the machine is doing.
USABLE_FRACTION = 0.8


def available_memory_bytes() -> int:
    """Memory available to a new allocation: Linux's MemAvailable, else the physical memory.

    Returns
    -------
    int
        Bytes (8 GiB if neither can be read).

    Examples
    --------
    >>> from reflexsim.resources import available_memory_bytes
    >>> available_memory_bytes() > 0
    True
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not Linux, not POSIX
        return 8 * 2**30


def gib(n_bytes: float) -> str:
    """A byte count for a message: GiB from 1 GiB up, MiB below.

    Parameters
    ----------
    n_bytes : float
        The number of bytes.

    Returns
    -------
    str
        For example ``"1.5 GiB"`` or ``"512 MiB"``.

    Examples
    --------
    >>> from reflexsim.resources import gib
    >>> gib(1.5 * 2**30), gib(512 * 2**20)
    ('1.5 GiB', '512 MiB')
    """
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


def check_memory(what: str, count: float, bytes_each: float, unit: str, error: type[Exception]) -> None:
    """Raise `error` if `count` items of `bytes_each` bytes do not fit in memory, saying how many do.

    Called before a large allocation; "fit" means within `USABLE_FRACTION` (80 %) of
    `available_memory_bytes`, leaving room for the interpreter and the rest of the machine.

    Parameters
    ----------
    what : str
        What needs the memory (``"the sweep"``), for the message.
    count : float
        How many items (points, time steps).
    bytes_each : float
        Bytes per item.
    unit : str
        The items' name in the message (``"points"``).
    error : type of Exception
        The exception to raise (for example `SimulationError` or `SweepError`).

    Raises
    ------
    Exception
        `error`, with a message naming the memory needed, the memory available and how many
        items fit.

    Examples
    --------
    >>> from reflexsim.errors import SweepError
    >>> from reflexsim.resources import check_memory
    >>> check_memory("the sweep", 1000, 80, "points", SweepError)  # 80 kB: fits, returns None
    >>> check_memory("the sweep", 1e15, 80, "points", SweepError)
    Traceback (most recent call last):
    ...
    reflexsim.errors.SweepError: the sweep needs 74,505,806.0 GiB of memory (... points × 80 bytes) but this
    machine has ... available: at most ... points fit
    """
    needed = float(count) * bytes_each
    available = available_memory_bytes()
    usable = USABLE_FRACTION * available
    if needed > usable:
        fits = int(usable // bytes_each)
        raise error(
            f"{what} needs {gib(needed)} of memory ({count:,.0f} {unit} × {bytes_each:,.0f} bytes) but this machine "
            f"has {gib(available)} available: at most {fits:,} {unit} fit"
        )

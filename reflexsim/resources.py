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
    """Memory available to a new allocation: Linux's MemAvailable, else the physical memory."""
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
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


def check_memory(what: str, count: float, bytes_each: float, unit: str, error: type[Exception]) -> None:
    """Raise `error` if `count` items of `bytes_each` bytes (e.g. points, steps) do not fit in the
    memory this machine has available, saying how many do."""
    needed = float(count) * bytes_each
    available = available_memory_bytes()
    usable = USABLE_FRACTION * available
    if needed > usable:
        fits = int(usable // bytes_each)
        raise error(
            f"{what} needs {gib(needed)} of memory ({count:,.0f} {unit} × {bytes_each:,.0f} bytes) but this machine "
            f"has {gib(available)} available: at most {fits:,} {unit} fit"
        )

"""Provenance: the reflexsim version and the command that made an output.

Every ``--json`` output carries ``"provenance": provenance()`` and every sweep NetCDF file the
attributes ``reflexsim_version`` and ``command`` (with the CF attributes ``source`` and
``history``), so a number found later in a file or a log says which code and which command
produced it.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import PurePath

__all__ = ["command_line", "provenance"]


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that is running, as one shell-quoted line.

    The `reflexsim` console script and ``python -m reflexsim`` are written ``reflexsim ...``; a
    script is ``python SCRIPT ...``; a Python process with no script (the interpreter's prompt,
    a notebook's kernel) is ``python`` followed by what its argv holds.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, program first (default: this process's `sys.argv`).

    Returns
    -------
    str
        The command line, quoted for a POSIX shell.

    Examples
    --------
    >>> from reflexsim.provenance import command_line
    >>> command_line(["/venv/bin/reflexsim", "sweep", "--param", "reflex.gain=0:4:5", "--out", "my sweep.nc"])
    "reflexsim sweep --param reflex.gain=0:4:5 --out 'my sweep.nc'"
    >>> command_line(["study.py", "--quick"])
    'python study.py --quick'
    """
    argv = list(sys.argv if argv is None else argv)
    if not argv or not argv[0]:
        return "python"
    program = PurePath(argv[0])
    if program.name == "reflexsim" or (program.name == "__main__.py" and program.parent.name == "reflexsim"):
        return shlex.join(["reflexsim", *argv[1:]])
    return shlex.join(["python", *argv])


def provenance(argv: Sequence[str] | None = None) -> dict[str, str]:
    """The version of reflexsim and the command that made an output.

    Parameters
    ----------
    argv : sequence of str, optional
        The command's arguments, program first (default: this process's `sys.argv`).

    Returns
    -------
    dict
        ``{"reflexsim_version": ..., "command": ...}``, as ``--json`` outputs carry it under
        ``"provenance"``.

    Examples
    --------
    >>> import reflexsim
    >>> from reflexsim.provenance import provenance
    >>> p = provenance(["reflexsim", "params", "--json"])
    >>> p["command"], p["reflexsim_version"] == reflexsim.__version__
    ('reflexsim params --json', True)
    """
    from . import __version__

    return {"reflexsim_version": __version__, "command": command_line(argv)}

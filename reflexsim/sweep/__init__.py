"""Parameter sweeps: designs over dotted paths, a compiled kernel per chunk, checkpoints, NetCDF, Dask.

    import numpy as np
    import reflexsim as rs
    from reflexsim.sweep import sel, sweep

    ds = sweep(
        rs.preset("severe"),
        {"reflex.gain": np.linspace(0, 4, 64), "reflex.delay_s": np.linspace(0.01, 0.08, 64)},
        duration_s=5.0,
        out="sweep.nc",  # chunk checkpoints beside it; rerunning resumes
    )
    ds.duration_s.plot()
    sel(ds, {"reflex.gain": 3.0}, method="nearest").duration_s.plot()  # same as ds.sel(reflex_gain=3.0, ...)

A sweep key is a model parameter (``reflex.gain``, any path `reflexsim params` lists), a
treatment key (``treatment.botox.weeks``: the treatment is applied to the base model per unique
value combination, then the swept parameters are set) or a field of the protocol
(``protocol.hold_torque_nm``). Every value is checked against its valid range before any work.
In the Dataset (and the NetCDF file, CF-1.8) a key is named with underscores (``reflex_gain``),
its coordinate keeping the dotted path in the attribute ``parameter_path``; `sel` selects by
either name. Every variable has a ``long_name`` and UDUNITS-2 ``units``.

The package's modules, in the order a sweep uses them:

* `designs`: which points (grid, zip, Latin hypercube, Sobol) and the value syntax;
* `spec`: the validated, hashed specification (keys, ranges, numerics, grading);
* `plan`: treatments and protocols prepared once, and the computation of one chunk (the kernels);
* `store`: the run lock, checkpoint chunks and atomic NetCDF writing;
* `run`: `sweep` and `rerun`, chunks here or on Dask, the progress bar (tqdm);
* `dataset`: the labelled xarray Dataset and its one-line summary;
* `names`: CF names for dotted keys, UDUNITS-2 units, `sel` by dotted path, reading old files.

A point that fails gets a status code (meanings in the file) and NaN metrics; it never stops the
sweep. xarray (and dask) are optional: ``pip install reflexsim[sweep]``. See docs/sweeps.md.
"""

from ..errors import SweepError
from .dataset import summary
from .designs import DESIGNS, Design, design_from_json, grid, latin_hypercube, parse_range, parse_values, sobol, zipped
from .names import cf_name, sel, variable
from .plan import STATUS, STATUS_DELAY_TOO_SHORT, STATUS_STEP_TOO_STIFF
from .run import DEFAULT_CHUNK_SIZE, ChunkReport, dask_client, rerun, sweep
from .spec import KERNELS, SweepKey, parse_key
from .store import SweepNote, checkpoint_folder, load

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DESIGNS",
    "KERNELS",
    "STATUS",
    "STATUS_DELAY_TOO_SHORT",
    "STATUS_STEP_TOO_STIFF",
    "ChunkReport",
    "Design",
    "SweepError",
    "SweepKey",
    "SweepNote",
    "cf_name",
    "checkpoint_folder",
    "dask_client",
    "design_from_json",
    "grid",
    "latin_hypercube",
    "load",
    "parse_key",
    "parse_range",
    "parse_values",
    "rerun",
    "sel",
    "sobol",
    "summary",
    "sweep",
    "variable",
    "zipped",
]

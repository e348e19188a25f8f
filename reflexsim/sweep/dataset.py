"""Dataset assembly: the kernels' metric vectors as a labelled xarray Dataset, and its summary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import kernel
from ..errors import SweepError
from .names import CF_NAME, cf_name, key_attrs
from .plan import STATUS
from .spec import Spec

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

# Output variables: (name, index in the kernel's metric vector, dtype, UDUNITS-2 units, long_name).
METRICS = (
    ("beats", kernel.M_BEATS, np.float32, "1", "clonus beats after the hold starts"),
    ("frequency_hz", kernel.M_FREQUENCY_HZ, np.float64, "Hz", "beat rate over the last (up to) 10 intervals"),
    ("duration_s", kernel.M_DURATION_S, np.float64, "s", "hold start to last beat (0 with fewer than 3 beats)"),
    ("sustained", kernel.M_SUSTAINED, np.float32, "1", "1 if ongoing and longer than 10 s"),
    ("ongoing", kernel.M_ONGOING, np.float32, "1", "1 if still beating when the run ended"),
    ("decay_per_s", kernel.M_DECAY_PER_S, np.float64, "s-1", "decay rate of the peak-to-peak amplitude"),
    ("peak_to_peak_deg", kernel.M_P2P_MAX_RAD, np.float64, "degree", "largest beat peak-to-peak angle"),
    ("last_peak_to_peak_deg", kernel.M_P2P_LAST_RAD, np.float64, "degree", "peak-to-peak angle of the last beat"),
    ("peak_reflex_torque_nm", kernel.M_PEAK_REFLEX_NM, np.float64, "N m", "peak reflex torque in the catch window"),
    ("scats", kernel.M_SCATS, np.float32, "1", "SCATS clonus score 0-3"),
    ("tardieu", kernel.M_TARDIEU, np.float32, "1", "modified Tardieu grade 0-4"),
)
_DEGREE_METRICS = (kernel.M_P2P_MAX_RAD, kernel.M_P2P_LAST_RAD)
# Variables besides the metrics (swept keys must not take these names).
OTHER_VARIABLES = ("status", "failed_at_s", "step_s", "point")


def key_names(spec: Spec) -> tuple[str, ...]:
    """The CF names of the swept keys (``reflex.gain`` -> ``reflex_gain``), checked to be distinct.

    Parameters
    ----------
    spec : Spec
        The sweep's specification.

    Returns
    -------
    tuple of str
        One name per key, in the design's order.

    Raises
    ------
    SweepError
        If two keys would get one name, or a key's name is one of the Dataset's variables.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.dataset import key_names
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> keys = {"reflex.gain": [1], "treatment.botox.weeks": [6]}
    >>> key_names(make_spec(rs.preset("severe"), keys, None, 1.0, None, 0.001, "lockstep", grading))
    ('reflex_gain', 'treatment_botox_weeks')
    """
    names = tuple(cf_name(k.text) for k in spec.keys)
    taken = {m[0] for m in METRICS} | set(OTHER_VARIABLES)
    for key, name in zip(spec.keys, names, strict=True):
        if name in taken or names.count(name) > 1:
            raise SweepError(f"the sweep key {key.text!r} would be named {name!r}, a name the file already uses")
    return names


def build(
    spec: Spec,
    digest: str,
    metrics: np.ndarray,
    status: np.ndarray,
    failed_at: np.ndarray,
    dt: np.ndarray,
    command: str,
) -> xr.Dataset:
    """Metrics as data variables over one dimension per grid key (or `point`), with full attrs.

    CF-1.8 names (`names.cf_name`), a long_name and UDUNITS-2 units on every variable; the
    attributes record the model, protocol, numerics, reflexsim version, command and the
    specification (`rerun` repeats the sweep from them).

    Parameters
    ----------
    spec : Spec
        The sweep's specification.
    digest : str
        Its digest (`Spec.digest`), stored as ``sweep_digest``.
    metrics : numpy.ndarray
        Shape (points, kernel.N_METRICS): every point's metrics, in the design's order.
    status : numpy.ndarray
        Shape (points,): the status codes.
    failed_at : numpy.ndarray
        Shape (points,): failure times, in s (NaN: none).
    dt : numpy.ndarray
        Shape (points,): the step each point ran at, in s (NaN: not run).
    command : str
        The command that ran the sweep, stored in ``command`` and ``history``.

    Returns
    -------
    xarray.Dataset
        The labelled result: a grid has one dimension per key, other designs one ``point``
        dimension with the keys as coordinates along it.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep.dataset import build
    >>> from reflexsim.sweep.plan import compute_chunk, make_plan
    >>> from reflexsim.sweep.spec import make_spec
    >>> grading = {"beat_threshold_deg": 1.0, "catch_torque_nm": 5.0, "slight_torque_nm": 10.0}
    >>> spec = make_spec(rs.preset("severe"), {"reflex.gain": [0.5, 3.0]}, None, 1.0, None, 0.001, "lockstep", grading)
    >>> r = compute_chunk(make_plan(spec), 0, spec.design.points())
    >>> ds = build(spec, spec.digest(), r.metrics, r.status, r.failed_at_s, r.dt_s, "my script")
    >>> ds.beats.dims, ds.reflex_gain.attrs["parameter_path"], ds.attrs["command"]
    (('reflex_gain',), 'reflex.gain', 'my script')
    """
    import xarray as xr

    design = spec.design
    names = key_names(spec)
    if design.kind == "grid":
        dims: tuple[str, ...] = names
        coords: dict[str, Any] = {
            name: (name, axis, key_attrs(k, spec.protocol))
            for name, k, axis in zip(names, spec.keys, design.axes, strict=True)
        }
    else:
        dims = ("point",)
        pts = design.points()
        coords = {
            "point": ("point", np.arange(design.size), {"long_name": "index of the point in the design", "units": "1"})
        }
        coords.update(
            {
                name: ("point", pts[:, i], key_attrs(k, spec.protocol))
                for i, (name, k) in enumerate(zip(names, spec.keys, strict=True))
            }
        )
    shape = design.shape
    data: dict[str, Any] = {}
    for name, index, dtype, unit, doc in METRICS:
        values = metrics[:, index]
        if index in _DEGREE_METRICS:
            values = np.degrees(values)
        data[name] = (dims, values.astype(dtype).reshape(shape), {"units": unit, "long_name": doc})
    codes = sorted(STATUS)
    data["status"] = (
        dims,
        status.reshape(shape),
        {
            "long_name": "outcome of the point (0 = ok; others: metrics are NaN)",
            "units": "1",
            "flag_values": np.array(codes, dtype=np.int8),
            "flag_meanings": " ".join(STATUS[c][0] for c in codes),
            "flag_descriptions": json.dumps({str(c): f"{STATUS[c][0]}: {STATUS[c][1]}" for c in codes}),
        },
    )
    data["failed_at_s"] = (dims, failed_at.reshape(shape), {"units": "s", "long_name": "time the run failed"})
    data["step_s"] = (
        dims,
        dt.reshape(shape),
        {"units": "s", "long_name": "integration step the point ran at (NaN: not run)"},
    )
    spec_json = spec.as_json()
    version = spec_json["reflexsim_version"]
    attrs: dict[str, Any] = {
        "title": "reflexsim parameter sweep",
        "Conventions": "CF-1.8",
        "reflexsim_version": version,
        "design": design.kind,
        "seed": np.int32(design.seed),
        "samples": np.int32(design.samples),
        "swept": json.dumps(list(design.keys)),
        "model_name": spec.model.name,
        **{cf_name(f"model.{path}"): value for path, value in spec.model.items()},
        "protocol": json.dumps(spec_json["protocol"], allow_nan=False),
        "duration_s": spec.duration_s,
        "dt_s": spec.max_dt_s if spec.dt_s is None else spec.dt_s,
        "step": "automatic: the largest dt_s / 2**k each point allows" if spec.dt_s is None else "fixed",
        "n_steps": np.int32(spec.n_steps(spec.max_dt_s if spec.dt_s is None else spec.dt_s)),
        "kernel": spec.kernel,
        "beat_threshold_deg": spec.beat_threshold_deg,
        "catch_torque_nm": spec.catch_torque_nm,
        "slight_torque_nm": spec.slight_torque_nm,
        "command": command,
        "source": f"reflexsim {version} (ankle stretch-reflex model, {spec.kernel} sweep kernel)",
        "history": f"reflexsim {version}: {command}",
        "sweep_spec": json.dumps(spec_json, sort_keys=True, allow_nan=False),
        "sweep_digest": digest,
    }
    bad = [name for name in (*data, *coords, *attrs) if not CF_NAME.match(name)]
    if bad:  # pragma: no cover - names are built above
        raise SweepError(f"internal error: {bad[0]!r} is not a valid CF name")
    return xr.Dataset(data, coords=coords, attrs=attrs)


def summary(ds: xr.Dataset) -> str:
    """One line: points, how many ran, failures counted by reason, and points run at a finer step.

    What the command line prints after a sweep.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's result (`reflexsim.sweep.sweep` or `reflexsim.sweep.load`).

    Returns
    -------
    str
        The summary line.

    Examples
    --------
    >>> import reflexsim as rs
    >>> from reflexsim.sweep import summary, sweep
    >>> model = rs.preset("severe").with_values({"muscle.electromechanical_delay_s": 0.0})
    >>> ds = sweep(model, {"reflex.delay_s": [0.005, 0.04]}, duration_s=1.0, dt_s=0.004)
    >>> summary(ds)  # with a 4 ms step, a 5 ms loop delay cannot run
    '2 points: 1 ok, 1 failed (1 delay_too_short)'
    """
    status = np.asarray(ds["status"]).ravel()
    codes, counts = np.unique(status, return_counts=True)
    by_code = dict(zip(codes.tolist(), counts.tolist(), strict=True))
    ok = by_code.pop(kernel.STATUS_OK, 0)
    line = f"{status.size:,} points: {ok:,} ok"
    if by_code:
        reasons = ", ".join(f"{n:,} {STATUS.get(c, (str(c),))[0]}" for c, n in sorted(by_code.items()))
        line += f", {sum(by_code.values()):,} failed ({reasons})"
    if "step_s" in ds and ds.attrs.get("step", "fixed") != "fixed":
        steps = np.asarray(ds["step_s"]).ravel()
        finer = int(np.sum(steps < ds.attrs["dt_s"]))
        if finer:
            line += f"; {finer:,} at a step below {ds.attrs['dt_s']:g} s (smallest {np.nanmin(steps):g} s)"
    return line

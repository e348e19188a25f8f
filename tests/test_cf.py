"""Files other tools read without surprises (issue 12).

* Sweep NetCDF files follow CF-1.8: every variable, dimension and attribute name matches the CF
  name rule, every variable and coordinate has a ``long_name`` and ``units`` that UDUNITS-2 parses
  (with cf-units, which bundles the UDUNITS-2 library), and the dotted keys survive in
  ``parameter_path`` so that `reflexsim.sweep.sel` selects by them. The file is read back with
  netCDF4 itself, not through reflexsim or xarray.
* A file written with the old dotted names is read with the new ones (and a note), also when a
  sweep finds it already finished; a resumed checkpoint writes the new names only.
* Every ``--json`` output and every sweep file carries the reflexsim version and the command.
* ``reflexsim stability --boundary ... --out FILE.csv`` is CSV that `csv` reads back exactly.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
nc4 = pytest.importorskip("netCDF4")

import reflexsim  # noqa: E402
from reflexsim import protocols, treatments  # noqa: E402
from reflexsim.cli import main  # noqa: E402
from reflexsim.params import PATHS, describe  # noqa: E402
from reflexsim.presets import preset  # noqa: E402
from reflexsim.provenance import command_line, provenance  # noqa: E402
from reflexsim.sweep import (  # noqa: E402
    SweepError,
    SweepNote,
    cf_name,
    latin_hypercube,
    load,
    parse_key,
    sel,
    sweep,
    variable,
)
from reflexsim.sweep.dataset import METRICS  # noqa: E402
from reflexsim.sweep.names import UDUNITS, key_attrs  # noqa: E402

# CF-1.8 §2.3, written out again here rather than imported, so a change to the library's copy
# cannot loosen the test.
CF_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NUG_ATTRIBUTES = {"_FillValue"}  # reserved by the NetCDF User Guide (written by the library), valid in CF
SEVERE = preset("severe")
SHORT_S = 0.5  # the shortest graded run: these tests are about the files, not the numbers
PROTOCOLS = (
    protocols.ClonusTest(),
    protocols.RampAndHold(),
    protocols.PositionPerturbation(),
    protocols.TardieuStretch(),
    protocols.BiasTest(),
    protocols.ToeLanding(),
)
# A grid over a parameter whose label is not UDUNITS (imp/s), a treatment key and a protocol field.
GRID = {
    "reflex.gain": [2.0, 6.0],
    "reflex.threshold_ips": [8.0],
    "treatment.botox.weeks": [0.0, 4.0],
    "protocol.hold_torque_nm": [30.0],
}


def udunits_parses(units: str) -> bool:
    cf_units = pytest.importorskip("cf_units")
    try:
        cf_units.Unit(units)
    except ValueError:
        return False
    return True


def every_key() -> list[tuple[str, object]]:
    """(key, protocol) for every parameter path, treatment key and field of every protocol."""
    keys: list[tuple[str, object]] = [(path, None) for path in PATHS]
    keys += [(f"treatment.{t.name}.{k.name}", None) for t in treatments.TREATMENTS.values() for k in t.keys]
    for proto in PROTOCOLS:
        keys += [(f"protocol.{f.name}", proto) for f in dataclasses.fields(proto) if "range" in f.metadata]
    return keys


def unit_labels() -> set[str]:
    labels = {describe(path).unit for path in PATHS}
    labels |= {k.unit for t in treatments.TREATMENTS.values() for k in t.keys}
    for proto in PROTOCOLS:
        labels |= {f.metadata["unit"] for f in dataclasses.fields(proto) if "unit" in f.metadata}
    return labels


# --------------------------------------------------------------------------------------------- units


def test_udunits_parser_refuses_the_old_labels():
    """The check below can fail: the labels the old files carried are not UDUNITS-2."""
    for label in ("imp/s", "l_opt", "l_opt/s", "deg", "F_max", "imp/s/m"):
        assert not udunits_parses(label), label


def test_every_unit_label_in_use_has_a_udunits_spelling():
    missing = sorted(unit_labels() - set(UDUNITS))
    assert not missing, f"add these labels to reflexsim.sweep.names.UDUNITS: {missing}"


@pytest.mark.parametrize("label", sorted(UDUNITS))
def test_every_udunits_spelling_parses(label):
    units, note = UDUNITS[label]
    assert udunits_parses(units), (label, units)
    if units == "1" and label != "1":
        assert note, f"{label} written as '1' needs a note saying what it counts"


@pytest.mark.parametrize(
    ("label", "amount", "si", "expected"),
    [
        ("deg", 180.0, "rad", math.pi),
        ("deg/s", 180.0, "rad s-1", math.pi),
        ("N·m/deg", 1.0, "N m rad-1", 180.0 / math.pi),
        ("N·m·s/deg", 1.0, "N m s rad-1", 180.0 / math.pi),
        ("weeks", 1.0, "s", 7 * 86400.0),
        ("days", 1.0, "s", 86400.0),
        ("min", 1.0, "s", 60.0),
        ("h", 1.0, "s", 3600.0),
        ("mg", 1.0, "kg", 1e-6),
        ("ng/ml", 1.0, "kg m-3", 1e-6),
        ("kg·m²", 1.0, "kg m2", 1.0),
        ("m/s²", 1.0, "m s-2", 1.0),
        ("imp/s", 5.0, "Hz", 5.0),
        ("imp/s/m", 2000.0, "mm-1 s-1", 2.0),
        ("1/(imp/s)", 0.0025, "s", 0.0025),
        ("1/s", 1.0, "min-1", 60.0),
        ("°C", 2.0, "K", 2.0),
    ],
)
def test_udunits_spellings_mean_what_the_labels_mean(label, amount, si, expected):
    cf_units = pytest.importorskip("cf_units")
    units = cf_units.Unit(UDUNITS[label][0])
    assert units.convert(amount, cf_units.Unit(si)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("key", "protocol"), every_key(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_key_has_a_cf_name_long_name_and_udunits(key, protocol):
    attrs = key_attrs(parse_key(key, protocol), protocol)
    assert CF_NAME.match(cf_name(key)), key
    assert attrs["parameter_path"] == key
    assert attrs["units"] in {u for u, _ in UDUNITS.values()}
    assert 3 <= len(attrs["long_name"]) <= 160 and "\n" not in attrs["long_name"], attrs["long_name"]


def test_names_of_every_key_are_distinct():
    names = [cf_name(key) for key, _ in every_key() if not key.startswith("protocol.")]
    assert len(names) == len(set(names))
    assert not set(names) & {m[0] for m in METRICS}


def test_metric_units_are_udunits_and_every_metric_has_a_long_name():
    for name, _, _, units, long_name in METRICS:
        assert CF_NAME.match(name) and udunits_parses(units) and long_name, name


# --------------------------------------------------------------------------------------------- files


def check_cf_file(path) -> dict[str, dict[str, object]]:
    """Open `path` with netCDF4 and check names, long_name and units; returns {variable: attrs}."""
    with nc4.Dataset(path) as nc:
        assert nc.getncattr("Conventions") == "CF-1.8"
        for name in nc.ncattrs():
            assert CF_NAME.match(name), f"global attribute {name!r}"
        for name in nc.dimensions:
            assert CF_NAME.match(name), f"dimension {name!r}"
        found = {}
        for name, var in nc.variables.items():
            attrs = {a: var.getncattr(a) for a in var.ncattrs()}
            assert CF_NAME.match(name), f"variable {name!r}"
            for attr in set(attrs) - NUG_ATTRIBUTES:
                assert CF_NAME.match(attr), f"attribute {attr!r} of {name}"
            assert isinstance(attrs.get("long_name"), str) and attrs["long_name"].strip(), f"{name}: no long_name"
            assert "units" in attrs and udunits_parses(attrs["units"]), f"{name}: units {attrs.get('units')!r}"
            if "flag_values" in attrs:  # CF §3.5: the flags have the variable's type, one meaning each
                assert np.asarray(attrs["flag_values"]).dtype == var.dtype
                assert len(attrs["flag_meanings"].split()) == len(attrs["flag_values"])
            found[name] = attrs
        return found


def test_grid_sweep_file_is_cf_clean_and_keeps_the_dotted_paths(tmp_path):
    out = tmp_path / "grid.nc"
    sweep(SEVERE, GRID, duration_s=SHORT_S, out=out)
    found = check_cf_file(out)
    for key in GRID:
        name = cf_name(key)
        assert found[name]["parameter_path"] == key
    assert found["reflex_threshold_ips"]["units"] == "s-1"
    assert "impulses per second" in found["reflex_threshold_ips"]["long_name"]
    assert found["treatment_botox_weeks"]["units"] == "week"
    assert found["peak_to_peak_deg"]["units"] == "degree"
    with nc4.Dataset(out) as nc:
        assert nc.variables["beats"].dimensions == tuple(cf_name(k) for k in GRID)
        assert nc.getncattr("model_reflex_gain") == SEVERE.reflex.gain


def test_point_design_file_is_cf_clean(tmp_path):
    out = tmp_path / "lhs.nc"
    design = latin_hypercube({"reflex.gain": (2.0, 6.0), "muscle.fl_width": (0.4, 0.6)}, 3, seed=1)
    sweep(SEVERE, design, duration_s=SHORT_S, out=out)
    found = check_cf_file(out)
    assert found["muscle_fl_width"]["units"] == "1"
    assert "optimal fibre length" in found["muscle_fl_width"]["long_name"]
    assert found["point"]["units"] == "1"


def test_sel_accepts_dotted_paths_and_names():
    ds = sweep(SEVERE, {"reflex.gain": [2.0, 6.0], "reflex.delay_s": [0.03, 0.05]}, duration_s=SHORT_S)
    assert list(ds.dims) == ["reflex_gain", "reflex_delay_s"]
    expected = ds.sel(reflex_gain=6.0, reflex_delay_s=0.05)
    xr.testing.assert_identical(sel(ds, {"reflex.gain": 6.0, "reflex.delay_s": 0.05}), expected)
    xr.testing.assert_identical(sel(ds, **{"reflex.gain": 6.0}, reflex_delay_s=0.05), expected)
    xr.testing.assert_identical(sel(ds, {"reflex.gain": 5.1, "reflex.delay_s": 0.049}, method="nearest"), expected)
    xr.testing.assert_identical(sel(ds.beats, {"reflex.gain": 6.0}), ds.beats.sel(reflex_gain=6.0))
    assert ds.reflex_gain.attrs["parameter_path"] == "reflex.gain"  # attribute access works
    assert variable(ds, "reflex.delay_s") == "reflex_delay_s"
    with pytest.raises(SweepError, match=r"'muscle.fl_width' is not swept here; swept keys: reflex.gain, reflex.del"):
        sel(ds, {"muscle.fl_width": 0.5})


def old_style(ds):
    """`ds` as reflexsim wrote it before CF names: dotted names and model.<path> attributes, the old
    unit labels, and no long_name on the coordinates."""
    old = ds.copy()
    for name, var in old.variables.items():
        if "parameter_path" in var.attrs:
            var.attrs = {"units": describe(var.attrs["parameter_path"]).unit}
        elif var.attrs.get("units") in ("degree", "s-1"):
            var.attrs = {**var.attrs, "units": {"degree": "deg", "s-1": "1/s"}[var.attrs["units"]]}
        elif name == "status":
            var.attrs = {k: v for k, v in var.attrs.items() if k != "units"}

    def old_attr(name: str) -> str:  # model_reflex_gain -> model.reflex.gain (sections have no underscore)
        if not name.startswith("model_") or name == "model_name":
            return name
        return name.replace("_", ".", 2)

    old.attrs = {old_attr(k): v for k, v in old.attrs.items()}
    renames = {c: str(old[c].attrs.get("parameter_path", ds[c].attrs["parameter_path"])) for c in ds.coords}
    return old.rename(renames)


def test_a_file_with_the_old_names_is_read_with_the_new_ones(tmp_path):
    new = sweep(SEVERE, {"reflex.gain": [2.0, 6.0], "reflex.threshold_ips": [8.0, 12.0]}, duration_s=SHORT_S)
    old = old_style(new)
    assert "reflex.gain" in old.dims and "model.reflex.gain" in old.attrs  # the fixture is old-style
    path = tmp_path / "old.nc"
    old.to_netcdf(path)
    with pytest.warns(SweepNote, match=r"older reflexsim with dotted names.*'reflex_gain'"):
        back = load(path)
    xr.testing.assert_identical(back, new)  # names, units, long_names, attributes: as written today
    assert back.attrs == new.attrs


def test_a_finished_old_file_is_returned_with_the_new_names_not_recomputed(tmp_path):
    design = {"reflex.gain": [2.0, 6.0]}
    path = tmp_path / "old.nc"
    new = sweep(SEVERE, design, duration_s=SHORT_S, out=path)
    old_style(new).to_netcdf(path)  # the same sweep, as an older reflexsim wrote it
    before = path.read_bytes()
    computed = []
    with pytest.warns(SweepNote, match="dotted names"):
        again = sweep(SEVERE, design, duration_s=SHORT_S, out=path, on_chunk=computed.append)
    assert computed == []
    xr.testing.assert_identical(again, new)
    assert path.read_bytes() == before  # the file itself is left as it is


def test_a_resumed_checkpoint_writes_only_the_new_names(tmp_path, interrupt_after):
    """Checkpoint chunks hold numbers only; the names are given when the file is assembled."""
    out = tmp_path / "s.nc"
    design = {"reflex.gain": [2.0, 4.0, 6.0], "reflex.delay_s": [0.03, 0.05]}
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, design, duration_s=SHORT_S, out=out, chunk_size=2, on_chunk=interrupt_after(1))
    for chunk in (tmp_path / "s.nc.checkpoint").glob("chunk-*.npz"):
        with np.load(chunk) as z:
            assert set(z.files) == {"digest", "index", "metrics", "status", "failed_at_s", "dt_s"}
    sweep(SEVERE, design, duration_s=SHORT_S, out=out, chunk_size=2)
    found = check_cf_file(out)
    assert {"reflex_gain", "reflex_delay_s"} <= set(found) and not any("." in n for n in found)


def test_key_names_that_clash_are_refused(monkeypatch):
    """Two keys whose CF names coincide (or a key named like a metric) fail before any work."""
    from reflexsim.sweep import dataset

    monkeypatch.setattr(dataset, "OTHER_VARIABLES", (*dataset.OTHER_VARIABLES, "reflex_gain"))
    with pytest.raises(SweepError, match=r"'reflex\.gain' would be named 'reflex_gain', a name the file already uses"):
        sweep(SEVERE, {"reflex.gain": [2.0]}, duration_s=SHORT_S)


# --------------------------------------------------------------------------------------------- provenance


def test_command_line():
    assert command_line(["/venv/bin/reflexsim", "sweep", "--out", "a b.nc"]) == "reflexsim sweep --out 'a b.nc'"
    assert command_line(["/x/reflexsim/__main__.py", "params"]) == "reflexsim params"
    assert command_line(["study.py", "-q"]) == "python study.py -q"
    assert command_line([]) == "python"
    assert provenance(["reflexsim", "x"]) == {"reflexsim_version": reflexsim.__version__, "command": "reflexsim x"}


@pytest.mark.parametrize(
    "argv",
    [["params", "--json"], ["treatments", "--json"], ["stability", "--json", "--preset", "mild"]],
)
def test_every_json_output_carries_version_and_command(argv, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/venv/bin/reflexsim", *argv])
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["provenance"] == {
        "reflexsim_version": reflexsim.__version__,
        "command": "reflexsim " + " ".join(argv),
    }


def test_every_command_prints_json_through_print_json():
    """A command that prints JSON itself bypasses the provenance (and the strict-JSON rules)."""
    from pathlib import Path

    cli = Path(reflexsim.__file__).parent / "cli"
    bypass = [f.name for f in sorted(cli.glob("*.py")) if f.name != "options.py" and "json.dumps(" in f.read_text()]
    assert not bypass, f"print JSON with options.print_json in {bypass}"


def test_json_provenance_from_a_real_process():
    run = subprocess.run(
        [sys.executable, "-m", "reflexsim", "treatments", "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout)["provenance"]["command"] == "reflexsim treatments --json"


def test_sweep_files_carry_version_and_command(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["my_study.py", "--fast"])
    ds = sweep(SEVERE, {"reflex.gain": [2.0]}, duration_s=SHORT_S, out=tmp_path / "a.nc")
    assert ds.attrs["reflexsim_version"] == reflexsim.__version__
    assert ds.attrs["command"] == "python my_study.py --fast"  # the script that ran the sweep
    assert ds.attrs["history"] == f"reflexsim {reflexsim.__version__}: python my_study.py --fast"
    assert ds.attrs["source"].startswith(f"reflexsim {reflexsim.__version__}")
    explicit = sweep(SEVERE, {"reflex.gain": [2.0]}, duration_s=SHORT_S, command="reflexsim sweep --param x")
    assert explicit.attrs["command"] == "reflexsim sweep --param x"
    with nc4.Dataset(tmp_path / "a.nc") as nc:
        assert nc.getncattr("command") == "python my_study.py --fast"


# --------------------------------------------------------------------------------------------- stability CSV


@pytest.fixture
def fake_boundary(monkeypatch):
    """hopf_boundary replaced by points whose reasons need quoting (commas, quotes, a newline)."""
    from reflexsim import stability

    points = (
        SimpleNamespace(gain=2.0 / 3.0, frequency_hz=5.123456789012, found=True, reason=""),
        SimpleNamespace(gain=math.nan, frequency_hz=math.nan, found=False, reason='no crossing, "stable"\nup to 40'),
    )

    def boundary(model, path, values, hold_torque_nm):
        return SimpleNamespace(points=points, found=np.array([p.found for p in points]))

    monkeypatch.setattr(stability, "hopf_boundary", boundary)
    return points


def test_stability_csv_reads_back_exactly(tmp_path, capsys, fake_boundary):
    out = tmp_path / "hopf.csv"
    assert main(["stability", "--boundary", "reflex.delay_s=0.03,0.05", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["reflex.delay_s", "critical_gain", "frequency_hz", "found", "reason"]
    assert [float(r["reflex.delay_s"]) for r in rows] == [0.03, 0.05]
    assert float(rows[0]["critical_gain"]) == 2.0 / 3.0  # full precision
    assert float(rows[0]["frequency_hz"]) == 5.123456789012
    assert math.isnan(float(rows[1]["critical_gain"]))
    assert [r["found"] for r in rows] == ["True", "False"]
    assert rows[1]["reason"] == 'no crossing, "stable"\nup to 40'
    assert not list(tmp_path.glob(".*"))  # written through a temporary file, renamed


def test_stability_csv_on_stdout_is_the_same_csv(tmp_path, capsys, fake_boundary):
    out = tmp_path / "hopf.csv"
    assert main(["stability", "--boundary", "reflex.delay_s=0.03,0.05", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["stability", "--boundary", "reflex.delay_s=0.03,0.05"]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    with open(out, newline="", encoding="utf-8") as f:
        assert printed == list(csv.reader(f))

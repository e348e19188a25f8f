"""Bad input, everywhere: one line on stderr, exit 2, no traceback, nothing left behind, and the
valid input next to each bad one still works (issue 10).

Commands run in this process through `reflexsim.cli.main` (the console script's function). Each
case runs in an empty folder; "nothing left behind" means the folder is as the case set it up.
"""

from __future__ import annotations

import errno
import json
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

xr = pytest.importorskip("xarray")

import reflexsim as rs  # noqa: E402
from reflexsim import treatments  # noqa: E402
from reflexsim.cli import main  # noqa: E402
from reflexsim.params import PATHS, describe  # noqa: E402
from reflexsim.simulation import DEFAULT_DT_S, MAX_DT_S, choose_step  # noqa: E402
from reflexsim.sweep import SweepError, SweepNote, latin_hypercube, load, rerun, sweep  # noqa: E402

SEVERE = rs.preset("severe")
CT = ["clonus-test", "--no-plot", "--duration", "0.5"]
SW = ["sweep", "--quiet", "--duration", "0.5", "--out", "s.nc"]
GAIN = ["--param", "reflex.gain=0,3"]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def refused(argv: list[str], folder: Path, capsys, fragment: str = "", code: int = 2) -> str:
    """Run a bad command: its exit code, one line on stderr naming `fragment`, no file left."""
    before = files(folder)
    got, _, err = run(argv, capsys)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert got == code, (argv, err)
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith("reflexsim: "), err
    assert fragment in err, (fragment, err)
    assert files(folder) == before, (argv, files(folder) - before)
    return err


def works(argv: list[str], capsys) -> str:
    got, out, err = run(argv, capsys)
    assert got == 0, (argv, err)
    return out


# --------------------------------------------------------------------------------------------- every item


# (bad argv, fragment of the message, valid argv next to it)
CASES = [
    # 3. accepted but wrong: one parser for text
    ([*CT, "--set", "reflex.gain=1_0"], "reflex.gain = '1_0' is not a number", [*CT, "--set", "reflex.gain=10"]),
    ([*CT, "--set", "reflex.gain=0x10"], "is not a number", [*CT, "--set", "reflex.gain=16"]),
    ([*CT, "--duration", "1_0"], "--duration = '1_0' is not a number", [*CT[:-1], "1.0"]),
    (
        [*CT, "--treatment", "botox:weeks=1_0"],
        "botox:weeks = '1_0' is not a number",
        [*CT, "--treatment", "botox:weeks=10"],
    ),
    ([*CT, "--treatment", "botox:weeks=3,weeks=4"], "given twice", [*CT, "--treatment", "botox:weeks=4"]),
    ([*CT, "--set", "reflex.gain=3", "--set", "reflex.gain=4"], "given twice", [*CT, "--set", "reflex.gain=4"]),
    ([*CT, "--set", "reflex.gain=-1"], "reflex.gain = -1 is outside its valid range", [*CT, "--set", "reflex.gain=1"]),
    ([*CT, "--preset", "moderate"], "invalid choice: 'moderate'", [*CT, "--preset", "mild"]),
    (["tardieu", "--set", "reflex.gain=1_0"], "is not a number", None),
    (["stability", "--set", "reflex.gain=1_0"], "is not a number", None),
    (["stability", "--boundary", "reflex.delay_s=0.01:0.1:1_0"], "neither start:stop:num", None),
    # 5. unbounded work: refused up front, saying what fits
    (["clonus-test", "--no-plot", "--duration", "3600", "--dt", "1e-6"], "at most", [*CT, "--dt", "1e-6"]),
    (["stability", "--boundary", "reflex.delay_s=0.01:0.1:100000000"], "at most 2,000", None),
    ([*SW, "--param", "reflex.gain=0:4:100000", "--param", "reflex.delay_s=0.01:0.1:100000"], "points fit", None),
    ([*SW, "--param", "reflex.gain=0:1:100000000000"], "fit", [*SW, *GAIN]),
    ([*SW, "--design", "lhs", "--samples", "1000000000000", "--param", "reflex.gain=0:4"], "fit", None),
    # 6. output paths, checked before the work
    (["clonus-test", "--duration", "0.5", "--plot", "out.xyz"], "must end in", None),
    (["clonus-test", "--duration", "0.5", "--plot", "FILE/x.png"], "FILE is not a folder", None),
    (["clonus-test", "--duration", "0.5", "--plot", "nodir/x.png"], "nodir does not exist", None),
    (["clonus-test", "--duration", "0.5", "--plot", ""], "is not a file name", None),
    (["stability", "--boundary", "reflex.delay_s=0.03:0.05:2", "--out", "nodir/h.csv"], "does not exist", None),
    (["stability", "--boundary", "reflex.delay_s=0.03:0.05:2", "--plot", "out.xyz"], "must end in", None),
    (["stability", "--out", "h.csv"], "go with --boundary", None),
    (["animate", "--seconds", "0.5", "--out", "FILE/x.gif"], "is not a folder", None),
    (["animate", "--seconds", "0.5", "--out", "x.xyz"], "must end in .gif or .mp4", None),
    ([*SW[:-1], "nodir/s.nc", *GAIN], "does not exist", None),
    ([*SW[:-1], "s.txt", *GAIN], "must end in .nc", None),
    ([*SW[:-1], "FILE.nc", *GAIN], "is not a readable sweep file", None),
    # 1. silently wrong sweeps: a fixed value that a swept key would replace
    (
        [*SW, "--treatment", "rhizotomy:fraction=1", "--param", "reflex.gain=0,6.5"],
        "the fixed treatment 'rhizotomy' acts on reflex.gain",
        [*SW, "--treatment", "rhizotomy:fraction=1", "--param", "reflex.delay_s=0.03,0.04"],
    ),
    (
        [*SW, "--treatment", "botox:weeks=3", "--param", "muscle.max_force_n=1000,5790"],
        "acts on muscle.max_force_n",
        [*SW, "--param", "treatment.botox.weeks=0,3"],
    ),
    ([*SW, "--treatment", "botox:weeks=3", "--param", "treatment.botox.weeks=0,3"], "both fixed and swept", None),
    ([*SW, "--set", "reflex.gain=3", *GAIN], "both fixed", None),
    ([*SW, "--protocol", "hold_torque_nm=20", "--param", "protocol.hold_torque_nm=10,20"], "both fixed", None),
    # 3. the sweep command's values
    ([*SW, *GAIN, "--param", "reflex.gain=1,2"], "--param reflex.gain is given twice", [*SW, *GAIN]),
    ([*SW, "--param", "reflex.gain=1_0"], "is not a number", [*SW, "--param", "reflex.gain=10"]),
    ([*SW, "--param", "reflex.gain=0:4:1_0"], "neither start:stop:num", [*SW, "--param", "reflex.gain=0:4:2"]),
    ([*SW, "--design", "lhs", "--samples", "4", "--param", "reflex.gain=0:4:99"], "not a range lo:hi", None),
    ([*SW, "--design", "lhs", "--samples", "1_0", "--param", "reflex.gain=0:4"], "is not a whole number", None),
    ([*SW, *GAIN, "--duration", "0.1"], "--duration = 0.1 is outside its valid range [0.5, 3600] s", None),
    ([*SW, *GAIN, "--chunk-size", "0"], "must be at least 1", None),
    ([*SW, *GAIN, "--dask", "local:x"], "expected local or local:N", None),
    ([*SW, "--param", "reflex.gain=0,1,,2"], "neither", None),
    ([*SW], "nothing to sweep", None),
]


@pytest.mark.parametrize(("bad", "fragment", "valid"), CASES, ids=[" ".join(c[0][:6])[:60] for c in CASES])
def test_every_bad_input_is_one_line_and_its_valid_neighbour_works(bad, fragment, valid, folder, capsys):
    (folder / "FILE").write_text("a file, not a folder\n")
    (folder / "FILE.nc").write_text("not a sweep\n")
    refused(bad, folder, capsys, fragment)
    if valid is not None:
        works(valid, capsys)


def test_output_paths_are_checked_before_any_work(folder, capsys, monkeypatch):
    from reflexsim import stability

    def no_work(*args, **kwargs):
        raise AssertionError("computed before checking the output")

    monkeypatch.setattr(stability, "hopf_boundary", no_work)
    monkeypatch.setattr("reflexsim.cli.commands.simulate", no_work)
    refused(["stability", "--boundary", "reflex.delay_s=0.03:0.05:2", "--out", "nodir/h.csv"], folder, capsys)
    refused(["clonus-test", "--plot", "x.xyz"], folder, capsys)
    refused(["animate", "--out", "nodir/x.gif"], folder, capsys)


def test_a_read_only_folder_is_refused_before_the_work(folder, capsys, monkeypatch):
    (folder / "ro").mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p).name == "ro" else real_access(p, mode))
    refused(["clonus-test", "--duration", "0.5", "--plot", "ro/x.png"], folder, capsys, "is not writable")
    refused([*SW[:-1], "ro/s.nc", *GAIN], folder, capsys, "is not writable")


@pytest.mark.parametrize("target", ["figure", "netcdf", "csv", "chunk"])
def test_a_full_disk_is_one_line_and_leaves_no_partial_file(target, folder, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if target == "figure":
        monkeypatch.setattr("matplotlib.figure.Figure.savefig", full)
        argv = ["clonus-test", "--duration", "0.5", "--plot", "x.png"]
    elif target == "netcdf":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("HDF error")))
        argv = [*SW, *GAIN]
    elif target == "chunk":  # the first checkpoint chunk cannot be written: no finished chunk, no folder left
        monkeypatch.setattr(np, "savez", full)
        argv = [*SW, *GAIN]
    else:
        monkeypatch.setattr(Path, "write_text", full)
        argv = ["stability", "--boundary", "reflex.delay_s=0.03:0.05:2", "--out", "h.csv"]
    before = files(folder)
    code, _, err = run(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "cannot write" in err
    left = files(folder) - before
    assert not any(name.startswith(".") or name in ("x.png", "s.nc", "h.csv") for name in left), left
    # a sweep keeps its finished chunks (rerun the command once there is room): never a partial file
    assert not {name for name in left if not name.startswith("s.nc.checkpoint")}, left
    if target == "chunk":
        assert not left, left


def test_every_json_output_is_strict_json(folder, capsys):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    for argv in (
        [*CT, "--json", "--set", "orthosis.stop_angle_rad=inf"],
        ["tardieu", "--preset", "healthy", "--json"],
        ["stability", "--json", "--set", "orthosis.stop_angle_rad=inf"],
        ["treatments", "--json"],
        ["params", "--json"],
    ):
        payload = json.loads(works(argv, capsys), parse_constant=refuse)
        assert isinstance(payload, dict)
    payload = json.loads(works([*CT, "--json", "--set", "orthosis.stop_angle_rad=inf"], capsys), parse_constant=refuse)
    assert payload["changed"] == {"orthosis.stop_angle_rad": "inf"}


@pytest.mark.parametrize("command", ["clonus-test", "stability"])
def test_ctrl_c_is_one_line_and_exit_130(command, folder, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("reflexsim.cli.commands.simulate", interrupted)
    monkeypatch.setattr("reflexsim.stability.analyse", interrupted)
    argv = [*CT] if command == "clonus-test" else ["stability"]
    refused(argv, folder, capsys, "interrupted", code=130)


@pytest.mark.slow
def test_a_real_sigint_is_one_line_and_exit_130(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "reflexsim", "stability", "--boundary", "reflex.delay_s=0.01:0.1:400"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),  # a shell's & ignores it
    )
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip().count("\n") == 0 and "Traceback" not in err


# --------------------------------------------------------------------------------------------- TOML


TOML_CASES = [
    ('[set]\n"reflex.gain" = true\n', "reflex.gain = True is not a number"),
    ('[set]\n"reflex.gain" = "1_0"\n', "is not a number"),
    ('[set]\n"reflex.gain" = [1]\n', "is not a number"),
    ('[param]\n"reflex.gain" = ["a", "b"]\n', "is not a list of numbers"),
    ('[param]\n"reflex.gain" = true\n', "is not a list of numbers"),
    ('[param]\n"reflex.gain" = {a = 1}\n', "is not a list of numbers"),
    ('treatments = [5]\n[param]\n"reflex.gain" = [1.0]\n', "'treatments' must be a list of strings"),
    ('treatments = "botox"\n[param]\n"reflex.gain" = [1.0]\n', "'treatments' must be a list of strings"),
    ('out = 5\n[param]\n"reflex.gain" = [1.0]\n', "out must be a string"),
    ('dask = 5\n[param]\n"reflex.gain" = [1.0]\n', "dask must be a string"),
    ('design = "lhs"\nsamples = 4\n[param]\n"reflex.gain" = 5\n', "must be 'lo:hi' or a pair"),
    ('design = "lhs"\nsamples = 4\n[param]\n"reflex.gain" = [0, 4, 99]\n', "must be 'lo:hi' or a pair"),
    ('duration_s = 0.01\n[param]\n"reflex.gain" = [1.0]\n', "duration_s = 0.01 is outside its valid range [0.5, 3600]"),
    ('duration_s = true\n[param]\n"reflex.gain" = [1.0]\n', "duration_s = True is not a number"),
    ('dt_s = "x"\n[param]\n"reflex.gain" = [1.0]\n', "dt_s = 'x' is not a number"),
    ('samples = 4.5\ndesign = "lhs"\n[param]\n"reflex.gain" = "0:4"\n', "samples = 4.5 must be a whole number"),
    ('seed = -1\ndesign = "lhs"\nsamples = 4\n[param]\n"reflex.gain" = "0:4"\n', "seed = -1 must be a whole"),
    ('chunk_size = "x"\n[param]\n"reflex.gain" = [1.0]\n', "chunk_size = 'x' must be a whole number"),
    ('preset = 5\n[param]\n"reflex.gain" = [1.0]\n', "preset = 5; valid values"),
    ('kernel = "fast"\n[param]\n"reflex.gain" = [1.0]\n', "kernel = 'fast'; valid values"),
    ('design = 5\n[param]\n"reflex.gain" = [1.0]\n', "design = 5; valid values"),
    ('fixed_step = "yes"\n[param]\n"reflex.gain" = [1.0]\n', "fixed_step must be true or false"),
    ('[protocol]\nhold_torque_nm = true\n[param]\n"reflex.gain" = [1.0]\n', "is not a number"),
    ('[protocol]\nhold_torque_nm = 900\n[param]\n"reflex.gain" = [1.0]\n', "is outside its valid range [0, 150]"),
    ('colour = "red"\n', "unknown key 'colour'"),
    ("[param\n", "is not valid TOML"),
    ('param = "reflex.gain"\n', "'param' must be a table"),
    ("", "nothing to sweep"),
]


@pytest.mark.parametrize(("text", "fragment"), TOML_CASES)
def test_toml_bad_values_and_types(text, fragment, folder, capsys):
    (folder / "c.toml").write_text(text)
    refused(["sweep", "--quiet", "c.toml"], folder, capsys, fragment)


def test_toml_not_utf8_and_valid_neighbour(folder, capsys):
    (folder / "c.toml").write_bytes(b'preset = "\xff"\n')
    refused(["sweep", "--quiet", "c.toml"], folder, capsys, "is not UTF-8")
    (folder / "c.toml").write_text('preset = "mild"\nduration_s = 0.5\nout = "t.nc"\n[param]\n"reflex.gain" = [1.0]\n')
    works(["sweep", "--quiet", "c.toml"], capsys)
    assert load(folder / "t.nc").attrs["duration_s"] == 0.5


# --------------------------------------------------------------------------------------------- the API


API_CASES = [
    (lambda: rs.simulate(SEVERE, duration_s=True), "duration_s = True is not a number"),
    (lambda: rs.simulate(SEVERE, max_dt_s="x"), "max_dt_s = 'x' is not a number"),
    (lambda: rs.Model(reflex=5), "reflex must be a Reflex section"),
    (lambda: rs.Model(name=5), "name must be a str"),
    (lambda: rs.ClonusTest(hold_torque_nm=math.nan), "protocol.hold_torque_nm = nan is not finite"),
    (lambda: sweep(SEVERE, {"reflex.gain": ["a"]}), "is not a list of numbers"),
    (lambda: sweep(SEVERE, {"reflex.gain": True}), "is not a list of numbers"),
    (lambda: sweep(SEVERE, {"reflex.gain": "1_0"}), "is not a number"),
    (lambda: sweep(SEVERE, {5: [1.0]}), "a sweep key is a parameter path"),
    (lambda: sweep(SEVERE, 5), "takes a mapping"),
    (lambda: sweep("severe", {"reflex.gain": [1.0]}), "model must be a reflexsim Model"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, catch_torque_nm=math.nan), "catch_torque_nm = nan is outside"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, slight_torque_nm="x"), "slight_torque_nm = 'x' is not a number"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, duration_s=0.01), "duration_s = 0.01 is outside its valid range"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, chunk_size=1.5), "chunk_size = 1.5 must be a positive integer"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, kernel_name=5), "kernel = 5"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, out=5), "is not a file name"),
    (lambda: sweep(SEVERE, {"reflex.gain": [1.0]}, treatments="botox"), "treatments must be a list"),
    (lambda: latin_hypercube({"reflex.gain": (0, 4, 99)}, 4), "must be 'lo:hi' or a pair"),
    (lambda: latin_hypercube({"reflex.gain": 5}, 4), "must be 'lo:hi' or a pair"),
    (lambda: latin_hypercube({"reflex.gain": (0, 4)}, 10**12), "points fit"),
    (lambda: latin_hypercube({"reflex.gain": (0, 4)}, True), "samples = True must be a positive integer"),
    (lambda: treatments.apply_all(SEVERE, [5]), "a treatment is written NAME"),
    (lambda: treatments.apply_all(SEVERE, "botox"), "treatments must be a list"),
    (lambda: treatments.apply(SEVERE, "botox", weeks=True), "botox:weeks = True is not a number"),
    (lambda: treatments.apply(SEVERE, "botox", weeks="3"), "botox:weeks = '3' is not a number"),
    (lambda: rerun("missing.nc"), "no such file"),
]


@pytest.mark.parametrize(("call", "fragment"), API_CASES)
def test_api_bad_inputs_raise_one_reflexsim_error(call, fragment, folder):
    with pytest.raises(rs.ReflexsimError) as err:
        call()
    assert fragment in str(err.value) and "\n" not in str(err.value)
    assert files(folder) == set()


def test_rerun_of_a_file_that_is_not_a_sweep(folder):
    (folder / "notsweep.txt").write_text("hello\n")
    with pytest.raises(SweepError, match="is not a readable sweep file"):
        rerun(folder / "notsweep.txt")


# --------------------------------------------------------------------------------------------- 10. the step


def test_random_points_in_the_documented_box_run_at_the_default_step_choice():
    """Without a step, every point of the documented box gets one (about 31 % need less than
    0.5 ms); a sweep records it per point and agrees with simulate."""
    rng = np.random.default_rng(3)
    points = []
    for _ in range(12):
        values = {}
        for path in PATHS:
            info = describe(path)
            hi = info.hi if math.isfinite(info.hi) else info.lo + 1.0
            values[path] = float(rng.uniform(info.lo, hi))
        points.append(values)
    steps = []
    for values in points:
        model = rs.Model().with_values(values)
        try:
            steps.append(choose_step(model, rs.ClonusTest())[0])
        except rs.SimulationError as exc:  # a stiffness beyond any step of at least 1 µs: said so
            assert "no step of at least" in str(exc)
    assert steps and all(DEFAULT_DT_S / s == 2 ** round(math.log2(DEFAULT_DT_S / s)) for s in steps)
    assert any(s < DEFAULT_DT_S for s in steps)


@pytest.mark.parametrize("name", ["mild", "severe"])
def test_the_top_of_the_documented_dt_range_runs_and_reports_its_step(name, capsys):
    argv = ["clonus-test", "--no-plot", "--json", "--duration", "2", "--preset", name, "--dt", str(MAX_DT_S)]
    payload = json.loads(works(argv, capsys))
    assert payload["dt_s"] <= MAX_DT_S
    assert payload["dt_s"] == choose_step(rs.preset(name), rs.ClonusTest(), MAX_DT_S)[0]


def test_an_automatic_sweep_step_equals_simulate(folder):
    stiff = {"muscle.passive_exponent": 14.0, "muscle.optimal_fibre_length_m": 0.03}  # needs 0.125 ms
    model = SEVERE.with_values(stiff)
    ds = sweep(model, {"reflex.gain": [2.0, 6.5]}, duration_s=0.5, kernel_name="exact")
    for i, gain in enumerate((2.0, 6.5)):
        result = rs.simulate(model.with_values({"reflex.gain": gain}), duration_s=0.5)
        assert float(ds.step_s[i]) == result.dt_s < DEFAULT_DT_S
        assert float(ds.beats[i]) == rs.clonus_metrics(result).beats


# --------------------------------------------------------------------------------------------- 2. one output


SMALL = {"reflex.gain": [0.0, 3.0, 6.5, 8.0]}


def test_two_sweeps_on_one_output_at_once(folder, capsys):
    """The second sweep on the same --out is refused in one line while the first runs; the first's
    file is the same as an undisturbed run's."""
    started, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first_sweep():
        def hold(report):
            started.set()
            release.wait(60)

        try:
            results["ds"] = sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1, out=folder / "s.nc", on_chunk=hold)
        except BaseException as exc:
            results["error"] = exc

    thread = threading.Thread(target=first_sweep)
    thread.start()
    try:
        assert started.wait(120)
        with pytest.raises(SweepError, match="another sweep is writing"):
            sweep(SEVERE, {"reflex.gain": [1.0]}, duration_s=0.5, out=folder / "s.nc")  # a different sweep
        with pytest.raises(SweepError, match="another sweep is writing"):
            sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1, out=folder / "s.nc")  # the same one
        refused([*SW, "--param", "reflex.gain=0,3,6.5,8"], folder, capsys, "another sweep is writing")
    finally:
        release.set()
        thread.join(120)
    assert "error" not in results, results.get("error")
    alone = sweep(SEVERE, SMALL, duration_s=0.5)
    xr.testing.assert_identical(load(folder / "s.nc").drop_attrs(), alone.drop_attrs())
    assert files(folder) == {"s.nc"}  # no lock file, no checkpoint left


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped byte", "wrong row count", "other sweep"])
def test_a_damaged_chunk_is_computed_again_with_a_note(damage, folder, interrupt_after):
    out = folder / "s.nc"
    whole = sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1)
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1, out=out, on_chunk=interrupt_after(2))
    chunk = sorted((folder / "s.nc.checkpoint").glob("chunk-*.npz"))[0]
    data = chunk.read_bytes()
    if damage == "empty":
        chunk.write_bytes(b"")
    elif damage == "truncated":
        chunk.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":
        i = len(data) // 3
        chunk.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])
    else:
        with np.load(chunk) as z:
            fields = {k: z[k] for k in z.files}
        if damage == "wrong row count":
            fields.update({k: fields[k][:0] for k in ("metrics", "status", "failed_at_s", "dt_s")})
        else:
            fields["digest"] = np.array("0123456789abcdef")
        with open(chunk, "wb") as f:
            np.savez(f, **fields)
    resumed = []
    with pytest.warns(SweepNote, match="computed again"):
        ds = sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1, out=out, on_chunk=lambda r: resumed.append(r.index))
    assert len(resumed) >= 3  # the damaged chunk and the two never finished
    xr.testing.assert_identical(ds.drop_attrs(), whole.drop_attrs())
    assert files(folder) == {"s.nc"}


def test_a_damaged_chunk_through_the_command_is_a_note_line(folder, capsys, interrupt_after):
    argv = [*SW, "--param", "reflex.gain=0,3,6.5,8", "--chunk-size", "1"]
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=1, out=folder / "s.nc", on_chunk=interrupt_after(1))
    next((folder / "s.nc.checkpoint").glob("chunk-*.npz")).write_bytes(b"garbage")
    code, out, err = run(argv, capsys)
    assert code == 0 and "Traceback" not in err
    assert err.startswith("reflexsim: note: checkpoint chunk chunk-0000000.npz is unusable")
    assert "4 points: 4 ok" in out


# --------------------------------------------------------------------------------------------- generated


def _plain_number(text: str) -> bool:
    try:
        rs.params.number_from_text(text)
    except ValueError:
        return False
    return True


_ODD = "abcxyz_#'\"[]{}\\/é"
# Text that is never a number nor a value list: it holds at least one character no number has.
JUNK = st.text(alphabet=_ODD + "-+.,:;eE0123456789 ", min_size=1, max_size=10).filter(
    lambda t: any(c in _ODD for c in t) and not _plain_number(t)
)


def _outside(lo: float, hi: float):
    below = st.floats(max_value=lo, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = (
        st.floats(min_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False)
        if math.isfinite(hi)
        else st.nothing()
    )
    outside = st.one_of(below, above).filter(lambda x: not lo <= x <= hi)
    return st.one_of(outside, st.just(math.nan)).map(repr)


def bad_value(path: str):
    info = describe(path)
    return st.one_of(JUNK, _outside(info.lo, info.hi))


@st.composite
def bad_model_option(draw):
    """One bad --set, --treatment or --preset argument."""
    kind = draw(st.sampled_from(["set", "set-path", "treatment", "preset"]))
    if kind == "set":
        path = draw(st.sampled_from(PATHS))
        return ["--set", f"{path}={draw(bad_value(path))}"]
    if kind == "set-path":
        return ["--set", f"{draw(JUNK)}=1"]
    if kind == "treatment":
        name = draw(st.sampled_from(sorted(treatments.TREATMENTS)))
        keys = treatments.get(name).keys
        if not keys:
            return ["--treatment", f"{name}:x=1"]
        key = draw(st.sampled_from(keys))
        return ["--treatment", f"{name}:{key.name}={draw(st.one_of(JUNK, _outside(key.lo, key.hi)))}"]
    return ["--preset", draw(JUNK)]


GENERATED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@GENERATED
@given(bad=bad_model_option(), command=st.sampled_from(["clonus-test", "tardieu", "stability", "animate"]))
def test_generated_bad_model_options(bad, command, folder, capsys):
    refused([command, *bad], folder, capsys)


@st.composite
def bad_number_option(draw):
    option, lo, hi = draw(
        st.sampled_from([("--duration", 0.5, 3600.0), ("--dt", 1e-6, 5e-3), ("--hold-torque-nm", 0.0, 150.0)])
    )
    return [option, draw(st.one_of(JUNK, _outside(lo, hi)))]


@GENERATED
@given(bad=bad_number_option())
def test_generated_bad_clonus_test_numbers(bad, folder, capsys):
    refused(["clonus-test", "--no-plot", *bad], folder, capsys)


@st.composite
def bad_sweep_param(draw):
    path = draw(st.sampled_from(PATHS))
    info = describe(path)
    spec = draw(
        st.one_of(
            JUNK,
            _outside(info.lo, info.hi),
            st.tuples(_outside(info.lo, info.hi), st.integers(1, 5)).map(lambda t: f"{t[0]}:{t[0]}:{t[1]}"),
            st.integers(-5, 0).map(lambda n: f"{info.lo}:{info.lo}:{n}"),
        )
    )
    return ["--param", f"{path}={spec}"]


@GENERATED
@given(bad=bad_sweep_param(), design=st.sampled_from(["grid", "zip", "lhs"]))
def test_generated_bad_sweep_params(bad, design, folder, capsys):
    extra = ["--samples", "4"] if design == "lhs" else []
    refused([*SW, "--design", design, *extra, *bad], folder, capsys)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return (
            repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


WRONG = st.one_of(
    st.booleans(),
    JUNK,
    st.lists(JUNK, min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), min_size=1, max_size=2),
)
BAD_TOML = {
    "preset": st.one_of(WRONG, st.integers()),
    "treatments": st.one_of(st.booleans(), st.integers(), st.lists(st.integers(), min_size=1, max_size=2)),
    "design": st.one_of(WRONG, st.integers()),
    "samples": st.one_of(WRONG, st.integers(max_value=0), st.floats(allow_nan=False)),
    "seed": st.one_of(WRONG, st.integers(max_value=-1), st.floats(allow_nan=False)),
    "duration_s": st.one_of(WRONG, _outside(0.5, 3600.0).map(float)),
    "dt_s": st.one_of(WRONG, _outside(1e-6, 5e-3).map(float)),
    "kernel": st.one_of(WRONG, st.integers()),
    "chunk_size": st.one_of(WRONG, st.integers(max_value=0)),
    "out": st.one_of(st.booleans(), st.integers(), st.lists(st.integers(), min_size=1)),
    "dask": st.one_of(st.booleans(), st.integers(), st.lists(st.integers(), min_size=1)),
    "fixed_step": st.one_of(st.integers(), JUNK),
}


@st.composite
def bad_toml(draw):
    key = draw(st.sampled_from([*BAD_TOML, "set", "protocol", "param"]))
    lines = []
    if key in BAD_TOML:
        lines.append(f"{key} = {_toml(draw(BAD_TOML[key]))}")
        lines += ["[param]", '"reflex.gain" = [1.0]']
    elif key == "set":
        path = draw(st.sampled_from(PATHS))
        lines += [
            "[set]",
            f'"{path}" = {_toml(draw(st.one_of(WRONG, _outside(describe(path).lo, describe(path).hi).map(float))))}',
        ]
        lines += (
            ["[param]", '"reflex.delay_s" = [0.04]']
            if path != "reflex.delay_s"
            else ["[param]", '"reflex.gain" = [1.0]']
        )
    elif key == "protocol":
        lines += ["[protocol]", f"hold_torque_nm = {_toml(draw(st.one_of(WRONG, _outside(0.0, 150.0).map(float))))}"]
        lines += ["[param]", '"reflex.gain" = [1.0]']
    else:
        lines += ["[param]", f'"reflex.gain" = {_toml(draw(st.one_of(WRONG, _outside(0.0, 40.0).map(float))))}']
    return "\n".join(lines) + "\n"


@GENERATED
@given(text=bad_toml())
def test_generated_bad_toml_documents(text, folder, capsys):
    (folder / "c.toml").write_text(text)
    refused(["sweep", "--quiet", "c.toml"], folder, capsys)

"""Count how reflexsim treats bad input: tried / refused cleanly / unclean / silent / traceback.

    python benchmarks/bad_inputs.py            # every case, one summary line per outcome
    python benchmarks/bad_inputs.py -v         # and one line per case that is not refused cleanly

A bad input is refused cleanly when the command exits with status 2 (130 for Ctrl-C), prints
exactly one line on stderr without "Traceback" and leaves no file behind; "unclean" is exit 2 with
more than one line or a file left; "silent" is a bad input accepted (exit 0, or wrong output such
as non-strict JSON); "traceback" is an exception escaping. API cases count a ReflexsimError as
clean. Commands run in this process (numba's cache loaded once) except Ctrl-C and two sweeps at
once, which run as subprocesses. Disk-full cases need a small tmpfs (root); they are skipped
without one.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import numpy as np

import reflexsim as rs
from reflexsim import treatments
from reflexsim.cli import main

SWEEP = ["sweep", "--quiet", "--duration", "0.5"]
GRID = ["--param", "reflex.gain=0,3"]


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_cli(argv: list[str], folder: Path) -> tuple[int | str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | str = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = "traceback"
    return code, out.getvalue(), err.getvalue()


def run_cli_with_timeout(argv: list[str], folder: Path, timeout: float) -> tuple[int | str, str, str]:
    """In a subprocess, for inputs that may never finish: 'hang' after `timeout` seconds."""
    cmd = [sys.executable, "-c", "import sys; from reflexsim.cli import main; sys.exit(main(sys.argv[1:]))", *argv]
    try:
        proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=timeout, env=subprocess_env())
    except subprocess.TimeoutExpired:
        return "hang", "", ""
    return proc.returncode, proc.stdout, proc.stderr


def judge(code, out: str, err: str, left: set[str], expect: int = 2, check_out=None) -> str:
    if code == "traceback" or "Traceback" in err:
        return "traceback"
    if code == "hang":
        return "hang (no bound on the work)"
    if code == 0:
        if check_out is not None and not check_out(out):
            return "silent"
        return "silent" if check_out is None else "ok-valid"
    lines = [line for line in err.splitlines() if line.strip()]
    if code == expect and len(lines) == 1 and not left:
        return "clean"
    return "unclean"


def strict_json(text: str) -> bool:
    def refuse(token):
        raise ValueError(token)

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------- the cases


def cli_cases() -> list[tuple[str, list[str], dict]]:
    """(label, argv, options): options may hold setup(folder), check_out(stdout), expect."""
    ct = ["clonus-test", "--no-plot", "--duration", "1"]
    cases: list[tuple[str, list[str], dict]] = []

    def add(label, argv, **opt):
        cases.append((label, argv, opt))

    for value in ("abc", "-1", "nan", "inf", "1e999", "1_0", "0x10", "", " ", "1,2", "true", "100"):
        add(f"clonus-test --set reflex.gain={value!r}", [*ct, "--set", f"reflex.gain={value}"])
    for item in ("reflex.gian=2", "reflex.gain", "=3", "reflex=3", "reflex.gain.x=3", "foot.mass_kg=0.01"):
        add(f"clonus-test --set {item}", [*ct, "--set", item])
    for opt, value in (
        ("--duration", "-3"),
        ("--duration", "0"),
        ("--duration", "0.1"),
        ("--duration", "ten"),
        ("--duration", "nan"),
        ("--duration", "inf"),
        ("--duration", "1e9"),
        ("--duration", "1_0"),
        ("--dt", "0"),
        ("--dt", "1e-9"),
        ("--dt", "1"),
        ("--dt", "nan"),
        ("--hold-torque-nm", "900"),
        ("--hold-torque-nm", "-1"),
        ("--hold-torque-nm", "x"),
        ("--stretch-deg", "500"),
        ("--velocity-deg-per-s", "0"),
        ("--velocity-deg-per-s", "1_00"),
        ("--preset", "moderate"),
    ):
        add(f"clonus-test {opt} {value}", [*ct, opt, value])
    add(
        "clonus-test --duration 3600 --dt 1e-6 (memory)",
        ["clonus-test", "--no-plot", "--duration", "3600", "--dt", "1e-6"],
    )
    for spec in (
        "botox:week=3",
        "botox:weeks=abc",
        "botox:weeks=1_0",
        "botox:weeks=200",
        "botox:weeks=nan",
        "botox:weeks=inf",
        "botox:weeks",
        "nope",
        "",
        ":",
        "botox:weeks=3,weeks=4",
        "botox:weeks=true",
    ):
        add(f"clonus-test --treatment {spec!r}", [*ct, "--treatment", spec])
    add("clonus-test --plot out.xyz", ["clonus-test", "--duration", "1", "--plot", "out.xyz"])
    add("clonus-test --plot FILE/x.png", ["clonus-test", "--duration", "1", "--plot", "FILE/x.png"], setup=make_file)
    add("clonus-test --plot ro/x.png", ["clonus-test", "--duration", "1", "--plot", "ro/x.png"], setup=make_readonly)
    add("clonus-test --plot ''", ["clonus-test", "--duration", "1", "--plot", ""])
    add(
        "clonus-test --json --set orthosis.stop_angle_rad=inf (strict JSON)",
        [*ct, "--json", "--set", "orthosis.stop_angle_rad=inf"],
        check_out=strict_json,
    )

    for cmd in ("tardieu", "stability"):
        add(f"{cmd} --set reflex.gain=x", [cmd, "--set", "reflex.gain=x"])
        add(f"{cmd} --set reflex.gain=1_0", [cmd, "--set", "reflex.gain=1_0"])
        add(f"{cmd} --treatment nope", [cmd, "--treatment", "nope"])
        add(f"{cmd} --preset bad", [cmd, "--preset", "bad"])
    st = ["stability", "--boundary"]
    for b in (
        "reflex.delay=0.01:0.1:5",
        "reflex.delay_s=0.01:0.1",
        "reflex.delay_s",
        "reflex.delay_s=0.01:0.1:0",
        "reflex.delay_s=0.01:0.1:-3",
        "reflex.delay_s=0.01:0.1:1_0",
        "reflex.delay_s=0.01:0.1:100000000",
        "reflex.delay_s=0.01:9:3",
        "reflex.gain=1:2:3",
        "reflex.delay_s=a,b",
    ):
        add(f"stability --boundary {b}", [*st, b], timeout=60 if b.endswith("100000000") else None)
    add("stability --hold-torque-nm 900", ["stability", "--hold-torque-nm", "900"])
    add("stability --out nodir/h.csv", [*st, "reflex.delay_s=0.03:0.05:2", "--out", "nodir/h.csv"])
    add("stability --out FILE/h.csv", [*st, "reflex.delay_s=0.03:0.05:2", "--out", "FILE/h.csv"], setup=make_file)
    add("stability --plot out.xyz", [*st, "reflex.delay_s=0.03:0.05:2", "--plot", "out.xyz"])
    add("stability --out ro/h.csv", [*st, "reflex.delay_s=0.03:0.05:2", "--out", "ro/h.csv"], setup=make_readonly)

    an = ["animate", "--seconds", "0.5"]
    add("animate --out FILE/x.gif", [*an, "--out", "FILE/x.gif"], setup=make_file)
    add("animate --out x.xyz", [*an, "--out", "x.xyz"])
    add("animate --out ro/x.gif", [*an, "--out", "ro/x.gif"], setup=make_readonly)
    add("animate --seconds 0", ["animate", "--seconds", "0"])
    add("animate --fps 1", ["animate", "--fps", "1"])
    add("animate --exaggerate 0", ["animate", "--exaggerate", "0"])
    add("animate --treatment nope", [*an, "--treatment", "nope"])
    add("params --preset bad", ["params", "--preset", "bad"])
    add("experiment run nope", ["experiment", "run", "nope"])
    add("no command", [])
    add("unknown command", ["frobnicate"])

    out = ["--out", "s.nc"]
    add(
        "sweep --treatment rhizotomy:fraction=1 --param reflex.gain=0,6.5",
        [*SWEEP, "--treatment", "rhizotomy:fraction=1", "--param", "reflex.gain=0,6.5", *out],
    )
    add(
        "sweep --treatment botox:weeks=3 --param muscle.max_force_n=1000,5790",
        [*SWEEP, "--treatment", "botox:weeks=3", "--param", "muscle.max_force_n=1000,5790", *out],
    )
    add("sweep --param K=.. --param K=..", [*SWEEP, *GRID, "--param", "reflex.gain=1,2", *out])
    for p in (
        "reflex.gain=1_0",
        "reflex.gain=0:1:0",
        "reflex.gain=abc",
        "reflex.gain=",
        "reflex.gian=1",
        "treatment.botox=1",
        "treatment.botox.weeks=1_0",
        "protocol.x=1",
        "protocol.hold_torque_nm=900",
        "reflex.gain=0:100:3",
        "reflex.gain=0:4:1_0",
        "reflex.gain=0:1:100000000000",
        "reflex.gain=nan",
        "reflex.gain=inf",
        "reflex.gain=1,,2",
        "=1",
    ):
        add(f"sweep --param {p}", [*SWEEP, "--param", p, *out], timeout=120 if p.endswith("0000000") else None)
    add(
        "sweep 100000x100000 grid",
        [*SWEEP, "--param", "reflex.gain=0:4:100000", "--param", "reflex.delay_s=0.01:0.1:100000", *out],
        timeout=120,
    )
    lhs = [*SWEEP, "--design", "lhs", "--param", "reflex.gain=0:4", *out]
    add("sweep lhs --samples 1e12", [*lhs, "--samples", "1000000000000"], timeout=120)
    add("sweep lhs (no samples)", lhs)
    add("sweep lhs --samples -1", [*lhs, "--samples", "-1"])
    add("sweep lhs --samples x", [*lhs, "--samples", "x"])
    add("sweep lhs --seed -1", [*lhs, "--samples", "4", "--seed", "-1"])
    add(
        "sweep lhs range with 3 numbers",
        [*SWEEP, "--design", "lhs", "--samples", "4", "--param", "reflex.gain=0:4:99", *out],
    )
    add(
        "sweep sobol --samples 10", [*SWEEP, "--design", "sobol", "--samples", "10", "--param", "reflex.gain=0:4", *out]
    )
    add("sweep zip unequal", [*SWEEP, "--design", "zip", *GRID, "--param", "reflex.delay_s=0.02,0.03,0.04", *out])
    add("sweep grid with lo:hi", [*SWEEP, "--param", "reflex.gain=0:4", *out])
    for opt, value in (
        ("--duration", "0.1"),
        ("--duration", "x"),
        ("--dt", "1"),
        ("--chunk-size", "0"),
        ("--chunk-size", "-5"),
        ("--chunk-size", "x"),
        ("--dask", "local:0"),
        ("--dask", "local:x"),
        ("--kernel", "bad"),
        ("--protocol", "hold_torque_nm=900"),
        ("--protocol", "foo=1"),
        ("--protocol", "hold_torque_nm=abc"),
        ("--protocol", "hold_torque_nm"),
        ("--set", "reflex.gain=1_0"),
        ("--set", "reflex.gain=x"),
        ("--treatment", "nope"),
        ("--preset", "bad"),
        ("--design", "bad"),
    ):
        add(f"sweep {opt} {value}", [*SWEEP, *GRID, *out, opt, value])
    add("sweep --out nodir/x.nc", [*SWEEP, *GRID, "--out", "nodir/x.nc"])
    add("sweep --out FILE/x.nc", [*SWEEP, *GRID, "--out", "FILE/x.nc"], setup=make_file)
    add("sweep --out ro/x.nc", [*SWEEP, *GRID, "--out", "ro/x.nc"], setup=make_readonly)
    add("sweep --out DIR (a folder)", [*SWEEP, *GRID, "--out", "ro"], setup=make_readonly)
    add("sweep --out not-a-sweep existing", [*SWEEP, *GRID, "--out", "FILE"], setup=make_file)
    add("sweep (nothing to sweep)", [*SWEEP, *out])
    add("sweep missing config", [*SWEEP, "missing.toml"])
    add("sweep config is a folder", [*SWEEP, "ro"], setup=make_readonly)

    for label, text in TOML_CASES:
        add(f"sweep TOML {label}", [*SWEEP, "c.toml"], setup=toml_writer(text))
    add("sweep TOML non-UTF-8", [*SWEEP, "c.toml"], setup=lambda f: (f / "c.toml").write_bytes(b'preset = "\xff"\n'))
    return cases


TOML_CASES = [
    ("[set] reflex.gain = true", '[set]\n"reflex.gain" = true\n[param]\n"reflex.delay_s" = [0.03]\nout = "s.nc"\n'),
    ("[param] reflex.gain = ['a','b']", '[param]\n"reflex.gain" = ["a", "b"]\n'),
    ("[param] reflex.gain = true", '[param]\n"reflex.gain" = true\n'),
    ("[param] reflex.gain = [[1]]", '[param]\n"reflex.gain" = [[1.0]]\n'),
    ("[param] reflex.gain = []", '[param]\n"reflex.gain" = []\n'),
    ("[param] reflex.gain = {a=1}", '[param]\n"reflex.gain" = {a = 1}\n'),
    ("treatments = [5]", 'treatments = [5]\n[param]\n"reflex.gain" = [1.0]\n'),
    ("treatments = 'botox'", 'treatments = "botox"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("out = 5", 'out = 5\n[param]\n"reflex.gain" = [1.0]\n'),
    ("dask = 5", 'dask = 5\n[param]\n"reflex.gain" = [1.0]\n'),
    ("lhs with [param] reflex.gain = 5", 'design = "lhs"\nsamples = 4\n[param]\n"reflex.gain" = 5\n'),
    ("lhs with [param] reflex.gain = [0,4,99]", 'design = "lhs"\nsamples = 4\n[param]\n"reflex.gain" = [0, 4, 99]\n'),
    ("duration_s = 0.01", 'duration_s = 0.01\nout = "s.nc"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("duration_s = 'abc'", 'duration_s = "abc"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("duration_s = true", 'duration_s = true\n[param]\n"reflex.gain" = [1.0]\n'),
    ("dt_s = true", 'dt_s = true\n[param]\n"reflex.gain" = [1.0]\n'),
    ("dt_s = 1", 'dt_s = 1\n[param]\n"reflex.gain" = [1.0]\n'),
    ("samples = 'x'", 'design = "lhs"\nsamples = "x"\n[param]\n"reflex.gain" = "0:4"\n'),
    ("samples = 4.5", 'design = "lhs"\nsamples = 4.5\n[param]\n"reflex.gain" = "0:4"\n'),
    ("seed = 1.5", 'design = "lhs"\nsamples = 4\nseed = 1.5\n[param]\n"reflex.gain" = "0:4"\n'),
    ("chunk_size = 'x'", 'chunk_size = "x"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("chunk_size = 0", 'chunk_size = 0\n[param]\n"reflex.gain" = [1.0]\n'),
    ("preset = 5", 'preset = 5\n[param]\n"reflex.gain" = [1.0]\n'),
    ("preset = 'bad'", 'preset = "bad"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("kernel = 5", 'kernel = 5\n[param]\n"reflex.gain" = [1.0]\n'),
    ("design = 5", 'design = 5\n[param]\n"reflex.gain" = [1.0]\n'),
    ("[protocol] hold_torque_nm = 'x'", '[protocol]\nhold_torque_nm = "x"\n[param]\n"reflex.gain" = [1.0]\n'),
    ("[protocol] hold_torque_nm = true", '[protocol]\nhold_torque_nm = true\n[param]\n"reflex.gain" = [1.0]\n'),
    ("[set] reflex.gain = [1]", '[set]\n"reflex.gain" = [1]\n[param]\n"reflex.delay_s" = [0.03]\n'),
    ("[set] reflex.gain = '1_0'", '[set]\n"reflex.gain" = "1_0"\n[param]\n"reflex.delay_s" = [0.03]\n'),
    ("unknown key", 'colour = "red"\n'),
    ("bad syntax", "[param\n"),
    ("param not a table", 'param = "reflex.gain"\n'),
    ("nested [set.reflex]", '[set.reflex]\ngain = 3\n[param]\n"reflex.delay_s" = [0.03]\n'),
    ("empty file", ""),
]


def toml_writer(text):
    return lambda folder: (folder / "c.toml").write_text(text)


def make_file(folder: Path) -> None:
    (folder / "FILE").write_text("not a folder\n")


def make_readonly(folder: Path) -> None:
    """A read-only folder: a read-only tmpfs where mounting works (root ignores permission bits)."""
    ro = folder / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True, check=False)


def unmount_readonly(folder: Path) -> None:
    ro = folder / "ro"
    if ro.exists():
        subprocess.run(["umount", str(ro)], capture_output=True, check=False)
        ro.chmod(0o755)


def api_cases() -> list[tuple[str, object]]:
    from reflexsim import sweep as sweep_module

    m = rs.preset("severe")
    sw = sweep_module.sweep
    small = {"reflex.gain": [1.0]}
    return [
        ("simulate(m, duration_s=True)", lambda: rs.simulate(m, duration_s=True)),
        ("simulate(m, dt_s='x')", lambda: rs.simulate(m, dt_s="x")),
        ("simulate(m, protocol=5)", lambda: rs.simulate(m, 5)),
        ("simulate(5)", lambda: rs.simulate(5)),
        ("Model(reflex=5)", lambda: rs.Model(reflex=5)),
        ("Model(name=5)", lambda: rs.Model(name=5)),
        ("m.with_values({'reflex.gain': True})", lambda: m.with_values({"reflex.gain": True})),
        ("m.with_values({'reflex.gain': '3'})", lambda: m.with_values({"reflex.gain": "3"})),
        ("ClonusTest(hold_torque_nm=nan)", lambda: rs.ClonusTest(hold_torque_nm=math.nan)),
        ("sweep(m, {'reflex.gain': ['a']})", lambda: sw(m, {"reflex.gain": ["a"]})),
        ("sweep(m, {'reflex.gain': [[1, 2], [3, 4]]})", lambda: sw(m, {"reflex.gain": [[1, 2], [3, 4]]})),
        ("sweep(m, {'reflex.gain': True})", lambda: sw(m, {"reflex.gain": True})),
        ("sweep(m, {'reflex.gain': '1_0'}) (silent 10)", lambda: sw(m, {"reflex.gain": "1_0"}, duration_s=0.5)),
        ("sweep(m, {5: [1]})", lambda: sw(m, {5: [1.0]})),
        ("sweep(m, ..., catch_torque_nm=nan)", lambda: sw(m, small, catch_torque_nm=math.nan, duration_s=0.5)),
        ("sweep(m, ..., slight_torque_nm='x')", lambda: sw(m, small, slight_torque_nm="x", duration_s=0.5)),
        ("sweep(m, ..., duration_s=True)", lambda: sw(m, small, duration_s=True)),
        ("sweep(m, ..., chunk_size=1.5)", lambda: sw(m, small, chunk_size=1.5, duration_s=0.5)),
        ("sweep(m, ..., kernel_name=5)", lambda: sw(m, small, kernel_name=5)),
        ("sweep(m, ..., protocol='x')", lambda: sw(m, small, protocol="x")),
        ("sweep(m, ..., beat_threshold_deg='x')", lambda: sw(m, small, beat_threshold_deg="x")),
        ("sweep(m, ..., out=5)", lambda: sw(m, small, out=5, duration_s=0.5)),
        ("sweep('severe', ...)", lambda: sw("severe", small)),
        ("sweep(m, 5)", lambda: sw(m, 5)),
        (
            "latin_hypercube({'reflex.gain': (0, 4, 99)})",
            lambda: sweep_module.latin_hypercube({"reflex.gain": (0, 4, 99)}, 4),
        ),
        ("latin_hypercube({'reflex.gain': 5})", lambda: sweep_module.latin_hypercube({"reflex.gain": 5}, 4)),
        ("latin_hypercube(..., samples=10**12)", lambda: sweep_module.latin_hypercube({"reflex.gain": (0, 4)}, 10**12)),
        ("grid({'reflex.gain': 'a:b:c'})", lambda: sweep_module.grid({"reflex.gain": "a:b:c"})),
        ("treatments.apply_all(m, [5])", lambda: treatments.apply_all(m, [5])),
        ("treatments.apply_all(m, 'botox')", lambda: treatments.apply_all(m, "botox")),
        ("treatments.apply(m, 'botox', weeks=True)", lambda: treatments.apply(m, "botox", weeks=True)),
        ("treatments.apply(m, 'botox', weeks='3')", lambda: treatments.apply(m, "botox", weeks="3")),
        ("rerun('notsweep.txt')", "rerun_text"),
        ("rerun('missing.nc')", lambda: sweep_module.rerun("missing.nc")),
        ("load('notsweep.txt')", "load_text"),
    ]


def run_api(label, fn, folder: Path) -> str:
    from reflexsim import sweep as sweep_module

    if fn == "rerun_text":
        (folder / "notsweep.txt").write_text("hello\n")
        fn = lambda: sweep_module.rerun(folder / "notsweep.txt")  # noqa: E731
    elif fn == "load_text":
        (folder / "notsweep.txt").write_text("hello\n")
        fn = lambda: sweep_module.load(folder / "notsweep.txt")  # noqa: E731
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            fn()
    except rs.ReflexsimError as exc:
        return "clean" if "\n" not in str(exc) else "unclean"
    except Exception:
        return "traceback"
    return "silent"


# --------------------------------------------------------------------------------------------- special cases


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def ctrl_c(argv: list[str], folder: Path, after_s: float) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from reflexsim.cli import main; sys.exit(main(sys.argv[1:]))", *argv],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),  # a shell's & ignores it
        env=subprocess_env(),
    )
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    if "Traceback" in err:
        return "traceback"
    lines = [line for line in err.splitlines() if line.strip()]
    return "clean" if proc.returncode == 130 and len(lines) == 1 else f"unclean (exit {proc.returncode})"


def two_sweeps(folder: Path, same: bool) -> str:
    """Start two sweeps on one --out together; a clean outcome: one refuses in one line, the other writes."""
    base = [sys.executable, "-m", "reflexsim.cli", *SWEEP, "--chunk-size", "2", "--out", "s.nc"]
    a = [*base, "--param", "reflex.gain=0:6:8"]
    b = a if same else [*base, "--param", "reflex.gain=0:6:8", "--protocol", "hold_torque_nm=20"]
    procs = [
        subprocess.Popen(
            cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env()
        )
        for cmd in (a, b)
    ]
    results = [(*p.communicate(timeout=300), p.returncode) for p in procs]
    if any("Traceback" in err for _, err, _ in results):
        return "traceback"
    codes = sorted(code for _, _, code in results)
    if codes == [0, 0]:
        return "silent"
    if codes == [0, 2] and all(len(err.strip().splitlines()) <= 1 for _, err, _ in results):
        return "clean"
    return f"unclean (exits {codes})"


def damaged_chunk(folder: Path, how: str) -> str:
    """Interrupt a sweep after two chunks, damage one, resume: clean = resumed with exit 0 and the same file."""
    from reflexsim import sweep as sweep_module

    argv = [*SWEEP, "--param", "reflex.gain=0:6:6", "--chunk-size", "2", "--out", "s.nc"]
    whole = sweep_module.sweep(rs.preset("severe"), {"reflex.gain": np.linspace(0, 6, 6)}, duration_s=0.5)
    calls = []

    def stop(report):
        calls.append(report)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with contextlib.suppress(KeyboardInterrupt):
        sweep_module.sweep(
            rs.preset("severe"),
            {"reflex.gain": np.linspace(0, 6, 6)},
            duration_s=0.5,
            chunk_size=2,
            out=folder / "s.nc",
            on_chunk=stop,
        )
    chunks = sorted((folder / "s.nc.checkpoint").glob("chunk-*.npz"))
    target = chunks[0]
    data = target.read_bytes()
    if how == "empty":
        target.write_bytes(b"")
    elif how == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif how == "flipped byte":
        i = len(data) // 2
        target.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])
    elif how == "wrong row count":
        with np.load(target) as z:
            fields = {k: z[k] for k in z.files}
        for k in ("metrics", "status", "failed_at_s"):
            fields[k] = fields[k][:1]
        with open(target, "wb") as f:
            np.savez(f, **fields)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        code, _out, err = run_cli(argv, folder)
    finally:
        os.chdir(cwd)
    if code == "traceback" or "Traceback" in err:
        return "traceback"
    if code != 0:
        return f"unclean (exit {code})"
    got = sweep_module.load(folder / "s.nc")
    same = all(np.array_equal(got[v].values, whole[v].values, equal_nan=True) for v in ("beats", "status"))
    return "clean" if same else "silent"


def disk_full(folder: Path) -> list[tuple[str, str]]:
    mnt = folder / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        return [("disk full (no tmpfs: skipped)", "skipped")]
    results = []
    try:
        for label, argv in (
            ("clonus-test --plot on a full disk", ["clonus-test", "--duration", "1", "--plot", str(mnt / "x.png")]),
            ("sweep --out on a full disk", [*SWEEP, "--param", "reflex.gain=0:6:200", "--out", str(mnt / "s.nc")]),
            ("animate --out on a full disk", ["animate", "--seconds", "0.5", "--out", str(mnt / "x.gif")]),
        ):
            (mnt / "filler").write_bytes(b"\0" * 40_000)
            code, out, err = run_cli(argv, folder)
            left = files_under(mnt) - {"filler"}
            results.append((label, judge(code, out, err, left)))
            for p in mnt.iterdir():
                if p.is_dir():
                    import shutil

                    shutil.rmtree(p)
                else:
                    p.unlink()
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    return results


def step_refusals(samples: int = 200) -> str:
    """Random points inside the documented ranges at the default step: how many cannot run."""
    from reflexsim.params import PATHS, describe

    rng = np.random.default_rng(0)
    refused = 0
    for _ in range(samples):
        values = {}
        for path in PATHS:
            info = describe(path)
            hi = info.hi if math.isfinite(info.hi) else info.lo + 1.0
            values[path] = float(rng.uniform(info.lo, hi))
        try:
            rs.simulate(rs.Model().with_values(values), duration_s=0.05)
        except rs.SimulationError as exc:
            if "too large" in str(exc):
                refused += 1
    return f"{refused}/{samples} random in-range points refused at the default step"


def main_script() -> None:
    verbose = "-v" in sys.argv
    results: list[tuple[str, str]] = []
    cwd = os.getcwd()
    for label, argv, opt in cli_cases():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if "setup" in opt:
                opt["setup"](folder)
            before = files_under(folder)
            os.chdir(folder)
            try:
                if opt.get("timeout"):
                    code, out, err = run_cli_with_timeout(argv, folder, opt["timeout"])
                else:
                    code, out, err = run_cli(argv, folder)
            finally:
                os.chdir(cwd)
            left = files_under(folder) - before
            results.append((label, judge(code, out, err, left, check_out=opt.get("check_out"))))
            unmount_readonly(folder)
            if verbose and results[-1][1] != "clean":
                print(f"  {results[-1][1]:<10} {label}: exit {code}; {err.strip().splitlines()[-1:] or ''}")
    for label, fn in api_cases():
        with tempfile.TemporaryDirectory() as tmp:
            results.append((f"API {label}", run_api(label, fn, Path(tmp))))
    for how in ("empty", "truncated", "flipped byte", "wrong row count"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append((f"damaged chunk: {how}", damaged_chunk(Path(tmp), how)))
    for same in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(
                (f"two {'identical' if same else 'different'} sweeps on one --out", two_sweeps(Path(tmp), same))
            )
    with tempfile.TemporaryDirectory() as tmp:
        results.append(
            ("Ctrl-C in clonus-test", ctrl_c(["clonus-test", "--no-plot", "--duration", "3600"], Path(tmp), 4))
        )
    with tempfile.TemporaryDirectory() as tmp:
        results.append(
            ("Ctrl-C in stability", ctrl_c(["stability", "--boundary", "reflex.delay_s=0.01:0.1:400"], Path(tmp), 4))
        )
    with tempfile.TemporaryDirectory() as tmp:
        results.extend(disk_full(Path(tmp)))

    counts = Counter(outcome.split(" ")[0] for _, outcome in results if outcome != "skipped")
    if verbose:
        for label, outcome in results:
            if outcome != "clean":
                print(f"{outcome:<12} {label}")
    tried = sum(counts.values())
    print(
        f"bad inputs tried {tried}: refused cleanly {counts['clean']}, unclean {counts['unclean']}, "
        f"silent {counts['silent']}, traceback {counts['traceback']}, hang {counts['hang']}"
    )
    print(step_refusals())


if __name__ == "__main__":
    main_script()

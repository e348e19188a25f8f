"""Sweep speed: a 64 x 64 gain x delay grid of 5 s clonus tests (severe lesion, default step),
with the compiled sweep kernels, jitcdde and scipy measured in the same run.

    python benchmarks/bench_sweep.py                    # several minutes (needs jitcdde for its row)
    python benchmarks/bench_sweep.py --quick            # 16 x 16 grid, fewer reference runs
    python benchmarks/bench_sweep.py --baseline main    # also: main vs this checkout, side by side

The grid: gain = severe gain x linspace(0, 2, n), delay linspace(10, 80 ms, n) (`baseline.grid_spec`).

Prints: simulations per second for the lockstep kernel on one thread, on all cores (numba
prange) and on a Dask LocalCluster (one worker process per core); the exact kernel for
comparison; jitcdde (gain and delay as control parameters, compiled once) and scipy
(`reflexsim.reference.solve_reference`, LSODA) on a random subsample of the grid, each at the
loosest tolerance whose angle error is no larger than reflexsim's at its default step, scaled to
all cores as if perfectly parallel; the ratios; and the lockstep kernel's floating-point rate
against the machine's arithmetic peak.

With ``--baseline REV`` (e.g. ``main``) it first checks REV out into a temporary git worktree and
runs the same lockstep sweep of the n x n grid against REV's package and this checkout's, each in
a worker process of its own, interleaved (A B A B ..., best of the rounds), on one thread and on
all cores, and prints them side by side with the ratio current/baseline, what each grid produced
(run status, fraction of points with clonus) and the FLOP count of each lockstep step. Each
revision uses its own 'severe' preset and the gain axis scaled to that preset's gain (the presets'
gains differ between revisions), with the same delay axis. The worktree is removed at the end,
also after an error or Ctrl-C. See `baseline.py`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numba
import numpy as np

import reflexsim as rs
from reflexsim.reference import solve_reference
from reflexsim.sweep import dask_client, sweep

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import baseline  # noqa: E402  (benchmarks/baseline.py)

MODEL = rs.preset("severe")
PROTOCOL = rs.ClonusTest()
DT = rs.DEFAULT_DT_S
DURATION_S = 5.0
ERROR_WINDOW_S = 3.0


def grid_spec(n: int) -> dict[str, np.ndarray]:
    return baseline.grid_spec(MODEL, n)


def timed_sweep(spec, **options) -> tuple[float, object]:
    t0 = time.perf_counter()
    ds = sweep(MODEL, spec, duration_s=DURATION_S, progress=False, **options)
    return time.perf_counter() - t0, ds


def best_of(run, repeats: int) -> float:
    """Shortest wall time of `repeats` calls of run() -> (seconds, result)."""
    return min(run()[0] for _ in range(repeats))


def warm_up() -> None:
    """Load (or compile) both sweep kernels in this process."""
    sweep(MODEL, grid_spec(2), duration_s=0.5, progress=False)
    sweep(MODEL, grid_spec(2), duration_s=0.5, kernel_name="exact", progress=False)


def cpu_description() -> tuple[str, float, bool]:
    """(model name, nominal MHz, has 512-bit FMA) from /proc/cpuinfo (Linux)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU", math.nan, False
    name = re.search(r"model name\s*:\s*(.*)", info)
    mhz = re.search(r"cpu MHz\s*:\s*([\d.]+)", info)
    flags = re.search(r"flags\s*:\s*(.*)", info)
    has512 = bool(flags and "avx512f" in flags.group(1).split() and "fma" in flags.group(1).split())
    return (name.group(1) if name else "unknown CPU"), (float(mhz.group(1)) if mhz else math.nan), has512


FLOP_COUNT = r"""
import json, re
import llvmlite.binding as ll
from reflexsim import kernel as K
ll.set_option("", f"-force-vector-interleave={K.LOCKSTEP_INTERLEAVE}")
t = K.types
# (work, hand = (servo, slope, stiffness, damping), x0, xh, x1 = stage inputs (torque, angle), dt)
sig = (t.float64[::1], t.Tuple((t.boolean, t.float64, t.float64, t.float64)),
       t.UniTuple(t.float64, 2), t.UniTuple(t.float64, 2), t.UniTuple(t.float64, 2), t.float64)
step = getattr(K, "_lockstep_step_lean", None) or K._lockstep_step_free  # the latter before model v2
step.compile(sig)
lines = step.inspect_asm(sig).splitlines()
first = next(i for i, l in enumerate(lines) if re.match(r"_ZN\d+reflexsim.*_lockstep_step_\w+:", l))
last = next(i for i in range(first, len(lines)) if lines[i].startswith(".Lfunc_end"))
body = lines[first:last]
width = {"zmm": 8, "ymm": 4, "xmm": 2}
flops = fma = scalar = 0
bits = 0
for line in body:
    m = re.match(r"\s*(v(fn?m(?:add|sub)\w*|add|sub|mul|div|sqrt|min|max)(pd|sd))\s+(.*)", line)
    if not m:
        continue
    op, kind, args = m.group(1), m.group(3), m.group(4)
    reg = next((r for r in width if r in args), "xmm")
    lanes = width[reg] if kind == "pd" else 1
    scalar += kind == "sd"
    bits = max(bits, 64 * lanes)
    is_fma = op.startswith("vf")
    fma += is_fma
    flops += lanes * (2 if is_fma else 1)
# the lane loop: `add $stride, %r` ... `cmp $limit, %r`; straight-line code covers all lanes once
per_iter = K.LOCKSTEP_LANES
for i, line in enumerate(body):
    a = re.match(r"\s*addq\s+\$(\d+),\s+%(\w+)", line)
    if a:
        for nxt in body[i + 1 : i + 4]:
            c = re.match(r"\s*cmpq\s+\$(\d+),\s+%" + a.group(2) + r"\b", nxt)
            if c and int(c.group(1)) % int(a.group(1)) == 0:
                per_iter = K.LOCKSTEP_LANES * int(a.group(1)) // int(c.group(1))
print(json.dumps({"function": step.__name__, "flops_per_lane": flops / per_iter, "vector_bits": bits,
                  "fma": fma, "scalar_ops": scalar, "lanes_per_iteration": per_iter}))
"""


def flop_count(root: Path | None = None) -> dict:
    """Floating-point operations of one RK4 step + excitation of one lane, counted in the compiled
    vector loop of the lockstep step (FMA = 2; compares, blends, conversions and loads not
    counted), with the vector width it uses and its count of scalar arithmetic instructions.
    Compiled afresh in a subprocess with an empty numba cache (cached code cannot be
    disassembled), against the package at `root` (default: this checkout)."""
    import tempfile

    root = HERE.parent if root is None else root
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(root))
        proc = subprocess.run(
            [sys.executable, "-c", FLOP_COUNT], env=env, capture_output=True, text=True, check=True, cwd=root
        )
    return json.loads(proc.stdout.splitlines()[-1])


def angle_error(angle: np.ndarray, reference: np.ndarray) -> float:
    n = round(ERROR_WINDOW_S / DT)
    return math.degrees(float(np.max(np.abs(angle[: n + 1] - reference[: n + 1]))))


def load_jitcdde():
    """The jitcdde sweep module and its integrator compiled once (None, None without jitcdde)."""
    try:
        import jitcdde_model  # benchmarks/jitcdde_model.py
    except ImportError:
        return None, None
    t0 = time.perf_counter()
    dde = jitcdde_model.build(MODEL, max_delay_s=baseline.DELAY_RANGE_S[1])
    print(
        f"  jitcdde: module compiled once in {time.perf_counter() - t0:.1f} s (gain and delay are control parameters)"
    )
    return jitcdde_model, dde


def matched_tolerances(jit, dde) -> tuple[float, float | None, float | None]:
    """Angle error of reflexsim at the default step (severe, first 3 s) and the loosest scipy and
    jitcdde tolerances that are at least as accurate (None when jitcdde is missing)."""
    fine = rs.simulate(MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, dt_s=DT / 32).angle_rad[::32]
    err_numba = angle_error(rs.simulate(MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S).angle_rad, fine)
    rtol_scipy = None
    for rtol in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9):
        _, states = solve_reference(
            MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, grid_dt_s=DT, rtol=rtol, atol=rtol * 1e-2
        )
        if angle_error(states[:, 0], fine) <= err_numba:
            rtol_scipy = rtol
            break
    rtol_jit = None
    for rtol in (1e-5, 1e-6, 1e-7, 1e-8, 1e-9) if jit else ():
        _, angle = jit.run(dde, MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, grid_dt_s=DT, rtol=rtol)
        if angle_error(angle, fine) <= err_numba:
            rtol_jit = rtol
            break
    return err_numba, rtol_scipy, rtol_jit


PURE_PYTHON_SCIPY = """
import sys, time, reflexsim as rs
from reflexsim.reference import solve_reference
points = [tuple(map(float, p.split(","))) for p in sys.argv[3:]]
rtol, duration = float(sys.argv[1]), float(sys.argv[2])
t0 = time.perf_counter()
for g, d in points:
    m = rs.preset("severe").with_values({"reflex.gain": g, "reflex.delay_s": d})
    solve_reference(m, rs.ClonusTest(), duration_s=duration, grid_dt_s=5e-4, rtol=rtol, atol=rtol * 1e-2)
print(len(points) / (time.perf_counter() - t0))
"""


def reference_rates(points: np.ndarray, jit, dde, rtol_scipy: float | None, rtol_jit: float | None):
    """Simulations per second on one core over the given (gain, delay) points: jitcdde on all of
    them, scipy on a quarter, and scipy with the right-hand side interpreted (NUMBA_DISABLE_JIT=1,
    as a scipy user would write it) on an eighth."""
    rates = {}
    models = [MODEL.with_values({"reflex.gain": g, "reflex.delay_s": d}) for g, d in points]
    if rtol_jit is not None:
        t0 = time.perf_counter()
        for m in models:
            jit.run(dde, m, PROTOCOL, duration_s=DURATION_S, grid_dt_s=DT, rtol=rtol_jit)
        rates["jitcdde"] = len(models) / (time.perf_counter() - t0)
    if rtol_scipy is not None:
        few = models[: max(2, len(models) // 4)]
        t0 = time.perf_counter()
        for m in few:
            solve_reference(m, PROTOCOL, duration_s=DURATION_S, grid_dt_s=DT, rtol=rtol_scipy, atol=rtol_scipy * 1e-2)
        rates["scipy"] = len(few) / (time.perf_counter() - t0)
        fewer = [f"{float(g)!r},{float(d)!r}" for g, d in points[: max(1, len(models) // 8)]]
        env = dict(os.environ, NUMBA_DISABLE_JIT="1")
        argv = [sys.executable, "-c", PURE_PYTHON_SCIPY, str(rtol_scipy), str(DURATION_S), *fewer]
        out = subprocess.run(argv, env=env, capture_output=True, text=True)
        if out.returncode == 0:
            rates["scipy, pure-Python RHS"] = float(out.stdout)
        else:
            error = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "(no message)"
            print(f"  scipy pure-Python RHS row skipped: NUMBA_DISABLE_JIT=1 failed: {error}")
    return rates


def compare_with_baseline(rev: str, n: int, rounds: int, cores: int) -> dict:
    """The lockstep sweep of the n x n grid on `rev`'s package and this checkout's, side by side
    (one thread and all cores, interleaved rounds); returns this checkout's FLOP count."""
    print(f"\n--baseline {rev}: lockstep sweep of the {n} x {n} grid, {DURATION_S:g} s tests, dt = {DT * 1e3:g} ms")
    with baseline.workers(rev) as sides:
        for label, worker in sides.items():
            seconds = worker.call("warm_sweep")["seconds"]
            info = worker.info
            print(
                f"  {label:<8}: severe gain {info['severe_gain']:g} -> gain axis 0..{2 * info['severe_gain']:g}; "
                f"{info['states']} states; kernels compiled or loaded in {seconds:.1f} s"
            )
        one = baseline.interleaved(sides, rounds, "sweep_grid", n=n, threads=1)
        many = baseline.interleaved(sides, rounds, "sweep_grid", n=n, threads=cores)
        flops = {label: flop_count(worker.root) for label, worker in sides.items()}
    rows = [("lockstep, 1 thread", one), (f"lockstep, {cores} threads", many)]
    baseline.print_table(
        f"lockstep sweep, {n} x {n} grid: baseline {rev} vs current",
        "sims/s",
        [
            (name, *([r["points"] / r["seconds"] for r in runs[side]] for side in ("baseline", "current")))
            for name, runs in rows
        ],
        higher_is_better=True,
    )
    b, c = flops["baseline"], flops["current"]
    print(
        f"  {'flops per lane and step':<28} {b['flops_per_lane']:>10,.0f} {c['flops_per_lane']:>10,.0f}   "
        f"{'':>17} {c['flops_per_lane'] / b['flops_per_lane']:>6.3f}   (counted in each step's vector loop)"
    )
    for label, f in flops.items():
        print(
            f"  {label:<8} {f['function']}: {f['vector_bits']}-bit vectors, {f['lanes_per_iteration']} lanes "
            f"per loop iteration, {f['fma']} FMA, {f['scalar_ops']} scalar arithmetic instructions"
        )
    for label in ("baseline", "current"):
        r = many[label][-1]
        print(f"  {label:<8} grid: run status {r['status']} (0 = ok); {100 * r['clonus']:.0f} % of points with clonus")
    return flops["current"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 x 16 grid and fewer reference runs")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure the lockstep sweep of git revision REV (e.g. main) and this checkout side by side",
    )
    args = parser.parse_args()
    n = 16 if args.quick else 64
    spec = grid_spec(n)
    points = n * n
    cores = os.cpu_count() or 1
    cpu, mhz, has512 = cpu_description()
    print(
        f"reflexsim {rs.__version__}: {n} x {n} gain x delay grid, {DURATION_S:g} s clonus tests, dt = {DT * 1e3:g} ms"
    )
    print(
        f"gain = {MODEL.reflex.gain:g} (severe) x linspace(0, 2, {n}), delay = linspace"
        f"({baseline.DELAY_RANGE_S[0] * 1e3:g}, {baseline.DELAY_RANGE_S[1] * 1e3:g} ms, {n})"
    )
    print(f"machine: {cpu}, {cores} cores, {mhz:.0f} MHz nominal, AVX-512 + FMA: {'yes' if has512 else 'no'}")

    flops = None
    if args.baseline:
        flops = compare_with_baseline(args.baseline, n, 5 if args.quick else 3, cores)
        print()

    t0 = time.perf_counter()
    warm_up()
    print(f"kernels compiled or loaded from cache in {time.perf_counter() - t0:.1f} s")

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    n_serial = 16 if args.quick else 32
    serial = n_serial**2 / best_of(lambda: timed_sweep(grid_spec(n_serial)), 2)
    numba.set_num_threads(threads)
    fast = timed_sweep(spec)[1]
    all_cores = points / best_of(lambda: timed_sweep(spec), 3)
    exact = timed_sweep(spec, kernel_name="exact")[1]
    exact_rate = points / best_of(lambda: timed_sweep(spec, kernel_name="exact"), 1)
    same = all(np.array_equal(fast[v].values, exact[v].values) for v in ("beats", "scats", "tardieu", "status"))
    ok = np.isfinite(exact.frequency_hz.values)
    freq_dev = float(np.max(np.abs(fast.frequency_hz.values[ok] / exact.frequency_hz.values[ok] - 1.0), initial=0.0))

    with dask_client(f"local:{cores}") as client:
        client.run(warm_up)  # every worker process loads the compiled kernels before the clock starts
        dask_rate = points / best_of(lambda: timed_sweep(spec, client=client, chunk_size=256), 2)

    print("\nreflexsim sweep kernels (metrics computed in the kernel):")
    print(
        f"  lockstep, 1 thread        {serial:>9,.0f} sims/s   "
        f"({n_serial} x {n_serial} grid; best of repeated runs throughout)"
    )
    print(
        f"  lockstep, {cores} threads       {all_cores:>9,.0f} sims/s   "
        f"({points:,} points in {points / all_cores:.2f} s)"
    )
    print(f"  lockstep, Dask local:{cores}    {dask_rate:>9,.0f} sims/s   (chunks of 256 on {cores} worker processes)")
    print(
        f"  exact,    {cores} threads       {exact_rate:>9,.0f} sims/s   (bit-identical to simulate + clonus_metrics)"
    )
    print(
        f"  lockstep vs exact: beats/SCATS/Tardieu/status identical: {same}; "
        f"max relative frequency difference {freq_dev:.1e}"
    )

    print("\nreferences at matched accuracy (max angle error over the first 3 s vs a 32x finer RK4 run):")
    warnings.simplefilter("ignore")
    jit, dde = load_jitcdde()
    err, rtol_scipy, rtol_jit = matched_tolerances(jit, dde)
    print(f"  reflexsim at dt = {DT * 1e3:g} ms: {err:.1e} deg; scipy rtol {rtol_scipy}; jitcdde rtol {rtol_jit}")
    rng = np.random.default_rng(0)
    sample = rng.choice(points, 16 if args.quick else 64, replace=False)
    gains, delays = np.meshgrid(spec["reflex.gain"], spec["reflex.delay_s"], indexing="ij")
    subsample = np.stack([gains.ravel()[sample], delays.ravel()[sample]], axis=1)
    rates = reference_rates(subsample, jit, dde, rtol_scipy, rtol_jit)
    for name, rate in rates.items():
        scaled = rate * cores
        print(
            f"  {name:<23} {rate:>6.1f} sims/s on one core -> {scaled:>6.1f} on {cores} cores; "
            f"reflexsim lockstep is {all_cores / scaled:,.0f}x faster"
        )
    if jit is None:
        print("  jitcdde row skipped: pip install jitcdde sympy")
    elif "jitcdde" not in rates:
        print("  jitcdde row skipped: no tolerance down to 1e-9 is as accurate as reflexsim (see jitcdde_model.py)")

    flops = flops or flop_count()
    lanes = flops["vector_bits"] // 64
    peak = cores * mhz * 1e6 * (32 if has512 else 16)  # 2 FMA pipes x (8 or 4) float64 lanes x 2 flops
    steps = round(DURATION_S / DT)
    achieved = flops["flops_per_lane"] * steps * all_cores
    print("\narithmetic:")
    print(
        f"  {flops['flops_per_lane']:.0f} flops per simulation step in the lockstep kernel's vector loop (FMA = 2); "
        f"{flops['vector_bits']}-bit vectors ({lanes} lanes), {flops['fma']} FMA"
    )
    print(
        f"  {achieved / 1e9:.1f} GFLOP/s achieved vs a peak of {peak / 1e9:.0f} GFLOP/s "
        f"({cores} cores x {mhz / 1e3:.2f} GHz x {32 if has512 else 16} flops/cycle): {100 * achieved / peak:.0f} %"
    )
    print("  (peak assumes 2 fused multiply-add units of 512 bits per core at the nominal clock; reads of the")
    print("   delay line, the beat detector and the status checks are scalar code outside the count; without")
    print("   FMA and with 256-bit vectors (LLVM's choice on some AVX-512 CPUs) the reachable rate is a quarter)")


if __name__ == "__main__":
    main()

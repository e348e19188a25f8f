"""Sweep speed: a 64 x 64 gain x delay grid of 5 s clonus tests (severe lesion, default step),
with the compiled sweep kernels, jitcdde and scipy measured in the same run.

    python benchmarks/bench_sweep.py            # about 2 minutes (needs jitcdde for its row)
    python benchmarks/bench_sweep.py --quick    # 16 x 16 grid, fewer reference runs

Prints: simulations per second for the lockstep kernel on one thread, on all cores (numba
prange) and on a Dask LocalCluster (one worker process per core); the exact kernel for
comparison; jitcdde (gain and delay as control parameters, compiled once) and scipy
(`reflexsim.reference.solve_reference`, LSODA) on a random subsample of the grid, each at the
loosest tolerance whose angle error is no larger than reflexsim's at its default step, scaled to
all cores as if perfectly parallel; the ratios; and the lockstep kernel's floating-point rate
against the machine's arithmetic peak.
"""

from __future__ import annotations

import argparse
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
MODEL = rs.preset("severe")
PROTOCOL = rs.ClonusTest()
DT = rs.DEFAULT_DT_S
DURATION_S = 5.0
ERROR_WINDOW_S = 3.0


def grid_spec(n: int) -> dict[str, np.ndarray]:
    return {"reflex.gain": np.linspace(0.0, 4.0, n), "reflex.delay_s": np.linspace(0.01, 0.08, n)}


def timed_sweep(spec, **options) -> tuple[float, object]:
    t0 = time.perf_counter()
    ds = sweep(MODEL, spec, duration_s=DURATION_S, progress=False, **options)
    return time.perf_counter() - t0, ds


def best_of(run, repeats: int) -> float:
    """Shortest wall time of `repeats` calls of run() -> (seconds, result)."""
    return min(run()[0] for _ in range(repeats))


def warm_up() -> None:
    """Load (or compile) both sweep kernels in this process."""
    sweep(MODEL, grid_spec(2), duration_s=0.2, progress=False)
    sweep(MODEL, grid_spec(2), duration_s=0.2, kernel_name="exact", progress=False)


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


FLOP_COUNT = """
import llvmlite.binding as ll, re
from reflexsim import kernel as K
ll.set_option("", f"-force-vector-interleave={K.LOCKSTEP_INTERLEAVE}")
t = K.types
sig = (t.float64[::1], t.Tuple((t.boolean, t.float64, t.float64, t.float64)),
       t.UniTuple(t.float64, 2), t.UniTuple(t.float64, 2), t.UniTuple(t.float64, 2), t.float64)
K._lockstep_step_free.compile(sig)
asm = K._lockstep_step_free.inspect_asm(sig)
flops = 0
for line in asm.splitlines():
    m = re.match(r"\\s*(v\\w+pd)\\s.*zmm", line)
    if not m:
        continue
    op = m.group(1)
    if re.match(r"vf(n?)m(add|sub)", op):
        flops += 2 * 8
    elif re.match(r"v(add|sub|mul|div|sqrt|min|max)pd", op):
        flops += 8
print(flops / K.LOCKSTEP_LANES)
"""


def flops_per_lane_step() -> float:
    """Floating-point operations of one RK4 step + excitation of one lane, counted in the compiled
    vector loop (FMA = 2; compares, blends, conversions and loads not counted). Compiled afresh in
    a subprocess with an empty numba cache, because cached code cannot be disassembled."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        proc = subprocess.run([sys.executable, "-c", FLOP_COUNT], env=env, capture_output=True, text=True, check=True)
    return float(proc.stdout.split()[-1])


def angle_error(angle: np.ndarray, reference: np.ndarray) -> float:
    n = round(ERROR_WINDOW_S / DT)
    return math.degrees(float(np.max(np.abs(angle[: n + 1] - reference[: n + 1]))))


def load_jitcdde():
    """The jitcdde sweep module and its integrator compiled once (None, None without jitcdde)."""
    try:
        sys.path.insert(0, str(HERE))
        import jitcdde_model
    except ImportError:
        return None, None
    t0 = time.perf_counter()
    dde = jitcdde_model.build(MODEL, PROTOCOL, max_delay_s=0.08)
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
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        rates["scipy, pure-Python RHS"] = float(out.stdout)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 x 16 grid and fewer reference runs")
    args = parser.parse_args()
    n = 16 if args.quick else 64
    spec = grid_spec(n)
    points = n * n
    cores = os.cpu_count() or 1
    cpu, mhz, has512 = cpu_description()
    print(
        f"reflexsim {rs.__version__}: {n} x {n} gain x delay grid, {DURATION_S:g} s clonus tests, dt = {DT * 1e3:g} ms"
    )
    print(f"machine: {cpu}, {cores} cores, {mhz:.0f} MHz nominal, AVX-512 + FMA: {'yes' if has512 else 'no'}")

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
    print(f"  lockstep, 1 thread        {serial:>9,.0f} sims/s   (best of repeated runs throughout)")
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
    if "jitcdde" not in rates:
        print("  jitcdde row skipped: pip install jitcdde sympy")

    flops = flops_per_lane_step()
    peak = cores * mhz * 1e6 * (32 if has512 else 16)  # 2 FMA pipes x (8 or 4) float64 lanes x 2 flops
    steps = round(DURATION_S / DT)
    achieved = flops * steps * all_cores
    print("\narithmetic:")
    print(f"  {flops:.0f} flops per simulation step in the lockstep kernel's vector loop (FMA = 2)")
    print(
        f"  {achieved / 1e9:.1f} GFLOP/s achieved vs a peak of {peak / 1e9:.0f} GFLOP/s "
        f"({cores} cores x {mhz / 1e3:.2f} GHz x {32 if has512 else 16} flops/cycle): {100 * achieved / peak:.0f} %"
    )
    print("  (peak assumes 2 fused multiply-add units of 512 bits per core at the nominal clock; reads of the")
    print("   delay line, the beat detector and the status checks are scalar code outside the count)")


if __name__ == "__main__":
    main()

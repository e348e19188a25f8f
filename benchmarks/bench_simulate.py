"""Speed of one clonus test, against two reference implementations measured in the same run.

    python benchmarks/bench_simulate.py                   # needs jitcdde + sympy for the jitcdde row
    python benchmarks/bench_simulate.py --quick           # shorter (for CI smoke runs)
    python benchmarks/bench_simulate.py --baseline main   # also: main vs this checkout, side by side

Prints: numba compile time (cold, and loading from cache), warm time of a 10 s clonus test on
the severe preset at the default step (kernel alone, and `simulate` with its derived signals),
the same run with scipy (LSODA, method of steps) and jitcdde at matched accuracy, the ratios,
and the CLI's end-to-end time (cache warm, figure included).

"Matched accuracy": each method's maximum angle error over the first 3 s against a 32x finer
RK4 run; for scipy and jitcdde the loosest tolerance whose error is no larger than numba's at
its default step is used (so the references are at least as accurate as numba).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import reflexsim as rs
from reflexsim.reference import solve_reference

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import baseline  # noqa: E402  (benchmarks/baseline.py)

MODEL = rs.preset("severe")
PROTOCOL = rs.ClonusTest()
DT = rs.DEFAULT_DT_S
ERROR_WINDOW_S = 3.0


def best_of(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compile_times() -> tuple[float, float]:
    """Seconds for import + first simulate with an empty numba cache, then with it filled."""
    code = (
        "import time; t=time.perf_counter(); import reflexsim as rs; "
        "rs.simulate(rs.preset('severe'), duration_s=1.0); print(time.perf_counter()-t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = float(
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        )
        warm = float(
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        )
    return cold, warm


def angle_error(angle: np.ndarray, reference: np.ndarray) -> float:
    n = round(ERROR_WINDOW_S / DT)
    return math.degrees(float(np.max(np.abs(angle[: n + 1] - reference[: n + 1]))))


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else "(no message)"


def compare_with_baseline(rev: str, duration: float, rounds: int, repeats: int) -> None:
    """One clonus test on `rev`'s package and this checkout's, side by side (interleaved rounds,
    each the best of `repeats` calls)."""
    print(f"\n--baseline {rev}: {duration:g} s clonus test, severe preset, dt = {DT * 1e3:g} ms, one core")
    with baseline.workers(rev) as sides:
        for label, worker in sides.items():
            seconds = worker.call("warm_simulate", duration_s=duration)["seconds"]
            info = worker.info
            print(
                f"  {label:<8}: severe gain {info['severe_gain']:g}; {info['states']} states; "
                f"compiled or loaded and run once in {seconds:.1f} s"
            )
        runs = baseline.interleaved(sides, rounds, "simulate_times", duration_s=duration, repeats=repeats)
    names = {"kernel": "bare kernel call", "simulate": "simulate", "simulate_metrics": "simulate + clonus_metrics"}
    baseline.print_table(
        f"one {duration:g} s clonus test: baseline {rev} vs current",
        f"ms per test, each round the best of {repeats} calls",
        [(names[k], *([1e3 * r[k] for r in runs[side]] for side in ("baseline", "current"))) for k in names],
        higher_is_better=False,
    )
    for label in ("baseline", "current"):
        r = runs[label][-1]
        print(f"  {label:<8} run: {r['beats']:.0f} beats, final angle {r['final_angle_deg']:.2f} deg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 3 s runs")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also time git revision REV (e.g. main) and this checkout side by side",
    )
    args = parser.parse_args()
    duration = 3.0 if args.quick else 10.0
    repeats = 5 if args.quick else 20

    print(f"reflexsim {rs.__version__}: severe preset, clonus test, {duration:g} s at dt = {DT * 1e3:g} ms")
    if args.baseline:
        compare_with_baseline(args.baseline, duration, rounds=5 if args.quick else 10, repeats=repeats // 4)
        print()
    cold, cached = compile_times()
    print(f"compile + first run: cold {cold:.1f} s, from cache {cached:.2f} s")

    t_kernel = best_of(baseline.kernel_call(MODEL, PROTOCOL, duration, DT), repeats)
    t_sim = best_of(lambda: rs.clonus_metrics(rs.simulate(MODEL, PROTOCOL, duration_s=duration)), repeats)
    print(f"numba kernel: {t_kernel * 1e3:.2f} ms; simulate + signals + metrics: {t_sim * 1e3:.2f} ms")

    fine = rs.simulate(MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, dt_s=DT / 32).angle_rad[::32]
    err_numba = angle_error(rs.simulate(MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S).angle_rad, fine)
    print(f"numba max angle error over {ERROR_WINDOW_S:g} s: {err_numba:.2e} deg")

    rows = [("numba RK4 (simulate)", t_sim, err_numba, f"dt {DT * 1e3:g} ms")]

    # scipy LSODA with method-of-steps history at matched accuracy
    chosen = None
    for rtol in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9):
        _, states = solve_reference(
            MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, grid_dt_s=DT, rtol=rtol, atol=rtol * 1e-2
        )
        err = angle_error(states[:, 0], fine)
        if err <= err_numba:
            chosen = (rtol, err)
            break
    if chosen:
        rtol, err = chosen
        t_scipy = best_of(
            lambda: solve_reference(MODEL, PROTOCOL, duration_s=duration, grid_dt_s=DT, rtol=rtol, atol=rtol * 1e-2),
            1 if args.quick else 2,
        )
        rows.append(("scipy LSODA (RHS from numba parts)", t_scipy, err, f"rtol {rtol:g}"))
        # The same scipy solve with the right-hand side interpreted, as a scipy user would write it.
        code = (
            "import time, reflexsim as rs; from reflexsim.reference import solve_reference; "
            f"t=time.perf_counter(); solve_reference(rs.preset('severe'), rs.ClonusTest(), duration_s={duration}, "
            f"grid_dt_s={DT}, rtol={rtol}, atol={rtol * 1e-2}); print(time.perf_counter()-t)"
        )
        env = dict(os.environ, NUMBA_DISABLE_JIT="1")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        if out.returncode == 0:
            rows.append(("scipy LSODA (pure-Python RHS)", float(out.stdout), err, f"rtol {rtol:g}"))
        else:
            print(f"scipy pure-Python RHS row skipped: NUMBA_DISABLE_JIT=1 failed: {_last_line(out.stderr)}")

    try:
        import jitcdde_model  # benchmarks/jitcdde_model.py
    except ImportError as exc:  # pragma: no cover - optional
        print(f"jitcdde row skipped ({exc}); pip install jitcdde sympy")
    else:
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        dde = jitcdde_model.build(MODEL)
        t_compile = time.perf_counter() - t0
        for rtol in (1e-5, 1e-6, 1e-7, 1e-8, 1e-9):
            _, angle = jitcdde_model.run(dde, MODEL, PROTOCOL, duration_s=ERROR_WINDOW_S, grid_dt_s=DT, rtol=rtol)
            err = angle_error(angle, fine)
            if err <= err_numba:
                break
        else:
            print(f"jitcdde: no tolerance down to 1e-9 is as accurate as numba (error {err:.1e} deg at 1e-9)")
        t_jit = best_of(
            lambda: jitcdde_model.run(dde, MODEL, PROTOCOL, duration_s=duration, grid_dt_s=DT, rtol=rtol), repeats // 2
        )
        rows.append((f"jitcdde (C, compiled in {t_compile:.1f} s)", t_jit, err, f"rtol {rtol:g}"))

    print()
    print(f"{'method':<36} {'time':>10} {'max err (deg)':>14} {'setting':>12} {'numba is':>10}")
    for name, t, err, setting in rows:
        print(f"{name:<36} {t * 1e3:>8.2f}ms {err:>14.2e} {setting:>12} {t / t_sim:>9.1f}x")

    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "reflexsim.cli", "clonus-test", "--plot", str(Path(tmp) / "f.png")]
        subprocess.run(cli, capture_output=True, check=True)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cli, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
    print(f"\nCLI `reflexsim clonus-test` end to end (12 s test, figure, cache warm): {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()

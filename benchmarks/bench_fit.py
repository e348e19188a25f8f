"""Speed of a fit: gain, delay and threshold of the severe lesion from a 12 s recording.

    python benchmarks/bench_fit.py            # 3 recordings (different noise), best and worst
    python benchmarks/bench_fit.py --quick    # 1 recording

Prints, for a 3-parameter fit (global stage + growing-horizon least squares + profile-likelihood
intervals) of a synthetic 12 s clonus test sampled at 1 kHz: wall time, simulations run, and
their cost in units of one 12 s `simulate` measured in the same run (so the ratio, not the
seconds, is what to compare between machines). The issue's target is a fit in <= 30 s on a
2-core machine; the script says whether this run met it. Recovery errors are printed too.
"""

from __future__ import annotations

import argparse
import os
import time

import reflexsim as rs
from reflexsim import fitting

TRUE = {"reflex.gain": 3.0, "reflex.delay_s": 0.043, "reflex.threshold_ips": 75.0}
TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one recording instead of three")
    args = parser.parse_args()

    truth = rs.simulate(rs.preset("severe").with_values(TRUE), duration_s=12.0)
    # warm up numba (compile or load the cache) outside the timings
    fitting.fit(fitting.synthetic_recording(rs.simulate(rs.preset("severe"), duration_s=2.0)), profile=False)
    t0 = time.perf_counter()
    for _ in range(10):
        rs.simulate(rs.preset("severe"), duration_s=12.0)
    one_sim = (time.perf_counter() - t0) / 10

    print(f"{os.cpu_count()} CPUs; one 12 s simulate: {one_sim * 1000:.1f} ms")
    for seed in range(1 if args.quick else 3):
        trace = fitting.synthetic_recording(truth, sampling_rate_hz=1000.0, seed=seed)
        found = fitting.fit(trace, "severe", free=list(TRUE))
        errors = ", ".join(
            f"{p.path.split('.')[-1]} {100 * (p.value / TRUE[p.path] - 1):+.2f}%" for p in found.parameters
        )
        verdict = "meets" if found.seconds <= TARGET_S else "MISSES"
        print(
            f"seed {seed}: {found.seconds:.1f} s ({verdict} the {TARGET_S:g} s target), {found.n_simulations} "
            f"simulations of <= 12 s = {found.seconds / one_sim:.0f} x one 12 s simulate; errors {errors}"
        )


if __name__ == "__main__":
    main()

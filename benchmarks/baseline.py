"""Before/after measurements against another git revision: the benchmarks' `--baseline REV`.

`worktree(rev)` checks REV (e.g. ``main``) out into a temporary git worktree and removes it again
on exit, also after an error, Ctrl-C or SIGTERM. `Worker(root)` is a subprocess that imports
``reflexsim`` from `root` (``PYTHONPATH=root``) and runs the measurements defined here on request
(one JSON object per line on its stdin and stdout), so the baseline's package and the current one
run the *same* measurement code in processes of the same kind. `interleaved` alternates the two
(A B A B ...); `print_table` prints the best round of each side and the ratio, side by side.

The workloads, shared by both sides (and by the benchmarks' own rows):

* sweep: an n x n grid of 5 s clonus tests on the revision's own 'severe' preset, gain
  ``severe_gain * linspace(0, 2, n)`` (the presets' gains differ between revisions, so the grid is
  scaled to each revision's severe gain) and delay ``linspace(0.01, 0.08, n)`` s, lockstep kernel;
* simulate: a 10 s standard clonus test of the severe preset at the default step: the bare kernel
  call (``kernel.run`` with a recording ``out`` and no grading on the current kernel,
  ``kernel.integrate`` on revisions before model v2), `simulate`, and `simulate` + `clonus_metrics`.

Each side compiles (or loads from its numba cache) everything it times in a warm-up call before
the clock starts; the worktree's cache lives in the worktree and goes with it.

Run as a script, this module is the worker: ``python benchmarks/baseline.py serve``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWEEP_DURATION_S = 5.0
DELAY_RANGE_S = (0.01, 0.08)
GAIN_SCALE = (0.0, 2.0)  # the gain axis, in units of the revision's severe-preset gain


# ---------------------------------------------------------------------------------------------
# Workloads (imported by the benchmarks and run inside the workers).


def grid_spec(model, n: int) -> dict:
    """The n x n gain x delay grid: gain = model's gain * linspace(0, 2, n), delay 10-80 ms."""
    import numpy as np

    return {
        "reflex.gain": model.reflex.gain * np.linspace(*GAIN_SCALE, n),
        "reflex.delay_s": np.linspace(*DELAY_RANGE_S, n),
    }


def kernel_call(model, protocol, duration_s: float, dt_s: float) -> Callable[[], object]:
    """A zero-argument call of the bare integrator for one recorded run, as `simulate` makes it
    (`kernel.run` with an empty `ev`; `kernel.integrate` on revisions before model v2)."""
    import numpy as np

    from reflexsim import kernel, simulation

    compiled = protocol.compile(dt_s)
    resolve = getattr(simulation, "resolve_segments", None)  # static-hold segments, up to model v2
    seg = compiled.segments if resolve is None else resolve(model, compiled.segments)
    p = model.pack()
    n = round(duration_s / dt_s)
    out = np.empty((n + 1, kernel.OUT_COLUMNS))
    samples, theta0 = compiled.samples, compiled.theta_start_rad
    if hasattr(kernel, "run"):
        ev, m = np.empty(0), np.empty(0)
        return lambda: kernel.run(p, seg, samples, theta0, dt_s, n, ev, out, m)
    act_limit = simulation.step_limits(model, compiled).activation_limit(dt_s)  # pre-v2 signature
    return lambda: kernel.integrate(p, seg, samples, theta0, dt_s, n, act_limit, out)


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def info() -> dict:
    import reflexsim as rs
    from reflexsim import kernel

    return {
        "file": rs.__file__,
        "version": rs.__version__,
        "severe_gain": rs.preset("severe").reflex.gain,
        "states": int(getattr(kernel, "N_STATES", 4)),
        "lanes": int(kernel.LOCKSTEP_LANES),
    }


def warm_sweep() -> dict:
    """Compile (or load) the lockstep sweep kernel; seconds taken."""
    import reflexsim as rs
    from reflexsim.sweep import sweep

    t0 = time.perf_counter()
    model = rs.preset("severe")
    sweep(model, grid_spec(model, 2), duration_s=0.5, progress=False)
    return {"seconds": time.perf_counter() - t0}


def sweep_grid(n: int, threads: int, repeats: int = 1, duration_s: float = SWEEP_DURATION_S) -> dict:
    """Best wall time of `repeats` lockstep sweeps of the n x n grid on `threads` numba threads,
    and what the grid produced (status counts, fraction of clonus points) to show the workload."""
    import numba
    import numpy as np

    import reflexsim as rs
    from reflexsim.sweep import sweep

    model = rs.preset("severe")
    spec = grid_spec(model, n)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        best, ds = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            ds = sweep(model, spec, duration_s=duration_s, progress=False)
            best = min(best, time.perf_counter() - t0)
    finally:
        numba.set_num_threads(before)
    status = ds["status"].values.ravel()
    labels, counts = np.unique(status, return_counts=True)
    return {
        "seconds": best,
        "points": n * n,
        "status": {str(k): int(c) for k, c in zip(labels, counts, strict=True)},
        "clonus": float(np.mean(ds["beats"].values >= 3)),
    }


def warm_simulate(duration_s: float) -> dict:
    import reflexsim as rs

    t0 = time.perf_counter()
    model, protocol = rs.preset("severe"), rs.ClonusTest()
    kernel_call(model, protocol, duration_s, rs.DEFAULT_DT_S)()
    rs.clonus_metrics(rs.simulate(model, protocol, duration_s=duration_s))
    return {"seconds": time.perf_counter() - t0}


def simulate_times(duration_s: float, repeats: int) -> dict:
    """Best of `repeats` for: the bare kernel, `simulate`, and `simulate` + `clonus_metrics`."""
    import reflexsim as rs

    model, protocol = rs.preset("severe"), rs.ClonusTest()
    run_kernel = kernel_call(model, protocol, duration_s, rs.DEFAULT_DT_S)
    result = rs.simulate(model, protocol, duration_s=duration_s)
    metrics = rs.clonus_metrics(result)
    return {
        "kernel": _best(run_kernel, repeats),
        "simulate": _best(lambda: rs.simulate(model, protocol, duration_s=duration_s), repeats),
        "simulate_metrics": _best(
            lambda: rs.clonus_metrics(rs.simulate(model, protocol, duration_s=duration_s)), repeats
        ),
        "beats": float(metrics.beats),
        "final_angle_deg": float(result.angle_rad[-1] * 57.29577951308232),
    }


COMMANDS = {
    "info": info,
    "warm_sweep": warm_sweep,
    "sweep_grid": sweep_grid,
    "warm_simulate": warm_simulate,
    "simulate_times": simulate_times,
}


def serve() -> None:
    """The worker loop: one JSON request {"cmd", "kwargs"} per line in, one JSON reply per line out.
    Anything else the process prints goes to stderr, so stdout carries replies only."""
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import warnings

    warnings.simplefilter("ignore")
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "exit":
            break
        try:
            reply = {"ok": COMMANDS[request["cmd"]](**request.get("kwargs", {}))}
        except Exception:
            reply = {"error": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


# ---------------------------------------------------------------------------------------------
# The driver side: worktree, workers, interleaving, table.


def _git(*args: str, cwd: Path = HERE) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[tuple[Path, str]]:
    """(path, commit) of `rev` checked out (detached) in a temporary git worktree of this repository;
    removed on exit, also on errors, Ctrl-C and SIGTERM (which is turned into KeyboardInterrupt
    meanwhile)."""
    repo = Path(_git("rev-parse", "--show-toplevel"))
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=repo)
    except subprocess.CalledProcessError:
        raise SystemExit(f"--baseline {rev}: not a git revision of {repo}") from None
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="reflexsim-baseline-"))
    path = tmp / "tree"
    try:
        _git("worktree", "add", "--detach", "--quiet", str(path), commit, cwd=repo)
        yield path, commit
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=repo, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)
        signal.signal(signal.SIGTERM, previous)


class Worker:
    """A subprocess serving COMMANDS with `reflexsim` imported from `root`."""

    def __init__(self, root: Path, label: str):
        self.label, self.root = label, Path(root)
        path = [str(root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=root,
        )
        try:
            self.info = self.call("info")
            if not Path(self.info["file"]).resolve().is_relative_to(self.root.resolve()):
                raise RuntimeError(f"{label}: imported reflexsim from {self.info['file']}, not from {root}")
        except BaseException:
            self.close()
            raise

    def call(self, cmd: str, **kwargs):
        self.proc.stdin.write(json.dumps({"cmd": cmd, "kwargs": kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label} worker exited (code {self.proc.wait()}) during {cmd}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.label} worker failed in {cmd}:\n{reply['error']}")
        return reply["ok"]

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.stdin.write('{"cmd": "exit"}\n')
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def workers(rev: str) -> Iterator[dict[str, Worker]]:
    """{"baseline": worker on `rev`'s package, "current": worker on this checkout's package}, each
    announced with its commit; the worktree and both processes are cleaned up on exit."""
    with worktree(rev) as (path, commit), contextlib.ExitStack() as stack:
        current_root = HERE.parent
        dirty = " + uncommitted changes" if _git("status", "--porcelain", "--", "reflexsim", cwd=current_root) else ""
        print(f"baseline: {rev} = {commit[:10]} (temporary worktree {path})")
        print(f"current:  {_git('rev-parse', '--short=10', 'HEAD')}{dirty} ({current_root})")
        sides = {}
        for label, root in (("baseline", path), ("current", current_root)):
            sides[label] = Worker(root, label)
            stack.callback(sides[label].close)
        yield sides


def interleaved(sides: dict[str, Worker], rounds: int, cmd: str, **kwargs) -> dict[str, list[dict]]:
    """`rounds` rounds of `cmd` on each side in turn (A B A B ...); every side's replies in order."""
    replies: dict[str, list[dict]] = {label: [] for label in sides}
    for _ in range(rounds):
        for label, worker in sides.items():
            replies[label].append(worker.call(cmd, **kwargs))
    return replies


def print_table(
    title: str, unit: str, rows: list[tuple[str, list[float], list[float]]], higher_is_better: bool
) -> None:
    """Rows of (name, baseline values, current values), one value per interleaved round: the best
    of each side, the ratio of the bests (current / baseline) and the median of the ratios of the
    rounds' pairs (a round's two measurements are seconds apart, so a pair shares the machine's
    load of the moment)."""
    pick = max if higher_is_better else min
    verdict = "> 1: current faster" if higher_is_better else "> 1: current slower"
    print(f"\n{title}")
    print(f"  {'':<28} {'baseline':>10} {'current':>10}   current/baseline: {'best':>6} {'median pair':>11}")
    for name, base, cur in rows:
        b, c = pick(base), pick(cur)
        paired = statistics.median(x / y for x, y in zip(cur, base, strict=True))
        print(f"  {name:<28} {b:>10,.2f} {c:>10,.2f}   {'':>17} {c / b:>6.3f} {paired:>11.3f}")
    print(f"  ({unit}; {len(rows[0][1])} interleaved rounds A B A B ...; ratio {verdict})")


if __name__ == "__main__":
    if sys.argv[1:] != ["serve"]:
        raise SystemExit("usage: python benchmarks/baseline.py serve  (the worker behind --baseline)")
    try:
        serve()
    except KeyboardInterrupt:
        sys.exit(130)

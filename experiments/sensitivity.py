"""Which of the loop's parameters drive clonus duration and frequency? Sobol' indices.

Question: across lesions around the severe preset, which parameters decide how long clonus lasts,
and which set how fast it beats?
Method: Sobol' first-order (S1: the share of the output's variance a parameter explains alone)
and total (ST: with all its interactions) indices, from Saltelli sampling of the clonus test run
through the compiled sweep (reflexsim.sensitivity; 95 % bootstrap intervals as error bars).
Two boxes, both centred on the severe preset: every parameter +-25 % for the duration (the box
must reach the edge of the clonus region, or the duration is the run length everywhere), and
+-12.5 % for the frequency (a frequency needs clonus: in this box every run has it; in the wider
one 9 % of runs have fewer than 3 beats).
Change: PARAMETERS, WIDE / NARROW, SAMPLES (a power of two; runs = SAMPLES x (parameters + 2);
the intervals shrink as 1/sqrt(SAMPLES)).
Expect: the loop delay sets the frequency almost alone (the clonus period is about two loop
times); whether clonus lasts is decided by the reflex threshold and the twitch's contraction
time, with large interactions (sum of S1 well below 1).
"""

import time

import numpy as np
from _common import parse_args, save_numbers

import reflexsim as rs
from reflexsim.sensitivity import sensitivity, sensitivity_figure

LESION = "severe"
PARAMETERS = {  # path: short label
    "reflex.gain": "gain",
    "reflex.delay_s": "delay",
    "reflex.threshold_ips": "threshold",
    "muscle.contraction_time_s": "twitch time",
    "muscle.max_force_n": "max force",
    "muscle.passive_scale": "passive stiffness",
    "joint.damping_nms_per_rad": "joint damping",
    "foot.inertia_kg_m2": "foot inertia",
}
WIDE, NARROW = 0.25, 0.125  # +- fraction of the preset's value
DURATION_S = 12.0  # the clonus test's length: long enough to grade SCATS 3 (> 10 s)
SAMPLES = {"duration_s": 2048, "frequency_hz": 2048}

args = parse_args(__doc__)
model = rs.preset(LESION)
samples = {k: 16 for k in SAMPLES} if args.quick else SAMPLES


def box(width: float) -> dict[str, tuple[float, float]]:
    return {p: (model.get(p) * (1 - width), model.get(p) * (1 + width)) for p in PARAMETERS}


started = time.perf_counter()
runs = {
    "duration_s": sensitivity(model, box(WIDE), ["duration_s", "beats"], samples["duration_s"], duration_s=DURATION_S),
    "frequency_hz": sensitivity(model, box(NARROW), ["frequency_hz"], samples["frequency_hz"], duration_s=DURATION_S),
}
seconds = time.perf_counter() - started
for result in runs.values():
    print(result.summary())
print(f"{sum(r.runs for r in runs.values()):,} clonus tests in {seconds:.0f} s")

duration = runs["duration_s"]["duration_s"]
frequency = runs["frequency_hz"]["frequency_hz"]
labels = dict(PARAMETERS)
labels["duration_s"] = f"clonus duration, ±{WIDE:.0%} box"
labels["frequency_hz"] = f"clonus frequency, ±{NARROW:.1%} box"
fig = sensitivity_figure([duration, frequency], labels=labels)
fig.suptitle(f"Sobol' indices of the {LESION} lesion's clonus test ({DURATION_S:g} s)", fontsize=11)
fig.tight_layout()
fig.savefig(args.outdir / "sensitivity.png", dpi=110)

numbers = {
    "lesion": LESION,
    "duration_s_of_each_test": DURATION_S,
    "seconds": seconds,
    "boxes": {name: result.as_dict()["parameters"] for name, result in runs.items()},
    "indices": {name: result[name].as_dict() for name, result in runs.items()},
    "beats_in_the_wide_box": runs["duration_s"]["beats"].as_dict(),
    "runs": {name: result.runs for name, result in runs.items()},
    "share_of_runs_with_clonus_under_3_s": float(np.mean(runs["duration_s"].values["duration_s"] < 3.0)),
    "share_of_runs_under_3_beats": {
        "duration_s": float(np.mean(runs["duration_s"].values["beats"] < 3)),
        "frequency_hz": float(np.mean(np.isnan(runs["frequency_hz"].values["frequency_hz"]))),
    },
    "failed_runs": {name: result.failed_runs for name, result in runs.items()},
    "largest_ci_half_width": {
        name: float(np.nanmax(np.r_[result[name].S1_conf, result[name].ST_conf])) for name, result in runs.items()
    },
    "method": runs["duration_s"].method,
}
save_numbers(args.outdir / "sensitivity.json", numbers)

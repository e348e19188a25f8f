"""Botulinum toxin over the weeks after an injection into the calf.

Question: when does Botox help, and how long for? What do repeat injections every 12 weeks do?
Change: EVERY_WEEKS (0 = a single injection), PEAK_WEAKNESS, or the lesion.
Expect: force falls within days, bottoms out at 2-4 weeks (0.6-0.8 of baseline) and is back by
8-12 weeks; clonus shortens while the toxin acts; the spindle depression lasts longer.
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.treatments import apply

LESION = "severe"
EVERY_WEEKS = 12.0
PEAK_WEAKNESS = 0.3

args = parse_args(__doc__)
base = rs.preset(LESION)
courses = {
    "single": (0.0, np.arange(0, 16.01, 2.0 if args.quick else 0.5)),
    "every 12 weeks": (EVERY_WEEKS, np.arange(0, 36.01, 4.0 if args.quick else 1.0)),
}
fig = Figure(figsize=(10, 6), layout="constrained")
axes = fig.subplots(2, 2, sharex="col")
numbers = {}
for col, (label, (every, weeks)) in enumerate(courses.items()):
    force, durations, spindle = [], [], []
    for w in weeks:
        model = apply(base, "botox", weeks=w, every_weeks=every, peak_weakness=PEAK_WEAKNESS)
        m = rs.clonus_metrics(rs.simulate(model, duration_s=12.0))
        force.append(model.muscle.max_force_n / base.muscle.max_force_n)
        spindle.append(model.spindle.fusimotor_scale)
        durations.append(m.duration_s)
    numbers[label] = {"weeks": weeks.tolist(), "force": force, "spindle": spindle, "clonus_duration_s": durations}
    axes[0, col].plot(weeks, force, "o-", label="max force")
    axes[0, col].plot(weeks, spindle, "s--", label="spindle sensitivity")
    axes[0, col].set_ylabel("fraction of baseline")
    axes[0, col].set_title(f"Botox, {label}")
    axes[0, col].legend(fontsize=8)
    axes[1, col].plot(weeks, durations, "o-", color="C3")
    axes[1, col].axhline(10, color="0.5", ls=":")
    axes[1, col].set_ylabel("clonus duration (s)")
    axes[1, col].set_xlabel("weeks since the first injection")
fig.savefig(args.outdir / "botox_timecourse.png", dpi=110)
save_numbers(args.outdir / "botox_timecourse.json", numbers)
print({k: [round(d, 1) for d in v["clonus_duration_s"]] for k, v in numbers.items()})

"""Does the muscle tire during a minute of clonus, and does that stop the beating?

Question: a 60 s clonus test on the severe lesion with the muscle's fatigue switched on (force
capacity lost in proportion to activation, recovering over minutes): how far does force capacity
fall, and what happens to the beats' amplitude and frequency, for a control muscle and for a
chronically paralysed (far more fatigable) one?
Change: CASES (muscle.fatigue_rate_per_s, muscle.fatigue_recovery_s), PRESET, DURATION_S.
Expect: clonus activates the muscle lightly (one spike per unit per cycle), so even the paralysed
muscle keeps most of its force over a minute and keeps beating; fatigue alone does not end clonus
(physiology-joints.md §3: clonus stops for central reasons).
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.metrics import beats_table

PRESET = "severe"
DURATION_S = 60.0
CASES = {  # label: parameter changes
    "no fatigue (default)": {},
    "control muscle (0.0050 /s)": {"muscle.fatigue_rate_per_s": 0.0050},
    "chronically paralysed (0.040 /s)": {"muscle.fatigue_rate_per_s": 0.040},
    "the range maximum (0.1 /s)": {"muscle.fatigue_rate_per_s": 0.1},
}

args = parse_args(__doc__)
duration = 20.0 if args.quick else DURATION_S
runs, numbers = {}, {"preset": PRESET, "duration_s": duration, "cases": {}}
for label, changes in CASES.items():
    model = rs.preset(PRESET).with_values(changes)
    result = rs.simulate(model, duration_s=duration)
    table = beats_table(result)
    runs[label] = (result, table)
    late = table.time_s > duration - 5.0
    early = (table.time_s > table.time_s[0] + 1.0) & (table.time_s < table.time_s[0] + 6.0) if table.time_s.size else []
    numbers["cases"][label] = {
        "changes": changes,
        "beats": int(table.metrics.beats),
        "ongoing_at_end": bool(table.metrics.ongoing),
        "min_force_capacity": float(result.force_capacity.min()),
        "mean_activation": float(result.activation.mean()),
        "early_frequency_hz": float(1.0 / np.nanmean(table.interval_s[early])) if np.any(early) else None,
        "late_frequency_hz": float(1.0 / np.nanmean(table.interval_s[late])) if np.any(late) else None,
        "early_peak_to_peak_deg": float(np.mean(table.peak_to_peak_deg[early])) if np.any(early) else None,
        "late_peak_to_peak_deg": float(np.mean(table.peak_to_peak_deg[late])) if np.any(late) else None,
    }
    n = numbers["cases"][label]
    print(
        f"{label:34s} capacity min {n['min_force_capacity']:.3f}  beats {n['beats']:4d}  "
        f"f {n['early_frequency_hz'] or float('nan'):.2f} -> {n['late_frequency_hz'] or float('nan'):.2f} Hz  "
        f"p-p {n['early_peak_to_peak_deg'] or float('nan'):.2f} -> {n['late_peak_to_peak_deg'] or float('nan'):.2f} deg"
    )
save_numbers(args.outdir / "fatigue.json", numbers)

fig = Figure(figsize=(12, 7.5), layout="constrained")
axes = fig.subplots(2, 2, sharex=True)
(ax_cap, ax_force), (ax_pp, ax_f) = axes
for label, (result, table) in runs.items():
    ax_cap.plot(result.time_s, result.force_capacity, label=label)
    # the active torque's swing (max - min) in each second: the size of the clonic contractions
    per_s = round(1.0 / result.dt_s)
    seconds = result.active_torque_nm[: result.time_s.size // per_s * per_s].reshape(-1, per_s)
    swing = seconds.max(axis=1) - seconds.min(axis=1)
    ax_force.plot(np.arange(1, swing.size), swing[1:], label=label)  # from 1 s: after the stretch
    ax_pp.plot(table.time_s, table.peak_to_peak_deg, ".", ms=2, label=label)
    ax_f.plot(table.time_s[1:], 1.0 / table.interval_s[1:], ".", ms=2, label=label)
ax_cap.set_ylabel("force capacity (1 = fresh)")
ax_cap.legend(fontsize=8)
ax_force.set_ylabel("active torque swing per second (N·m)")
ax_pp.set_ylabel("beat peak-to-peak (°)")
ax_pp.set_ylim(0, 4)
ax_f.set_ylabel("beat frequency (Hz)")
ax_f.set_ylim(5.0, 6.5)
for ax in axes[1]:
    ax.set_xlabel("time (s)")
fig.suptitle(f"{duration:.0f} s clonus test on the {PRESET} lesion, with and without muscle fatigue")
fig.savefig(args.outdir / "fatigue.png", dpi=110)
print(f"wrote {args.outdir / 'fatigue.png'}")

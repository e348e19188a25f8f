"""Clonus test on the three presets, side by side.

Question: how does the same brisk stretch look on a healthy ankle, a mild and a severe
upper-motor-neuron lesion?
Change: the PRESETS list, or a parameter in CHANGES (e.g. {"reflex.delay_s": 0.05}).
Expect: healthy -> a small reflex burst and no clonus; mild -> clonus that dies out within
10 s (Tardieu 3); severe -> clonus still beating at the end (Tardieu 4, SCATS 3).
"""

from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs

PRESETS = ["healthy", "mild", "severe"]
CHANGES = {}  # e.g. {"reflex.gain": 3.0}

args = parse_args(__doc__)
duration = 6.0 if args.quick else 12.0

fig = Figure(figsize=(11, 6), layout="constrained")
axes = fig.subplots(2, len(PRESETS), sharex=True, sharey="row")
numbers = {}
for col, name in enumerate(PRESETS):
    model = rs.preset(name).with_values(CHANGES)
    result = rs.simulate(model, duration_s=duration)
    m = rs.clonus_metrics(result)
    numbers[name] = m.as_dict()
    axes[0, col].plot(result.time_s, result.angle_deg, lw=1)
    axes[0, col].set_title(f"{name}: {m.beats} beats, SCATS {m.scats}, Tardieu {m.tardieu}", fontsize=10)
    axes[1, col].plot(result.time_s, result.excitation, color="C3", lw=0.8)
    axes[1, col].set_xlabel("time (s)")
axes[0, 0].set_ylabel("ankle angle (°)")
axes[1, 0].set_ylabel("excitation (EMG-like)")
fig.suptitle("The clonus test on the three presets (stretch 10° at 250 °/s, then 30 N·m held)")
fig.savefig(args.outdir / "clonus_test_presets.png", dpi=110)
save_numbers(args.outdir / "clonus_test_presets.json", numbers)
for name, m in numbers.items():
    freq = m["frequency_hz"] or float("nan")
    print(f"{name:8s} beats {m['beats']:3d}  {freq:5.2f} Hz  duration {m['duration_s']:5.2f} s")

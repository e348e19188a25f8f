"""What does each treatment do to clonus in the severe lesion?

Question: which treatments stop sustained clonus, and which only shorten it?
Change: TREATMENTS (any `reflexsim treatments` spelling; combine with "+").
Expect: drugs, Botox at 3 weeks and a carbon AFO abolish or shorten the clonus; stretching
alone does not (it lowers passive stiffness, so the held pressure stretches the calf further).
"""

from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.treatments import apply_all

TREATMENTS = [
    "untreated",
    "baclofen",
    "tizanidine",
    "diazepam",
    "botox:weeks=3",
    "afo:stiffness_nm_per_deg=2",
    "afo:stop_deg=5",
    "stretching",
    "cooling",
    "rhizotomy",
    "tizanidine + afo_leaf_spring",
    "botox:weeks=3 + stretching",
]

args = parse_args(__doc__)
duration = 6.0 if args.quick else 12.0
base = rs.preset("severe")
rows = []
fig = Figure(figsize=(12, 9), layout="constrained")
axes = fig.subplots(4, 3, sharex=True, sharey=True).ravel()
for ax, label in zip(axes, TREATMENTS, strict=True):
    specs = [] if label == "untreated" else [s.strip() for s in label.split("+")]
    result = rs.simulate(apply_all(base, specs), duration_s=duration)
    m = rs.clonus_metrics(result)
    rows.append((label, m))
    ax.plot(result.time_s, result.angle_deg, lw=0.8)
    ax.set_title(f"{label}\n{m.beats} beats, SCATS {m.scats}, Tardieu {m.tardieu}", fontsize=9)
for ax in axes[-3:]:
    ax.set_xlabel("time (s)")
for ax in axes[::3]:
    ax.set_ylabel("angle (°)")
fig.suptitle("Severe lesion, clonus test: untreated vs treatments")
fig.savefig(args.outdir / "treatment_comparison.png", dpi=100)

lines = [
    "| treatment | beats | frequency (Hz) | duration (s) | sustained | SCATS | Tardieu |",
    "|---|---|---|---|---|---|---|",
]
for label, m in rows:
    freq = "—" if m.frequency_hz != m.frequency_hz else f"{m.frequency_hz:.2f}"
    lines.append(f"| {label} | {m.beats} | {freq} | {m.duration_s:.1f} | {m.sustained} | {m.scats} | {m.tardieu} |")
(args.outdir / "treatment_comparison.md").write_text("\n".join(lines) + "\n")
save_numbers(args.outdir / "treatment_comparison.json", {label: m.as_dict() for label, m in rows})
print("\n".join(lines))

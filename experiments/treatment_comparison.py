"""How much does each treatment do to the severe lesion's clonus, dose by dose?

Question: do treatments grade clonus (sustained -> fatigable -> gone) or switch it off?
Change: the ladders (doses, weeks) or the preset; or LADDERS to another treatment key.
Expect: tizanidine and Botox each pass through three or more SCATS grades; the usual
8 mg tizanidine dose shortens clonus without abolishing it; Botox acts at 2-4 weeks and
wears off by 8-12 weeks; baclofen grades it over 100-300 ng/ml; a stretching session shortens
the mild lesion's clonus for minutes only.
"""

from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.sweep import sweep

LADDERS = {  # sweep key: (preset, values)
    "treatment.tizanidine.dose_mg": ("severe", [0, 2, 4, 8, 16]),
    "treatment.botox.weeks": ("severe", [0, 1, 2, 3, 4, 8, 12, 16]),
    "treatment.baclofen.plasma_ng_per_ml": ("severe", [0, 50, 100, 150, 200, 300, 400]),
    "treatment.stretching.minutes_since": ("mild", [0, 5, 10, 20, 40, 60, 120, 240]),
}

args = parse_args(__doc__)
duration = 12.0  # grading needs the full 12 s test (SCATS 3 = clonus beyond 10 s)
fig = Figure(figsize=(12, 7), layout="constrained")
axes = fig.subplots(2, len(LADDERS), sharey="row")
numbers = {}
for col, (key, (preset, values)) in enumerate(LADDERS.items()):
    if args.quick:
        values = values[::2]
    ds = sweep(rs.preset(preset), {key: values}, duration_s=duration, progress=False)
    name, unit = key.split(".")[1], key.split(".")[2]
    durations, scats, tardieu = ds["duration_s"].values, ds["scats"].values, ds["tardieu"].values
    numbers[key] = {
        "values": list(values),
        "duration_s": durations.tolist(),
        "scats": scats.tolist(),
        "tardieu": tardieu.tolist(),
        "frequency_hz": ds["frequency_hz"].values.tolist(),
    }
    axes[0, col].plot(values, durations, "o-")
    axes[0, col].axhline(10, color="0.6", lw=0.8, ls="--")
    axes[0, col].set_title(f"{name} ({preset} lesion)")
    axes[1, col].plot(values, scats, "o-", label="SCATS")
    axes[1, col].plot(values, tardieu, "s--", label="Tardieu")
    axes[1, col].set_xlabel(unit.replace("_", " "))
axes[0, 0].set_ylabel("clonus duration (s)\n(> 10 s: sustained)")
axes[1, 0].set_ylabel("grade")
axes[1, 0].legend()
fig.suptitle("Standard clonus test: dose and time ladders")
fig.savefig(args.outdir / "treatment_comparison.png", dpi=100)
save_numbers(args.outdir / "treatment_comparison.json", numbers)
for key, row in numbers.items():
    print(key, "durations", [round(d, 1) for d in row["duration_s"]], "SCATS", row["scats"], "Tardieu", row["tardieu"])

"""How much does each treatment do to the severe lesion's clonus, dose by dose?

Question: do treatments grade clonus (sustained -> fatigable -> gone) or switch it off?
Change: the ladders (doses, weeks) or the preset; or LADDERS to another treatment key.
Expect: tizanidine and Botox each pass through three or more SCATS grades; the usual
8 mg tizanidine dose shortens clonus without abolishing it; Botox acts at 2-4 weeks and
wears off by 8-12 weeks; a stretching session helps only for minutes.
"""

from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.sweep import sweep

LADDERS = {
    "treatment.tizanidine.dose_mg": [0, 2, 4, 8, 16],
    "treatment.botox.weeks": [0, 1, 2, 3, 4, 8, 12, 16],
    "treatment.stretching.minutes_since": [0, 5, 10, 20, 40, 60, 120],
    "treatment.baclofen.plasma_ng_per_ml": [0, 100, 200, 300, 400, 600],
}

args = parse_args(__doc__)
duration = 12.0  # grading needs the full 12 s test (SCATS 3 = clonus beyond 10 s)
model = rs.preset("severe")
fig = Figure(figsize=(12, 7), layout="constrained")
axes = fig.subplots(2, len(LADDERS), sharey="row")
numbers = {}
for col, (key, values) in enumerate(LADDERS.items()):
    if args.quick:
        values = values[::2]
    ds = sweep(model, {key: values}, duration_s=duration, progress=False)
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
    axes[0, col].set_title(name)
    axes[1, col].step(values, scats, where="mid", label="SCATS")
    axes[1, col].step(values, tardieu, where="mid", label="Tardieu")
    axes[1, col].set_xlabel(unit.replace("_", " "))
axes[0, 0].set_ylabel("clonus duration (s)\n(> 10 s: sustained)")
axes[1, 0].set_ylabel("grade")
axes[1, 0].legend()
fig.suptitle("Severe lesion, standard clonus test: dose and time ladders")
fig.savefig(args.outdir / "treatment_comparison.png", dpi=100)
save_numbers(args.outdir / "treatment_comparison.json", numbers)
for key, row in numbers.items():
    print(key, "durations", [round(d, 1) for d in row["duration_s"]], "SCATS", row["scats"], "Tardieu", row["tardieu"])

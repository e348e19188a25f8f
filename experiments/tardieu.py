"""The modified Tardieu test at V1, V2 and V3 on the three presets.

Question: how does the muscle's reaction change with stretch velocity and with the lesion?
Change: VELOCITIES (deg/s), or add treatments in TREATMENTS (e.g. ["baclofen"]).
Expect: healthy -> no reaction at V1/V2, at most slight resistance at V3; lesions -> a catch
that appears at faster stretches and clonus after it (grade 3 mild, grade 4 severe).
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.clinical import tardieu_test
from reflexsim.treatments import apply_all

VELOCITIES = {"V1": 10.0, "V2": 100.0, "V3": 400.0}
TREATMENTS = []

args = parse_args(__doc__)
duration = 4.0 if args.quick else 12.0
fig = Figure(figsize=(8, 4), layout="constrained")
ax = fig.subplots()
numbers = {}
width = 0.25
for i, name in enumerate(["healthy", "mild", "severe"]):
    result = tardieu_test(apply_all(rs.preset(name), TREATMENTS), VELOCITIES, duration_s=duration)
    grades = [s.grade for s in result.stretches]
    ax.bar(np.arange(len(VELOCITIES)) + (i - 1) * width, grades, width, label=name)
    numbers[name] = {
        "grades": dict(zip(VELOCITIES, grades, strict=True)),
        "catch_angle_deg": {s.label: s.catch_angle_deg for s in result.stretches},
        "r2_range_deg": result.r2_range_deg,
        "spasticity_angle_deg": result.spasticity_angle_deg,
    }
ax.set_xticks(range(len(VELOCITIES)), [f"{k}\n{v:g} °/s" for k, v in VELOCITIES.items()])
ax.set_ylabel("Tardieu grade (quality of muscle reaction)")
ax.set_yticks(range(5))
ax.legend()
ax.set_title("Modified Tardieu test")
fig.savefig(args.outdir / "tardieu.png", dpi=110)
save_numbers(args.outdir / "tardieu.json", numbers)
for name, row in numbers.items():
    print(name, row["grades"], f"R2 {row['r2_range_deg']:.1f}°")

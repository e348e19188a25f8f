"""Convergence study: how the error of the fixed-step integrator falls as the step shrinks.

Question: which step is small enough? (This chose reflexsim's default, 0.5 ms.)
Change: PRESET, or the STEPS list.
Expect: RMS angle error falling roughly with the square of the step (order ~2: the spindle's
power law switches on abruptly at the start of the stretch), and no change in the clinical
numbers between 0.5 ms and 0.125 ms.
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs

PRESET = "severe"
STEPS = [2e-3, 1e-3, 5e-4, 2.5e-4, 1.25e-4]

args = parse_args(__doc__)
duration = 1.0 if args.quick else 3.0
model = rs.preset(PRESET)
reference = rs.simulate(model, duration_s=duration, dt_s=STEPS[-1] / 8)
rows = []
for dt in STEPS:
    try:
        run = rs.simulate(model, duration_s=duration, dt_s=dt)
    except rs.SimulationError as err:  # a step too large for the model says so
        rows.append({"dt_s": dt, "error": str(err)})
        continue
    stride = round(dt / reference.dt_s)
    diff = np.degrees(run.angle_rad - reference.angle_rad[::stride])
    m = rs.clonus_metrics(rs.simulate(model, dt_s=dt, duration_s=12.0 if not args.quick else 4.0))
    rows.append(
        {
            "dt_s": dt,
            "rms_error_deg": float(np.sqrt(np.mean(diff**2))),
            "max_error_deg": float(np.abs(diff).max()),
            "beats": m.beats,
            "frequency_hz": m.frequency_hz,
            "duration_s": m.duration_s,
        }
    )
ok = [r for r in rows if "rms_error_deg" in r]
order = np.polyfit(np.log([r["dt_s"] for r in ok]), np.log([r["rms_error_deg"] for r in ok]), 1)[0]

fig = Figure(figsize=(5.5, 4), layout="constrained")
ax = fig.subplots()
ax.loglog([r["dt_s"] * 1e3 for r in ok], [r["rms_error_deg"] for r in ok], "o-", label="RMS angle error")
ax.loglog([r["dt_s"] * 1e3 for r in ok], [r["max_error_deg"] for r in ok], "s--", label="max angle error")
ax.axvline(rs.DEFAULT_DT_S * 1e3, color="0.5", ls=":", label="default step")
ax.set_xlabel("step (ms)")
ax.set_ylabel(f"error vs {STEPS[-1] / 8 * 1e6:.1f} µs step (°)")
ax.set_title(f"{PRESET}: observed order {order:.2f}")
ax.legend(fontsize=8)
fig.savefig(args.outdir / "convergence.png", dpi=110)
save_numbers(args.outdir / "convergence.json", {"preset": PRESET, "observed_order": order, "runs": rows})
for r in rows:
    print(r)
print(f"observed order {order:.2f}")

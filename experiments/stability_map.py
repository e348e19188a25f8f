"""Where in gain x delay does clonus live? A sweep of the clonus test over both.

Question: for the default (severe) lesion, how long does clonus last at each reflex gain and
loop delay, and where does the linear analysis put the Hopf boundary?
Change: LESION, the GAINS and DELAYS ranges, or DURATION_S (>= 12 s to grade SCATS 3).
Expect: no clonus at low gain or short delay; sustained clonus (SCATS 3) above a boundary
whose critical gain falls as the delay grows; the physiological ~40 ms delay sits inside the
band where the lesion's gain gives clonus, and the Hopf curve follows the edge of the clonus
region.
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.sweep import summary, sweep

LESION = "severe"
GAINS = (0.0, 10.0)  # reflex.gain range
DELAYS = (0.01, 0.10)  # reflex.delay_s range, s
DURATION_S = 12.0
PHYSIOLOGICAL_DELAY_S = 0.040  # Sinkjaer et al. 1996: soleus short-latency onset 42 +- 3 ms

args = parse_args(__doc__)
n = 12 if args.quick else 64
model = rs.preset(LESION)
gains = np.linspace(*GAINS, n)
delays = np.linspace(*DELAYS, n)
ds = sweep(model, {"reflex.gain": gains, "reflex.delay_s": delays}, duration_s=6.0 if args.quick else DURATION_S)
print(summary(ds))

# The Hopf boundary from the stability analysis (critical gain at each delay), when available.
try:
    from reflexsim.stability import hopf_boundary
except ImportError:  # the stability module is optional here
    boundary = None
else:
    hopf_delays = np.linspace(*DELAYS, 5 if args.quick else 24)
    boundary = hopf_boundary(model, "reflex.delay_s", hopf_delays)

fig = Figure(figsize=(8, 5.5), layout="constrained")
ax = fig.subplots()
bands = ListedColormap(["#f2f2f2", "#fdd49e", "#fc8d59", "#b30000"])
image = ax.pcolormesh(
    delays * 1e3,
    gains,
    ds.scats.values,
    cmap=bands,
    norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], 4),
    shading="nearest",
)
colorbar = fig.colorbar(image, ticks=[0, 1, 2, 3])
colorbar.ax.set_yticklabels(["0 none", "1 < 3 s", "2 3-10 s", "3 > 10 s"])
colorbar.set_label("SCATS clonus score")
lines = ax.contour(delays * 1e3, gains, ds.duration_s.values, levels=[1, 3, 6, 10], colors="k", linewidths=0.7)
ax.clabel(lines, fmt="%g s", fontsize=8)
ax.axvline(PHYSIOLOGICAL_DELAY_S * 1e3, color="C0", ls="--", lw=1.2, label="physiological delay ≈ 40 ms")
ax.plot(model.reflex.delay_s * 1e3, model.reflex.gain, "o", color="C0", label=f"{LESION} preset")
if boundary is not None:
    found = boundary.found
    ax.plot(boundary.values[found] * 1e3, boundary.critical_gain[found], color="C2", lw=2, label="Hopf boundary")
ax.set_xlabel("reflex loop delay (ms), plus 12 ms electromechanical delay")
ax.set_ylabel("reflex gain (1 = healthy)")
ax.set_ylim(*GAINS)
ax.set_title(f"Clonus duration over gain x delay, {LESION} lesion (contours: duration in s)")
ax.legend(loc="upper right", fontsize=8)
fig.savefig(args.outdir / "stability_map.png", dpi=110)

numbers = {
    "summary": summary(ds),
    "gain": gains.tolist(),
    "delay_s": delays.tolist(),
    "duration_s": ds.duration_s.values.tolist(),
    "scats": ds.scats.values.astype(int).tolist(),
}
if boundary is not None:
    numbers["hopf_delay_s"] = boundary.values.tolist()
    numbers["hopf_critical_gain"] = np.where(boundary.found, boundary.critical_gain, np.nan).tolist()
save_numbers(args.outdir / "stability_map.json", numbers)

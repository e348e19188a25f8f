"""Designing an ankle-foot orthosis against clonus: stiffness x dorsiflexion stop.

Question: how stiff must an AFO be, and where should its stop sit, to stop clonus?
Change: LESION, the STIFFNESSES and STOPS grids, or add a heel wedge in AFO_EXTRA.
Expect: no AFO -> sustained clonus; clonus shortens as stiffness rises through the carbon range
(0.58-3.66 N·m/deg) and vanishes above ~1-2 N·m/deg; a stop well inside the stretch helps too.
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim.treatments import apply

LESION = "severe"
AFO_EXTRA = {}  # e.g. {"wedge_deg": 5.0}

args = parse_args(__doc__)
n = 4 if args.quick else 10
stiffnesses = np.linspace(0.0, 3.66, n)  # N·m/deg
stops = np.array([np.inf, 10.0, 6.0, 3.0, 0.0]) if not args.quick else np.array([np.inf, 3.0])
base = rs.preset(LESION)
duration = np.zeros((len(stops), len(stiffnesses)))
for i, stop in enumerate(stops):
    for j, k in enumerate(stiffnesses):
        model = apply(base, "afo", stiffness_nm_per_deg=k, stop_deg=stop, **AFO_EXTRA)
        m = rs.clonus_metrics(rs.simulate(model, duration_s=12.0))
        duration[i, j] = m.duration_s

fig = Figure(figsize=(7, 4), layout="constrained")
ax = fig.subplots()
image = ax.imshow(
    duration,
    aspect="auto",
    origin="lower",
    cmap="magma_r",
    vmin=0,
    vmax=12,
    extent=(stiffnesses[0], stiffnesses[-1], -0.5, len(stops) - 0.5),
)
ax.set_yticks(range(len(stops)), ["none" if not np.isfinite(s) else f"{s:g}°" for s in stops])
ax.axvspan(0.58, 3.66, color="w", alpha=0.1)
ax.set_xlabel("AFO stiffness (N·m/deg); carbon AFOs 0.58-3.66")
ax.set_ylabel("dorsiflexion stop")
ax.set_title(f"Clonus duration (s), {LESION} lesion, standard clonus test")
fig.colorbar(image, label="clonus duration (s); 12 = still beating")
fig.savefig(args.outdir / "afo_design.png", dpi=110)
save_numbers(
    args.outdir / "afo_design.json",
    {
        "stiffness_nm_per_deg": stiffnesses.tolist(),
        "stop_deg": [str(s) for s in stops],
        "duration_s": duration.tolist(),
    },
)
print(np.round(duration, 1))

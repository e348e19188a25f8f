"""Ankle system identification: stiffness K, damping B and damping ratio against background torque.

Question: does the model's small-signal ankle impedance behave like the lab's (K ∝ torque, ζ ~ constant)?
Change: PRESET, TORQUES (background plantarflexor torque, N·m), the perturbation in PRBS.
Expect: the TOLERANCES (fixed in docs/system_id.md before the first run), e.g. rest K 10-150 N·m/rad,
dK/dT 1.5-6 /rad, ζ max/min < 2 (Weiss, Hunter & Kearney 1988), reflex share of K 1-55 % (Mirbagheri 2000).
"""

from dataclasses import replace

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

from reflexsim.identification import impedance_vs_torque, sweep_summary, sweep_table
from reflexsim.presets import preset
from reflexsim.protocols import PositionPerturbation

PRESET, TORQUES, PRBS = "healthy", [0.0, 5.0, 15.0, 30.0], PositionPerturbation()  # PRBS: ±1°, 150 ms ticks, 8 s
PANELS = {"stiffness_nm_per_rad": "K (N·m/rad)", "damping_nms_per_rad": "B (N·m·s/rad)", "damping_ratio": "ζ"}
TOLERANCES = {  # label: (number of sweep_summary, low, high), stated before the first run (docs/system_id.md)
    "T1 rest K (N·m/rad)": ("rest_stiffness_nm_per_rad", 10, 150),
    "T2 rest B (N·m·s/rad)": ("rest_damping_nms_per_rad", 0.2, 2),
    "T3 worst |I / foot.inertia - 1|": ("worst_inertia_error", 0, 0.2),
    "T4 dK/dT (/rad)": ("stiffness_per_torque_per_rad", 1.5, 6),
    "T5 smallest rise of K between torques (N·m/rad)": ("smallest_stiffness_rise_nm_per_rad", 1e-9, np.inf),
    "T6 zeta max/min": ("damping_ratio_spread", 1, 2),
    "T7 worst VAF (%)": ("worst_vaf_percent", 90, 100),
    "T8a peak reflex share of K, (K_on - K_off) / K_on": ("peak_reflex_share", 0.01, 0.55),
    "T8b torque at the peak share (N·m)": ("torque_at_peak_reflex_share_nm", 0, 5),
    "T9 K(±0.5°) / K(±2°) at 15 N·m": ("amplitude_stiffness_ratio", 1, np.inf),
}

args = parse_args(__doc__)
prbs, model = replace(PRBS, duration_s=3.0) if args.quick else PRBS, preset(PRESET)
points = impedance_vs_torque(model, TORQUES, protocol=prbs)
off, on = sweep_table(points, False), sweep_table(points, True)
amp = [impedance_vs_torque(model, [15.0], protocol=replace(prbs, amplitude_deg=a), reflex_on=[0]) for a in (0.5, 2)]
ka = [a[0].impedance.stiffness_nm_per_rad for a in amp]
summary = {**sweep_summary(points, model.foot.inertia_kg_m2), "amplitude_stiffness_ratio": ka[0] / ka[1]}
checks = {label: (summary[key], bool(lo <= summary[key] <= hi)) for label, (key, lo, hi) in TOLERANCES.items()}
t, k, z = np.array(TORQUES), off["stiffness_nm_per_rad"], off["damping_ratio"]
axes = (fig := Figure(figsize=(13, 4.2), layout="constrained")).subplots(1, 3)
for ax, (key, label) in zip(axes, PANELS.items(), strict=True):
    ax.plot(t, off[key], "o-", label="model, reflex off (intrinsic)")
    ax.plot(t, on[key], "s--", label=f"model, reflex on ({PRESET})")
    ax.set(xlabel="background plantarflexor torque (N·m)", ylabel=label)
axes[0].fill_between(t, k[0] + 1.5 * t, k[0] + 6 * t, color="0.9", label="tolerance 1.5-6 /rad (Weiss 1988: K ∝ T)")
axes[0].fill_between(t, k[0] + 2.5 * t, k[0] + 4 * t, color="0.75", label="series elasticity 2.5-4 /rad (Hof 1998)")
axes[0].errorbar(0, 35, 25, fmt="none", ecolor="k", capsize=5, label="rest 10-60 (Kearney/Hunter, from memory)")
axes[1].errorbar(0, 0.65, 0.35, fmt="none", ecolor="k", capsize=5, label="rest 0.3-1 (Kearney/Hunter, from memory)")
axes[2].fill_between(t, z.mean() / 2**0.5, z.mean() * 2**0.5, color="0.9", label="ζ ~ constant (Weiss 1988)")
[(ax.legend(fontsize=7), ax.set_ylim(bottom=0)) for ax in axes]
fig.suptitle(f"PRBS ±{prbs.amplitude_deg:g}° on the {PRESET} ankle; tolerances: docs/system_id.md")
fig.savefig(args.outdir / "system_id.png", dpi=110)
tables = {name: {c: v.tolist() for c, v in tab.items()} for name, tab in (("reflex_off", off), ("reflex_on", on))}
numbers = {"protocol": prbs.describe(), **tables, "K_at_15nm_for_0.5_and_2_deg": ka, "summary": summary}
numbers["checks"] = {label: {"value": v, "pass": ok} for label, (v, ok) in checks.items()}
save_numbers(args.outdir / "system_id.json", numbers)
print("\n".join(f"{'pass' if ok else 'MISS'}  {label}: {v:.4g}" for label, (v, ok) in checks.items()))

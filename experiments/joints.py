"""Do the knee, wrist and jaw beat like the ankle when only the joint's data change?

Question: the literature says clonus at the ankle, patella and wrist has a similar frequency
(Walsh & Wright 1987) and that jaw clonus is faster (~10 Hz, a 6–8 ms loop). With one set of
equations and each joint as data (`reflexsim.joints`), what do the joints' own clinical tests give?
Change: the joints' values in reflexsim/joints.py, or VARIANTS.
Expect: every severe variant beats in sustained clonus and every healthy one does not; the knee
beats faster than the ankle (shorter loop, faster twitch), the jaw much faster (13–14 Hz: its
loop is 8 ms), the wrist much slower (≈ 3 Hz, large swings: a light, weak joint with almost no
passive stiffness) — docs/validation.md says where that disagrees with the literature. Each
joint's orthosis (ankle-foot orthosis, knee brace, wrist splint) shortens or stops the severe
clonus; the jaw has none.
"""

import math

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure

import reflexsim as rs
from reflexsim import stability
from reflexsim.joints import JOINTS

VARIANTS = ("healthy", "mild", "severe")


def burst_onset_ms(result: rs.Result) -> float:
    """Reflex latency as docs/validation.md measures the ankle's: the first time after the stretch
    starts that the excitation exceeds its initial value by 0.01."""
    start = result.events.stretch_start_s
    burst = (result.excitation > result.excitation[0] + 0.01) & (result.time_s >= start)
    return 1000 * (result.time_s[np.argmax(burst)] - start) if burst.any() else math.nan


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    numbers: dict = {}
    names = list(JOINTS)[:4]
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, len(names), sharex=True)
    for col, name in enumerate(names):
        spec = JOINTS[name]
        test = spec.clonus_test
        duration = 4.0 if args.quick else test.duration_s
        row: dict = {"test": test.name, "muscle": spec.muscle, "delay_ms": 1000 * spec.model().reflex.delay_s}
        for variant in VARIANTS:
            model = spec.model(variant)
            result = rs.simulate(model, test.protocol, duration_s=duration)
            m = rs.clonus_metrics(result)
            row[variant] = {
                "beats": m.beats,
                "frequency_hz": m.frequency_hz,
                "duration_s": m.duration_s,
                "ongoing": m.ongoing,
                "scats": m.scats,
                "max_peak_to_peak_deg": m.max_peak_to_peak_deg,
            }
            if variant in ("healthy", "severe"):
                row[f"{variant}_burst_onset_ms"] = burst_onset_ms(result)
            if variant != "mild":
                t = result.time_s
                window = t <= min(duration, 4.0)
                axes[0 if variant == "severe" else 1, col].plot(
                    t[window], result.angle_deg[window], lw=0.8, color="C3" if variant == "severe" else "C0"
                )
        braced = spec.with_orthosis(spec.model("severe"))  # the orthosis that fits the joint (none: jaw)
        mb = rs.clonus_metrics(rs.simulate(braced, test.protocol, duration_s=duration))
        row["orthosis"] = {
            "name": spec.orthosis_name,
            "beats": mb.beats,
            "duration_s": mb.duration_s,
            "scats": mb.scats,
        }
        crit = stability.critical_gain(
            spec.model("severe"), test.protocol.hold_torque_nm, scan_points=21 if args.quick else 41
        )
        row["critical_gain"] = crit.gain
        row["linear_onset_hz"] = crit.frequency_hz
        numbers[name] = row
        sev = row["severe"]
        axes[0, col].set_title(f"{name}: {test.name}\nsevere, {sev['frequency_hz']:.1f} Hz", fontsize=9)
        axes[1, col].set_title("healthy", fontsize=9)
        axes[1, col].set_xlabel("time (s)")
        axes[0, col].set_ylabel(f"{spec.angle.split(';')[0]} (°)", fontsize=8)
        print(
            f"{name:6} {test.name:28} severe {sev['frequency_hz']:5.2f} Hz ({sev['beats']} beats, "
            f"ongoing {sev['ongoing']}), mild {row['mild']['beats']} beats / {row['mild']['duration_s']:.1f} s, "
            f"healthy {row['healthy']['beats']} beats; latency healthy {row['healthy_burst_onset_ms']:.1f} ms, "
            f"severe {row['severe_burst_onset_ms']:.1f} ms; with {spec.orthosis_name}: {mb.beats} beats "
            f"/ {mb.duration_s:.1f} s; "
            f"critical gain {crit.gain:.2f} at {crit.frequency_hz:.2f} Hz"
        )
    fig.suptitle("One model, four joints: each joint's own clonus test (only the joint's data differ)")
    fig.savefig(args.outdir / "joints.png", dpi=110)
    save_numbers(args.outdir / "joints.json", numbers)


if __name__ == "__main__":
    main()

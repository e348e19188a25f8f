"""`reflexsim pendulum`: the knee pendulum (Wartenberg) test on the knee with the shank as segment.

    reflexsim pendulum [--preset healthy|mild|severe] [--set PATH=VALUE ...] [--duration S] [--json] [--plot FIG]

The model is `reflexsim.joints.knee_pendulum_model`, the protocol `reflexsim.protocols.PendulumTest`
and the grading `reflexsim.metrics.pendulum_metrics` (docs/model.md, "Knee pendulum (Wartenberg)
test"). `reflexsim.cli` calls `register`.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..joints import VARIANTS, knee_pendulum_model
from ..metrics import R2_NORMAL, pendulum_metrics
from ..protocols import PendulumTest
from ..simulation import simulate
from .options import checked_figure, number_option, pairs, parameter_values, print_json

DEFAULT_PENDULUM_S = 10.0


def register(sub: Any) -> None:
    """Add ``pendulum`` to the subcommands `sub`."""
    p = sub.add_parser("pendulum", help="the knee pendulum (Wartenberg) test: swings and relaxation index R2")
    p.add_argument("--preset", default="healthy", choices=list(VARIANTS), help="knee variant (default healthy)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter (repeatable)")
    p.add_argument(
        "--duration",
        type=number_option("--duration", 2.0, 60.0, "s"),
        default=DEFAULT_PENDULUM_S,
        help=f"simulated time in s (default {DEFAULT_PENDULUM_S:g}); the resting angle is the last second's mean",
    )
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--plot", default=None, metavar="FIG", help="write the knee angle over time to FIG")
    p.set_defaults(func=cmd_pendulum)


def cmd_pendulum(args: argparse.Namespace) -> int:
    """Run the pendulum test, print its metrics and optionally plot the swings."""
    figure = checked_figure(args.plot) if args.plot else None
    model = knee_pendulum_model(args.preset)
    values = parameter_values(pairs(args.set, "--set", "PATH=VALUE (e.g. reflex.gain=3)"))
    if values:
        changed = ", ".join(f"{path}={value:g}" for path, value in values.items())
        model = model.with_values(values, name=f"{model.name} [{changed}]")
    result = simulate(model, PendulumTest(), duration_s=args.duration)
    m = pendulum_metrics(result)
    if args.json:
        print_json({"model": model.name, "protocol": PendulumTest().describe(), "metrics": m.to_dict()})
    else:
        rest = f"{m.rest_deg:.1f}°" + ("" if m.settled else " (mean: the leg had not settled)")
        print(f"knee pendulum test, {model.name}")
        print(f"  first swing      {m.first_swing_deg:.1f}° (first flexion peak {m.first_peak_deg:.1f}°)")
        print(f"  resting angle    {rest}")
        print(f"  R2               {m.relaxation_index:.2f} (R2n {m.normalised_index:.2f}; healthy ≥ {R2_NORMAL:g})")
        print(f"  swings           {m.swings}")
        print(f"  period           {m.period_s:.2f} s (first two flexion peaks)")
    if figure is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(result.time_s, result.angle_deg, lw=1.2)
        ax.axhline(m.rest_deg, ls="--", lw=0.8, color="grey", label=f"rest {m.rest_deg:.1f}°")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("knee flexion (deg)")
        ax.invert_yaxis()  # the clinic's view: extension up
        unsettled = "" if m.settled else " (not settled: R2 against the mean angle)"
        ax.set_title(f"{model.name}: R2 {m.relaxation_index:.2f}, {m.swings} swings{unsettled}")
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(figure)
        plt.close(fig)
        if not args.json:
            print(f"wrote {figure}")
    return 0

"""A picture of the stretch-reflex loop, annotated with a preset's numbers.

Question: what are the pieces of the loop that makes clonus, and where does each treatment act?
Change: PRESET, or apply treatments in TREATMENTS to see the numbers move.
Expect: spindle -> afferent -> spinal cord -> efferent -> muscle -> ankle -> spindle, with the
loop delay, the gain and threshold, the twitch time, and the treatments at their targets.
"""

from _common import parse_args, save_numbers

import reflexsim as rs
from reflexsim.plotting import reflex_loop_figure, save_figure
from reflexsim.treatments import apply_all

PRESET = "severe"
TREATMENTS = []  # e.g. ["baclofen"]

args = parse_args(__doc__)
model = apply_all(rs.preset(PRESET), TREATMENTS)
path = save_figure(reflex_loop_figure(model), args.outdir / "reflex_loop.png", dpi=100)
save_numbers(args.outdir / "reflex_loop.json", dict(model.items()))
print(f"wrote {path}")

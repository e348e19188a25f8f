"""Which triggers make the mild lesion's clonus sustained, and which leave a healthy ankle clonus-free?

Question: serotonin, stimulants, stress, sleep loss, fatigue and drug withdrawal are said to bring
on clonus. Which turn the mild lesion's fatigable clonus into sustained clonus, and what do they do
to a healthy ankle?
Change: CASES (a trigger and its keys, see `reflexsim.triggers.TRIGGERS`), or COURSES.
Expect: everything that raises the loop's excitability (serotonin, caffeine, amphetamine, stress,
withdrawal) makes the mild lesion's clonus sustained; sleep loss changes nothing and fatigue
shortens it. A healthy ankle stays clonus-free under all but serotonin toxicity, which gives
inducible clonus at the moderate level and spontaneous clonus (at rest, unprovoked) at the severe one.
"""

import numpy as np
from _common import parse_args, save_numbers
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import reflexsim as rs
from reflexsim.triggers import AT_REST, TRIGGERS

CASES = [  # label, trigger (None: no trigger), keys
    ("no trigger", None, {}),
    ("serotonin toxicity, mild (1)", "serotonin_toxicity", {"severity": 1}),
    ("serotonin toxicity, moderate (2)", "serotonin_toxicity", {"severity": 2}),
    ("serotonin toxicity, severe (3)", "serotonin_toxicity", {"severity": 3}),
    ("caffeine 6 mg/kg, 1 h", "caffeine", {}),
    ("caffeine 3 mg/kg, 1 h", "caffeine", {"dose_mg_per_kg": 3}),
    ("amphetamine, at its peak", "amphetamine", {}),
    ("stress: mental arithmetic", "stress", {}),
    ("stress: static handgrip", "stress", {"reflex_increase_pct": 160}),
    ("sleep loss, 24 h", "sleep_loss", {}),
    ("fatigue, right after", "fatigue", {}),
    ("fatigue, 30 min after", "fatigue", {"minutes_since": 30}),
    ("baclofen withdrawal, day 2", "baclofen_withdrawal", {}),
    ("benzodiazepine withdrawal, day 7", "benzodiazepine_withdrawal", {}),
]
COURSES = {  # time courses on the mild lesion: trigger, time key, unit, times
    "caffeine 6 mg/kg": ("caffeine", "hours_after_dose", "h", [0, 0.25, 0.5, 1, 2, 4, 6, 8, 12, 16, 24]),
    "fatigue": ("fatigue", "minutes_since", "min", [0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 60]),
    "baclofen withdrawal": ("baclofen_withdrawal", "days_since_stop", "days", [0, 0.1, 0.2, 0.5, 1, 2, 4, 7, 14, 21]),
    "benzodiazepine withdrawal": ("benzodiazepine_withdrawal", "days_since_stop", "days", [0, 1, 2, 4, 7, 14, 30, 45]),
}
TEST_S = REST_S = 12.0  # the whole clonus test, and as long untouched at rest (SCATS 3 = beyond 10 s)

args = parse_args(__doc__)


def triggered(preset, name, keys):
    return rs.preset(preset) if name is None else TRIGGERS[name](rs.preset(preset), **keys)


def grade(model, protocol=None, duration=TEST_S):
    m = rs.clonus_metrics(rs.simulate(model, protocol, duration_s=duration))
    return {"beats": m.beats, "duration_s": m.duration_s, "scats": m.scats, "frequency_hz": m.frequency_hz}


numbers = {"cases": {}, "courses": {}}
for label, name, keys in CASES:
    numbers["cases"][label] = {
        "mild": grade(triggered("mild", name, keys)),
        "healthy": grade(triggered("healthy", name, keys)),
        "healthy_at_rest": grade(triggered("healthy", name, keys), AT_REST, REST_S),
    }
for label, (name, key, unit, times) in COURSES.items():
    times = times[::2] if args.quick else times
    durations = [grade(TRIGGERS[name](rs.preset("mild"), **{key: t}))["duration_s"] for t in times]
    numbers["courses"][label] = {"times": times, "unit": unit, "duration_s": durations}

# The figure: a grading table (left), serotonin toxicity on the healthy ankle (top right), and time
# courses on the mild lesion (bottom right).
fig = Figure(figsize=(15, 8.5), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.05, 1])
ax = left.subplots()
columns = {
    "mild": "mild lesion\nclonus test",
    "healthy": "healthy ankle\nclonus test",
    "healthy_at_rest": "healthy ankle\nat rest",
}
colours = ["#e8f3e8", "#fde3b5", "#f9b27f", "#e4574e"]  # SCATS 0, 1, 2, 3
labels = list(numbers["cases"])
for row, label in enumerate(labels):
    for col, key in enumerate(columns):
        g = numbers["cases"][label][key]
        text = f"{g['beats']} beats\n{g['duration_s']:.1f} s" if g["scats"] else "no clonus"
        ax.add_patch(Rectangle((col, row), 1, 1, facecolor=colours[g["scats"]], edgecolor="white"))
        ax.text(col + 0.5, row + 0.5, text, ha="center", va="center", fontsize=8)
ax.set_xlim(0, len(columns))
ax.set_ylim(len(labels), 0)
ax.set_xticks(np.arange(len(columns)) + 0.5, list(columns.values()), fontsize=9)
ax.xaxis.tick_top()
ax.set_yticks(np.arange(len(labels)) + 0.5, labels, fontsize=9)
ax.tick_params(length=0)
for spine in ax.spines.values():
    spine.set_visible(False)
ax.set_xlabel("colour: SCATS 0 (< 3 beats) green, 1 (< 3 s) yellow, 2 (3-10 s) orange, 3 (> 10 s) red", fontsize=9)

top, bottom = right.subfigures(2, 1, height_ratios=[1, 1])
ax_test, ax_rest = top.subplots(1, 2)
healthy = rs.preset("healthy")
levels = {1: "1 hyperreflexia", 2: "2 inducible clonus", 3: "3 spontaneous clonus"}
for (level, text), colour in zip(levels.items(), ("C0", "C1", "C3"), strict=True):
    model = TRIGGERS["serotonin_toxicity"](healthy, severity=level)
    test = rs.simulate(model, duration_s=8.0)
    rest = rs.simulate(model, AT_REST, duration_s=6.0)
    ax_test.plot(test.time_s, test.angle_deg - 50 * (level - 1), color=colour, lw=0.8, label=text)
    ax_rest.plot(rest.time_s, rest.angle_deg - rest.angle_deg[0] - 8 * (level - 1), color=colour, lw=0.8)
ax_test.set_title("clonus test: stretch, then 30 N·m held", fontsize=9)
ax_rest.set_title("at rest: untouched (a 0.2 N·m nudge at 0.5 s)", fontsize=9)
ax_test.set_ylabel("ankle angle (°), levels offset")
ax_rest.set_ylabel("angle from rest (°), levels offset")
for a in (ax_test, ax_rest):
    a.set_xlabel("time (s)")
    a.set_yticks([])
ax_test.legend(fontsize=8, loc="lower right")
top.suptitle("Serotonin toxicity on a healthy ankle, levels 1-3 (Hunter criteria)", fontsize=10)

axes = bottom.subplots(1, len(COURSES), sharey=True)
for a, (label, course) in zip(axes, numbers["courses"].items(), strict=True):
    a.plot(course["times"], course["duration_s"], "o-", ms=3)
    a.axhline(numbers["cases"]["no trigger"]["mild"]["duration_s"], color="0.5", ls=":", lw=1)
    a.axhline(10, color="0.5", ls="--", lw=0.8)
    a.set_title(label.replace(" ", "\n", 1), fontsize=9)
    a.set_xlabel(f"time ({course['unit']})")
axes[0].set_ylabel("mild lesion: clonus duration (s)\n(dotted: no trigger; > 10 s: sustained)")
bottom.suptitle("Time courses on the mild lesion", fontsize=10)
fig.suptitle("Triggers of clonus in the model", fontsize=12)
fig.savefig(args.outdir / "triggers.png", dpi=100)
save_numbers(args.outdir / "triggers.json", numbers)

print(f"{'trigger':34s} | {'mild lesion: clonus test':24s} | {'healthy: clonus test':22s} | healthy at rest")
for label, row in numbers["cases"].items():
    cells = [f"{g['beats']:3d} beats {g['duration_s']:5.1f} s SCATS {g['scats']}" for g in row.values()]
    print(f"{label:34s} | " + " | ".join(cells))
for label, course in numbers["courses"].items():
    print(label, course["unit"], course["times"], "->", [round(d, 1) for d in course["duration_s"]])

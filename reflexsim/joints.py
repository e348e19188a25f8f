"""Joints as data: the ankle, knee, wrist and jaw run through one set of equations.

The loop's equations (reflexsim/kernel.py) are written once, for one rotational degree of freedom
θ that is **positive in the direction that stretches the reflex muscle** (ankle dorsiflexion,
knee flexion, wrist extension, jaw opening). A joint is only data: the moved segment (the
``foot.*`` section holds it for every joint — the name is historical), its passive joint moment
(``joint.*``), the muscle (force, fibre length, pennation, moment arm, twitch), the spindle, the
loop delay, the gravity arm, the orthosis that fits it, its clinical test, and the lesion
variants. Every value carries its source; ``[assumed]`` marks what the literature did not give
(../shared/physiology-joints.md collects the numbers, tagged [V] read, [M] from memory, [D] derived).

The lesion variants follow one recipe for every joint, the ankle's (reflexsim/presets.py): tone
0.01, post-activation depression 0.012, passive muscle force ×2, and a recruitment threshold
19 imp/s below the static Ia rate of the reflex-free lesioned joint under its test's pressure (the
ankle's 65 imp/s lies 19 imp/s below its 84 imp/s); gain 1.8 (mild) and 3.6 (severe). The healthy
variant's threshold lies 91 imp/s above that rate (the ankle's 175 imp/s), gain 1. Nothing was
tuned per joint to reach a frequency: the frequencies in docs/validation.md are predictions.

Add a joint: build a `JointSpec` and `register` it (docs/extending.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import ParameterError
from .params import Model
from .protocols import ClonusTest, PendulumTest, ProtocolLike

ASSUMED = "[assumed]"

# The ankle's lesion recipe (reflexsim/presets.py), shared by every joint.
LESION_COMMON: Mapping[str, float] = MappingProxyType(
    {"reflex.tone": 0.01, "reflex.depression_per_impulse": 0.012, "muscle.passive_scale": 2.0}
)
LESION_GAINS: Mapping[str, float] = MappingProxyType({"healthy": 1.0, "mild": 1.8, "severe": 3.6})
THRESHOLD_MARGIN_IPS = 19.0  # lesion threshold below the static Ia rate of the held, reflex-free joint
HEALTHY_MARGIN_IPS = 91.0  # healthy threshold above that rate (the ankle: 175 = 84 + 91)
VARIANTS = ("healthy", "mild", "severe")


@dataclass(frozen=True)
class ClinicalTest:
    """One bedside test of a joint: a protocol, the segment it moves and how long to run it.

    Attributes
    ----------
    name : str
        Clinical name, e.g. ``"patellar clonus test"``.
    protocol : ProtocolLike
        What the examiner does (a `ClonusTest` with the joint's settings).
    segment : str
        Key of `JointSpec.segments` whose values the test needs (``""``: the joint's default segment).
    duration_s : float
        Simulated time, s.
    description : str
        What is done, in words.

    Examples
    --------
    >>> from reflexsim.joints import joint
    >>> test = joint("knee").tests[0]
    >>> test.name, test.protocol.hold_torque_nm
    ('patellar clonus test', 4.0)
    """

    name: str
    protocol: ProtocolLike
    segment: str = ""
    duration_s: float = 12.0
    description: str = ""


@dataclass(frozen=True)
class JointSpec:
    """A joint as data: the values that differ from the model's defaults (the ankle), with sources.

    Attributes
    ----------
    name : str
        Joint name (``"knee"``), used by ``--joint``.
    muscle : str
        The reflex muscle (``"quadriceps"``).
    segment : str
        What moves in the joint's own clonus test.
    angle : str
        What +θ means for this joint (the direction that stretches the muscle).
    summary : str
        One line for listings.
    values : Mapping[str, tuple[float, str]]
        ``{path: (value, source)}`` over `Model()`'s defaults; ``[assumed]`` in a source marks an
        assumption.
    lesion_thresholds_ips : Mapping[str, float]
        ``reflex.threshold_ips`` of the ``"healthy"``, ``"mild"`` and ``"severe"`` variants (the
        shared recipe, module docs; `threshold_recipe` computes them).
    tests : tuple of ClinicalTest
        The joint's clinical tests; the first is the one ``reflexsim clonus-test --joint`` runs.
    segments : Mapping[str, Mapping[str, tuple[float, str]]]
        Other segment configurations a test needs (the knee's ``"shank"`` for the pendulum test:
        `knee_pendulum_model`).
    orthosis : Mapping[str, tuple[float, str]]
        ``orthosis.*`` values of the orthosis that fits the joint (empty: none, as for the jaw).
    orthosis_name : str
        Its name (``"knee brace"``).
    drawing : Mapping[str, Any]
        For the animation: ``parent`` ((x, y) end of the fixed segment, m), ``outline``
        ((n, 2) outline of the moved segment at θ = 0 in its own frame, m), ``muscle``
        ((x, y) origin of the muscle line, m; it ends at the first outline point),
        ``sign`` (+1 if +θ turns the drawing counter-clockwise).
    literature : Mapping[str, str]
        Reflex latency and clonus frequency the literature reports, for docs/validation.md.

    Examples
    --------
    >>> from reflexsim.joints import joint
    >>> wrist = joint("wrist")
    >>> wrist.muscle, wrist.get("muscle.moment_arm_m")
    ('wrist flexors', 0.015)
    >>> wrist.model("severe").name
    'wrist_severe'
    """

    name: str
    muscle: str
    segment: str
    angle: str
    summary: str
    values: Mapping[str, tuple[float, str]]
    lesion_thresholds_ips: Mapping[str, float]
    tests: tuple[ClinicalTest, ...]
    segments: Mapping[str, Mapping[str, tuple[float, str]]] = field(default_factory=dict)
    orthosis: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    orthosis_name: str = "none"
    drawing: Mapping[str, Any] = field(default_factory=dict)
    literature: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing_variants = [v for v in VARIANTS if v not in self.lesion_thresholds_ips]
        if missing_variants:
            raise ParameterError(f"joint {self.name!r}: lesion_thresholds_ips lacks {missing_variants}")
        Model().with_values({p: v for p, (v, _) in self.values.items()})  # every path and range checked here
        for seg in self.segments.values():
            Model().with_values({p: v for p, (v, _) in seg.items()})
        if not self.tests:
            raise ParameterError(f"joint {self.name!r} needs at least one clinical test")
        missing = [t.segment for t in self.tests if t.segment and t.segment not in self.segments]
        if missing:
            raise ParameterError(f"joint {self.name!r}: tests name unknown segments {missing}")

    def get(self, path: str) -> float:
        """The joint's value at a dotted path (the model default where the joint keeps it).

        Parameters
        ----------
        path : str
            Dotted parameter path, e.g. ``"muscle.moment_arm_m"``.

        Returns
        -------
        float
            The value.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> joint("jaw").get("reflex.delay_s")
        0.008
        """
        return self.values[path][0] if path in self.values else Model().get(path)

    def source(self, path: str) -> str:
        """Where the joint's value at `path` comes from (the model's own source where it keeps the default).

        Parameters
        ----------
        path : str
            Dotted parameter path.

        Returns
        -------
        str
            The source; ``[assumed]`` marks an assumption.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> "assumed" in joint("jaw").source("muscle.moment_arm_m")
        True
        """
        if path in self.values:
            return self.values[path][1]
        from .params import describe

        return describe(path).source + ("" if self.name == "ankle" else " (ankle value kept) " + ASSUMED)

    def variant_values(self, variant: str) -> dict[str, float]:
        """The lesion variant's values on top of the joint's (module docs: one recipe for all joints).

        Parameters
        ----------
        variant : str
            ``"healthy"``, ``"mild"`` or ``"severe"``.

        Returns
        -------
        dict
            ``{path: value}``.

        Raises
        ------
        ParameterError
            If `variant` is unknown.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> joint("knee").variant_values("severe")["reflex.gain"]
        3.6
        """
        if variant not in VARIANTS:
            raise ParameterError(f"unknown variant {variant!r}; valid variants: {', '.join(VARIANTS)}")
        if variant == "healthy":
            return {"reflex.gain": 1.0, "reflex.threshold_ips": self.lesion_thresholds_ips["healthy"]}
        return {
            **LESION_COMMON,
            "reflex.gain": LESION_GAINS[variant],
            "reflex.threshold_ips": self.lesion_thresholds_ips[variant],
        }

    def model(self, variant: str = "severe") -> Model:
        """The joint's model in a lesion variant, named ``JOINT_VARIANT`` (the ankle keeps ``VARIANT``).

        Parameters
        ----------
        variant : str, default "severe"
            ``"healthy"``, ``"mild"`` or ``"severe"``.

        Returns
        -------
        Model
            The model.

        Raises
        ------
        ParameterError
            If `variant` is unknown.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> m = joint("knee").model("mild")
        >>> m.name, m.muscle.moment_arm_m, m.reflex.gain
        ('knee_mild', 0.04, 1.8)
        """
        values = {p: v for p, (v, _) in self.values.items()} | self.variant_values(variant)
        return Model().with_values(values, name=model_name(self.name, variant))

    def segment_model(self, model: Model, segment: str) -> Model:
        """`model` with another of the joint's segment configurations (``""`` leaves it as it is).

        Parameters
        ----------
        model : Model
            A model of this joint.
        segment : str
            Key of `segments`, or ``""``.

        Returns
        -------
        Model
            The model with the segment's values.

        Raises
        ------
        ParameterError
            If `segment` is unknown.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> knee = joint("knee")
        >>> knee.segment_model(knee.model("healthy"), "").foot.inertia_kg_m2
        0.0008
        """
        if not segment:
            return model
        if segment not in self.segments:
            raise ParameterError(f"joint {self.name!r} has no segment {segment!r}; valid: {', '.join(self.segments)}")
        return model.with_values({p: v for p, (v, _) in self.segments[segment].items()})

    def with_orthosis(self, model: Model) -> Model:
        """`model` wearing the joint's orthosis (unchanged if the joint has none).

        Parameters
        ----------
        model : Model
            A model of this joint.

        Returns
        -------
        Model
            The model with the orthosis values, its name extended by the orthosis' name.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> joint("wrist").with_orthosis(joint("wrist").model()).name
        'wrist_severe + wrist splint'
        """
        if not self.orthosis:
            return model
        values = {p: v for p, (v, _) in self.orthosis.items()}
        return model.with_values(values, name=f"{model.name} + {self.orthosis_name}")

    @property
    def clonus_test(self) -> ClinicalTest:
        """The joint's own clonus test (the first of `tests`).

        Returns
        -------
        ClinicalTest
            The test.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> joint("jaw").clonus_test.name
        'jaw jerk / jaw clonus test'
        """
        return self.tests[0]

    def markdown_table(self) -> str:
        """The joint's values as a Markdown table (path, value, unit, source), for docs/model.md.

        Returns
        -------
        str
            The table.

        Examples
        --------
        >>> from reflexsim.joints import joint
        >>> joint("wrist").markdown_table().splitlines()[0]
        '| path | wrist | unit | source |'
        """
        from .params import describe

        rows = [f"| path | {self.name} | unit | source |", "|---|---|---|---|"]
        for path, (value, source) in self.values.items():
            unit = describe(path).unit
            rows.append(f"| `{path}` | {value:g} | {'—' if unit == '1' else unit} | {source} |")
        for seg, values in self.segments.items():
            for path, (value, source) in values.items():
                rows.append(f"| `{path}` ({seg}) | {value:g} | {describe(path).unit} | {source} |")
        for path, (value, source) in self.orthosis.items():
            rows.append(f"| `{path}` ({self.orthosis_name}) | {value:g} | {describe(path).unit} | {source} |")
        return "\n".join(rows)


def model_name(joint_name: str, variant: str) -> str:
    """The name of a joint's variant model: ``"severe"`` for the ankle, ``"knee_severe"`` otherwise.

    Parameters
    ----------
    joint_name : str
        The joint.
    variant : str
        The lesion variant.

    Returns
    -------
    str
        The model name.

    Examples
    --------
    >>> from reflexsim.joints import model_name
    >>> model_name("ankle", "mild"), model_name("jaw", "mild")
    ('mild', 'jaw_mild')
    """
    return variant if joint_name == "ankle" else f"{joint_name}_{variant}"


def threshold_recipe(values: Mapping[str, float], hold_torque_nm: float) -> dict[str, float]:
    """The variants' recruitment thresholds for a joint's values, by the shared recipe (module docs).

    The static Ia rate of the lesioned joint with its reflex silenced, held under the test's
    pressure, minus 19 imp/s (mild, severe) and plus 91 imp/s (healthy), rounded to 0.1 imp/s.

    Parameters
    ----------
    values : Mapping[str, float]
        The joint's ``{path: value}`` over the model defaults.
    hold_torque_nm : float
        The pressure of the joint's clonus test, N·m.

    Returns
    -------
    dict
        ``{"healthy": ..., "mild": ..., "severe": ...}`` in imp/s.

    Examples
    --------
    >>> from reflexsim.joints import threshold_recipe
    >>> threshold_recipe({}, 30.0)  # the ankle's presets: 175 and 65 imp/s
    {'healthy': 175.1, 'mild': 65.1, 'severe': 65.1}
    """
    from .stability import operating_point

    silent = Model().with_values({**values, **LESION_COMMON, "reflex.threshold_ips": 400.0})
    rate = operating_point(silent, hold_torque_nm).ia_rate_ips
    low = round(rate - THRESHOLD_MARGIN_IPS, 1)
    return {"healthy": round(rate + HEALTHY_MARGIN_IPS, 1), "mild": low, "severe": low}


DEG = math.pi / 180.0
_RAJ = "Rajagopal et al. 2016 model file (opensim-models), physiology-joints.md §1c–d"
_RE_KNEE = (
    "[D] least-squares fit 0–130° of Riener & Edrich 1999 knee moment (hip, ankle 0; last term 0.150/deg), "
    "physiology-joints.md §1e; the quadriceps' own exponential is in muscle.passive_*"
)

_SHANK = "[D] shank + foot about the knee, Rajagopal et al. 2016 model file (opensim-models), physiology-joints.md §1c"
# The knee pendulum (Wartenberg) test swings the shank, not the patella: seated, thigh supported,
# the leg held horizontal (full extension, θ = 0) and let go; gravity flexes the knee and the shank
# hangs at θ = 90°, so the gravity reference is 180° and the angle guard ±180° (docs/model.md).
SHANK: Mapping[str, tuple[float, str]] = MappingProxyType(
    {
        "foot.inertia_kg_m2": (0.456, _SHANK + "; m·g·d = 13.0 N·m/rad"),
        "foot.mass_kg": (5.27, _SHANK),
        "foot.com_distance_m": (0.252, _SHANK + " (centre of mass below the knee)"),
        "foot.gravity_m_per_s2": (9.81, "seated, leg swinging in the sagittal plane"),
        "foot.gravity_reference_angle_rad": (math.pi, "shank horizontal at full extension, hangs at 90° of flexion"),
        "foot.angle_limit_rad": (math.pi, "the swing passes 90° of flexion"),
    }
)

_ANKLE_DRAW = {
    "parent": (0.0, 0.40),
    "outline": ((-0.06, -0.02), (-0.05, -0.07), (0.17, -0.075), (0.18, -0.045), (0.04, 0.01)),
    "muscle": (-0.03, 0.30),
    "sign": 1.0,
}

ANKLE = JointSpec(
    name="ankle",
    muscle="triceps surae",
    segment="foot",
    angle="dorsiflexion",
    summary="ankle, triceps surae: the model's defaults and presets (healthy, mild, severe)",
    values={},
    lesion_thresholds_ips={"healthy": 175.0, "mild": 65.0, "severe": 65.0},
    tests=(
        ClinicalTest(
            "ankle clonus test",
            ClonusTest(),
            description="brisk passive dorsiflexion, then sustained dorsiflexing pressure",
        ),
    ),
    orthosis={
        "orthosis.stiffness_nm_per_rad": (120.0, "carbon AFO 33–210 N·m/rad (Shuman & Russell Esposito 2021)"),
    },
    orthosis_name="ankle-foot orthosis",
    drawing=_ANKLE_DRAW,
    literature={
        "latency": "soleus short-latency stretch reflex 42 ± 3 ms (Sinkjaer 1996); Achilles T-reflex 30–31 ms",
        "clonus_hz": "5.4 ± 0.9 Hz (Wallace 2012); 4.7–7.0 Hz (Wallace 2005); 5–8 Hz any muscle (Boyraz)",
        "lo_hz": "4.5",
        "hi_hz": "7.0",
    },
)

KNEE = JointSpec(
    name="knee",
    muscle="quadriceps",
    segment="patella (with the quadriceps tissue and the examiner's hand), as an equivalent knee angle",
    angle="knee flexion; in the patellar test the patella's distal travel / patellar moment arm",
    summary="knee, quadriceps: patellar clonus (patella pushed distally, knee extended)",
    values={
        "foot.inertia_kg_m2": (
            8.0e-4,
            "[D] m·r² with m = 0.5 kg moving with the patella (patella 0.086 kg, Rajagopal 2016, plus quadriceps "
            "tissue and the examiner's hand " + ASSUMED + ") at the patellar moment arm 0.04 m",
        ),
        "joint.pf_end_torque_nm": (13.52, _RE_KNEE),
        "joint.pf_end_rate_per_rad": (4.179, _RE_KNEE),
        "joint.offset_torque_nm": (-4.464, _RE_KNEE),
        "muscle.max_force_n": (11786.0, "vasti 9594 + rectus femoris 2192 N, " + _RAJ),
        "muscle.moment_arm_m": (0.04, "patellar tendon 42.6 mm at 0° (MRI), 4–6 cm peak (Krevolin 2004)"),
        "muscle.optimal_fibre_length_m": (0.094, "[D] force-weighted vasti / rectus femoris 0.076–0.099 m, " + _RAJ),
        "muscle.pennation_rad": (0.258, "[D] force-weighted 14.8° (vasti 3.6–24.2°, RF 12.4°), " + _RAJ),
        "muscle.fibre_length_at_neutral": (
            0.69,
            "[D] optimal fibre length near 40° of flexion " + ASSUMED + " (0 = full extension)",
        ),
        "muscle.passive_force_at_optimal_n": (3.59, "[D] Riener & Edrich 1999 knee term e^(-3.971+0.0495φ) refitted"),
        "muscle.passive_exponent": (6.44, "[D] Riener & Edrich 1999 knee term e^(-3.971+0.0495φ) refitted"),
        "muscle.contraction_time_s": (
            0.08,
            "quadriceps evoked twitch CT not found; ~70–90 ms [M] " + ASSUMED,
        ),
        "reflex.delay_s": (
            0.024,
            "[D] patellar T-reflex 16.4–17.4 ms (Kim 1997, Chon 1996) × soleus stretch/tendon latency ratio 42/30.5",
        ),
    },
    lesion_thresholds_ips={"healthy": 135.6, "mild": 25.6, "severe": 25.6},
    tests=(
        ClinicalTest(
            "patellar clonus test",
            ClonusTest(start_deg=0.0, stretch_deg=15.0, velocity_deg_per_s=250.0, hold_torque_nm=4.0),
            description="knee extended; brisk distal push of the patella (15° equivalent = 1 cm at 250 °/s = 17 "
            "cm/s), then held with 100 N (4 N·m at the 4 cm moment arm) " + ASSUMED,
        ),
        ClinicalTest(
            "knee pendulum (Wartenberg) test",
            PendulumTest(),
            segment="shank",
            duration_s=10.0,
            description="seated, relaxed; the leg held at full extension, then let go to swing under gravity "
            "(Bajd & Vodovnik 1984); grade with reflexsim.metrics.pendulum_metrics on knee_pendulum_model",
        ),
    ),
    segments={"shank": SHANK},
    orthosis={
        "orthosis.stiffness_nm_per_rad": (30.0, "hinged knee brace with an extension-assist spring " + ASSUMED),
        "orthosis.damping_nms_per_rad": (0.5, ASSUMED),
    },
    orthosis_name="knee brace",
    drawing={
        "parent": (-0.42, 0.0),
        "outline": ((0.02, 0.03), (0.02, -0.03), (0.43, -0.025), (0.43, 0.025)),
        "muscle": (-0.30, 0.05),
        "sign": -1.0,
    },
    literature={
        "latency": "patellar T-reflex 16.4 ± 1.6 / 17.4 ± 1.6 ms (Kim 1997, Chon 1996); T-reflex ≈ 22 ms [D]",
        "clonus_hz": "no Hz found; 'similar to the ankle' (Walsh & Wright 1987); 5–8 Hz any muscle (Boyraz)",
        "lo_hz": "4.5",
        "hi_hz": "8.0",
    },
)

WRIST = JointSpec(
    name="wrist",
    muscle="wrist flexors",
    segment="hand",
    angle="wrist extension",
    summary="wrist, wrist flexors (FCR, FCU): brisk wrist extension, then held",
    values={
        "foot.inertia_kg_m2": (0.0035, "hand about the wrist, " + _RAJ),
        "foot.mass_kg": (0.458, "hand, " + _RAJ),
        "foot.com_distance_m": (0.068, "hand centre of mass, " + _RAJ),
        "joint.damping_nms_per_rad": (0.1, ASSUMED + " (ankle 0.5 scaled down)"),
        "joint.pf_end_torque_nm": (
            5.0e-7,
            "[D] 0.5 N·m at 90° flexion, near zero over the central 150° (Delp, Grierson & Buchanan 1996)",
        ),
        "joint.pf_end_rate_per_rad": (8.79, "[D] as joint.pf_end_torque_nm (×10 over the last 15°) " + ASSUMED),
        "joint.offset_torque_nm": (0.0, ASSUMED),
        "muscle.max_force_n": (
            820.0,
            "[D] peak flexion moment 12.2 N·m (Delp, Grierson & Buchanan 1996) / (r cos α); FCR+FCU alone 162 N "
            "(Gonzalez 1997): the group includes the finger flexors",
        ),
        "muscle.moment_arm_m": (0.015, "FCR ~1.5 cm [M]"),
        "muscle.optimal_fibre_length_m": (0.057, "FCR 0.063 / FCU 0.051 m (Gonzalez, Buchanan & Delp 1997)"),
        "muscle.pennation_rad": (0.133, "FCR 3.1° / FCU 12.1° (Gonzalez, Buchanan & Delp 1997)"),
        "muscle.fibre_length_at_neutral": (1.0, "optimal at neutral " + ASSUMED),
        "muscle.passive_force_at_optimal_n": (
            8.2e-5,
            "[D] 1.2 N·m at 90° extension, near zero over the central 150° (Delp, Grierson & Buchanan 1996)",
        ),
        "muscle.passive_exponent": (33.0, "[D] as joint.pf_end_rate_per_rad, at the flexors' geometry " + ASSUMED),
        "muscle.contraction_time_s": (0.065, "wrist-flexor CT not found; hypothenar 55–78 ms (Sica 1977) " + ASSUMED),
        "reflex.delay_s": (
            0.025,
            "FCR short-latency component ~20 ms peak, M1 window 25–50 ms (Cody & Plant 1989 [M])",
        ),
    },
    lesion_thresholds_ips={"healthy": 213.6, "mild": 103.6, "severe": 103.6},
    tests=(
        ClinicalTest(
            "wrist clonus test",
            ClonusTest(start_deg=0.0, stretch_deg=30.0, velocity_deg_per_s=250.0, hold_torque_nm=0.4),
            description="forearm supported; brisk wrist extension by 30°, then held with 0.4 N·m " + ASSUMED,
        ),
    ),
    orthosis={
        "orthosis.stiffness_nm_per_rad": (10.0, "resting wrist splint (thermoplastic) " + ASSUMED),
        "orthosis.stop_angle_rad": (0.35, "splint stops extension at 20° " + ASSUMED),
        "orthosis.stop_stiffness_nm_per_rad": (200.0, ASSUMED),
    },
    orthosis_name="wrist splint",
    drawing={
        "parent": (-0.25, 0.0),
        "outline": ((0.0, 0.02), (0.0, -0.02), (0.10, -0.025), (0.18, -0.01), (0.18, 0.01), (0.10, 0.02)),
        "muscle": (-0.20, -0.02),
        "sign": 1.0,
    },
    literature={
        "latency": "FCR short-latency ~20 ms (peak), M1 window 25–50 ms",
        "clonus_hz": "no Hz found; 'similar to the ankle' (Walsh & Wright 1987); hand tremor 6–12 Hz (Lakie 2015)",
        "lo_hz": "4.5",
        "hi_hz": "8.0",
    },
)

JAW = JointSpec(
    name="jaw",
    muscle="jaw closers (masseter, temporalis, medial pterygoid)",
    segment="mandible",
    angle="jaw opening",
    summary="jaw, jaw closers: jaw jerk (downward tap on the chin), then pressure (jaw clonus)",
    values={
        "foot.inertia_kg_m2": (5.0e-4, "[D] 0.15 kg at 6 cm; measured value not found " + ASSUMED),
        "foot.mass_kg": (0.15, "mandible 0.1–0.2 kg " + ASSUMED),
        "foot.com_distance_m": (0.06, ASSUMED),
        "joint.damping_nms_per_rad": (0.05, ASSUMED),
        "joint.pf_end_torque_nm": (0.1, "closing end (teeth contact) " + ASSUMED),
        "joint.pf_end_rate_per_rad": (30.0, "closing end (teeth contact) " + ASSUMED),
        "joint.offset_torque_nm": (0.0, "gravity folded into the examiner's pressure " + ASSUMED),
        "muscle.max_force_n": (800.0, "both sides' closers; superficial masseter ~190 N each [M] " + ASSUMED),
        "muscle.moment_arm_m": (0.025, "not found (van Spronsen 1997 measured them) " + ASSUMED),
        "muscle.optimal_fibre_length_m": (0.025, "masseter fibres 19.0–30.3 mm (van Eijden & Raadsheer 1992)"),
        "muscle.pennation_rad": (0.35, "15–30° [M]"),
        "muscle.fibre_length_at_neutral": (
            0.87,
            "[D] sarcomeres 2.27–2.55 µm at closed jaw (van Eijden & Raadsheer 1992) / optimum ~2.8 µm",
        ),
        "muscle.passive_force_at_optimal_n": (20.0, "jaw passive moment not found " + ASSUMED),
        "muscle.contraction_time_s": (0.05, "masseter CT not found (60–70 % type I) " + ASSUMED),
        "muscle.electromechanical_delay_s": (0.008, ASSUMED),
        "reflex.delay_s": (
            0.008,
            "masseter jaw-jerk onset 5.8–6.1 ms (Kossioni & Karkazis 1994), upper normal 7.9–8.3 ms (Fitzek 2001)",
        ),
    },
    lesion_thresholds_ips={"healthy": 184.3, "mild": 74.3, "severe": 74.3},
    tests=(
        ClinicalTest(
            "jaw jerk / jaw clonus test",
            ClonusTest(start_deg=10.0, stretch_deg=5.0, velocity_deg_per_s=250.0, hold_torque_nm=3.0),
            description="mouth half open; a brisk downward tap on the chin (5°), then 3 N·m of downward pressure "
            + ASSUMED,
        ),
    ),
    orthosis_name="none",
    drawing={
        "parent": (-0.02, 0.06),
        "outline": ((0.0, 0.0), (0.0, -0.05), (0.09, -0.06), (0.10, -0.03), (0.02, -0.01)),
        "muscle": (0.02, 0.06),
        "sign": -1.0,
    },
    literature={
        "latency": "masseter jaw jerk 5.8–6.1 ms mean, ≤ 8.3 ms normal; chin-tap M1 8.9 ms",
        "clonus_hz": "ALS jaw clonus/tremor peak 10 Hz (Kumar 2024); physiological jaw tremor 6–8 Hz",
        "lo_hz": "6.0",
        "hi_hz": "11.0",
    },
)

_REGISTRY: dict[str, JointSpec] = {j.name: j for j in (ANKLE, KNEE, WRIST, JAW)}
JOINTS: Mapping[str, JointSpec] = MappingProxyType(_REGISTRY)
DEFAULT_JOINT = "ankle"


# The pendulum variants' recruitment thresholds by the shared recipe (`threshold_recipe`) applied to
# the hanging leg: the static Ia rate of the reflex-free lesioned shank at rest under gravity alone
# (no examiner's pressure), minus 19 / plus 91 imp/s. The patellar test's thresholds (25.6 imp/s)
# lie below the Ia rate of any knee angle past ~10° of flexion. tests/test_pendulum.py recomputes them.
PENDULUM_THRESHOLDS_IPS: Mapping[str, float] = MappingProxyType({"healthy": 182.2, "mild": 72.2, "severe": 72.2})


def knee_pendulum_model(variant: str = "healthy") -> Model:
    """The knee in a lesion variant with the shank as its segment, for the pendulum test.

    The knee's values and lesion recipe (`JointSpec.model`), the ``"shank"`` segment (`SHANK`:
    0.456 kg·m², gravity toward flexion, angle guard ±180°) and the recruitment threshold of the
    recipe for the hanging leg (`PENDULUM_THRESHOLDS_IPS`). Named ``knee_pendulum_VARIANT``.

    Parameters
    ----------
    variant : str, default "healthy"
        ``"healthy"``, ``"mild"`` or ``"severe"``.

    Returns
    -------
    Model
        The model.

    Raises
    ------
    ParameterError
        If `variant` is unknown.

    Examples
    --------
    >>> from reflexsim.joints import knee_pendulum_model
    >>> m = knee_pendulum_model("severe")
    >>> m.name, m.foot.inertia_kg_m2, m.reflex.threshold_ips, m.reflex.gain
    ('knee_pendulum_severe', 0.456, 72.2, 3.6)
    """
    base = KNEE.segment_model(KNEE.model(variant), "shank")
    return base.with_values({"reflex.threshold_ips": PENDULUM_THRESHOLDS_IPS[variant]}, name=f"knee_pendulum_{variant}")


def joint(name: str) -> JointSpec:
    """The registered joint called `name`.

    Parameters
    ----------
    name : str
        ``"ankle"``, ``"knee"``, ``"wrist"``, ``"jaw"`` or a joint added with `register`.

    Returns
    -------
    JointSpec
        The joint.

    Raises
    ------
    ParameterError
        If no joint has that name; the message lists them.

    Examples
    --------
    >>> from reflexsim.joints import joint
    >>> joint("knee").muscle
    'quadriceps'
    >>> joint("elbow")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: unknown joint 'elbow'; valid joints: ankle, knee, wrist, jaw
    """
    try:
        return JOINTS[name]
    except KeyError:
        raise ParameterError(f"unknown joint {name!r}; valid joints: {', '.join(JOINTS)}") from None


def register(spec: JointSpec) -> JointSpec:
    """Add a joint defined only as data; every command's ``--joint`` then offers it.

    Parameters
    ----------
    spec : JointSpec
        The joint (its values are range-checked when it is built).

    Returns
    -------
    JointSpec
        `spec`.

    Raises
    ------
    ParameterError
        If a joint of that name exists already.

    Examples
    --------
    >>> from reflexsim.joints import JOINTS, ClinicalTest, JointSpec, register, unregister
    >>> from reflexsim import ClonusTest
    >>> elbow = JointSpec(
    ...     name="elbow", muscle="biceps", segment="forearm", angle="elbow extension", summary="elbow",
    ...     values={"foot.inertia_kg_m2": (0.06, "assumed")},
    ...     lesion_thresholds_ips={"healthy": 175.0, "mild": 60.0, "severe": 60.0},
    ...     tests=(ClinicalTest("elbow clonus test", ClonusTest(hold_torque_nm=5.0)),),
    ... )
    >>> register(elbow).model("severe").name
    'elbow_severe'
    >>> "elbow" in JOINTS
    True
    >>> unregister("elbow")
    """
    if spec.name in _REGISTRY:
        raise ParameterError(f"a joint called {spec.name!r} exists already")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a joint added with `register` (the four built-in joints stay).

    Parameters
    ----------
    name : str
        The joint's name.

    Raises
    ------
    ParameterError
        If `name` is a built-in joint or not registered.

    Examples
    --------
    >>> from reflexsim.joints import unregister
    >>> unregister("knee")
    Traceback (most recent call last):
    ...
    reflexsim.errors.ParameterError: 'knee' is a built-in joint and cannot be removed
    """
    if name in ("ankle", "knee", "wrist", "jaw"):
        raise ParameterError(f"{name!r} is a built-in joint and cannot be removed")
    joint(name)
    del _REGISTRY[name]

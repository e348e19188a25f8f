"""Joints as data (issue 13): the knee, wrist and jaw run through the ankle's equations.

Each joint's severe variant beats in sustained clonus in its own clinical test and its healthy
variant does not; the measured frequencies are pinned (they are predictions of the model, not
tuned: docs/validation.md compares them with the literature); the ankle is unchanged; and a
joint defined only as data runs through every command that takes --joint.
"""

from __future__ import annotations

import json

import pytest

import reflexsim as rs
from reflexsim import stability
from reflexsim.cli import main
from reflexsim.errors import ParameterError
from reflexsim.joints import (
    JOINTS,
    ClinicalTest,
    JointSpec,
    joint,
    register,
    threshold_recipe,
    unregister,
)

NEW_JOINTS = ("knee", "wrist", "jaw")
# Clonus frequency of the severe variant in its own test (Hz): the model's prediction, pinned so
# that a change shows; docs/validation.md lists them against the literature.
SEVERE_HZ = {"ankle": 5.63, "knee": 7.41, "wrist": 3.13, "jaw": 13.64}


def _run(name: str, variant: str) -> rs.ClonusMetrics:
    spec = joint(name)
    test = spec.clonus_test
    return rs.clonus_metrics(rs.simulate(spec.model(variant), test.protocol, duration_s=test.duration_s))


@pytest.mark.parametrize("name", list(SEVERE_HZ))
def test_severe_variant_beats_in_sustained_clonus_at_its_frequency(name: str) -> None:
    m = _run(name, "severe")
    assert m.over_10_s and m.ongoing and m.scats == 3
    assert m.frequency_hz == pytest.approx(SEVERE_HZ[name], abs=0.15)


@pytest.mark.parametrize("name", list(SEVERE_HZ))
def test_healthy_variant_has_no_clonus(name: str) -> None:
    m = _run(name, "healthy")
    assert m.beats <= 2 and not m.ongoing and m.scats == 0


@pytest.mark.parametrize("name", ["knee", "jaw"])
def test_mild_variant_is_fatigable_where_the_ankle_recipe_makes_it_so(name: str) -> None:
    """The ankle's lesion recipe gives fatigable clonus at the knee and jaw as at the ankle (at the
    wrist it gives sustained clonus: docs/validation.md)."""
    m = _run(name, "mild")
    assert m.beats >= 3 and not m.ongoing


@pytest.mark.parametrize("name", list(SEVERE_HZ))
def test_each_joints_orthosis_shortens_its_severe_clonus(name: str) -> None:
    spec = joint(name)
    braced = spec.with_orthosis(spec.model("severe"))
    m = rs.clonus_metrics(rs.simulate(braced, spec.clonus_test.protocol, duration_s=spec.clonus_test.duration_s))
    if name == "jaw":  # no orthosis for the jaw
        assert braced == spec.model("severe") and m.ongoing
    else:
        assert m.duration_s < 5.0 and not m.ongoing


def test_ankle_joint_is_todays_model() -> None:
    ankle = joint("ankle")
    for variant in ("healthy", "mild", "severe"):
        assert ankle.model(variant) == rs.preset(variant)
        assert rs.preset(variant, joint="ankle") == rs.preset(variant)
    assert ankle.clonus_test.protocol == rs.ClonusTest()


@pytest.mark.parametrize("name", list(JOINTS))
def test_thresholds_follow_the_shared_recipe(name: str) -> None:
    """19 imp/s below (lesions) and 91 above (healthy) the static Ia rate of the reflex-free lesioned
    joint under its test's pressure, as the ankle's presets (65 and 175 imp/s)."""
    spec = joint(name)
    values = {path: value for path, (value, _) in spec.values.items()}
    expected = threshold_recipe(values, spec.clonus_test.protocol.hold_torque_nm)
    assert dict(spec.lesion_thresholds_ips) == pytest.approx(expected, abs=0.15)


@pytest.mark.parametrize("name", NEW_JOINTS)
def test_every_joint_value_has_a_source_and_assumptions_are_marked(name: str) -> None:
    spec = joint(name)
    for path, (value, source) in spec.values.items():
        assert source.strip(), path
        assert rs.Model().with_values({path: value}).get(path) == value
    assert any("[assumed]" in source for _, source in spec.values.values())
    assert "[assumed]" in spec.source("spindle.velocity_gain_ips")  # ankle values kept are marked


def test_presets_by_joint_name() -> None:
    assert rs.preset("knee_severe") == rs.preset("severe", joint="knee")
    assert rs.preset("wrist_mild").name == "wrist_mild"
    with pytest.raises(ParameterError, match="valid joints: ankle, knee, wrist, jaw"):
        rs.preset("severe", joint="elbow")
    with pytest.raises(ParameterError, match="valid presets"):
        rs.preset("moderate", joint="knee")


def test_jaw_loop_is_short_and_fast() -> None:
    """The jaw's loop delay (jaw jerk 6–8 ms) is the shortest, and its linear onset frequency the highest."""
    delays = {n: joint(n).model().reflex.delay_s for n in JOINTS}
    assert min(delays, key=delays.get) == "jaw" and delays["jaw"] <= 0.010
    onset = {
        n: stability.critical_gain(joint(n).model(), joint(n).clonus_test.protocol.hold_torque_nm, scan_points=21)
        for n in ("ankle", "jaw")
    }
    assert onset["jaw"].frequency_hz > 2 * onset["ankle"].frequency_hz


ELBOW = JointSpec(
    name="elbow_test",
    muscle="biceps",
    segment="forearm and hand",
    angle="elbow extension",
    summary="a joint defined only as data (tests/test_joints.py)",
    values={
        "foot.inertia_kg_m2": (0.06, "[assumed]"),
        "muscle.max_force_n": (1500.0, "[assumed]"),
        "muscle.moment_arm_m": (0.035, "[assumed]"),
        "reflex.delay_s": (0.03, "[assumed]"),
    },
    lesion_thresholds_ips={"healthy": 175.0, "mild": 65.0, "severe": 65.0},
    tests=(ClinicalTest("elbow clonus test", rs.ClonusTest(hold_torque_nm=8.0), duration_s=3.0),),
    drawing={
        "parent": (-0.3, 0.0),
        "outline": ((0.0, 0.02), (0.0, -0.02), (0.3, -0.02), (0.3, 0.02)),
        "muscle": (-0.25, 0.04),
        "sign": 1.0,
    },
)


@pytest.fixture
def elbow():
    register(ELBOW)
    try:
        yield ELBOW
    finally:
        unregister(ELBOW.name)


def test_new_joint_defined_only_as_data_runs_through_the_commands(elbow, tmp_path, capsys) -> None:
    j = ["--joint", elbow.name]
    assert main(["clonus-test", *j, "--duration", "3", "--no-plot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["joint"] == elbow.name and out["model"] == "elbow_test_severe"
    assert out["protocol"]["hold_torque_nm"] == 8.0
    assert main(["params", *j, "--json"]) == 0
    params = json.loads(capsys.readouterr().out)
    assert {p["path"]: p["value"] for p in params["parameters"]}["muscle.moment_arm_m"] == 0.035
    assert main(["params", *j, "--markdown"]) == 0
    assert "`muscle.moment_arm_m` | 0.035" in capsys.readouterr().out
    assert main(["stability", *j, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hold_torque_nm"] == 8.0
    assert main(["animate", *j, "--seconds", "0.5", "--fps", "5", "--out", str(tmp_path / "e.gif")]) == 0
    assert (tmp_path / "e.gif").stat().st_size > 0


@pytest.mark.parametrize("name", NEW_JOINTS)
def test_params_and_clonus_test_commands_take_each_joint(name: str, capsys) -> None:
    assert main(["params", "--joint", name, "--preset", "severe", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == f"{name}_severe"
    assert main(["clonus-test", "--joint", name, "--preset", "healthy", "--duration", "3", "--no-plot"]) == 0
    assert joint(name).clonus_test.name in capsys.readouterr().out


def test_sweep_runs_on_the_joints_preset_and_its_own_clinical_test(tmp_path, capsys):
    xr = pytest.importorskip("xarray")
    out = tmp_path / "knee.nc"
    argv = ["sweep", "--quiet", "--duration", "3", "--joint", "knee", "--preset", "severe"]
    assert main([*argv, "--param", "reflex.delay_s=0.024,0.03", "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.attrs["model_name"] == "knee_severe"
        protocol = json.loads(ds.attrs["protocol"])["fields"]
        knee_test = JOINTS["knee"].clonus_test.protocol
        assert protocol["hold_torque_nm"] == knee_test.hold_torque_nm != 30.0  # not the ankle's test
        assert protocol["stretch_deg"] == knee_test.stretch_deg


def test_sweep_config_names_a_joint_and_a_bad_one_is_refused(tmp_path, capsys):
    pytest.importorskip("xarray")
    good = tmp_path / "jaw.toml"
    good.write_text('joint = "jaw"\nduration_s = 1\nout = "jaw.nc"\n[param]\n"reflex.gain" = [2.0]\n')
    assert main(["sweep", str(good), "--quiet"]) == 0 and (tmp_path / "jaw.nc").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('joint = "elbow"\n[param]\n"reflex.gain" = [2.0]\n')
    assert main(["sweep", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "joint = 'elbow'; valid values: ankle, knee, wrist, jaw" in err and err.count("\n") == 1


def test_a_sweep_over_several_joints_has_a_joint_axis(tmp_path, capsys):
    """--joint knee,jaw: one sweep per joint (its preset and its own test), combined along 'joint';
    each joint's slice equals that joint's own sweep, and the part files are gone."""
    xr = pytest.importorskip("xarray")
    common = ["sweep", "--quiet", "--duration", "2", "--preset", "severe", "--param", "reflex.gain=2,3.6"]
    assert main([*common, "--joint", "knee,jaw", "--out", str(tmp_path / "both.nc")]) == 0
    assert main([*common, "--joint", "jaw", "--out", str(tmp_path / "jaw.nc")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.nc", "jaw.nc"]
    with xr.open_dataset(tmp_path / "both.nc") as both, xr.open_dataset(tmp_path / "jaw.nc") as jaw:
        assert list(both.joint.values) == ["knee", "jaw"] and both.frequency_hz.dims[0] == "joint"
        assert both.attrs["jaw_model_name"] == "jaw_severe" and both.attrs["joints"] == "knee, jaw"
        assert both.frequency_hz.sel(joint="jaw").values.tolist() == jaw.frequency_hz.values.tolist()
        assert both.frequency_hz.sel(joint="knee").values.min() > 6.0  # the knee's clonus, not the jaw's
    # the combined file is not overwritten by a second run, and a joint listed twice is refused
    assert main([*common, "--joint", "knee,jaw", "--out", str(tmp_path / "both.nc")]) == 2
    assert "exists; a sweep over several joints does not overwrite it" in capsys.readouterr().err
    assert main([*common, "--joint", "knee,knee", "--out", str(tmp_path / "x.nc")]) == 2
    assert "lists a joint twice" in capsys.readouterr().err


def test_sweep_config_takes_a_list_of_joints(tmp_path):
    xr = pytest.importorskip("xarray")
    config = tmp_path / "joints.toml"
    config.write_text('joint = ["ankle", "wrist"]\nduration_s = 1\nout = "j.nc"\n[param]\n"reflex.gain" = [2.0]\n')
    assert main(["sweep", str(config), "--quiet"]) == 0
    with xr.open_dataset(tmp_path / "j.nc") as ds:
        assert list(ds.joint.values) == ["ankle", "wrist"]

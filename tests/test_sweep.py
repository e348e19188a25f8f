"""Sweeps: designs, validation, kernels against `simulate`, failures, checkpoints, files, CLI."""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

from reflexsim import ClonusTest, Model, ReflexsimError, TorqueProfile, clonus_metrics, kernel, simulate  # noqa: E402
from reflexsim import treatments as treatments_module  # noqa: E402
from reflexsim.cli.sweep_command import register  # noqa: E402
from reflexsim.params import PATHS, describe  # noqa: E402
from reflexsim.presets import preset  # noqa: E402
from reflexsim.protocols import BiasTest, TardieuStretch  # noqa: E402
from reflexsim.simulation import max_stable_dt  # noqa: E402
from reflexsim.sweep import (  # noqa: E402
    STATUS,
    SweepError,
    design_from_json,
    grid,
    latin_hypercube,
    load,
    rerun,
    sel,
    sobol,
    summary,
    sweep,
    zipped,
)
from reflexsim.sweep import run as run_module  # noqa: E402

SEVERE = preset("severe")
GAIN_MAX = describe("reflex.gain").hi  # the upper end of the gain range is a calibration choice
SHORT_S = 2.0  # long enough for a few beats; keeps the suite fast
METRIC_FIELDS = (
    "beats",
    "frequency_hz",
    "duration_s",
    "ongoing",
    "sustained",
    "decay_per_s",
    "peak_to_peak_deg",
    "last_peak_to_peak_deg",
    "peak_reflex_torque_nm",
    "scats",
    "tardieu",
)


def point(ds, **where):
    """The values of one point of a grid sweep as a dict (keys as dotted paths with "__" for ".")."""
    one = sel(ds, {k.replace("__", "."): v for k, v in where.items()})
    return {name: float(one[name]) for name in (*METRIC_FIELDS, "status")}


def as_dict(metrics) -> dict[str, float]:
    return {name: float(getattr(metrics, name)) for name in METRIC_FIELDS}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# --------------------------------------------------------------------------------------------- designs


def test_grid_visits_every_combination_last_key_fastest():
    d = grid({"reflex.gain": [1.0, 2.0], "reflex.delay_s": "0.02:0.04:3"})
    assert d.shape == (2, 3) and d.size == 6
    pts = d.points()
    assert pts.tolist() == [[1, 0.02], [1, 0.03], [1, 0.04], [2, 0.02], [2, 0.03], [2, 0.04]]
    assert np.array_equal(d.points(2, 5), pts[2:5])


def test_zip_pairs_values():
    d = zipped({"reflex.gain": [1, 2, 3], "reflex.delay_s": [0.02, 0.03, 0.04]})
    assert d.shape == (3,)
    assert d.points().tolist() == [[1, 0.02], [2, 0.03], [3, 0.04]]


def test_latin_hypercube_has_one_point_per_stratum_and_is_seeded():
    d = latin_hypercube({"reflex.gain": (0.0, 4.0), "reflex.delay_s": "0.02:0.06"}, samples=16, seed=3)
    pts = d.points()
    assert pts.shape == (16, 2)
    for col, (lo, hi) in enumerate(d.ranges):
        strata = np.floor((pts[:, col] - lo) / (hi - lo) * 16).astype(int)
        assert sorted(strata) == list(range(16))
    again = latin_hypercube({"reflex.gain": (0.0, 4.0), "reflex.delay_s": "0.02:0.06"}, samples=16, seed=3)
    assert np.array_equal(again.points(), pts)
    assert not np.array_equal(latin_hypercube({"reflex.gain": (0, 4)}, 16, seed=4).points()[:, 0], pts[:, 0])
    assert np.array_equal(design_from_json(d.as_json()).points(), pts)


def test_sobol_points_fill_the_box():
    d = sobol({"reflex.gain": (0.0, 4.0), "muscle.contraction_time_s": (0.05, 0.2)}, samples=64, seed=1)
    pts = d.points()
    assert pts.shape == (64, 2)
    assert pts[:, 0].min() >= 0 and pts[:, 0].max() <= 4
    assert np.array_equal(design_from_json(d.as_json()).points(), pts)


# --------------------------------------------------------------------------------------------- bad specs


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"reflex.gian": [1.0]}, "unknown parameter 'reflex.gian'; did you mean 'reflex.gain'"),
        ({"reflex.gain": []}, "reflex.gain: values must be a non-empty"),
        ({"reflex.gain": "4:0:0"}, "'4:0:0' is neither start:stop:num"),
        ({"reflex.gain": "1:2"}, "'1:2' is neither start:stop:num"),
        (
            {"reflex.gain": [1.0, GAIN_MAX + 5]},
            f"reflex.gain = {GAIN_MAX + 5:g} is outside its valid range [0, {GAIN_MAX:g}] (dimensionless)",
        ),
        ({"reflex.delay_s": [math.nan]}, "reflex.delay_s = nan is outside its valid range [0.005, 0.15] s"),
        ({"treatment.botox.weeks": [200.0]}, "treatment.botox.weeks = 200 is outside its valid range [0, 104] weeks"),
        ({"treatment.botox.wekes": [1.0]}, "treatment 'botox' has no key 'wekes'; valid keys"),
        ({"treatment.nope.x": [1.0]}, "unknown treatment 'nope'"),
        ({"protocol.hold_torque": [1.0]}, "'protocol.hold_torque' is not a field of ClonusTest; valid fields"),
        ({"protocol.hold_torque_nm": [500.0]}, "protocol.hold_torque_nm = 500 is outside its valid range [0, 150] N·m"),
        ({}, "a sweep needs at least one key"),
    ],
)
def test_bad_specs_fail_before_any_work(spec, fragment):
    with pytest.raises(ReflexsimError) as err:
        sweep(SEVERE, spec, duration_s=SHORT_S)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: zipped({"reflex.gain": [1, 2], "reflex.delay_s": [0.02]}), "must all have the same length"),
        (lambda: sobol({"reflex.gain": (0, 4)}, samples=10), "power of two samples (got 10; try 16)"),
        (lambda: latin_hypercube({"reflex.gain": (4, 0)}, samples=8), "must have lo < hi"),
        (lambda: latin_hypercube({"reflex.gain": (0, 4)}, samples=0), "samples = 0 must be a positive integer"),
    ],
)
def test_bad_designs(make, fragment):
    with pytest.raises(SweepError, match=re.escape(fragment)):
        make()


def test_random_design_range_outside_valid_range():
    message = f"reflex.gain = {GAIN_MAX + 10:g} is outside its valid range [0, {GAIN_MAX:g}]"
    with pytest.raises(SweepError, match=re.escape(message)):
        sweep(SEVERE, latin_hypercube({"reflex.gain": (0, GAIN_MAX + 10)}, samples=4))


def test_treatment_acting_on_a_swept_parameter_is_refused():
    with pytest.raises(SweepError, match=re.escape("acts on reflex.gain, which the sweep also sets")):
        sweep(SEVERE, {"reflex.gain": [1.0], "treatment.tizanidine.dose_mg": [4.0]})


# --------------------------------------------------------------------------------------------- kernels


def test_status_table_covers_every_kernel_status():
    kernel_codes = {v for k, v in vars(kernel).items() if k.startswith("STATUS_")}
    assert kernel_codes <= set(STATUS)


def test_step_limits_depend_only_on_the_columns_the_sweep_deduplicates_on():
    """The sweep computes step limits once per combination of the foot/joint/muscle/orthosis/spindle
    values and the depression parameters: the rest of the reflex must not matter."""
    from reflexsim.sweep.plan import STEP_LIMIT_COLUMNS as _STEP_LIMIT_COLUMNS

    compiled = ClonusTest().compile(5e-4)
    others = {p for i, p in enumerate(PATHS) if i not in set(_STEP_LIMIT_COLUMNS.tolist())}
    assert others == {
        "reflex.gain",
        "reflex.delay_s",
        "reflex.threshold_ips",
        "reflex.tone",
        "reflex.drive_per_ips",
        "reflex.recruitment_width_ips",
    }
    changed = SEVERE.with_values(
        {
            "reflex.gain": 9.0,
            "reflex.delay_s": 0.1,
            "reflex.tone": 0.3,
            "reflex.threshold_ips": 10.0,
            "reflex.drive_per_ips": 0.04,
            "reflex.recruitment_width_ips": 40.0,
        }
    )
    assert max_stable_dt(changed, compiled) == max_stable_dt(SEVERE, compiled)
    fast = SEVERE.with_values({"reflex.depression_per_impulse": 0.5, "spindle.velocity_gain_ips": 30.0})
    assert max_stable_dt(fast, compiled) < max_stable_dt(SEVERE, compiled)


EXACT_POINTS = [
    {"reflex.gain": 0.0},
    {"reflex.gain": 6.5, "reflex.delay_s": 0.06},
    {"reflex.gain": 3.0, "muscle.contraction_time_s": 0.14},
    {"reflex.gain": 6.5, "orthosis.stiffness_nm_per_rad": 100.0, "orthosis.damping_nms_per_rad": 1.0},
    {"reflex.gain": 6.5, "orthosis.stop_angle_rad": 0.15},
    {"reflex.gain": 6.5, "foot.gravity_m_per_s2": 9.81},
]


@pytest.fixture(scope="module")
def exact_zip():
    keys = sorted({k for p in EXACT_POINTS for k in p})
    values = {k: [p.get(k, SEVERE.get(k)) for p in EXACT_POINTS] for k in keys}
    return sweep(SEVERE, zipped(values), duration_s=SHORT_S, kernel_name="exact")


def test_exact_kernel_equals_simulate_and_clonus_metrics_bit_for_bit(exact_zip):
    for i, changes in enumerate(EXACT_POINTS):
        model = SEVERE.with_values(changes)
        expected = as_dict(clonus_metrics(simulate(model, duration_s=SHORT_S)))
        got = {name: float(exact_zip[name][i]) for name in METRIC_FIELDS}
        assert int(exact_zip.status[i]) == 0
        for name in METRIC_FIELDS:
            assert same(got[name], expected[name]), (changes, name, got[name], expected[name])


def test_lockstep_kernel_agrees_with_exact(exact_zip):
    """Same grades and beat counts; frequency and duration to 1e-9; amplitudes to 1e-12 (relative).
    The points include an orthosis stop and foot gravity, so their block of lanes runs the kernel's
    variant with the rare terms (`_lockstep_step_full`)."""
    keys = [c for c in exact_zip.coords.values() if "parameter_path" in c.attrs]
    design = zipped({c.attrs["parameter_path"]: c.values for c in keys})
    fast = sweep(SEVERE, design, duration_s=SHORT_S)
    assert_lockstep_close(fast, exact_zip)


def assert_lockstep_close(fast, exact):
    for name in ("beats", "scats", "tardieu", "ongoing", "sustained", "status"):
        np.testing.assert_array_equal(fast[name].values, exact[name].values, err_msg=name)
    for name, rtol in (("frequency_hz", 1e-9), ("duration_s", 1e-9), ("peak_to_peak_deg", 1e-12)):
        np.testing.assert_allclose(fast[name].values, exact[name].values, rtol=rtol, atol=0, err_msg=name)
    np.testing.assert_allclose(fast.peak_reflex_torque_nm.values, exact.peak_reflex_torque_nm.values, rtol=1e-12)


def test_lockstep_agrees_with_exact_on_a_gain_delay_grid():
    spec = {"reflex.gain": np.linspace(0.0, 20.0, 6), "reflex.delay_s": np.linspace(0.01, 0.08, 6)}
    fast = sweep(SEVERE, spec, duration_s=SHORT_S)
    exact = sweep(SEVERE, spec, duration_s=SHORT_S, kernel_name="exact")
    assert_lockstep_close(fast, exact)
    assert float(fast.beats.max()) >= 3  # the grid does reach clonus


def test_failing_points_get_a_status_and_nan_metrics_never_an_exception():
    # dt = 4 ms: a 5 ms loop delay is shorter than 2 steps (also when the point is too stiff as well:
    # the delay is checked first, as in simulate), a very stiff orthosis stop is beyond the step's RK4
    # limit from the start, and a foot without triceps force is pushed past 90 deg by the hold torque.
    # (The step bound covers the fully active muscle, so no run stops in flight for its step any more.)
    force, passive = SEVERE.muscle.max_force_n, SEVERE.muscle.passive_force_at_optimal_n
    ds = sweep(
        SEVERE.with_values({"muscle.electromechanical_delay_s": 0.0, "orthosis.stop_stiffness_nm_per_rad": 2e4}),
        zipped(
            {
                "reflex.delay_s": [0.005, 0.04, 0.04, 0.04, 0.005],
                "orthosis.stop_angle_rad": [math.inf, math.inf, 0.1, math.inf, 0.1],
                "muscle.max_force_n": [force, force, force, 0.0, force],
                "muscle.passive_force_at_optimal_n": [passive, passive, passive, 0.0, passive],
            }
        ),
        duration_s=2.0,
        dt_s=4e-3,
    )
    names = [STATUS[int(s)][0] for s in ds.status.values]
    assert names == ["delay_too_short", "ok", "step_too_stiff", "out_of_range", "delay_too_short"]
    for i, name in enumerate(names):
        values = [float(ds[m][i]) for m in METRIC_FIELDS]
        assert all(math.isnan(v) for v in values) == (name != "ok"), name
    assert float(ds.failed_at_s[3]) > 0
    assert all(math.isnan(float(ds.failed_at_s[i])) for i in (0, 1, 2, 4))  # not run, or did not fail
    assert summary(ds) == "5 points: 1 ok, 4 failed (1 out_of_range, 2 delay_too_short, 1 step_too_stiff)"


# --------------------------------------------------------------------------------------------- treatments, protocol


def test_treatment_keys_apply_the_treatment_to_the_base_model():
    gains = [2.0, 6.5]
    ds = sweep(SEVERE, {"treatment.botox.weeks": [0.0, 3.0], "reflex.gain": gains}, duration_s=SHORT_S)
    for weeks in (0.0, 3.0):
        treated = treatments_module.apply(SEVERE, "botox", weeks=weeks)
        alone = sweep(treated, {"reflex.gain": gains}, duration_s=SHORT_S)
        for name in METRIC_FIELDS:
            np.testing.assert_array_equal(sel(ds[name], {"treatment.botox.weeks": weeks}).values, alone[name].values)


def test_treatment_keys_with_a_monkeypatched_registry(monkeypatch):
    """The sweep goes through treatments.get/apply only, so any registered treatment works."""
    real = treatments_module.get("botox")

    def halve_force(model: Model, fraction: float) -> dict[str, float]:
        return {"muscle.max_force_n": model.muscle.max_force_n * (1 - fraction)}

    fake = dataclasses.replace(
        real,
        name="weakness",
        acts_on=("muscle.max_force_n",),
        keys=(treatments_module.TreatmentKey("fraction", "1", 0.0, 0.0, 0.9, "force lost"),),
        function=halve_force,
    )
    registry = {**treatments_module.TREATMENTS, "weakness": fake}
    monkeypatch.setattr(treatments_module, "TREATMENTS", registry)
    ds = sweep(SEVERE, {"treatment.weakness.fraction": [0.0, 0.5]}, duration_s=SHORT_S)
    weakened = treatments_module.apply(SEVERE, "weakness", fraction=0.5)
    weak = sweep(weakened, {"reflex.gain": [SEVERE.reflex.gain]}, duration_s=SHORT_S)
    untreated = sweep(SEVERE, {"reflex.gain": [SEVERE.reflex.gain]}, duration_s=SHORT_S)
    for name in METRIC_FIELDS:
        assert same(float(ds[name][1]), float(weak[name][0])), name
        assert same(float(ds[name][0]), float(untreated[name][0])), name
    # the treatment did act (half the force changes the catch; in model v2 not always downwards: the
    # weaker muscle lets the hold torque stretch it further in the catch window)
    assert float(ds.peak_reflex_torque_nm[1]) != float(ds.peak_reflex_torque_nm[0])


def test_protocol_keys_sweep_the_clonus_test():
    ds = sweep(SEVERE, {"protocol.hold_torque_nm": [10.0, 30.0]}, duration_s=SHORT_S, kernel_name="exact")
    for torque in (10.0, 30.0):
        expected = as_dict(clonus_metrics(simulate(SEVERE, ClonusTest(hold_torque_nm=torque), duration_s=SHORT_S)))
        got = point(ds, protocol__hold_torque_nm=torque)
        assert all(same(got[k], expected[k]) for k in METRIC_FIELDS), torque


@pytest.mark.parametrize(
    "protocol",
    [
        TardieuStretch(velocity_deg_per_s=400.0),
        BiasTest(bias_torque_nm=30.0),  # starts at rest under the load's initial torque
        TorqueProfile(time_s=(0.0, 0.2, 0.25, 2.0), torque_nm=(0.0, 0.0, 30.0, 30.0), hold_start_s=0.25),
    ],
    ids=["tardieu", "bias", "torque_profile"],
)
def test_other_protocols_match_simulate(protocol):
    gains = [2.0, 6.5]
    exact = sweep(SEVERE, {"reflex.gain": gains}, protocol=protocol, duration_s=SHORT_S, kernel_name="exact")
    for i, gain in enumerate(gains):
        expected = as_dict(
            clonus_metrics(simulate(SEVERE.with_values({"reflex.gain": gain}), protocol, duration_s=SHORT_S))
        )
        assert all(same(float(exact[k][i]), expected[k]) for k in METRIC_FIELDS), (protocol, gain)
    assert_lockstep_close(sweep(SEVERE, {"reflex.gain": gains}, protocol=protocol, duration_s=SHORT_S), exact)


# --------------------------------------------------------------------------------------------- files, resume


SMALL = {"reflex.gain": [0.0, 3.0, 6.5], "reflex.delay_s": [0.03, 0.05]}
SMALL_POINTS = 6


def test_resume_after_interruption_gives_an_identical_file(tmp_path, interrupt_after):
    whole = tmp_path / "whole.nc"
    sweep(SEVERE, SMALL, duration_s=SHORT_S, out=whole, chunk_size=2)

    out = tmp_path / "resumed.nc"
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, SMALL, duration_s=SHORT_S, out=out, chunk_size=2, on_chunk=interrupt_after(2))
    checkpoint = tmp_path / "resumed.nc.checkpoint"
    assert len(list(checkpoint.glob("chunk-*.npz"))) == 2 and not out.exists()

    resumed = []
    sweep(SEVERE, SMALL, duration_s=SHORT_S, out=out, chunk_size=2, on_chunk=lambda r: resumed.append(r.index))
    assert sorted(resumed) == [2]  # only the chunk that had not finished
    assert not checkpoint.exists()
    a, b = load(whole), load(out)
    xr.testing.assert_identical(a, b)
    assert a.attrs == b.attrs
    assert whole.read_bytes() == out.read_bytes()  # the very same file

    # the finished file is returned as it is, and a different sweep is refused
    again = []
    sweep(SEVERE, SMALL, duration_s=SHORT_S, out=out, chunk_size=2, on_chunk=lambda r: again.append(r))
    assert again == []
    with pytest.raises(SweepError, match="exists and holds a different sweep"):
        sweep(SEVERE, SMALL, duration_s=1.0, out=out)


def test_checkpoint_of_a_different_sweep_is_refused(tmp_path, interrupt_after):
    out = tmp_path / "s.nc"
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, SMALL, duration_s=SHORT_S, out=out, chunk_size=2, on_chunk=interrupt_after(1))
    with pytest.raises(SweepError, match="holds the checkpoint of a different sweep"):
        sweep(SEVERE, SMALL, duration_s=SHORT_S, out=out, chunk_size=3)


def test_netcdf_round_trip_keeps_every_attribute_and_reproduces_the_run(tmp_path):
    out = tmp_path / "s.nc"
    design = latin_hypercube({"reflex.gain": (2.0, 8.0), "muscle.contraction_time_s": (0.06, 0.14)}, 6, seed=7)
    ds = sweep(SEVERE, design, duration_s=SHORT_S, out=out, command="reflexsim sweep ...")
    back = load(out)
    assert back.attrs == ds.attrs
    for path, value in SEVERE.items():
        assert back.attrs["model_" + path.replace(".", "_")] == value
    assert back.attrs["model_name"] == "severe" and back.attrs["design"] == "lhs" and back.attrs["seed"] == 7
    assert back.attrs["dt_s"] == 5e-4 and back.attrs["duration_s"] == SHORT_S
    assert back.status.attrs["flag_meanings"].split()[:2] == ["ok", "nonfinite"]
    assert back["reflex_gain"].dims == ("point",) and back.reflex_gain.attrs["parameter_path"] == "reflex.gain"
    xr.testing.assert_identical(rerun(out), back)


def test_missing_output_folder_fails_before_work(tmp_path):
    with pytest.raises(SweepError, match="does not exist"):
        sweep(SEVERE, SMALL, out=tmp_path / "nope" / "s.nc")


# --------------------------------------------------------------------------------------------- CLI


def run_cli(argv: list[str]) -> int:
    """`reflexsim sweep ...` through the subcommand's parser, with the CLI's error handling."""
    parser = argparse.ArgumentParser(prog="reflexsim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sweep", *argv])
    try:
        return args.func(args)
    except ReflexsimError as exc:
        print(f"reflexsim: error: {exc}", file=sys.stderr)
        return 2


def test_cli_sweep_writes_the_file_and_a_summary(tmp_path, capsys):
    out = tmp_path / "cli.nc"
    argv = ["--param", "reflex.gain=0:6:3", "--param", "reflex.delay_s=0.03,0.05", "--duration", "2", "--out", str(out)]
    assert run_cli([*argv, "--quiet"]) == 0
    text = capsys.readouterr()
    assert "6 points: 6 ok" in text.out and f"wrote {out}" in text.out
    assert "sweep:" not in text.err and "points" not in text.err  # --quiet: no progress bar
    ds = load(out)
    assert ds.beats.shape == (3, 2)
    assert ds.attrs["command"].startswith("reflexsim")
    assert run_cli([*argv, "--quiet"]) == 0  # the same command again: nothing left to do
    assert "already holds this sweep" in capsys.readouterr().out


def test_progress_bar_is_tqdm_on_stderr_and_off_when_asked(capsys, monkeypatch):
    sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=2, progress=True)
    err = capsys.readouterr().err
    assert "sweep: 100%" in err and f"{SMALL_POINTS}/{SMALL_POINTS}" in err and "points/s" in err
    sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=2, progress=False)
    assert capsys.readouterr().err == ""
    sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=2)  # default: stderr is not a terminal here
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(run_module, "in_notebook", lambda: True)  # in a notebook it shows by default
    sweep(SEVERE, SMALL, duration_s=0.5, chunk_size=2)
    assert "sweep: 100%" in capsys.readouterr().err


def test_progress_bar_starts_at_the_points_a_checkpoint_holds(tmp_path, capsys, interrupt_after):
    out = tmp_path / "s.nc"
    with pytest.raises(KeyboardInterrupt):
        sweep(SEVERE, SMALL, duration_s=0.5, out=out, chunk_size=2, on_chunk=interrupt_after(1), progress=False)
    sweep(SEVERE, SMALL, duration_s=0.5, out=out, chunk_size=2, progress=True)
    err = capsys.readouterr().err
    assert f"2/{SMALL_POINTS}" in err.split("\r")[1]  # the first update shows the 2 points already saved


def test_in_notebook_is_false_outside_a_jupyter_kernel(monkeypatch):
    assert run_module.in_notebook() is False

    class ZMQInteractiveShell:  # the class name IPython's kernel shell has
        pass

    fake = type(sys)("IPython")
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert run_module.in_notebook() is True


def test_cli_sweep_from_a_toml_file(tmp_path, capsys):
    config = tmp_path / "paper.toml"
    config.write_text(
        'preset = "mild"\nduration_s = 2.0\nout = "from_toml.nc"\nchunk_size = 4\n'
        '[set]\n"reflex.tone" = 0.02\n[protocol]\nhold_torque_nm = 35\n'
        '[param]\n"reflex.gain" = "2:6:3"\n"treatment.botox.weeks" = [0, 4]\n'
    )
    assert run_cli([str(config), "--quiet"]) == 0
    ds = load(tmp_path / "from_toml.nc")
    assert ds.attrs["model_reflex_tone"] == 0.02 and ds.attrs["model_name"].startswith("mild")
    assert '"hold_torque_nm": 35.0' in ds.attrs["protocol"]
    assert ds.beats.dims == ("reflex_gain", "treatment_botox_weeks")
    assert "6 points" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[param\n", "is not valid TOML"),
        ('colour = "red"\n', "unknown key 'colour'; valid keys: preset, joint, set"),
        ('param = "reflex.gain"\n', "'param' must be a table"),
        ('design = "lhs"\n[param]\n"reflex.gain" = "0:4"\n', "a lhs design needs --samples N"),
        (
            f'[param]\n"reflex.gain" = "0:{2 * GAIN_MAX:g}:3"\n',
            f"reflex.gain = {2 * GAIN_MAX:g} is outside its valid range [0, {GAIN_MAX:g}]",
        ),
    ],
)
def test_cli_bad_config_is_one_clear_line(tmp_path, capsys, text, fragment):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    assert run_cli([str(config), "--out", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("reflexsim: error:") and fragment in err and "\n" not in err


def test_cli_needs_something_to_sweep(tmp_path, capsys):
    assert run_cli(["--out", str(tmp_path / "x.nc")]) == 2
    assert "nothing to sweep" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------- vector math


def test_vectorisable_elementary_functions_are_within_two_ulp():
    from numba import njit

    @njit
    def apply(x, which):
        out = np.empty_like(x)
        for i in range(x.size):
            if which == 0:
                out[i] = kernel.vexp(x[i])
            elif which == 1:
                out[i] = kernel.vlog(x[i])
            else:
                out[i] = kernel.vlog1p_unit(x[i])
        return out

    rng = np.random.default_rng(0)
    cases = [
        (0, np.concatenate([rng.uniform(-700, 700, 5000), rng.uniform(-1, 1, 5000)]), np.exp),
        (1, np.concatenate([10 ** rng.uniform(-300, 300, 5000), rng.uniform(0.5, 2, 5000)]), np.log),
        (2, np.concatenate([rng.uniform(0, 1, 5000), 10 ** rng.uniform(-300, 0, 5000)]), np.log1p),
    ]
    for which, x, ref in cases:
        exact = ref(x)
        ulp = np.abs(apply(x, which) - exact) / np.spacing(np.abs(exact))
        assert ulp.max() <= 2.0, (which, ulp.max())
    edge = apply(np.array([800.0, -800.0, math.nan, 0.0]), 0)
    assert edge[0] == math.inf and edge[1] == 0.0 and math.isnan(edge[2]) and edge[3] == 1.0

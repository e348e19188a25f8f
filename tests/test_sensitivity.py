"""Global sensitivity (reflexsim.sensitivity): Sobol' indices checked on functions whose indices
are known exactly (Ishigami, a linear model with an inert input), against the estimators written
out by hand, and on the model through the sweep kernels (run order, inert parameters)."""

from __future__ import annotations

import numpy as np
import pytest

import reflexsim as rs
from reflexsim import sensitivity as sa
from reflexsim.sensitivity import SensitivityError

pytest.importorskip("SALib")


def test_ishigami_analytic_indices():
    """The closed form (Sobol' & Levitan 1999) gives the published values."""
    assert sa.ISHIGAMI["S1"] == pytest.approx([0.314, 0.442, 0.0], abs=5e-4)
    assert sa.ISHIGAMI["ST"] == pytest.approx([0.558, 0.442, 0.244], abs=5e-4)


def test_ishigami_indices_are_recovered_within_their_intervals():
    found = sa.analyze_function(sa.ishigami, sa.ISHIGAMI_RANGES, 4096, seed=3)
    for name in ("S1", "ST"):
        estimate, half = getattr(found, name), getattr(found, f"{name}_conf")
        truth = sa.ISHIGAMI[name]
        assert np.all(np.abs(estimate - truth) < 0.01), (name, estimate, truth)
        assert np.all(np.abs(estimate - truth) <= half), (name, estimate, half)  # the CI covers the truth
        assert np.all(half < 0.05)  # and is narrow at 4096 base points
    assert found.samples == 4096 and found.dropped == 0
    assert found.names == ("x1", "x2", "x3")


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_analytic_indices():
    """Over 20 seeds the 95 % intervals hold the analytic indices at least 90 % of the time (they
    are conservative for the Sobol' sequence: measured 97-100 %)."""
    covered = []
    for seed in range(20):
        found = sa.analyze_function(sa.ishigami, sa.ISHIGAMI_RANGES, 256, seed=seed, resamples=300)
        covered += list(np.abs(found.S1 - sa.ISHIGAMI["S1"]) <= found.S1_conf)
        covered += list(np.abs(found.ST - sa.ISHIGAMI["ST"]) <= found.ST_conf)
    assert np.mean(covered) >= 0.9, np.mean(covered)


def test_intervals_shrink_as_one_over_root_n():
    small = sa.analyze_function(sa.ishigami, sa.ISHIGAMI_RANGES, 256, seed=1, resamples=500)
    large = sa.analyze_function(sa.ishigami, sa.ISHIGAMI_RANGES, 4096, seed=1, resamples=500)
    ratio = np.concatenate([small.S1_conf / large.S1_conf, small.ST_conf / large.ST_conf])
    assert np.all((ratio > 2.5) & (ratio < 6.5)), ratio  # sqrt(4096 / 256) = 4


def test_salib_matches_the_estimators_written_out():
    """S1 (Saltelli et al. 2010) and ST (Jansen 1999) computed by hand from the blocks A, AB_i, B."""
    names, _, points = sa.saltelli_points(sa.ISHIGAMI_RANGES, 512, seed=7)
    y = sa.ishigami(points)
    found = sa.sobol_indices(names, y, seed=7)
    blocks = (y - y.mean()) / y.std()
    blocks = blocks.reshape(512, 5)
    a, b = blocks[:, 0], blocks[:, -1]
    var = np.var(np.concatenate([a, b]))
    for i in range(3):
        ab = blocks[:, 1 + i]
        assert found.S1[i] == pytest.approx(np.mean(b * (ab - a)) / var, abs=1e-12)
        assert found.ST[i] == pytest.approx(0.5 * np.mean((a - ab) ** 2) / var, abs=1e-12)
    # the design: a block's AB_i is A with column i taken from B
    p = points.reshape(512, 5, 3)
    for i in range(3):
        others = [j for j in range(3) if j != i]
        assert np.array_equal(p[:, 1 + i, others], p[:, 0, others])
        assert np.array_equal(p[:, 1 + i, i], p[:, -1, i])


def test_linear_model_and_an_inert_input():
    """y = x1 + 2 x2 on [0, 1]^3: S1 = ST = (0.2, 0.8, 0), the inert x3 exactly 0 in total."""
    ranges = {"x1": (0, 1), "x2": (0, 1), "x3": (0, 1)}
    found = sa.analyze_function(lambda x: x[:, 0] + 2 * x[:, 1], ranges, 2048, seed=2)
    assert pytest.approx([0.2, 0.8, 0.0], abs=0.01) == found.S1
    assert pytest.approx([0.2, 0.8, 0.0], abs=0.01) == found.ST
    assert found.ST[2] == 0.0 and found.ST_conf[2] == 0.0


def test_second_order_indices():
    found = sa.analyze_function(sa.ishigami, sa.ISHIGAMI_RANGES, 2048, seed=4, second_order=True)
    # the only interaction of the Ishigami function is x1 × x3: S13 = ST1 - S1_1
    s13 = sa.ISHIGAMI["ST"][0] - sa.ISHIGAMI["S1"][0]
    assert found.S2[0, 2] == pytest.approx(s13, abs=3 * found.S2_conf[0, 2])
    assert abs(found.S2[0, 1]) < 3 * found.S2_conf[0, 1] + 0.02
    assert "x1 × x3" in found.as_dict()["S2"]


def test_undefined_outputs_remove_whole_blocks():
    ranges = {"x1": (0, 1), "x2": (0, 1)}
    names, _, points = sa.saltelli_points(ranges, 256, seed=0)
    y = points[:, 0] + points[:, 1] ** 2
    y[points[:, 0] > 0.9] = np.nan  # e.g. a frequency where there is no clonus
    blocks_with_nan = int(np.any(np.isnan(y.reshape(256, 4)), axis=1).sum())
    found = sa.sobol_indices(names, y)
    assert found.dropped == blocks_with_nan > 0
    assert found.samples == 256 - blocks_with_nan
    assert "removed" in found.warning and "warning" in found.as_dict()
    with pytest.raises(SensitivityError, match="on_undefined='drop'"):
        sa.sobol_indices(names, y, on_undefined="raise")
    with pytest.raises(SensitivityError, match="no indices"):
        sa.sobol_indices(names, np.full_like(y, np.nan))


def test_a_constant_output_has_undefined_indices():
    names, _, points = sa.saltelli_points({"x1": (0, 1), "x2": (0, 1)}, 8)
    found = sa.sobol_indices(names, np.zeros(len(points)), output="scats")
    assert np.all(np.isnan(found.S1)) and np.all(np.isnan(found.ST))
    assert "on every run" in found.note and "on every run" in "\n".join(found.lines())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sa.saltelli_points({"x": (0, 1)}, 100), "power of two"),
        (lambda: sa.saltelli_points({"x": (0, 1)}, 1), "at least 2"),
        (lambda: sa.saltelli_points({"x": (0, 1)}, True), "whole number"),
        (lambda: sa.saltelli_points({"x": (1, 0)}, 8), "lo < hi"),
        (lambda: sa.saltelli_points({"x": "0:y"}, 8), "not a number"),
        (lambda: sa.saltelli_points({}, 8), "at least one"),
        (lambda: sa.sobol_indices(["x"], np.zeros(7)), "blocks of 3"),
        (lambda: sa.sobol_indices(["x"], np.zeros(9), confidence=1.2), "confidence"),
        (lambda: sa.sobol_indices(["x"], np.zeros(9), on_undefined="zero"), "on_undefined"),
        (lambda: sa.analyze_function(lambda x: x, {"x": (0, 1), "y": (0, 1)}, 8), "one value per point"),
        (lambda: sa.sensitivity(rs.preset("severe"), {"reflex.gain": (2, 4)}, ["durations"], 8), "unknown output"),
        (lambda: sa.sensitivity(rs.preset("severe"), {"reflex.gain": (2, 4)}, "beats,beats", 8), "twice"),
        (lambda: sa.sensitivity("severe", {"reflex.gain": (2, 4)}, "beats", 8), "Model"),
    ],
)
def test_bad_requests_name_what_is_wrong(call, message):
    with pytest.raises(SensitivityError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# The model, through the sweep kernels

MODEL_RANGES = {
    "reflex.gain": (2.0, 5.0),
    "reflex.delay_s": (0.03, 0.05),
    "foot.com_distance_m": (0.02, 0.1),  # acts only through gravity, which is 0 in the presets: inert
}


@pytest.fixture(scope="module")
def model_run():
    pytest.importorskip("xarray")
    return sa.sensitivity(
        rs.preset("severe"), MODEL_RANGES, ("beats", "duration_s"), 16, duration_s=5.0, seed=1, progress=False
    )


def test_model_runs_follow_the_design(model_run):
    """Each value is the clonus test of its design row, graded as simulate + clonus_metrics does."""
    found = model_run
    assert found.runs == 16 * 5 == found.points.shape[0] and found.failed_runs == 0
    names = list(MODEL_RANGES)
    for k in (0, 7, 41):
        model = rs.preset("severe").with_values(dict(zip(names, found.points[k].tolist(), strict=True)))
        metrics = rs.clonus_metrics(rs.simulate(model, duration_s=5.0))
        assert found.values["beats"][k] == metrics.beats
        assert found.values["duration_s"][k] == pytest.approx(metrics.duration_s, abs=1e-9)


def test_model_indices_see_the_loop_and_not_the_inert_parameter(model_run):
    beats = model_run["beats"]
    assert beats.ST[2] == 0.0 and beats.S1_conf[2] < 0.2  # foot.com_distance_m changes nothing without gravity
    # where clonus is sustained (gain 2-5 on the severe lesion) the beats in 5 s follow the loop delay
    # (the clonus period), not the gain
    assert beats.ST[1] > 0.5 and beats.ST[1] > beats.ST[0] + 0.3
    text = model_run.summary()
    assert "bootstrap" in text and "reflex.gain" in text and "80 runs (0 failed)" in text
    d = model_run.as_dict()
    assert set(d["outputs"]) == {"beats", "duration_s"}
    assert d["parameters"]["reflex.gain"] == [2.0, 5.0]
    fig = model_run.figure()
    assert len(fig.axes) == 2


# ---------------------------------------------------------------------------------------------
# `reflexsim sensitivity`

CLI_PARAMS = [arg for key, (lo, hi) in MODEL_RANGES.items() for arg in ("--param", f"{key}={lo:g}:{hi:g}")]


def test_sensitivity_command_matches_the_api(model_run, tmp_path, capsys):
    import json

    from reflexsim.cli import main

    fig = tmp_path / "s.png"
    argv = ["sensitivity", *CLI_PARAMS, "--output", "beats,duration_s", "--samples", "16", "--duration", "5"]
    argv += ["--seed", "1"]
    assert main([*argv, "--json", "--plot", str(fig)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["runs"] == 80 and out["samples"] == 16 and out["parameters"]["reflex.delay_s"] == [0.03, 0.05]
    for output in ("beats", "duration_s"):
        api = model_run[output]
        got = out["outputs"][output]["parameters"]
        for i, name in enumerate(MODEL_RANGES):
            assert got[name]["ST"] == pytest.approx(api.ST[i], abs=1e-12)
            assert got[name]["S1_ci"] == pytest.approx([api.S1[i] - api.S1_conf[i], api.S1[i] + api.S1_conf[i]])
    assert "bootstrap" in out["method"]
    assert fig.stat().st_size > 10_000
    assert main([*argv, "--quiet", "--out", str(tmp_path / "runs.nc")]) == 0
    text = capsys.readouterr().out
    assert "3 parameters, 16 base points, 80 runs (0 failed)" in text and "ST ± 95% CI" in text
    from reflexsim.sweep import load

    runs = load(tmp_path / "runs.nc")  # every run kept, in design order
    assert np.array_equal(np.asarray(runs["beats"]), model_run.values["beats"])
    assert main([*argv, "--quiet", "--out", str(tmp_path / "runs.nc")]) == 0  # the finished file is reused
    assert capsys.readouterr().out.splitlines()[1:] == text.splitlines()[1:]  # the same indices


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "at least one --param"),
        (["--param", "reflex.gian=1:2"], "did you mean 'reflex.gain'"),
        (["--param", "reflex.gain=2"], "--param reflex.gain=2: '2' is not a range lo:hi"),
        (["--param", "reflex.gain=3:2"], "lo < hi"),
        (["--param", "reflex.gain=1:50"], "outside its valid range [0, 40]"),
        (["--param", "reflex.gain=2:3", "--param", "reflex.gain=3:4"], "given twice"),
        (["--param", "reflex.gain=2:3", "--samples", "100"], "power of two"),
        (["--param", "reflex.gain=2:3", "--samples", "1"], "--samples"),
        (["--param", "reflex.gain=2:3", "--output", "durations"], "unknown output 'durations'"),
        (["--param", "reflex.gain=2:3", "--plot", "no/such/folder/s.png"], "does not exist"),
        (["--param", "reflex.gain=2:3", "--duration", "0.1"], "--duration"),
    ],
)
def test_sensitivity_command_errors_are_one_line(argv, message, tmp_path, capsys, monkeypatch):
    from reflexsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["sensitivity", *argv, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert message in captured.err

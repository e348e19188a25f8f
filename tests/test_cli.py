"""The command line: output, JSON, figure, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reflexsim import clonus_metrics, simulate, treatments
from reflexsim.cli import main
from reflexsim.params import PATHS, describe, format_range
from reflexsim.presets import preset

_GAIN = describe("reflex.gain")
GAIN_RANGE = format_range(_GAIN.lo, _GAIN.hi, _GAIN.unit)  # the gain's upper end is a calibration choice


def test_clonus_test_json_and_figure(tmp_path, capsys):
    figure = tmp_path / "fig.png"
    assert main(["clonus-test", "--preset", "severe", "--json", "--plot", str(figure)]) == 0
    payload = json.loads(capsys.readouterr().out)
    for key in ("beats", "frequency_hz", "duration_s", "sustained", "scats", "tardieu"):
        assert key in payload
    # the command reports the library's grading of the same run (values: see test_physiology.py)
    expected = clonus_metrics(simulate(preset("severe"))).as_dict()
    assert {k: payload[k] for k in expected} == expected
    assert figure.stat().st_size > 10_000
    assert payload["figure"] == str(figure)


def test_clonus_test_text_and_set(capsys):
    assert main(["clonus-test", "--preset", "healthy", "--no-plot", "--set", "reflex.gain=0"]) == 0
    out = capsys.readouterr().out
    assert "SCATS clonus score 0" in out and "beats" in out and "figure:" not in out


def test_set_changes_the_run(capsys):
    main(["clonus-test", "--no-plot", "--json", "--duration", "5"])
    base = json.loads(capsys.readouterr().out)
    main(["clonus-test", "--no-plot", "--json", "--duration", "5", "--set", "reflex.gain=1"])
    changed = json.loads(capsys.readouterr().out)
    assert changed["changed"] == {"reflex.gain": 1.0}
    assert base["changed"] == {}
    # the run is the severe preset with that one value changed
    for payload, model in ((base, preset("severe")), (changed, preset("severe").with_values({"reflex.gain": 1.0}))):
        expected = clonus_metrics(simulate(model, duration_s=5.0)).as_dict()
        assert {k: payload[k] for k in expected} == expected
    assert changed["peak_reflex_torque_nm"] < base["peak_reflex_torque_nm"]  # a lower gain: a smaller reflex


def test_params_listing(capsys):
    assert main(["params", "--preset", "mild", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    by_path = {p["path"]: p for p in payload["parameters"]}
    assert by_path["reflex.gain"]["value"] == preset("mild").reflex.gain
    assert by_path["reflex.depression_per_impulse"]["value"] == preset("mild").reflex.depression_per_impulse
    assert {"unit", "lo", "hi", "doc", "source", "default"} <= set(by_path["reflex.delay_s"])
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert "reflex.delay_s" in text and "source:" in text


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--set", "reflex.gain=abc"], f"reflex.gain = 'abc' is not a number; valid range {GAIN_RANGE}"),
        (["--set", "reflex.gain=-1"], f"reflex.gain = -1 is outside its valid range {GAIN_RANGE}"),
        (["--set", "reflex.gian=2"], "unknown parameter 'reflex.gian'; did you mean 'reflex.gain'"),
        (["--set", "reflex.gain"], "--set expects PATH=VALUE"),
        (["--duration", "-3"], "--duration = -3 is outside its valid range [0.5, 3600] s"),
        (["--duration", "ten"], "--duration = 'ten' is not a number"),
        (["--hold-torque-nm", "900"], "--hold-torque-nm = 900 is outside its valid range [0, 150] N·m"),
        (["--preset", "moderate"], "invalid choice: 'moderate'"),
    ],
)
def test_bad_input_one_line_and_exit_2(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        code = main(["clonus-test", "--no-plot", *argv])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_console_script_error_has_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "reflexsim.cli", "clonus-test", "--no-plot", "--set", "reflex.delay_s=9"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "reflex.delay_s = 9 is outside its valid range [0.005, 0.15] s" in proc.stderr


@pytest.mark.parametrize(
    "spec", ["botox:weeks=3", "afo:stiffness_nm_per_deg=2", "afo:stop_deg=5", "baclofen", "tizanidine"]
)
def test_treatment_spellings_from_the_issue(spec, capsys):
    assert main(["clonus-test", "--no-plot", "--json", "--treatment", spec]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["treatments"] == [spec]
    assert payload["model"].endswith(spec)
    # the run is the severe preset with the treatment applied (whether it stops the clonus is a
    # clinical target of the calibration: test_treatments.py)
    treated = treatments.apply_all(preset("severe"), [spec])
    assert any(treated.get(path) != preset("severe").get(path) for path in PATHS)
    expected = clonus_metrics(simulate(treated)).as_dict()
    assert {k: payload[k] for k in expected} == expected


def test_treatments_listing(capsys):
    assert main(["treatments", "--json"]) == 0
    listing = {t["name"]: t for t in json.loads(capsys.readouterr().out)["treatments"]}
    assert {"baclofen", "tizanidine", "diazepam", "botox", "afo", "stretching", "cooling"} <= set(listing)
    weeks = next(k for k in listing["botox"]["keys"] if k["name"] == "weeks")
    assert weeks["unit"] == "weeks" and weeks["lo"] == 0.0
    assert main(["treatments"]) == 0
    assert "source:" in capsys.readouterr().out


def test_bad_treatment_is_one_line(capsys):
    assert main(["clonus-test", "--no-plot", "--treatment", "botox:week=3"]) == 2
    err = capsys.readouterr().err
    assert "treatment 'botox' has no key 'week'; valid keys: weeks" in err and "Traceback" not in err


def test_tardieu_command(capsys):
    assert main(["tardieu", "--preset", "healthy", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [s["velocity"] for s in payload["stretches"]] == ["V1", "V2", "V3"]
    assert payload["stretches"][0]["grade"] == 0


def test_stability_command(capsys):
    from reflexsim import stability

    assert main(["stability", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    # the command reports the library's analysis of the severe preset (values: see test_stability.py)
    model = preset("severe")
    analysis = stability.analyse(model, payload["hold_torque_nm"])
    assert payload["stable"] == analysis.stable
    assert payload["frequency_hz"] == pytest.approx(analysis.frequency_hz, rel=1e-12)
    # at the reported critical gain the rightmost roots sit on the imaginary axis, at the reported frequency
    critical = model.with_values({"reflex.gain": payload["critical_gain"]})
    at_critical = stability.analyse(critical, payload["hold_torque_nm"])
    assert abs(at_critical.decay_rate_per_s) < 1e-6
    assert at_critical.frequency_hz == pytest.approx(payload["critical_frequency_hz"], rel=1e-6)
    assert payload["margin"] == pytest.approx(model.reflex.gain / payload["critical_gain"])
    assert payload["stable"] == (payload["margin"] < 1.0)  # above the critical gain the hold is unstable


def test_stability_boundary_command(tmp_path):
    csv = tmp_path / "hopf.csv"
    figure = tmp_path / "hopf.png"
    assert (
        main(["stability", "--boundary", "reflex.delay_s=0.02:0.06:3", "--out", str(csv), "--plot", str(figure)]) == 0
    )
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("reflex.delay_s,critical_gain") and len(rows) == 4
    gains = [float(r.split(",")[1]) for r in rows[1:]]
    assert gains == sorted(gains, reverse=True)  # longer delay, lower critical gain
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("boundary", "fragment"),
    [
        ("reflex.delay=0.01:0.1:5", "unknown parameter 'reflex.delay'"),
        ("reflex.delay_s=0.01:0.1", "is neither start:stop:num"),
        ("reflex.delay_s", "expected PATH=start:stop:num"),
    ],
)
def test_stability_boundary_errors(boundary, fragment, capsys):
    assert main(["stability", "--boundary", boundary]) == 2
    assert fragment in capsys.readouterr().err

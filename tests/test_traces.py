"""Recorded traces: read, check and grade them with the simulator's detector and grades.

A simulated run exported (CSV, DataFrame, Dataset) and read back grades exactly as
`clonus_metrics(result)`; synthetic recordings (a stretch, then clonus of known frequency, EMG
bursts of known onset) at any rate from 100 Hz to 10 kHz grade as their construction says; every
malformed input fails with one line naming the column and the valid range (exit 2 on the CLI).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reflexsim import kernel, traces
from reflexsim.errors import TraceError
from reflexsim.metrics import beats_table, clonus_metrics

HOLD_S = 0.5 + 10.0 / 250.0  # synthetic traces: 0.5 s at rest, then a 10° stretch at 250 °/s


def synthetic_clonus(rate_hz: float, freq_hz: float = 6.0, p2p_deg: float = 4.0, seconds: float = 6.0, decay=0.0):
    """Time and angle (deg): rest, a 10° stretch ending at HOLD_S, then beats of `freq_hz` whose
    peak to peak falls as exp(-decay t), starting at the stretch's maximum (maxima at HOLD_S + k/f)."""
    t = np.arange(0.0, seconds, 1.0 / rate_hz)
    ramp = np.clip((t - 0.5) / (HOLD_S - 0.5), 0.0, 1.0) * 10.0
    after = np.clip(t - HOLD_S, 0.0, None)
    beats = 0.5 * p2p_deg * np.exp(-decay * after) * (np.cos(2 * np.pi * freq_hz * after) - 1.0)
    return t, ramp + np.where(t >= HOLD_S, beats, 0.0)


def write(path, header: str, columns, meta: str = "") -> str:
    rows = "\n".join(",".join(repr(float(v)) for v in row) for row in zip(*columns, strict=True))
    path.write_text(f"{meta}{header}\n{rows}\n")
    return str(path)


# --------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["healthy", "mild", "severe"])
def test_simulated_run_through_csv_grades_identically(preset_runs, tmp_path, name):
    result, metrics = preset_runs[name]
    path = traces.write_csv(result, tmp_path / f"{name}.csv")
    trace = traces.read(path)
    assert clonus_metrics(trace).as_dict() == metrics.as_dict()
    expected, got = beats_table(result), beats_table(trace)
    for column, values in expected.arrays().items():
        np.testing.assert_array_equal(got.arrays()[column], values, err_msg=column)
    assert got.metrics.as_dict() == metrics.as_dict()


def test_dataframe_and_dataset_round_trips(preset_runs, tmp_path):
    pytest.importorskip("pandas")
    pytest.importorskip("xarray")
    result, metrics = preset_runs["severe"]
    frame = result.to_dataframe()
    assert frame.index.name == "time_s" and frame.attrs["hold_start_s"] == result.events.hold_start_s
    assert clonus_metrics(frame) == metrics
    assert clonus_metrics(result.to_xarray()) == metrics
    trace = traces.as_trace(frame)
    assert set(trace.to_dataframe().columns) <= set(frame.columns)  # the same shape, fewer columns
    assert clonus_metrics(trace.to_xarray()) == metrics
    # pandas' own CSV keeps no metadata: the events come from the options instead
    frame.to_csv(tmp_path / "pandas.csv")
    ev = result.events
    read = traces.read(tmp_path / "pandas.csv", hold_start_s=ev.hold_start_s, stretch_start_s=ev.stretch_start_s)
    assert clonus_metrics(read) == metrics


def test_detected_hold_start_on_a_simulated_run(preset_runs):
    result, metrics = preset_runs["severe"]
    stretch, hold = traces.detect_hold_start(result.time_s, result.angle_rad)
    assert abs(hold - result.events.hold_start_s) <= 0.005  # the stretch's maximum, a few steps after the ramp
    assert abs(stretch - result.events.stretch_start_s) <= 0.005
    frame = result.to_dataframe()
    frame.attrs.clear()
    detected = clonus_metrics(frame)
    assert (detected.beats, detected.scats, detected.tardieu) == (metrics.beats, metrics.scats, metrics.tardieu)
    assert detected.frequency_hz == metrics.frequency_hz


# --------------------------------------------------------------------------------------------- sampling rates


@pytest.mark.parametrize("rate", [100.0, 250.0, 1000.0, 2000.0, 10_000.0])
def test_synthetic_clonus_at_any_rate(tmp_path, rate):
    t, angle = synthetic_clonus(rate)
    path = write(tmp_path / "clonus.csv", "time_s,angle_deg", (t, angle))
    trace = traces.read(path)
    assert trace.sampling_rate_hz == pytest.approx(rate)
    assert trace.hold_start_s == pytest.approx(HOLD_S, abs=1.0 / rate)
    m = clonus_metrics(trace)
    assert m.beats == pytest.approx(6.0 * (t[-1] - HOLD_S), abs=1)
    assert m.frequency_hz == pytest.approx(6.0, rel=0.2 * 6.0 / rate + 1e-9)
    assert m.max_peak_to_peak_deg == pytest.approx(4.0, abs=0.05)  # samples within half a step of the extremes
    assert m.ongoing and m.scats == 2 and m.tardieu == 3
    assert math.isnan(m.peak_reflex_torque_nm)


@settings(max_examples=25, deadline=None)
@given(
    rate=st.floats(100.0, 10_000.0),
    freq=st.floats(3.0, 12.0),
    p2p=st.floats(1.5, 12.0),
    decay=st.floats(0.0, 0.8),
)
def test_frequency_and_beats_at_any_rate(rate, freq, p2p, decay):
    """The detector finds the construction's beats at any rate: each maximum once, the frequency
    to within the sampling grid (beat times are sample times: ±1/rate at both ends of 10 intervals)."""
    t, angle = synthetic_clonus(rate, freq, p2p, seconds=4.0, decay=decay)
    trace = traces.from_columns({"time_s": t, "angle_deg": angle})
    table = beats_table(trace)
    m = table.metrics
    # maxima at HOLD_S + k/f, k >= 1, while the peak to peak stays above 1°
    last_k = math.floor(min(freq * (t[-1] - HOLD_S), freq * math.log(p2p) / decay if decay else math.inf))
    assert abs(m.beats - last_k) <= 1
    np.testing.assert_allclose(table.time_s, HOLD_S + np.arange(1, m.beats + 1) / freq, atol=1.0 / rate + 1e-9)
    if m.beats >= 3:
        k = min(m.beats - 1, 10)
        assert m.frequency_hz == pytest.approx(freq, rel=2.0 * freq / (k * rate) + 1e-9)


# --------------------------------------------------------------------------------------------- EMG


def burst_train(rate=2000.0, seconds=4.0, freq=6.0, burst_s=0.05, delay_s=0.04, seed=1):
    """Raw EMG (mV): 1 mV noise bursts of `burst_s`, each `delay_s` after a trough of a `freq` clonus,
    on 0.02 mV baseline noise and a 0.5 mV, 1.5 Hz movement artefact; with the angle and the onsets."""
    rng = np.random.default_rng(seed)
    t, angle = synthetic_clonus(rate, freq, 4.0, seconds)
    troughs = HOLD_S + (np.arange(int(freq * seconds)) + 0.5) / freq
    onsets = troughs[troughs + delay_s + burst_s < seconds] + delay_s
    on = np.zeros_like(t, dtype=bool)
    for o in onsets:
        on |= (t >= o) & (t < o + burst_s)
    emg = 0.02 * rng.standard_normal(t.size) + on * rng.standard_normal(t.size) + 0.5 * np.sin(2 * np.pi * 1.5 * t)
    return t, angle, emg, onsets


def test_emg_envelope_of_a_burst_train():
    t, _, emg, onsets = burst_train()
    env = traces.emg_envelope(emg, 2000.0)
    inside = np.zeros_like(t, dtype=bool)
    for o in onsets:
        inside |= (t >= o + 0.01) & (t < o + 0.04)
    quiet = np.ones_like(t, dtype=bool)
    for o in onsets:
        quiet &= (t < o - 0.03) | (t > o + 0.08)
    quiet &= t > 0.2  # clear of the filters' start
    # bursts stand ~10x above the baseline: the 1.5 Hz artefact (0.5 mV, 25x the baseline noise) is filtered out
    assert np.median(env[inside]) > 10 * np.percentile(env[quiet], 95)


def test_burst_onsets_in_the_beats_table(tmp_path):
    t, angle, emg, onsets = burst_train()
    path = write(tmp_path / "emg.csv", "time (s),ankle angle (deg),EMG (mV)", (t, angle, emg))
    trace = traces.read(path)
    assert any("band-pass 20-450 Hz" in note for note in trace.notes) and trace.envelope_unit == "V"
    table = beats_table(trace)
    assert table.beats_with_burst == len(table)
    # each beat's burst: the one that starts `delay_s` after its trough; the zero-phase envelope
    # spreads a burst ~10 ms both ways, so the detected onsets lead the true ones by about that much
    expected = np.array([onsets[np.argmin(np.abs(onsets - (tr + 0.04)))] for tr in table.trough_time_s])
    lead = expected - table.burst_onset_s
    assert np.all((lead > -0.005) & (lead < 0.025)) and 0.0 < np.mean(lead) < 0.015, lead
    # the same recording graded from the angle alone: the same beats
    assert clonus_metrics(traces.from_columns({"time_s": t, "angle_deg": angle})).beats == table.metrics.beats


def test_emg_only_trace_counts_bursts(tmp_path):
    t, _, emg, onsets = burst_train(seconds=5.0)
    path = write(tmp_path / "emg_only.csv", "time_s,emg_mv", (t, emg))
    with pytest.raises(TraceError, match="EMG-only trace needs the hold start"):
        traces.read(path)
    table = beats_table(traces.read(path, hold_start_s=HOLD_S))
    m = table.metrics
    assert table.signal == "EMG envelope"
    assert abs(m.beats - np.sum(onsets > HOLD_S)) <= 1
    assert m.frequency_hz == pytest.approx(6.0, rel=0.02)
    assert math.isnan(m.max_peak_to_peak_deg) and math.isnan(m.decay_per_s)


def test_no_reflex_torque_leaves_tardieu_ungraded_below_clonus(tmp_path):
    t, angle = synthetic_clonus(500.0, p2p_deg=0.5)  # below the 1° beat threshold: no beats
    m = clonus_metrics(traces.from_columns({"time_s": t, "angle_deg": angle}, hold_start_s=HOLD_S))
    assert m.beats == 0 and m.scats == 0 and m.tardieu is None and m.as_dict()["tardieu"] is None
    torque = np.where((t > 0.5) & (t < 0.7), 6.0, 0.0)
    columns = {"time_s": t, "angle_deg": angle, "reflex_torque_nm": torque}
    with_torque = clonus_metrics(traces.from_columns(columns, hold_start_s=HOLD_S))
    assert with_torque.tardieu == 2 and with_torque.peak_reflex_torque_nm == 6.0


# --------------------------------------------------------------------------------------------- errors


ERROR_CASES = {
    "no angle or EMG": ("time_s,velocity_deg_per_s", None, "no ankle angle or EMG column"),
    "no time": ("seconds,angle_deg", None, "no time column"),
    "unknown angle unit": ("time_s,angle (grad)", None, "unknown unit 'grad'; known units: deg, rad"),
    "unknown time unit": ("time_min,angle_deg", None, "unknown unit 'min'; known units: s, ms"),
    "angle without unit": ("time_s,angle", None, "has no unit: name it angle_deg"),
    "two angles": ("time_s,angle_deg,theta_rad", None, "several ankle angle columns"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_column_errors(tmp_path, case):
    header, _, message = ERROR_CASES[case]
    t, angle = synthetic_clonus(500.0)
    columns = (t, angle, angle / 57.3)[: header.count(",") + 1]
    path = write(tmp_path / "bad.csv", header, columns)
    with pytest.raises(TraceError, match=message):
        traces.read(path)


def _bad_trace(kind: str):
    t, angle = synthetic_clonus(500.0)
    if kind == "duplicated time":
        t = t.copy()
        t[100] = t[99]
    elif kind == "time goes back":
        t = t.copy()
        t[100], t[101] = t[101], t[100]
    elif kind == "time gap":
        keep = np.ones_like(t, dtype=bool)
        keep[1000:1010] = False
        t, angle = t[keep], angle[keep]
    elif kind == "NaN gap":
        angle = angle.copy()
        angle[1200:1300] = np.nan
    elif kind == "too short":
        keep = t < HOLD_S + 0.6
        t, angle = t[keep], angle[keep]
    elif kind == "too slow":
        t, angle = synthetic_clonus(50.0)
    elif kind == "too fast":
        t, angle = synthetic_clonus(20_000.0, seconds=2.0)
    elif kind == "radians as degrees":
        angle = angle * 57.3
    return t, angle


BAD_TRACES = {
    "duplicated time": "'time_s' repeats at row 101 .*no duplicated or unsorted samples",
    "time goes back": "'time_s' goes back at row 102",
    "time gap": "'time_s' jumps from 1.998 s to 2.02 s",
    "NaN gap": "'angle_deg' has 100 NaN or empty value\\(s\\), the first at t = 2.4 s",
    "too short": "ends 0.598 s after the hold starts .* at least 1 s after it",
    "too slow": "sampling rate of 50 Hz; valid range 100 to 10000 Hz",
    "too fast": "sampling rate of 20000 Hz; valid range 100 to 10000 Hz",
    "radians as degrees": "reaches .*°; valid range -90 to 90° \\(is the angle unit right\\?\\)",
}


@pytest.mark.parametrize("kind", list(BAD_TRACES))
def test_trace_errors(tmp_path, kind):
    t, angle = _bad_trace(kind)
    path = write(tmp_path / "bad.csv", "time_s,angle_deg", (t, angle))
    with pytest.raises(TraceError, match=BAD_TRACES[kind]) as err:
        traces.read(path)
    assert "\n" not in str(err.value)


def test_file_errors(tmp_path):
    t, angle = synthetic_clonus(500.0)
    good = write(tmp_path / "good.csv", "time_s,angle_deg", (t, angle))
    with pytest.raises(TraceError, match="no such file"):
        traces.read(tmp_path / "missing.csv")
    text = Path(good).read_text().splitlines()
    (tmp_path / "empty_cell.csv").write_text("\n".join([*text[:50], "0.1,", *text[51:]]) + "\n")
    with pytest.raises(TraceError, match="'angle_deg' has 1 NaN or empty value"):
        traces.read(tmp_path / "empty_cell.csv")
    (tmp_path / "ragged.csv").write_text("\n".join([*text[:50], "0.0981", *text[51:]]) + "\n")
    with pytest.raises(TraceError, match="rows do not match the 2 header columns"):
        traces.read(tmp_path / "ragged.csv")
    with pytest.raises(TraceError, match="hold_start_s = 99 s is outside the trace"):
        traces.read(good, hold_start_s=99.0)
    with pytest.raises(TraceError, match="no column 'knee' \\(given as angle_column\\)"):
        traces.read(good, angle_column="knee")
    flat = write(tmp_path / "flat.csv", "time_s,angle_deg", (t, np.zeros_like(t)))
    with pytest.raises(TraceError, match="hold start cannot be detected; pass hold_start_s"):
        traces.read(flat)
    slow_emg = write(tmp_path / "slow_emg.csv", "time_s,angle_deg,emg_mv", (t, angle, angle))
    with pytest.raises(TraceError, match="sampled at 500 Hz; enveloping it needs at least 1000 Hz"):
        traces.read(slow_emg)
    assert traces.read(slow_emg, emg_kind="envelope").envelope is not None


def test_tsv_ms_and_explicit_units(tmp_path):
    t, angle = synthetic_clonus(1000.0)
    expected = clonus_metrics(traces.from_columns({"time_s": t, "angle_deg": angle}))
    path = tmp_path / "trace.tsv"
    path.write_text(
        "Time [ms]\tAnkle\n" + "\n".join(f"{float(a) * 1000!r}\t{float(b)!r}" for a, b in zip(t, angle, strict=True))
    )
    with pytest.raises(TraceError, match="no ankle angle or EMG column"):
        traces.read(path)
    got = clonus_metrics(traces.read(path, angle_column="Ankle", angle_unit="deg"))
    assert (got.beats, got.scats, got.duration_s) == (
        expected.beats,
        expected.scats,
        pytest.approx(expected.duration_s),
    )


# --------------------------------------------------------------------------------------------- C3D


def test_c3d_point_angle_and_analog_emg(tmp_path):
    ezc3d = pytest.importorskip("ezc3d")
    t, angle, emg, _ = burst_train(rate=1000.0)
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [100.0]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = ("LAnkleAngles",)
    points = np.zeros((4, 1, t.size // 10))
    points[0, 0, :] = angle[::10]
    points[3] = 1.0
    c3d["data"]["points"] = points
    c3d.add_parameter("POINT", "ANGLE_UNITS", ["deg"])
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [1000.0]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ("EMG_SOL",)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = ("mV",)
    c3d["data"]["analogs"] = emg[None, None, :]
    c3d.write(str(tmp_path / "trial.c3d"))
    trace = traces.read(tmp_path / "trial.c3d")
    assert trace.sampling_rate_hz == pytest.approx(1000.0) and trace.envelope_unit == "V"
    on_angle = clonus_metrics(traces.from_columns({"time_s": t[::10], "angle_deg": angle[::10]}))
    table = beats_table(trace)
    # the angle at 100 Hz, interpolated onto the 1 kHz clock: the same beats as read at 100 Hz
    assert table.metrics.beats == on_angle.beats and table.metrics.frequency_hz == pytest.approx(on_angle.frequency_hz)
    assert table.beats_with_burst == len(table)


# --------------------------------------------------------------------------------------------- command line


def main(argv: list[str]) -> int:
    from reflexsim.cli import main as cli_main

    return cli_main(argv)


def test_grade_command(preset_runs, tmp_path, capsys):
    result, metrics = preset_runs["mild"]
    path = traces.write_csv(result, tmp_path / "mild.csv")
    assert main(["grade", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {k: payload[k] for k in metrics.as_dict()} == metrics.as_dict()
    assert len(payload["beats_table"]["columns"]["time_s"]) == metrics.beats
    assert payload["hold_start_s"] == result.events.hold_start_s
    assert main(["grade", str(path), "--beats"]) == 0
    out = capsys.readouterr().out
    assert f"beats              {metrics.beats}" in out and "burst_onset_s" in out and "SCATS clonus score 1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--angle-column", "knee"], "no column 'knee' (given as angle_column)"),
        (["--hold-start-s", "11.5"], "grading needs at least 1 s after it"),
        (["--time-column", "angle_rad"], "column 'angle_rad' (time) has unknown unit 'rad'; known units: s, ms"),
    ],
)
def test_grade_command_errors(preset_runs, tmp_path, capsys, argv, message):
    path = traces.write_csv(preset_runs["healthy"][0], tmp_path / "healthy.csv")
    assert main(["grade", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reflexsim: error: ") and message in err and err.count("\n") == 1


def test_grade_command_option_ranges(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "x.csv"), "--hold-start-s", "-1"]) == 2
    assert "--hold-start-s = -1 is outside its valid range" in capsys.readouterr().err


def test_clonus_test_json_has_the_beats_table(capsys):
    assert main(["clonus-test", "--no-plot", "--json", "--duration", "4"]) == 0
    payload = json.loads(capsys.readouterr().out)
    table = payload["beats_table"]
    assert len(table["columns"]["time_s"]) == payload["beats"]
    assert table["units"]["peak_to_peak_deg"] == "deg" and table["signal"] == "ankle angle"
    assert min(x for x in table["columns"]["interval_s"] if x is not None) >= kernel.MIN_BEAT_INTERVAL_S

"""Teaching tools: the explorer's callbacks, the explorer in a real window under Xvfb, the
animation, the reflex-loop picture, and the experiment runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from reflexsim.cli import main
from reflexsim.explorer import CONTROLS, Explorer, preset_values
from reflexsim.joints import JOINTS
from reflexsim.presets import preset as rs_preset


@pytest.fixture(scope="module")
def explorer():
    return Explorer("severe")


def test_explorer_starts_on_the_preset(explorer):
    assert explorer.metrics.over_10_s and explorer.metrics.ongoing
    assert all(explorer.sliders[c.key].val == pytest.approx(preset_values("severe")[c.key]) for c in CONTROLS)


def test_slider_callbacks_change_the_plotted_data_and_the_numbers(explorer):
    before = explorer.angle_line.get_ydata().copy()
    before_text = explorer.text.get_text()
    from reflexsim import stability
    from reflexsim.presets import preset

    explorer.sliders["gain"].set_val(1.0)
    assert explorer.model().reflex.gain == 1.0
    assert not np.allclose(explorer.angle_line.get_ydata(), before)
    assert explorer.text.get_text() != before_text and "beats" in explorer.text.get_text()
    critical = stability.critical_gain(explorer.model()).gain
    assert f"margin gain/critical = 1/{critical:.2f}" in explorer.text.get_text()  # the stability margin
    assert explorer.metrics.scats == 0
    explorer.sliders["delay"].set_val(60.0)  # shown in ms, stored in s
    assert explorer.model().reflex.delay_s == pytest.approx(0.060)
    explorer.set_preset("severe")
    assert (
        explorer.sliders["gain"].val == pytest.approx(preset("severe").reflex.gain)
        and explorer.metrics.over_10_s
        and explorer.metrics.ongoing
    )


def test_treatment_controls(explorer):
    explorer.set_preset("severe")
    explorer.set_medication("baclofen")
    assert "baclofen" in explorer.model().name and not (explorer.metrics.over_10_s and explorer.metrics.ongoing)
    explorer.set_medication("none")
    explorer.sliders["afo"].set_val(2.0)
    assert explorer.model().orthosis.stiffness_nm_per_rad > 100 and not (
        explorer.metrics.over_10_s and explorer.metrics.ongoing
    )
    explorer.sliders["afo"].set_val(0.0)
    explorer.sliders["botox"].set_val(3.0)
    assert explorer.model().muscle.max_force_n < 0.8 * 5790.0
    explorer.set_preset("severe")
    assert explorer.metrics.over_10_s and explorer.metrics.ongoing


def test_explorer_records_the_time_a_slider_move_takes(explorer):
    """The simulation and grading behind a slider move is recorded for the window's report. Its
    cost (simulate + clonus_metrics of a 12 s test) is measured in benchmarks/bench_simulate.py,
    not asserted here: tests never assert wall-clock times."""
    explorer.sliders["gain"].set_val(7.0)
    assert 0.0 < explorer.last_compute_ms <= explorer.last_update_ms


def test_animation_has_the_expected_frames(tmp_path):
    from PIL import Image

    assert (
        main(["animate", "--preset", "severe", "--out", str(tmp_path / "a.gif"), "--seconds", "1", "--fps", "10"]) == 0
    )
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 10
    assert main(["animate", "--treatment", "botox:weeks=3", "--out", str(tmp_path / "b.gif"), "--seconds", "0.5"]) == 0
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == 10 and gif.size[0] > gif.size[1]  # two panels side by side


def test_animation_rejects_unknown_format(tmp_path, capsys):
    assert main(["animate", "--out", str(tmp_path / "a.avi"), "--seconds", "0.5"]) == 2
    assert "must end in .gif or .mp4" in capsys.readouterr().err


def test_reflex_loop_figure_shows_the_preset_numbers():
    import reflexsim as rs
    from reflexsim.plotting import reflex_loop_figure

    severe = rs.preset("severe")
    fig = reflex_loop_figure(severe)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"gain ×{severe.reflex.gain:g}" in texts and f"threshold {severe.reflex.threshold_ips:g} imp/s" in texts
    assert "40 ms" in texts and "baclofen" in texts


def test_experiment_list_and_run(capsys):
    assert main(["experiment", "list"]) == 0
    listing = capsys.readouterr().out
    assert "clonus_test" in listing and "tardieu" in listing
    assert main(["experiment", "run", "nonesuch"]) == 2
    assert "unknown experiment 'nonesuch'" in capsys.readouterr().err


def test_explore_without_display_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["explore"]) == 2
    assert "needs a display" in capsys.readouterr().err


_WINDOW_SCRIPT = """
import sys, time
import matplotlib
matplotlib.use("TkAgg")
import matplotlib.pyplot as plt
from PIL import ImageGrab
from reflexsim.explorer import Explorer
explorer = Explorer("severe")
plt.show(block=False)
for _ in range(20):
    plt.pause(0.1)
explorer.sliders["gain"].set_val(3.0)
plt.pause(0.5)
ImageGrab.grab(xdisplay=sys.argv[1]).save(sys.argv[2])
print(explorer.metrics.beats)
"""


@pytest.mark.skipif(
    shutil.which("Xvfb") is None and not os.environ.get("REFLEXSIM_REQUIRE_XVFB"),
    reason="Xvfb not installed (CI installs it and sets REFLEXSIM_REQUIRE_XVFB=1)",
)
def test_explorer_in_a_real_window_under_xvfb(tmp_path):
    from PIL import Image

    display = f":{90 + os.getpid() % 9}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x900x24"], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        shot = tmp_path / "explorer.png"
        env = dict(os.environ, DISPLAY=display)
        proc = subprocess.run(
            [sys.executable, "-c", _WINDOW_SCRIPT, display, str(shot)], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        pixels = np.asarray(Image.open(shot).convert("RGB")).astype(float)
        assert pixels.std() > 20  # not a blank screen
        blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 80) & (pixels[..., 1] < 150)  # the C0 angle trace
        assert blue.sum() > 200, "no plotted trace visible in the window"
    finally:
        server.terminate()
        server.wait()


def test_an_impossible_setting_is_shown_not_raised(explorer, monkeypatch):
    """A setting the simulator refuses (here: a model whose run leaves the joint's range) is shown
    in the window instead of crashing it, and the window recovers on the next setting."""
    from reflexsim import explorer as explorer_module
    from reflexsim.errors import SimulationError

    real = explorer_module.simulate

    def refusing(model, *args, **kwargs):
        if model.reflex.gain > 14.0:
            raise SimulationError("at t = 0.3000 s the ankle passed ±90°: lower the protocol's torque")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(explorer_module, "simulate", refusing)
    explorer.set_preset("severe")
    explorer.sliders["gain"].set_val(15.0)
    assert "cannot simulate this setting" in explorer.text.get_text()
    assert "the ankle passed ±90°" in explorer.text.get_text()
    explorer.set_preset("severe")
    assert explorer.metrics.over_10_s and explorer.metrics.ongoing and "beats" in explorer.text.get_text()


def test_explorer_switches_joint_with_its_presets_test_and_slider_ranges():
    explorer = Explorer("severe")
    explorer.set_joint("jaw")
    jaw = rs_preset("severe", joint="jaw")
    assert explorer.model().name.startswith("jaw_severe")
    assert explorer.model().reflex.delay_s == pytest.approx(jaw.reflex.delay_s)
    assert explorer.protocol == JOINTS["jaw"].clonus_test.protocol
    delay = explorer.sliders["delay"]
    assert delay.valmin <= jaw.reflex.delay_s * 1e3 <= delay.valmax  # 8 ms: below the ankle slider's 10 ms
    assert explorer.metrics.frequency_hz > 10.0  # the jaw's clonus, not the ankle's 5-7 Hz
    explorer.set_joint("ankle")
    assert explorer.model().name == "severe" and 5.0 < explorer.metrics.frequency_hz < 7.0

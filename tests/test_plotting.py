"""The standard clonus-test figure is drawn from the run (not blank) and saved."""

from __future__ import annotations

from reflexsim.plotting import clonus_test_figure, save_figure, summary_line


def test_clonus_test_figure(preset_runs, tmp_path):
    result, metrics = preset_runs["severe"]
    fig = clonus_test_figure(result, metrics)
    axes = fig.get_axes()
    assert len(axes) == 4
    line = axes[0].get_lines()[0]
    assert len(line.get_xdata()) == len(result.time_s)
    path = save_figure(fig, tmp_path / "sub" / "fig.png")
    assert path.exists() and path.stat().st_size > 20_000
    line = summary_line(metrics)  # the grades of this run (their values: see test_physiology.py)
    assert line.startswith(f"{metrics.beats} beats")
    assert f"SCATS {metrics.scats}" in line and f"Tardieu {metrics.tardieu}" in line

"""An interactive clonus-test explorer for the classroom (matplotlib widgets).

    reflexsim explore                 # a window (needs a display)

    %matplotlib widget                # in Jupyter (ipympl), then in a cell:
    from reflexsim.explorer import Explorer; Explorer().figure

Sliders change the reflex loop (gain, threshold, delay, twitch, foot inertia, passive
stiffness) and the treatments (medication, Botox weeks, AFO stiffness and stop, heel wedge);
each change reruns the clonus test and redraws the angle and EMG-like traces and the numbers.
Every callback is a plain method, so the explorer can be driven programmatically (tests do).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from .errors import ReflexsimError
from .joints import DEFAULT_JOINT, JOINTS
from .metrics import ClonusMetrics, clonus_metrics
from .params import Model
from .presets import PRESETS, preset
from .protocols import ClonusTest
from .simulation import Result, simulate
from .treatments import apply

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .stability import CriticalGain

MEDICATIONS = ("none", "baclofen", "tizanidine", "diazepam")
DURATION_S = 12.0  # long enough to grade clonus > 10 s (SCATS 3, Tardieu 4)


@dataclass(frozen=True)
class Control:
    """One slider: what it sets, its label and range in the units shown to the user.

    Attributes
    ----------
    key : str
        The control's name in `Explorer.values`.
    label : str
        The slider's label, with the unit shown.
    lo, hi : float
        The slider's range, in the unit shown.
    path : str or None, default None
        The model parameter it sets; None for a treatment control (Botox, AFO, wedge).
    to_si : float, default 1.0
        Factor from the shown value to the parameter's SI value (1e-3 for ms -> s).

    Examples
    --------
    >>> from reflexsim.explorer import CONTROLS
    >>> delay = next(c for c in CONTROLS if c.key == "delay")
    >>> delay.label, delay.path, delay.to_si
    ('loop delay (ms)', 'reflex.delay_s', 0.001)
    """

    key: str
    label: str
    lo: float
    hi: float
    path: str | None = None  # model parameter it sets (None: a treatment control)
    to_si: float = 1.0  # multiply the shown value by this to get the parameter's SI value


CONTROLS = (
    Control("gain", "reflex gain (×healthy)", 0.0, 15.0, "reflex.gain"),
    Control("threshold", "threshold (imp/s)", 50.0, 200.0, "reflex.threshold_ips"),
    Control("delay", "loop delay (ms)", 10.0, 100.0, "reflex.delay_s", 1e-3),
    Control("twitch", "twitch time (ms)", 50.0, 200.0, "muscle.contraction_time_s", 1e-3),
    Control("inertia", "foot inertia (g·m²)", 8.0, 50.0, "foot.inertia_kg_m2", 1e-3),
    Control("passive", "passive stiffness (×)", 0.5, 3.0, "muscle.passive_scale"),
    Control("botox", "Botox: weeks since injection (0 = none)", 0.0, 16.0),
    Control("afo", "AFO stiffness (N·m/deg)", 0.0, 4.0),
    Control("stop", "AFO stop (deg; 20 = none)", -5.0, 20.0),
    Control("wedge", "heel wedge (deg)", 0.0, 10.0),
)
_NO_STOP_DEG = 20.0


def model_from_settings(
    preset_name: str, values: dict[str, float], medication: str, joint: str = DEFAULT_JOINT
) -> Model:
    """The model the explorer's controls describe: a preset, slider overrides, then treatments.

    Parameters
    ----------
    preset_name : str
        ``"healthy"``, ``"mild"`` or ``"severe"``.
    values : dict of str to float
        Slider positions by `Control.key`, in the units shown (every control's key).
    medication : str
        One of `MEDICATIONS` (``"none"`` for none), applied at its default dose.
    joint : str, default "ankle"
        Whose presets (`reflexsim.joints.JOINTS`).

    Returns
    -------
    Model
        The preset with the slider values, then the medication, Botox and orthosis applied.

    Examples
    --------
    >>> from reflexsim.explorer import model_from_settings, preset_values
    >>> values = preset_values("severe") | {"gain": 2.0, "botox": 3.0}
    >>> model = model_from_settings("severe", values, "tizanidine")
    >>> model.name
    'severe + tizanidine + botox:weeks=3'
    """
    model = preset(preset_name, joint=joint)
    overrides = {c.path: values[c.key] * c.to_si for c in CONTROLS if c.path is not None}
    model = model.with_values(overrides, name=model.name)
    if medication != "none":
        model = apply(model, medication)
    if values["botox"] > 0.0:
        model = apply(model, "botox", weeks=values["botox"])
    if values["afo"] > 0.0 or values["stop"] < _NO_STOP_DEG or values["wedge"] > 0.0:
        stop = math.inf if values["stop"] >= _NO_STOP_DEG else values["stop"]
        model = apply(model, "afo", stiffness_nm_per_deg=values["afo"], stop_deg=stop, wedge_deg=values["wedge"])
    return model


def preset_values(preset_name: str, joint: str = DEFAULT_JOINT) -> dict[str, float]:
    """Slider positions that reproduce a preset without treatment.

    Parameters
    ----------
    preset_name : str
        ``"healthy"``, ``"mild"`` or ``"severe"``.
    joint : str, default "ankle"
        Whose presets (`reflexsim.joints.JOINTS`).

    Returns
    -------
    dict of str to float
        `Control.key` -> position, in the units shown (treatments off).

    Examples
    --------
    >>> from reflexsim.explorer import preset_values
    >>> values = preset_values("severe")
    >>> values["gain"], values["delay"], values["botox"]
    (3.6, 40.0, 0.0)
    """
    model = preset(preset_name, joint=joint)
    values = {c.key: model.get(c.path) / c.to_si for c in CONTROLS if c.path is not None}
    values.update(botox=0.0, afo=0.0, stop=_NO_STOP_DEG, wedge=0.0)
    return values


def _clonus_test(joint: str) -> ClonusTest:
    # ClinicalTest.protocol is any ProtocolLike; the explorer needs the ClonusTest's hold pressure
    protocol = JOINTS[joint].clonus_test.protocol
    if not isinstance(protocol, ClonusTest):
        raise ReflexsimError(f"joint {joint!r}: its clonus test is a {type(protocol).__name__}, not a ClonusTest")
    return protocol


def _on_label(action: Callable[[str], None]) -> Callable[[str | None], None]:
    # RadioButtons' callbacks are typed to take None (no button selected); a click always selects one
    def callback(label: str | None) -> None:
        if label is not None:
            action(label)

    return callback


class Explorer:
    """The explorer's figure and state. `figure` is a matplotlib Figure with live widgets.

    Building it runs the 12 s clonus test and the critical-gain scan of the stability margin
    (several seconds); moving the gain slider afterwards reruns only the test.

    Parameters
    ----------
    preset_name : str, default "severe"
        The preset the sliders start at.
    joint : str, default "ankle"
        The joint it starts with (`reflexsim.joints.JOINTS`; a radio button switches joint).
    figure : matplotlib.figure.Figure, optional
        The figure to draw into (default: a new 12 × 7.5 in figure).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The figure with the traces, the numbers and the widgets.
    values : dict of str to float
        Slider positions by `Control.key`.
    result : Result or None
        The latest run.
    metrics : ClonusMetrics or None
        Its grades.
    last_compute_ms, last_update_ms : float
        Time of the latest simulation and grading, and of the whole update, ms.

    Examples
    --------
    Building the explorer takes several seconds (a 12 s clonus test and a critical-gain scan), so
    it is not run here:

    >>> from reflexsim.explorer import Explorer
    >>> explorer = Explorer("severe")  # doctest: +SKIP
    >>> explorer.metrics.beats, explorer.metrics.scats  # doctest: +SKIP
    (64, 3)
    >>> explorer.set_value("gain", 1.0)  # doctest: +SKIP
    >>> explorer.metrics.beats  # doctest: +SKIP
    1
    """

    def __init__(
        self, preset_name: str = "severe", *, joint: str = DEFAULT_JOINT, figure: Figure | None = None
    ) -> None:
        import matplotlib.pyplot as plt
        from matplotlib.widgets import Button, RadioButtons, Slider

        self.preset_name = preset_name
        self.joint = joint
        self.medication = "none"
        self.values = preset_values(preset_name, joint)
        self.protocol = _clonus_test(joint)
        self.last_update_ms = math.nan
        self.last_compute_ms = math.nan
        self._critical: CriticalGain | None = None
        self._critical_key = b""
        self.result: Result | None = None
        self.metrics: ClonusMetrics | None = None
        self._updating = False

        fig = figure if figure is not None else plt.figure(figsize=(12, 7.5))
        self.figure = fig
        self.ax_angle = fig.add_axes((0.06, 0.58, 0.56, 0.36))
        self.ax_emg = fig.add_axes((0.06, 0.30, 0.56, 0.22), sharex=self.ax_angle)
        self.ax_text = fig.add_axes((0.06, 0.02, 0.56, 0.2))
        self.ax_text.axis("off")
        (self.angle_line,) = self.ax_angle.plot([], [], lw=1.2)
        (self.emg_line,) = self.ax_emg.plot([], [], color="C3", lw=0.8)
        self.ax_angle.set_ylabel(f"{joint} angle (°)")
        self.ax_emg.set_ylabel("EMG-like drive")
        self.ax_emg.set_xlabel("time (s)")
        self.ax_angle.set_xlim(0, DURATION_S)
        self.ax_emg.set_ylim(-0.02, 1.02)
        self.text = self.ax_text.text(0.0, 1.0, "", va="top", family="monospace", fontsize=10)

        self.sliders: dict[str, Slider] = {}
        for i, c in enumerate(CONTROLS):
            ax = fig.add_axes((0.76, 0.95 - 0.05 * i, 0.17, 0.03))
            slider = Slider(ax, c.label, c.lo, c.hi, valinit=self.values[c.key])
            slider.label.set_fontsize(8)
            slider.on_changed(partial(self.set_value, c.key))
            self.sliders[c.key] = slider
        self._fit_slider_ranges()
        self.preset_buttons = RadioButtons(fig.add_axes((0.66, 0.27, 0.12, 0.12)), list(PRESETS))
        self.preset_buttons.set_active(list(PRESETS).index(preset_name))
        self.preset_buttons.on_clicked(_on_label(self.set_preset))
        self.joint_buttons = RadioButtons(fig.add_axes((0.66, 0.14, 0.12, 0.12)), list(JOINTS))
        self.joint_buttons.set_active(list(JOINTS).index(joint))
        self.joint_buttons.on_clicked(_on_label(self.set_joint))
        self.medication_buttons = RadioButtons(fig.add_axes((0.80, 0.18, 0.14, 0.2)), list(MEDICATIONS))
        self.medication_buttons.on_clicked(_on_label(self.set_medication))
        self.stretch_button = Button(fig.add_axes((0.66, 0.05, 0.28, 0.08)), "stretch!")
        self.stretch_button.on_clicked(lambda _event: self.update())
        self.update()

    # --- callbacks (also the programmatic interface) ------------------------------------------

    def set_value(self, key: str, value: float) -> None:
        """Set one control (the slider callback) and rerun the test.

        Parameters
        ----------
        key : str
            The control's `Control.key`.
        value : float
            Its position, in the unit shown.
        """
        self.values[key] = float(value)
        if not self._updating:
            self.update()

    def set_medication(self, label: str) -> None:
        """Choose the medication (the radio-button callback) and rerun the test.

        Parameters
        ----------
        label : str
            One of `MEDICATIONS`.
        """
        self.medication = label
        self.update()

    def set_joint(self, label: str) -> None:
        """Switch joint (the radio-button callback): its presets, its own clinical test, slider
        ranges that contain its values; then rerun.

        Parameters
        ----------
        label : str
            A key of `reflexsim.joints.JOINTS`.
        """
        self.joint = label
        self.protocol = _clonus_test(label)
        self.ax_angle.set_ylabel(f"{label} angle (°)")
        self._critical = None
        self.set_preset(self.preset_name)

    def _fit_slider_ranges(self) -> None:
        """Widen a parameter slider's range where the joint's preset lies outside it (the jaw's 8 ms
        delay, a hand's inertia): at least half to twice the preset value."""
        for c in CONTROLS:
            if c.path is None:
                continue
            slider, value = self.sliders[c.key], self.values[c.key]
            lo, hi = min(c.lo, 0.5 * value), max(c.hi, 2.0 * value)
            slider.valmin, slider.valmax = lo, hi
            slider.ax.set_xlim(lo, hi)

    def set_preset(self, label: str) -> None:
        """Move every slider to the preset's values (one redraw, not one per slider).

        Parameters
        ----------
        label : str
            ``"healthy"``, ``"mild"`` or ``"severe"``.
        """
        self.preset_name = label
        self.values = preset_values(label, self.joint)
        self._fit_slider_ranges()
        self._updating = True
        try:
            for key, slider in self.sliders.items():
                slider.set_val(self.values[key])
        finally:
            self._updating = False
        self.update()

    def model(self) -> Model:
        """The model the current settings describe (`model_from_settings`).

        Returns
        -------
        Model
            The preset with the sliders and treatments applied.
        """
        return model_from_settings(self.preset_name, self.values, self.medication, self.joint)

    def update(self) -> None:
        """Rerun the clonus test with the current settings and redraw.

        `last_compute_ms` is the simulation and grading time; `last_update_ms` adds updating the
        artists (the canvas itself redraws when the GUI is idle)."""
        t0 = time.perf_counter()
        try:
            model = self.model()
            result = simulate(model, self.protocol, duration_s=DURATION_S)
            margin = self._stability_line(model)
        except ReflexsimError as err:  # an impossible setting is shown, not raised, in a live window
            self.text.set_text(f"cannot simulate this setting:\n{err}")
            self.figure.canvas.draw_idle()
            return
        metrics = clonus_metrics(result)
        self.last_compute_ms = 1000.0 * (time.perf_counter() - t0)
        self.result, self.metrics = result, metrics
        self.angle_line.set_data(result.time_s, result.angle_deg)
        self.emg_line.set_data(result.time_s, result.excitation)
        self.ax_angle.set_ylim(result.angle_deg.min() - 1.0, result.angle_deg.max() + 1.0)
        self.text.set_text(self._numbers(model.name, metrics) + "\n" + margin)
        self.last_update_ms = 1000.0 * (time.perf_counter() - t0)
        self.figure.canvas.draw_idle()

    def _stability_line(self, model: Model) -> str:
        """Linear stability of the hold and the margin gain / critical gain. The critical gain does
        not depend on the gain itself, so it is recomputed only when another setting changes:
        moving the gain slider stays fast."""
        from . import stability

        key = model.with_values({"reflex.gain": 0.0}).pack().tobytes()
        crit = self._critical
        if crit is None or key != self._critical_key:
            hold = self.protocol.hold_torque_nm
            crit = self._critical = stability.critical_gain(model, hold, scan_points=11)
            self._critical_key = key
        linear = stability.analyse(model, self.protocol.hold_torque_nm)
        state = "unstable" if not linear.stable else "stable"
        if not crit.found:
            return f"linear: {state}; no critical gain up to 20"
        return (
            f"linear: {state}, onset {crit.frequency_hz:.2f} Hz; "
            f"margin gain/critical = {model.reflex.gain:g}/{crit.gain:.2f} = {model.reflex.gain / crit.gain:.2f}"
        )

    @staticmethod
    def _numbers(name: str, m: ClonusMetrics) -> str:
        freq = "—" if math.isnan(m.frequency_hz) else f"{m.frequency_hz:.2f} Hz"
        duration = f"≥ {m.duration_s:.1f} s" if m.ongoing else f"{m.duration_s:.1f} s"
        return (
            f"{name}\n"
            f"beats {m.beats:3d}   frequency {freq}   clonus {duration}\n"
            f"SCATS {m.scats}   Tardieu {m.tardieu}   peak-to-peak {m.max_peak_to_peak_deg:.1f}°"
        )


def explore(preset_name: str = "severe", joint: str = DEFAULT_JOINT) -> Explorer:
    """Open the explorer in a window (blocks until it is closed) or in a Jupyter widget.

    Parameters
    ----------
    preset_name : str, default "severe"
        The preset the sliders start at.
    joint : str, default "ankle"
        The joint it starts with (a radio button switches joint).

    Returns
    -------
    Explorer
        The explorer, once its window is closed.

    Examples
    --------
    It opens a window and waits for it to close, so it is not run here:

    >>> from reflexsim.explorer import explore
    >>> explorer = explore("mild")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    explorer = Explorer(preset_name, joint=joint)
    plt.show()
    return explorer

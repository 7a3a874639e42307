"""The Quality tab: measured on demand in the background, cached per plan and text, numbers only
ever shown for the targets they belong to, and every problem said in the tab itself."""

from __future__ import annotations

import shutil
import time

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

import tiny_text
from conftest import DEMO, gate
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.io.text import Settings, prepare_text
from headmix.core.run.quality import evaluate_plan
from headmix.core.io.text import read_text
from headmix.gui.formatting import format_error, format_perplexity, format_ratio, ratio_of

WINDOW, MAX_TOKENS = 16, 200  # the tiny tokenizer's text: 13 windows, fast on the demo's 4 small layers


def open_model(qtbot, window, folder, window_tokens=WINDOW, max_tokens=MAX_TOKENS):
    """Open a model and wait for its importance scores and the Quality tab's text."""
    quality = window.quality
    quality.set_settings(window_tokens, max_tokens)
    with qtbot.waitSignals([window.importance_ready, quality.text_ready], timeout=20000):
        assert window.open_path(folder)
    return quality


def measure(qtbot, window):
    quality = window.quality
    with qtbot.waitSignal(quality.measurement_finished, timeout=20000) as blocker:
        qtbot.mouseClick(quality.measure_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def expected_result(window, folder, text=None):
    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, text, Settings(WINDOW, MAX_TOKENS))
    return evaluate_plan(ShrinkRun.build(checkpoint, window.current_request()), sample)


def gate_layers(monkeypatch, per_layer: float):
    """Make each changed layer of a measurement take up to ``per_layer`` seconds (or until the
    gate opens), so it is still running when the test acts, as on a large model."""
    import headmix.core.run.quality as quality_module

    return gate(monkeypatch, quality_module, "mix_layer", per_layer)


def test_not_measured_at_first_then_the_numbers_evaluate_plan_gives(qtbot, window, demo_folder):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    assert quality.state == "not measured" and quality.headline.text() == "Not measured"
    assert quality.stack.currentIndex() == 0 and not quality.pair.isVisible()
    assert "13 windows of 16 tokens, 195 scored" in quality.windows_label.text()
    assert quality.text_label.text().endswith("tokens of original English prose shipped with headmix")
    assert quality.measure_button.isEnabled() and not quality.cancel_button.isEnabled()
    steps = []
    quality.progress.valueChanged.connect(lambda _: steps.append(quality.progress.format()))

    result = measure(qtbot, window)

    expected = expected_result(window, demo_folder)
    assert result.key == expected.key == quality.key
    assert result.before.perplexity == pytest.approx(expected.before.perplexity, rel=1e-6)
    assert result.after.perplexity == pytest.approx(expected.after.perplexity, rel=1e-6)
    assert result.hidden_error == pytest.approx(expected.hidden_error, rel=1e-6)
    assert [e.layer for e in result.layers] == [0, 1, 2, 3] and all(e.changed for e in result.layers)
    assert [e.attention_error for e in result.layers] == pytest.approx([e.attention_error for e in expected.layers], rel=1e-6)
    # what the tab says is those numbers
    assert quality.state == "measured" and quality.stack.currentIndex() == 1
    assert quality.headline.text().startswith("Measured for these targets")
    before = format_perplexity(expected.before.perplexity, expected.before.mean_nll)
    after = format_perplexity(expected.after.perplexity, expected.after.mean_nll)
    ratio = format_ratio(ratio_of(expected.before.mean_nll, expected.after.mean_nll))
    assert quality.summary.text() == f"Perplexity {before} → {after} ({ratio})"
    assert quality.output_error.text() == f"Relative error of the final hidden states: {format_error(expected.hidden_error)}"
    worst = max(expected.layers, key=lambda e: e.attention_error)
    assert quality.worst.text().startswith(f"Worst layers: {worst.layer} ({format_error(worst.attention_error)})")
    assert quality.pair.texts == (before, after)
    assert quality.layers_chart.layers == result.layers
    assert window.statusBar().currentMessage() == f"Quality measured: {quality.summary.text().lower()}"
    # progress went layer by layer, then through the output head
    assert "layer 1 of 4" in steps[:2] and "layer 4 of 4" in steps and steps[-2:] == ["output head", "done"]
    assert not quality.progress.isVisible() and not quality.measure_button.isEnabled()  # measured already
    assert window.last_message is None
    # the time is from Measure to the result; the message goes once the targets change (it was about these)
    assert result.seconds > 0
    assert f"in {result.seconds:.1f} s" in quality.headline.text() or result.seconds < 0.05  # under 0.05 s: not said
    with qtbot.waitSignal(window.plan_changed):
        window.panel.set_values(4, 2, 32, "mean", 0, "all")
    assert not window.statusBar().currentMessage().startswith("Quality measured")


def test_cached_per_plan_and_never_shown_for_other_targets(qtbot, window, demo_folder):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    result = measure(qtbot, window)
    shown = quality.summary.text()

    window.panel.set_values(4, 2, 32, "mean", 0, "all")  # other targets
    assert quality.state == "not measured" and quality.headline.text() == "Not measured for these targets"
    assert quality.stack.currentIndex() == 0 and not quality.summary.isVisible() and not quality.pair.isVisible()
    assert quality.previous.isVisible()
    assert quality.previous.text().startswith("Last measured, for other targets (4×16, kv 2, select, all layers): perplexity")
    assert "not for the current targets" in quality.previous.text()
    assert quality.measure_button.isEnabled()

    with qtbot.assertNotEmitted(quality.measurement_started):
        window.undo_stack.undo()  # back to the measured targets: shown at once, nothing runs
        assert quality.state == "measured" and quality.worker is None and quality.shown is result
        assert quality.summary.text() == shown and quality.stack.currentIndex() == 1

    # another text is another measurement: the numbers measured on the default text are not offered
    text = demo_folder.parent / "story.txt"
    text.write_text(tiny_text.sample_text(400, seed=3), encoding="utf-8")
    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        quality.use_text_file(text)
    assert quality.state == "not measured" and quality.headline.text() == "Not measured"
    assert not quality.previous.isVisible()
    assert quality.text_label.text().startswith(str(text)) and quality.text_label.text().endswith(" tokens")
    other = measure(qtbot, window)
    assert other.key != result.key
    assert other.after.perplexity == pytest.approx(expected_result(window, demo_folder, read_text(text)).after.perplexity, rel=1e-6)
    with qtbot.assertNotEmitted(quality.measurement_started):
        with qtbot.waitSignal(quality.text_ready, timeout=10000):
            quality.use_default_text()
        assert quality.state == "measured" and quality.shown is result


def test_cancel_stops_a_measurement(qtbot, window, demo_folder, monkeypatch):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    gate = gate_layers(monkeypatch, 10.0)
    with qtbot.waitSignal(quality.measurement_cancelled, timeout=10000):
        qtbot.mouseClick(quality.measure_button, Qt.MouseButton.LeftButton)
        assert quality.state == "measuring" and quality.progress.isVisible() and quality.cancel_button.isEnabled()
        assert not quality.measure_button.isEnabled()
        assert not quality.text_choice.isEnabled() and not quality.window_spin.isEnabled()  # the text it runs on
        # the window stays usable while it runs
        window.select_layer(2)
        assert window.preview.layer_label.text().startswith("Layer 2")
        qtbot.waitUntil(gate.entered.is_set, timeout=5000)  # inside its first layer
        qtbot.mouseClick(quality.cancel_button, Qt.MouseButton.LeftButton)
        assert quality.state == "cancelling" and not quality.cancel_button.isEnabled()
        gate.set()
    assert quality.state == "not measured" and "Measurement cancelled." in quality.message.text()
    assert quality.worker is None and quality.key not in quality.cache and quality.measure_button.isEnabled()
    assert not quality.progress.isVisible()
    qtbot.waitUntil(lambda: not quality.busy(), timeout=5000)


def test_a_failed_measurement_says_why_in_the_tab(qtbot, window, demo_folder, monkeypatch):
    import headmix.core.run.quality as quality_module
    from headmix.core.errors import HeadmixError

    def refuse(*args, **kwargs):
        raise HeadmixError("model.layers.1.self_attn.q_proj.weight: the file ends before this tensor")

    quality = open_model(qtbot, window, demo_folder)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    monkeypatch.setattr(quality_module, "mix_layer", refuse)
    with qtbot.waitSignal(quality.measurement_failed, timeout=10000):
        assert window.measure_quality()
    assert quality.state == "failed" and quality.headline.text() == "Measurement failed"
    assert quality.message.text() == "model.layers.1.self_attn.q_proj.weight: the file ends before this tensor"
    assert quality.measure_button.isEnabled() and window.last_message is None  # try again; no dialog
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    assert quality.state == "not measured"  # the failure belongs to the targets that failed


def test_opening_another_model_stops_the_measurement(qtbot, window, demo_folder, monkeypatch):
    quality = open_model(qtbot, window, demo_folder)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    gate = gate_layers(monkeypatch, 10.0)
    assert window.measure_quality()
    with qtbot.waitSignals([window.importance_ready, quality.text_ready], timeout=20000):
        window.open_path(DEMO)
    assert quality.state == "unavailable" and quality.worker is None and not quality.progress.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: not quality.busy(), timeout=10000)  # the old measurement has stopped
    assert quality.state == "unavailable" and quality.worker is None  # and what it said was not taken for this model


def test_closing_the_window_during_a_measurement_is_quick(qtbot, window, demo_folder, monkeypatch):
    quality = open_model(qtbot, window, demo_folder)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    gate = gate_layers(monkeypatch, 0.3)  # 4 changed layers: at least 1.2 s if it ran to the end
    assert window.measure_quality()
    qtbot.waitUntil(gate.entered.is_set, timeout=5000)  # inside its first layer
    started = time.monotonic()
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()
        assert not window.isVisible()  # gone at once, no question: a measurement keeps nothing
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
    assert not quality.busy() and quality.worker is None and quality.key not in quality.cache


def test_a_model_without_a_tokenizer_says_the_check_is_unavailable(qtbot, window):
    quality = open_model(qtbot, window, DEMO, 512, 4096)
    assert quality.state == "unavailable"
    assert quality.headline.text() == "Quality check unavailable for this model"
    assert "no tokenizer.json" in quality.message.text() and "can still be planned and exported" in quality.message.text()
    assert not quality.measure_button.isEnabled() and not quality.choose_button.isEnabled()
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    assert quality.state == "unavailable" and not window.measure_quality()
    assert window.last_message is None  # said in the tab, never in a dialog


def test_a_bad_text_says_why_in_the_tab(qtbot, window, demo_folder, tmp_path):
    quality = open_model(qtbot, window, demo_folder)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 au lait, the dog sat.".encode("latin-1") * 20)
    dialog = window.choose_quality_text()
    assert isinstance(dialog, QFileDialog) and dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert dialog.isVisible()
    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        name = dialog.findChild(QLineEdit)
        name.setText(str(bad))
        qtbot.keyClick(name, Qt.Key.Key_Return)
    assert quality.state == "text error" and quality.headline.text() == "Cannot use this text"
    assert "not UTF-8 text (byte 3 is 0xe9)" in quality.message.text() and "#c62828" in quality.message.styleSheet()
    assert not quality.measure_button.isEnabled()

    short = tmp_path / "short.txt"
    short.write_text("the cat sat.", encoding="utf-8")
    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        quality.use_text_file(short)
    assert quality.state == "text error" and "shorter than one window of 16 tokens" in quality.message.text()

    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        quality.use_default_text()
    assert quality.state == "not measured" and quality.measure_button.isEnabled()
    assert window.last_message is None


def test_an_encoder_shows_the_embedding_cosine_instead_of_perplexity(qtbot, window, model_dir, tmp_path):
    folder = tmp_path / "bert"
    shutil.copytree(model_dir("bert"), folder)
    tiny_text.save_tokenizer(folder)
    quality = open_model(qtbot, window, folder)
    assert quality.window_spin.maximum() == 64  # BERT's learned positions
    window.panel.set_values(3, 3, 8, "select", 0, "all")
    result = measure(qtbot, window)
    expected = expected_result(window, folder)
    assert result.before is None and result.embedding_cosine == pytest.approx(expected.embedding_cosine, rel=1e-6)
    assert quality.summary.text() == f"Embedding cosine with the original: {expected.embedding_cosine:.3f} (1 = unchanged)"
    assert quality.output_error.text().endswith(format_error(expected.hidden_error))
    assert quality.pair.values == pytest.approx((1.0, expected.embedding_cosine))


def test_learned_positions_cap_the_window_only_for_their_model(qtbot, window, model_dir, tmp_path):
    folder = tmp_path / "gpt2"
    shutil.copytree(model_dir("gpt2"), folder)
    tiny_text.save_tokenizer(folder, add_bos=False)
    quality = open_model(qtbot, window, folder, 512, 4096)
    assert quality.window_spin.maximum() == 64 and quality.window_spin.value() == 64
    assert "64 learned positions" in quality.window_spin.toolTip()
    assert quality.state == "not measured"  # 64 positions, not the 512 that would not fit
    with qtbot.waitSignals([window.importance_ready, quality.text_ready], timeout=20000):
        window.open_path(DEMO)  # rotary: any window
    assert quality.window_spin.value() == 512


def test_clicking_a_layer_selects_it_and_hovering_reads_it_out(qtbot, window, demo_folder, monkeypatch):
    import pyqtgraph

    monkeypatch.setitem(pyqtgraph.CONFIG_OPTIONS, "mouseRateLimit", 0)  # else moves within 10 ms are dropped
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "mean", 0, "0-1")  # layers 2 and 3 unchanged
    result = measure(qtbot, window)
    chart = quality.layers_chart
    qtbot.waitExposed(chart)
    assert [e.changed for e in result.layers] == [True, True, False, False]
    assert list(chart.unchanged.opts["x"]) == [2.0, 3.0] and list(chart.bars.opts["x"]) == [0.0, 1.0]

    def point(layer: int) -> QPoint:
        scene = chart.plot.getViewBox().mapViewToScene(QPointF(layer, 0.5 * chart.top))
        return chart.plot_widget.mapFromScene(scene)

    def hover(layer: int) -> str:
        """Move the mouse over a layer (one synchronous move event)."""
        viewport = chart.plot_widget.viewport()
        pos = QPointF(point(layer))
        event = QMouseEvent(QEvent.Type.MouseMove, pos, QPointF(viewport.mapToGlobal(pos.toPoint())),
                            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
        return chart.readout.text()

    assert hover(1).startswith(f"layer 1: attention output error {format_error(result.layers[1].attention_error)} · "
                               f"residual stream error after it {format_error(result.layers[1].hidden_error)}")
    assert hover(3).startswith("layer 3: unchanged by the targets · residual stream error after it")

    qtbot.mouseClick(chart.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=point(1))
    assert window.selected_layer == 1 and chart.selected_layer == 1
    assert window.preview.layer_label.text().startswith("Layer 1")
    assert window.tree_model.node(window.proxy.mapToSource(window.tree.currentIndex())).layer == 1


def _visible(widget) -> bool:
    """Wholly on screen in the tab, without scrolling."""
    viewport = widget.window().quality.scroll.viewport()
    return widget.isVisible() and viewport.rect().contains(QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size()))


def _places(window) -> dict[str, QRect]:
    q = window.quality
    parts = {"headline": q.headline, "stack": q.stack, "measure": q.measure_button, "cancel": q.cancel_button,
             "progress": q.progress, "text": q.text_choice, "window": q.window_spin, "preview": window.preview}
    return {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size()) for name, w in parts.items()}


@pytest.mark.parametrize("size", [(1480, 880), (1024, 640)])
def test_the_tab_holds_still_and_fits_a_small_window(qtbot, window, demo_folder, monkeypatch, size):
    window.resize(*size)
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    QApplication.processEvents()
    reference = _places(window)
    tabs = window.preview.tabBar()
    assert tabs.sizeHint().width() <= window.preview.width()  # every tab name shown, no scroll arrows
    gate = gate_layers(monkeypatch, 10.0)
    with qtbot.waitSignal(quality.measurement_finished, timeout=20000):
        window.measure_quality()
        QApplication.processEvents()
        assert _places(window) == reference, "measuring moved something"
        for widget in (quality.measure_button, quality.cancel_button, quality.progress):
            assert _visible(widget), widget
        gate.set()
    QApplication.processEvents()
    assert _places(window) == reference, "the result moved something"
    measured = {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size())
                for name, w in (("summary", quality.summary), ("pair", quality.pair), ("layers", quality.layers_chart))}
    for widget in (quality.summary, quality.output_error, quality.worst, quality.pair, quality.layers_chart.plot_widget):
        assert _visible(widget), widget
    assert quality.layers_chart.plot_widget.height() >= 120
    for values in ((4, 2, 16, "article", 0, "all"), (2, 1, 8, "mean", 0, "0-1")):
        window.panel.set_values(*values)
        assert _places(window) == reference, values
        with qtbot.waitSignal(quality.measurement_finished, timeout=20000):
            window.measure_quality()
        QApplication.processEvents()
        assert _places(window) == reference, values
        now = {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size())
               for name, w in (("summary", quality.summary), ("pair", quality.pair), ("layers", quality.layers_chart))}
        assert now == measured, values


def test_the_bar_moves_while_a_measurement_waits_for_calibration(qtbot, window, tokenized_llama, monkeypatch):
    """A new user's tryout: Measure on a calibrated plan calibrated the rest of the layers first with the bar empty
    at the measurement's step 0 for 95 s; the bar now follows the calibration walk."""
    import headmix.core.run.calibration as calibration
    from conftest import gate

    quality = open_model(qtbot, window, tokenized_llama)
    opened = gate(monkeypatch, calibration, "decide", 20)  # the walk is under way while the test looks
    window.panel.set_values(4, 2, 8, "calibrated", 0, "all")
    qtbot.mouseClick(quality.measure_button, Qt.MouseButton.LeftButton)
    worker = quality.worker
    worker.calibrating.emit(2, 4)  # head size 16 → 8: rotary pairs scored over the 2 layers, then each layer fitted
    assert quality.progress.format() == "calibrating: layer 1 of 2"
    assert (quality.progress.minimum(), quality.progress.maximum(), quality.progress.value()) == (0, 4, 2)
    worker.calibrating.emit(3, 4)
    assert quality.progress.value() == 3 and quality.progress.format() == "calibrating: layer 2 of 2"
    qtbot.mouseClick(quality.cancel_button, Qt.MouseButton.LeftButton)
    opened.set()
    qtbot.waitUntil(lambda: not quality.busy(), timeout=20000)

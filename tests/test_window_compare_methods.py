"""Compare methods on the Quality tab (issue 12): the current targets measured with each method on the user's
text, one after the other with the tab's workers and cache, in a table whose rows apply their method."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import tiny_text
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.inspection import human_count
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.io.text import Settings, prepare_text
from headmix.core.run.quality import evaluate_plan
from headmix.gui.formatting import format_perplexity, format_ratio, ratio_of
from test_window_quality import MAX_TOKENS, WINDOW, gate_layers, open_model

pytestmark = pytest.mark.interop


def rows(quality) -> list[list[str]]:
    table = quality.methods_table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def compare(qtbot, window):
    quality = window.quality
    with qtbot.waitSignal(quality.methods_compared, timeout=60000):
        qtbot.mouseClick(quality.methods_button, Qt.MouseButton.LeftButton)


def test_each_method_measured_on_the_text_and_the_best_marked(qtbot, window, demo_folder):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all", calib_tokens=256)
    assert quality.methods_button.isEnabled() and not quality.with_article.isChecked()
    compare(qtbot, window)
    shown = rows(quality)
    assert [r[0].removeprefix("★ ").removesuffix(" ⚠") for r in shown] == ["calibrated", "mean", "select", "random"]
    # the numbers are evaluate_plan's for each method's plan, on the tab's text
    checkpoint = open_checkpoint(demo_folder)
    sample = prepare_text(checkpoint, None, Settings(WINDOW, MAX_TOKENS))
    results = {}
    for row, method in zip(shown, ("calibrated", "mean", "select", "random"), strict=True):
        values = {**window.panel.values(), "method": method}
        plan = ShrinkRun.build(checkpoint, window.request_for(values))
        expected = evaluate_plan(plan, sample)
        results[method] = expected
        assert row[1] == human_count(plan.params_after)
        assert row[2] == format_perplexity(expected.after.perplexity, expected.after.mean_nll)
        assert row[3] == format_ratio(ratio_of(expected.before.mean_nll, expected.after.mean_nll))
    best = min(results, key=lambda m: results[m].after.mean_nll)
    assert quality.best_method() == best
    marked = [r[0] for r in shown if r[0].startswith("★ ")]
    assert len(marked) == 1 and marked[0].removeprefix("★ ").startswith(best)
    assert quality.methods_verdict.text().startswith(f"Best here: {best}, perplexity ")
    # the calibrated plan calibrates on the mixed calibration text, not the English prose measured (issue 22):
    # no row carries the "measured on its calibration text" warning (test_window_calibration_text shows it does)
    assert all(not r[0].endswith("⚠") for r in shown)
    assert "measured on its calibration text" not in quality.methods_text.text()
    # the row of the method in use is highlighted
    assert [i.row() for i in quality.methods_table.selectionModel().selectedRows()] == [0]
    # every result went into the cache: the current targets show theirs at once
    assert quality.state == "measured"


def test_clicking_a_row_uses_its_method(qtbot, window, demo_folder):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "mean", 0, "all", calib_tokens=256)  # a quick calibrated row
    compare(qtbot, window)
    table = quality.methods_table
    row = [r[0].removeprefix("★ ").removesuffix(" ⚠") for r in rows(quality)].index("random")
    rect = table.visualItemRect(table.item(row, 2))
    with qtbot.waitSignal(window.plan_changed):
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.panel.values()["method"] == "random" and window.plan.method.value == "random"
    assert quality.state == "measured"  # measured by the comparison: no need to measure again
    assert [i.row() for i in table.selectionModel().selectedRows()] == [row]
    window.undo_action.trigger()
    assert window.panel.values()["method"] == "mean"


def test_article_on_request_and_methods_that_cannot_build(qtbot, window, demo_folder):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(8, 1, 32, "mean", 0, "all", calib_tokens=256)  # select keeps whole kv heads: it cannot build 8 over 1
    quality.with_article.setChecked(True)
    compare(qtbot, window)
    shown = {r[0].removeprefix("★ ").removesuffix(" ⚠"): r for r in rows(quality)}
    assert list(shown) == ["calibrated", "mean", "select", "random", "article"]
    assert shown["select"][1:] == ["—", "cannot build", ""]
    row = list(shown).index("select")
    assert "select cannot build these targets" in quality.methods_table.item(row, 0).toolTip()
    with qtbot.assertNotEmitted(window.plan_changed):
        quality._method_row_clicked(row, 0)  # nothing to use
    assert window.panel.values()["method"] == "mean"
    assert quality.best_method() in ("calibrated", "mean", "random", "article")


def test_cancel_stops_the_comparison(qtbot, window, demo_folder, monkeypatch):
    quality = open_model(qtbot, window, demo_folder)
    window.preview.setCurrentWidget(quality)
    window.panel.set_values(4, 2, 16, "mean", 0, "all", calib_tokens=256)  # a quick calibrated row
    gate = gate_layers(monkeypatch, 10.0)
    with qtbot.waitSignal(quality.measurement_cancelled, timeout=20000):
        assert window.compare_methods()
        assert gate.entered.wait(10)
        assert not quality.methods_button.isEnabled() and "Measuring: 0 of 4 done" == quality.methods_verdict.text()
        assert "measuring…" in [r[2] for r in rows(quality)]
        qtbot.mouseClick(quality.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    QApplication.processEvents()
    assert quality.methods_verdict.text() == "Stopped before every method was measured: Compare methods again to finish"
    assert quality.methods_button.isEnabled()
    # asked again, it measures what is missing
    compare(qtbot, window)
    assert quality.best_method() is not None


def test_another_text_forgets_the_table(qtbot, window, demo_folder, tmp_path):
    quality = open_model(qtbot, window, demo_folder)
    window.panel.set_values(4, 2, 16, "mean", 0, "all", calib_tokens=256)  # a quick calibrated row
    compare(qtbot, window)
    assert quality.methods_box.isVisibleTo(quality)
    other = tmp_path / "other.txt"
    other.write_text(tiny_text.sample_text(600, seed=7), encoding="utf-8")
    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        quality.use_text_file(other)
    assert quality.method_comparison is None and not quality.methods_box.isVisibleTo(quality)

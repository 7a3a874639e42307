"""The layout holds still: no jumps when switching layers or methods, no scroll bar during an
export, and a small screen (1024×640, or 150% scaling) keeps the tree usable and Export visible."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QWidget

from conftest import open_demo


def settle():
    for _ in range(3):
        QApplication.processEvents()


def geometry(window) -> dict[str, QRect]:
    """Where the window's main parts are, in window coordinates."""
    parts = {
        "tree": window.tree,
        "filter": window.filter,
        "preview": window.preview,
        "right pane": window.right_scroll,
        "export": window.panel.export_button,
        "summary": window.panel.saved_label,
        "method": window.panel.method,
        "layers": window.panel.layers,
        **{f"heatmap {k}": v for k, v in window.preview.matrices.items()},
    }
    return {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size()) for name, w in parts.items()}


def moved(before: dict, after: dict) -> dict:
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}


@pytest.mark.parametrize("size", [(1480, 880), (1024, 640)])
def test_switching_layers_and_methods_moves_nothing(qtbot, window, size):
    window.resize(*size)
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "0-1")  # layers 2 and 3 stay unchanged
    settle()
    reference = geometry(window)
    for layer in (1, 2, 3, 0):
        window.select_layer(layer)
        settle()
        assert not moved(reference, geometry(window)), f"layer {layer}: {moved(reference, geometry(window))}"
    for method in ("mean", "random", "article", "select"):
        window.panel.method.setCurrentText(method)
        settle()
        assert not moved(reference, geometry(window)), f"method {method}: {moved(reference, geometry(window))}"


def visible_in(widget: QWidget, window) -> bool:
    """The whole widget can be seen: nothing clips it, no scrolling needed."""
    region = widget.visibleRegion().boundingRect()
    return widget.isVisible() and region.size() == widget.size()


@pytest.mark.parametrize("size", [(1480, 880), (1024, 640), (1024, 560)])
def test_export_shows_progress_and_cancel_without_a_scroll_bar(qtbot, window, tmp_path, monkeypatch, size):
    from test_window_keys_and_quit import gate_export

    window.resize(*size)
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    settle()
    assert visible_in(window.panel.export_button, window)
    before = geometry(window)
    panel_height = window.right_scroll.widget().height()
    gate = gate_export(monkeypatch)
    with qtbot.waitSignal(window.export_cancelled, timeout=10000):
        window.start_export(tmp_path / "out")
        settle()
        # the export changes nothing in the scrolling part: Cancel and the time left are never clipped
        assert window.right_scroll.widget().height() == panel_height
        for widget in (window.panel.cancel_button, window.panel.progress, window.panel.progress_label):
            assert visible_in(widget, window), widget
        clock = [0.0]
        view = window._export_view  # two seconds into the writing stage
        view.clock, view.started, view._key = (lambda: clock[0]), 0.0, None
        window._export_progress(12_345, 1_310_720)
        clock[0] = 2.0
        window._export_progress(123_456, 1_310_720)  # a realistic line: "writing 120.56 KB of 1.25 MB · 0:21 left"
        label = window.panel.progress_label
        assert "left" in label.text() and label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
        after = geometry(window)
        assert {k: v for k, v in moved(before, after).items() if k != "export"} == {}
        window.cancel_export()
        gate.set()


@pytest.mark.parametrize("size", [(1024, 640), (800, 560)])
def test_a_small_window_keeps_the_tree_usable_and_export_visible(qtbot, window, size):
    window.resize(*size)
    open_demo(qtbot, window)
    settle()
    assert window.size().width() == size[0]
    assert window.tree.width() >= 200, window.splitter.sizes()
    assert window.tree.height() >= 200
    assert visible_in(window.panel.export_button, window)
    assert window.preview.width() >= 160
    for view in window.preview.matrices.values():  # heatmaps reflow or scroll, never clip
        drawn = view.graphics.centralWidget.size().width()
        assert drawn <= view.graphics.viewport().width() + 1 and view.width() <= window.preview.grid.width()

"""The Preview stays whole: every runtime's verdict readable at 1480×900 and 1366×740, also with the heal's loss
chart on screen (the tryout: ollama create below the fold at 1480×900; with the chart the Preview shrank to an
empty strip, and at 1366×740 it showed only its first line)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from conftest import open_demo


def whole(widget) -> bool:
    """Seen whole: shown, nothing clips it, no scrolling needed."""
    return widget.isVisible() and widget.visibleRegion().boundingRect().size() == widget.size()


@pytest.mark.parametrize("size", [(1480, 900), (1366, 740)])
def test_the_preview_is_whole_with_and_without_the_loss_chart(qtbot, window, size):
    window.resize(*size)
    open_demo(qtbot, window)
    window.show()
    qtbot.waitExposed(window)
    window.panel.set_values(4, 1, 16, "mean", 0, "all")
    panel = window.panel

    def readable() -> list[str]:
        QApplication.processEvents()
        lines = [panel.source_label, panel.decoder_label, panel.saved_label, panel.export_button,
                 *panel.verdicts.marks, *panel.verdicts.reasons]
        return [w.objectName() or type(w).__name__ for w in lines if not whole(w)]

    assert readable() == []
    window.preview.show_heal()  # a heal starts: its loss chart comes to the front
    for step in range(1, 6):
        window.loss_chart.add(512 * step, 1.0 / step)
    qtbot.waitUntil(lambda: whole(window.loss_chart.plot_widget.viewport()))
    assert window.loss_chart.height() > 200 and window.preview.currentWidget() is window.loss_chart
    assert readable() == []
    window.loss_chart.set_title("heal cancelled")  # and after it ended
    assert readable() == []

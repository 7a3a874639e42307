"""The mouse wheel over the targets panel scrolls it; it changes a spin box or combo box only once that has focus
(the tryout: five notches over *Decoder layers* made 30 layers 25 and started choosing layers)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from conftest import open_demo


def _wheel(widget, notches: int) -> bool:
    """A real wheel event at the widget's centre, as the mouse sends it (120 per notch, downwards when negative)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    return QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_spin_box_scrolls_the_panel(qtbot, window):
    open_demo(qtbot, window)
    window.resize(1200, 500)  # short: the targets panel scrolls
    window.show()
    qtbot.waitExposed(window)
    panel = window.panel
    bar = window.right_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    heads, layers, method = panel.heads.value(), panel.num_layers.value(), panel.method.currentText()
    window.filter.setFocus()
    for control in (panel.heads, panel.num_layers, panel.method):
        assert not control.hasFocus()
        _wheel(control, -2)
    assert (panel.heads.value(), panel.num_layers.value(), panel.method.currentText()) == (heads, layers, method)
    assert bar.value() > 0  # the ignored wheel went on to the scroll area
    # once the user has clicked into it, the wheel is the spin box's
    panel.num_layers.setFocus()
    qtbot.waitUntil(panel.num_layers.hasFocus)
    _wheel(panel.num_layers, -1)
    assert panel.num_layers.value() == layers - 1

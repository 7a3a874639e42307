"""Spin boxes and combo boxes that leave the mouse wheel to the panel they sit in until they have focus.

A user scrolls the targets panel to reach the Preview; with Qt's default, every spin box or combo box the pointer
passes over takes the wheel and changes a setting (and starts a new plan, and adds an undo step). Guarded ones
ignore the wheel until clicked or tabbed into, and the ignored wheel goes on to their parent, which scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


class WheelGuard(QObject):
    """An event filter: a wheel over an unfocused control goes to the scroll area around it (or on to the parent).

    Handed over explicitly rather than only ignored: Qt passes an ignored wheel event on to the parents only when
    it came from the window system, not when it was sent by the program."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = _scroll_area(watched)
        if area is None:
            event.ignore()  # Qt offers an ignored (window-system) wheel event to the parents in turn
            return True
        viewport = area.viewport()
        position = QPointF(viewport.mapFrom(watched, event.position().toPoint()))
        handed = QWheelEvent(position, event.globalPosition(), event.pixelDelta(), event.angleDelta(), event.buttons(),
                             event.modifiers(), event.phase(), event.inverted(), event.source())
        QApplication.sendEvent(viewport, handed)
        return True


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every spin box and combo box under ``root`` (and ``root`` itself); the guard lives as long as ``root``."""
    guard = WheelGuard(root)
    controls = [w for w in (root, *root.findChildren(QWidget)) if isinstance(w, (QAbstractSpinBox, QComboBox))]
    for control in controls:
        control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel no longer gives focus (Qt's WheelFocus)
        control.installEventFilter(guard)
    return guard

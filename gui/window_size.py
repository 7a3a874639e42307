"""The size the main window opens at: its preferred 1480×880, or what the screen has room for.

At 150% scale a 1480×900 screen offers 987×600 logical pixels; the window asked for 1480×880 and ended up
larger than the screen (1032×599 after the window manager's correction, plots squeezed, the status bar and
Export off-screen). A saved geometry from a larger screen (or another scale) is fitted the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

PREFERRED = QSize(1480, 880)
#: room for the window manager's frame and title bar, which Qt learns only once the window is shown
FRAME = QSize(16, 40)


def fitting_size(available: QRect, preferred: QSize = PREFERRED) -> QSize:
    """``preferred``, shrunk to fit inside ``available`` (the screen less panels and docks) with its frame."""
    return QSize(max(1, min(preferred.width(), available.width() - FRAME.width())),
                 max(1, min(preferred.height(), available.height() - FRAME.height())))


def fit_to_screen(window) -> None:
    """Resize and move ``window`` so that it lies inside its screen's available geometry."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    size = fitting_size(available, window.size())
    if size != window.size():
        window.resize(size)
    x = min(max(window.x(), available.left()), available.right() - size.width() - FRAME.width() + 1)
    y = min(max(window.y(), available.top()), available.bottom() - size.height() - FRAME.height() + 1)
    if (x, y) != (window.x(), window.y()):
        window.move(max(x, available.left()), max(y, available.top()))

"""Run by tests/test_window_keys_and_quit.py under xvfb-run on Qt's xcb platform: the filter
box has the focus, the user presses Ctrl+E, and the export dialog must open.

Prints one JSON line: the platform, the keys bound to "end of line", and what happened.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> dict:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtGui import QGuiApplication, QKeySequence
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from headmix.gui.app import make_app
    from headmix.gui.main_window import MainWindow

    app = make_app()
    folder = tempfile.mkdtemp(prefix="headmix-x11-")
    window = MainWindow(QSettings(str(Path(folder) / "x11.ini"), QSettings.Format.IniFormat))
    window.show()
    window.open_path(ROOT / "resources" / "demo")
    deadline = time.monotonic() + 10
    while QApplication.focusWidget() is not window.filter and time.monotonic() < deadline:
        window.activateWindow()  # Xvfb has no window manager to do it
        window.filter.setFocus()
        QTest.qWaitForWindowActive(window, 200)
    focus = "filter" if QApplication.focusWidget() is window.filter else repr(QApplication.focusWidget())
    QTest.keyClick(window.filter, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    app.processEvents()
    opened = window.export_dialog is not None and window.export_dialog.isVisible()
    if window.export_dialog is not None:
        window.export_dialog.reject()
    report = {
        "platform": QGuiApplication.platformName(),
        "end_of_line_keys": [k.toString() for k in QKeySequence.keyBindings(QKeySequence.StandardKey.MoveToEndOfLine)],
        "focus": focus,
        "export_dialog_opened": opened,
    }
    window.close()
    return report


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
    sys.exit(0)

"""Starting the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON = RESOURCES / "icons" / "headmix.png"
DEMO = RESOURCES / "demo"


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("headmix")
    app.setOrganizationName("headmix")
    app.setWindowIcon(QIcon(str(ICON)))
    return app


def run(path: str | None = None) -> int:
    """Open the window on ``path``, else the last checkpoint opened, else the bundled demo."""
    app = make_app()
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    recent = window.recent_files()
    target = path or next((p for p in recent if Path(p).exists()), None) or str(DEMO)
    if not window.open_path(target) and path is None and target != str(DEMO):
        window.open_path(DEMO)
    return app.exec()

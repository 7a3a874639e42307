"""The real main window in a child process of its own (soaks, quitting): settings and presets in a fresh folder.

Scripts under tests/ that measure a whole process (its resident memory, its threads, whether it ends) run
the window this way, so nothing of the user's settings or presets is read or written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def isolated_window(prefix: str, size: tuple[int, int] | None = (1280, 800)):
    """``(app, window, folder)``: the application, the main window shown (at ``size``, or at its own size for
    None), and its private folder."""
    from PySide6.QtCore import QSettings

    from headmix.gui.app import make_app
    from headmix.gui.main_window import MainWindow

    app = make_app()
    folder = tempfile.mkdtemp(prefix=prefix)
    os.environ["HEADMIX_PRESETS_DIR"] = str(Path(folder) / "presets")
    window = MainWindow(QSettings(str(Path(folder) / "soak.ini"), QSettings.Format.IniFormat))
    if size is not None:
        window.resize(*size)
    window.show()
    return app, window, folder

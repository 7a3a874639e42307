"""Take docs/screenshot.png from the real window: the demo open, query heads halved, head size halved.

    xvfb-run -a -s "-screen 0 1600x950x24" python scripts/screenshot.py [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> None:
    from headmix.gui.app import DEMO, make_app
    from headmix.gui.main_window import MainWindow

    app = make_app()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "screenshot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(1480, 880)
    window.show()

    def ready() -> None:
        window.panel.set_values(4, 2, 16, "select", 0, "all")
        window.tree.expand(window.proxy.index(1, 0, window.proxy.index(0, 0)))
        QTimer.singleShot(500, shoot)

    def shoot() -> None:
        window.grab().save(str(out))
        print(f"wrote {out}")
        app.quit()

    window.importance_ready.connect(lambda: QTimer.singleShot(300, ready))
    window.open_path(DEMO)
    app.exec()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png")

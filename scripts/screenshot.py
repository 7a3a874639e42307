"""Take docs/screenshot.png from the real window: the demo open, query heads halved, head size halved.

    xvfb-run -a -s "-screen 0 1600x950x24" python scripts/screenshot.py [OUT.png]

The translated screenshots take the same window in a language, on a tab, or with the export dialog open
(run under Xvfb with a window manager, e.g. openbox, so the dialog sits over the window as a user sees it):

    python scripts/screenshot.py docs/screenshot-zh_CN.png --language zh_CN --tab quality --measure
    python scripts/screenshot.py OUT.png --language zh_CN --model PATH --tab layers --decoder-layers 24
    python scripts/screenshot.py OUT.png --language zh_CN --export-dialog
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

ROOT = Path(__file__).resolve().parent.parent
#: the preview's tabs by name (their index in gui/preview_panel.py)
TABS = {"mixing": 0, "importance": 1, "layers": 2, "values": 3, "quality": 4}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--language", default="en", help="the window's language (en, zh_CN)")
    parser.add_argument("--model", type=Path, help="the checkpoint to open (default: the bundled demo)")
    parser.add_argument("--tab", choices=TABS, default="mixing", help="the preview tab on top")
    parser.add_argument("--heads", default="1/2", help="query heads, as a fraction of the model's (default 1/2)")
    parser.add_argument("--decoder-layers", type=int, help="fewer decoder layers (the Layer scores tab shows the choice)")
    parser.add_argument("--measure", action="store_true", help="measure on the Quality tab before the shot")
    parser.add_argument("--export-dialog", action="store_true", help="open the export dialog over the window")
    parser.add_argument("--screen", action="store_true", help="grab the whole screen (the window manager's frames)")
    args = parser.parse_args(argv)

    from headmix.gui.app import DEMO, make_app
    from headmix.gui.i18n import install_translators
    from headmix.gui.main_window import MainWindow

    app = make_app()
    install_translators(args.language)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "screenshot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    screen = app.primaryScreen().availableGeometry()
    window.resize(min(1480, screen.width()), min(880, screen.height() - 20))
    window.move(screen.topLeft())
    window.show()
    out: Path = args.out

    def shoot() -> None:
        picture = app.primaryScreen().grabWindow(0) if args.screen or args.export_dialog else window.grab()
        picture.save(str(out))
        print(f"wrote {out}")
        app.quit()

    def then_shoot() -> None:
        if args.export_dialog:
            window.choose_export_folder()
        QTimer.singleShot(800, shoot)

    def ready() -> None:
        window.importance_ready.disconnect(on_importance)
        a = window.arch
        num, den = (int(x) for x in args.heads.split("/"))
        heads = max(1, a.num_heads * num // den)
        kv = max(1, min(a.num_kv_heads, heads))
        while heads % kv:
            kv -= 1
        head_dim = a.head_dim // 2 if args.model is None else a.head_dim
        window.panel.set_values(heads, kv, head_dim, "select", 0, "all", args.decoder_layers)
        window.tree.expand(window.proxy.index(1, 0, window.proxy.index(0, 0)))
        window.preview.setCurrentIndex(TABS[args.tab])
        if args.measure:
            window.quality.measurement_finished.connect(lambda _: QTimer.singleShot(300, then_shoot))
            poll = QTimer(window, interval=200)  # once the text is read and the targets settled

            def measure() -> None:
                if window.quality.can_measure() and window.measure_quality():
                    poll.stop()

            poll.timeout.connect(measure)
            poll.start()
        elif args.decoder_layers is not None and window.layer_choice is None:
            window.layers_chosen.connect(lambda: QTimer.singleShot(300, then_shoot))
        else:
            QTimer.singleShot(500, then_shoot)

    def on_importance() -> None:
        QTimer.singleShot(300, ready)

    window.importance_ready.connect(on_importance)
    window.open_path(args.model or DEMO)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1:])

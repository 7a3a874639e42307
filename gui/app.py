"""Starting the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON = RESOURCES / "icons" / "headmix.png"
DEMO = RESOURCES / "demo"


#: The system libraries Qt's xcb platform plugin loads (ldd of PySide6's libqxcb.so and
#: libQt6XcbQpa.so), with the Debian/Ubuntu package of each. A fresh desktop lacks some of
#: them (libxcb-cursor0 first of all), and Qt then aborts with a message that names none.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
}
APT_LINE = "sudo apt-get install -y " + " ".join(sorted(set(XCB_LIBRARIES.values())))


def _loadable(soname: str) -> bool:
    import ctypes

    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def platform_problem(environ=None, platform: str | None = None, loadable=None) -> str | None:
    """Why Qt's platform plugin would abort on this machine, said before QApplication exists.

    Only the xcb plugin (X11, and XWayland's fallback) needs libraries a fresh Linux desktop
    may lack; other platforms and an explicit QT_QPA_PLATFORM are left to Qt.
    """
    import os

    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None
    if not chosen and environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return None  # Qt picks its wayland plugin there
    if not environ.get("DISPLAY"):
        if chosen:
            return None  # asked for explicitly: Qt's own message says the rest
        return ("headmix: no display to open the window on (DISPLAY is not set). Run `headmix gui` from a "
                "desktop session, or on a server under `xvfb-run headmix gui`; the command line "
                "(`headmix inspect`, `headmix shrink`) needs no display.")
    loadable = loadable or _loadable
    missing = [soname for soname in XCB_LIBRARIES if not loadable(soname)]
    if not missing:
        return None
    return ("headmix: the window cannot start: Qt's X11 (xcb) platform plugin needs system libraries that "
            f"are missing here ({', '.join(missing)}). On Debian or Ubuntu install them with:\n\n    {APT_LINE}\n")


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing or QApplication(argv or sys.argv[:1])
    app.setApplicationName("headmix")
    app.setOrganizationName("headmix")
    app.setWindowIcon(QIcon(str(ICON)))
    from .i18n import install_translators, language_installed

    if not language_installed():  # once, at start: the system's language, or the one chosen in the Language menu
        install_translators()
    return app


def run(path: str | None = None) -> int:
    """Open the window on ``path``, else the last checkpoint opened, else the bundled demo."""
    problem = platform_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = make_app()
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    recent = window.recent_files()
    target = path or next((p for p in recent if Path(p).exists()), None) or str(DEMO)
    if not window.open_path(target) and path is None and target != str(DEMO):
        window.open_path(DEMO)
    return app.exec()

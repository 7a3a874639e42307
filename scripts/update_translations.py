"""Extract the window's strings into resources/i18n/*.ts (pyside6-lupdate) and compile them to .qm (pyside6-lrelease).

Run after changing a user-visible string: ``python scripts/update_translations.py``; then translate the new
(unfinished) messages in the .ts with Qt Linguist (``pyside6-linguist``) or an editor, and run it again.
The .qm files it writes are shipped as package data; tests/test_i18n.py checks each is exactly what lrelease
makes of its .ts. ``--release-only`` compiles without extracting.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import PySide6

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
LANGUAGES = ("zh_CN",)
#: the files whose strings are marked so far; main_window.py, quality_view.py and plots.py join in the second pass
SOURCES = ("app.py", "i18n.py", "cache_dialog.py", "export_dialog.py", "preset_dialog.py", "preview_panel.py")


def tool(name: str) -> str:
    """PySide6's own binary (the pyside6-* wrappers are not always on PATH in a venv)."""
    path = Path(PySide6.__file__).parent / name
    return str(path if path.exists() else Path(PySide6.__file__).parent / "Qt" / "libexec" / name)


def ts_file(language: str) -> Path:
    return I18N / f"headmix_{language}.ts"


def release(language: str, qm: Path | None = None) -> Path:
    qm = qm or ts_file(language).with_suffix(".qm")
    subprocess.run([tool("lrelease"), "-silent", str(ts_file(language)), "-qm", str(qm)], check=True)
    return qm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release-only", action="store_true")
    args = parser.parse_args(argv)
    sources = [str(ROOT / "gui" / name) for name in SOURCES]
    for language in LANGUAGES:
        if not args.release_only:
            subprocess.run([tool("lupdate"), "-locations", "none", "-no-obsolete", *sources,
                            "-ts", str(ts_file(language))], check=True)
        print(release(language))
    return 0


if __name__ == "__main__":
    sys.exit(main())

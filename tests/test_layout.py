"""The core stays usable without a display: nothing under core/ may import Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


def test_core_never_imports_qt():
    modules = [f"headmix.core.{p.stem}" for p in sorted(CORE.glob("*.py")) if p.stem != "__init__"]
    assert "headmix.core.cli" in modules and "headmix.core.planner" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'superqt', 'qtpy'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"core imported Qt: {result.stdout}{result.stderr}"


def test_core_sources_do_not_mention_qt_imports():
    for path in CORE.glob("*.py"):
        text = path.read_text()
        for name in ("PySide6", "PyQt", "pyqtgraph", "superqt", "qtpy"):
            assert f"import {name}" not in text and f"from {name}" not in text, f"{path.name} imports {name}"

"""The layers hold: nothing under core/ imports Qt or the window, not even lazily.

import-linter reads every import statement, including those inside functions, and checks the
contracts declared in pyproject.toml; the subprocess test below also imports every core
module for real and looks at what got loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


def test_core_never_imports_qt():
    modules = [".".join(("headmix", "core", *p.relative_to(CORE).with_suffix("").parts)) for p in sorted(CORE.rglob("*.py"))
               if p.stem != "__init__"]
    assert "headmix.core.cli" in modules and "headmix.core.plan.planner" in modules
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
    for path in CORE.rglob("*.py"):
        text = path.read_text()
        for name in ("PySide6", "PyQt", "pyqtgraph", "superqt", "qtpy"):
            assert f"import {name}" not in text and f"from {name}" not in text, f"{path.name} imports {name}"


def test_import_linter_contracts_are_kept():
    root = CORE.parent
    code = "import sys; from importlinter.cli import lint_imports_command; sys.argv = ['lint-imports', '--config', sys.argv[1]]; lint_imports_command()"
    result = subprocess.run([sys.executable, "-c", code, str(root / "pyproject.toml")], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout

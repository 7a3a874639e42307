"""The layers hold: nothing under core/ imports Qt or the window, not even lazily; the core's
subpackages import only downwards; and no module imports one that imports it back.

import-linter reads every import statement, including those inside functions, and checks the
contracts declared in pyproject.toml; the subprocess test below also imports every core
module for real and looks at what got loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "8 kept, 0 broken" in result.stdout


def import_cycles(*packages: str) -> list[list[str]]:
    """Every set of modules that import each other, directly or round a loop (strongly connected
    components of grimp's import graph), counting imports inside functions and under TYPE_CHECKING."""
    import grimp

    graph = grimp.build_graph(*packages, exclude_type_checking_imports=False)
    modules = set(graph.modules)
    edges = {m: sorted(set(graph.find_modules_directly_imported_by(m)) & modules) for m in sorted(modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []
    for root in edges:  # Tarjan's algorithm, iteratively
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_module_imports_one_that_imports_it_back():
    assert import_cycles("headmix.core", "headmix.gui") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    (package / "c.py").write_text("def f():\n    from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [["cyclic.a", "cyclic.b"]]


def test_every_core_and_gui_package_is_installed():
    """A normal (non-editable) install ships only the packages pyproject.toml lists: every folder of
    core/ and gui/ with an __init__.py must be one of them (else `pip install .` misses it)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    root = CORE.parent
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {"core": "headmix.core", "gui": "headmix.gui"}
    found = {".".join((folders[p.relative_to(root).parts[0]], *p.relative_to(root).parent.parts[1:]))
             for top in folders for p in (root / top).rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
    assert "headmix.core.run" in found


def test_no_window_module_is_over_700_lines():
    """Issue 20: the window is small modules whose names say what they hold, none over 700 lines."""
    gui = CORE.parent / "gui"
    long = {str(p.relative_to(gui)): n for p in gui.rglob("*.py") if (n := len(p.read_text().splitlines())) > 700}
    assert long == {}

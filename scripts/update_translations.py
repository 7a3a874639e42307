"""Extract the window's strings into resources/i18n/*.ts (pyside6-lupdate) and compile them to .qm (pyside6-lrelease).

Run after changing a user-visible string: ``python scripts/update_translations.py``; then translate the new
(unfinished) messages in the .ts with Qt Linguist (``pyside6-linguist``) or an editor (in headmix_en.ts only
the English plural forms of counted messages), and run it again.
The .qm files it writes are shipped as package data; tests/test_i18n.py checks each is exactly what lrelease
makes of its .ts. ``--release-only`` compiles without extracting. ``--unmarked gui/x.py`` lists the literals in a
module that look user-visible and are not marked yet (where to start marking it).
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
#: English: the plural forms only (``lupdate -pluralonly``), so "%n layer(s)" reads "1 layer" / "2 layers"
PLURALS_ONLY = ("en",)
#: gui modules and packages not marked yet (none since the second pass: every gui module is extracted)
NOT_YET_MARKED: tuple[str, ...] = ()


def sources() -> list[Path]:
    """Every gui module whose strings are marked (all of gui/ but :data:`NOT_YET_MARKED`)."""
    gui = ROOT / "gui"
    return sorted(p for p in gui.rglob("*.py") if p.relative_to(gui).parts[0] not in NOT_YET_MARKED)


#: calls whose string arguments are marked, or are not shown (names, styles, settings keys)
_MARKED = {"tr", "translate", "QT_TRANSLATE_NOOP", "QT_TR_NOOP"}
_NOT_SHOWN = {"setObjectName", "setStyleSheet", "setProperty", "value", "setValue", "contains", "remove", "startswith",
              "endswith", "split", "join", "replace", "get", "findChild", "findChildren", "getattr", "hasattr", "isinstance",
              "partition", "strip", "print", "open", "Path", "re.compile", "compile", "search", "match", "sub"}


def unmarked(path: Path) -> list[tuple[int, str]]:
    """String literals in ``path`` that read as words a user sees and are not marked for translation (a guide for
    marking a module, ``--unmarked FILE…``; it errs on the side of listing: names and keys are left out by a rule
    of thumb, not proven)."""
    import ast
    import re

    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))  # docstrings
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _MARKED or name in _NOT_SHOWN:
                skip.update(id(n) for arg in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(arg))
        if isinstance(node, (ast.Compare, ast.Subscript)):
            skip.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))
        if isinstance(node, ast.Dict):
            skip.update(id(k) for k in node.keys if k is not None)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in skip:
            text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
            if re.search(r"[A-Za-z]{3,}", text):
                found.append((node.lineno, "f" + repr(text)))
            skip.update(id(v) for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if re.search(r"[A-Za-z]{2,} [A-Za-z]|^[A-Z][a-z]{2,}", node.value):
                found.append((node.lineno, repr(node.value)))
    return sorted(found)


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


def extract(language: str, ts: Path | None = None, silent: bool = False) -> Path:
    """Run lupdate over :func:`sources` into ``ts`` (default: the language's catalogue); new messages are unfinished."""
    ts = ts or ts_file(language)
    options = ["-pluralonly", "-source-language", "en", "-target-language", "en"] if language in PLURALS_ONLY else []
    subprocess.run([tool("lupdate"), *(["-silent"] if silent else []), "-locations", "none", "-no-obsolete", *options,
                    *map(str, sources()), "-ts", str(ts)], check=True)
    return ts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release-only", action="store_true")
    parser.add_argument("--unmarked", nargs="+", type=Path, metavar="FILE",
                        help="list the literals in these modules that look user-visible and are not marked; nothing else")
    args = parser.parse_args(argv)
    if args.unmarked:
        for path in args.unmarked:
            for line, text in unmarked(path):
                print(f"{path}:{line}: {text}")
        return 0
    for language in (*LANGUAGES, *PLURALS_ONLY):
        if not args.release_only:
            extract(language)
        print(release(language))
    return 0


if __name__ == "__main__":
    sys.exit(main())

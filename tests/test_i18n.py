"""The window speaks the user's language: Qt's translation system, a catalogue built by the project's own script."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton, QComboBox, QGroupBox, QLabel, QLineEdit, QMainWindow, QMenu, QTabWidget, QTableWidget, QWidget,
)  # fmt: skip

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import update_translations  # noqa: E402

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TS = ROOT / "resources" / "i18n" / "headmix_zh_CN.ts"
QM = ROOT / "resources" / "i18n" / "headmix_zh_CN.qm"


def visible_texts(root: QWidget) -> list[str]:
    """The texts a user reads on ``root`` and its children: titles, labels, buttons, group and tab titles,
    menu entries, placeholders and table headers (free text the user typed is not counted)."""
    texts = [root.windowTitle()] if root.isWindow() else []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QMainWindow):
            for action in widget.menuBar().actions():
                texts.append(action.text())
                if action.menu() is not None:
                    texts += [a.text() for a in action.menu().actions() if not a.isSeparator()]
        elif isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        elif isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QTableWidget):
            texts += [widget.horizontalHeaderItem(i).text() for i in range(widget.columnCount())
                      if widget.horizontalHeaderItem(i) is not None]
        elif isinstance(widget, QMenu):
            texts += [a.text() for a in widget.actions() if not a.isSeparator()]
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
    # only words: paths, numbers and symbols alone are not a sentence to translate
    return [t for t in texts if re.search(r"[A-Za-z]{2,}|[\u4e00-\u9fff]", t.replace("&", ""))]


def names() -> set[str]:
    """Texts that stay as they are in every language: the runtimes' names, and the method names the command line
    takes (``--method select``), shown as such in the method lists."""
    from headmix.core.plan.runtimes import RUNTIMES
    from headmix.core.shrink.layer_removal import LAYER_METHODS
    from headmix.core.shrink.methods import METHODS
    from headmix.gui.runtime_list import SHORT_NAMES

    return {*RUNTIMES, *SHORT_NAMES.values(), *METHODS, *LAYER_METHODS}


def chinese_share(texts: list[str]) -> float:
    """The share of ``texts`` with Chinese in them, names (:func:`names`) left out of the count."""
    counted = [t for t in texts if t not in names()]
    return sum(bool(CHINESE.search(t)) for t in counted) / max(len(counted), 1)


@pytest.fixture
def chinese(qapp):
    from headmix.gui.i18n import install_translators, remove_translators

    locale = install_translators("zh_CN")
    assert locale.name() == "zh_CN"
    yield
    remove_translators()


@pytest.fixture
def english(qapp):
    from headmix.gui.i18n import install_translators, remove_translators

    install_translators("en")
    yield
    remove_translators()


@pytest.fixture
def demo_plan_for_export(tmp_path):
    """A plan on the bundled demo, and a new folder to export it to."""
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.plan.planner import Plan
    from headmix.core.plan.request import Request
    from headmix.gui.app import DEMO

    return Plan.build(open_checkpoint(DEMO), Request(heads=4)), tmp_path / "out"


def dialogs(tmp_path, monkeypatch) -> list[QWidget]:
    """The dialogs whose strings are marked, built as the window builds them."""
    from headmix.core.plan.request import Request
    from headmix.gui.cache_dialog import CacheDialog
    from headmix.gui.i18n import add_language_menu
    from headmix.gui.preset_dialog import SavePresetDialog

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    window = QMainWindow()
    from PySide6.QtCore import QSettings

    add_language_menu(window, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    return [CacheDialog(models=[]), SavePresetDialog(lambda fractions: Request(heads="2/3")), window]


def test_the_catalogue_is_complete_and_the_shipped_qm_is_what_lrelease_makes(tmp_path):
    tree = ET.parse(TS)
    assert tree.getroot().get("language") == "zh_CN"
    for message in tree.iter("message"):
        translation = message.find("translation")
        source = message.findtext("source")
        assert translation.get("type") not in ("unfinished", "obsolete", "vanished"), source
        forms = [f.text for f in translation.findall("numerusform")] or [translation.text]
        for text in forms:
            assert text and (CHINESE.search(text) or not re.search("[A-Za-z]", re.sub(r"\{\w+\}", "", text))), source
            # every placeholder survives the translation
            assert sorted(re.findall(r"\{\w+\}|%n", source)) == sorted(re.findall(r"\{\w+\}|%n", text)), source
    built = update_translations.release("zh_CN", tmp_path / "fresh.qm")
    assert built.read_bytes() == QM.read_bytes(), "run scripts/update_translations.py and commit the .qm"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_marked_string_is_in_the_catalogue(tmp_path, language):
    """lupdate over the sources finds nothing new: no string was marked (or changed) without its translation
    (in English: no counted message without its plural forms)."""
    ts = tmp_path / "check.ts"
    ts.write_bytes(update_translations.ts_file(language).read_bytes())
    update_translations.extract(language, ts, silent=True)
    assert 'type="unfinished"' not in ts.read_text(encoding="utf-8")
    built = update_translations.release(language, tmp_path / "fresh.qm")
    assert built.read_bytes() == update_translations.ts_file(language).with_suffix(".qm").read_bytes()


def test_every_gui_module_is_extracted():
    """The script reads every gui module, the window's parts, the Quality tab's, the charts and the session
    included (a new one is marked from the start)."""
    names = {p.relative_to(ROOT / "gui").as_posix() for p in update_translations.sources()}
    assert names == {p.relative_to(ROOT / "gui").as_posix() for p in (ROOT / "gui").rglob("*.py")}
    assert {"main_window.py", "workers.py", "window/menus.py", "quality/rendering.py", "plots/matrices.py",
            "session/session.py", "session_words.py"} <= names
    assert update_translations.NOT_YET_MARKED == ()


def session_templates() -> set[str]:
    """Every template the session words (the first argument of each ``Words(...)`` in gui/session/)."""
    import ast

    found = set()
    for path in (ROOT / "gui" / "session").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Words"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_the_session_sentences_are_in_the_catalogue(chinese):
    """The session (Qt-free) says why a setting is off and what Undo undoes as Words; each template has its literal
    copy in gui/session_words.py and a translation, and the values go in translated too."""
    from headmix.gui.session.undo import Change
    from headmix.gui.session.words import Words
    from headmix.gui.session_words import TEMPLATES, session_text

    templates = session_templates()
    assert len(templates) >= 20 and templates <= set(TEMPLATES), templates - set(TEMPLATES)
    for template in templates:
        assert CHINESE.search(session_text(Words(template, family="GPT-2", field=Words("seed"), before=1, after=2, kind="E",
                                                 message="m",
                                                 fields=(Words("seed"),)))), template
    before = {"heads": 9, "kv_heads": 3, "seed": 0}
    assert str(Change(before, {**before, "heads": 3}).text) == "query heads 9 → 3"  # English for the session's own use
    assert session_text(Change(before, {**before, "heads": 3}).text) == "查询头 9 → 3"
    assert session_text(Change(before, {**before, "heads": 3, "seed": 1}).text) == "目标 查询头、种子"
    assert session_text(RuntimeError(Words("no model"))) == "没有模型"
    assert session_text("a message the core built from values") == "a message the core built from values"


def test_the_core_sentences_the_window_shows_are_in_the_catalogue(chinese):
    """Each fixed core sentence shown in the window has its literal copy (what lupdate extracts) and a translation."""
    from headmix.gui.core_words import SENTENCES, core_sentence, shown_core_texts

    for text in shown_core_texts():
        assert text in SENTENCES, text
        assert CHINESE.search(core_sentence(text)), text
    assert core_sentence("a sentence the core changed") == "a sentence the core changed"  # English, never stale


def test_dialogs_speak_chinese_under_zh_cn(chinese, qtbot, tmp_path, monkeypatch):
    for widget in dialogs(tmp_path, monkeypatch):
        qtbot.addWidget(widget)
        texts = visible_texts(widget)
        untranslated = [t for t in texts if not CHINESE.search(t)
                        and t not in ("English",)]  # a language's own name stays as it is
        assert texts and not untranslated, (type(widget).__name__, untranslated)


def test_export_dialog_speaks_chinese(chinese, qtbot, demo_plan_for_export):
    from headmix.gui.export_dialog import ExportDialog

    plan, start = demo_plan_for_export
    dialog = ExportDialog(plan, start)
    qtbot.addWidget(dialog)
    texts = visible_texts(dialog)
    assert texts and all(CHINESE.search(t) for t in texts), texts


def test_english_shows_no_chinese(english, qtbot, tmp_path, monkeypatch, demo_plan_for_export):
    from headmix.gui.export_dialog import ExportDialog
    from headmix.gui.preview_panel import PreviewPanel

    plan, start = demo_plan_for_export
    widgets = [*dialogs(tmp_path, monkeypatch), ExportDialog(plan, start), PreviewPanel()]
    for widget in widgets:
        qtbot.addWidget(widget)
        texts = visible_texts(widget)
        assert [t for t in texts if CHINESE.search(t)] == (["简体中文"] * 2 if isinstance(widget, QMainWindow) else []), texts


def test_main_window_is_nine_tenths_chinese_under_zh_cn(chinese, window, demo_folder, qtbot):
    assert window.open_path(demo_folder)
    qtbot.waitUntil(lambda: len(window.importance) == len(window.arch.layers), timeout=30000)
    texts = visible_texts(window)
    assert len(texts) > 100 and chinese_share(texts) >= 0.9, [t for t in texts if not CHINESE.search(t) and t not in names()]
    # the heatmaps' axes say "原头", never the half-translated "old 头"
    axes = [view.plot.getAxis(side).labelText for view in window.preview.matrices.values() for side in ("left", "bottom")]
    assert axes and all(CHINESE.search(a) and "old" not in a and "new" not in a for a in axes), axes
    # the status bar and the model's description too
    assert CHINESE.search(window.plan_status.text()) and CHINESE.search(window.model_label.text())


def test_main_window_in_english_shows_no_chinese(english, window, demo_folder):
    """The English window with a model open: every visible text English, but the language's own name in its menu."""
    assert window.open_path(demo_folder)
    texts = visible_texts(window)
    # the language's own name, in the menu bar's Language menu (counted as the menu bar's entry and the menu's own)
    assert len(texts) > 100 and [t for t in texts if CHINESE.search(t)] == ["简体中文"] * 2, texts
    axes = [view.plot.getAxis("left").labelText for view in window.preview.matrices.values()]
    assert all(a.startswith("old ") for a in axes), axes


def test_the_window_has_the_language_menu_and_remembers_the_choice(window, qtbot):
    """Language is in the window's menu bar; choosing 简体中文 there is saved in the window's settings (the next start
    reads it), and a notice says so."""
    from headmix.gui.i18n import SETTINGS_KEY, chosen_language

    titles = [a.text() for a in window.menuBar().actions()]
    menu = window.language_menu
    assert menu.menuAction() in window.menuBar().actions(), titles
    assert titles.index(menu.title()) == len(titles) - 2  # before Help
    window.menuBar().setActiveAction(menu.menuAction())  # opened as a user opens it
    qtbot.waitUntil(menu.isVisible)
    chinese_action = next(a for a in menu.actions() if a.text() == "简体中文")
    menu.setActiveAction(chinese_action)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.settings.value(SETTINGS_KEY) == "zh_CN")
    assert chosen_language(window.settings) == "zh_CN" and chinese_action.isChecked()
    qtbot.waitUntil(window.language_notice.isVisible)
    window.language_notice.close()


def test_the_language_menu_remembers_the_choice(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from headmix.gui.i18n import SETTINGS_KEY, add_language_menu, chosen_language, locale_for

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = add_language_menu(window, settings)
    assert chosen_language(settings) == "" and menu.actions()[0].isChecked()
    chinese_action = next(a for a in menu.actions() if a.text() == "简体中文")
    chinese_action.trigger()
    assert settings.value(SETTINGS_KEY) == "zh_CN" and chosen_language(settings) == "zh_CN"
    assert window.language_notice.isVisible()
    window.language_notice.close()
    assert locale_for(chosen_language(settings)).name() == "zh_CN"
    assert locale_for("").name() == __import__("PySide6.QtCore").QtCore.QLocale.system().name()


def test_preview_tabs_and_calibration_row_speak_chinese(chinese, qtbot):
    """The preview's own texts (its tabs' contents come from views marked in the second pass)."""
    from headmix.gui.preview_panel import PreviewPanel, StatusRow

    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    titles = [panel.tabText(i) for i in range(panel.count())]
    assert all(CHINESE.search(t) for t in titles), titles
    panel.resize(200, 600)  # too narrow for the long names: the short ones, translated too
    qtbot.waitUntil(lambda: panel.tabText(0) == "混合")
    assert all(CHINESE.search(panel.tabText(i)) for i in range(panel.count()))
    row = panel.findChild(StatusRow)
    assert CHINESE.search(panel.toggle.text())
    assert all(CHINESE.search(t) for t in (row.cancel_button.text(), row.calibrate_button.text()))


def test_a_chinese_desktop_starts_in_chinese_and_an_english_one_in_english(tmp_path):
    """The system locale decides at start, with nothing chosen (a fresh process: the locale is read once)."""
    import os

    code = ("from headmix.gui.app import make_app; from PySide6.QtCore import QCoreApplication, QLocale; make_app(); "
            "print(QLocale().name(), QCoreApplication.translate('ExportDialog', 'Export'))")
    for lang, expected in (("zh_CN.UTF-8", "zh_CN 导出"), ("en_US.UTF-8", "en_US Export")):
        env = {**os.environ, "LANG": lang, "LC_ALL": lang, "LANGUAGE": "", "QT_QPA_PLATFORM": "offscreen",
               "XDG_CONFIG_HOME": str(tmp_path)}  # no saved choice
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == expected, out.stderr


def test_make_app_again_keeps_the_language(chinese):
    """The window fixture calls make_app() on the running app: that must not switch the language back."""
    from PySide6.QtCore import QCoreApplication

    from headmix.gui.app import make_app

    make_app()
    assert QCoreApplication.translate("ExportDialog", "Export") == "导出"


def test_the_unmarked_guide_lists_visible_literals_and_not_marked_ones(tmp_path):
    """``update_translations.py --unmarked`` (the guide for marking a module) lists a shown literal, not a marked one,
    a docstring, an object name or a comparison."""
    module = tmp_path / "m.py"
    module.write_text('"""A docstring."""\n'
                      'from PySide6.QtCore import QCoreApplication\n'
                      'translate = QCoreApplication.translate\n'
                      'def f(label, kind, n):\n'
                      '    label.setObjectName("query_heads")\n'
                      '    label.setText(translate("M", "Marked text"))\n'
                      '    label.setToolTip("Shown but not marked")\n'
                      '    label.setText(f"{n} layers go")\n'
                      '    return kind == "kv head"\n', encoding="utf-8")
    found = [text for _, text in update_translations.unmarked(module)]
    assert found == ["'Shown but not marked'", "f'{…} layers go'"], found
    # the marked modules are clean of sentences (what it still lists there are names and keys, read by hand)
    for name in ("targets_panel.py", "plan_text.py", "export_progress.py", "preview_panel.py", "importance_legend.py"):
        assert not [t for _, t in update_translations.unmarked(ROOT / "gui" / name) if " " in t], name


def test_a_counted_text_of_a_part_is_translated(chinese, qtbot):
    """A part of an assembled class (gui/quality/rendering.py under QualityView) marks a counted text with self.tr:
    lupdate files it under the part's name, where PySide6 alone does not look for a plural (it did not: English)."""
    from headmix.gui.quality_view import QualityView

    view = QualityView()
    qtbot.addWidget(view)
    said = view.tr("%n window(s) of {window} tokens, {scored} scored", None, 8)
    assert said == "8 个窗口，每个 {window} 个词元，计分 {scored} 个", said
    assert view.tr("Not measured") == "尚未测量"  # a plain text, found along the bases as before


def test_a_counted_text_of_a_part_has_its_english_plural(english, qtbot):
    from headmix.gui.quality_view import QualityView

    view = QualityView()
    qtbot.addWidget(view)
    assert view.tr("%n window(s) of {window} tokens, {scored} scored", None, 1).startswith("1 window of")
    assert view.tr("%n window(s) of {window} tokens, {scored} scored", None, 8).startswith("8 windows of")

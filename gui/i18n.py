"""The window's language: Qt's own translation system, the system locale by default, a *Language* menu to override it.

The catalogue is ``resources/i18n/headmix_<locale>.qm``, compiled by ``scripts/update_translations.py`` from the
reviewed ``.ts`` beside it (tests/test_i18n.py checks the shipped ``.qm`` is exactly what ``lrelease`` makes of it).
Qt's own ``qtbase`` catalogue, shipped with PySide6, translates the standard buttons (Open, Cancel, Save…).
English has a catalogue too, of plural forms only (``lupdate -pluralonly``, Qt's way): a counted message is written
once with ``%n`` (``"%n layer(s)"``) and the English catalogue says ``1 layer`` / ``2 layers``; it is loaded whenever
no other language is, so the English window never shows "(s)".

Marking a string (the pattern every gui module follows): in a QObject's method ``self.tr("Text {name}")``; elsewhere
``translate("Context", "Text")`` with ``translate = QCoreApplication.translate`` (the context is the module's class
or name); texts kept in module-level tables are marked with ``QT_TRANSLATE_NOOP("Context", "Text")`` and translated
where shown. Values go in through ``str.format`` placeholders (never f-strings, which lupdate cannot see); counts
through ``%n`` with the count as the last argument of ``self.tr`` (pyside6-lupdate misses a count held in a
variable in ``translate``). Numbers are written with ``QLocale()``. The core's fixed sentences go through
``core_words.py``, the session's (Qt-free, so it says them as ``Words``) through ``session_words.py``. The parts of an
assembled class (gui/window/ under MainWindow, gui/quality/ under QualityView) mark with ``self.tr`` as any widget
does; :class:`PartsTranslate` finds their counted texts. A phrase is marked whole ("old {unit}", never "old " + a
translated unit), so a language can order its words.

The choice is applied when the application starts: every widget sets its texts when it is built, so a live switch
would have to rebuild the whole window; the menu says the change takes effect at the next start instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

I18N = Path(__file__).resolve().parent.parent / "resources" / "i18n"
# where the choice is remembered; "" (or absent) follows the system
SETTINGS_KEY = "ui/language"
# (setting value, name in the menu): a language's own name is never translated, so it can be found in any language
LANGUAGES = (("en", "English"), ("zh_CN", "简体中文"))

_installed: list[QTranslator] = []
#: whether a language was installed in this process: ``make_app`` installs it once, at start
_chosen: list[QLocale] = []


def language_installed() -> bool:
    return bool(_chosen)


def chosen_language(settings: QSettings | None = None) -> str:
    """The language saved in the settings: "" for the system's, else a locale name such as ``zh_CN``."""
    settings = settings or QSettings("headmix", "headmix")
    value = settings.value(SETTINGS_KEY, "")
    return value if isinstance(value, str) and value in dict(LANGUAGES) else ""


def locale_for(language: str) -> QLocale:
    """The locale the window uses for ``language`` ("" follows ``QLocale.system()``)."""
    return QLocale(language) if language else QLocale.system()


def install_translators(language: str | None = None, settings: QSettings | None = None) -> QLocale:
    """Load headmix's and Qt's catalogues for ``language`` (default: the saved choice, else the system's).

    Replaces any catalogues installed before, and makes the locale the default one so numbers and dates
    (``QLocale().toString``) follow it. Returns the locale used. A locale without a catalogue shows English.
    """
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install_translators needs a QApplication")
    _remove()
    locale = locale_for(chosen_language(settings) if language is None else language)
    if locale.language() == QLocale.Language.C:
        # no locale set (LANG=C, a bare container): the English window, digits grouped as English writes them
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    QLocale.setDefault(locale)
    _chosen[:] = [locale]
    ours = QTranslator(app)
    if locale.language() in (QLocale.Language.English, QLocale.Language.C) or not ours.load(
            locale, "headmix", "_", str(I18N)):
        _install_english_plurals()
        return locale
    qt = QTranslator(app)
    if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        _install(qt)
    _install(ours)
    return locale


def _install(translator: QTranslator) -> None:
    QCoreApplication.instance().installTranslator(translator)
    _installed.append(translator)


def _install_english_plurals() -> None:
    """The English plural forms (``%n layer(s)`` → ``1 layer``, ``2 layers``)."""
    english = QTranslator(QCoreApplication.instance())
    if english.load(str(I18N / "headmix_en.qm")):
        _install(english)


def _remove() -> None:
    app = QCoreApplication.instance()
    while _installed:
        translator = _installed.pop()
        if app is not None:
            app.removeTranslator(translator)


def remove_translators() -> None:
    """Back to the English the source is written in, with its plural forms (tests switch languages with this)."""
    _remove()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    if QCoreApplication.instance() is not None:
        _install_english_plurals()



def add_language_menu(window: QMainWindow, settings: QSettings | None = None) -> QMenu:
    """Add *Language* (System / English / 简体中文) to ``window``'s menu bar; the choice is saved and applies at the next start."""
    settings = settings or getattr(window, "settings", None) or QSettings("headmix", "headmix")
    menu = window.menuBar().addMenu(QCoreApplication.translate("LanguageMenu", "&Language"))
    menu.setToolTipsVisible(True)
    group = QActionGroup(menu)
    group.setExclusive(True)
    current = chosen_language(settings)
    system_name = QLocale.system().nativeLanguageName() or QLocale.system().name()
    system = QCoreApplication.translate("LanguageMenu", "System ({language})").format(language=system_name)
    for value, name in (("", system), *LANGUAGES):
        action = menu.addAction(name)
        action.setCheckable(True)
        action.setChecked(value == current)
        action.setData(value)
        group.addAction(action)

    def chosen(action) -> None:
        value = action.data()
        if value == chosen_language(settings):
            return
        settings.setValue(SETTINGS_KEY, value)
        settings.sync()
        box = QMessageBox(QMessageBox.Icon.Information, QCoreApplication.translate("LanguageMenu", "Language"),
                          QCoreApplication.translate("LanguageMenu",
                                                     "The window shows the new language the next time headmix starts."),
                          QMessageBox.StandardButton.Ok, window)
        window.language_notice = box  # kept, and shown without blocking
        box.open()

    group.triggered.connect(chosen)
    window.language_menu = menu
    return menu


class PartsTranslate:
    """``self.tr`` for a class assembled from parts (MainWindow over gui/window/, QualityView over gui/quality/).

    pyside6-lupdate files a part's ``self.tr("…")`` under the part's class name (``Menus``, ``Rendering``), and
    PySide6 finds it there for a plain text by walking the class's bases; for a counted text (``%n``) it looks only
    under the assembled class's own name, so the part's plural went untranslated. This walks the bases for those too.
    Put it first among the bases of the assembled class.
    """

    def tr(self, text: str, disambiguation: str | None = None, n: int = -1) -> str:
        if n is None or n < 0:
            return super().tr(text, disambiguation)
        untranslated = text.replace("%n", str(n))
        for cls in type(self).__mro__:
            if cls.__module__.startswith("headmix."):
                said = QCoreApplication.translate(cls.__name__, text, disambiguation, n)
                if said != untranslated:
                    return said
        return untranslated

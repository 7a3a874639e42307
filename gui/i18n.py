"""The window's language: Qt's own translation system, the system locale by default, a *Language* menu to override it.

The catalogue is ``resources/i18n/headmix_<locale>.qm``, compiled by ``scripts/update_translations.py`` from the
reviewed ``.ts`` beside it (tests/test_i18n.py checks the shipped ``.qm`` is exactly what ``lrelease`` makes of it).
Qt's own ``qtbase`` catalogue, shipped with PySide6, translates the standard buttons (Open, Cancel, Save…).

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
    remove_translators()
    locale = locale_for(chosen_language(settings) if language is None else language)
    QLocale.setDefault(locale)
    if locale.language() in (QLocale.Language.English, QLocale.Language.C):
        return locale
    ours = QTranslator(app)
    if ours.load(locale, "headmix", "_", str(I18N)):
        qt = QTranslator(app)
        if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
        app.installTranslator(ours)
        _installed.append(ours)
    return locale


def remove_translators() -> None:
    """Back to the English the source is written in (tests switch languages with this)."""
    app = QCoreApplication.instance()
    while _installed:
        translator = _installed.pop()
        if app is not None:
            app.removeTranslator(translator)
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))


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

"""The menu bar and its actions (File, Edit, Presets, Help), the keyboard shortcuts, the recent files, the README
and About.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QMainWindow, QMenu, QMessageBox, QVBoxLayout, QWidget


MAX_RECENT = 10


class ShortcutGuard(QObject):
    """Keeps the window's own shortcuts working while a text box has the focus.

    Before a shortcut fires, Qt asks the focus widget whether it wants the key itself
    (ShortcutOverride). On X11 every QLineEdit claims Ctrl+E ("move to end of line"), so
    Export's shortcut did nothing while the filter box had the focus. Installed on the
    window's text boxes, this answers "no" for the given keys.
    """

    def __init__(self, window: QMainWindow, sequences: list[QKeySequence]):
        super().__init__(window)
        self.window = window
        self.sequences = sequences

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        pressed = QKeySequence(event.keyCombination())
        if any(pressed.matches(s) == QKeySequence.SequenceMatch.ExactMatch for s in self.sequences):
            event.ignore()
            return True  # the focus widget never hears of it, so the shortcut runs
        return False


class Menus:
    """The menu bar and its actions (File, Edit, Presets, Help), the keyboard shortcuts, the recent files, the
    README and About.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.open_action = QAction(self.tr("&Open file…"), self, shortcut=QKeySequence.StandardKey.Open, triggered=self.choose_file)
        self.open_action.setToolTip(self.tr("Open a .safetensors file"))
        self.open_folder_action = QAction(self.tr("Open &folder…"), self, shortcut="Ctrl+Shift+O", triggered=self.choose_folder)
        self.open_folder_action.setToolTip(self.tr("Open a model folder (config.json with single or sharded safetensors)"))
        self.recent_menu = file_menu.addMenu(self.tr("Open &recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.cache_menu = QMenu(self.tr("Open from &cache"), self)
        self.cache_menu.setToolTipsVisible(True)
        self.cache_menu.aboutToShow.connect(self.fill_cache_menu)
        self.export_action = QAction(self.tr("&Export…"), self, shortcut="Ctrl+E", triggered=self.choose_export_folder)
        self.export_action.setEnabled(False)
        self.quit_action = QAction(self.tr("&Quit"), self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_export)
        self.cancel_shortcut.setEnabled(False)  # only while an export runs
        # Text boxes take some of these keys for themselves on X11 (Ctrl+E is "end of line"
        # in every QLineEdit there, and the filter box has the focus at start-up).
        own = [QKeySequence("Ctrl+E"), QKeySequence(Qt.Key.Key_Escape)]
        self._shortcut_guard = ShortcutGuard(self, own)
        # a spin box's own undo would only undo its text; the window's undoes the targets
        self._spin_guard = ShortcutGuard(self, own + [QKeySequence(k) for k in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y")])
        spins = self.findChildren(QAbstractSpinBox)
        for box in spins:
            box.installEventFilter(self._spin_guard)
        for box in self.findChildren(QLineEdit):
            if not any(box.parent() is spin for spin in spins):
                box.installEventFilter(self._shortcut_guard)
        for action in (self.open_action, self.open_folder_action):
            file_menu.addAction(action)
        file_menu.insertMenu(None, self.recent_menu)
        file_menu.addMenu(self.cache_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        self.open_export_action = QAction(self.tr("Open the last e&xport"), self, triggered=lambda: self.open_path(self.last_export))
        self.open_export_action.setToolTip(self.tr("Open the model this window exported last"))
        self.open_export_action.setEnabled(False)
        file_menu.addAction(self.open_export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        undo = self.session.undo
        self.undo_action = QAction(self.tr("&Undo"), self, shortcut=QKeySequence.StandardKey.Undo, triggered=undo.undo)
        self.redo_action = QAction(self.tr("&Redo"), self, triggered=undo.redo)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        undo.changed.connect(self._undo_changed)
        self._undo_changed()
        self.reset_action = QAction(self.tr("Reset to the model's &shape"), self, shortcut="Ctrl+R", triggered=self.reset_targets)
        self.reset_action.setToolTip(self.tr("Query heads, kv heads, head size and decoder layers back to the model's "
                                             "own; all layers; rotary pairs a progression"))
        self.reset_action.setEnabled(False)
        self.copy_command_action = QAction(self.tr("&Copy as command"), self, shortcut="Ctrl+Shift+C", triggered=self.copy_command)
        self.copy_command_action.setToolTip(self.tr("Copy the equivalent `headmix shrink …` command line"))
        self.copy_command_action.setEnabled(False)
        for action in (self.undo_action, self.redo_action, None, self.reset_action, None, self.copy_command_action):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)

        self.presets_menu = self.menuBar().addMenu(self.tr("&Presets"))
        self.presets_menu.aboutToShow.connect(self._fill_presets_menu)
        from ..i18n import add_language_menu

        add_language_menu(self, self.settings)  # remembered in the window's settings; applies at the next start
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.shortcuts_action = QAction(self.tr("&Keyboard shortcuts"), self, shortcut=QKeySequence.StandardKey.HelpContents,
                                        triggered=self.show_shortcuts)
        self.readme_action = QAction(self.tr("headmix &README"), self, triggered=self.show_readme)
        for action in (self.shortcuts_action, self.readme_action):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(QAction(self.tr("&About headmix"), self, triggered=self._about))
        self._fill_presets_menu()
        self._fill_recent_menu()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if isinstance(v, str)]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("last_folder", str(path.parent))
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        """Recent checkpoints that still exist; deleted ones are forgotten."""
        self.recent_menu.clear()
        listed = self.recent_files()
        recent = [p for p in listed if Path(p).exists()]
        if recent != listed:
            self.settings.setValue("recent", recent)
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    def shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action with a shortcut, as the menus show them."""
        rows = []
        for action in (self.open_action, self.open_folder_action, self.export_action, self.quit_action, self.undo_action,
                       self.redo_action, self.reset_action, self.copy_command_action, self.shortcuts_action):
            keys = self.tr(" or ").join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((keys, action.text().replace("&", "").rstrip("…")))
        rows.append((QKeySequence(Qt.Key.Key_Escape).toString(QKeySequence.SequenceFormat.NativeText),
                     self.tr("Cancel the running export")))
        return rows

    def show_shortcuts(self) -> QMessageBox:
        table = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in self.shortcuts())
        box = self.show_message(self.tr("Keyboard shortcuts"), f"<table>{table}</table>", QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.RichText)
        return box

    def show_readme(self) -> QWidget:
        """The README in a window of its own: the repository's file, or the installed package's copy."""
        from PySide6.QtWidgets import QDialog, QTextBrowser

        readme = Path(__file__).resolve().parents[2] / "README.md"
        if readme.is_file():
            text, base = readme.read_text(encoding="utf-8"), readme.parent
        else:
            from importlib.metadata import PackageNotFoundError, metadata

            try:
                text = metadata("headmix").get_payload() or ""
            except PackageNotFoundError:
                text = ""
            text, base = text or self.tr("The README is not installed with this copy of headmix."), None
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("headmix README"))
        dialog.resize(820, 640)
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        if base is not None:
            browser.setSearchPaths([str(base)])
        browser.setMarkdown(text)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.readme_window = dialog
        self.readme_browser = browser
        dialog.show()
        return dialog

    def _about(self) -> None:
        from headmix.core import __version__

        self.show_message(
            self.tr("About headmix"),
            self.tr("headmix {version}\nShrinks transformer checkpoints by mixing attention heads: each new head a "
                    "weighted combination of old heads, each new head dim a combination of old dims.").format(
                version=__version__),
            QMessageBox.Icon.Information,
        )

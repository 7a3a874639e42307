"""Messages, questions and file dialogs: non-blocking, so the window stays usable and tests can answer them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox


class Messages:
    """Messages, questions and file dialogs: non-blocking, so the window stays usable and tests can answer them.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    # ------------------------------------------------------------------ messages

    def ask_quit_during(self, title: str, text: str, informative: str, quit_label: str, keep_label: str,
                        on_quit) -> QMessageBox:
        """Quitting while work runs that must not be cut silently (an export, a heal): a non-blocking question whose
        default and Escape answer keeps the work going; ``on_quit`` runs only when the quit button was chosen."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setInformativeText(informative)
        quit_button = box.addButton(quit_label, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(keep_label, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _: box.clickedButton() is quit_button and on_quit())
        self.quit_question = box
        box.open()
        return box

    def cancel_and_quit(self, cancel, still_running) -> None:
        """The user chose to quit during an export or a heal: cancel it and close now if it has already stopped,
        else hide the window; it closes for good when the worker reports that it stopped (``still_running()``
        is asked after ``cancel()``, which may end the work at once)."""
        cancel()
        if still_running():
            self.hide()
        else:
            self.close()

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Warning, open_folder: str | None = None,
                     open_model: str | None = None) -> QMessageBox:
        """A non-blocking message box: the window stays usable, and tests can read what was said."""
        self.last_message = (title, text)
        actions = bool(open_model or open_folder)
        # With actions (the export's "Open …"), Close is the default and the Escape answer, and the actions never
        # become the default as the focus moves onto them: Enter after a stray arrow key only closes the box.
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Close if actions else QMessageBox.StandardButton.Ok,
                          self)
        if actions:
            close = box.button(QMessageBox.StandardButton.Close)
            box.setDefaultButton(close)
            box.setEscapeButton(close)
        if open_model:
            button = box.addButton(self.tr("Open the exported model"), QMessageBox.ButtonRole.ActionRole)
            button.setToolTip(self.tr("Open the smaller checkpoint in this window"))
            button.setAutoDefault(False)
            button.clicked.connect(lambda: self.open_path(open_model))
        if open_folder:
            button = box.addButton(self.tr("Open folder"), QMessageBox.ButtonRole.ActionRole)
            button.setToolTip(self.tr("Show the folder in the file manager"))
            button.setAutoDefault(False)
            button.clicked.connect(lambda: self.open_in_file_manager(open_folder))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_shown.emit(title, text)
        return box

    def open_in_file_manager(self, folder: str) -> bool:
        if QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            return True
        QApplication.clipboard().setText(folder)
        self.show_message(self.tr("Cannot open the folder"),
                          self.tr("No file manager could be started to show {folder}.\n"
                                  "The export is there; its path is now on the clipboard.").format(folder=folder))
        return False

    # ------------------------------------------------------------------ opening

    def _file_dialog(self, title: str, folder: str, on_chosen, name_filter: str | None = None,
                     directory: bool = False) -> QFileDialog:
        """Qt's own (non-native) file dialog, opened without blocking, so it looks the same
        everywhere and tests can answer it."""
        dialog = QFileDialog(self, title, folder)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        if directory:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            if name_filter:
                dialog.setNameFilter(name_filter)
        dialog.fileSelected.connect(lambda path: path and on_chosen(path))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def _question(self, title: str, text: str, informative: str, action: str, on_yes) -> QMessageBox:
        """A non-blocking question whose default (and Escape) answer is Cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        if informative:
            box.setInformativeText(informative)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.finished.connect(lambda _: box.clickedButton() is yes and on_yes())
        self.preset_question = box
        box.open()
        return box

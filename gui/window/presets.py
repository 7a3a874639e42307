"""The Presets menu: apply (through the session, one undoable change), load, save as fractions or not (a built-in
name refused), delete.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QFileDialog, QMessageBox

from headmix.core.plan import presets as preset_store
from headmix.core.errors import HeadmixError
from headmix.core.plan.request import Request

from ..core_words import core_sentence
from ..session_words import session_text


class Presets:
    """The Presets menu: apply (through the session, one undoable change), load, save as fractions or not (a built-
    in name refused), delete.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    # ------------------------------------------------------------------ presets

    def _fill_presets_menu(self) -> None:
        menu = self.presets_menu
        menu.clear()
        last = self.last_preset()
        self.apply_last_action = menu.addAction(
            self.tr("Apply last preset again ({name})").format(name=core_sentence(last.name)) if last
            else self.tr("Apply last preset again"),
            lambda: self.apply_last_preset())
        self.apply_last_action.setEnabled(last is not None)
        self.apply_last_action.setToolTip(self.tr("The preset applied last time, to this model (never applied by itself)"))
        menu.addSection(self.tr("Built-in"))
        for preset in preset_store.builtin().values():
            action = menu.addAction(core_sentence(preset.name), lambda p=preset: self.apply_preset(p))
            action.setToolTip(core_sentence(preset.description))
        user = preset_store.user_presets()
        if user:
            menu.addSection(self.tr("Yours"))
            for preset in user.values():
                menu.addAction(preset.name, lambda p=preset: self.apply_preset(p))
        menu.addSeparator()
        menu.addAction(self.tr("&Load preset file…"), self.choose_preset_file)
        menu.addAction(self.tr("&Save current settings as preset…"), self.ask_save_preset)
        delete = menu.addMenu(self.tr("&Delete preset"))
        for name, preset in user.items():
            delete.addAction(preset.name, lambda n=name: self.delete_preset(n))
        delete.setEnabled(bool(user))
        menu.setToolTipsVisible(True)

    def current_preset(self, name: str, fractions: bool = False) -> preset_store.Preset:
        """The current settings as a preset; with ``fractions`` its targets are fractions of this model's shape."""
        return preset_store.Preset(name=name, request=self.preset_request(fractions))

    def preset_request(self, fractions: bool) -> Request:
        request = self.current_request()
        return request.relative_to(self.arch) if fractions and self.arch is not None else request

    def current_request(self) -> Request:
        """The panel's values as the one request object the CLI, presets and headmix.json share."""
        return self.request_for(self.panel.values())

    def request_for(self, v: dict) -> Request:
        """The request for a set of the panel's values (see :meth:`TargetsPanel.values`)."""
        return self.session.request_for(v)

    def rotary_pairs_use(self, v: dict) -> tuple[bool, str]:
        usable, why = self.session.rotary_pairs_use(v)
        return usable, session_text(why)

    def calibration_use(self, v: dict) -> tuple[bool, str]:
        usable, why = self.session.calibration_use(v)
        return usable, session_text(why)

    def apply_preset(self, preset: preset_store.Preset, remember: bool = True) -> bool:
        if self.arch is None or not self.arch.usable:
            self.show_message(self.tr("Preset"), self.tr("Open a checkpoint whose attention headmix recognises first."))
            return False
        try:
            v = self.session.preset_values(preset)
        except HeadmixError as e:
            self.show_message(self.tr("Preset does not fit this model"), session_text(e))
            return False
        self.panel.set_values(v["heads"], v["kv_heads"], v["head_dim"], v["method"], v["seed"], v["layers"],
                              v["num_layers"], v["layer_method"], v["rotary_pairs"], v["calib_text"], v["calib_tokens"])
        if remember:
            self.settings.setValue("last_preset", self._preset_key(preset))
        tokens, most = preset.request.calib_tokens, self.panel.calib_tokens.maximum()
        if tokens > most:  # the core takes more; the window offers what calibrates in minutes
            self.statusBar().showMessage(self.tr("Preset: {name}; it asks for {tokens} calibration tokens, the window "
                                                 "calibrates on at most {most} (the command line takes more)").format(
                name=core_sentence(preset.name), tokens=QLocale().toString(tokens), most=QLocale().toString(most)), 15000)
        else:
            self.statusBar().showMessage(self.tr("Preset: {name}").format(name=core_sentence(preset.name)), 5000)
        return True

    def last_preset(self) -> preset_store.Preset | None:
        key = self.settings.value("last_preset")
        if not (isinstance(key, str) and key):
            return None
        try:
            return preset_store.find(key)
        except HeadmixError:
            return None

    def apply_last_preset(self) -> bool:
        preset = self.last_preset()
        return preset is not None and self.apply_preset(preset)

    @staticmethod
    def _preset_key(preset: preset_store.Preset) -> str:
        """What find() needs to get this preset back next time: its file, or its built-in name."""
        if preset.path is not None and preset.path.parent != preset_store.BUILTIN_DIR:
            return str(preset.path)
        return preset.path.stem if preset.path is not None else preset.name

    def choose_preset_file(self) -> QFileDialog:
        return self._file_dialog(self.tr("Load preset"), str(preset_store.user_dir()), self.load_preset_file,
                                 self.tr("Presets (*.json)"))

    def load_preset_file(self, path: str | Path) -> bool:
        try:
            preset = preset_store.load(path)
        except HeadmixError as e:
            self.show_message(self.tr("Cannot load preset"), str(e))
            return False
        return self.apply_preset(preset)

    def ask_save_preset(self):
        """The name (never a built-in preset's) and whether the targets are saved as fractions of this model."""
        from ..preset_dialog import SavePresetDialog

        dialog = SavePresetDialog(self.preset_request, self)
        dialog.chosen.connect(lambda name, fractions: self.save_preset(name, fractions=fractions))
        self.name_dialog = dialog
        dialog.open()
        return dialog

    def save_preset(self, name: str, replace: bool = False, fractions: bool = False) -> Path | None:
        """Save the current settings as a user preset (``fractions``: its targets as fractions of this model's
        shape); a preset of the same name is replaced only after a question (whose default is Cancel), and a
        built-in preset's name is refused."""
        path = preset_store.user_file(name)
        if path.exists() and not replace and preset_store.builtin_clash(name) is None:
            self._question(self.tr("Replace preset?"), self.tr("A preset named “{name}” already exists. Replace it?").format(
                name=name), str(path), self.tr("Replace"), lambda: self.save_preset(name, replace=True, fractions=fractions))
            return None
        if self.panel.values() != self.session.values:
            self.refresh()  # a typed entry still pending: the session holds the targets on screen
        try:
            path = self.session.save_preset(name, fractions)
        except HeadmixError as e:
            self.show_message(self.tr("Cannot save preset"), session_text(e))
            return None
        self.statusBar().showMessage(self.tr("Saved preset {path}").format(path=path), 5000)
        self._fill_presets_menu()
        return path

    def delete_preset(self, name: str) -> QMessageBox:
        """Ask before deleting a user preset (by file stem); Cancel is the default answer."""
        preset = preset_store.user_presets().get(name)
        label = preset.name if preset else name
        return self._question(self.tr("Delete preset?"), self.tr("Delete your preset “{name}”?").format(name=label),
                              str(preset_store.user_dir() / f"{name}.json"), self.tr("Delete"), lambda: self._delete_preset_now(name))

    def _delete_preset_now(self, name: str) -> None:
        try:
            preset_store.delete_user(name)
        except HeadmixError as e:
            self.show_message(self.tr("Cannot delete preset"), str(e))
        self._fill_presets_menu()

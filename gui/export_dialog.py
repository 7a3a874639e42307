"""Choosing where an export goes: a folder name the user can type, checked as it is typed.

Every refusal (the source, inside it, containing it, home, root, the current folder, not
writable, a non-empty folder that is not an earlier headmix export) is shown here before the
user can press Export, so nothing is ever asked about a folder that will be refused. Only an
earlier headmix export can be replaced, and the window asks about that separately, with
Cancel as the default answer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
    QWidget,
)  # fmt: skip

from headmix.core.errors import OutputRefused
from headmix.core.run.export import describe_contents, inspect_output

OK_STYLE = "color: #2e7d32;"
WARN_STYLE = "color: #e65100;"
ERROR_STYLE = "color: #c62828;"


def suggested_name(plan) -> str:
    """``<model>-<heads>x<head size>-<method>``, e.g. ``demo-8x32-select``; with grouped kv heads also
    ``-kv<kv heads>`` (``smollm2-9x64-kv1-calibrated``: without it, every kv choice would propose one name); with
    fewer decoder layers also ``-<layers>layers-<layer method>``, e.g. ``demo-8x32-select-3layers-drop``."""
    kv = f"-kv{plan.num_kv_heads}" if plan.num_kv_heads != plan.num_heads else ""
    name = f"{plan.checkpoint.short_name}-{plan.num_heads}x{plan.head_dim}{kv}-{plan.method}"
    if plan.reduction is not None:
        name += f"-{plan.reduction.num_layers}layers-{plan.reduction.method}"
    return name


def suggested_folder(plan, fallback: Path | None = None, parent: Path | None = None) -> Path:
    """A new folder in ``parent``, or next to the source (or in ``fallback`` when that is not writable),
    numbered so it never names an existing one."""
    import os

    if parent is None:
        parent = plan.checkpoint.folder.resolve().parent
        if not os.access(parent, os.W_OK | os.X_OK) and fallback is not None:
            parent = fallback
    name = suggested_name(plan)
    candidate, n = parent / name, 2
    while candidate.exists():
        candidate, n = parent / f"{name}-{n}", n + 1
    return candidate


class ExportDialog(QDialog):
    """Where to write the export: a parent folder (Browse…) and a new folder's name."""

    def __init__(self, plan, start: Path, parent=None):
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(self.tr("Export"))
        self.setModal(True)
        self.parent_edit = QLineEdit(str(start.parent))
        self.parent_edit.setToolTip(self.tr("The folder in which the export folder is created"))
        browse = QPushButton(self.tr("Browse…"))
        browse.setToolTip(self.tr("Pick the folder to create the export in"))
        browse.setAutoDefault(False)
        browse.clicked.connect(self.browse)
        self.browse_button = browse
        self.name_edit = QLineEdit(start.name)
        self.name_edit.setToolTip(self.tr("The name of the new folder; an existing one must be empty or an earlier headmix export"))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.parent_edit, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        form = QFormLayout()
        form.addRow(self.tr("Create in"), holder)
        form.addRow(self.tr("Folder name"), self.name_edit)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setMinimumWidth(520)
        self.status.setMinimumHeight(4 * self.status.fontMetrics().lineSpacing())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setToolTip(self.tr("Write the smaller checkpoint into this folder"))
        self.export_button.setDefault(True)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip(self.tr("Close without exporting"))
        cancel.setAutoDefault(False)  # Enter means Export, and does nothing while Export is refused
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        from .heal.choice import HealChoice

        self.heal = HealChoice(plan.checkpoint.folder, arch=plan.arch)  # Heal after export (issue 21)
        layout.addWidget(self.heal)
        layout.addWidget(self.buttons)
        self.replaces: list[str] = []
        self.refusal: str | None = None
        self.parent_edit.textChanged.connect(self.check)
        self.name_edit.textChanged.connect(self.check)
        self.check()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def output(self) -> Path:
        return Path(self.parent_edit.text().strip()).expanduser() / self.name_edit.text().strip()

    def check(self) -> None:
        """Say what Export would do with this folder, and allow it only if it is allowed."""
        self.replaces, self.refusal = [], None
        name = self.name_edit.text().strip()
        if not name or "/" in name or name in (".", ".."):
            self.refusal = (self.tr("Type a name for the new folder.") if not name
                            else self.tr("'{name}' is not a folder name.").format(name=name))
        else:
            try:
                out, self.replaces = inspect_output(self.plan, self.output())
            except OutputRefused as e:
                self.refusal = str(e)
        if self.refusal:
            self.status.setText(f"✘ {self.refusal}")
            self.status.setStyleSheet(ERROR_STYLE)
        elif self.replaces:
            self.status.setText("⚠ " + self.tr("{folder} is an earlier headmix export ({contents}). Export will ask before "
                                                "replacing it; the old one goes to the trash.")
                                .format(folder=out, contents=describe_contents(out)))
            self.status.setStyleSheet(WARN_STYLE)
        else:
            exists = out.exists()
            said = self.tr("Writes into the empty folder {folder}") if exists else self.tr("Creates {folder}")
            self.status.setText("✔ " + said.format(folder=out))
            self.status.setStyleSheet(OK_STYLE)
        self.export_button.setEnabled(self.refusal is None)
        self.export_button.setDefault(True)
        needed = self.status.heightForWidth(max(self.status.width(), self.status.minimumWidth()))
        if needed > self.status.minimumHeight():
            self.status.setMinimumHeight(needed)  # grows for a long message, never shrinks back
            if self.isVisible():
                self.adjustSize()

    def _accept(self) -> None:
        self.check()
        if self.refusal is None:
            self.accept()

    def browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Create the export in"), self.parent_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.fileSelected.connect(lambda path: self.parent_edit.setText(path))
        self.file_dialog = dialog
        dialog.open()

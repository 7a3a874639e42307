"""File → Open from cache: the models already in the user's Hugging Face cache.

The menu lists the most recently used ones (two clicks from the menu bar to an open model);
*All cached models…* opens a table of every cached revision with its size and when it was last
used, filtered as you type. Listing reads the cache's folders only (core/hf_cache.py); nothing is
downloaded and no weights are read.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from headmix.core.io.hf_cache import CachedModel, cache_folder, cached_models
from headmix.core.model.inspection import human_bytes

# how many cached models the menu itself lists; the dialog shows all
MENU_MODELS = 12


def last_used(model: CachedModel) -> str:
    """When the model was last read, in the user's locale."""
    when = QDateTime.fromSecsSinceEpoch(int(model.last_used))
    return QLocale().toString(when, QLocale.FormatType.ShortFormat)


def fill_cache_menu(menu: QMenu, open_folder, show_all) -> list[CachedModel]:
    """Fill ``menu`` with the most recently used cached models; ``open_folder(path)`` opens one."""
    menu.clear()
    models = cached_models()
    for model in models[:MENU_MODELS]:
        action = menu.addAction(f"{model.repo_id}  ({model.revision}, {human_bytes(model.size)})")
        action.setToolTip(str(model.folder))
        action.triggered.connect(lambda _=False, folder=model.folder: open_folder(folder))
    if not models:
        empty = menu.addAction(QCoreApplication.translate("CacheMenu", "No models with safetensors weights in {folder}").format(folder=cache_folder()))
        empty.setEnabled(False)
    menu.addSeparator()
    menu.addAction(QCoreApplication.translate("CacheMenu", "All cached models…"), show_all)
    return models


class CacheDialog(QDialog):
    """Every cached model revision: repository, revision, size, last used; Enter or a double click opens."""

    chosen = Signal(object)  # the snapshot folder (Path)

    COLUMNS = ("Repository", "Revision", "Size", "Last used")  # translated where shown

    def __init__(self, parent=None, models: list[CachedModel] | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Open from the Hugging Face cache"))
        self.models = cached_models() if models is None else models
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by repository"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(len(self.models), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr("Repository"), self.tr("Revision"), self.tr("Size"),
                                              self.tr("Last used")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, model in enumerate(self.models):
            cells = (model.repo_id, model.revision, human_bytes(model.size), last_used(model))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(model.folder))
                if col == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.doubleClicked.connect(self.accept)
        if self.models:
            self.table.selectRow(0)
        where = QLabel(self.tr("%n model revision(s) with safetensors weights in {folder}", None, len(self.models))
                       .format(folder=cache_folder()) if self.models
                       else QCoreApplication.translate("CacheMenu", "No models with safetensors weights in {folder}")
                       .format(folder=cache_folder()))
        where.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(bool(self.models))
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 420)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        first = None
        for row, model in enumerate(self.models):
            hidden = needle not in model.repo_id.lower()
            self.table.setRowHidden(row, hidden)
            if not hidden and first is None:
                first = row
        if first is not None:
            self.table.selectRow(first)
        self.open_button.setEnabled(first is not None)

    def selected(self) -> Path | None:
        rows = [i.row() for i in self.table.selectionModel().selectedRows() if not self.table.isRowHidden(i.row())]
        return self.models[rows[0]].folder if rows else None

    def accept(self) -> None:
        folder = self.selected()
        if folder is None:
            return
        super().accept()
        self.chosen.emit(folder)

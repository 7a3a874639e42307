"""The right-hand panel: targets, method, seed and layers; the live summary; export controls."""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy,
    QSpinBox, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.model.inspection import human_bytes, human_count
from headmix.core.shrink.layer_removal import LAYER_METHODS
from headmix.core.shrink.methods import DEFAULT_METHOD, METHODS

from .core_words import layer_method_sentence, method_sentence
from .labels import LineLabel
from .runtime_list import RuntimeVerdicts
from .spinbox import ChoiceSpinBox

ERROR_STYLE = "color: #c62828;"


translate = QCoreApplication.translate


def method_text(name: str) -> str:
    """A method's sentence for a label, in the window's language: `code` marks become plain words."""
    return method_sentence(name)


def layer_method_text(name: str) -> str:
    return layer_method_sentence(name)


def breakable(text: str) -> str:
    """The text with a zero-width space after each slash, underscore and hyphen of a long word, so a file name or
    path wraps there instead of widening the panel past its pane."""
    return " ".join(word if len(word) < 16 else re.sub(r"([/_\-])", "\\1\u200b", word) for word in text.split(" "))


def _offer(combo: QComboBox, name: str, sentence: str, available: bool, reason: str) -> None:
    """Enable the item ``name`` of ``combo``, or grey it out; its tooltip is its sentence, and the reason when greyed."""
    index = combo.findText(name)
    item = combo.model().item(index) if index >= 0 else None
    if item is None:
        return
    item.setEnabled(available)
    unavailable = translate("TargetsPanel", "Unavailable: {reason}").format(reason=reason)
    combo.setItemData(index, sentence if available else f"{sentence}\n{unavailable}", Qt.ItemDataRole.ToolTipRole)


def _error_label() -> QLabel:
    label = ReservedLabel([])  # as tall as its text at the width it gets (a plain QLabel came out short in the form)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class ReservedLabel(QLabel):
    """A word-wrapped label as tall as the tallest of the texts it can show, so switching from
    one to another never moves what is below it."""

    def __init__(self, texts: list[str], parent=None):
        super().__init__(parent)
        self.texts = texts
        self.setWordWrap(True)
        # the text under the control it describes, the reserved space below it (centred, a short text floated
        # in a gap between its control and itself)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        margins = self.contentsMargins()
        inner = max(1, width - margins.left() - margins.right() - 2 * max(self.margin(), 0))
        metrics = self.fontMetrics()
        tallest = max(metrics.boundingRect(QRect(0, 0, inner, 1_000_000), Qt.TextFlag.TextWordWrap, t).height()
                      for t in self.texts + [self.text()])
        return tallest + margins.top() + margins.bottom() + 2 * max(self.margin(), 0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the height it needs depends on the width it got

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(hint.width(), self.heightForWidth(max(self.width(), hint.width())))

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(hint.width(), self.heightForWidth(max(self.width(), hint.width())))


#: the rotary pairs choices: (value in the request, what the combo says, its tooltip), translated where shown
ROTARY_CHOICES = (
    ("progression", QT_TRANSLATE_NOOP("TargetsPanel", "progression"), QT_TRANSLATE_NOOP("TargetsPanel", "Keep an arithmetic progression of rotary pairs: written as a plain rope, which every "
                                   "runtime reads")),
    ("any", QT_TRANSLATE_NOOP("TargetsPanel", "any subset"), QT_TRANSLATE_NOOP("TargetsPanel", "Keep whichever pairs score best, even when they form no progression: longrope per-pair "
                          "factors, exact in transformers and vLLM, not in llama.cpp or ollama create")),
)
DEFAULT_TEXT_NAME = QT_TRANSLATE_NOOP("TargetsPanel", "Default text")
#: the last entry's data (its text is translated)
CHOOSE_TEXT_ITEM = QT_TRANSLATE_NOOP("TargetsPanel", "Choose a file…")
#: calibration tokens the window offers (the core takes up to 4M; the window stays with what runs in minutes)
CALIB_TOKENS = (64, 65_536)
#: "leave this control as it is" for set_values
KEEP = object()


class TargetsPanel(QWidget):
    changed = Signal()
    export_requested = Signal()
    cancel_requested = Signal()
    calib_text_requested = Signal()  # the window answers with a file dialog, then use_calib_file(path)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._exporting = False
        self._rotary_ok = self._calib_ok = False
        self.heads = ChoiceSpinBox()
        self.heads.setToolTip(self.tr("Query heads per layer in the exported model (only values that can be built are offered)"))
        self.kv_heads = ChoiceSpinBox()
        self.kv_heads.setToolTip(self.tr("Key/value heads per layer; must divide the query heads (grouped-query attention)"))
        self.head_dim = ChoiceSpinBox()
        self.head_dim.setToolTip(self.tr("Head size; with rotary embeddings it shrinks by whole rotary pairs"))
        self.rotary_pairs = QComboBox()
        for i, (value, text, tip) in enumerate(ROTARY_CHOICES):
            self.rotary_pairs.addItem(translate("TargetsPanel", text), value)
            self.rotary_pairs.setItemData(i, translate("TargetsPanel", tip), Qt.ItemDataRole.ToolTipRole)
        self.rotary_pairs.setEnabled(False)
        self.rotary_pairs.setToolTip(self.tr("Which rotary pairs a smaller head size keeps (only when the head size shrinks "
                                             "on a model with rotary embeddings)"))
        self.method = QComboBox()
        for i, (name, sentence) in enumerate(METHODS.items()):
            self.method.addItem(name)
            self.method.setItemData(i, method_text(name), Qt.ItemDataRole.ToolTipRole)
        self.method.setCurrentText(DEFAULT_METHOD)
        self.method.setToolTip(self.tr("How new heads and dims are made from old ones"))
        self.method_help = ReservedLabel([method_text(name) for name in METHODS])
        self.method_help.setText(method_text(DEFAULT_METHOD))
        self.method_help.setStyleSheet("color: palette(placeholder-text);")  # greyed, in light and dark palettes
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip(self.tr("Seed for the random and article methods: the same seed gives the same bytes"))
        self.layers = QLineEdit("all")
        self.layers.setToolTip(self.tr("Layers to shrink: 'all', or numbers and ranges such as 0-11,20"))
        self.num_layers = QSpinBox()
        self.num_layers.setRange(1, 1)
        self.num_layers.setToolTip(self.tr("Decoder layers in the exported model; fewer removes whole layers, chosen from "
                                           "the calibration text (or the weights, without a tokenizer)"))
        self.layer_method = QComboBox()
        for i, (name, sentence) in enumerate(LAYER_METHODS.items()):
            self.layer_method.addItem(name)
            self.layer_method.setItemData(i, layer_method_text(name), Qt.ItemDataRole.ToolTipRole)
        self.layer_method.setToolTip(self.tr("How the removed decoder layers go"))
        self.layer_method_help = ReservedLabel([layer_method_text(name) for name in LAYER_METHODS])
        self.layer_method_help.setText(layer_method_text("drop"))
        self.layer_method_help.setStyleSheet("color: palette(placeholder-text);")
        # the text list: the default text, the files chosen so far, and last an entry that opens a file dialog
        self.calib_text = QComboBox()
        self.calib_text.addItem(translate("TargetsPanel", DEFAULT_TEXT_NAME), None)
        self.calib_text.setItemData(0, self.default_text_tip(), Qt.ItemDataRole.ToolTipRole)
        self.calib_text.addItem(translate("TargetsPanel", CHOOSE_TEXT_ITEM), CHOOSE_TEXT_ITEM)
        self.calib_text.setItemData(1, self.tr("Calibrate on a UTF-8 text file of your own"), Qt.ItemDataRole.ToolTipRole)
        self.calib_text.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.calib_text.setMinimumContentsLength(6)
        self._calib_index_shown = 0
        self.calib_tokens = QSpinBox()
        self.calib_tokens.setRange(*CALIB_TOKENS)
        self.calib_tokens.setValue(4096)
        self.calib_tokens.setSingleStep(512)
        self.calib_tokens.setGroupSeparatorShown(True)
        self.calib_tokens.setSuffix(self.tr(" tokens"))
        self.calib_tokens.setKeyboardTracking(False)  # one new plan when the number is typed, not one per digit
        self.set_calibration_available(False, "")
        self.errors = {field: _error_label()
                       for field in ("heads", "kv_heads", "head_dim", "method", "seed", "layers", "num_layers", "calib_text")}

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget, field in (
            (self.tr("Query heads"), self.heads, "heads"), (self.tr("Key/value heads"), self.kv_heads, "kv_heads"),
            (self.tr("Head size"), self.head_dim, "head_dim"), (self.tr("Rotary pairs"), self.rotary_pairs, None),
            (self.tr("Method"), self.method, "method"), (self.tr("Seed"), self.seed, "seed"),
            (self.tr("Layers"), self.layers, "layers"), (self.tr("Decoder layers"), self.num_layers, "num_layers"),
            (self.tr("Layer method"), self.layer_method, None), (self.tr("Calibration"), self.calib_text, None),
            ("", self.calib_tokens, "calib_text"),
        ):  # fmt: skip
            form.addRow(label, widget)
            if field == "method":
                form.addRow("", self.method_help)
            if widget is self.layer_method:
                form.addRow("", self.layer_method_help)
            if field is not None:
                form.addRow("", self.errors[field])
        targets_box = QGroupBox(self.tr("Targets"))
        targets_box.setLayout(form)
        # stable object names, so tests find the main controls whatever their labels say (the accessible names are
        # the labels', in the window's language, for screen readers)
        for name, widget, label in (
            ("query_heads", self.heads, self.tr("Query heads")), ("kv_heads", self.kv_heads, self.tr("Key/value heads")),
            ("head_size", self.head_dim, self.tr("Head size")), ("method", self.method, self.tr("Method")),
            ("num_layers", self.num_layers, self.tr("Decoder layers")),
            ("layer_method", self.layer_method, self.tr("Layer method")),
            ("rotary_pairs", self.rotary_pairs, self.tr("Rotary pairs")),
        ):  # fmt: skip
            widget.setObjectName(name)
            widget.setAccessibleName(label)

        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.decoder_label = QLabel()  # always one line, so fewer layers never moves what is below it
        self.decoder_label.setToolTip(self.tr("Decoder layers before → after; which ones go is on the Layer scores tab"))
        self.params_label = QLabel()
        self.size_label = QLabel()
        self.saved_label = QLabel()
        self.saved_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        # one line per runtime people deploy with: does it load the export and compute what transformers computes
        self.verdicts = RuntimeVerdicts()
        self.verdicts.setToolTip(self.tr("Whether each runtime loads the export and computes what transformers computes"))
        # every warning in full under the targets (scrolling with them), and one line of them in the Preview, always
        # there: the Preview sits fixed above Export, and five warnings there would push the targets out of the window
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet("color: #e65100;")
        self.warnings_line = LineLabel()
        self.warnings_line.set_colour(QColor("#e65100"))
        summary = QVBoxLayout()
        summary.setSpacing(3)
        for w in (self.source_label, self.decoder_label, self.params_label, self.size_label, self.saved_label, self.verdicts,
                  self.warnings_line):
            summary.addWidget(w)
        # the Preview sits outside the scrolling targets, above Export (gui/window/layout.py): always whole, whatever
        # the window's height or what is shown under the targets
        self.summary_box = QGroupBox(self.tr("Preview"))
        self.summary_box.setLayout(summary)
        self.summary_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setDefault(False)
        self.export_button.setToolTip(self.tr("Write the smaller checkpoint into a new folder (Ctrl+E)"))
        self.export_button.clicked.connect(self.export_requested)
        self.progress = QProgressBar()
        self.progress.setToolTip(self.tr("Export progress, in bytes written"))
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the export; nothing is left behind"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(0, 0, 0, 0)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        box_layout = QVBoxLayout(self.progress_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addLayout(progress_row)
        box_layout.addWidget(self.progress_label)
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Export and its progress live outside the scrolling part of the panel, one above the
        # other with the progress's space always kept, so an export never changes the layout
        # and neither a scroll bar nor a small window can hide Export, Cancel or the time left.
        self.export_box = QWidget()
        export_layout = QVBoxLayout(self.export_box)
        export_layout.setContentsMargins(9, 4, 9, 6)
        export_layout.addWidget(self.export_button)
        export_layout.addWidget(self.progress_box)
        keep = self.progress_box.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.progress_box.setSizePolicy(keep)
        self.progress_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(targets_box)
        layout.addWidget(self.warnings_label)
        layout.addStretch(1)

        for spin in (self.heads, self.kv_heads, self.head_dim, self.seed, self.num_layers, self.calib_tokens):
            spin.valueChanged.connect(self.changed)
        self.rotary_pairs.currentIndexChanged.connect(self.changed)
        self.calib_text.currentIndexChanged.connect(self._calib_text_changed)
        self.method.currentTextChanged.connect(self._method_changed)
        self.layer_method.currentTextChanged.connect(self._layer_method_changed)
        # Layers are checked as they are typed (after a short pause), so a corrected entry
        # clears its error at once; Return or leaving the box checks immediately.
        self._layers_timer = QTimer(self)
        self._layers_timer.setSingleShot(True)
        self._layers_timer.setInterval(250)
        self._layers_timer.timeout.connect(self.changed)
        self.layers.textEdited.connect(self._layers_timer.start)
        self.layers.editingFinished.connect(self._layers_done)
        self.setEnabled(False)

    def _layers_done(self) -> None:
        self._layers_timer.stop()
        self.changed.emit()

    def set_method_available(self, name: str, available: bool, reason: str = "") -> None:
        """Offer a method or grey it out with the reason (the calibrated method needs the model's tokenizer)."""
        _offer(self.method, name, method_text(name), available, reason)

    def set_rotary_available(self, available: bool, reason: str = "") -> None:
        """Offer the rotary pairs choice only where a smaller head size keeps rotary pairs (greyed with the reason)."""
        self._rotary_ok = available
        self.rotary_pairs.setEnabled(available and not self._exporting)
        base = self.tr("Which rotary pairs a smaller head size keeps: an arithmetic progression (a plain rope every "
                       "runtime reads) or any subset (longrope factors: transformers and vLLM only)")
        self.rotary_pairs.setToolTip(base if available else f"{base}\n{self.not_used(reason)}")

    def set_calibration_available(self, available: bool, reason: str = "") -> None:
        """Offer the calibration text and tokens only where something reads them (greyed with the reason)."""
        self._calib_ok = available
        for w in (self.calib_text, self.calib_tokens):
            w.setEnabled(available and not self._exporting)
        text = self.tr("The text the calibrated method fits each layer on, and that chooses which decoder layers go: "
                       "headmix's default English prose, or a UTF-8 file of yours")
        tokens = self.tr("How many tokens of the calibration text are read, in windows of up to {window} (default "
                         "{default})").format(window=QLocale().toString(512), default=QLocale().toString(4096))
        suffix = "" if available else f"\n{self.not_used(reason)}"
        self.calib_text.setToolTip(text + suffix)
        self.calib_tokens.setToolTip(tokens + suffix)

    def not_used(self, reason: str) -> str:
        return self.tr("Not used here: {reason}").format(reason=reason)

    def default_text_tip(self) -> str:
        return self.tr("The English prose that ships with headmix")

    def use_calib_file(self, path: str) -> None:
        """Calibrate on this file from now on (it becomes an entry of the text list)."""
        index = self._calib_index(path)
        if index == self.calib_text.currentIndex():
            self.changed.emit()  # chosen again: check it again (it may have been fixed)
        else:
            self.calib_text.setCurrentIndex(index)

    def _calib_index(self, path: str | None) -> int:
        """The list entry for a calibration text (None: the default), added when new."""
        if path is None:
            return 0
        index = self.calib_text.findData(str(path))
        if index < 0:
            from pathlib import Path

            index = self.calib_text.count() - 1  # before "Choose a file…"
            self.calib_text.insertItem(index, Path(path).name, str(path))
            self.calib_text.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)
        return index

    def _calib_text_changed(self, index: int) -> None:
        if self.calib_text.itemData(index) == CHOOSE_TEXT_ITEM:
            # not a text: go back to the one in use, and ask for a file (use_calib_file follows if one is chosen)
            self.calib_text.blockSignals(True)
            self.calib_text.setCurrentIndex(self._calib_index_shown)
            self.calib_text.blockSignals(False)
            self.calib_text_requested.emit()
            return
        self._calib_index_shown = index
        path = self.calib_text.currentData()
        self.calib_text.setToolTip(str(path) if path else self.default_text_tip())
        self.set_calibration_available(self._calib_ok)
        self.changed.emit()

    def set_num_layers_range(self, layers: int) -> None:
        """The model has ``layers`` decoder layers: offer 1..layers (without emitting ``changed``)."""
        self.num_layers.blockSignals(True)
        self.num_layers.setSpecialValueText("")  # a read-only model's "?" (show_model_shape)
        self.num_layers.setRange(1, max(1, layers))
        self.num_layers.setValue(max(1, layers))
        self.num_layers.blockSignals(False)
        self.num_layers.setToolTip(self.tr("Decoder layers in the exported model (this model has {layers}); fewer removes "
                                           "whole layers, chosen from the calibration text (or the weights, without a "
                                           "tokenizer)").format(layers=layers))

    def show_model_shape(self, heads: int | None, kv_heads: int | None, head_dim: int | None, layers: int) -> None:
        """A model that cannot be shrunk (the panel is greyed): its own numbers where it has them, "?" where its
        config.json does not say, instead of 0/0/0 and one decoder layer (without emitting ``changed``)."""
        for spin, value in ((self.heads, heads), (self.kv_heads, kv_heads), (self.head_dim, head_dim),
                            (self.num_layers, layers or None)):
            spin.blockSignals(True)
            spin.setRange(value or 0, value or 0)
            spin.setValue(value or 0)
            spin.setSpecialValueText("" if value else "?")
            spin.blockSignals(False)

    def set_layer_method_available(self, name: str, available: bool, reason: str = "") -> None:
        """Offer a layer method or grey it out with the reason (fit needs pre-norm blocks)."""
        _offer(self.layer_method, name, LAYER_METHODS.get(name, ""), available, reason)

    def _layer_method_changed(self, name: str) -> None:
        self.layer_method_help.setText(layer_method_text(name))
        self.changed.emit()

    def _method_changed(self, name: str) -> None:
        self.method_help.setText(method_text(name))
        self.changed.emit()

    # ------------------------------------------------------------------ values

    def values(self) -> dict:
        return {
            "heads": self.heads.value(),
            "kv_heads": self.kv_heads.value(),
            "head_dim": self.head_dim.value(),
            "method": self.method.currentText(),
            "seed": self.seed.value(),
            "layers": self.layers.text().strip() or "all",
            "num_layers": self.num_layers.value(),
            "layer_method": self.layer_method.currentText(),
            "rotary_pairs": self.rotary_pairs.currentData(),
            "calib_text": self.calib_text.currentData(),
            "calib_tokens": self.calib_tokens.value(),
        }

    def set_values(self, heads: int, kv_heads: int, head_dim: int, method: str, seed: int, layers: str,
                   num_layers: int | None = None, layer_method: str = "drop", rotary_pairs=KEEP, calib_text=KEEP,
                   calib_tokens=KEEP) -> None:
        """Set every control at once, emitting one ``changed`` (``num_layers`` None: every decoder layer;
        rotary pairs and the calibration text and tokens stay as they are unless given)."""
        widgets = (self.heads, self.kv_heads, self.head_dim, self.method, self.seed, self.layers, self.num_layers,
                   self.layer_method, self.rotary_pairs, self.calib_text, self.calib_tokens)
        for w in widgets:
            w.blockSignals(True)
        if rotary_pairs is not KEEP:
            self.rotary_pairs.setCurrentIndex(max(0, self.rotary_pairs.findData(rotary_pairs)))
        if calib_text is not KEEP:
            self._calib_index_shown = self._calib_index(calib_text)
            self.calib_text.setCurrentIndex(self._calib_index_shown)
            self.calib_text.setToolTip(str(calib_text) if calib_text else self.default_text_tip())
            self.set_calibration_available(self._calib_ok)
        if calib_tokens is not KEEP:
            self.calib_tokens.setValue(int(calib_tokens))
        self.method.setCurrentText(method)
        self.method_help.setText(method_text(method))
        self.num_layers.setValue(self.num_layers.maximum() if num_layers is None else num_layers)
        self.layer_method.setCurrentText(layer_method)
        self.layer_method_help.setText(layer_method_text(self.layer_method.currentText()))
        self.seed.setValue(seed)
        self.layers.setText(layers)
        for spin, value in ((self.heads, heads), (self.kv_heads, kv_heads), (self.head_dim, head_dim)):
            spin.setRange(min(spin.minimum(), value), max(spin.maximum(), value))
            spin.setValue(value)
        for w in widgets:
            w.blockSignals(False)
        self.changed.emit()

    def set_choices(self, choices: dict[str, list[int]]) -> None:
        for field, spin in (("heads", self.heads), ("kv_heads", self.kv_heads), ("head_dim", self.head_dim)):
            spin.set_choices(choices[field])

    # ------------------------------------------------------------------ feedback

    def show_error(self, field: str | None, message: str) -> None:
        """Explain an invalid choice next to its control (no dialog)."""
        field = field if field in self.errors else "heads"
        for name, label in self.errors.items():
            label.setVisible(name == field)
            if name == field:
                label.setText(breakable(message))
                label.setToolTip(message)

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()
            label.setText("")

    def show_summary(self, source: str, before: tuple[int, int], after: tuple[int, int] | None,
                     verdicts: list | None, warnings: list[str], decoder: str = "", why: str = "") -> None:
        """The plan in numbers, one verdict per runtime (None: no plan, for ``why``), and its warnings."""
        self.source_label.setText(source)
        self.decoder_label.setText(decoder)
        params, size = self.tr("Parameters: {count}"), self.tr("Size: {size}")
        if after is None:
            self.params_label.setText(params.format(count=human_count(before[0])))
            self.size_label.setText(size.format(size=human_bytes(before[1])))
            self.saved_label.setText("—")
        else:
            self.params_label.setText(params.format(count=f"{human_count(before[0])} → {human_count(after[0])}"))
            self.size_label.setText(size.format(size=f"{human_bytes(before[1])} → {human_bytes(after[1])}"))
            saved = 100 * (1 - after[0] / max(before[0], 1))
            self.saved_label.setText(self.tr("{percent}% smaller").format(percent=QLocale().toString(saved, "f", 1)))
        self.verdicts.set_verdicts(verdicts, why)
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))
        line = "" if not warnings else f"⚠ {warnings[0]}" if len(warnings) == 1 else self.tr(
            "⚠ {count} warnings (all under the targets): {first}").format(count=len(warnings), first=warnings[0])
        self.warnings_line.setText(line)
        self.warnings_line.setToolTip(self.warnings_label.text())

    def set_exporting(self, exporting: bool) -> None:
        self._exporting = exporting
        self.progress_box.setVisible(exporting)
        self.export_button.setEnabled(not exporting)
        for w in (self.heads, self.kv_heads, self.head_dim, self.method, self.seed, self.layers, self.num_layers,
                  self.layer_method):
            w.setEnabled(not exporting)
        self.set_rotary_available(self._rotary_ok)
        self.set_calibration_available(self._calib_ok)
        if exporting:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
            self.progress.setFormat("%p%")
            self.progress.setToolTip(self.tr("Export progress, in bytes written"))
            self.progress_label.setText(self.tr("starting…"))

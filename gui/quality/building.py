"""The tab's widgets: the text and its settings, Measure and Cancel with progress, the result, the comparison of
fewer heads against fewer layers and the table of methods.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
    QScrollArea, QSizePolicy, QSpinBox, QStackedWidget, QTableWidget, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.io.text import DEFAULT_MAX_TOKENS, DEFAULT_WINDOW

from ..labels import LineLabel, status_colour
from ..plots import LayerErrorChart, PairChart
from .words import GREY_STYLE, default_text_item


class Building:
    """The tab's widgets: the text and its settings, Measure and Cancel with progress, the result, the comparison
    of fewer heads against fewer layers and the table of methods.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    # ------------------------------------------------------------------ construction

    def _build(self) -> None:
        self.text_choice = QComboBox()
        self.text_choice.addItem(default_text_item(), None)
        self.text_choice.setToolTip(self.tr("The text both models read: headmix's own, or a UTF-8 file of yours"))
        self.text_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.text_choice.setMinimumContentsLength(12)
        self.text_choice.currentIndexChanged.connect(self._text_chosen)
        self.choose_button = QPushButton(self.tr("Choose file…"))
        self.choose_button.setToolTip(self.tr("Measure on a UTF-8 text file of your own"))
        self.choose_button.clicked.connect(self.choose_text_requested)
        self.text_label = LineLabel(grey=True, middle=True)  # what the text is
        self.windows_label = LineLabel(grey=True)  # how it is cut

        self.window_spin = QSpinBox()
        self.window_spin.setRange(2, 65_536)
        self.window_spin.setValue(DEFAULT_WINDOW)
        self.window_spin.setSingleStep(128)
        self.window_spin.setToolTip(self.tr("Tokens per window; each window is scored on its own, from a fresh context "
                                            "(default {window})").format(window=DEFAULT_WINDOW))
        self.max_tokens_spin = QSpinBox()
        self.max_tokens_spin.setRange(2, 10_000_000)
        self.max_tokens_spin.setValue(DEFAULT_MAX_TOKENS)
        self.max_tokens_spin.setSingleStep(1024)
        self.max_tokens_spin.setGroupSeparatorShown(True)
        self.max_tokens_spin.setToolTip(self.tr("Measure at most the text's first this many tokens, in whole windows "
                                                "(default {tokens})").format(tokens=QLocale().toString(DEFAULT_MAX_TOKENS)))
        self._settings_timer = QTimer(self)
        self._settings_timer.setSingleShot(True)
        self._settings_timer.setInterval(200)
        self._settings_timer.timeout.connect(self._prepare)
        self._window_wanted = DEFAULT_WINDOW  # the user's window, shown capped for a model with fewer positions
        self.window_spin.valueChanged.connect(self._window_changed)
        for spin in (self.window_spin, self.max_tokens_spin):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._settings_timer.start)

        self.measure_button = QPushButton(self.tr("&Measure"))
        self.measure_button.setToolTip(self.tr("Run the original and the shrunk model side by side on the text, "
                                               "without exporting"))
        self.measure_button.clicked.connect(self.measure_requested)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop measuring (after the layer being computed)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setToolTip(self.tr("Layers of the model, then its output head"))
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.compare_button = QPushButton(self.tr("Compare with fewer layers at this size"))
        self.compare_button.clicked.connect(self.compare_requested)
        compare_hint = self.compare_button.sizePolicy()
        compare_hint.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # its text changes; its width does not
        self.compare_button.setSizePolicy(compare_hint)
        self.compare_button.setMinimumWidth(max(self.compare_button.fontMetrics().horizontalAdvance(text) for text in (
            self.tr("Compare with fewer layers at this size"), self.tr("Compare with fewer heads at this size"))) + 24)

        # fewer heads against fewer layers at the same size: shown once asked for
        self.compare_box = QGroupBox(self.tr("Fewer heads or fewer layers, at the same size"))
        self.compare_text = QLabel()
        self.compare_text.setWordWrap(True)
        self.compare_text.setTextFormat(Qt.TextFormat.PlainText)
        self.compare_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.compare_table = QLabel()
        self.compare_table.setTextFormat(Qt.TextFormat.RichText)
        self.compare_table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.compare_table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compare_verdict = QLabel()
        self.compare_verdict.setWordWrap(True)
        self.compare_verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.compare_verdict.setStyleSheet("font-weight: bold;")
        self.compare_verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        box_layout = QVBoxLayout(self.compare_box)
        for w in (self.compare_text, self.compare_table, self.compare_verdict):
            box_layout.addWidget(w)
        self.compare_box.hide()

        # the current targets with each method, on the same text: shown once asked for
        self.methods_button = QPushButton(self.tr("Compare methods"))
        self.methods_button.setToolTip(self.tr("Measure the current targets with each method (calibrated where the model "
                                               "has a tokenizer, mean, select, random) on the text, one after the other"))
        self.methods_button.clicked.connect(self.compare_methods_requested)
        self.with_article = QCheckBox(self.tr("with article"))
        self.with_article.setToolTip(self.tr("Include the article's method (it needs retraining, so it is left out by "
                                             "default)"))
        self.methods_box = QGroupBox(self.tr("Methods on this text"))
        self.methods_text = QLabel()
        self.methods_text.setWordWrap(True)
        self.methods_text.setTextFormat(Qt.TextFormat.PlainText)
        self.methods_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.methods_table = QTableWidget(0, 4)
        self.methods_table.setHorizontalHeaderLabels([self.tr("method"), self.tr("params"), self.tr("perplexity"),
                                                     self.tr("× before")])
        self.methods_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.methods_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.methods_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.methods_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.methods_table.verticalHeader().hide()
        self.methods_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.methods_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.methods_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.methods_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.methods_table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.methods_table.setToolTip(self.tr("Click a row to use that method for the targets"))
        self.methods_table.cellClicked.connect(self._method_row_clicked)
        self.methods_verdict = QLabel()
        self.methods_verdict.setWordWrap(True)
        self.methods_verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.methods_verdict.setStyleSheet("font-weight: bold;")
        self.methods_verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        methods_layout = QVBoxLayout(self.methods_box)
        for w in (self.methods_text, self.methods_table, self.methods_verdict):
            methods_layout.addWidget(w)
        self.methods_box.hide()

        controls = QVBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_choice, 1)
        text_row.addWidget(self.choose_button)
        controls.addLayout(text_row)
        text_lines = QVBoxLayout()
        text_lines.setSpacing(0)
        text_lines.setContentsMargins(4, 0, 0, 0)
        text_lines.addWidget(self.text_label)
        text_lines.addWidget(self.windows_label)
        controls.addLayout(text_lines)
        settings_row = QHBoxLayout()
        for text, spin in ((self.tr("&Window"), self.window_spin), (self.tr("Max &tokens"), self.max_tokens_spin)):
            label = QLabel(text)
            label.setBuddy(spin)
            settings_row.addWidget(label)
            settings_row.addWidget(spin)
        settings_row.addStretch(1)
        controls.addLayout(settings_row)
        run_row = QHBoxLayout()
        run_row.addWidget(self.measure_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        controls.addLayout(run_row)
        compare_row = QHBoxLayout()
        compare_row.addWidget(self.compare_button)
        compare_row.addStretch(1)
        controls.addLayout(compare_row)
        methods_row = QHBoxLayout()
        methods_row.addWidget(self.methods_button)
        methods_row.addWidget(self.with_article)
        methods_row.addStretch(1)
        controls.addLayout(methods_row)
        controls.addWidget(self.compare_box)
        controls.addWidget(self.methods_box)

        self.headline = LineLabel(bold=True)

        # the message page: everything but a result
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous = QLabel()
        self.previous.setTextFormat(Qt.TextFormat.PlainText)
        self.previous.setWordWrap(True)
        self.previous.setStyleSheet(GREY_STYLE)
        self.previous.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous.setToolTip(self.tr("Numbers measured for other targets: not for the current ones"))
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.setContentsMargins(0, 0, 0, 0)
        message_layout.addWidget(self.message)
        message_layout.addSpacing(8)
        message_layout.addWidget(self.previous)
        message_layout.addStretch(1)

        # the results page
        # the result in three lines that never wrap, so every result puts the charts at the same place
        self.summary = LineLabel(bold=True)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.summary.setFont(font)
        # said when the text measured on is the one the plan was calibrated on (the numbers flatter it there)
        self.calib_note = LineLabel()
        self.calib_note.set_colour(status_colour("warn"))
        self.output_error = LineLabel()
        self.worst = LineLabel()
        self.pair = PairChart()
        self.layers_chart = LayerErrorChart()
        self.layers_chart.layer_clicked.connect(self.layer_clicked)
        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.summary, self.calib_note, self.output_error, self.worst):
            results_layout.addWidget(label)
        results_layout.addWidget(self.pair)
        results_layout.addWidget(self.layers_chart, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(message_page)
        self.stack.addWidget(results_page)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(controls)
        layout.addWidget(self.headline)
        layout.addWidget(self.stack, 1)
        self.content = content
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll = scroll  # scrolls only when the pane is dragged narrower or lower than the tab needs
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._fit()

    def _fit(self) -> None:
        """Heights that follow the font (and so the scale factor), never the data."""
        line = self.fontMetrics().height()
        self.pair.setFixedHeight(7 * line)
        self.layers_chart.plot_widget.setMinimumHeight(9 * line)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def apply_theme(self, palette=None) -> None:
        self.pair.apply_theme(palette)
        self.layers_chart.apply_theme(palette)
        self.calib_note.set_colour(status_colour("warn", palette))

"""The Layers tab: which decoder layers a plan with fewer layers removes, and why.

The choice itself is the core's (``plan.final()`` through ``LayerReduction.choice``), run by the
window's ChoiceWorker; this tab shows its progress (cancellable), then every layer's score as a
bar, the removed ones in their own colour, and says which score it is.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .core_words import core_sentence
from .plots import LayerScoreChart
from .labels import LineLabel
from .targets_panel import ERROR_STYLE

translate = QCoreApplication.translate

#: what the chart's axis says for each kind of score (the core's ``score_kind`` starts with it), translated where shown
AXIS_LABELS = (("block influence", QT_TRANSLATE_NOOP("LayersView", "block influence 1 − cos")),
               ("‖W_o‖²", QT_TRANSLATE_NOOP("LayersView", "weight score (data-free)")))

_WHAT_HAPPENS = {
    "drop": QT_TRANSLATE_NOOP("LayersView", "dropped"),
    "merge": QT_TRANSLATE_NOOP("LayersView", "each averaged into the kept layer before it"),
    "fit": QT_TRANSLATE_NOOP("LayersView", "dropped, and the MLP output of the kept layer before each removed run "
                                           "refitted on the calibration text"),
}


def stage_text(stage: str, done: int, total: int) -> str:
    """One line for a step of the layer choice, in the window's language."""
    step = min(done + 1, total)
    if stage == "scoring":
        return (translate("LayersView", "scoring layer {layer} of {total}").format(layer=step, total=total) if done < total
                else translate("LayersView", "layers scored: {total}").format(total=total))
    if stage == "fitting":
        return (translate("LayersView", "fitting: layer {layer} of {total}").format(layer=step, total=total) if done < total
                else translate("LayersView", "fitted"))
    if stage == "weights":
        return translate("LayersView", "scoring layers by their weights")
    if stage == "waiting":
        return translate("LayersView", "waiting for the choice under way (its progress is on the Layer scores tab)")
    if stage == "heads":
        return translate("LayersView", "head scores of the kept layers: {done} of {total}").format(done=done, total=total)
    return stage


def axis_label(score_kind: str) -> str:
    label = next((label for start, label in AXIS_LABELS if score_kind.startswith(start)), None)
    return translate("LayersView", label) if label else translate("LayersView", "score")


class LayersView(QWidget):
    cancel_requested = Signal()
    choose_requested = Signal()
    layer_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.headline = LineLabel(bold=True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setToolTip(self.tr("Choosing the layers: the calibration text runs through the model, layer by layer"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop choosing (after the layer being scored); the plan stays, its layers "
                                              "unchosen"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.choose_button = QPushButton(self.tr("Choose layers"))
        self.choose_button.setToolTip(self.tr("Run the layer choice for the current targets"))
        self.choose_button.clicked.connect(self.choose_requested)
        for w in (self.progress, self.cancel_button, self.choose_button):
            keep = w.sizePolicy()
            keep.setRetainSizeWhenHidden(True)
            w.setSizePolicy(keep)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.choose_button)
        self.chart = LayerScoreChart()
        self.chart.layer_clicked.connect(self.layer_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addWidget(self.chart, 1)
        self.state = "no model"
        self.choice = None
        self._fit()
        self.show_idle(None)

    def _fit(self) -> None:
        self.chart.plot_widget.setMinimumHeight(9 * self.fontMetrics().height())

    def changeEvent(self, event) -> None:  # noqa: N802
        from PySide6.QtCore import QEvent

        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def apply_theme(self, palette=None) -> None:
        self.chart.apply_theme(palette)

    def _controls(self, progress: bool = False, choose: bool = False) -> None:
        self.progress.setVisible(progress)
        self.cancel_button.setVisible(progress)
        self.cancel_button.setEnabled(progress)
        self.choose_button.setVisible(choose)

    def _say(self, state: str, headline: str, message: str, error: bool = False) -> None:
        self.state = state
        self.headline.setText(headline)
        self.message.setText(message)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    # ------------------------------------------------------------------ states

    def show_idle(self, layers: int | None) -> None:
        """No layers go (or no model): nothing to choose."""
        self.choice = None
        self.chart.set_choice(None)
        self._controls()
        if layers is None:
            return self._say("no model", self.tr("No model open"),
                             self.tr("Open a model; when fewer decoder layers are asked for, this tab shows which layers "
                                     "go and why."))
        return self._say("idle", self.tr("All %n decoder layer(s) stay", None, layers),
                         self.tr("Set Decoder layers on the right below {layers} to remove whole layers. This tab then "
                                 "shows each layer's score and which ones go: the layers that change the residual stream "
                                 "least.").format(layers=layers))

    def show_invalid(self, message: str) -> None:
        self.choice = None
        self.chart.set_choice(None)
        self._controls()
        self._say("invalid", self.tr("No layer choice for these targets"), message, error=True)

    def show_choosing(self, total: int, kept: int, method: str, data: bool) -> None:
        self.choice = None
        self.chart.set_choice(None)
        self._controls(progress=True)
        self.progress.setRange(0, total if data else 0)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("starting…"))
        how = (self.tr("running the calibration text through the model to measure how much each layer changes the "
                       "residual stream") if data
               else self.tr("scoring each layer by its output projections' weights (no tokenizer)"))
        self._say("choosing", self.tr("Choosing layers: {total} → {kept} ({method})…").format(
                      total=total, kept=kept, method=method),
                  self.tr("Choosing which layers go: {how}. The window stays usable; the previews of the smaller model "
                          "follow when it is done.").format(how=how))

    def set_progress(self, stage: str, done: int, total: int) -> None:
        if self.state != "choosing":
            return
        if stage == "weights" or total <= 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        self.progress.setFormat(stage_text(stage, done, total))

    def show_cancelled(self) -> None:
        self._controls(choose=True)
        self._say("cancelled", self.tr("Layer choice cancelled"),
                  self.tr("Which layers go is chosen from the calibration text; Choose layers runs it again. Export and "
                          "Measure choose them too, when they start."))

    def show_failed(self, message: str) -> None:
        self._controls(choose=True)
        self._say("failed", self.tr("Cannot choose the layers"), message, error=True)

    def show_choice(self, choice, total: int, selected: int | None = None) -> None:
        """The core's LayerChoice for a model of ``total`` layers."""
        self.choice = choice
        self._controls()
        removed = choice.removed
        method = choice.method.value
        merged = "".join(self.tr("; layer {layer} absorbs {removed}").format(layer=k, removed=", ".join(map(str, v)))
                         for k, v in sorted(choice.merged.items()))
        what = translate("LayersView", _WHAT_HAPPENS[method]) if method in _WHAT_HAPPENS else method
        self._say("chosen", self.tr("Decoder layers {total} → {kept} ({method}): removes %n layer(s) {removed}", None,
                                    len(removed)).format(total=total, kept=len(choice.kept), method=method,
                                                         removed=", ".join(map(str, removed))),
                  self.tr("Score: {score}. The higher it is, the more the layer changes what flows through it; the %n "
                          "lowest go, {what}{merged}.", None, len(removed)).format(
                      score=core_sentence(choice.score_kind), what=what, merged=merged))
        self.chart.set_choice(choice, self.tr("each layer's score: the lowest go"), axis_label(choice.score_kind),
                              selected)

    def set_selected(self, layer: int | None) -> None:
        self.chart.set_selected(layer)

"""The Quality tab's requests: measure the current run, compare it with the other way to the same size or with each
method.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QFileDialog

from headmix.core.errors import HeadmixError, TargetError
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request
from headmix.core.shrink.methods import Method
from headmix.core.shrink.targets import check


#: the status bar says this when a measurement ends; a new plan clears it
QUALITY_MESSAGE = QT_TRANSLATE_NOOP("Quality", "Quality measured: ")


def quality_message() -> str:
    """:data:`QUALITY_MESSAGE` in the window's language."""
    return QCoreApplication.translate("Quality", QUALITY_MESSAGE)


class Quality:
    """The Quality tab's requests: measure the current run, compare it with the other way to the same size or with
    each method.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    # ------------------------------------------------------------------ quality

    def measure_quality(self) -> bool:
        """Measure the current plan on the Quality tab's text (in the background)."""
        plan = self.current_plan()
        return plan is not None and self.quality.measure(plan)

    def comparison_plans(self) -> list[tuple[str, ShrinkRun]] | None:
        """The current plan and the other way to the same size: fewer decoder layers for a plan that
        shrinks heads, fewer heads for one that removes layers; the other has the parameter count
        nearest the current plan's (of every layer count, or every buildable query/kv head pair)."""
        from ..quality_view import comparison_kind

        plan = self.current_plan()
        kind = comparison_kind(plan, self.arch)
        if kind is None:
            return None
        a, v = self.arch, self.panel.values()
        target = plan.params_after
        candidates = []
        if kind == "layers":
            layer_method = v["layer_method"]
            for n in range(1, a.num_layers):
                request = Request(method=plan.method, seed=plan.seed, num_layers=n, layer_method=layer_method)
                candidates.append(ShrinkRun.build(self.checkpoint, request, arch=a, importance=self.importance))
        else:
            layer, method = a.layers[0], plan.method
            for heads in range(1, layer.num_heads + 1):
                for kv in range(1, layer.num_kv_heads + 1):
                    try:
                        check(layer, heads, kv, layer.head_dim, method)
                    except TargetError:
                        continue
                    if (heads, kv) == (layer.num_heads, layer.num_kv_heads):
                        continue
                    request = Request(heads, kv, None, method, plan.seed)
                    try:
                        candidates.append(ShrinkRun.build(self.checkpoint, request, arch=a, importance=self.importance))
                    except HeadmixError:
                        continue
        if not candidates:
            return None
        other = min(candidates, key=lambda p: (abs(p.params_after - target), -p.params_after))
        heads, layers = (plan, other) if kind == "layers" else (other, plan)
        return [(self.tr("fewer heads"), heads), (self.tr("fewer layers"), layers)]

    def compare_quality(self) -> bool:
        """Quality tab: measure the current plan and the other way to the same size, side by side."""
        try:
            rows = self.comparison_plans()
        except HeadmixError as e:
            self.quality.show_problem(str(e))
            return False
        if rows is None:
            self.statusBar().showMessage(self.tr("Set head targets, or fewer decoder layers (not both), to compare them"), 8000)
            return False
        return self.quality.compare(rows)

    def method_plans(self) -> list[tuple[str, ShrinkRun | None, str, str | None]] | None:
        """The current targets with each method the model can use (calibrated with a tokenizer, mean, select, random,
        and article when the Quality tab asks): (method, plan or None, why not, its calibration text's hash or None)."""
        from ..calibration_text import check_calibration_text

        plan = self.current_plan()
        if plan is None:
            return None
        methods = ([Method.CALIBRATED] if self.has_tokenizer else []) + [Method.MEAN, Method.SELECT, Method.RANDOM]
        if self.quality.with_article.isChecked():
            methods.append(Method.ARTICLE)
        rows = []
        for method in methods:
            try:
                if method is plan.method:
                    other = plan  # the window's own: its calibration and layer choice are shared
                else:
                    request = self.request_for({**self.panel.values(), "method": method.value})
                    other = ShrinkRun.build(self.checkpoint, request, arch=self.arch, importance=self.importance)
            except HeadmixError as e:
                rows.append((method.value, None, str(e), None))
                continue
            sha = None
            if (other.method.sequential and other.layers) or (other.reduction is not None and other.reduction.data):
                found = check_calibration_text(self.checkpoint, self.arch, other.request.calib_text,
                                               other.request.calib_tokens)
                if found.problem is not None:
                    rows.append((method.value, None, self.tr("calibration text: {problem}").format(problem=found.problem), None))
                    continue
                sha = found.sha256
            rows.append((method.value, other, "", sha))
        return rows

    def compare_methods(self) -> bool:
        """Quality tab: measure the current targets with each method on its text, one after the other."""
        rows = self.method_plans()
        if rows is None:
            self.statusBar().showMessage(self.tr("Fix the highlighted target first: there is nothing to compare"), 8000)
            return False
        return self.quality.compare_methods(rows)

    def use_method(self, method: str) -> None:
        """A row of the methods table was clicked: the targets take that method (one undoable step)."""
        if self.panel.method.currentText() != method and self.panel.method.isEnabled():
            self.panel.method.setCurrentText(method)
            self.statusBar().showMessage(self.tr("Method: {method}").format(method=method), 5000)

    def choose_quality_text(self) -> QFileDialog:
        folder = self.settings.value("quality/text_folder", "") or str(Path.home())
        return self._file_dialog(self.tr("Choose a text to measure on"), folder, self._quality_text_chosen,
                                 self.tr("Text files (*.txt *.md *.rst);;All files (*)"))

    def _quality_text_chosen(self, path: str) -> None:
        self.settings.setValue("quality/text_folder", str(Path(path).parent))
        self.quality.use_text_file(path)

    def _quality_measured(self, result) -> None:
        if self.quality.shown is result:
            self.statusBar().showMessage(f"{quality_message()}{self.quality.summary.text().lower()}", 10000)

    def _quality_idle(self) -> None:
        if self._quit_after_measurement:
            self.close()

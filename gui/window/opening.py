"""Opening a model (file, folder, cache, drop, recent) through the session, and its importance scores in the
background.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from headmix.core.errors import HeadmixError, TargetError
from headmix.core.model.inspection import human_bytes, human_count
from headmix.core.shrink.layer_removal import LayerMethod, check_method, default_layer_method
from headmix.core.plan.request import Request
from headmix.core.shrink.targets import layer_example, layer_range

from ..cache_dialog import CacheDialog, fill_cache_menu
from ..workers import ImportanceWorker


class Opening:
    """Opening a model (file, folder, cache, drop, recent) through the session, and its importance scores in the
    background.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    def choose_file(self) -> QFileDialog:
        return self._file_dialog(self.tr("Open checkpoint"), self.settings.value("last_folder", ""), self.open_path,
                                 self.tr("Checkpoints (*.safetensors *.json);;All files (*)"))

    def fill_cache_menu(self) -> None:
        """List the Hugging Face cache's models in File → Open from cache (read when the menu opens)."""
        fill_cache_menu(self.cache_menu, self.open_path, self.open_from_cache)

    def open_from_cache(self) -> CacheDialog:
        """Every cached model in a table; the chosen snapshot folder opens like any model folder."""
        dialog = CacheDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.open_path)
        dialog.open()
        return dialog

    def choose_folder(self) -> QFileDialog:
        return self._file_dialog(self.tr("Open model folder"), self.settings.value("last_folder", ""), self.open_path,
                                 directory=True)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def open_path(self, path: str | Path) -> bool:
        """Open a checkpoint from its headers; on bad input say why and keep what was open."""
        self._stop_importance()
        try:
            checkpoint, arch = self.session.open(path)  # keeps what was open on bad input
        except HeadmixError as e:
            self.show_message(self.tr("Cannot open checkpoint"), str(e))
            return False
        self._stop_choice()
        self._stop_calibration()
        self._reductions.clear()
        self.final_plan = self.layer_choice = None
        self.tree_model.set_layer_choice(None)
        self.quality.set_model(checkpoint, arch)
        self.importance = {}
        self.selected_layer = arch.layers[0].index if arch.layers else 0
        self.selected_tensor = None
        self.quality.set_selected_layer(self.selected_layer)
        self.tree_model.set_checkpoint(checkpoint, arch)
        self.tree.expand(self.proxy.index(0, 0))
        self.tree.expand(self.proxy.index(1, 0, self.proxy.index(0, 0)))
        from ..tree_model import column_widths

        for col, width in enumerate(column_widths(self.tree.fontMetrics())):
            self.tree.setColumnWidth(col, width)
        self._show_model_label()
        self.setWindowTitle(f"headmix — {checkpoint.display_name}")
        self._remember(Path(checkpoint.path).resolve())
        self.panel.setEnabled(arch.usable)
        self.export_action.setEnabled(arch.usable)
        self.filter.clear()  # a filter typed for the last model would hide this one's tensors
        n = arch.num_layers
        self.panel.layers.setToolTip(self.tr("Layers to shrink: 'all', or numbers and ranges such as {example}; "
                                             "this model has layers {range}").format(example=layer_example(n),
                                                                                     range=layer_range(n)))
        self.panel.layers.setPlaceholderText(self.tr("all, or e.g. {example}").format(example=layer_example(n)))
        self.reset_action.setEnabled(arch.usable)
        if arch.usable:
            # A new model opens at its own shape; the last preset is applied again only when
            # asked (Presets → Apply last preset), never by itself.
            self.panel.set_method_available(
                "calibrated", self.has_tokenizer,
                self.tr("this model has no tokenizer.json to read a calibration text with"))
            try:
                check_method(arch, LayerMethod.FIT, self.has_tokenizer)
                fit_ok, why = True, ""
            except TargetError as e:
                fit_ok, why = False, str(e).removeprefix("layer method: ")
            self.panel.set_layer_method_available(LayerMethod.FIT.value, fit_ok, why)
            # like the method, the layer method opens at the model's default (fit where it can run)
            layer_method = default_layer_method(arch, self.has_tokenizer).value
            self.panel.set_num_layers_range(arch.num_layers)
            self.layers_view.show_idle(arch.num_layers)
            method = Request().method_for(self.has_tokenizer).value
            self.panel.set_values(arch.num_heads, arch.num_kv_heads, arch.head_dim, method, self.panel.seed.value(), "all",
                                  None, layer_method)
            self._start_importance()
        else:
            self.plan = None
            self.panel.show_model_shape(arch.num_heads, arch.num_kv_heads, arch.head_dim, arch.num_layers)
            reason = arch.description if not arch.recognised else (
                arch.problems[0] if len(arch.problems) == 1
                else self.tr("%n problem(s), listed on the left", None, len(arch.problems)))
            self.panel.show_summary(self.tr("Cannot shrink: {reason}").format(reason=reason),
                                    (checkpoint.num_parameters, checkpoint.size_on_disk), None, None, [],
                                    why=self.tr("nothing to export"))
            self.preview.show_mixing(0, None, self.tr("no attention recognised") if not arch.recognised else "")
            self.layers_view.show_idle(None)
            self.copy_command_action.setEnabled(False)
            self._enable_export()
            self._update_status()
        self.checkpoint_opened.emit(str(checkpoint.path))
        return True

    def _show_model_label(self) -> None:
        c, a = self.checkpoint, self.arch
        rope = f", rope θ={a.rope.theta:g}" if a.rope else ""
        heads = (self.tr("%n head(s)", None, a.num_heads) + (
            self.tr(" / {kv} kv").format(kv=a.num_kv_heads) if a.num_kv_heads != a.num_heads else "")) \
            if a.recognised else ""
        text = self.tr("<b>{name}</b> — {arch}: %n layer(s), hidden {hidden}, {heads}, head size {head_dim}{rope}<br>"
                       "{params} parameters, {dtype}, {size} on disk", None, a.num_layers).format(
            name=c.display_name, arch=a.name, hidden=a.hidden_size, heads=heads, head_dim=a.head_dim, rope=rope,
            params=human_count(c.num_parameters), dtype=c.dtype, size=human_bytes(c.size_on_disk)) if a.recognised else (
                f"<b>{c.display_name}</b>: {a.description}")  # fmt: skip
        if a.problems:
            count = self.tr("%n problem(s), listed below", None, len(a.problems))
            text += f"<br><span style='color:#c62828'>{count}</span>"
        self.model_label.setText(text)
        self.problems.set_problems(a.problems)

    # ------------------------------------------------------------------ importance

    def _start_importance(self) -> None:
        worker = ImportanceWorker(self.checkpoint, self.arch)
        worker.layer_done.connect(self._importance_layer_done)
        worker.progress.connect(self._importance_progress)
        worker.finished.connect(self._importance_finished)
        worker.failed.connect(self._importance_failed)
        worker.cancelled.connect(self.busy.hide)
        self.busy.setRange(0, len(self.arch.layers))
        self.busy.setValue(0)
        self.busy.setFormat(self.tr("importance %v/%m layers"))
        self.busy.show()
        self.importance_worker = worker.start(self.session.jobs)

    def _stop_importance(self) -> None:
        if self.importance_worker is not None:
            self.importance_worker.cancel()
            self.importance_worker.wait()
            self.importance_worker = None

    def _importance_layer_done(self, layer: int, scores) -> None:
        if self.sender() is not self.importance_worker:
            return
        self.importance[layer] = scores
        self.tree_model.set_importance(layer, scores)
        if layer == self.selected_layer:
            self._update_importance_chart()

    def _importance_progress(self, done, total) -> None:
        self.busy.setValue(int(done))

    def _importance_finished(self, _result) -> None:
        self.busy.hide()
        self._update_preview()
        self.importance_ready.emit()

    def _importance_failed(self, message: str) -> None:
        self.busy.hide()
        self.statusBar().showMessage(self.tr("Importance scores failed: {message}").format(message=message), 10000)

"""What the middle pane draws for the selected layer (matrices, weights, head importance) and the selection in the
tree.
"""

from __future__ import annotations

from headmix.core.errors import HeadmixError
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.model.stats import tensor_stats

from ..plan_text import status_line


class Preview:
    """What the middle pane draws for the selected layer (matrices, weights, head importance) and the selection in
    the tree.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    def _update_preview(self) -> None:
        if self.plan is None:
            return
        i = self.selected_layer
        plan, j, why = self._view()
        if plan is None:
            # fewer decoder layers: not chosen yet, or this layer is not in the smaller model
            self.preview.status.show_info("")
            self._step("matrices", lambda: self.preview.show_mixing(i, None, why))
            if self.preview.toggle.isChecked():
                name = self.arch.layer(i).tensor_for(self.preview.role.currentText())
                self._step("weights", lambda: self.preview.show_weights(name, None, None, None, why))
            self._step("importance chart", self._update_importance_chart,
                       on_error=lambda m: self.preview.importance.set_scores(None, None, m))
            return
        reduced = plan is not self.plan
        # the smaller model's layer j is the source's layer i: say both
        title = self._layer_title(j)
        changed = j in plan.layers
        scores_ready = self._heads_ready if reduced else len(self.importance) >= len(self.arch.layers)
        waiting = changed and plan.method.needs_scores and not scores_ready
        calibrating = changed and plan.method.sequential and not plan.calibrated(j)
        stopped = self._calibration_stop if self._calibration_stop is not None and self._calibration_stop[0] is plan else None
        if calibrating and stopped is not None:
            # cancelled, or failed: not run again by itself (Calibrate on the line below the title does)
            _, note, failed = stopped
            waiting = True
            self.preview.status.show_stopped(note + self.tr(" · Calibrate runs it again") if not failed else note, failed)
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        elif calibrating:
            # a calibrated layer is fitted after every layer before it: run the walk in the background
            self._start_calibration(plan, j)
            self.preview.status.show_calibrating(self._calibration_note, *self._calibration_step)
            note = self.tr("calibrating… (progress below)")
            waiting = True
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        elif waiting:
            # select needs every layer's scores (rotary pairs are chosen model-wide); computing
            # them here would freeze the window on a large model, so wait for the worker.
            note = (self._choice_note or self.tr("waiting for the head scores of the smaller model")) if reduced else \
                self.tr("waiting for importance scores ({done}/{total} layers)").format(
                    done=len(self.importance), total=len(self.arch.layers))
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        else:
            self._step("matrices", lambda: self.preview.show_mixing(
                i, plan.heatmaps(j), plan.method if changed else self.tr("unchanged (identity)"), title,
                plan.stacked_heatmaps(j)),
                on_error=lambda m: self.preview.show_mixing(i, None, m, title))
        if not calibrating:
            self._step("status line", lambda: self.preview.status.show_info(status_line(plan, j) if changed else ""),
                       on_error=self.preview.status.show_info)
        if self.preview.toggle.isChecked():
            role = self.preview.role.currentText()
            name = plan.layer(j).tensor_for(role)
            if waiting:
                self._step("weights", lambda: self.preview.show_weights(name, None, None, None, note))
            else:
                self._step("weights", lambda: self._draw_weights(plan, j, role),
                           on_error=lambda m: self.preview.show_weights(name, None, None, None, m))
        self._step("importance chart", self._update_importance_chart,
                   on_error=lambda m: self.preview.importance.set_scores(None, None, m))
        if not waiting and plan is self.plan and plan.reduces_rotary_pairs and plan.method.chooses_pairs:
            # the rotary pairs chosen from scores are known now: the verdicts can say what they are, not the worst case
            self._step("summary", self._show_summary)

    def _output_index(self, layer: int | None) -> int | None:
        """Where a source layer is in the plan's output (None: removed, or not chosen yet)."""
        if layer is None or self.plan is None or self.plan.reduction is None:
            return layer
        if self.layer_choice is None or layer not in self.layer_choice.kept:
            return None
        return self.layer_choice.kept.index(layer)

    def _view(self) -> tuple[ShrinkRun | None, int | None, str]:
        """What the previews draw for the selected layer: (plan, its index there, "") or, when the
        plan cannot show it, (None, None, why): layers not chosen yet, or the layer removed."""
        plan, i = self.plan, self.selected_layer
        if plan is None or plan.reduction is None:
            return plan, i, ""
        if self.layer_choice is None or self.final_plan is None:
            return None, None, self._choice_note or self.tr("choosing layers…")
        if i not in self.layer_choice.kept:
            into = self.tree_model.merged_into(i)
            return None, None, self.tr("removed: no matrices") + (
                self.tr(" (averaged into layer {layer})").format(layer=into) if into is not None else "")
        return self.final_plan, self.layer_choice.kept.index(i), ""

    def _layer_title(self, j: int) -> str | None:
        """The mixing title for the smaller model's layer ``j`` when it is not the source's selected layer's number."""
        i = self.selected_layer
        return self.tr("Layer {source} → {kept}").format(source=i, kept=j) if self.plan is not None and self.plan.reduction is not None and i != j else None

    def _draw_weights(self, plan: ShrinkRun, i: int, role: str) -> None:
        from headmix.core.model.layer_weights import read_attention

        from ..alignment import unit_sources

        layer = plan.layer(i)
        name = layer.tensor_for(role)
        if i in plan.layers:
            before, after = plan.canonical_preview(i, role)
            sources = unit_sources(plan.mixing(i), role, before.shape[0])
            self.preview.show_weights(name, before, after, sources)
        else:
            before = read_attention(plan.checkpoint, layer, (role,))[role]
            before = before.reshape(-1, before.shape[-1])
            self.preview.show_weights(name, before, before, None, self.tr("layer unchanged by these targets: after = before"))

    def _update_importance_chart(self) -> None:
        i = self.selected_layer
        scores = self.importance.get(i)
        if scores is None or self.plan is None:
            self.preview.importance.set_scores(None, None, self.tr("layer {layer}: computing…").format(layer=i)
                                               if scores is None else "")
            return
        plan, j, why = self._view()
        if plan is None:  # the source layer's own scores, and why there is nothing more to show
            self.preview.importance.set_scores(scores.q_heads, None, self.tr("layer {layer}: {why}").format(layer=i, why=why),
                                               self.arch.layer(i).num_kv_heads)
            return
        name = self.tr("layer {layer}").format(layer=i) if j == i else self.tr("layer {layer} (→ {kept})").format(
            layer=i, kept=j)
        if plan is not self.plan:  # the smaller model's layer: averaged by merge, so its own scores
            if not self._heads_ready:
                note = self._choice_note or self.tr("reading head scores…")
                self.preview.importance.set_scores(None, None, f"{name}: {note}")
                return
            scores = plan.importance(j)
        from ..importance_legend import colouring

        shown = colouring(plan, j) if j in plan.layers else None
        if shown is None:
            self.preview.importance.set_scores(scores.q_heads, None, self.tr("{layer}: unchanged by these targets").format(
                                               layer=name),
                                               plan.layer(j).num_kv_heads, (self.tr("score"), ""))
            return
        self.preview.importance.set_scores(scores.q_heads, shown.kept, f"{name}: {shown.title}", plan.layer(j).num_kv_heads,
                                           (shown.keeps, shown.drops))

    def _quality_layer_clicked(self, index: int) -> None:
        """The Quality tab's chart counts the measured model's layers: map them back to the source's."""
        shown = self.quality.shown
        if (self.plan is not None and self.plan.reduction is not None and self.layer_choice is not None
                and shown is not None and len(shown.layers) == len(self.layer_choice.kept)):
            index = self.layer_choice.kept[index]
        self.select_layer_everywhere(index)

    # ------------------------------------------------------------------ tree selection

    def _tree_current_changed(self, current, _previous) -> None:
        node = self.tree_model.node(self.proxy.mapToSource(current))
        if node.layer is not None and node.layer != self.selected_layer:
            self.select_layer(node.layer)
        if node.kind == "tensor" and node.tensor:
            self.show_tensor(node.tensor)
        elif node.kind == "head" and node.tensor:
            self.show_head(node.tensor, node.layer, node.head, node.head_axis)

    def select_layer(self, index: int) -> None:
        self.selected_layer = index
        self.quality.set_selected_layer(self._output_index(index))
        self.layers_view.set_selected(index)
        self._update_preview()

    def select_layer_everywhere(self, index: int) -> None:
        """Select a layer as if picked in the tree (the tree follows when the layer is shown there)."""
        for node in self.tree_model.iter_nodes():
            if node.kind == "layer" and node.layer == index:
                proxy_index = self.proxy.mapFromSource(self.tree_model.createIndex(node.row(), 0, node))
                if proxy_index.isValid():
                    self.tree.setCurrentIndex(proxy_index)
                    self.tree.scrollTo(proxy_index)
                break
        if self.selected_layer != index:
            self.select_layer(index)

    def show_tensor(self, name: str) -> None:
        """Histogram and statistics of one tensor, read on demand."""
        self.selected_tensor = name
        try:
            stats = tensor_stats(self.checkpoint.read(name))
        except HeadmixError as e:
            self.statusBar().showMessage(str(e), 10000)
            return
        self.preview.histogram.set_stats(name, stats)

    def show_head(self, tensor: str, layer: int, head: int, axis: str) -> None:
        """Histogram and statistics of one head's slice of a tensor (a head row of the tree)."""
        from ..head_values import head_values

        self.selected_tensor = tensor
        try:
            title, values = head_values(self.checkpoint, self.arch.layer(layer), tensor, head, axis)
            stats = tensor_stats(values)
        except HeadmixError as e:
            self.statusBar().showMessage(str(e), 10000)
            return
        self.preview.histogram.set_stats(title, stats)

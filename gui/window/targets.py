"""The targets panel's values into the session: the run they describe, its undo history, the command line, the
summary and the status bar.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QFileDialog

from headmix.core.errors import HeadmixError, TargetError
from headmix.core.shrink.layer_removal import LayerMethod
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.shrink.methods import Method
from headmix.core.shrink.targets import choices

from ..session_words import session_text
from .quality import quality_message


class Targets:
    """The targets panel's values into the session: the run they describe, its undo history, the command line, the
    summary and the status bar.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    # ------------------------------------------------------------------ planning

    def refresh(self) -> None:
        """Rebuild the plan from the controls, then redraw every view from it.

        The plan is the one Export runs. Each view is drawn by its own step: a step that fails
        shows its own message and never stops the others, so the summary always describes
        the plan that Export would write.
        """
        if self.arch is None or not self.arch.usable:
            return
        layer = self.arch.layers[0]
        for _ in range(3):  # offering valid values can move a spin box; settle the three together
            values = self.panel.values()
            self.panel.set_choices(
                choices(layer, Method(values["method"]), values["heads"], values["kv_heads"], values["head_dim"])
            )
            if self.panel.values() == values:
                break
        values = self.panel.values()
        self.panel.clear_errors()
        self.panel.set_rotary_available(*self.rotary_pairs_use(values))
        self.panel.set_calibration_available(*self.calibration_use(values))
        self.calibration_text = None
        try:
            plan = ShrinkRun.build(self.checkpoint, self.current_request(), arch=self.arch, importance=self.importance)
            self._check_calibration_text(plan)
            plan = self.recent_plans.reuse(plan, self.calibration_text.sha256 if self.calibration_text else None)
        except HeadmixError as e:
            self.plan = None
            self._plan_changed()
            self.preview.status.show_info("")
            self.panel.show_error(e.field if isinstance(e, TargetError) else None, str(e))
            if isinstance(e, TargetError) and e.field == "num_layers":
                self.layers_view.show_invalid(str(e))
            self._step("summary", lambda: self.panel.show_summary(
                self.tr("Fix the highlighted target."), (self.checkpoint.num_parameters, self.checkpoint.size_on_disk),
                None, None, [], decoder=self.tr("Decoder layers: {total}").format(total=self.arch.num_layers),
                why=self.tr("no plan for these targets")))
            self._enable_export()
            self._step("matrices", lambda: self.preview.show_mixing(self.selected_layer, None, self.tr("invalid targets")))
            self._refreshed(values)
            return
        if plan is not self.plan:
            self._calibration_stop = None  # a cancel was about the targets before: these calibrate by themselves
        self.plan = plan
        self._plan_changed()
        self._plan_values = values
        self._step("summary", self._show_summary)
        self._enable_export()
        self._update_preview()
        self._refreshed(values)

    def _check_calibration_text(self, plan: ShrinkRun) -> None:
        """A plan that reads its calibration text needs one it can use: said next to the control at once."""
        from ..calibration_text import check_calibration_text

        uses = (plan.method.sequential and bool(plan.layers)) or (plan.reduction is not None and plan.reduction.data)
        if not uses:
            return
        request = plan.request
        found = check_calibration_text(self.checkpoint, self.arch, request.calib_text, request.calib_tokens)
        if found.problem is not None:
            # the file by its name next to the control (the list's tooltip has its path)
            problem = found.problem
            if request.calib_text is not None:
                problem = problem.replace(found.source, Path(found.source).name)
            raise TargetError(self.tr("calibration text {problem}").format(problem=problem), field="calib_text")
        self.calibration_text = found

    def choose_calibration_text(self) -> QFileDialog:
        folder = self.settings.value("calibration/text_folder", "") or self.settings.value("quality/text_folder", "") \
            or str(Path.home())
        return self._file_dialog(self.tr("Choose a calibration text"), folder, self._calibration_text_chosen,
                                 self.tr("Text files (*.txt *.md *.rst);;All files (*)"))

    def _calibration_text_chosen(self, path: str) -> None:
        self.settings.setValue("calibration/text_folder", str(Path(path).parent))
        self.panel.use_calib_file(path)

    def _plan_changed(self) -> None:
        """A new plan (or none): what was chosen or calibrated for the last one no longer applies."""
        self.final_plan = self.layer_choice = None
        self._heads_ready = False
        if self.statusBar().currentMessage().startswith(quality_message()):
            self.statusBar().clearMessage()  # it was about the targets before these
        if self.choice_worker is not None and self.choice_worker.plan is not self.plan:
            self._stop_choice()  # its plan is gone
        if self.calibration_worker is not None and not self._is_current(self.calibration_worker.plan):
            self._stop_calibration()  # its plan is gone
        plan = self.plan
        if plan is None or plan.reduction is None:
            self.tree_model.set_layer_choice(None)
            if plan is not None:
                self.layers_view.show_idle(self.arch.num_layers)
            return
        # An earlier choice on the same text answers at once (drop and merge need only its scores);
        # otherwise, and always for the kept layers' head scores, a worker runs.
        for earlier in self._reductions:
            if plan.reduction.reuse(earlier):
                self._show_choice(plan, plan.final())
                break
        else:
            self.tree_model.set_layer_choice(None)
        self._start_choice(plan)

    def _is_current(self, plan) -> bool:
        return plan is not None and (plan is self.plan or plan is self.final_plan)

    def _refreshed(self, values: dict) -> None:
        self._record(values)
        sha = self.calibration_text.sha256 if self.plan is not None and self.calibration_text is not None else None
        self.quality.set_calibration_text(sha)
        self._step("quality", lambda: self.quality.set_plan(self.plan),
                   on_error=lambda m: self.quality.show_problem(m))
        self._step("status bar", self._update_status)
        self.copy_command_action.setEnabled(self.plan is not None)
        self.plan_changed.emit()

    # ------------------------------------------------------------------ undo, reset, command, status

    def _record(self, values: dict) -> None:
        """The session holds the targets the controls settled on (one undoable change, unless undo/redo set them)."""
        self.session.set_values(values)

    def _values_set(self, values: dict) -> None:
        """Undo or redo set the session's targets: the controls follow (a change the user made shows already)."""
        if self.session.restoring and values != self.panel.values():
            self.apply_values(values)

    def _undo_changed(self) -> None:
        undo = self.session.undo
        self.undo_action.setEnabled(undo.can_undo())
        self.undo_action.setText(self.tr("&Undo {what}").format(what=session_text(undo.undo_text())).rstrip())
        self.redo_action.setEnabled(undo.can_redo())
        self.redo_action.setText(self.tr("&Redo {what}").format(what=session_text(undo.redo_text())).rstrip())

    def apply_values(self, values: dict) -> None:
        """Set the controls to ``values`` as undo/redo does: without recording a new change."""
        self.session.restoring = True
        try:
            self.panel.set_values(values["heads"], values["kv_heads"], values["head_dim"], values["method"],
                                  values["seed"], values["layers"], values.get("num_layers"),
                                  values.get("layer_method", LayerMethod.DROP.value),
                                  values.get("rotary_pairs", "progression"), values.get("calib_text"),
                                  values.get("calib_tokens", 4096))
        finally:
            self.session.restoring = False

    def reset_targets(self) -> None:
        """Query heads, kv heads, head size and decoder layers back to the model's own, on all layers, rotary pairs
        back to a progression (undoable)."""
        a = self.arch
        if a is None or not a.usable:
            return
        v = self.panel.values()
        self.panel.set_values(a.num_heads, a.num_kv_heads, a.head_dim, v["method"], v["seed"], "all", None,
                              v["layer_method"], rotary_pairs="progression")

    def command_line(self) -> str | None:
        """The ``headmix shrink …`` line that exports what the controls say."""
        plan = self.current_plan()
        if plan is None:
            return None
        return plan.request.command_line(self.checkpoint.argument, self.proposed_export_folder(plan))

    def copy_command(self) -> None:
        line = self.command_line()
        if line is None:
            self.statusBar().showMessage(self.tr("Fix the highlighted target first: there is no command for it"), 8000)
            return
        QApplication.clipboard().setText(line)
        self.statusBar().showMessage(self.tr("Copied: {line}").format(line=line), 10000)

    def _update_status(self) -> None:
        c, a, plan = self.checkpoint, self.arch, self.plan
        if c is None:
            text = self.tr("No model open")
        elif not a.usable:
            text = self.tr("{name} · {arch} · read-only").format(
                name=c.display_name, arch=a.name if a.recognised else self.tr("attention not recognised"))
        elif plan is None:
            text = self.tr("{name} · {arch} {heads}×{head_dim}, kv {kv} · invalid targets").format(
                name=c.display_name, arch=a.name, heads=a.num_heads, head_dim=a.head_dim, kv=a.num_kv_heads)
        else:
            saved = 100 * (1 - plan.params_after / max(plan.params_before, 1))
            layers = self.tr("all layers") if plan.resolved.layers is None else self.tr("layers {layers}").format(
                layers=plan.resolved.layers_text)
            if plan.reduction is not None:
                layers = self.tr("decoder layers {total} → {kept} ({method})").format(
                    total=a.num_layers, kept=plan.reduction.num_layers, method=plan.reduction.method)
            text = self.tr("{name} · {arch} {heads}×{head_dim}, kv {kv} → {new_heads}×{new_head_dim}, kv {new_kv} · "
                           "{method} · {layers} · {saved}% smaller").format(
                name=c.display_name, arch=a.name, heads=a.num_heads, head_dim=a.head_dim, kv=a.num_kv_heads,
                new_heads=plan.num_heads, new_head_dim=plan.head_dim, new_kv=plan.num_kv_heads, method=plan.method,
                layers=layers, saved=QLocale().toString(saved, "f", 1))
            if self.choice_worker is not None and self.layer_choice is None:
                text += self.tr(" · choosing layers")
            elif self.calibration_worker is not None:
                text += self.tr(" · calibrating")
            if self.export_worker is not None:
                text += self.tr(" · exporting")
        self.plan_status.setText(text)

    def current_plan(self) -> ShrinkRun | None:
        """The plan for the controls as they are now (rebuilt if a typed entry is still pending)."""
        if self.plan is None or self.panel.values() != self._plan_values:
            self.refresh()
        return self.plan

    def _step(self, name: str, draw, on_error=None) -> bool:
        """Run one drawing step; on failure say so in that view's place and carry on."""
        try:
            draw()
            return True
        except Exception as e:  # noqa: BLE001 - one view failing must never stop the others
            message = f"cannot show the {name}: {type(e).__name__}: {e}" if not isinstance(e, HeadmixError) else str(e)
            traceback.print_exc()
            try:
                (on_error or (lambda m: self.statusBar().showMessage(m, 10000)))(message)
            except Exception:  # noqa: BLE001
                traceback.print_exc()
            return False

    def _enable_export(self) -> None:
        ok = self.plan is not None and self.export_worker is None and getattr(self, "heal_worker", None) is None
        self.export_action.setEnabled(ok)
        self.panel.export_button.setEnabled(ok)

    def _show_summary(self) -> None:
        plan = self.plan
        decoder = self.tr("Decoder layers: {total}").format(total=self.arch.num_layers)
        if plan.reduction is not None:
            decoder += f" → {plan.reduction.num_layers} ({plan.reduction.method})"
        self.panel.show_summary(
            self.tr("{arch}: {heads}×{head_dim} → {new_heads}×{new_head_dim} heads, kv {kv} → {new_kv}").format(
                arch=self.arch.name, heads=self.arch.num_heads, head_dim=self.arch.head_dim, new_heads=plan.num_heads,
                new_head_dim=plan.head_dim, kv=self.arch.num_kv_heads, new_kv=plan.num_kv_heads),
            (plan.params_before, plan.bytes_before), (plan.params_after, plan.bytes_after), plan.verdicts(),
            plan.warnings, decoder=decoder,
        )

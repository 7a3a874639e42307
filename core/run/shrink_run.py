"""What runs a plan: :class:`ShrinkRun` holds one immutable :class:`~plan.planner.Plan` and everything
that changes while it is carried out.

A plan says what a shrink will do, from headers and the seed alone. A run computes it: each
changed layer's matrices on demand (``select`` scores that layer's weights first, the
calibrated method walks its text layer by layer), the rotary pairs kept once chosen, the
progress and cancel callbacks a calibration reports to, and, when layers go, the choice of
layers and the run on the plan of the layers kept (:meth:`ShrinkRun.final`). The window keeps
one run per plan so that a preview, a measurement and the export share what was computed.

Verdicts: the plan's are the worst case (the rotary pairs a choice from scores could give);
a run's are on the pairs actually kept once they are chosen.

The run reads the plan's description through attribute access (``run.layers``, ``run.arch``,
``run.describe()``...): what is not the run's own is the plan's, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import __version__
from ..errors import TargetError
from ..io.text import Sample, Settings, prepare_text, read_calibration_text
from ..model.importance import Importance, layer_importance, summed_pair_scores
from ..model.layer_weights import read_attention
from ..model.rope import best_progression
from ..plan.export_config import export_config
from ..plan.planner import Plan
from ..plan.request import Request, Resolved
from ..plan.runtimes import Verdict
from ..shrink.methods import HEATMAPS, LayerMixing, Method, head_matrices, layer_mixing, top
from ..shrink.mixing import apply_role, mix_tensor
from ..shrink.targets import check, format_layers
from .calibration import CalibrationOptions, Calibrator, LayerFit

#: ``progress(done, total)``
Progress = Callable[[int, int], None]


class ShrinkRun:
    """One plan being carried out: the caches, the calibrator, the kept rotary pairs, progress and cancel."""

    def __init__(self, plan: Plan, importance: dict[int, Importance] | None = None,
                 calibration_options: CalibrationOptions | None = None):
        """``importance`` is a cache of layer scores shared between runs (the window keeps one per
        model, so changing a spin box never re-reads weights)."""
        self.plan = plan
        self._mixing: dict[int, LayerMixing] = {}
        self._importance: dict[int, Importance] = importance if importance is not None else {}
        self._kept_pairs: np.ndarray | None = None
        self._calibrator: Calibrator | None = None
        self._sample: Sample | None = None
        #: where a calibration reports progress and asks whether to stop (set by whoever runs it)
        self.calibration_progress: Progress | None = None
        self.calibration_cancelled: Callable[[], bool] | None = None
        self.calibration_options = calibration_options
        #: the run on the layers kept (itself when no layers go), once they are chosen
        self._final: ShrinkRun | None = self if plan.layers_chosen else None

    @classmethod
    def build(cls, checkpoint, request: Request | Resolved, arch=None, importance: dict[int, Importance] | None = None,
              ) -> ShrinkRun:
        """A run of :meth:`Plan.build`'s plan (the same arguments)."""
        return cls(Plan.build(checkpoint, request, arch), importance)

    @classmethod
    def of(cls, plan: Plan | ShrinkRun) -> ShrinkRun:
        """``plan`` itself when it is a run already (its caches reused), else a fresh run of it."""
        return plan if isinstance(plan, ShrinkRun) else cls(plan)

    def __getattr__(self, name: str):
        # the plan's description (reached only for names the run does not have itself)
        if name == "plan":
            raise AttributeError(name)
        return getattr(self.plan, name)

    def __repr__(self) -> str:
        return f"ShrinkRun({self.plan!r})"

    # ------------------------------------------------------------------ fewer layers

    def final(self, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> ShrinkRun:
        """The run on the layers actually kept (this run when no layers go); chooses them on first call."""
        if self._final is None:
            choice = self.plan.reduction.choice(progress, cancelled, ids=lambda: self.calibration_sample().windows.ids)
            final = ShrinkRun(self.plan.on_kept_layers(choice), calibration_options=self.calibration_options)
            # the same text through the same tokenizer files: the kept layers' calibration reuses it
            final._sample = self._sample
            self._final = final
        return self._final

    # ------------------------------------------------------------------ per layer (computed on demand)

    def importance(self, index: int) -> Importance:
        """Importance scores of one layer (reads its four attention tensors once)."""
        if index not in self._importance:
            self._importance[index] = layer_importance(self.checkpoint, self.layer(index))
        return self._importance[index]

    @property
    def calibrator(self) -> Calibrator:
        """The calibrated method's sequential walk over its text (built on first use; reads the tokenizer)."""
        if self._calibrator is None:
            self._calibrator = Calibrator(self, self.calibration_sample(), self.calibration_options or CalibrationOptions(),
                                          progress=self.calibration_progress, cancelled=self.calibration_cancelled)
            self._mixing = self._calibrator.mixings
        return self._calibrator

    def calibration_sample(self) -> Sample:
        """The calibration text, tokenised once per run: the layer choice and the calibrated method of the run
        on the kept layers share it (a run on fewer layers reads the same tokenizer files)."""
        if self._sample is None:
            request = self.request
            config = self.arch.config or {}
            positions = next((config[k] for k in self.arch.family.keys.max_positions if isinstance(config.get(k), int)), 512)
            window = min(512, request.calib_tokens, positions)
            options = self.calibration_options or CalibrationOptions()
            self._sample = prepare_text(self.checkpoint, read_calibration_text(request.calib_text),
                                        Settings(window=window, max_tokens=request.calib_tokens, bos=options.bos))
        return self._sample

    def _calibrators(self) -> list[Calibrator]:
        """The calibrators of this run and of its run on the chosen layers (the same run when no layers were chosen)."""
        runs = {id(r): r for r in (self, self._final) if r is not None}.values()
        return [run._calibrator for run in runs if run._calibrator is not None]

    def calibrated_layers(self) -> int:
        """How many layers the calibrated method has fitted here and in the run on the chosen layers: the work that
        coming back to this plan would otherwise repeat (the other methods' layers take milliseconds)."""
        return sum(len(calibrator.mixings) for calibrator in self._calibrators())

    def calibrated(self, index: int) -> bool:
        """Whether the calibrated method has fitted layer ``index`` already, so that ``mixing(index)`` returns
        without walking the text (the window shows "calibrating…" until then)."""
        return self._calibrator is not None and self._calibrator.ready(index)

    def calibration_fit(self, index: int) -> LayerFit | None:
        """How well the calibrated layer ``index`` reproduces the original on the calibration text, once fitted."""
        return None if self._calibrator is None else self._calibrator.fits.get(index)

    def known_pair_scores(self) -> np.ndarray | None:
        """The scores the kept rotary pairs are chosen by, when already computed (never computes them: the window
        asks on every repaint): the calibrated method's first pass, or ``select``'s summed weight-norm scores once
        every changed layer is scored."""
        if self.method is Method.CALIBRATED:
            return None if self._calibrator is None else self._calibrator.known_pair_scores()
        if self.method is Method.SELECT and all(i in self._importance for i in self.layers):
            return summed_pair_scores((self._importance[i] for i in self.layers), self.arch.head_dim // 2)
        return None

    def close(self) -> None:
        """Let go what a suspended calibration walk holds (its activations, the layer read ahead), here and in the
        run on the chosen layers; what was computed stays, and asking for more walks again."""
        for calibrator in self._calibrators():
            calibrator.close()

    def release(self, index: int) -> None:
        """Drop a layer's computed arrays once they are written (a calibrated layer's refitted projection is large)."""
        mixing = self._mixing.get(index)
        if mixing is not None:
            mixing.replace.clear()

    @property
    def kept_pairs(self) -> np.ndarray | None:
        """Rotary pairs kept in every changed layer, or None when no rotary head size changes.

        One set for the whole model, because config.json holds one rope: ``select`` sums
        each layer's normalised pair scores (reading every changed layer's weights once),
        the other methods keep evenly spaced pairs.
        """
        if not self.reduces_rotary_pairs:
            return None
        if self._kept_pairs is None:
            half, new_half = self.arch.head_dim // 2, self.head_dim // 2
            any_subset = self.request.rotary_pairs == "any" and "longrope" in self.arch.family.rope_types
            if not self.method.chooses_pairs:
                pairs = self.plan.spaced_pairs()
            else:
                if self.method is Method.CALIBRATED:
                    total = self.calibrator.pair_scores()
                else:
                    total = summed_pair_scores((self.importance(i) for i in self.layers), half)
                pairs = top(total, new_half) if any_subset else best_progression(total, new_half, start_at_zero=self.plan.pairs_from_zero)
            self._kept_pairs = np.asarray(pairs, dtype=np.int64)
        return self._kept_pairs

    def mixing(self, index: int) -> LayerMixing:
        """The matrices and scales for one changed layer, built once."""
        if index not in self.layers:
            raise KeyError(f"layer {index} is not changed by this plan")
        if index not in self._mixing and self.method.sequential:
            return self.calibrator.mixing(index)
        if index not in self._mixing:
            scores = self.importance(index) if self.method.needs_scores else None
            self._mixing[index] = layer_mixing(
                self.method, self.layer(index), self.num_heads, self.num_kv_heads, self.head_dim, scores,
                self.rng(index), self.kept_pairs, self.new_scale_base,
            )
        return self._mixing[index]

    def stacked_heatmaps(self, index: int) -> set[str]:
        """Which of ``heatmaps(index)`` stack one matrix per old head (their rows are old head · dim, not dims)."""
        if index not in self.layers:
            return set()
        matrices = self.mixing(index).matrices()
        return {key for key in HEATMAPS if matrices[key].ndim == 3}

    def heatmaps(self, index: int) -> dict[str, np.ndarray]:
        """The matrices the window draws for one layer: identities where the layer is unchanged."""
        if index in self.layers:
            return self.mixing(index).heatmaps()
        layer = self.layer(index)
        unchanged = layer_mixing(Method.MEAN, layer, layer.num_heads, layer.num_kv_heads, layer.head_dim, None,
                                 self.rng(index), None)
        return unchanged.heatmaps()

    def kept_by_select(self, index: int) -> np.ndarray | None:
        """Which query heads ``select`` would keep in this layer at these targets (a bool per head).

        None when select cannot reach these head counts (its kv heads are single kept heads,
        so fewer query heads per kv head are reachable than by the grouping methods).
        """
        layer = self.layer(index)
        try:
            check(layer, self.num_heads, self.num_kv_heads, layer.head_dim, Method.SELECT)
        except TargetError:
            return None
        q, _ = head_matrices(Method.SELECT, layer, self.num_heads, self.num_kv_heads, self.importance(index), self.rng(index))
        return q.any(axis=1)

    def preview(self, index: int, role: str) -> tuple[np.ndarray, np.ndarray]:
        """One stored weight tensor of a changed layer, before and after, in float32."""
        layer = self.layer(index)
        name = layer.names[role]
        before = self.checkpoint.read_float(name)
        return before, mix_tensor(layer, self.mixing(index), name, before, "F32")

    def canonical_preview(self, index: int, role: str) -> tuple[np.ndarray, np.ndarray]:
        """One projection of a changed layer in the canonical ``(heads·dims, hidden)`` form, before and after."""
        layer = self.layer(index)
        before = read_attention(self.checkpoint, layer, (role,))[role]
        after = apply_role(layer, self.mixing(index), role, before)
        return before.reshape(-1, before.shape[-1]), after.reshape(-1, after.shape[-1])

    # ------------------------------------------------------------------ the export

    def new_config(self) -> dict | None:
        """config.json for the export: the new head shape, and every rope key each runtime reads."""
        shape = None if self.identity or self.partial else (self.num_heads, self.num_kv_heads, self.head_dim)
        return export_config(self.checkpoint.config, self.arch, shape, self.kept_pairs if shape else None,
                             self.new_scale_base, self.exported_family)

    def verdicts(self, exact: bool = False) -> list[Verdict]:
        """The plan's verdicts on the rotary pairs this run kept, once chosen (the plan alone gives the worst
        case); ``exact``: on what the export wrote, for headmix.json."""
        plan = self.plan
        writes_pairs = plan.reduces_rotary_pairs and not plan.partial
        return plan.verdicts(self._kept_pairs, self.new_config() if exact and writes_pairs else None, exact)

    def describe(self) -> str:
        """The plan's dry-run text, its verdicts on the pairs kept when this run has chosen them."""
        return self.plan.describe(self.verdicts())

    def provenance(self) -> dict:
        """headmix.json: enough to inspect and reproduce the shrink (read after the export computed it)."""
        ok, reason = self.loadability
        return {
            "headmix_version": __version__,
            "source": str(self.source_checkpoint.path.resolve()),
            "source_header_sha256": self.source_checkpoint.header_digest(),
            **({"layer_reduction": self.choice.to_json()} if self.choice is not None else {}),
            "architecture": self.arch.name,
            "method": self.method.value,
            "seed": self.seed,
            "request": self.request.to_json(),
            "targets": {
                "num_heads": self.num_heads,
                "num_kv_heads": self.num_kv_heads,
                "head_dim": self.head_dim,
                "layers": format_layers(self.resolved.layers),
            },
            "source_shape": {
                "num_heads": self.arch.num_heads,
                "num_kv_heads": self.arch.num_kv_heads,
                "head_dim": self.arch.head_dim,
            },
            "changed_layers": list(self.layers),
            "kept_rotary_pairs": None if self.kept_pairs is None else [int(p) for p in self.kept_pairs],
            "parameters": {"before": self.params_before, "after": self.params_after},
            "loads_in_transformers": ok,
            "verdict": reason,
            "runtimes": [v.to_json() for v in self.verdicts(exact=True)],
            "warnings": list(self.warnings),
            "matrices": "headmix_matrices.npz",
            **({"calibration": self._calibrator.report().to_json()} if self._calibrator is not None else {}),
        }

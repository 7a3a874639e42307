"""A numpy forward pass for every family headmix knows, streamed one layer at a time.

headmix must measure the model it makes without torch. This runs a checkpoint the way stock
``transformers`` does (the tests compare logits and hidden states with it on tiny random
models of every family and rope type), in float32 whatever the checkpoint's dtype.

It streams: all tokens (every evaluation window, as one ``(windows, length, hidden)``
batch) go through layer 0, then layer 1, ...; :class:`~pipeline.LayerPipeline` reads each
layer's weights while the previous one computes, so memory holds about two layers plus the
hidden states, whatever the model size. Inside a layer the windows are processed in pieces
of :data:`~parallel.CHUNK_TOKENS` tokens and attention in blocks of query rows, so no
temporary grows with the text; the output head is read in row blocks and the loss is
accumulated block by block (an online log-sum-exp), so ``vocab × tokens`` logits never exist
at once.

The pass is split by what each part holds, bottom up:

- :mod:`forward_spec`: what to run, read once from config.json (:func:`~forward_spec.model_spec`,
  :func:`~forward_spec.attention_spec`, the rotary frequencies, sliding windows);
- :mod:`activations` and :mod:`norms`: the element-wise functions;
- :mod:`parallel`: chunks of windows on a thread pool, BLAS held to one thread each;
- :mod:`attention`: one layer's attention (:func:`~attention.project`, :func:`~attention.attend`,
  :func:`~attention.output`), public so that calibration and quality can walk between them;
- :mod:`layer_step`: the norms, residuals and MLP around it (:func:`~layer_step.run_layer`);
- :mod:`embedding` and :mod:`output_head`: what comes before and after the layers;
- this module: the whole model (:func:`run`, :func:`logits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import HeadmixError
from ..io.checkpoint import Checkpoint
from .architecture import Architecture, detect
from .embedding import embed
from .forward_spec import ForwardUnavailable, ModelSpec, attention_spec, model_spec
from .layer_step import run_layer
from .output_head import OutputHead, final_hidden
from .pipeline import LayerPipeline, Progress


@dataclass
class ForwardResult:
    """The final hidden states (after the final norm where the family has one) and, when
    asked, the residual stream after every layer (``layers[i]`` after layer i)."""

    hidden: np.ndarray
    layers: list[np.ndarray] | None = None


def prepare(checkpoint: Checkpoint, arch: Architecture | None = None) -> tuple[Architecture, ModelSpec]:
    arch = arch or detect(checkpoint)
    spec = model_spec(arch)
    return arch, spec


def run(checkpoint: Checkpoint, ids: np.ndarray, arch: Architecture | None = None, progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None, keep_layers: bool = False) -> ForwardResult:
    """Run token ids ``(windows, T)`` through the model, one layer's weights in memory at a time.

    ``progress(done, total)`` is called after each layer; ``cancelled()`` is polled before
    each layer and raises :class:`Cancelled`.
    """
    arch, spec = prepare(checkpoint, arch)
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[1] < 1:
        raise ValueError("ids must be (windows, length)")
    check_length(spec, ids.shape[1])
    h = embed(checkpoint, arch, spec, ids)
    specs = {layer.index: attention_spec(arch, layer) for layer in arch.layers}
    kept = [] if keep_layers else None
    for _, weights in LayerPipeline(checkpoint, arch, progress=progress, cancelled=cancelled):
        run_layer(spec, specs[weights.index], weights.attention, weights.other, h)
        if kept is not None:
            kept.append(h.copy())
    return ForwardResult(final_hidden(checkpoint, arch, spec, h), kept)


def check_length(spec: ModelSpec, length: int) -> None:
    """Refuse windows longer than the model's positions (learned positions would index past their table)."""
    limit = spec.max_positions
    if limit is not None and length > limit and not spec.family.rotary:
        raise HeadmixError(f"windows of {length} tokens are longer than the model's {limit} positions "
                           f"(config.json '{spec.family.keys.max_positions[0]}'); use a smaller window")


def logits(checkpoint: Checkpoint, ids: np.ndarray, arch: Architecture | None = None, **kwargs) -> np.ndarray:
    """Every logit ``(windows, T, vocab)`` of a causal LM (tests and small inputs: it materialises them)."""
    arch, spec = prepare(checkpoint, arch)
    if not spec.decoder:
        raise ForwardUnavailable(f"{spec.family.title} is an encoder: it has no language-model head")
    result = run(checkpoint, ids, arch, **kwargs)
    return OutputHead(checkpoint, arch, spec).logits(result.hidden)

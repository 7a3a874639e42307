"""After the layers: the final norm and the language-model head, read in blocks of rows.

``vocab × tokens`` logits never exist at once: the head is converted to float32 a block at a
time and the loss is accumulated block by block (an online log-sum-exp).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..errors import Cancelled
from ..io.checkpoint import Checkpoint
from .architecture import Architecture
from .embedding import global_float
from .forward_spec import ModelSpec
from .norms import norm
from .parallel import WORKERS, each, window_chunks

#: bytes of output-head rows converted to float32 at once (and of one block of logits)
HEAD_BLOCK_BYTES = 64 << 20


def final_hidden(checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec, h: np.ndarray) -> np.ndarray:
    """The hidden states the output head reads: the final norm applied (decoders), else ``h``."""
    if "final_norm" not in arch.global_names:
        return h
    weight, bias = global_float(checkpoint, arch, "final_norm"), global_float(checkpoint, arch, "final_norm_bias")
    out = np.empty_like(h)
    for part in window_chunks(h.shape[0], h.shape[1]):
        out[part] = norm(spec.family.norm, h[part], weight, bias, spec.norm_eps)
    return out


class OutputHead:
    """The language-model head (``lm_head``, or the tied embedding), read in blocks of rows.

    Each block is converted to float32 once and applied to every token (of every stream
    given), so the head is read once per evaluation and ``vocab × tokens`` logits never
    exist at once; Gemma's final soft-capping is applied per block.
    """

    def __init__(self, checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec,
                 cancelled: Callable[[], bool] | None = None):
        self.weight = checkpoint.read(arch.global_names[spec.head_role])
        self.spec = spec
        self.cancelled = cancelled or (lambda: False)

    @property
    def vocab(self) -> int:
        return self.weight.shape[0]

    def blocks(self, tokens: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(start, stop, rows float32)`` over the vocabulary, sized for ``tokens`` tokens at a time."""
        hidden = self.weight.shape[1]
        rows = max(256, HEAD_BLOCK_BYTES // (4 * max(hidden, tokens)))
        for start in range(0, self.vocab, rows):
            if self.cancelled():
                raise Cancelled("cancelled")
            stop = min(self.vocab, start + rows)
            yield start, stop, np.asarray(self.weight[start:stop], dtype=np.float32)

    def _logits(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        logits = x @ rows.T
        cap = self.spec.final_softcap
        if cap is not None:
            logits /= np.float32(cap)
            np.tanh(logits, out=logits)
            logits *= np.float32(cap)
        return logits

    def logits(self, h: np.ndarray) -> np.ndarray:
        """Every logit, ``(..., vocab)``: for small inputs and tests (it materialises them)."""
        flat = h.reshape(-1, h.shape[-1])
        out = np.empty((flat.shape[0], self.vocab), dtype=np.float32)
        for start, stop, rows in self.blocks(flat.shape[0]):
            out[:, start:stop] = self._logits(flat, rows)
        return out.reshape(*h.shape[:-1], self.vocab)

    def nll(self, streams: list[np.ndarray], targets: np.ndarray) -> list[np.ndarray]:
        """Negative log-likelihood of ``targets`` (int, shape ``(n,)``) under each stream's ``(n, hidden)``
        hidden states, float64 ``(n,)`` each, by an online log-sum-exp over the vocabulary blocks
        (each block converted once; its tokens split over :func:`each`'s threads)."""
        n = targets.shape[0]
        maxima = [np.full(n, -np.inf) for _ in streams]
        sums = [np.zeros(n) for _ in streams]
        picked = [np.zeros(n) for _ in streams]
        step = max(1, -(-n // WORKERS))
        pieces = [slice(a, min(n, a + step)) for a in range(0, n, step)]
        cap = self.spec.final_softcap
        for start, stop, rows in self.blocks(n):

            def update(piece: slice, start: int = start, stop: int = stop, rows: np.ndarray = rows) -> None:
                t = targets[piece]
                where = np.flatnonzero((t >= start) & (t < stop))
                for s, x in enumerate(streams):
                    xs = x[piece]
                    logits = self._logits(xs, rows)
                    new_max = np.maximum(maxima[s][piece], logits.max(axis=1))
                    logits -= new_max.astype(np.float32)[:, None]
                    np.exp(logits, out=logits)
                    sums[s][piece] = sums[s][piece] * np.exp(maxima[s][piece] - new_max) + logits.sum(axis=1, dtype=np.float64)
                    maxima[s][piece] = new_max
                    if where.size:
                        # the target's logit, recomputed (the block above was overwritten)
                        value = np.einsum("ij,ij->i", xs[where], rows[t[where] - start], dtype=np.float64)
                        picked[s][piece][where] = value if cap is None else cap * np.tanh(value / cap)

            each(pieces, update)
        return [maxima[s] + np.log(sums[s]) - picked[s] for s in range(len(streams))]


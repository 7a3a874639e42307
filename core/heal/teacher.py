"""The teacher's targets: the original model's top-k next-token log-probabilities, computed once.

The teacher never enters torch memory: headmix's own numpy forward pass runs the original
(one layer's weights at a time, :func:`..forward.run`), the output head is applied a few
windows at a time, and for every position only the ``k`` most likely tokens' log-probabilities
and the log of the remaining mass are kept, in memory-mapped files in a temporary folder.
Training then reads one batch's rows at a time. With ``k`` = 1,024 that is 8 KB a token (330 MB
for 40,000 tokens, on disk, paged in a batch at a time) instead of ``vocab`` × 4 bytes (7.9 GB for
SmolLM2's 49,152 at 40,000 tokens).

The loss over the top-k tokens and one "rest" bucket is
``Σ_top p (log p − log q) + p_rest (log p_rest − log q_rest)``, a lower bound of the full KL
that equals it when the rest is one token or the student's rest is shaped like the teacher's;
``scripts/measure_heal.py`` measures the gap on real models: on SmolLM2-135M with kv heads
3 → 1 the stand-in is 13% under the full KL at k = 64, 6% at 256, 2.0% at 1,024 (the default)
and 0.4% at 4,096.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model.architecture import Architecture
from ..io.checkpoint import Checkpoint
from ..errors import Cancelled
from ..model.forward import prepare, run
from ..model.output_head import OutputHead

#: teacher log-probabilities kept per token (measured to lose nothing: see the module docstring)
DEFAULT_TOP_K = 1024
#: positions whose float64 log-probabilities are worked on at once (128 × 49,152 × 8 bytes = 50 MB)
ROWS = 128
#: the log of a rest mass that rounds to zero
LOG_TINY = float(np.log(1e-30))


@dataclass
class TeacherTargets:
    """Memory-mapped top-k targets for ``windows × length`` positions, and the folder they live in.

    ``index[w, t]`` are the top-k token ids, ``logp[w, t]`` their log-probabilities (sorted,
    most likely first) and ``rest[w, t]`` the log of every other token's mass together.
    """

    folder: Path
    index: np.ndarray  # (windows, T, k) int32
    logp: np.ndarray  # (windows, T, k) float32
    rest: np.ndarray  # (windows, T) float32
    seconds: float = 0.0

    @property
    def k(self) -> int:
        return self.index.shape[-1]

    @property
    def nbytes(self) -> int:
        return self.index.nbytes + self.logp.nbytes + self.rest.nbytes

    def close(self) -> None:
        """Drop the maps and delete the folder (nothing of the teacher stays on disk)."""
        self.index = self.logp = self.rest = None  # type: ignore[assignment]
        shutil.rmtree(self.folder, ignore_errors=True)


def top_k_of_logits(logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(index, logp, rest)`` of rows of logits ``(n, vocab)``: the k largest log-probabilities,
    sorted, and the log of the remaining mass (in float64, so a rest near zero stays exact)."""
    logits = logits.astype(np.float64, copy=False)
    top = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(logits, top, axis=1)
    order = np.argsort(-vals, axis=1)
    top, vals = np.take_along_axis(top, order, axis=1), np.take_along_axis(vals, order, axis=1)
    peak = vals[:, :1]
    total = np.exp(logits - peak).sum(axis=1)
    top_mass = np.exp(vals - peak).sum(axis=1)
    log_total = np.log(total) + peak[:, 0]
    rest_mass = np.maximum(total - top_mass, 0.0) / total
    with np.errstate(divide="ignore"):
        rest = np.where(rest_mass > 1e-30, np.log(np.maximum(rest_mass, 1e-300)), LOG_TINY)
    return top.astype(np.int32), (vals - log_total[:, None]).astype(np.float32), rest.astype(np.float32)


def compute(checkpoint: Checkpoint, ids: np.ndarray, k: int = DEFAULT_TOP_K, arch: Architecture | None = None,
            folder: str | Path | None = None, progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> TeacherTargets:
    """Run the original over token ids ``(windows, T)`` once and keep its top-k targets on disk.

    ``folder`` is where the temporary folder goes (default: the system's temporary folder).
    ``progress(done, total)`` counts layers, then the output head's chunks of windows (on SmolLM2 the
    head takes as long as the 30 layers: one step for all of it left the count standing for a minute);
    ``cancelled()`` stops it with :class:`Cancelled` and nothing is left on disk.
    """
    import time

    started = time.perf_counter()
    arch, spec = prepare(checkpoint, arch)
    windows, T = ids.shape
    per = max(1, 1024 // T)  # about 1,024 positions of logits at a time
    layers, chunks = len(arch.layers), -(-windows // per)
    total = layers + chunks
    report = progress or (lambda done, total: None)
    place = Path(tempfile.mkdtemp(prefix="headmix-heal-teacher-", dir=folder))
    try:
        result = run(checkpoint, ids, arch, progress=lambda done, _: report(min(done, layers), total), cancelled=cancelled)
        head = OutputHead(checkpoint, arch, spec, cancelled)
        k = min(k, head.vocab - 1)
        index = np.lib.format.open_memmap(place / "index.npy", mode="w+", dtype=np.int32, shape=(windows, T, k))
        logp = np.lib.format.open_memmap(place / "logp.npy", mode="w+", dtype=np.float32, shape=(windows, T, k))
        rest = np.lib.format.open_memmap(place / "rest.npy", mode="w+", dtype=np.float32, shape=(windows, T))
        for chunk, start in enumerate(range(0, windows, per)):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            stop = min(windows, start + per)
            logits = head.logits(result.hidden[start:stop]).reshape(-1, head.vocab)
            rows_i, rows_lp, rows_r = index[start:stop].reshape(-1, k), logp[start:stop].reshape(-1, k), rest[start:stop].reshape(-1)
            for a in range(0, logits.shape[0], ROWS):  # float64 temporaries for ROWS positions at a time
                rows_i[a:a + ROWS], rows_lp[a:a + ROWS], rows_r[a:a + ROWS] = top_k_of_logits(logits[a:a + ROWS], k)
            report(layers + chunk + 1, total)
        for array in (index, logp, rest):
            array.flush()
        return TeacherTargets(place, index, logp, rest, time.perf_counter() - started)
    except BaseException:
        shutil.rmtree(place, ignore_errors=True)
        raise

"""The distillation loop: KL(teacher ‖ student) on next-token distributions, AdamW, cosine schedule.

One step reads one batch of calibration windows, their teacher targets from the memory-mapped
files (:mod:`teacher`), runs the student (:mod:`torch_model`) and takes an AdamW step on the
trained tensors only (gradients clipped), with a linear warm-up over the first steps and a
cosine decay to zero. The loss over the top-k tokens and a "rest" bucket is defined in
:mod:`teacher`. Held-out windows of the same text (never trained on) are scored before and after.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import Cancelled
from .teacher import TeacherTargets
from .torch_model import Student

#: ``progress(step, steps, loss)`` after every optimiser step
StepProgress = Callable[[int, int, float], None]


@dataclass(frozen=True)
class Schedule:
    lr: float
    steps: int
    warmup: int
    weight_decay: float = 0.0
    clip: float = 1.0

    def factor(self, step: int) -> float:
        """The learning-rate multiplier at ``step`` (0-based): linear warm-up, then cosine to zero."""
        if step < self.warmup:
            return (step + 1) / self.warmup
        span = max(1, self.steps - self.warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - self.warmup) / span)))


def top_k_kl(logits: torch.Tensor, index: torch.Tensor, logp: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
    """Mean over rows of ``Σ_top p (log p − log q) + p_rest (log p_rest − log q_rest)``.

    ``logits (n, vocab)`` the student's, ``index``/``logp`` ``(n, k)`` and ``rest (n,)`` the teacher's.
    """
    logq = torch.log_softmax(logits.float(), dim=-1)
    logq_top = logq.gather(-1, index)
    q_top = logq_top.exp().sum(-1).clamp(max=1.0 - 1e-7)
    logq_rest = torch.log1p(-q_top)
    p_top, p_rest = logp.exp(), rest.exp()
    per_row = (p_top * (logp - logq_top)).sum(-1) + p_rest * (rest - logq_rest)
    return per_row.mean()


@dataclass
class Scores:
    """A loss measured on windows: the top-k KL to the teacher and the NLL of the text's own tokens."""

    kl: float
    nll: float

    def to_json(self) -> dict:
        return {"kl": round(self.kl, 6), "nll": round(self.nll, 6), "perplexity": round(math.exp(self.nll), 4)}


@dataclass
class DistilResult:
    steps: int
    tokens: int
    seconds: float
    curve: list[tuple[int, float]] = field(default_factory=list)  # (tokens seen, batch loss)


def _batch(student: Student, targets: TeacherTargets, ids: np.ndarray, rows: np.ndarray):
    device = student.device
    return (torch.from_numpy(np.ascontiguousarray(ids[rows])).to(device),
            torch.from_numpy(np.ascontiguousarray(targets.index[rows], dtype=np.int64)).to(device),
            torch.from_numpy(np.ascontiguousarray(targets.logp[rows])).to(device),
            torch.from_numpy(np.ascontiguousarray(targets.rest[rows])).to(device))


#: positions whose logits (positions × vocabulary floats) exist at once in the loss and in scoring:
#: 128 × 49,152 × 4 bytes = 25 MB for SmolLM2, instead of 100 MB for a whole window, several times over
LOSS_CHUNK = 128


def _positions(student: Student, x: torch.Tensor, chunk: int):
    """The final hidden states of ``x`` flattened to ``(positions, hidden)``, and the chunks' slices."""
    h = student.hidden(x)
    n = h.shape[0] * h.shape[1]
    return h, n, [slice(a, min(n, a + chunk)) for a in range(0, n, chunk)]


def train_loss(student: Student, x: torch.Tensor, index: torch.Tensor, logp: torch.Tensor, rest: torch.Tensor,
               chunk: int = LOSS_CHUNK) -> float:
    """Forward and backward of the top-k KL of one batch; returns the loss, gradients accumulated.

    The output head and the loss run a ``chunk`` of positions at a time on a detached copy of the
    final hidden states (each chunk's backward right after its forward), then one backward carries
    their summed gradient through the layers: the same gradients as the whole batch at once, with one
    chunk's logits in memory instead of the window's (the largest single activation of a small model).
    """
    h, n, chunks = _positions(student, x, chunk)
    detached = h.detach().requires_grad_(h.requires_grad)
    flat = detached.reshape(n, -1)
    index, logp, rest = index.reshape(n, -1), logp.reshape(n, -1), rest.reshape(n)
    total = 0.0
    for part in chunks:
        loss = top_k_kl(student.logits(flat[part]), index[part], logp[part], rest[part]) * ((part.stop - part.start) / n)
        if loss.requires_grad:
            loss.backward()
        total += float(loss.detach())
    if h.requires_grad and detached.grad is not None:
        h.backward(detached.grad)
    return total


def score(student: Student, targets: TeacherTargets, ids: np.ndarray, rows: np.ndarray, batch: int = 1,
          cancelled: Callable[[], bool] | None = None, chunk: int = LOSS_CHUNK) -> Scores:
    """The student's mean KL and NLL over ``rows`` (windows), without gradients, ``chunk`` positions' logits at a time."""
    kl_sum = nll_sum = 0.0
    kl_n = nll_n = 0
    with torch.no_grad():
        for start in range(0, len(rows), batch):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            x, index, logp, rest = _batch(student, targets, ids, rows[start:start + batch])
            h, n, chunks = _positions(student, x, chunk)
            flat = h.reshape(n, -1)
            # each position's next token; a window's last position has none (ignored)
            following = torch.cat([x[:, 1:], torch.full_like(x[:, :1], -100)], dim=1).reshape(n)
            index, logp, rest = index.reshape(n, -1), logp.reshape(n, -1), rest.reshape(n)
            for part in chunks:
                logits = student.logits(flat[part])
                kl_sum += float(top_k_kl(logits, index[part], logp[part], rest[part])) * (part.stop - part.start)
                nll_sum += float(torch.nn.functional.cross_entropy(logits.float(), following[part], ignore_index=-100,
                                                                   reduction="sum"))
            kl_n += n
            nll_n += x[:, 1:].numel()
    return Scores(kl_sum / max(1, kl_n), nll_sum / max(1, nll_n))


def distil(student: Student, targets: TeacherTargets, ids: np.ndarray, train_rows: np.ndarray, tokens: int,
           schedule_lr: float, batch: int = 1, seed: int = 0, warmup_fraction: float = 0.05,
           progress: StepProgress | None = None, cancelled: Callable[[], bool] | None = None) -> DistilResult:
    """Train the student's trainable tensors on ``tokens`` tokens of the ``train_rows`` windows
    (cycling through them in a seeded order, reshuffled each pass)."""
    started = time.perf_counter()
    T = ids.shape[1]
    steps = max(1, math.ceil(tokens / (batch * T)))
    schedule = Schedule(schedule_lr, steps, max(1, round(warmup_fraction * steps)))
    params = student.parameters()
    optimiser = torch.optim.AdamW(params, lr=schedule_lr, weight_decay=schedule.weight_decay, betas=(0.9, 0.95))
    rng = np.random.default_rng(seed)
    order: list[int] = []
    curve: list[tuple[int, float]] = []
    for step in range(steps):
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        while len(order) < batch:
            order.extend(rng.permutation(train_rows).tolist())
        rows, order = np.asarray(order[:batch]), order[batch:]
        x, index, logp, rest = _batch(student, targets, ids, rows)
        for group in optimiser.param_groups:
            group["lr"] = schedule_lr * schedule.factor(step)
        optimiser.zero_grad(set_to_none=True)
        value = train_loss(student, x, index, logp, rest)
        torch.nn.utils.clip_grad_norm_(params, schedule.clip)
        optimiser.step()
        curve.append(((step + 1) * batch * T, value))
        if progress is not None:
            progress(step + 1, steps, value)
    return DistilResult(steps, steps * batch * T, time.perf_counter() - started, curve)

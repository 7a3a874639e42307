"""How the forward pass spreads its work over the cores: windows in chunks, on a thread pool.

numpy's element-wise loops use one core, and OpenBLAS threads that wait for work spin; so
independent windows (and output-head token rows) run on their own threads with BLAS held to
one thread each (:func:`each`), in chunks of about :data:`CHUNK_TOKENS` tokens that bound the
MLP's temporaries whatever the length of the text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

#: tokens of one layer computed at once: bounds the MLP's temporaries (tokens × intermediate)
CHUNK_TOKENS = 2048
#: threads that run independent windows (and output-head token rows) side by side
WORKERS = max(1, min(8, os.cpu_count() or 1))


def window_chunks(windows: int, length: int, chunk_tokens: int = CHUNK_TOKENS) -> Iterator[slice]:
    """Slices of whole windows holding about ``chunk_tokens`` tokens each (at least one window)."""
    step = max(1, chunk_tokens // max(1, length))
    for start in range(0, windows, step):
        yield slice(start, min(windows, start + step))


def parallel_chunks(windows: int, length: int) -> list[slice]:
    """Window slices for :func:`each`: about :data:`CHUNK_TOKENS` tokens in flight in all, in at
    least :data:`WORKERS` pieces when there are that many windows."""
    total = windows * length
    per_piece = min(CHUNK_TOKENS // WORKERS, -(-total // WORKERS)) if WORKERS > 1 else CHUNK_TOKENS
    return list(window_chunks(windows, length, max(1, per_piece)))


_pool: ThreadPoolExecutor | None = None
_blas = None
_each_lock = threading.Lock()


def each(parts: list, work: Callable) -> list:
    """``[work(part) for part in parts]``, the parts on :data:`WORKERS` threads when there are several.

    numpy's element-wise loops use one core, and OpenBLAS threads that wait for work spin; so
    rather than many small multi-threaded BLAS calls followed by single-threaded softmax,
    norms and activations, independent windows run on their own threads with BLAS held to one
    thread each, which keeps every core busy on everything (numpy releases the GIL in both).
    """
    global _pool, _blas
    if WORKERS < 2 or len(parts) < 2:
        return [work(part) for part in parts]
    # one caller at a time: the BLAS thread limit is process-wide, and two overlapping limits
    # could restore each other's setting in the wrong order
    with _each_lock:
        if _pool is None:
            from threadpoolctl import ThreadpoolController

            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="headmix-forward")
            _blas = ThreadpoolController()
        with _blas.limit(limits=1, user_api="blas"):
            return list(_pool.map(work, parts))


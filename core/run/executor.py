"""The executor: runs a plan's jobs into safetensors files, overlapping reading, mixing and writing.

Every output tensor's offset is known from the plan before a byte is written, so each file's
header goes first and every tensor is then written at its own offset (``pwrite``), in
whatever order its data becomes ready. Copied tensors move file to file in the kernel
(``copy_file_range``) on this thread while a worker thread mixes the next layer's attention
tensors with BLAS products; at most :data:`LOOKAHEAD` layers are computed ahead, so memory
stays near one layer's attention tensors whatever the model size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import Cancelled, CheckpointError
from ..shrink.mixing import mix_tensor
from ..plan.planner import OutputFile, Plan
from .shrink_run import ShrinkRun
from ..io.safetensors_file import OutputTensor, encode_header

Progress = Callable[[int, int], None]

#: layers whose attention is computed ahead of the layer being written; a layer's attention is
#: mixed while its other tensors (the larger part) are copied, and one more layer may be ready
LOOKAHEAD = 1
_COPY_CHUNK = 1 << 30


def execute(plan: Plan | ShrinkRun, folder: Path, progress: Progress, cancelled: Callable[[], bool]) -> None:
    """Write every output file of ``plan`` into ``folder`` (which must exist and be empty); a run's computed layers are reused."""
    plan = ShrinkRun.of(plan)
    if plan.method.sequential:
        return execute_in_layer_order(plan, folder, progress, cancelled)
    total = plan.bytes_after
    done = 0
    progress(0, total)
    order = list(dict.fromkeys(job.layer for f in plan.files for job in f.tensors if job.layer is not None))
    futures: dict[int, Future] = {}
    results: dict[int, dict[str, np.ndarray]] = {}
    written: set[int] = set()  # layers whose attention is out: never computed twice

    def compute(index: int) -> dict[str, np.ndarray]:
        layer = plan.layer(index)
        mixing = plan.mixing(index)
        out = {}
        for name in layer.tensor_names():
            info = plan.checkpoint.tensors[name]
            out[name] = mix_tensor(layer, mixing, name, plan.checkpoint.read(name), info.dtype)
        return out

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="headmix-mix") as pool:
        # select's model-wide choice of rotary pairs reads every layer's scores before any layer
        # is mixed; the worker does it while this thread copies the tensors that come first
        prepared = pool.submit(lambda: plan.kept_pairs)

        def ensure(index: int) -> None:
            position = order.index(index)
            for i in order[position : position + 1 + LOOKAHEAD]:
                if i not in futures and i not in results and i not in written:
                    futures[i] = pool.submit(compute, i)

        try:
            if not order:
                prepared.result()
            for output in plan.files:
                for nbytes in _write_file(plan, output, folder, futures, results, written, ensure, cancelled):
                    done += nbytes
                    progress(done, total)
        finally:
            for future in futures.values():
                future.cancel()


def _write_file(plan: ShrinkRun, output: OutputFile, folder: Path, futures, results, written, ensure, cancelled):
    header = encode_header([OutputTensor(j.name, j.dtype, j.shape, j.nbytes) for j in output.tensors], output.metadata)
    dst = os.open(folder / output.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    src = os.open(output.source, os.O_RDONLY)
    try:
        _pwrite(dst, header, 0)
        offset = len(header)
        for job in output.tensors:
            if cancelled():
                raise Cancelled("export cancelled; nothing was left behind")
            if job.block is not None and job.block in plan.layers:
                ensure(job.block)  # start mixing this layer's attention while its other tensors are copied
            if job.zeros:
                _pwrite(dst, bytes(job.nbytes), offset)  # a tensor the export adds, e.g. a portable zero bias
            elif job.copied:
                copy_to(src, dst, job.source.start, job.nbytes, offset, output.source)
            elif job.layer is None:  # computed by the checkpoint's view (a merged or refitted layer)
                _pwrite(dst, memoryview(np.ascontiguousarray(plan.checkpoint.read(job.name)).reshape(-1).view(np.uint8)), offset)
            else:
                if job.layer not in results:
                    ensure(job.layer)
                    results[job.layer] = futures.pop(job.layer).result()
                data = results[job.layer].pop(job.name)
                if not results[job.layer]:
                    del results[job.layer]
                    written.add(job.layer)
                assert data.shape == job.shape and data.nbytes == job.nbytes, job.name
                _pwrite(dst, memoryview(np.ascontiguousarray(data).reshape(-1).view(np.uint8)), offset)
                del data
            offset += job.nbytes
            yield job.nbytes
    finally:
        os.close(src)
        os.close(dst)


def _pwrite(fd: int, data, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def copy_to(src: int, dst: int, start: int, length: int, offset: int, name: Path | str = "source") -> None:
    """Copy ``length`` bytes from ``src`` at ``start`` to ``dst`` at ``offset``, in the kernel where it can.

    ``os.copy_file_range`` moves the bytes without passing them through Python objects (and
    shares extents on filesystems that can), which is what keeps an identity export near the
    cost of ``cp``; elsewhere it falls back to ``pread``/``pwrite`` in large blocks.
    """
    copied = 0
    if hasattr(os, "copy_file_range"):
        try:
            while copied < length:
                n = os.copy_file_range(src, dst, min(_COPY_CHUNK, length - copied), start + copied, offset + copied)
                if n == 0:
                    break
                copied += n
        except OSError as e:
            if e.errno not in (18, 22, 38, 95):  # EXDEV, EINVAL, ENOSYS, EOPNOTSUPP: fall back below
                raise
    while copied < length:
        block = os.pread(src, min(_COPY_CHUNK, length - copied), start + copied)
        if not block:
            raise CheckpointError(f"{name}: ended early while copying")
        _pwrite(dst, block, offset + copied)
        copied += len(block)


def execute_in_layer_order(plan: ShrinkRun, folder: Path, progress: Progress, cancelled: Callable[[], bool]) -> None:
    """The layer pipeline's export: a calibrated layer's matrices depend on the shrunk layers before it.

    Every header goes first, then the tensors outside the layers, then layer after layer in
    the model's order: the layer is calibrated, its attention mixed and written at its planned
    offsets with the layer's other tensors, and its refitted arrays are dropped. One layer's
    weights and the calibration activations are in memory at a time.
    """
    total = plan.bytes_after
    done = 0
    progress(0, total)
    plan.calibration_cancelled = cancelled
    fds, srcs, where = [], [], {}
    try:
        for output in plan.files:
            header = encode_header([OutputTensor(j.name, j.dtype, j.shape, j.nbytes) for j in output.tensors], output.metadata)
            dst = os.open(folder / output.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            fds.append(dst)
            srcs.append(os.open(output.source, os.O_RDONLY))
            _pwrite(dst, header, 0)
            offset = len(header)
            for job in output.tensors:
                where[job.name] = (len(fds) - 1, offset, job)
                offset += job.nbytes
        blocks: dict[int | None, list[str]] = {}
        for name, (_, _, job) in where.items():
            blocks.setdefault(job.block, []).append(name)
        for block in [None] + [layer.index for layer in plan.arch.layers]:
            if cancelled():
                raise Cancelled("export cancelled; nothing was left behind")
            names = blocks.get(block, [])
            mixing = plan.mixing(block) if block in plan.layers else None
            layer = plan.layer(block) if mixing is not None else None
            for name in names:
                index, offset, job = where[name]
                if job.zeros:
                    _pwrite(fds[index], bytes(job.nbytes), offset)
                elif job.copied:
                    copy_to(srcs[index], fds[index], job.source.start, job.nbytes, offset, plan.files[index].source)
                elif mixing is None or job.layer is None:  # computed by the checkpoint's view
                    data = np.ascontiguousarray(plan.checkpoint.read(name))
                    _pwrite(fds[index], memoryview(data.reshape(-1).view(np.uint8)), offset)
                else:
                    data = mix_tensor(layer, mixing, name, plan.checkpoint.read(name), job.source.dtype)
                    assert data.shape == job.shape and data.nbytes == job.nbytes, name
                    _pwrite(fds[index], memoryview(np.ascontiguousarray(data).reshape(-1).view(np.uint8)), offset)
                    del data
                done += job.nbytes
                progress(done, total)
            if mixing is not None:
                plan.release(block)
    finally:
        for fd in fds + srcs:
            os.close(fd)

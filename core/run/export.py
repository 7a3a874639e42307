"""Executing a plan into a new folder, one tensor at a time.

Memory stays near the largest single tensor: untouched tensors are copied file-to-file by
the kernel, attention tensors are read memory-mapped, mixed and written before the next
one is touched. Everything is written into a hidden sibling folder that is renamed into
place at the very end, so a crash, a full disk or a cancel leaves no half-written output,
and the source folder is never written to.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..io.checkpoint import INDEX_NAME, PICKLE_SUFFIXES
from ..errors import ExportError, OutputRefused
from ..model.inspection import human_bytes
from .executor import execute
from ..plan.planner import Plan
from .shrink_run import ShrinkRun
from ..io.stale import remove_dead_owners

Progress = Callable[[int, int], None]

PROVENANCE_NAME = "headmix.json"
MATRICES_NAME = "headmix_matrices.npz"
#: headroom on top of the tensor bytes for headers, config and copied small files
DISK_MARGIN = 16 * 1024 * 1024
_SKIPPED_SUFFIXES = PICKLE_SUFFIXES + (".safetensors", ".h5", ".msgpack", ".gguf", ".onnx")


#: hidden work folders beside an output: ``.<name>.headmix-partial-<pid>`` while writing
_PARTIAL_RE = re.compile(r"^\..+\.headmix-partial-(\d+)$")


def describe_contents(folder: Path, limit: int = 6) -> str:
    """What a folder holds, for a message: ``other-model/, notes.txt and 3 more``."""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def is_headmix_export(folder: Path) -> bool:
    """An earlier headmix export: a folder holding headmix.json."""
    return (folder / PROVENANCE_NAME).is_file()


def inspect_output(plan: Plan, out: str | os.PathLike) -> tuple[Path, list[str]]:
    """Every refusal, checked before anything is asked or written.

    Returns the resolved output folder and, when it is an earlier headmix export that the
    export would replace, the names of what it holds (an empty list: nothing is replaced).
    Raises :class:`OutputRefused` for the source, anything inside it or containing it, the
    home folder, a filesystem root, the current folder or one of its parents, a file, an
    unwritable place, and any other non-empty folder: headmix only ever replaces an empty
    folder or one of its own exports.
    """
    out = Path(out).expanduser().resolve()
    source = plan.checkpoint.folder.resolve()
    if out == source or source in out.parents:
        raise OutputRefused(f"{out}: the output must not be inside the source folder {source}")
    if out in source.parents:
        raise OutputRefused(f"{out}: the output folder contains the source {source}; choose another folder")
    cwd = Path.cwd().resolve()
    if out == Path.home().resolve() or out.parent == out or out == cwd or out in cwd.parents:
        raise OutputRefused(f"{out}: refusing to write into the home folder, a filesystem root or the current folder")
    parent = out.parent
    if not parent.is_dir():
        raise OutputRefused(f"{parent}: the folder to export into does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputRefused(f"{parent}: no permission to write there")
    if not out.exists():
        return out, []
    if not out.is_dir():
        raise OutputRefused(f"{out}: exists and is not a folder")
    try:
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir())
    except OSError as e:
        raise OutputRefused(f"{out}: cannot be read ({e.strerror or e})") from None
    if not entries:
        return out, []
    if not is_headmix_export(out):
        raise OutputRefused(
            f"{out}: the folder is not empty and is not an earlier headmix export (it holds "
            f"{describe_contents(out)}); headmix only replaces an empty folder or its own export "
            "(one holding headmix.json). Choose a new folder name."
        )
    return out, entries


def check_output(plan: Plan, out: Path, force: bool) -> Path:
    """Refuse outputs that would touch the source or replace anything but an earlier export."""
    out, replaced = inspect_output(plan, out)
    if replaced and not force:
        raise OutputRefused(
            f"{out}: holds an earlier headmix export ({describe_contents(out)}); replace it with --force "
            "or choose another folder"
        )
    return out


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove ``.<name>.headmix-partial-<pid>`` folders left in ``parent`` by an export whose
    process no longer exists (a crash or a kill; a normal failure removes its own)."""
    return remove_dead_owners(parent, _PARTIAL_RE)


def _other_files(plan: Plan) -> list[Path]:
    """Files a loader needs beside the weights: tokenizer, generation config, templates, and
    sub-folders such as sentence-transformers' ``1_Pooling``; never weights (they would have
    the old shapes) and never hidden folders such as ``.cache``."""
    folder = plan.checkpoint.folder
    if not (folder / "config.json").is_file():
        # A lone .safetensors file opened from, say, ~/Downloads: its neighbours are not a
        # model's files, and copying them (recursively!) would be a surprise.
        return []
    skip = {INDEX_NAME, "config.json", PROVENANCE_NAME, MATRICES_NAME}
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file() or path.is_symlink() and not path.exists():
            continue
        if path.name.endswith(_SKIPPED_SUFFIXES) or (len(relative.parts) == 1 and path.name in skip):
            continue
        found.append(path)
    return found


def needed_bytes(plan: Plan, others: list[Path]) -> int:
    return plan.bytes_after + sum(p.stat().st_size for p in others) + DISK_MARGIN


def export(plan: Plan | ShrinkRun, out: str | os.PathLike, force: bool = False, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None, evaluation: dict | None = None) -> Path:
    """Write the shrunk checkpoint to ``out`` and return its path.

    ``progress(done, total)`` is called in bytes after every tensor; ``cancelled()`` is
    polled between tensors and, when true, stops the export with :class:`Cancelled` after
    removing everything written so far. ``evaluation`` (a measured quality, as JSON) is
    stored in headmix.json under ``evaluation``.
    """
    plan = ShrinkRun.of(plan)  # a run under way keeps what it computed (the window's previews, a measurement)
    out = check_output(plan, Path(out), force)
    others = _other_files(plan)
    need = needed_bytes(plan, others)
    free = shutil.disk_usage(out.parent).free
    if free < need:
        raise ExportError(
            f"{out.parent}: not enough free disk space: the export needs {human_bytes(need)}, "
            f"and {human_bytes(free)} is free"
        )
    remove_stale_partials(out.parent)
    partial = out.parent / f".{out.name}.headmix-partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        partial.mkdir()
        plan = plan.final(cancelled=cancelled)  # fewer layers: choose them now, from the calibration text
        _write(plan, partial, others, progress or (lambda done, total: None), cancelled or (lambda: False), evaluation)
        _replace(partial, out)
    except BaseException as e:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(e, OSError):
            if e.errno == errno.ENOSPC:
                raise ExportError(f"{out}: the disk filled up during the export; nothing was left behind") from None
            raise ExportError(f"{out}: export failed: {e.strerror or e}; nothing was left behind") from None
        raise
    return out


def _replace(partial: Path, out: Path) -> None:
    """Put the finished export in place. An earlier export there (the only non-empty folder
    :func:`inspect_output` lets through) goes to the trash where the system has one, so even
    a replace the user agreed to can be undone; without a trash it is deleted."""
    if out.exists() and any(out.iterdir()):
        if not is_headmix_export(out):  # checked before the export began; checked again now
            raise OutputRefused(f"{out}: changed during the export and is no longer an earlier headmix export")
        try:
            from send2trash import send2trash

            send2trash(out)
        except Exception:  # noqa: BLE001 - no trash here (or no send2trash): delete, as agreed
            old = out.parent / f".{out.name}.headmix-old-{os.getpid()}"
            out.rename(old)
            partial.rename(out)
            shutil.rmtree(old, ignore_errors=True)
            return
    elif out.exists():
        out.rmdir()
    partial.rename(out)


def _write(plan: ShrinkRun, folder: Path, others: list[Path], progress: Progress, cancelled: Callable[[], bool],
           evaluation: dict | None = None) -> None:
    execute(plan, folder, progress, cancelled)
    checkpoint = plan.checkpoint
    if checkpoint.sharded:
        index = dict(checkpoint.index)
        index["metadata"] = {**(index.get("metadata") or {}), "total_size": plan.bytes_after}
        index["weight_map"] = {**index["weight_map"], **{j.name: f.name for f in plan.files for j in f.tensors if j.zeros}}
        _write_json(folder / INDEX_NAME, index)
    config = plan.new_config()
    if config is not None:
        _write_json(folder / "config.json", config)
    for path in others:
        target = folder / path.relative_to(plan.checkpoint.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    provenance = plan.provenance()
    if evaluation is not None:
        provenance["evaluation"] = evaluation
    _write_json(folder / PROVENANCE_NAME, provenance)
    _write_matrices(plan, folder / MATRICES_NAME)


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def matrices(plan: ShrinkRun) -> dict[str, np.ndarray]:
    """Every changed layer's matrices, named ``layer{i}.{what}``."""
    return {f"layer{i}.{key}": value for i in plan.layers for key, value in plan.mixing(i).matrices().items()}


def _write_matrices(plan: ShrinkRun, path: Path) -> None:
    """An .npz numpy can load, written with fixed timestamps so two runs give the same bytes
    (``np.savez`` stamps the current time into the zip)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in matrices(plan).items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue(),
                        compress_type=zipfile.ZIP_DEFLATED)

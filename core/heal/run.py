"""One heal, end to end: read the export's record, compute the teacher's targets, train, decide, write.

:func:`heal_export` is what ``headmix heal`` and ``headmix shrink --heal`` run. The export is
changed only at the very end, and only when the held-out loss improved (:mod:`write_back`);
cancelling (the callback or Ctrl+C) at any point before leaves it byte-identical. A heal that
does not improve the held-out loss is recorded in headmix.json as not kept, and the weights
stay as they were.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..model.architecture import detect
from ..io.checkpoint import open_checkpoint
from ..io.dtypes import to_source_dtype
from ..errors import HeadmixError
from ..io.text import CALIBRATION_TEXT, Text, cut_windows, read_text
from . import require_torch, teacher
from .availability import check_family, check_tokenizer, device_for
from .memory import release_freed_memory
from .record import HELDOUT_FRACTION, MAX_HELDOUT_WINDOWS, HealOptions, HealRecord, thin_curve
from .trainable import select, with_norms
from .write_back import PROVENANCE_NAME, write_back, write_record

#: what a heal trains on when the shrink used headmix's own text: the mixed-genre calibration text (narrative,
#: technical, legal, dialogue, code, Chinese; resources/text/SOURCES.md), none of it in the held-out texts measured on
HEAL_TEXT = CALIBRATION_TEXT
#: the names headmix.json gives headmix's own texts (before and after the mixed calibration text became the default)
DEFAULT_NAMES = ("default text", "default calibration text")

#: ``progress(stage, done, total, loss)``: stage "teacher" (layers), "train" (steps, with the batch loss), "write"
HealProgress = Callable[[str, int, int, "float | None"], None]


def read_provenance(folder: Path) -> dict:
    path = Path(folder) / PROVENANCE_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeadmixError(f"{folder}: not a headmix export (no {PROVENANCE_NAME}); heal needs the record of the shrink") from None
    except (OSError, ValueError) as e:
        raise HeadmixError(f"{path}: cannot be read ({e})") from None


def heal_text(provenance: dict, override: str | None) -> Text:
    """The text to heal on: the one given, else the file the shrink was calibrated on (checked by its hash),
    else (the shrink used headmix's own text) the mixed-genre calibration text :data:`HEAL_TEXT`."""
    if override:
        return read_text(override)
    calibration = provenance.get("calibration") or {}
    recorded = calibration.get("text") or (provenance.get("request") or {}).get("calib_text")
    if not recorded or recorded in DEFAULT_NAMES:
        return read_text(HEAL_TEXT)
    text = read_text(recorded)
    sha = calibration.get("sha256")
    if sha and sha != text.sha256:
        raise HeadmixError(f"{recorded}: the calibration text changed since the shrink (its sha256 differs); "
                           "give the text to heal on with --text")
    return text


def heal_rows(windows: int, tokens: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The windows a heal trains on and the ones it holds out, of a text cut into ``windows``.

    The last tenth (at least one, at most :data:`MAX_HELDOUT_WINDOWS`) is held out. Of the rest, a heal
    needs only ``tokens / window`` windows: when the text has more, that many are taken evenly spread
    over it (a text's genres or chapters each get their share), so the teacher runs, and its targets
    take disk, for the tokens the heal trains on rather than for the whole text.
    """
    held = min(MAX_HELDOUT_WINDOWS, max(1, round(HELDOUT_FRACTION * windows)))
    train = np.arange(windows - held)
    needed = max(1, math.ceil(tokens / window))
    if len(train) > needed:
        train = np.unique(np.linspace(0, len(train) - 1, needed).round().astype(np.int64))
    return train, np.arange(windows - held, windows)


def _source(provenance: dict, source: str | None):
    path = source or provenance.get("source")
    if not path:
        raise HeadmixError("headmix.json does not name the original; give it with --source")
    try:
        checkpoint = open_checkpoint(path)
    except HeadmixError as e:
        raise HeadmixError(f"the original model: {e}") from None
    expected = provenance.get("source_header_sha256")
    if expected and checkpoint.header_digest() != expected:
        raise HeadmixError(f"{path} is not the original this export was made from (its tensor headers differ from "
                           "headmix.json's source_header_sha256)")
    return checkpoint


def heal_export(export_path: str | Path, source: str | None = None, options: HealOptions = HealOptions(),
                progress: HealProgress | None = None, cancelled: Callable[[], bool] | None = None) -> HealRecord:
    """Heal the export at ``export_path`` towards ``source`` (default: the original headmix.json names)."""
    require_torch()
    import torch

    from .distil import distil, score
    from .torch_model import Student

    started = time.perf_counter()
    report = progress or (lambda stage, done, total, loss: None)
    export = open_checkpoint(export_path)
    folder = export.folder
    provenance = read_provenance(folder)
    arch = detect(export)
    check_family(arch)
    original = _source(provenance, source)
    device = device_for(options.device)
    text = heal_text(provenance, options.text)
    tokenizer = check_tokenizer(folder)  # "healing needs the model's tokenizer", not the quality check's words
    windows = cut_windows(tokenizer.encode(text.content), options.window, 1 << 62, tokenizer.bos_id, text.source)
    ids = windows.ids
    if ids.shape[0] < 2:
        raise HeadmixError(f"{text.source}: {ids.shape[0]} window of {options.window} tokens; healing needs at least two "
                           "(one to train on, one held out to check the result): give a longer text")
    train_at, heldout_at = heal_rows(ids.shape[0], options.tokens, options.window)
    ids = ids[np.concatenate([train_at, heldout_at])]  # only these windows go through the teacher
    train_rows, heldout_rows = np.arange(len(train_at)), np.arange(len(train_at), ids.shape[0])
    trained = select(options.train, export, arch, original, provenance)
    if not trained:  # checked before the norms join: they alone would heal an export the shrink did not change
        raise HeadmixError("nothing to train: every tensor of the export equals the original's; "
                           "use --heal-train attention or all")
    if options.norms:
        trained = with_norms(trained, export, arch)
    torch.manual_seed(options.seed)
    targets = teacher.compute(original, ids, options.top_k, progress=lambda d, t: report("teacher", d, t, None),
                              cancelled=cancelled)
    release_freed_memory()  # the teacher's pass is over: its arrays' pages go back before the student is built
    try:
        teacher_seconds, top_k = targets.seconds, targets.k
        student = Student(export, arch, set(trained), device, options.recompute)
        before = score(student, targets, ids, heldout_rows, options.batch, cancelled)
        release_freed_memory()
        result = distil(student, targets, ids, train_rows, options.tokens, options.lr, options.batch, options.seed,
                        progress=lambda s, n, loss: report("train", s, n, loss), cancelled=cancelled)
        release_freed_memory()
        healed: dict[str, np.ndarray] = {}
        with torch.no_grad():  # what is written is rounded to the stored dtype: score exactly that
            for name, tensor in student.named_parameters().items():
                stored = to_source_dtype(tensor.detach().cpu().numpy(), export.tensors[name].dtype)
                healed[name] = stored.astype(np.float32)
                tensor.copy_(torch.from_numpy(healed[name]).to(device))
        after = score(student, targets, ids, heldout_rows, options.batch, cancelled)
    finally:
        targets.close()
    kept = after.kl < before.kl
    reason = ("the held-out loss improved" if kept else
              f"the held-out loss did not improve ({before.kl:.4g} -> {after.kl:.4g}); the un-healed weights are kept")
    numel = sum(int(np.prod(export.tensors[n].shape)) for n in trained)
    record = HealRecord(
        kept=kept, reason=reason, trained=trained, trained_parameters=numel, train=options.train, text=text.source,
        text_sha256=text.sha256, tokens=result.tokens, steps=result.steps, lr=options.lr, window=options.window,
        batch=options.batch, top_k=top_k, device=str(device),
        heldout_windows=len(heldout_rows), heldout_before=before.to_json(), heldout_after=after.to_json(),
        loss_curve=thin_curve(result.curve), norms=options.norms,
        seconds={"teacher": round(teacher_seconds, 2), "training": round(result.seconds, 2)},
    )
    updated = dict(provenance)
    if "heal" in updated:
        updated["heal_history"] = [*updated.get("heal_history", []), updated.pop("heal")]
    report("write", 0, 1, None)
    record.seconds["total"] = round(time.perf_counter() - started, 2)
    updated["heal"] = record.to_json()
    if kept:
        write_back(export, healed, updated, cancelled)
    else:
        write_record(folder, updated)
    report("write", 1, 1, None)
    return record

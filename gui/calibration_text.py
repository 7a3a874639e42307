"""Is a calibration text usable for this model? Checked in the window as soon as it is chosen.

The core reads the calibration text only when a calibration or a layer choice starts (in a
worker, or in the export); a text that cannot be used would fail there, long after it was
picked. This check does what they do first, on the window's thread (it is quick: a text is
read once and at most one window's worth of it tokenised, then remembered): the file is read
as UTF-8 (:func:`core.io.text.read_text`) and must make at least one calibration window with the
model's own tokenizer, the window being ``min(512, calibration tokens, the model's positions)``
as in the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale

from headmix.core.errors import HeadmixError
from headmix.core.io.text import CALIBRATION_TEXT, load_tokenizer, read_calibration_text


@dataclass(frozen=True)
class CalibrationText:
    """What the check found: a problem to show next to the control, or the text's hash."""

    source: str  # the file, or "headmix's default text"
    problem: str | None = None
    sha256: str | None = None


_CHECKED: dict[tuple, CalibrationText] = {}
_TOKENIZERS: dict[tuple, object] = {}


def _stamp(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def calibration_window(arch, tokens: int) -> int:
    """The window the calibrated method and the layer choice cut the text into (as the core does)."""
    config = arch.config or {}
    positions = next((config[k] for k in arch.family.keys.max_positions if isinstance(config.get(k), int)), 512)
    return min(512, tokens, positions)


def check_calibration_text(checkpoint, arch, path: str | None, tokens: int) -> CalibrationText:
    """Whether ``path`` (None: headmix's default text) gives at least one calibration window of ``tokens``."""
    file = CALIBRATION_TEXT if path is None else Path(path).expanduser()
    source = QCoreApplication.translate("CalibrationText", "headmix's default text") if path is None else str(file)
    tokenizer_file = Path(checkpoint.folder) / "tokenizer.json"
    key = (str(file), _stamp(file), str(tokenizer_file), _stamp(tokenizer_file), tokens, calibration_window(arch, tokens))
    if key in _CHECKED:
        return _CHECKED[key]
    try:
        text = read_calibration_text(path)
        tok_key = (str(tokenizer_file), _stamp(tokenizer_file))
        if tok_key not in _TOKENIZERS:
            _TOKENIZERS.clear()  # one model at a time
            _TOKENIZERS[tok_key] = load_tokenizer(checkpoint.folder)
        tokenizer = _TOKENIZERS[tok_key]
        window = calibration_window(arch, tokens)
        needed = window - (tokenizer.bos_id is not None)  # text tokens in one window
        # a token rarely spans more than a few characters: tokenise a generous prefix, the whole text only if short
        prefix = 64 * needed
        count = len(tokenizer.encode(text.content[:prefix]))
        if count < needed and len(text.content) > prefix:
            count = len(tokenizer.encode(text.content))
        if count < needed:
            number = QLocale().toString
            most = count + (tokenizer.bos_id is not None)
            fewer = (QCoreApplication.translate("CalibrationText", ", or at most {tokens} calibration tokens").format(
                tokens=number(most)) if most >= 64 else "")
            found = CalibrationText(source, QCoreApplication.translate(
                "CalibrationText", "{source}: {count} tokens with this model's tokenizer, fewer than one calibration "
                                   "window of {window}; choose a longer text{fewer}").format(
                source=source, count=number(count), window=number(window), fewer=fewer))
        else:
            found = CalibrationText(source, None, text.sha256)
    except HeadmixError as e:
        found = CalibrationText(source, str(e))
    _CHECKED[key] = found
    return found

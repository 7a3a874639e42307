"""Text for measuring a model: reading it, tokenising it with the model's own tokenizer, and
cutting it into evaluation windows.

Tokenising uses the ``tokenizers`` library on the model folder's ``tokenizer.json`` (what
every Hugging Face "fast" tokenizer saves), so no torch and no transformers are needed. A
folder without one cannot be measured, and says so.

**What each window starts with.** A model predicts token *t* from the tokens before it, so
the first token of a window is never scored unless something stands before it. headmix
prepends the beginning-of-sequence token to every window exactly when the tokenizer itself
adds one to a text (``tokenizer_config.json``'s ``add_bos_token`` when it says, otherwise
what ``tokenizer.json``'s post-processor does): Llama-style tokenizers do, so a window of W
positions is ``[BOS]`` and W − 1 text tokens, all of them scored, starting from the context
the model saw at the start of every training document; GPT-2-style tokenizers do not, so a
window is W text tokens and W − 1 are scored (the first has no context). Either way a
window is exactly W positions (so the default 512 fits BERT's and GPT-2's learned positions)
with W − 1 scored tokens, and the model sees it as it sees any text tokenised by its own
tokenizer. An end-of-sequence token is never added: a window is cut out of running text, not
the end of a document.

Other harnesses mostly tokenise the whole text once (one BOS at its start) and cut that stream into
windows, so only the first window starts with the BOS: ``headmix eval --bos first`` does the same,
so its figures compare with theirs; the default ``--bos every`` scores every window from the context
the model saw at the start of a document.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import HeadmixError
from .checkpoint import Checkpoint

#: the evaluation text that ships with headmix, for when the user has none (original English prose): the
#: paragraphs of default.txt the calibration text does not hold, so a figure measured on it is never measured
#: on what calibration saw (scripts/make_calibration_text.py writes both)
DEFAULT_TEXT = Path(__file__).resolve().parent.parent.parent / "resources" / "text" / "evaluation.txt"
#: the default calibration text: mixed genres (narrative, technical, legal, dialogue, code, Chinese) so
#: that a calibrated shrink does not learn one genre (resources/text/SOURCES.md; scripts/make_calibration_text.py)
CALIBRATION_TEXT = DEFAULT_TEXT.parent / "calibration.txt"
#: calibration cuts its text into windows of which every other starts with the BOS (BOS_PLACES):
#: fitted only on BOS-started windows, a shrink can collapse on windows without one (issue 22)
CALIBRATION_BOS = "alternate"
#: tokens per evaluation window and tokens scored at most (see :mod:`quality` for why)
DEFAULT_WINDOW = 512
DEFAULT_MAX_TOKENS = 4096
TOKENIZER_NAME = "tokenizer.json"
TOKENIZER_CONFIG_NAME = "tokenizer_config.json"


class QualityUnavailable(HeadmixError):
    """The model cannot be measured (no tokenizer, an encoder asked for perplexity...)."""


class TextError(HeadmixError):
    """The text cannot be used: missing, not UTF-8, empty, or shorter than one window."""


@dataclass(frozen=True)
class Text:
    """A text to evaluate on: its content, where it came from, and a hash that identifies it."""

    content: str
    source: str  # the file's path, or "default text"
    sha256: str


def read_calibration_text(path: str | Path | None = None) -> Text:
    """The calibration text: the file at ``path``, or headmix's mixed-genre default calibration text."""
    return read_text(path, default_file=CALIBRATION_TEXT)


def read_text(path: str | Path | None = None, default_file: Path = DEFAULT_TEXT) -> Text:
    """The text of a UTF-8 file (``default_file`` when ``path`` is None); :class:`TextError` otherwise."""
    default = path is None
    file = default_file if default else Path(path).expanduser()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        if default:
            raise TextError(f"{file}: the default text is missing from this installation; give a text with --text FILE") from None
        raise TextError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise TextError(f"{file}: is a folder; give a UTF-8 text file") from None
    except OSError as e:
        raise TextError(f"{file}: cannot read it ({e.strerror or e})") from None
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextError(f"{file}: not UTF-8 text (byte {e.start} is 0x{data[e.start]:02x}); save it as UTF-8") from None
    content = content.removeprefix("\ufeff")  # a byte-order mark is not text
    if not content.strip():
        raise TextError(f"{file}: the file holds no text")
    name = "default calibration text" if default and file == CALIBRATION_TEXT else "default text"
    return Text(content, name if default else str(file), hashlib.sha256(content.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class TextTokenizer:
    """A model folder's tokenizer and the token it starts every window with (None: nothing)."""

    path: Path
    tokenizer: object  # tokenizers.Tokenizer
    bos_id: int | None
    bos_token: str | None
    bos_reason: str  # where the BOS decision came from, for reports

    def encode(self, text: str) -> np.ndarray:
        """Token ids of running text, without any special token."""
        return np.asarray(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)


def load_tokenizer(folder: str | Path) -> TextTokenizer:
    """The tokenizer of a model folder; :class:`QualityUnavailable` when it has no tokenizer.json."""
    from tokenizers import Tokenizer

    folder = Path(folder)
    path = folder / TOKENIZER_NAME
    if not path.is_file():
        raise QualityUnavailable(
            f"{folder}: there is no {TOKENIZER_NAME}, so the quality check is unavailable for this model "
            "(headmix needs the model's own tokenizer to turn text into tokens)"
        )
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as e:  # the tokenizers library raises its own exception types
        raise QualityUnavailable(f"{path}: not a tokenizer file the tokenizers library can read ({e})") from None
    bos_id, bos_token, reason = _bos(folder, tokenizer)
    return TextTokenizer(path, tokenizer, bos_id, bos_token, reason)


_USABLE: dict[tuple[str, float, int], bool] = {}


def has_tokenizer(folder: str | Path) -> bool:
    """Whether the folder's tokenizer.json loads (remembered per file and modification time)."""
    path = Path(folder) / TOKENIZER_NAME
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (str(path), stat.st_mtime, stat.st_size)
    if key not in _USABLE:
        try:
            load_tokenizer(folder)
            _USABLE[key] = True
        except QualityUnavailable:
            _USABLE[key] = False
    return _USABLE[key]


def _token_text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return None


def _bos(folder: Path, tokenizer) -> tuple[int | None, str | None, str]:
    """Whether and with what token a window starts: tokenizer_config.json's add_bos_token decides
    when present (transformers rebuilds the post-processor from it), else the post-processor."""
    config_path = folder / TOKENIZER_CONFIG_NAME
    config: dict = {}
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise QualityUnavailable(f"{config_path}: not valid JSON ({e})") from None
        if not isinstance(config, dict):
            raise QualityUnavailable(f"{config_path}: must hold a JSON object")
    add = config.get("add_bos_token")
    if isinstance(add, bool):
        if not add:
            return None, None, f"{TOKENIZER_CONFIG_NAME} sets add_bos_token false"
        token = _token_text(config.get("bos_token"))
        if token is None:
            raise QualityUnavailable(f"{config_path}: add_bos_token is true but 'bos_token' names no token")
        token_id = tokenizer.token_to_id(token)
        if token_id is None:
            raise QualityUnavailable(f"{config_path}: 'bos_token' is {token!r}, which is not in {TOKENIZER_NAME}")
        return int(token_id), token, f"{TOKENIZER_CONFIG_NAME} sets add_bos_token true"
    probe = "headmix"
    plain = tokenizer.encode(probe, add_special_tokens=False).ids
    special = tokenizer.encode(probe, add_special_tokens=True).ids
    if len(special) > len(plain) and special[1 : 1 + len(plain)] == plain:
        token_id = int(special[0])
        return token_id, tokenizer.id_to_token(token_id), f"{TOKENIZER_NAME} adds {tokenizer.id_to_token(token_id)!r} to every text"
    return None, None, f"{TOKENIZER_NAME} adds no token before a text"


@dataclass(frozen=True)
class Windows:
    """Token ids cut into evaluation windows, ``ids (windows, length)``, BOS first when used."""

    ids: np.ndarray
    window: int  # positions per window (BOS included)
    text_tokens: int  # tokens in the whole text
    bos_id: int | None
    places: str = "every"  # which windows start with the BOS (BOS_PLACES), when there is one

    @property
    def first_only(self) -> bool:
        """The BOS starts the first window only (``cut_windows(bos="first")``)."""
        return self.places == "first"

    @property
    def count(self) -> int:
        return self.ids.shape[0]

    @property
    def predicted(self) -> int:
        """Tokens whose probability is scored: every position's next token, W − 1 per window."""
        return self.count * (self.ids.shape[1] - 1)


#: where a BOS goes: before every window (headmix's default), only before the first, the stream then
#: running on, or before every other window ("alternate": even windows start with it, odd ones are
#: running text; what calibration uses, so a shrink is fitted to windows with and without it)
BOS_PLACES = ("every", "first", "alternate")


def cut_windows(tokens: np.ndarray, window: int, max_tokens: int, bos_id: int | None, source: str = "the text",
                bos: str = "every") -> Windows:
    """Non-overlapping windows of ``window`` positions over the first ``max_tokens`` text tokens
    (whole windows only); with a BOS, each holds it and ``window - 1`` text tokens.

    ``bos="first"`` is the convention of most other harnesses (a text tokenised once, BOS and all, and cut
    into windows): only the first window starts with the BOS, every later one with the next text token,
    whose own prediction is then not scored (nothing stands before it in the window)."""
    if window < 2:
        raise TextError(f"a window of {window} tokens is too short; use at least 2")
    if bos not in BOS_PLACES:
        raise TextError(f"BOS placement {bos!r}: use one of {', '.join(BOS_PLACES)}")
    if bos == "first" and bos_id is not None:
        stream = np.concatenate([[bos_id], np.asarray(tokens[:max_tokens], dtype=np.int64)])
        usable = len(stream) // window
        if usable == 0:
            raise TextError(f"{source}: {len(stream) - 1} tokens and the BOS are shorter than one window of {window} "
                            "tokens; give a longer text or a smaller --window")
        return Windows(stream[: usable * window].reshape(usable, window), window, int(len(tokens)), bos_id, places="first")
    if bos == "alternate" and bos_id is not None:
        return _cut_alternate(tokens, window, max_tokens, bos_id, source)
    text_per_window = window - (bos_id is not None)
    usable = min(len(tokens), max_tokens) // text_per_window
    if usable == 0:
        limit = "" if len(tokens) <= max_tokens else f" (--max-tokens {max_tokens})"
        raise TextError(
            f"{source}: {min(len(tokens), max_tokens)} tokens{limit} is shorter than one window of {window} tokens; "
            "give a longer text or a smaller --window"
        )
    ids = np.asarray(tokens[: usable * text_per_window], dtype=np.int64).reshape(usable, text_per_window)
    if bos_id is not None:
        ids = np.concatenate([np.full((usable, 1), bos_id, dtype=np.int64), ids], axis=1)
    return Windows(ids, window, int(len(tokens)), bos_id)


def _cut_alternate(tokens: np.ndarray, window: int, max_tokens: int, bos_id: int, source: str) -> Windows:
    """Running text cut into windows of which the even ones start with the BOS (then W − 1 text
    tokens) and the odd ones with the next text token (W text tokens)."""
    tokens = np.asarray(tokens[:max_tokens], dtype=np.int64)
    rows: list[np.ndarray] = []
    start = 0
    while True:
        with_bos = len(rows) % 2 == 0
        take = window - with_bos
        if start + take > len(tokens):
            break
        piece = tokens[start : start + take]
        rows.append(np.concatenate([[bos_id], piece]) if with_bos else piece)
        start += take
    if not rows:
        raise TextError(f"{source}: {len(tokens)} tokens and the BOS are shorter than one window of {window} "
                        "tokens; give a longer text or a smaller --window")
    return Windows(np.stack(rows).astype(np.int64), window, int(len(tokens)), bos_id, places="alternate")


@dataclass(frozen=True)
class Settings:
    window: int = DEFAULT_WINDOW
    max_tokens: int = DEFAULT_MAX_TOKENS
    bos: str = "every"  # a BOS before every window, only before the first, or every other one (BOS_PLACES)


@dataclass
class TextInfo:
    """Which text was measured and how it was cut (JSON-friendly)."""

    source: str
    sha256: str
    text_tokens: int  # tokens in the whole text
    windows: int
    window: int
    bos: str | None  # the token each window starts with, or None
    bos_reason: str
    scored_tokens: int
    bos_first_only: bool = False  # the BOS starts only the first window
    bos_places: str = "every"  # which windows start with the BOS (BOS_PLACES)


@dataclass
class Sample:
    """A tokenised text ready to run: the windows and their description."""

    info: TextInfo
    windows: Windows


def prepare_text(checkpoint: Checkpoint, text: Text | None = None, settings: Settings = Settings()) -> Sample:
    """Tokenise ``text`` (default: headmix's own text) with the model's tokenizer and cut the windows.

    Raises :class:`~text.QualityUnavailable` without a tokenizer and :class:`~text.TextError`
    for a text that cannot be used; both are ``HeadmixError`` with a message for the user.
    """
    tokenizer = load_tokenizer(checkpoint.folder)
    text = text or read_text(None)
    windows = cut_windows(tokenizer.encode(text.content), settings.window, settings.max_tokens, tokenizer.bos_id,
                          text.source, settings.bos)
    info = TextInfo(text.source, text.sha256, windows.text_tokens, windows.count, settings.window, tokenizer.bos_token,
                    tokenizer.bos_reason, windows.predicted, windows.first_only, windows.places)
    return Sample(info, windows)

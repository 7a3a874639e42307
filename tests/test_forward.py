"""headmix's numpy forward pass equals transformers' float32 forward on every family and rope type.

Each case builds a tiny random model with transformers itself, saves it, runs both, and
compares the logits (the final hidden states for BERT) and the residual stream after every
layer. Tolerance: max |diff| <= 2e-5 × max |reference| (float32 noise over two layers is
~1e-6 relative; a wrong eps, scale, rope frequency or mask shows up at 1e-3 and above).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import hf_models
from headmix.core.model import activations, attention, embedding, forward, forward_spec, layer_step, output_head, parallel
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.errors import HeadmixError
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request

pytestmark = pytest.mark.interop

TOLERANCE = 2e-5


def assert_close(got: np.ndarray, expected: np.ndarray, tol: float = TOLERANCE, what: str = "") -> None:
    scale = float(np.abs(expected).max())
    assert scale > 1e-2, "outputs too small for the comparison to mean anything"
    diff = float(np.abs(got - expected).max())
    assert diff <= tol * scale, f"{what}: max |diff| {diff:.3g} vs scale {scale:.3g}"


@torch.no_grad()
def reference(model, ids: torch.Tensor):
    out = model(input_ids=ids, output_hidden_states=True)
    final = out.logits if hasattr(out, "logits") else out.last_hidden_state
    return final.numpy(), [h.numpy() for h in out.hidden_states]


def compare(folder, model, length: int = 20, tol: float = TOLERANCE) -> None:
    """Logits (or BERT's last hidden state) and every layer's residual stream, against transformers."""
    ids = hf_models.tokens(length=length)
    expected, hidden = reference(model, ids)
    checkpoint = open_checkpoint(folder)
    result = forward.run(checkpoint, ids.numpy(), keep_layers=True)
    # transformers' hidden_states: the embeddings, after each layer but the last, then the
    # final (normed) hidden state
    for i, (got, want) in enumerate(zip(result.layers[:-1], hidden[1:-1], strict=True)):
        assert_close(got, want, tol, f"residual stream after layer {i}")
    assert_close(result.hidden, hidden[-1], tol, "final hidden states")
    if hasattr(model, "lm_head"):
        got = forward.logits(checkpoint, ids.numpy())
        assert_close(got, expected, tol, "logits")


CASES = {
    # every family as hf_models builds it (GQA 8/4, head_dim 16 != hidden/heads; Gemma: tied,
    # query_pre_attn_scalar 24, sliding window 8 crossed by 20 tokens, soft-capping (Gemma 2),
    # per-layer-type rope (Gemma 3: local theta 1e4, global 1e6), qk-norm (Qwen3, Gemma 3),
    # q/k/v biases (Qwen2), fused qkv/gate_up (Phi-3), Conv1D and learned positions (GPT-2),
    # post-norm, token types and exact gelu (BERT))
    **{family: (family, {}) for family in hf_models.FAMILIES},
    "llama-biases-tied": ("llama", dict(attention_bias=True, mlp_bias=True, tie_word_embeddings=True)),
    "llama-mha": ("llama", dict(num_key_value_heads=8)),
    "llama-linear": ("llama", dict(rope_parameters={"rope_type": "linear", "factor": 2.5, "rope_theta": 10000.0})),
    "llama-llama3": ("llama", dict(rope_parameters={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16, "rope_theta": 10000.0})),
    "mistral-sliding": ("mistral", dict(sliding_window=6)),
    "qwen2-sliding": ("qwen2", dict(use_sliding_window=True, sliding_window=5, max_window_layers=1)),
    "qwen3-sliding": ("qwen3", dict(use_sliding_window=True, sliding_window=7, max_window_layers=0)),
    "phi3-partial-rotary": ("phi3", dict(partial_rotary_factor=0.5)),
    "phi3-sliding": ("phi3", dict(sliding_window=7)),
    "gemma3-softcap-ignored": ("gemma3_text", dict(attn_logit_softcapping=5.0, final_logit_softcapping=3.0)),
    "gemma2-no-softcap": ("gemma2", dict(attn_logit_softcapping=None, final_logit_softcapping=None)),
    "gpt2-layer-scaled": ("gpt2", dict(scale_attn_by_inverse_layer_idx=True, activation_function="gelu")),
    "gpt2-relu": ("gpt2", dict(activation_function="relu")),
    "llama-gelu": ("llama", dict(hidden_act="gelu_pytorch_tanh")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_forward_matches_transformers(tmp_path, case):
    family, overrides = CASES[case]
    model = hf_models.build(family, **overrides)
    hf_models.save(model, tmp_path)
    compare(tmp_path, model)


LONG_FACTORS = [1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0]
SHORT_FACTORS = [1.0, 1.1, 1.3, 1.2, 1.7, 2.0, 2.5, 4.0]


@pytest.mark.parametrize("length", [12, 24], ids=["short", "long"])
@pytest.mark.parametrize("attention_factor", [None, 1.3])
def test_longrope_short_and_long_factors(tmp_path, length, attention_factor):
    """longrope switches to long_factor past original_max_position_embeddings (16), as transformers
    decides it: by the longest position in the batch; attention_factor scales cos and sin (by
    default sqrt(1 + ln(factor)/ln(original)) with factor = max_positions / original = 4)."""
    rope = {"rope_type": "longrope", "short_factor": SHORT_FACTORS, "long_factor": LONG_FACTORS,
            "original_max_position_embeddings": 16, "rope_theta": 10000.0}
    if attention_factor is not None:
        rope["attention_factor"] = attention_factor
    model = hf_models.build("llama", rope_parameters=rope)
    hf_models.save(model, tmp_path)
    compare(tmp_path, model, length=length)
    arch = detect(open_checkpoint(tmp_path))
    rot = forward_spec.attention_spec(arch, arch.layers[0]).rotary
    expected_scale = attention_factor or math.sqrt(1 + math.log(4) / math.log(16))
    assert rot.scaling == pytest.approx(expected_scale)
    assert rot.frequencies(length) is (rot.long if length > 16 else rot.short)


@pytest.mark.parametrize("length", [12, 24], ids=["short", "long"])
def test_phi3_longrope_with_partial_rotary_and_top_level_original_length(tmp_path, length):
    """Phi-3 keeps original_max_position_embeddings at the top level of config.json, and it wins."""
    rope = {"rope_type": "longrope", "short_factor": SHORT_FACTORS[:4], "long_factor": LONG_FACTORS[:4],
            "partial_rotary_factor": 0.5, "rope_theta": 10000.0}
    model = hf_models.build("phi3", hidden_size=64, num_attention_heads=4, num_key_value_heads=4, head_dim=16,
                            original_max_position_embeddings=16, rope_parameters=rope)
    hf_models.save(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["original_max_position_embeddings"] == 16
    compare(tmp_path, model, length=length)


@pytest.mark.parametrize("family", ["gemma2", "llama", "qwen2"])
def test_bf16_checkpoint_computes_in_float32_like_transformers(tmp_path, family):
    """A BF16 checkpoint, run in float32 by both: Gemma's embedding scale sqrt(48) = 6.928 is rounded
    to the dtype the weights are computed in (float32 here; bfloat16 would give 6.9375 and fail)."""
    hf_models.save(hf_models.build(family), tmp_path, dtype="bfloat16")
    model = hf_models.load(family, tmp_path)
    compare(tmp_path, model)


def test_sharded_checkpoint(model_dir):
    folder = model_dir("qwen3", "float32", sharded=True)
    compare(folder, hf_models.load("qwen3", folder))


#: let select keep any subset of rotary pairs (newer cores default to arithmetic progressions)
ANY_PAIRS = {"rotary_pairs": "any"} if "rotary_pairs" in Request.__dataclass_fields__ else {}


def _zero_all_but(model, kept: list[int]) -> None:
    """Rotary pairs outside ``kept`` carry zero in q and k, so select keeps exactly ``kept``."""
    with torch.no_grad():
        for layer in model.model.layers:
            attn = layer.self_attn
            for proj, n in ((attn.q_proj, 8), (attn.k_proj, 4)):
                w = proj.weight.view(n, 16, -1)
                for p in range(8):
                    if p not in kept:
                        w[:, [p, p + 8]] = 0


@pytest.mark.parametrize("family, kept, rope_type", [
    ("llama", [0, 1, 3, 6], "longrope"), ("qwen3", [0, 2, 3, 7], "longrope"), ("gemma3_text", [1, 2, 4, 5], "longrope"),
    ("llama", [1, 3, 5, 7], "linear"), ("gemma2", [0, 1, 2, 3], "default"),
])  # fmt: skip
def test_models_exported_by_headmix(tmp_path, family, kept, rope_type):
    """Exports with longrope per-pair factors and with a progression rope (new theta, linear factor)."""
    model = hf_models.build(family)
    _zero_all_but(model, kept)
    hf_models.save(model, tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(tmp_path / "src"), Request(head_dim=8, heads=4, method="select", **ANY_PAIRS))
    export(plan, tmp_path / "out")
    assert list(plan.kept_pairs) == kept
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    ropes = config["rope_parameters"]
    ropes = list(ropes.values()) if all(isinstance(v, dict) for v in ropes.values()) else [ropes]
    assert {r["rope_type"] for r in ropes} == {rope_type}
    compare(tmp_path / "out", hf_models.load(family, tmp_path / "out"))


def test_article_export_with_mixed_rotary_dims(tmp_path, model_dir):
    """The article's export keeps the source rope for the new head size: whatever it computes, we compute it too."""
    plan = ShrinkRun.build(open_checkpoint(model_dir("llama")), Request(heads=4, kv_heads=2, head_dim=8, method="article"))
    export(plan, tmp_path / "out")
    compare(tmp_path / "out", hf_models.load("llama", tmp_path / "out"))


def test_batch_of_windows_equals_each_window_alone(model_dir):
    """Windows are independent: chunking the batch and blocking query rows change nothing."""
    checkpoint = open_checkpoint(model_dir("gemma2"))
    ids = np.random.default_rng(0).integers(0, 96, (5, 30))
    together = forward.logits(checkpoint, ids)
    old = parallel.CHUNK_TOKENS, attention.SCORE_BYTES
    try:
        parallel.CHUNK_TOKENS, attention.SCORE_BYTES = 30, 4 * 8 * 30 * 3  # one window a chunk, 3 query rows a block
        apart = forward.logits(checkpoint, ids)
    finally:
        parallel.CHUNK_TOKENS, attention.SCORE_BYTES = old
    assert_close(apart, together, 1e-6, "chunked")


def test_head_blocks_and_online_log_sum_exp(model_dir, monkeypatch):
    """The loss over vocabulary blocks equals log_softmax of the full logits (with final soft-capping)."""
    checkpoint = open_checkpoint(model_dir("gemma2"))
    arch, spec = forward.prepare(checkpoint)
    ids = np.random.default_rng(1).integers(0, 96, (3, 16))
    hidden = forward.run(checkpoint, ids).hidden.reshape(-1, 48)
    head = output_head.OutputHead(checkpoint, arch, spec)
    full = head.logits(hidden).astype(np.float64)
    targets = np.random.default_rng(2).integers(0, 96, hidden.shape[0])
    expected = np.log(np.exp(full - full.max(1, keepdims=True)).sum(1)) + full.max(1) - full[np.arange(len(targets)), targets]
    monkeypatch.setattr(output_head, "HEAD_BLOCK_BYTES", 4 * 48 * 10)  # 256-row minimum: two blocks would need >256
    monkeypatch.setattr(output_head.OutputHead, "blocks", _small_blocks(output_head.OutputHead.blocks))
    (nll,) = head.nll([hidden], targets)
    np.testing.assert_allclose(nll, expected, rtol=1e-5, atol=1e-5)


def _small_blocks(original):
    def blocks(self, tokens):
        for start in range(0, self.vocab, 10):
            stop = min(self.vocab, start + 10)
            yield start, stop, np.asarray(self.weight[start:stop], dtype=np.float32)

    return blocks


def test_erf_is_accurate():
    x = np.linspace(-6, 6, 20001).astype(np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    assert np.abs(activations.erf(x) - expected).max() < 1e-6


def test_progress_and_cancel(model_dir):
    checkpoint = open_checkpoint(model_dir("llama"))
    seen = []
    forward.run(checkpoint, np.zeros((1, 4), dtype=np.int64), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    with pytest.raises(HeadmixError, match="cancelled"):
        forward.run(checkpoint, np.zeros((1, 4), dtype=np.int64), cancelled=lambda: True)


def test_refusals_name_the_problem(tmp_path, model_dir):
    checkpoint = open_checkpoint(model_dir("gpt2"))
    with pytest.raises(HeadmixError, match="outside the model's vocabulary of 96"):
        forward.run(checkpoint, np.full((1, 4), 500))
    with pytest.raises(HeadmixError, match="longer than the model's 64 positions"):
        forward.run(checkpoint, np.zeros((1, 65), dtype=np.int64))
    folder = tmp_path / "odd"
    hf_models.save(hf_models.build("llama", hidden_act="silu"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["hidden_act"] = "swiglu_of_the_future"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(HeadmixError, match="'hidden_act' is 'swiglu_of_the_future'"):
        forward.run(open_checkpoint(folder), np.zeros((1, 4), dtype=np.int64))


@pytest.mark.parametrize("family", ["llama", "gemma2"])
def test_large_attention_scores_take_the_max_subtracting_softmax(tmp_path, family):
    """Queries scaled up 40x push the score bound |q|·max|k| past EXP_SAFE: Llama must take the stable
    (max-subtracting) softmax; Gemma 2's soft cap (50) bounds its scores, so it may skip it."""
    model = hf_models.build(family)
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.q_proj.weight *= 40
    hf_models.save(model, tmp_path)
    checkpoint = open_checkpoint(tmp_path)
    arch, spec = forward.prepare(checkpoint)
    from headmix.core.model.pipeline import read_layer

    weights = read_layer(checkpoint, arch.layers[0])
    x = layer_step.attention_input(spec, weights.other, embedding.embed(checkpoint, arch, spec, hf_models.tokens(length=20).numpy()))
    q = np.einsum("bth,ndh->bntd", x, weights.attention["q"])
    k = np.einsum("bth,ndh->bntd", x, weights.attention["k"])
    bound = np.linalg.norm(q, axis=-1).max() * np.linalg.norm(k, axis=-1).max() * forward_spec.attention_spec(arch, arch.layers[0]).scale
    assert bound > 2 * attention.EXP_SAFE
    compare(tmp_path, model, tol=1e-4)


def test_gemma3_config_from_before_per_layer_type_rope(tmp_path):
    """An older Gemma 3 config.json: rope_theta for global layers, rope_local_base_freq for local ones."""
    hf_models.save(hf_models.build("gemma3_text"), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    ropes = config.pop("rope_parameters")
    config["rope_theta"] = ropes["full_attention"]["rope_theta"]
    config["rope_local_base_freq"] = ropes["sliding_attention"]["rope_theta"]
    assert config["rope_theta"] != config["rope_local_base_freq"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    compare(tmp_path, hf_models.load("gemma3_text", tmp_path))


def test_two_evaluations_at_once_agree_and_leave_blas_threads_as_they_were(model_dir):
    """A window's worker and a CLI may run forward passes on two threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    before = [info["num_threads"] for info in threadpool_info()]
    checkpoint = open_checkpoint(model_dir("qwen2"))
    ids = np.random.default_rng(3).integers(0, 96, (4, 24))
    expected = forward.logits(checkpoint, ids)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: forward.logits(checkpoint, ids), range(4)))
    for got in results:
        np.testing.assert_array_equal(got, expected)
    assert [info["num_threads"] for info in threadpool_info()] == before

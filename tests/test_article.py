"""The article's method, reproduced bit for bit on its own shapes, and its flaw detected."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from headmix.core.model.architecture import Layer
from headmix.core.model.families import LLAMA
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.shrink.methods import article_mixing, column_normalised_gaussian
from headmix.core.shrink.mixing import mix_tensor
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.io.safetensors_file import OutputTensor, encode_header
from headmix.core.plan.request import Request

HIDDEN, HEADS, DIM, NEW_HEADS = 768, 128, 32, 8


def article_code(wq, wk, wv, wot, A, B):
    """The article's numpy, in its (H, P) layout: the same kron(A, B) on all four."""
    M = np.kron(A, B)
    return wq @ M, wk @ M, wv @ M, wot @ M


def article_weights(rng):
    return [rng.standard_normal((HIDDEN, HEADS * DIM)).astype(np.float32) for _ in range(4)]


def test_given_matrices_reproduced_bit_for_bit():
    rng = np.random.default_rng(0)
    wq, wk, wv, wot = article_weights(rng)
    B = np.random.default_rng(1).standard_normal((DIM, DIM))
    B /= B.sum(0)
    A = np.random.default_rng(2).standard_normal((HEADS, NEW_HEADS))
    A /= A.sum(0)
    expected = [m.astype(np.float32) for m in article_code(wq, wk, wv, wot, A, B)]

    layer = Layer(0, LLAMA, {"q": "q", "k": "k", "v": "v", "o": "o"}, HEADS, HEADS, DIM, HIDDEN, None)
    mixing = article_mixing(0, A, A, B)
    # Linear stores (out, in): q/k/v are the transposes of the article's matrices, o is wot itself.
    got = [mix_tensor(layer, mixing, r, w.T, "F32").T for r, w in zip("qkv", (wq, wk, wv), strict=True)]
    got.append(mix_tensor(layer, mixing, "o", wot, "F32"))
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape == (HIDDEN, NEW_HEADS * DIM)
        assert np.array_equal(g, e)


def test_article_method_end_to_end(tmp_path):
    """A checkpoint of the article's shapes, shrunk by the app: the npz holds the matrices it used."""
    rng = np.random.default_rng(3)
    wq, wk, wv, wot = article_weights(rng)
    tensors = {
        "model.layers.0.self_attn.q_proj.weight": wq.T.copy(),
        "model.layers.0.self_attn.k_proj.weight": wk.T.copy(),
        "model.layers.0.self_attn.v_proj.weight": wv.T.copy(),
        "model.layers.0.self_attn.o_proj.weight": wot,
    }
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "model.safetensors", "wb") as f:
        f.write(encode_header([OutputTensor(n, "F32", a.shape, a.nbytes) for n, a in tensors.items()]))
        for a in tensors.values():
            f.write(a.tobytes())
    config = {"model_type": "llama", "hidden_size": HIDDEN, "num_attention_heads": HEADS, "num_key_value_heads": HEADS,
              "head_dim": DIM, "num_hidden_layers": 1, "rope_theta": 10000.0, "max_position_embeddings": 128}
    (src / "config.json").write_text(json.dumps(config))

    plan = ShrinkRun.build(open_checkpoint(src), Request(heads=NEW_HEADS, method="article", seed=5))
    export(plan, tmp_path / "out")
    npz = np.load(tmp_path / "out" / "headmix_matrices.npz")
    A, B = npz["layer0.q_heads"], npz["layer0.qk_dims"]
    assert np.array_equal(B, np.eye(DIM)), "an axis whose target equals the source stays untouched"
    assert np.allclose(A.sum(0), 1.0)
    expected = [m.astype(np.float32) for m in article_code(wq, wk, wv, wot, A, B)]
    out = load_file(tmp_path / "out" / "model.safetensors")
    assert np.array_equal(out["model.layers.0.self_attn.q_proj.weight"].T, expected[0])
    assert np.array_equal(out["model.layers.0.self_attn.k_proj.weight"].T, expected[1])
    assert np.array_equal(out["model.layers.0.self_attn.v_proj.weight"].T, expected[2])
    assert np.array_equal(out["model.layers.0.self_attn.o_proj.weight"], expected[3])


def test_near_zero_column_sum_warns():
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((HEADS, NEW_HEADS))
    raw[:, 3] -= raw[:, 3].mean() - 1e-3 / HEADS  # column 3 now sums to 0.001
    A = raw / raw.sum(0)
    warnings = article_mixing(7, A, A, np.eye(DIM)).warnings
    (flagged,) = [w for w in warnings if "column 3 " in w]
    assert "layer 7" in flagged and "near-zero sum" in flagged
    assert int(flagged.split("about ")[1].split("x")[0]) > 1000
    # columns whose sums are typical (about sqrt(n)) are not flagged
    rng = np.random.default_rng(1)
    healthy = np.abs(rng.standard_normal((HEADS, NEW_HEADS)))
    healthy /= healthy.sum(0)
    assert article_mixing(0, healthy, healthy, np.eye(DIM)).warnings == []
    assert column_normalised_gaussian(HEADS, NEW_HEADS, rng).sum(0) == pytest.approx(np.ones(NEW_HEADS))

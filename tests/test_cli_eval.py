"""`headmix eval` and `headmix shrink --eval`: results, headmix.json, and exit 2 with a message for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import hf_models
import tiny_text
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main
from headmix.core.io.text import Settings, prepare_text
from headmix.core.run.quality import evaluate_model
from headmix.core.io.text import read_text

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A tiny llama and a tiny bert with tokenizers, a text file, and a llama without a tokenizer."""
    root = tmp_path_factory.mktemp("cli-eval")
    llama = hf_models.save_model("llama", root / "llama")
    tiny_text.save_tokenizer(llama, add_bos=True)
    bert = hf_models.save_model("bert", root / "bert")
    tiny_text.save_tokenizer(bert)
    bare = hf_models.save_model("llama", root / "bare")
    text = root / "text.txt"
    text.write_text(tiny_text.sample_text(400))
    return {"llama": llama, "bert": bert, "bare": bare, "text": text, "root": root}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_json_matches_the_core(folders, capsys):
    code, out, err = run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16, "--max-tokens", 160,
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    checkpoint = open_checkpoint(folders["llama"])
    expected = evaluate_model(checkpoint, prepare_text(checkpoint, read_text(folders["text"]), Settings(16, 160)))
    assert data["perplexity"]["perplexity"] == pytest.approx(expected.perplexity.perplexity, rel=1e-9)
    # BOS + 15 text tokens a window: 10 windows over the first 160 tokens, 15 scored in each
    assert data["text"]["windows"] == 10 and data["text"]["bos"] == "<s>" and data["text"]["scored_tokens"] == 150


def test_eval_text_output(folders, capsys):
    code, out, _ = run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16)
    assert code == 0
    assert out.startswith("perplexity ") and "tokens scored in" in out and "each after <s>" in out


@pytest.mark.parametrize("case, expected", [
    ("no-tokenizer", "there is no tokenizer.json, so the quality check is unavailable"),
    ("latin1", "not UTF-8 text"),
    ("empty", "holds no text"),
    ("short", "is shorter than one window of 512 tokens"),
    ("missing", "no such file"),
    ("encoder", "encoder, so perplexity does not apply"),
    ("gpt2-window", "longer than the model's 64 positions"),
])  # fmt: skip
def test_eval_bad_input_exit_2(folders, capsys, case, expected):
    root = folders["root"]
    (root / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") * 50)
    (root / "empty.txt").write_text("")
    (root / "short.txt").write_text("the cat sat on the mat.")
    argv = {
        "no-tokenizer": ["eval", folders["bare"], "--text", folders["text"]],
        "latin1": ["eval", folders["llama"], "--text", root / "latin1.txt"],
        "empty": ["eval", folders["llama"], "--text", root / "empty.txt"],
        "short": ["eval", folders["llama"], "--text", root / "short.txt"],
        "missing": ["eval", folders["llama"], "--text", root / "nothing.txt"],
        "encoder": ["eval", folders["bert"], "--text", folders["text"], "--window", 16],
        "gpt2-window": ["eval", _gpt2(root), "--text", folders["text"], "--window", 100],
    }[case]
    code, out, err = run(capsys, *argv)
    assert code == 2 and expected in err and "Traceback" not in err and out == ""


def _gpt2(root):
    folder = root / "gpt2"
    if not folder.exists():
        hf_models.save_model("gpt2", folder)
        tiny_text.save_tokenizer(folder, add_bos=False)
    return folder


def test_shrink_eval_stores_the_evaluation(folders, capsys, tmp_path):
    out_dir = tmp_path / "small"
    code, out, err = run(capsys, "shrink", folders["llama"], "-o", out_dir, "--heads", 4, "--head-dim", 8, "--eval",
                         "--text", folders["text"], "--window", 16)
    assert code == 0, err
    provenance = json.loads((out_dir / "headmix.json").read_text())
    evaluation = provenance["evaluation"]
    assert evaluation["before"]["perplexity"] > 1 and evaluation["after"]["perplexity"] > 1
    assert evaluation["targets"]["num_heads"] == 4 and len(evaluation["layers"]) == 2
    assert f"perplexity      {evaluation['before']['perplexity']:.4g} -> {evaluation['after']['perplexity']:.4g}" in out
    assert "output error" in out
    # 'after' is the model that was written
    exported = open_checkpoint(out_dir)
    sample = prepare_text(exported, read_text(folders["text"]), Settings(16, 4096))
    assert evaluate_model(exported, sample).perplexity.perplexity == pytest.approx(evaluation["after"]["perplexity"], rel=1e-5)


def test_shrink_eval_dry_run_writes_nothing(folders, capsys, tmp_path):
    code, out, err = run(capsys, "shrink", folders["bert"], "--heads", 3, "--eval", "--dry-run", "--text", folders["text"],
                         "--window", 16)
    assert code == 0, err
    assert "embedding cos" in out and "perplexity " not in out
    assert not any(tmp_path.iterdir())
    # a window as long as BERT's 64 learned positions fits, [CLS] included
    code, out, err = run(capsys, "shrink", folders["bert"], "--heads", 3, "--eval", "--dry-run", "--text", folders["text"],
                         "--window", 64)
    assert code == 0, err


def test_shrink_eval_fails_before_writing(folders, capsys, tmp_path):
    code, _, err = run(capsys, "shrink", folders["bare"], "-o", tmp_path / "x", "--heads", 4, "--eval")
    assert code == 2 and "quality check is unavailable" in err
    assert not (tmp_path / "x").exists()
    code, _, err = run(capsys, "shrink", folders["llama"], "-o", tmp_path / "x", "--heads", 4, "--text", folders["text"])
    assert code == 2 and "add --eval" in err


def test_real_process_eval_prints_no_traceback(folders):
    result = subprocess.run([sys.executable, "-m", "headmix.core.cli", "eval", str(folders["bare"])],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "quality check is unavailable" in result.stderr and "Traceback" not in result.stderr


def test_shrink_eval_with_fewer_layers_says_what_the_output_error_is(folders, capsys):
    """With fewer layers the output error compares the smaller model with itself unshrunk (0 without head targets),
    so the line says so instead of looking like a free shrink; perplexity before is the original's."""
    code, out, err = run(capsys, "shrink", folders["llama"], "--num-layers", 1, "--eval", "--dry-run", "--text",
                         folders["text"], "--window", 16, "--calib-text", folders["text"], "--calib-tokens", 256)
    assert code == 0, err
    assert "within the 1-layer model; perplexity includes the removed layers" in out
    checkpoint = open_checkpoint(folders["llama"])
    before = evaluate_model(checkpoint, prepare_text(checkpoint, read_text(folders["text"]), Settings(16, 4096)))
    assert f"perplexity      {before.perplexity.perplexity:.4g} -> " in out


def test_bos_first_puts_the_bos_before_the_first_window_only_and_is_documented(folders, capsys):
    every = json.loads(run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16, "--max-tokens", 160,
                           "--json")[1])
    first = json.loads(run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16, "--max-tokens", 160,
                           "--bos", "first", "--json")[1])
    # every: 10 windows of BOS + 15 tokens; first: BOS + 160 tokens = 161 positions, 10 whole windows of 16
    assert every["text"]["windows"] == first["text"]["windows"] == 10
    assert first["text"]["bos_first_only"] and not every["text"]["bos_first_only"]
    assert first["perplexity"]["perplexity"] != pytest.approx(every["perplexity"]["perplexity"], rel=1e-6)
    code, out, _ = run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16, "--bos", "first")
    assert code == 0 and "the first after <s>, the others running on" in out
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    assert "--bos {every,first,alternate}" in capsys.readouterr().out
    code, out, _ = run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", 16, "--bos", "alternate")
    assert code == 0 and "every other after <s>, the others running on" in out


def test_bos_changes_nothing_for_a_tokenizer_that_adds_none(folders, capsys, tmp_path):
    gpt2 = _gpt2(tmp_path)
    values = [json.loads(run(capsys, "eval", gpt2, "--text", folders["text"], "--window", 16, "--max-tokens", 160,
                             "--bos", bos, "--json")[1])["perplexity"]["perplexity"] for bos in ("every", "first")]
    assert values[0] == values[1]


def test_bos_first_matches_transformers_on_one_concatenated_stream(folders, capsys):
    """The common harness: tokenise the text once (the tokenizer adds one BOS), cut the stream into windows of W,
    score every position's next token within its window; headmix eval --bos first gives that perplexity."""
    import numpy as np
    import torch
    from tokenizers import Tokenizer

    window, limit = 16, 160
    tokenizer = Tokenizer.from_file(str(folders["llama"] / "tokenizer.json"))
    stream = tokenizer.encode(folders["text"].read_text()).ids  # its post-processor puts <s> first
    assert stream[0] == 1 and stream[1] != 1
    stream = stream[: limit + 1]
    ids = torch.tensor(stream[: len(stream) // window * window]).reshape(-1, window)
    model = hf_models.load("llama", folders["llama"])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits.double(), dim=-1)
    nll = -logp[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1)
    expected = float(np.exp(nll.mean().item()))
    data = json.loads(run(capsys, "eval", folders["llama"], "--text", folders["text"], "--window", window,
                          "--max-tokens", limit, "--bos", "first", "--json")[1])
    assert data["perplexity"]["perplexity"] == pytest.approx(expected, rel=1e-4)
    assert data["text"]["scored_tokens"] == nll.numel()

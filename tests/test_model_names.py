"""What a model is called when the user opens it by one of its files, and the export folder proposed for it
(a new user's tryout: picking model.safetensors named the model "model", config.json was refused, and every
kv-heads choice proposed the same export name)."""

from __future__ import annotations

import shutil

import hf_models
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.plan.planner import Plan
from headmix.core.plan.request import Request
from headmix.gui.export_dialog import suggested_name


def test_a_model_opened_by_its_weights_file_is_named_by_its_folder(tmp_path):
    folder = hf_models.save_model("llama", tmp_path / "smollm2-135m")
    picked = open_checkpoint(folder / "model.safetensors")
    assert picked.display_name == "smollm2-135m"
    assert picked.short_name == "smollm2-135m"
    assert picked.argument == str(folder / "model.safetensors")  # the command line still names what was opened


def test_a_model_opened_by_its_shard_index_is_named_by_its_folder(tmp_path):
    folder = hf_models.save_model("llama", tmp_path / "big-model", sharded=True)
    assert open_checkpoint(folder / "model.safetensors.index.json").short_name == "big-model"


def test_another_weights_file_keeps_its_own_name(tmp_path):
    folder = hf_models.save_model("llama", tmp_path / "m")
    shutil.copy(folder / "model.safetensors", folder / "consolidated.safetensors")
    assert open_checkpoint(folder / "consolidated.safetensors").short_name == "consolidated"


def test_config_json_opens_the_model_it_describes(tmp_path):
    folder = hf_models.save_model("llama", tmp_path / "m")
    checkpoint = open_checkpoint(folder / "config.json")
    assert checkpoint.folder == folder and checkpoint.short_name == "m"
    assert set(checkpoint.tensors) == set(open_checkpoint(folder).tensors)


def test_the_export_name_says_the_kv_heads_when_they_are_grouped(tmp_path):
    folder = hf_models.save_model("llama", tmp_path / "m")  # 8 query heads over 4 kv heads of 16
    checkpoint = open_checkpoint(folder)
    names = {kv: suggested_name(Plan.build(checkpoint, Request(kv_heads=kv))) for kv in (4, 2, 1)}
    assert names == {4: "m-8x16-kv4-mean", 2: "m-8x16-kv2-mean", 1: "m-8x16-kv1-mean"}
    assert suggested_name(Plan.build(checkpoint, Request(heads=4, kv_heads=4, method="select"))) == "m-4x16-select"

"""One request, one plan: resolving and snapping in one place, and plans that say the same whatever is cached."""

from __future__ import annotations

import numpy as np
import pytest

import synthetic
from conftest import DEMO
from headmix.core.plan import presets
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import build_parser
from headmix.core.errors import TargetError
from headmix.core.shrink.methods import Method
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request, RequestError
from headmix.core.shrink.targets import choices

SHAPES = [("llama", 2, 8, 2, 8), ("llama", 2, 12, 4, 12), ("qwen2", 2, 6, 6, 10), ("qwen3", 2, 9, 3, 16), ("gpt2", 2, 6, 6, 8)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("request-models")
    found = {"demo": open_checkpoint(DEMO)}
    for family, layers, heads, kv, d in SHAPES:
        name = f"{family}-{heads}x{kv}x{d}"
        found[name] = open_checkpoint(synthetic.write(root / name, family, layers, heads, kv, d, "F32"))
    return found


def test_every_builtin_preset_resolves_to_a_buildable_plan_on_every_model(models):
    """Fractions are snapped to values the window's spin boxes would offer, so every preset builds."""
    for name, checkpoint in models.items():
        arch = detect(checkpoint)
        layer = arch.layers[0]
        for preset in presets.builtin().values():
            resolved = preset.request.resolve(arch)
            offered = choices(layer, resolved.method, resolved.num_heads, resolved.num_kv_heads, resolved.head_dim)
            assert resolved.num_heads in offered["heads"], (name, preset.name)
            assert resolved.num_kv_heads in offered["kv_heads"], (name, preset.name)
            assert resolved.head_dim in offered["head_dim"], (name, preset.name)
            ShrinkRun.build(checkpoint, preset.request, arch=arch)


def test_unset_kv_heads_follow_the_heads_on_mha_and_stay_on_gqa(models):
    mha = detect(models["qwen2-6x6x10"])
    gqa = detect(models["llama-12x4x12"])
    assert Request(heads="1/2").resolve(mha).num_kv_heads == 3
    assert Request(heads="1/2").resolve(gqa).num_kv_heads == 4
    assert Request(heads=3, kv_heads=6).resolve(mha).num_kv_heads == 6  # an explicit value is kept (and refused later)
    with pytest.raises(TargetError) as info:
        ShrinkRun.build(models["qwen2-6x6x10"], Request(heads=3, kv_heads=6))
    assert info.value.field == "kv_heads"


def test_whole_numbers_are_taken_as_given_and_refused_with_the_control_named(models):
    with pytest.raises(TargetError) as info:
        ShrinkRun.build(models["llama-12x4x12"], Request(head_dim=7))
    assert info.value.field == "head_dim" and "odd" in str(info.value)


def test_json_round_trip_and_malformed_values_name_their_key():
    request = Request(heads="1/2", kv_heads=2, head_dim=None, method=Method.MEAN, seed=3, layers="0-1,3")
    assert Request.from_json(request.to_json()) == request
    assert request.to_json()["method"] == "mean"
    for key, value in (("heads", 0), ("kv_heads", "3/2"), ("head_dim", "x"), ("method", "best"), ("seed", -1),
                       ("layers", "first")):  # fmt: skip
        with pytest.raises(RequestError) as info:
            Request.from_json({key: value})
        assert info.value.key == key and key in str(info.value)


@pytest.mark.parametrize("request_", [
    Request(), Request(heads=4), Request(heads="1/2", kv_heads="1/4", head_dim=16, method=Method.ARTICLE, seed=7),
    Request(kv_heads=1, layers="0,2-3", method=Method.RANDOM),
], ids=["default", "heads", "fractions", "layers"])  # fmt: skip
def test_cli_args_parse_back_to_the_same_request(request_):
    args = build_parser().parse_args(["shrink", "model", "-o", "out", *request_.cli_args()])
    given = {"heads": args.heads, "kv_heads": args.kv_heads, "head_dim": args.head_dim, "method": args.method,
             "seed": args.seed, "layers": args.layers}  # fmt: skip
    assert Request().with_overrides(**given) == request_


def test_the_description_never_depends_on_what_is_cached(models):
    checkpoint = models["demo"]
    for request in (Request(heads=4, head_dim=16, method=Method.SELECT), Request(heads=4, head_dim=16, method=Method.ARTICLE, seed=3)):
        plan = ShrinkRun.build(checkpoint, request)
        before, warnings = plan.describe(), list(plan.warnings)
        for i in plan.layers:
            plan.mixing(i)
        assert plan.describe() == before and list(plan.warnings) == warnings
        computed = [w for i in plan.layers for w in plan.mixing(i).warnings]
        assert set(computed) <= set(warnings)  # every per-layer warning was known before anything was read


def test_jobs_cover_every_tensor_once_and_copy_what_does_not_change(models):
    checkpoint = models["llama-12x4x12"]
    plan = ShrinkRun.build(checkpoint, Request(heads=6, kv_heads=2, head_dim=8, method=Method.MEAN, layers="1"))
    jobs = plan.tensor_jobs()
    assert [j.name for j in jobs] == list(checkpoint.tensors)
    assert {j.name for j in jobs if not j.copied} == plan.changed_tensors() == set(plan.layer_jobs[0].tensors)
    assert [j.index for j in plan.layer_jobs] == [1]
    assert all(j.shape == checkpoint.tensors[j.name].shape for j in jobs if j.copied)
    assert sum(j.nbytes for j in jobs) == plan.bytes_after
    assert plan.layer_jobs[0].how.startswith("layer 1:")


def test_partial_plans_say_they_will_not_load(models):
    plan = ShrinkRun.build(models["demo"], Request(heads=4, layers="0-1"))
    ok, reason = plan.loadability
    assert not ok and "layers 0-1 only" in reason
    assert np.array_equal(plan.heatmaps(3)["q_heads"], np.eye(8))

"""Hostile and broken input: property-based tests for the reader, the plan and the export.

Every file is untrusted. The reader either opens a file correctly or raises headmix's own
error with a message; it never raises anything else, never allocates much more than the
file, and answers in a moment. Profiles: ``ci`` (default) and ``deep`` (HEADMIX_FUZZ=deep).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
import json
import math
import shutil
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from safetensors import safe_open

import synthetic
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.errors import Cancelled, ConfigError, ExportError, HeadmixError, OutputRefused, TargetError
from headmix.core.run.export import export
from headmix.core.plan.planner import Plan
from headmix.core.shrink.methods import Method
from headmix.core.plan.request import Request
from headmix.core.shrink.targets import choices

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
DTYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "F64": 8, "MYSTERY": 3}


@st.composite
def valid_file(draw):
    """(header dict, data bytes) of a small, valid safetensors file."""
    header, data = {}, b""
    for i in range(draw(st.integers(1, 3))):
        dtype = draw(st.sampled_from(list(DTYPE_SIZES)))
        shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
        n = math.prod(shape) * DTYPE_SIZES[dtype]
        header[f"t{i}"] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + n]}
        data += draw(st.binary(min_size=n, max_size=n))
    return header, data


def encode(header: dict | bytes, data: bytes, length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


@st.composite
def mutated_file(draw):
    header, data = draw(valid_file())
    kind = draw(st.sampled_from(["length", "json_bytes", "entry", "truncate", "trailing", "metadata", "none"]))
    note(f"mutation: {kind}")
    if kind == "length":
        return encode(header, data, draw(st.integers(0, 2**64 - 1)))
    if kind == "json_bytes":
        raw = bytearray(json.dumps(header).encode())
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return encode(bytes(raw), data)
    if kind == "entry":
        name = draw(st.sampled_from(sorted(header)))
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", None]))
        if field is None:
            header[name] = draw(json_values)
        elif field == "data_offsets" and draw(st.booleans()):
            header[name][field] = [draw(st.integers(-5, 2**66)), draw(st.integers(-5, 2**66))]
        else:
            header[name][field] = draw(json_values)
        return encode(header, data)
    if kind == "metadata":
        header["__metadata__"] = draw(json_values)
        return encode(header, data)
    blob = encode(header, data)
    if kind == "truncate":
        return blob[: draw(st.integers(0, len(blob) - 1))]
    if kind == "trailing":
        return blob + draw(st.binary(min_size=1, max_size=64))
    return blob


@given(blob=mutated_file())
def test_reader_never_crashes_on_mutated_files(tmp_path, blob):
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(blob)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        checkpoint = open_checkpoint(path)
        arch = detect(checkpoint)
        for name, info in checkpoint.tensors.items():
            if info.dtype in DTYPE_SIZES and info.dtype != "MYSTERY":
                assert checkpoint.read(name).nbytes == info.nbytes
        assert arch.parts.keys() == checkpoint.tensors.keys()
    except HeadmixError as e:
        assert "fuzz.safetensors" in str(e) and len(str(e)) > 20
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert peak < 50 * len(blob) + 2_000_000, f"peak {peak} bytes for a {len(blob)}-byte file"


def test_claimed_sizes_never_turn_into_allocations(tmp_path):
    """A header claiming a huge tensor of unknown dtype, or a huge header length, costs nothing."""
    huge = {"x": {"dtype": "MYSTERY", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}
    path = tmp_path / "huge.safetensors"
    path.write_bytes(encode(huge, b"\0" * 8))
    checkpoint = open_checkpoint(path)
    assert checkpoint.tensors["x"].numel == 2**80
    path.write_bytes(encode({}, b"", length=2**63))
    with pytest.raises(HeadmixError, match="larger than the file"):
        open_checkpoint(path)


CONFIG_FIELDS = {
    "llama": ["num_attention_heads", "num_key_value_heads", "hidden_size", "head_dim", "num_hidden_layers", "rope_theta", "partial_rotary_factor", "model_type"],
    "gpt2": ["n_head", "n_embd", "n_layer", "model_type"],
    "bert": ["num_attention_heads", "hidden_size", "num_hidden_layers", "model_type"],
}
bad_numbers = st.one_of(
    st.integers(-10, 100), st.integers(2**24, 2**80), st.floats(allow_nan=True), st.text(max_size=5), st.none(),
    st.booleans(), st.lists(st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def config_sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("config-fuzz")
    return {
        "llama": synthetic.write(root / "llama", "llama", 2, 4, 2, 8),
        "gpt2": synthetic.write(root / "gpt2", "gpt2", 2, 4, 4, 8),
        "bert": synthetic.write(root / "bert", "bert", 2, 4, 4, 8),
    }


@given(family=st.sampled_from(list(CONFIG_FIELDS)), data=st.data())
def test_inconsistent_config_names_the_field(tmp_path, config_sources, family, data):
    source = config_sources[family]
    folder = tmp_path / "m"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    config = json.loads((source / "config.json").read_text())
    field = data.draw(st.sampled_from(CONFIG_FIELDS[family]))
    value = data.draw(bad_numbers)
    config[field] = value
    (folder / "config.json").write_text(json.dumps(config))
    arch = detect(open_checkpoint(folder))
    if arch.usable:
        Plan.build(open_checkpoint(folder), Request())
        return
    message = arch.description if not arch.recognised else "; ".join(arch.problems)
    if field == "model_type":
        assert "not recognised" in message
    else:
        assert f"'{field}'" in message or f"{field}=" in message, message
    with pytest.raises(ConfigError) as info:
        Plan.build(open_checkpoint(folder), Request())
    assert message.split(";")[0][:40] in str(info.value)


MODEL_SHAPES = st.sampled_from(["llama", "qwen2", "qwen3", "gpt2", "bert"]).flatmap(
    lambda family: st.tuples(
        st.just(family),
        st.integers(1, 2),  # layers
        st.sampled_from([(4, 4), (4, 2), (4, 1), (6, 3), (6, 2), (2, 2)] if family not in ("gpt2", "bert") else [(4, 4), (6, 6), (2, 2)]),
        st.sampled_from([4, 6, 8]),  # head size
        st.sampled_from(["F32", "BF16", "F16"]),
        st.sampled_from([1, 2]),  # shards
    )
)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@given(shape=MODEL_SHAPES, method=st.sampled_from(["mean", "select", "random", "article"]), data=st.data())
def test_valid_targets_predict_the_exported_shapes(tmp_path, shape, method, data):
    family, layers, (heads, kv), d, dtype, shards = shape
    root = tmp_path / "case"
    shutil.rmtree(root, ignore_errors=True)
    src = synthetic.write(root / "src", family, layers, heads, kv, d, dtype, shards=shards)
    checkpoint = open_checkpoint(src)
    arch = detect(checkpoint)
    layer = arch.layers[0]
    # draw valid targets the way the window's spin boxes offer them
    method = Method(method)
    new_heads = data.draw(st.sampled_from(choices(layer, method, heads, kv, d)["heads"]))
    new_kv = data.draw(st.sampled_from(choices(layer, method, new_heads, kv if family not in ("gpt2", "bert") else new_heads, d)["kv_heads"]))
    new_d = data.draw(st.sampled_from(choices(layer, method, new_heads, new_kv, d)["head_dim"]))
    plan = Plan.build(checkpoint, Request(new_heads, new_kv, new_d, method=method, seed=data.draw(st.integers(0, 5))))
    out = export(plan, root / "out")
    total = 0
    for f in out.glob("*.safetensors"):
        with safe_open(f, "pt") as reader:
            for name in reader.keys():
                got = tuple(reader.get_slice(name).get_shape())
                assert got == plan.shapes[name], name
                total += math.prod(got)
    assert total == plan.params_after
    assert sum(1 for _ in out.glob("*.safetensors")) == shards


@given(shape=MODEL_SHAPES, data=st.data())
def test_invalid_targets_are_refused_with_a_reason(tmp_path, shape, data):
    family, layers, (heads, kv), d, dtype, _ = shape
    root = tmp_path / "case"
    shutil.rmtree(root, ignore_errors=True)
    checkpoint = open_checkpoint(synthetic.write(root / "src", family, layers, heads, kv, d, dtype))
    kind = data.draw(st.sampled_from(["more heads", "more kv", "bigger d", "zero", "kv not dividing", "odd rotary", "layers"]))
    targets = {
        "more heads": Request(heads=heads + data.draw(st.integers(1, 5))),
        "more kv": Request(kv_heads=kv + data.draw(st.integers(1, 5))),
        "bigger d": Request(head_dim=d + data.draw(st.integers(1, 5))),
        "zero": Request(heads=data.draw(st.integers(-3, 0))),
        "kv not dividing": Request(heads=heads, kv_heads=data.draw(st.integers(1, heads)), head_dim=d),
        "odd rotary": Request(head_dim=data.draw(st.sampled_from([x for x in range(1, d) if x % 2] or [1]))),
        "layers": Request(heads=heads, layers=str(layers + data.draw(st.integers(0, 3)))),
    }[kind]
    if kind == "kv not dividing":
        assume(heads % targets.kv_heads != 0 or (family in ("gpt2", "bert") and targets.kv_heads != heads))
    if kind == "odd rotary":
        assume(family not in ("gpt2", "bert"))
    targets = replace(targets, method=Method(data.draw(st.sampled_from(["mean", "select", "random", "article"]))))
    with pytest.raises(TargetError) as info:
        Plan.build(checkpoint, targets)
    assert info.value.field in ("heads", "kv_heads", "head_dim", "layers") and len(str(info.value)) > 15


@pytest.fixture(scope="module")
def interrupt_source(tmp_path_factory):
    return synthetic.write(tmp_path_factory.mktemp("interrupt") / "src", "qwen2", 3, 4, 2, 8, "BF16", shards=2)


@given(stop_at=st.integers(0, 40), how=st.sampled_from(["cancel", "fail in copy", "fail in mix", "fail in progress"]))
def test_interrupted_export_leaves_nothing_and_source_untouched(tmp_path, interrupt_source, monkeypatch, stop_at, how):
    import headmix.core.run.executor as executor_module

    before = digest(interrupt_source)
    out_parent = tmp_path / "exports"
    shutil.rmtree(out_parent, ignore_errors=True)
    out_parent.mkdir()
    plan = Plan.build(open_checkpoint(interrupt_source), Request(heads=2, kv_heads=1, head_dim=4, method="random"))
    calls = {"n": 0}

    def tick():
        calls["n"] += 1
        return calls["n"] > stop_at

    def failing(real):
        def wrapper(*args, **kwargs):
            if tick():
                raise OSError(5, "Input/output error")
            return real(*args, **kwargs)

        return wrapper

    kwargs = {}
    if how == "cancel":
        kwargs["cancelled"] = tick
    elif how == "fail in copy":
        monkeypatch.setattr(executor_module, "copy_to", failing(executor_module.copy_to))
    elif how == "fail in mix":
        monkeypatch.setattr(executor_module, "mix_tensor", failing(executor_module.mix_tensor))
    else:
        def progress(done, total):
            if tick():
                raise OSError(28, "No space left on device")

        kwargs["progress"] = progress
    try:
        export(plan, out_parent / "out", **kwargs)
        finished = True
    except (Cancelled, ExportError):
        finished = False
    if finished:
        assert (out_parent / "out" / "config.json").exists()
    else:
        assert list(out_parent.iterdir()) == []
    assert digest(interrupt_source) == before


def test_output_paths_that_touch_the_source_are_refused(tmp_path):
    src = synthetic.write(tmp_path / "src", "llama", 1, 4, 2, 8)
    plan = Plan.build(open_checkpoint(src), Request(heads=2))
    before = digest(src)
    for out in (src, src / "inside", src / "inside" / "deeper", tmp_path):
        with pytest.raises(OutputRefused):
            export(plan, out, force=True)
    assert digest(src) == before
    with pytest.raises((OutputRefused, ExportError)):
        export(plan, Path("/proc/headmix-cannot-write-here"))
    single = open_checkpoint(src / "model.safetensors")
    with pytest.raises(OutputRefused, match="inside the source"):
        export(Plan.build(single, Request(heads=2)), src / "sub")


@pytest.mark.interop
def test_names_with_spaces_and_non_ascii(tmp_path, model_dir):
    import hf_models

    src = tmp_path / "mödel dir 日本"
    shutil.copytree(model_dir("llama"), src)
    out = tmp_path / "out é 小さい"
    export(Plan.build(open_checkpoint(src), Request(heads=4, kv_heads=2, head_dim=8)), out)
    assert np.isfinite(hf_models.outputs(hf_models.load("llama", out)).numpy()).all()

"""Healing with the norm weights trained too (``--heal-norms``): every norm weight joins what ``--heal-train``
chose, they move, and headmix.json records the choice."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from healable import healable
from headmix.core.cli import build_parser
from headmix.core.errors import HeadmixError
from headmix.core.heal.command import options_from
from headmix.core.heal.record import HealOptions
from headmix.core.heal.run import heal_export
from headmix.core.heal.trainable import select
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.architecture import detect

pytestmark = pytest.mark.interop


def test_norms_train_every_norm_weight_besides_the_choice(tmp_path):
    made = healable(tmp_path / "made")
    export, source = open_checkpoint(made["export"]), open_checkpoint(made["source"])
    arch = detect(export)
    provenance = json.loads((made["export"] / "headmix.json").read_text())
    norm_names = {n for layer in arch.layers for r, n in layer.names.items() if r in ("attn_norm", "mlp_norm")}
    norm_names.add(arch.global_names["final_norm"])
    changed = select("changed", export, arch, source, provenance)
    with_norms = select("changed", export, arch, source, provenance, norms=True)
    assert not norm_names & set(changed) and set(with_norms) == set(changed) | norm_names
    folder = tmp_path / "export"
    shutil.copytree(made["export"], folder)
    before = {n: np.array(export.read(n)) for n in norm_names}
    record = heal_export(folder, options=HealOptions(tokens=512, window=64, lr=1e-3, device="cpu", norms=True))
    assert record.kept and set(record.trained) == set(with_norms)
    assert json.loads((folder / "headmix.json").read_text())["heal"]["norms"] is True
    after = open_checkpoint(folder)
    assert any(not np.array_equal(np.array(after.read(n)), value) for n, value in before.items())


@pytest.mark.parametrize("field", ["norms", "recompute"])
def test_heal_switches_are_on_by_default_and_each_command_turns_them_off_or_on(field):
    """``--heal-norms`` (train the norm weights too) and ``--heal-recompute`` (recompute each layer in the backward
    pass): both on by default, and both ``heal`` and ``shrink --heal`` take the ``--no-`` form and the plain one."""
    flag = "--heal-" + field
    no_flag = "--no-heal-" + field
    assert getattr(HealOptions(), field) is True
    parser = build_parser()
    assert getattr(options_from(parser.parse_args(["heal", "OUT"])), field) is True
    assert getattr(options_from(parser.parse_args(["heal", "OUT", no_flag])), field) is False
    assert getattr(options_from(parser.parse_args(["shrink", "M", "-o", "O", "--heal", no_flag])), field) is False
    assert getattr(options_from(parser.parse_args(["shrink", "M", "-o", "O", "--heal", flag])), field) is True


def test_an_export_the_shrink_did_not_change_is_not_healed_for_its_norms_alone(tmp_path):
    made = healable(tmp_path / "made")
    folder = tmp_path / "unchanged"
    shutil.copytree(made["source"], folder)  # the original's very tensors, with an export's record
    shutil.copy(made["export"] / "headmix.json", folder / "headmix.json")
    with pytest.raises(HeadmixError, match="nothing to train"):
        heal_export(folder, str(made["source"]), HealOptions(tokens=512, window=64, device="cpu"))

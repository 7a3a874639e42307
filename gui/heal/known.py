"""Which healed export belongs to which plan: an export's headmix.json names its original (by the digest of its
tensor headers) and the request it carried out, so the Quality tab can find the healed export of the targets on
screen. Qt-free."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from headmix.core.errors import HeadmixError
from headmix.core.heal.run import read_provenance
from headmix.core.shrink.targets import format_layers


def plan_key(source_digest: str, method: str, seed, targets: dict, parameters) -> str:
    """The same original, method, seed, resolved targets and parameter count: the same plan. (The request itself
    differs between the command line, which leaves defaults unset, and the window, which sets every one.)"""
    payload = {"source": source_digest, "method": method, "seed": seed, "targets": targets, "parameters": parameters}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def key_of_plan(plan) -> str:
    targets = {"num_heads": plan.num_heads, "num_kv_heads": plan.num_kv_heads, "head_dim": plan.head_dim,
               "layers": format_layers(plan.resolved.layers)}
    return plan_key(plan.source_checkpoint.header_digest(), plan.method.value, plan.seed, targets, plan.params_after)


def key_of_export(provenance: dict) -> str:
    return plan_key(provenance["source_header_sha256"], provenance.get("method"), provenance.get("seed"),
                    provenance.get("targets"), (provenance.get("parameters") or {}).get("after"))


def read_export(folder: str | Path) -> dict:
    """headmix.json of a headmix export, or a HeadmixError that says why ``folder`` is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HeadmixError(f"{folder} is not a folder")
    provenance = read_provenance(folder)
    if not isinstance(provenance, dict) or "request" not in provenance or "source_header_sha256" not in provenance:
        raise HeadmixError(f"{folder}: its headmix.json is not the record of a headmix shrink")
    return provenance


class HealedExports:
    """The healed exports this window has made or healed, by plan (the latest of a plan wins)."""

    def __init__(self):
        self._by_plan: dict[str, Path] = {}

    def add(self, folder: str | Path) -> None:
        provenance = read_export(folder)
        self._by_plan[key_of_export(provenance)] = Path(folder)

    def for_plan(self, plan) -> tuple[Path, dict] | None:
        """(the folder, its headmix.json ``heal`` record) of the plan's healed export, if it still holds one."""
        if plan is None:
            return None
        folder = self._by_plan.get(key_of_plan(plan))
        if folder is None:
            return None
        try:
            heal = read_export(folder).get("heal")
        except HeadmixError:
            return None
        return (folder, heal) if isinstance(heal, dict) else None

"""Will each runtime people deploy with compute what transformers computes? A verdict per runtime.

"Loads in transformers" is not enough: vLLM, llama.cpp (and Ollama through a GGUF), mlx-lm
and ``ollama create`` read other config keys and size tensors their own way, and several of
them load an export and then silently compute something else. What each one does was read
from its current source (transformers 5.24, vLLM 0.33, llama.cpp as vendored by
llama-cpp-python 0.3.36, mlx-lm 0.32, Ollama's converter) and, where it installs here,
measured by ``scripts/check_runtimes.py``. The verdicts depend on the plan alone (the request,
the model's shape and its config), never on computed matrices, so the dry run and the
window can say them before anything runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from ..model.inspection import ordinal
from .runtime_table import TABLE, Reads, derived_period


class Status(str, Enum):
    OK = "ok"  # computes what transformers computes
    WARN = "warn"  # loads and computes the same within a stated limit
    NO = "no"  # refuses it, or computes something else

    @property
    def mark(self) -> str:
        return {"ok": "✔", "warn": "⚠", "no": "✘"}[self.value]


@dataclass(frozen=True)
class Verdict:
    runtime: str
    status: Status
    reason: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        return data


RUNTIMES = ("transformers", "vLLM", "llama.cpp / Ollama (GGUF)", "mlx-lm", "ollama create")

_TITLES = {"gemma3_text": "Gemma 3", "gemma2": "Gemma 2", "qwen2": "Qwen2", "qwen3": "Qwen3", "phi3": "Phi-3",
           "gpt2": "GPT-2", "bert": "BERT"}
_KIND = {None: "", "sliding_attention": "sliding-window ", "full_attention": "full-attention "}


@dataclass(frozen=True)
class RuntimeFacts:
    """What the export's config.json says (or will say), in the terms of :class:`runtime_table.Reads`."""

    family: str
    shape_changed: bool  # heads × head size differs from the hidden size
    partial: bool
    identity: bool
    #: the rope type written for each layer type (key None: one rope for every layer)
    ropes: dict[str | None, str]
    #: the rope base written for each layer type (None: not known until the pairs are chosen)
    thetas: dict[str | None, float | None]
    #: the rotary pairs are chosen from scores not computed yet: ``ropes`` is the worst they can give
    pairs_pending: bool
    source_ropes: dict[str | None, str]  # the source's rope type per layer type
    scale_differs: bool  # query_pre_attn_scalar differs from the head size (Gemma)
    article: bool
    #: the export's layer_types when the family has sliding and global layers (None: none, or not chosen yet)
    layer_types: list[str] | None = None
    pattern_pending: bool = False  # which layers stay is chosen later
    config: dict = field(default_factory=dict)  # the keys a runtime derives a pattern from
    prefix: str = ""  # the tensor names' prefix before the layers ("model.", "transformer.", "")
    #: the original's heads × head size already differs from its hidden size (as the bundled demo's does)
    source_shape_differs: bool = False

    @property
    def title(self) -> str:
        return _TITLES.get(self.family, self.family.capitalize())

    @property
    def has_sliding(self) -> bool:
        return bool(self.layer_types) and "sliding_attention" in self.layer_types


def verdicts(facts: RuntimeFacts, loadability: tuple[bool, str]) -> list[Verdict]:
    """One verdict per runtime in :data:`RUNTIMES`, from plain facts about the export
    (:meth:`planner.Plan.runtime_facts` gathers them) and whether stock transformers loads it."""
    ok, reason = loadability
    found = [Verdict("transformers", Status.OK if ok else Status.NO, reason)]
    for runtime in RUNTIMES[1:]:
        found.append(_verdict(runtime, facts))
    if facts.article:
        found = [Verdict(v.runtime, v.status if v.status is Status.NO else Status.WARN,
                         v.reason + "; the article's uncompensated mixing needs retraining first") for v in found]
    return found


def _verdict(runtime: str, f: RuntimeFacts) -> Verdict:
    """The verdict of one runtime: the export's facts against that runtime's row of the table, in a fixed order."""
    reads = TABLE[runtime].get(f.family)
    if reads is None:
        return Verdict(runtime, Status.NO, f"{runtime} has no {f.title} implementation"
                       + (" for this conversion path; convert to GGUF with llama.cpp and import that" if runtime == "ollama create" else ""))
    if reads.refuses:
        return Verdict(runtime, Status.NO, reads.refuses)
    if reads.prefixes is not None and f.prefix not in reads.prefixes:
        return Verdict(runtime, Status.NO, f"it loads {f.title}'s tensors under other names than this checkpoint's "
                       f"({f.prefix}…; {reads.source})")
    if f.partial:
        return Verdict(runtime, Status.NO, "it needs the same head counts in every layer")
    if f.shape_changed and not reads.head_dim:
        how = f"its {f.title} sizes the attention by hidden / heads and ignores head_dim"
        if f.source_shape_differs:
            return Verdict(runtime, Status.NO, f"heads × head size differs from the hidden size, already in the original, "
                           f"and {how}: it mis-sizes this model even unchanged")
        return Verdict(runtime, Status.NO, f"heads × head size no longer equals the hidden size, and {how}")
    kinds = [None] if not f.has_sliding else ["sliding_attention", "full_attention"]
    for key, rope_type in f.ropes.items():
        for kind in ([key] if key is not None else kinds):
            if reads.reads_rope(rope_type, kind == "sliding_attention"):
                continue
            maybe = "the rotary pairs are chosen from scores not computed yet, and unless they form a progression " \
                if f.pairs_pending and rope_type == "longrope" else \
                "the rotary pairs are chosen from scores not computed yet, and unless they start at pair 0 " \
                if f.pairs_pending and f.source_ropes.get(key) != rope_type else ""
            what = {"longrope": "longrope per-pair factors", "linear": "a linear rope factor"}.get(rope_type, f"a {rope_type} rope")
            fix = "" if f.source_ropes.get(key) == rope_type else \
                "; keep an arithmetic progression of rotary pairs (--rotary-pairs progression)" if rope_type == "longrope" \
                else "; keep pairs from pair 0 (every r-th pair), which need no factor" if rope_type == "linear" else ""
            note = f" ({reads.rope_note})" if reads.rope_note else ""
            return Verdict(runtime, Status.NO, f"{maybe}the export needs {what} on its {_KIND[kind]}layers, which {runtime} "
                           f"does not read{note}{fix}")
    if reads.fixed_theta is not None:
        for key, theta in f.thetas.items():
            if theta is None or abs(theta / reads.fixed_theta - 1) > 1e-6:
                maybe = "the rotary pairs are chosen from scores not computed yet, and unless every r-th pair is kept " \
                    "with r = old head size / new, " if theta is None else ""
                shown = "" if theta is None else f" (here θ {theta:,.6g})"
                return Verdict(runtime, Status.NO, f"{maybe}it rotates {f.title} at θ {reads.fixed_theta:,.0f} whatever "
                               f"config.json says{shown}: {reads.rope_note or reads.source}")
    if f.scale_differs and not reads.attention_scale:
        return Verdict(runtime, Status.NO, f"it scales {f.title}'s attention by the head size and ignores "
                       "query_pre_attn_scalar, which differs from the head size here")
    if f.pattern_pending and reads.pattern not in ("layer_types", "none"):
        return Verdict(runtime, Status.WARN, f"it derives {f.title}'s pattern of local and global layers ({_pattern(reads)}); "
                       "whether the kept layers still follow it is known once they are chosen (headmix.json says)")
    period = derived_period(reads.pattern, f.config) if f.layer_types else None
    if period is not None:
        if reads.period_within_layers and period > len(f.layer_types):
            return Verdict(runtime, Status.NO, f"it derives {f.title}'s global layers ({_pattern(reads)}) and fails to "
                           "load a model with none at that period")
        if [(i + 1) % period != 0 for i in range(len(f.layer_types))] != [t == "sliding_attention" for t in f.layer_types]:
            return Verdict(runtime, Status.NO, f"it derives {f.title}'s local and global layers ({_pattern(reads)}), "
                           "which the export's layer_types do not follow")
    if f.has_sliding and not reads.sliding_window:
        return Verdict(runtime, Status.WARN, f"its {f.title} has no sliding window: the same up to the window's length")
    what = "computes the same" if not f.identity else "computes the same (nothing changes)"
    return Verdict(runtime, Status.OK, f"{what}: it reads every key this export relies on ({reads.source})")


def _pattern(reads: Reads) -> str:
    kind, _, rest = reads.pattern.partition(":")
    if kind == "fixed":
        return f"every {ordinal(int(rest))} layer is global, whatever config.json says"
    name, _, default = rest.partition(":")
    return f"every N-th layer is global, N from config.json's {name}, {default} without it"

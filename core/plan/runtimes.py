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

from dataclasses import asdict, dataclass
from enum import Enum


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

#: families each runtime has an implementation of (by the family the export is written as)
_SUPPORTED = {
    "vLLM": {"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gpt2", "bert"},
    "llama.cpp / Ollama (GGUF)": {"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gpt2", "bert"},
    "mlx-lm": {"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gpt2"},
    "ollama create": {"llama", "qwen2", "phi3", "gemma2", "gemma3_text", "bert"},
}
#: families whose attention a runtime sizes by hidden / heads, ignoring config.head_dim
_HIDDEN_OVER_HEADS = {
    "vLLM": {"qwen2", "gpt2", "bert"},
    "llama.cpp / Ollama (GGUF)": {"qwen2", "phi3", "gpt2", "bert"},
    "mlx-lm": {"qwen2", "phi3", "gpt2"},
    "ollama create": {"llama", "qwen2", "phi3", "gemma2", "gemma3_text", "bert"},
}


@dataclass(frozen=True)
class RuntimeFacts:
    """What the verdicts depend on, gathered from a plan (and, when exact, from what its export wrote)."""

    family: str
    shape_changed: bool  # heads × head size differs from the hidden size
    partial: bool
    identity: bool
    longrope: bool  # the export keeps an arbitrary set of rotary pairs through longrope factors
    per_type_longrope: bool  # ... in a model with a rope per layer type (Gemma 3)
    scale_differs: bool  # query_pre_attn_scalar differs from the head size (Gemma)
    article: bool
    #: layers go from a model whose local/global pattern some runtimes hard-code: True if the kept
    #: layers break the pattern, None while which layers go is not chosen yet
    pattern_broken: bool | None = False
    pairs_pending: bool = False  # any subset, chosen from scores not computed yet: longrope is the worst case


def verdicts(facts: RuntimeFacts, loadability: tuple[bool, str]) -> list[Verdict]:
    """One verdict per runtime in :data:`RUNTIMES`, from plain facts about the export
    (:meth:`planner.Plan.verdicts` gathers them) and whether stock transformers loads it.
    """
    ok, reason = loadability
    found = [Verdict("transformers", Status.OK if ok else Status.NO, reason)]
    for runtime in RUNTIMES[1:]:
        found.append(_verdict(runtime, facts))
    if facts.article:
        found = [Verdict(v.runtime, v.status if v.status is Status.NO else Status.WARN,
                         v.reason + "; the article's uncompensated mixing needs retraining first") for v in found]
    return found


def _verdict(runtime: str, f: RuntimeFacts) -> Verdict:
    title = {"gemma3_text": "Gemma 3", "gemma2": "Gemma 2", "qwen2": "Qwen2", "qwen3": "Qwen3", "phi3": "Phi-3",
             "gpt2": "GPT-2", "bert": "BERT"}.get(f.family, f.family.capitalize())  # fmt: skip
    if f.family not in _SUPPORTED[runtime]:
        return Verdict(runtime, Status.NO, f"{runtime} has no {title} implementation"
                       + (" for this conversion path; convert to GGUF with llama.cpp and import that" if runtime == "ollama create" else ""))
    if f.partial:
        return Verdict(runtime, Status.NO, "it needs the same head counts in every layer")
    if f.shape_changed and f.family in _HIDDEN_OVER_HEADS[runtime]:
        why = {"ollama create": "its converter writes the rope dimension as hidden / heads"}.get(
            runtime, f"its {title} sizes the attention by hidden / heads and ignores head_dim")
        return Verdict(runtime, Status.NO, f"heads × head size no longer equals the hidden size, and {why}")
    if f.longrope:
        # not chosen yet: the pairs any subset picks from scores are a progression only by chance
        maybe = "the rotary pairs are chosen from scores not computed yet, and unless they form a progression " \
            if f.pairs_pending else ""
        if runtime == "llama.cpp / Ollama (GGUF)":
            return Verdict(runtime, Status.NO, f"{maybe}convert_hf_to_gguf.py drops longrope per-pair factors, so the "
                           "GGUF would rotate at the default frequencies; keep an arithmetic progression of rotary "
                           "pairs (--rotary-pairs progression)")
        if runtime == "ollama create":
            return Verdict(runtime, Status.NO, f"{maybe}its converter drops longrope per-pair factors")
        if f.per_type_longrope and runtime == "mlx-lm":
            return Verdict(runtime, Status.NO, "its Gemma 3 reads no rope scaling for the sliding-window layers")
    if runtime == "llama.cpp / Ollama (GGUF)" and f.scale_differs:
        return Verdict(runtime, Status.NO, "it scales Gemma's attention by the head size and ignores "
                       "query_pre_attn_scalar, which differs from the head size here")
    if runtime in ("llama.cpp / Ollama (GGUF)", "mlx-lm") and f.pattern_broken is not False:
        if f.pattern_broken is None:
            return Verdict(runtime, Status.WARN, "it assumes Gemma's fixed pattern of local and global layers; whether "
                           "the kept layers still follow it is known once they are chosen (headmix.json says)")
        return Verdict(runtime, Status.NO, "it assumes Gemma's fixed pattern of local and global layers, which the "
                       "kept layers no longer follow")
    if runtime == "mlx-lm" and f.family == "gemma2":
        return Verdict(runtime, Status.WARN, "its Gemma 2 has no sliding window: the same up to the window's length")
    if runtime == "ollama create" and f.family in ("mistral", "qwen3"):
        return Verdict(runtime, Status.NO, f"its converter does not support {title}")
    what = "computes the same" if not f.identity else "computes the same (nothing changes)"
    keys = "reads the rope from rope_scaling and rope_theta, which the export writes" if runtime in ("mlx-lm", "ollama create") \
        else "reads the config's head_dim and rope parameters"
    return Verdict(runtime, Status.OK, f"{what}: {keys}")

"""Whether a heal can run on a model, asked before anything is written.

``headmix shrink --heal`` asks it of the original before the export (the export copies the original's
tokenizer and keeps its family), ``headmix heal`` of the export before the teacher runs, and
the window's *Heal after export* choice can grey itself on the same reasons (:func:`heal_unavailable`, whose
``kind`` says which, without importing torch). A heal refused here has changed nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import HeadmixError
from ..io.checkpoint import open_checkpoint
from ..io.text import TOKENIZER_NAME, TextTokenizer, load_tokenizer
from ..model.architecture import Architecture, detect
from ..model.families import Blocks, Family, Layout, Mlp
from . import HealUnavailable, require_torch

#: the start of the no-tokenizer reason (the window words the same reason in its own language)
NEEDS_TOKENIZER = "healing needs the model's tokenizer (it trains on the calibration text)"


def check_family(arch: Architecture) -> None:
    """Refuse, with the reason, a model the student (:mod:`torch_model`) cannot run."""
    family: Family | None = arch.family
    if family is None:
        raise HealUnavailable(f"healing cannot run this model: {arch.description or 'its family is not recognised'}",
                              kind="family")
    reasons = []
    if not family.causal:
        reasons.append("it is an encoder (healing distils next-token predictions)")
    if family.layout is not Layout.LINEAR or family.fused_qkv:
        reasons.append("its attention is fused (one qkv tensor)")
    if family.mlp is not Mlp.GATED:
        reasons.append("its MLP is not a separate gate/up/down")
    if not family.rotary:
        reasons.append("it has learned positions")
    if family.blocks is Blocks.POST:
        reasons.append("its norms follow the blocks")
    if reasons:
        raise HealUnavailable(f"healing runs Llama, Mistral, Qwen2, Qwen3, Gemma 2 and Gemma 3 models; this "
                              f"{family.title} model cannot be healed: {'; '.join(reasons)}", kind="family")


def check_tokenizer(folder: str | Path) -> TextTokenizer:
    """The tokenizer of the model in ``folder``, or the refusal a heal needs when there is none it can read (it
    tokenises the calibration text); the heal goes on with the tokenizer returned rather than reading it again."""
    folder = Path(folder)
    if not (folder / TOKENIZER_NAME).is_file():
        raise HealUnavailable(f"{NEEDS_TOKENIZER}, and {folder} has no {TOKENIZER_NAME}", kind="tokenizer")
    try:
        return load_tokenizer(folder)
    except HeadmixError as e:
        raise HealUnavailable(f"{NEEDS_TOKENIZER}: {e}", kind="tokenizer") from None


def heal_unavailable(folder: str | Path, arch: Architecture) -> HealUnavailable | None:
    """Why a heal cannot run on the model in ``folder`` (architecture ``arch``), or None: PyTorch (kind "torch"),
    the family (kind "family"), the tokenizer (kind "tokenizer"), in that order. Never imports torch."""
    try:
        require_torch(importing=False)
        check_family(arch)
        check_tokenizer(folder)
    except HealUnavailable as e:
        return e
    return None


def require_healable(folder: str | Path, arch: Architecture | None = None, device: str | None = None) -> None:
    """Raise :class:`HealUnavailable` when a heal cannot run on the model in ``folder``; ``device``: also check
    that the named device exists (this imports torch, as the heal is about to)."""
    require_torch()
    if arch is None:
        arch = detect(open_checkpoint(folder))
    problem = heal_unavailable(folder, arch)
    if problem is not None:
        raise problem
    if device is not None:
        device_for(device)


def device_for(name: str) -> torch.device:  # noqa: F821 (torch is imported inside: it is optional)
    """The torch device a heal trains on: ``auto`` picks CUDA, then Apple's MPS, then the CPU; a named device must
    exist (kind "device"). Imports torch."""
    import torch

    cuda, mps = torch.cuda.is_available(), bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == "cuda" and not cuda:
        raise HealUnavailable("--device cuda: no CUDA device is available to this PyTorch build", kind="device")
    if name == "mps" and not mps:
        raise HealUnavailable("--device mps: Apple's MPS is not available here", kind="device")
    return torch.device(name)

"""What a heal is asked to do (:class:`HealOptions`) and what it did (:class:`HealRecord`, in headmix.json).

Both are plain data, free of torch, so the command line and the window can build options and
read records without the heal extra installed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: default token budget (README, "Healing"), chosen by the worst of three held-out texts on SmolLM2-135M:
#: kv 3 -> 1 went from 3.33x the original at 8,192 tokens to 2.69x at 32,768 and 2.54x at 65,536, head size
#: 64 -> 32 from 14.5x to 11.8x and 11.3x; 65,536 still heals each shape in under 15 minutes on 2 cores
DEFAULT_TOKENS = 65536
#: peak learning rate: 6e-4 did worse than 3e-4 on the worst held-out text at 32,768 tokens (2.75x against 2.69x),
#: as 1e-3 did at 8,192 (3.70x against 3.33x)
DEFAULT_LR = 3e-4
DEFAULT_WINDOW = 512
#: the share of the text's windows held out (never trained on) to decide whether a heal is kept
HELDOUT_FRACTION = 0.1
#: at most this many held-out windows (4,096 tokens at the default window): enough to decide, and a long
#: text's tenth would otherwise be run by the teacher and scored twice for nothing
MAX_HELDOUT_WINDOWS = 8


@dataclass(frozen=True)
class HealOptions:
    tokens: int = DEFAULT_TOKENS
    lr: float = DEFAULT_LR
    train: str = "changed"  # changed | attention | all
    #: also train every norm weight (a few parameters a layer), whatever ``train`` chose: on by default, as at the
    #: default budget it healed both measured shapes further by the worst held-out text (README, "Healing")
    norms: bool = True
    device: str = "auto"  # auto | cpu | cuda | mps
    window: int = DEFAULT_WINDOW
    batch: int = 1  # windows per optimiser step
    top_k: int = 1024
    #: recompute each layer in the backward pass instead of keeping every layer's activations: on by default,
    #: as every layer's activations were the largest part of a heal's memory (README, "Healing", Memory)
    recompute: bool = True
    seed: int = 0
    text: str | None = None  # a UTF-8 file; None: the text the shrink was calibrated on


@dataclass
class HealRecord:
    """headmix.json's ``heal``: what was trained, on which text, for how long, and whether it helped."""

    kept: bool
    reason: str
    trained: list[str]
    trained_parameters: int
    train: str
    text: str
    text_sha256: str
    tokens: int
    steps: int
    lr: float
    window: int
    batch: int
    top_k: int
    device: str
    heldout_windows: int
    heldout_before: dict
    heldout_after: dict
    loss_curve: list[list[float]] = field(default_factory=list)  # [tokens seen, batch loss]
    norms: bool = False  # every norm weight trained too
    seconds: dict = field(default_factory=dict)  # teacher, training, total

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        before, after = self.heldout_before, self.heldout_after
        verb = "kept" if self.kept else "NOT kept (the export keeps its un-healed weights)"
        return (f"heal {verb}: held-out KL {before['kl']:.4g} -> {after['kl']:.4g}, perplexity "
                f"{before['perplexity']:.4g} -> {after['perplexity']:.4g} on {self.heldout_windows} held-out window(s) of "
                f"{self.text}; {self.tokens:,} tokens, {len(self.trained)} tensors ({self.trained_parameters:,} parameters), "
                f"{self.seconds.get('total', 0):.0f} s on {self.device}")


def thin_curve(curve: list[tuple[int, float]], points: int = 200) -> list[list[float]]:
    """At most ``points`` points of the loss curve (means of consecutive steps), for headmix.json."""
    if len(curve) <= points:
        return [[int(t), round(float(v), 5)] for t, v in curve]
    per = -(-len(curve) // points)
    out = []
    for start in range(0, len(curve), per):
        part = curve[start:start + per]
        out.append([int(part[-1][0]), round(sum(v for _, v in part) / len(part), 5)])
    return out

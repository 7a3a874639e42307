"""Words and numbers of the Quality tab that need no widget: the targets in a line, what a run can be compared
with, a result's headline, and the tab's fixed texts."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale

from headmix.core.errors import HeadmixError
from headmix.core.run.quality import PlanQuality

from ..formatting import format_error, format_perplexity, format_ratio, ratio_of, runs


translate = QCoreApplication.translate

#: what the first entry of the text list is (in English; :func:`default_text_item` in the window's language)
DEFAULT_TEXT_ITEM = QT_TRANSLATE_NOOP("QualityWords", "Default text")
#: perplexities further apart than this factor are drawn on a log axis
LOG_RATIO = 10.0
GREY_STYLE = "color: palette(placeholder-text);"
CALIBRATION_NOTE = QT_TRANSLATE_NOOP("QualityWords",
                                     "⚠ measured on the calibration text: expect it to look better than on other text")


def default_text_item() -> str:
    return translate("QualityWords", DEFAULT_TEXT_ITEM)


def calibration_note() -> str:
    """:data:`CALIBRATION_NOTE` in the window's language."""
    return translate("QualityWords", CALIBRATION_NOTE)


def describe_targets(targets: dict, num_layers: int | None = None) -> str:
    """``4×16, kv 2, select, all layers`` from a PlanQuality's ``targets`` (or the same keys of a plan);
    with fewer decoder layers (``decoder_layers``, of ``num_layers``): ``8×32, kv 4, select, 3 of 4 decoder layers``."""
    layers = targets["layers"]
    decoder = targets.get("decoder_layers")
    if decoder is not None and num_layers is not None and decoder < num_layers:
        how = f" ({targets['layer_method']})" if targets.get("layer_method") else ""
        return (f"{targets['num_heads']}×{targets['head_dim']}, kv {targets['num_kv_heads']}, {targets['method']}, "
                + translate("QualityWords", "{kept} of {total} decoder layers").format(kept=decoder, total=num_layers)
                + how)
    if num_layers is not None and len(layers) == num_layers:
        where = translate("QualityWords", "all layers")
    elif not layers:
        where = translate("QualityWords", "no layer changed")
    else:
        where = translate("QualityWords", "layers {layers}").format(layers=runs(layers, ","))
    return f"{targets['num_heads']}×{targets['head_dim']}, kv {targets['num_kv_heads']}, {targets['method']}, {where}"


def plan_targets(plan) -> dict:
    targets = {"num_heads": plan.num_heads, "num_kv_heads": plan.num_kv_heads, "head_dim": plan.head_dim,
               "layers": list(plan.layers), "method": plan.method.value, "seed": plan.seed,
               "decoder_layers": len(plan.arch.layers)}
    if plan.reduction is not None:
        targets["layer_method"] = plan.reduction.method.value
    return targets


def result_targets(q: PlanQuality) -> dict:
    """A result's targets, with the decoder layer count of the model it measured."""
    return {**q.targets, "decoder_layers": len(q.layers)}


def comparison_kind(plan, arch) -> str | None:
    """What the current plan can be compared with at the same size: "layers" when it shrinks heads
    (or head size) only, "heads" when it removes decoder layers only; None otherwise."""
    if plan is None or arch is None:
        return None
    heads = bool(plan.layers) and (plan.num_heads, plan.num_kv_heads, plan.head_dim) != (arch.num_heads, arch.num_kv_heads,
                                                                                        arch.head_dim)
    if plan.reduction is None and heads:
        return "layers"
    if plan.reduction is not None and not heads:
        return "heads"
    return None


def _default_words() -> int | None:
    from headmix.core.io.text import read_text

    try:
        return len(read_text(None).content.split())
    except HeadmixError:
        return None


def headline_numbers(q: PlanQuality) -> str:
    """The result in one line of plain text (the summary, the status bar, the stale note)."""
    if q.before is not None:
        ratio = ratio_of(q.before.mean_nll, q.after.mean_nll)
        main = translate("QualityWords", "perplexity {before} → {after} ({ratio})").format(
            before=format_perplexity(q.before.perplexity, q.before.mean_nll),
            after=format_perplexity(q.after.perplexity, q.after.mean_nll), ratio=format_ratio(ratio))
    else:
        main = translate("QualityWords", "embedding cosine {cosine}").format(cosine=cosine_text(q.embedding_cosine))
    return translate("QualityWords", "{main}, final hidden-state error {error}").format(
        main=main, error=format_error(q.hidden_error))


def cosine_text(cosine: float) -> str:
    """A cosine with three decimals, in the window's locale."""
    return QLocale().toString(float(cosine), "f", 3)



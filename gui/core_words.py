"""The core's fixed sentences the window shows (what each method does), in the window's language.

The core is Qt-free and its command line stays English, so its sentences are written there in English only.
The window looks each one up in the catalogue by its exact English text (context ``CoreText``); the literal
copies below are what ``pyside6-lupdate`` extracts. A core sentence that changes no longer matches its old
translation and is shown in English until the catalogue catches up: never a stale translation.
tests/test_i18n.py fails while a core sentence has no literal copy here.

Messages the core builds from values (errors, runtime verdicts, warnings) are shown as the core words them,
in English, the same words the command line prints and a bug report quotes.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from headmix.core.shrink.layer_removal import LAYER_METHODS
from headmix.core.shrink.methods import HEATMAPS, MATRIX_TITLES, METHODS

CONTEXT = "CoreText"

#: copies of the core's Method and LayerMethod sentences and the heatmaps' titles, for lupdate (tests check the
#: core's are all here)
SENTENCES = (
    QT_TRANSLATE_NOOP("CoreText", "Run a calibration text through the model layer by layer: keep the query heads whose "
                                  "outputs best reproduce the layer's, merge key/value heads RoPE-aware and values by their principal directions, and "
                                  "refit the output projection by least squares."),
    QT_TRANSLATE_NOOP("CoreText", "Keep the heads and dims with the highest weight-norm importance scores and drop the rest."),
    QT_TRANSLATE_NOOP("CoreText", "Average contiguous groups of heads and dims (for key/value heads this is the GQA paper's "
                                  "mean pooling)."),
    QT_TRANSLATE_NOOP("CoreText", "Replace each group that mean would average by a seeded random weighted average "
                                  "(positive weights summing to one)."),
    QT_TRANSLATE_NOOP("CoreText", "The article's method: Gaussian matrices divided by their column sums, the same ones on q, "
                                  "k, v and o, with no output compensation."),
    QT_TRANSLATE_NOOP("CoreText", "Remove the layers that change the residual stream least (block influence on the "
                                  "calibration text; weight norms without a tokenizer)."),
    QT_TRANSLATE_NOOP("CoreText", "Remove the same layers, each averaged into the kept layer before it, as the article "
                                  "proposes."),
    QT_TRANSLATE_NOOP("CoreText", "Remove them and refit the MLP output of the kept layer before each removed run by least "
                                  "squares, so the run's output is reproduced on the calibration text."),
    QT_TRANSLATE_NOOP("CoreText", "Query heads"),
    QT_TRANSLATE_NOOP("CoreText", "Key/value heads"),
    QT_TRANSLATE_NOOP("CoreText", "Query/key dims"),
    QT_TRANSLATE_NOOP("CoreText", "Value dims"),
    # what a layer choice's scores are (LayerChoice.score_kind)
    QT_TRANSLATE_NOOP("CoreText", "block influence 1 − cos(input, output) on the calibration text"),
    QT_TRANSLATE_NOOP("CoreText", "‖W_o‖² + ‖W_down‖² per hidden unit (data-free)"),
    # the built-in presets' names and descriptions (resources/presets/, read by the core's presets module)
    QT_TRANSLATE_NOOP("CoreText", "Article: 4x smaller heads"),
    QT_TRANSLATE_NOOP("CoreText", "The article's random column-normalised mixing, head size divided by four. Reproduces "
                                  "the article; expect to retrain."),
    QT_TRANSLATE_NOOP("CoreText", "Halve the head size"),
    QT_TRANSLATE_NOOP("CoreText", "Head size halved: the rotary pairs and value directions that matter most on a "
                                  "calibration text where the model has a tokenizer (group means otherwise); rotary "
                                  "frequencies kept exactly."),
    QT_TRANSLATE_NOOP("CoreText", "Halve query heads"),
    QT_TRANSLATE_NOOP("CoreText", "Half the query heads, kv heads and head size kept; calibrated where the model has a "
                                  "tokenizer, group means otherwise."),
    QT_TRANSLATE_NOOP("CoreText", "MHA to GQA (a quarter of the kv heads)"),
    QT_TRANSLATE_NOOP("CoreText", "Query heads kept, a quarter of the key/value heads: merged RoPE-aware from a "
                                  "calibration text where the model has a tokenizer, mean-pooled (the GQA paper's "
                                  "conversion) otherwise."),
    QT_TRANSLATE_NOOP("CoreText", "Remove a fifth of the layers"),
    QT_TRANSLATE_NOOP("CoreText", "Four fifths of the decoder layers kept: those that change the residual stream least on "
                                  "a calibration text go, and the MLP before each removed run is refitted to make up for "
                                  "them (fit); without a tokenizer they are dropped by weight norms instead, and on BERT, "
                                  "which normalises the whole residual stream after each block, by block influence (drop)."),
)


def shown_core_texts() -> list[str]:
    """Every fixed core text the window shows (each must have its copy in :data:`SENTENCES`)."""
    from headmix.core.plan.presets import builtin

    presets = [text for preset in builtin().values() for text in (preset.name, preset.description)]
    return [*METHODS.values(), *LAYER_METHODS.values(), *(MATRIX_TITLES[key] for key in HEATMAPS), *presets]


def core_sentence(text: str) -> str:
    """``text`` (one of the core's fixed sentences) in the window's language, English when not in the catalogue."""
    return QCoreApplication.translate(CONTEXT, text) if text else text


def method_sentence(name: str) -> str:
    """What the shrink method ``name`` does, without the core's `code` marks."""
    return core_sentence(METHODS.get(name, "")).replace("`", "")


def matrix_title(key: str) -> str:
    """The title of the heatmap ``key`` (one of the core's ``HEATMAPS``)."""
    return core_sentence(MATRIX_TITLES[key])


def layer_method_sentence(name: str) -> str:
    """What the layer method ``name`` does."""
    return core_sentence(LAYER_METHODS.get(name, ""))

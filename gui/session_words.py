"""The session's sentences (gui/session/, Qt-free) in the window's language.

The session says why a setting is off, what Undo undoes and why a preset cannot apply as
:class:`~headmix.gui.session.words.Words`: the English sentence, carrying its template and values. The window looks
the template up here (context ``SessionText``) and fills in the same values, translated too when they are Words.
The literal copies below are what ``pyside6-lupdate`` extracts; tests/test_i18n.py fails while a template the
session uses has no copy here. A plain ``str`` (a message the core built from values) is shown as it is.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from .session.words import Words

CONTEXT = "SessionText"

#: copies of every template the session words, for lupdate (tests check the session's are all here)
TEMPLATES = (
    QT_TRANSLATE_NOOP("SessionText", "no model whose attention headmix recognises is open"),
    QT_TRANSLATE_NOOP("SessionText", "no model"),
    QT_TRANSLATE_NOOP("SessionText", "this model has no rotary embeddings"),
    QT_TRANSLATE_NOOP("SessionText", "this model rotates only part of each head, so its head size does not shrink by pairs"),
    QT_TRANSLATE_NOOP("SessionText", "{family} loads only a plain rope, so a smaller head size keeps a progression of pairs"),
    QT_TRANSLATE_NOOP("SessionText", "the head size does not shrink"),
    QT_TRANSLATE_NOOP("SessionText", "article mixes rotary dims instead of keeping pairs"),
    QT_TRANSLATE_NOOP("SessionText", "this model has no tokenizer.json to read a text with"),
    QT_TRANSLATE_NOOP("SessionText", "only the calibrated method and fewer decoder layers read it"),
    QT_TRANSLATE_NOOP("SessionText", "Open a checkpoint whose attention headmix recognises first."),
    QT_TRANSLATE_NOOP("SessionText", "no targets to save: open a model whose attention headmix recognises first"),
    QT_TRANSLATE_NOOP("SessionText", "query heads"),
    QT_TRANSLATE_NOOP("SessionText", "kv heads"),
    QT_TRANSLATE_NOOP("SessionText", "head size"),
    QT_TRANSLATE_NOOP("SessionText", "method"),
    QT_TRANSLATE_NOOP("SessionText", "seed"),
    QT_TRANSLATE_NOOP("SessionText", "layers"),
    QT_TRANSLATE_NOOP("SessionText", "decoder layers"),
    QT_TRANSLATE_NOOP("SessionText", "layer method"),
    QT_TRANSLATE_NOOP("SessionText", "rotary pairs"),
    QT_TRANSLATE_NOOP("SessionText", "calibration text"),
    QT_TRANSLATE_NOOP("SessionText", "calibration tokens"),
    QT_TRANSLATE_NOOP("SessionText", "default text"),
    QT_TRANSLATE_NOOP("SessionText", "{field} {before} → {after}"),
    QT_TRANSLATE_NOOP("SessionText", "targets {fields}"),
    QT_TRANSLATE_NOOP("SessionText", "internal error: {kind}: {message}"),
)


def session_text(said) -> str:
    """What the session said (Words, a plain str, or an exception carrying either) in the window's language."""
    if isinstance(said, BaseException):
        said = said.args[0] if len(said.args) == 1 and isinstance(said.args[0], str) else str(said)
    if not isinstance(said, Words):
        return said
    template = QCoreApplication.translate(CONTEXT, said.template)
    return template.format(**{k: _value(v) for k, v in said.values.items()}) if said.values else template


def _value(value) -> str:
    if isinstance(value, tuple):
        return QCoreApplication.translate("SessionText", ", ").join(map(_value, value))
    return session_text(value) if isinstance(value, Words) else str(value)

"""Sentences the session says (why a setting is off, what Undo undoes), carried with their template and values.

The session is Qt-free, so it cannot translate; a :class:`Words` is the English sentence (a plain ``str``, what
the session's own tests and the command line's users read) that also carries its template and values, so the
window can look the template up in its catalogue and fill in the same values (``gui/session_words.py``).
"""

from __future__ import annotations


class Words(str):
    """``Words("{family} loads only a plain rope", family="GPT-2")`` is the English sentence; ``template`` and
    ``values`` are kept for the window's translation. A value may itself be Words, or a tuple of Words (a list,
    joined with ", " in English)."""

    template: str
    values: dict

    def __new__(cls, template: str, **values) -> Words:
        text = template.format(**{k: english(v) for k, v in values.items()}) if values else template
        words = super().__new__(cls, text)
        words.template, words.values = template, values
        return words


def english(value) -> str:
    """A value as the English sentence says it (a tuple of Words: joined with ", ")."""
    return ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)

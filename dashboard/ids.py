"""Text carried in pattern-matching component ids.

Dash does not deliver a click on a component whose pattern-matching id holds non-ASCII text
('Zveçan', 'Prishtinë'): the callback runs with nothing triggered. Every id that carries a
name therefore carries it percent-encoded, and the callback decodes it.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


def id_text(text: str) -> str:
    """``text`` as an id value (ASCII only)."""
    return quote(text, safe="")


def from_id_text(value: object) -> str:
    """The text an id value carries (see :func:`id_text`)."""
    return unquote(str(value))

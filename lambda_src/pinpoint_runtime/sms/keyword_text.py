"""The text form SMS keywords are compared in: normalisation of message bodies and keywords (standard library only).

1. Unicode NFKC (fullwidth ``ＳＴＯＰ`` -> ``STOP``, ligatures, compatibility spaces), then case folding
   (``Stop``, ``sToP``, German ``ß`` -> ``ss``);
2. trimming, at both ends, whitespace, control and format characters (zero-width space, BOM, ZWJ),
   punctuation (``. ! ? , ; : ' " ( ) ¡ ¿ « » - …``), symbols (``$ + = ~``, emoji such as ``🛑 😡 👍``, with their
   variation selectors, skin-tone modifiers and keycap marks) — so ``"Stop."``, ``"STOP!!!"``, ``"¡stop!"``,
   ``" stop \\n"``, ``"STOP 🛑"`` and ``"(STOP)"`` are STOP;
3. inside the message: runs of whitespace become one space, zero-width characters and soft hyphens are removed,
   and the dashes ``‐ ‑ ‒ – — ― − ﹘ ﹣`` become ``-`` (``OPT–OUT`` typed with an en dash is OPT-OUT).

Keywords themselves follow the service's rule (1-30 characters, case-insensitive, no leading/trailing space) and
must already be in normalised form apart from case (``"STOP!"`` is not a valid keyword): :func:`check_keyword`.
How a whole message is matched against keywords is :meth:`pinpoint_runtime.sms.keywords.KeywordEngine.classify`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_KEYWORD_LENGTH = 30
"""Service limit: characters per keyword."""

_EDGE_CATEGORIES = frozenset(
    {"Cc", "Cf", "Zs", "Zl", "Zp", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Me"}
)
"""Unicode categories trimmed at the ends of a message: controls, format, separators, punctuation, symbols
(emoji), enclosing marks (keycap)."""

_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63")
_INNER_TABLE = {ord(ch): None for ch in _ZERO_WIDTH} | {ord(ch): "-" for ch in _DASHES}
_INNER_CHARS = re.compile("[" + "".join(_ZERO_WIDTH + _DASHES) + "]")


def is_edge_character(ch: str) -> bool:
    """Whether ``ch`` is trimmed at the ends of a message (step 2 of the module docstring)."""
    if ch <= "~":  # ASCII fast path: letters and digits are kept, everything else is trimmed
        return not ch.isalnum()
    if "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":  # variation selectors (emoji style)
        return True
    return unicodedata.category(ch) in _EDGE_CATEGORIES


def strip_edges(text: str) -> str:
    """``text`` without the characters :func:`is_edge_character` trims at both ends."""
    start, end = 0, len(text)
    while start < end and is_edge_character(text[start]):
        start += 1
    while end > start and is_edge_character(text[end - 1]):
        end -= 1
    return text[start:end]


def unify_inner(text: str) -> str:
    """Remove zero-width characters and unify dashes (skipped for ASCII text and text without them)."""
    if text.isascii() or _INNER_CHARS.search(text) is None:
        return text
    return text.translate(_INNER_TABLE)


def fold(text: str) -> str:
    """NFKC, then case folding (step 1 of the module docstring)."""
    return unicodedata.normalize("NFKC", text).casefold()


def normalize_keyword_text(text: str) -> str:
    """The form messages and keywords are compared in (see the module docstring); ``""`` if nothing is left."""
    core = strip_edges(fold(text))
    if not core:
        return ""
    return " ".join(unify_inner(core).split())


def check_keyword(keyword: object) -> str:
    """``keyword`` in normalised form; ``ValueError`` unless it is a valid keyword (see the module docstring)."""
    if not isinstance(keyword, str) or not keyword:
        raise ValueError(f"keyword must be a non-empty string, not {keyword!r}")
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise ValueError(f"keyword {keyword!r} is longer than {MAX_KEYWORD_LENGTH} characters")
    if keyword != keyword.strip():
        raise ValueError(f"keyword {keyword!r} must not start or end with whitespace")
    key = normalize_keyword_text(keyword)
    if not key or key != " ".join(fold(keyword).split()):
        raise ValueError(
            f"keyword {keyword!r} must start and end with a letter or digit (punctuation, symbols and emoji "
            "around a keyword are ignored when messages are matched)"
        )
    return key


__all__ = [
    "MAX_KEYWORD_LENGTH",
    "check_keyword",
    "fold",
    "is_edge_character",
    "normalize_keyword_text",
    "strip_edges",
    "unify_inner",
]

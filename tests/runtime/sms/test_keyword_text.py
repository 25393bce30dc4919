"""Tests of pinpoint_runtime.sms.keyword_text: the normalised form keywords and messages are compared in."""

from __future__ import annotations

import pytest

from pinpoint_runtime.sms.keyword_text import check_keyword, is_edge_character, normalize_keyword_text


def test_case_folding_commutes_with_trimming_and_splitting() -> None:
    """classify folds case after trimming and splitting (a fast path); valid only if, for every code point,
    folding keeps trimmed characters trimmed, kept ones kept, and never creates or removes whitespace."""
    changed = [chr(cp) for cp in range(0x110000) if chr(cp).casefold() != chr(cp)]
    assert len(changed) > 1000
    for ch in changed:
        folded = ch.casefold()
        assert is_edge_character(folded[0]) is is_edge_character(ch) and is_edge_character(
            folded[-1]
        ) is is_edge_character(ch), hex(ord(ch))
        assert any(c.isspace() for c in folded) is ch.isspace(), hex(ord(ch))


@pytest.mark.parametrize(
    ("text", "normalised"),
    [("  Stop. ", "stop"), ("ＳＴＯＰ", "stop"), ("OPT\u2013OUT", "opt-out"), ("opt   in", "opt in"), ("🛑", "")],
)
def test_normalize_keyword_text(text: str, normalised: str) -> None:
    assert normalize_keyword_text(text) == normalised


def test_check_keyword_returns_the_normalised_keyword() -> None:
    assert check_keyword("Opt In") == "opt in"
    with pytest.raises(ValueError, match="letter or digit"):
        check_keyword("STOP!")

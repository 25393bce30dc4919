"""Tests of pinpoint_runtime.sms.keyword_rules: keyword rules and the default (CTIA-style) replies of a program."""

from __future__ import annotations

import pytest

from pinpoint_runtime.sms.keyword_rules import KeywordAction, KeywordRule, ProgramInfo


def test_program_info_is_validated() -> None:
    with pytest.raises(ValueError, match="program_name"):
        ProgramInfo(program_name=" ", support_contact="x")
    with pytest.raises(ValueError, match="1600"):
        ProgramInfo(program_name="P" * 1600, support_contact="x")
    assert ProgramInfo("Shop", "help@shop.example", "Msg frequency varies.").help_reply().count("varies.") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("HOURS", KeywordAction.AUTO_RESPONSE), "needs a reply"),
        (("HOURS", "DANCE", "x"), "action must be one of"),
        ((" HOURS", KeywordAction.HELP), "whitespace"),
        (("HOURS", KeywordAction.AUTO_RESPONSE, "   "), "non-blank"),
        (("HOURS", KeywordAction.AUTO_RESPONSE, "x" * 1601), "1600"),
        (("", KeywordAction.HELP), "non-empty"),
    ],
)
def test_invalid_rules_are_rejected(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeywordRule(*args)


def test_rule_action_accepts_its_string_value() -> None:
    assert KeywordRule("HOURS", "AUTO_RESPONSE", "x").action is KeywordAction.AUTO_RESPONSE

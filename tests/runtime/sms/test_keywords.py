"""Tests of pinpoint_runtime.sms.keywords: the whole-message keyword decision, its configuration and the replies.

(Rules and default replies: test_keyword_rules.py; text normalisation: test_keyword_text.py.)

The property tests compare ``KeywordEngine.classify`` with :func:`reference_classify`, an independent, deliberately
plain restatement of the rules in the module docstring (regular expressions and per-character loops instead of the
engine's fast paths).
"""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.sms.keyword_rules import AWS_OPT_OUT_KEYWORDS, KeywordAction, KeywordRule, ProgramInfo
from pinpoint_runtime.sms.keyword_text import normalize_keyword_text
from pinpoint_runtime.sms.keywords import (
    ENV_KEYWORD_CONFIG,
    MAX_WHOLE_MESSAGE_CHARS,
    KeywordEngine,
    KeywordSettings,
)

PROGRAM = ProgramInfo(
    program_name="Example Shop Alerts", support_contact="1-800-555-0199", message_frequency="up to 4 msgs/month"
)
CUSTOM = (
    KeywordRule("HOURS", KeywordAction.AUTO_RESPONSE, "We are open 9am-5pm, Mon-Fri."),
    KeywordRule("INFO", KeywordAction.HELP),
    KeywordRule("BAJA", KeywordAction.OPT_OUT),
    KeywordRule("OPT IN", KeywordAction.OPT_IN),
)
ENGINE = KeywordEngine(PROGRAM, custom_rules=CUSTOM)
KEYWORDS = sorted(rule.keyword for rule in ENGINE.rules)
SINGLE_WORD_KEYWORDS = [keyword for keyword in KEYWORDS if " " not in keyword]

# --------------------------------------------------------------------------------------------- reference model

_TRIMMED = re.compile(r"^[CPSZ]|^Me$")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


def _trimmed_char(ch: str) -> bool:
    if ch.isascii():
        return not ch.isalnum()
    if unicodedata.name(ch, "").startswith("VARIATION SELECTOR"):
        return True
    category = unicodedata.category(ch)
    return category in ("Cc", "Cf", "Me") or (category[0] in "PSZ")


def _trim(text: str) -> str:
    chars = list(text)
    while chars and _trimmed_char(chars[0]):
        chars.pop(0)
    while chars and _trimmed_char(chars[-1]):
        chars.pop()
    return "".join(chars)


def _inner(text: str) -> str:
    for ch in _ZERO_WIDTH:
        text = text.replace(ch, "")
    for ch in _DASHES:
        text = text.replace(ch, "-")
    return text


def reference_classify(engine: KeywordEngine, body: str) -> KeywordRule | None:
    keys = {_inner(unicodedata.normalize("NFKC", rule.keyword).casefold()): rule for rule in engine.rules}
    core = _trim(unicodedata.normalize("NFKC", body).casefold())
    if not core:
        return None
    if len(core) <= MAX_WHOLE_MESSAGE_CHARS:
        whole = re.sub(r"\s+", " ", _inner(core))
        if whole in keys:
            return keys[whole]
    words = [word for word in (_trim(_inner(token)) for token in re.split(r"\s+", core)) if word]
    if len(words) >= 2 and len(set(words)) == 1 and words[0] in keys:
        return keys[words[0]]
    return None


# --------------------------------------------------------------------------------------------- strategies

WHITESPACE = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000\u200b\ufeff", max_size=6)
TRAILING = st.text(alphabet=".!?,;:'\"()…¡¿-–🛑😡👍🏽❤️\u200d", max_size=5)


@st.composite
def random_case(draw: st.DrawFn, keyword: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(keyword), max_size=len(keyword)))
    return "".join(ch.lower() if flip else ch.upper() for ch, flip in zip(keyword, flips, strict=False))


@st.composite
def noisy_keyword(draw: st.DrawFn) -> tuple[str, str]:
    keyword = draw(st.sampled_from(KEYWORDS))
    body = draw(WHITESPACE) + draw(TRAILING) + draw(random_case(keyword)) + draw(TRAILING) + draw(WHITESPACE)
    return keyword, body


WORD = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9']{0,11}", fullmatch=True).filter(
    lambda word: ENGINE.classify(word) is None
)

BODIES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.builds(lambda a, k, b: a + k + b, st.text(max_size=8), st.sampled_from(KEYWORDS), st.text(max_size=8)),
    st.builds(
        lambda ws, k: ws.join([k] * 3), st.sampled_from(["", " ", "  ", ". ", "\n", "-"]), st.sampled_from(KEYWORDS)
    ),
    st.builds(" ".join, st.lists(st.one_of(WORD, st.sampled_from(KEYWORDS)), max_size=6)),
)


# --------------------------------------------------------------------------------------------- properties


@given(noisy_keyword())
@example(("STOP", "  stop.  "))
@example(("STOP", "Stop!!!"))
@example(("STOP", "\u200bSTOP\ufeff"))
@example(("UNSUBSCRIBE", "\n\tUnSuBsCrIbE?\n"))
@example(("OPT IN", "¡opt in!"))
def test_keyword_with_whitespace_case_and_punctuation_is_that_keyword(case: tuple[str, str]) -> None:
    keyword, body = case
    rule = ENGINE.classify(body)
    assert rule is not None, f"{body!r} should be {keyword}"
    assert rule == ENGINE.rule_for(keyword)
    assert rule.keyword == keyword


@settings(max_examples=400)
@given(BODIES)
@example("")
@example("🛑")
@example("WEEKEND")
@example("stop by tomorrow")
@example("STOP STOP")
@example("STOP START")
@example("a" * 1600)
@example("STOP " * 320)
@example("STOP" + " " * 1596)
def test_classify_agrees_with_the_reference_rules(body: str) -> None:
    assert ENGINE.classify(body) == reference_classify(ENGINE, body)


@given(st.text(max_size=200))
def test_text_that_is_not_a_keyword_after_normalisation_is_none(text: str) -> None:
    normalised = normalize_keyword_text(text)
    assume(ENGINE.rule_for(normalised) is None)
    words = {normalize_keyword_text(word) for word in text.split()} - {""}
    assume(not (len(words) == 1 and ENGINE.rule_for(next(iter(words))) is not None))  # repetitions are keywords
    assert ENGINE.classify(text) is None


@given(st.sampled_from(KEYWORDS), st.lists(WORD, min_size=1, max_size=5), st.lists(WORD, max_size=5), st.booleans())
def test_keyword_inside_a_sentence_is_not_a_keyword(
    keyword: str, before: list[str], after: list[str], swap: bool
) -> None:
    words = [*before, keyword, *after] if not swap else [*after, keyword, *before]
    assert ENGINE.classify(" ".join(words)) is None
    assert ENGINE.classify(", ".join(words) + "!") is None


@given(st.sampled_from(SINGLE_WORD_KEYWORDS), st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True), st.booleans())
@example("END", "WEEK", False)  # WEEKEND
@example("STOP", "ALL", True)  # STOPALL is its own keyword
@example("TD", "S", False)  # STD
def test_a_keyword_is_never_matched_as_a_substring(keyword: str, extra: str, suffix: bool) -> None:
    body = keyword + extra if suffix else extra + keyword
    rule = ENGINE.classify(body)
    assert rule is None or normalize_keyword_text(rule.keyword) == normalize_keyword_text(body)
    assert rule != ENGINE.rule_for(keyword)


@given(
    st.sampled_from(SINGLE_WORD_KEYWORDS),
    st.integers(min_value=2, max_value=300),
    st.sampled_from([" ", ". ", "! ", "\n"]),
)
def test_one_keyword_repeated_is_that_keyword(keyword: str, times: int, separator: str) -> None:
    body = separator.join([keyword.lower()] * times)
    assume(len(body) <= 1600)
    assert ENGINE.classify(body) == ENGINE.rule_for(keyword)


@given(st.sampled_from(SINGLE_WORD_KEYWORDS), st.sampled_from(SINGLE_WORD_KEYWORDS))
def test_two_different_keywords_are_not_a_keyword(first: str, second: str) -> None:
    assume(normalize_keyword_text(first) != normalize_keyword_text(second))
    assert ENGINE.classify(f"{first} {second}") is None


@given(st.text(max_size=400))
def test_classify_is_pure(body: str) -> None:
    copy = str(body)
    assert ENGINE.classify(body) == ENGINE.classify(body)
    assert body == copy


# --------------------------------------------------------------------------------------------- decision table


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        (" Stop. ", "STOP"),
        ("¡STOP!", "STOP"),
        ("(stop)", "STOP"),
        ("STOP 🛑", "STOP"),
        ("😡 STOP 😡", "STOP"),
        ("ＳＴＯＰ", "STOP"),  # fullwidth (NFKC)
        ("S\u200bTOP", "STOP"),  # zero-width space inside
        ("STOP STOP", "STOP"),  # repetition: decided to be STOP
        ("stop. STOP!", "STOP"),
        ("STOPALL", "STOPALL"),
        ("Stop all!", None),  # not configured ("STOP ALL" can be added as a custom OPT_OUT_ALL keyword)
        ("opt-out", "OPT-OUT"),
        ("Opt–Out", "OPT-OUT"),  # en dash
        ("OPTOUT", "OPTOUT"),
        ("OPT OUT", None),
        ("arrêt", None),  # ARRET is ASCII; accents are not removed
        ("arret", "ARRET"),
        ("td", "TD"),
        ("help?", "HELP"),
        ("Info", "INFO"),
        ("yes", "YES"),
        ("start", "START"),
        ("opt   in", "OPT IN"),  # multi-word custom keyword: inner whitespace collapsed
        ("OPT IN OPT IN", None),  # repetitions of multi-word keywords are not recognised
        ("hours", "HOURS"),
        ("baja", "BAJA"),
        ("WEEKEND", None),
        ("SEND", None),
        ("FRIEND", None),
        ("STD", None),
        ("stop by tomorrow", None),
        ("Please stop", None),
        ("STOP\nSent from my phone", None),
        ("STOP START", None),
        ("STOP HELP", None),
        ("STOP1", None),
        ("STOPPED", None),
        ("", None),
        ("   \n\t ", None),
        ("🛑", None),
        ("...", None),
    ],
)
def test_decision_table(body: str, keyword: str | None) -> None:
    rule = ENGINE.classify(body)
    assert (rule.keyword if rule else None) == keyword


def test_actions_of_the_built_in_keywords() -> None:
    for keyword in AWS_OPT_OUT_KEYWORDS:
        assert ENGINE.classify(keyword).action is KeywordAction.OPT_OUT
    assert ENGINE.classify("STOPALL").action is KeywordAction.OPT_OUT_ALL
    assert {ENGINE.classify(k).action for k in ("START", "UNSTOP", "YES")} == {KeywordAction.OPT_IN}
    assert ENGINE.classify("HELP").action is KeywordAction.HELP


def test_very_long_messages() -> None:
    assert ENGINE.classify("a" * 1600) is None
    assert ENGINE.classify("STOP" + " " * 1596).keyword == "STOP"
    assert ENGINE.classify(" " * 1596 + "STOP").keyword == "STOP"
    assert ENGINE.classify(("STOP " * 320).strip()).keyword == "STOP"
    assert ENGINE.classify("STOP " * 319 + "START") is None
    assert ENGINE.classify("Hello " + "STOP " * 300) is None
    assert ENGINE.classify("🛑" * 800 + "STOP" + "!" * 796).keyword == "STOP"


def test_classify_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="body must be a str"):
        ENGINE.classify(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ENGINE.classify(b"STOP")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- replies


def test_default_replies_carry_the_ctia_elements() -> None:
    help_text = ENGINE.classify("HELP").reply
    assert help_text == (
        "Example Shop Alerts: help at 1-800-555-0199. Up to 4 msgs/month. Msg & data rates may apply. "
        "Reply STOP to cancel."
    )
    stop_text = ENGINE.classify("STOP").reply
    assert stop_text == (
        "Example Shop Alerts: you are unsubscribed and will receive no further messages. Reply START to resubscribe."
    )
    start_text = ENGINE.classify("START").reply
    for element in ("Example Shop Alerts", "Up to 4 msgs/month", "Msg & data rates may apply", "HELP", "STOP"):
        assert element in start_text
    stop_all_text = ENGINE.classify("STOPALL").reply
    assert "Example Shop Alerts" in stop_all_text and "no further messages" in stop_all_text
    assert "account notifications" in stop_all_text and "START" in stop_all_text
    for text in (help_text, stop_text, start_text, stop_all_text):
        assert len(text) <= 160  # one GSM-7 segment with this program's details


def test_custom_keywords_get_the_default_reply_of_their_action() -> None:
    assert ENGINE.classify("INFO").reply == ENGINE.help_reply
    assert ENGINE.classify("BAJA").reply == ENGINE.stop_reply
    assert ENGINE.classify("opt in").reply == ENGINE.start_reply
    assert ENGINE.classify("HOURS").reply == "We are open 9am-5pm, Mon-Fri."


def test_reply_overrides() -> None:
    engine = KeywordEngine(
        PROGRAM, help_reply="Call us.", stop_reply="Bye.", start_reply="Hi.", stop_all_reply="All gone."
    )
    assert [engine.classify(k).reply for k in ("HELP", "STOP", "START", "STOPALL")] == [
        "Call us.",
        "Bye.",
        "Hi.",
        "All gone.",
    ]
    assert engine.classify("QUIT").reply == "Bye."


# --------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"custom_rules": (KeywordRule("STOP", KeywordAction.AUTO_RESPONSE, "x"),)}, "cannot be re-purposed"),
        ({"custom_rules": (KeywordRule("help", KeywordAction.OPT_IN),)}, "cannot be re-purposed"),
        (
            {"custom_rules": (KeywordRule("JOIN", KeywordAction.OPT_IN), KeywordRule("join", KeywordAction.HELP))},
            "twice",
        ),
        ({"opt_in_keywords": ("START", "HELP")}, "both"),
        ({"help_keywords": ()}, "HELP keyword is required"),
        ({"opt_in_keywords": ("START!",)}, "letter or digit"),
        ({"opt_in_keywords": ("X" * 31,)}, "longer than 30"),
        ({"opt_in_keywords": "START"}, "not a string"),
    ],
)
def test_invalid_configurations_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        KeywordEngine(PROGRAM, **kwargs)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        KeywordEngine(
            PROGRAM,
            opt_in_keywords=("START!", "HELP"),
            help_keywords=("HELP",),
            custom_rules=(KeywordRule("END", KeywordAction.OPT_IN),),
        )
    text = str(raised.value)
    assert "START!" in text and "'HELP' is both" in text and "'END'" in text


def test_an_opt_out_keyword_may_become_opt_out_all() -> None:
    engine = KeywordEngine(PROGRAM, custom_rules=(KeywordRule("QUIT", KeywordAction.OPT_OUT_ALL),))
    assert engine.classify("quit").action is KeywordAction.OPT_OUT_ALL
    assert engine.classify("quit").reply == engine.stop_all_reply


# --------------------------------------------------------------------------------------------- configuration


def test_config_round_trip_through_json() -> None:
    engine = KeywordEngine(PROGRAM, custom_rules=CUSTOM, stop_reply="Bye.", opt_in_keywords=("START", "UNSTOP"))
    config = engine.to_config()
    text = json.dumps(config)
    rebuilt = KeywordEngine.from_config(text)
    assert rebuilt == engine
    assert rebuilt.to_config() == config
    assert rebuilt.classify("yes") is None and rebuilt.classify("stop").reply == "Bye."
    assert config["replies"] == {"stop": "Bye."}  # only overrides: defaults follow the program
    assert config["custom_rules"][0] == {
        "keyword": "HOURS",
        "action": "AUTO_RESPONSE",
        "reply": "We are open 9am-5pm, Mon-Fri.",
    }
    assert config["custom_rules"][1] == {"keyword": "INFO", "action": "HELP"}


def test_config_shape() -> None:
    assert KeywordEngine(PROGRAM).to_config() == {
        "version": 1,
        "program": {
            "name": "Example Shop Alerts",
            "support_contact": "1-800-555-0199",
            "message_frequency": "up to 4 msgs/month",
        },
        "opt_in_keywords": ["START", "UNSTOP", "YES"],
        "opt_out_all_keywords": ["STOPALL"],
        "help_keywords": ["HELP"],
        "replies": {},
        "custom_rules": [],
    }


def test_minimal_config_uses_defaults() -> None:
    engine = KeywordEngine.from_config({"program": {"name": "Shop", "support_contact": "help@shop.example"}})
    assert engine.classify("STOPALL").action is KeywordAction.OPT_OUT_ALL
    assert engine.classify("help").reply.startswith("Shop: help at help@shop.example. Msg frequency varies.")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"program": {"name": "S", "support_contact": "c"}, "opt_out_keywords": []}, "unknown keys: opt_out_keywords"),
        ({"version": 2, "program": {"name": "S", "support_contact": "c"}}, "version 2"),
        ({"program": "S"}, "'program' must be an object"),
        ({"program": {"name": "S", "support_contact": "c"}, "replies": {"goodbye": "x"}}, "'replies' may only"),
        ({"program": {"name": "S", "support_contact": "c"}, "custom_rules": [{"word": "X"}]}, "custom_rules"),
        ({"program": {"name": "S", "support_contact": "c"}, "opt_in_keywords": "START"}, "list of strings"),
        (
            {"program": {"name": "S", "support_contact": "c"}, "custom_rules": [{"keyword": "STOP", "action": "HELP"}]},
            "re-purposed",
        ),
    ],
)
def test_invalid_config_is_rejected(config: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeywordEngine.from_config(config)  # type: ignore[arg-type]


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KEYWORD_CONFIG, raising=False)
    with pytest.raises(ValueError, match="KEYWORD_CONFIG"):
        KeywordEngine.from_environment()
    monkeypatch.setenv(ENV_KEYWORD_CONFIG, json.dumps(ENGINE.to_config()))
    assert KeywordEngine.from_environment() == ENGINE


def test_keyword_settings_write_the_compact_sorted_config() -> None:
    environment = KeywordSettings(engine=ENGINE).to_environment()
    assert environment == {ENV_KEYWORD_CONFIG: json.dumps(ENGINE.to_config(), separators=(",", ":"), sort_keys=True)}
    assert KeywordSettings.from_environment(environment).engine == ENGINE


def test_config_bytes_that_are_not_utf8_are_rejected() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        KeywordEngine.from_config(b"\xff\xfe")  # type: ignore[arg-type]

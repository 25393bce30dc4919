"""SMS keyword engine: decides whether an inbound message is a keyword (STOP, HELP, START, custom) and which.

Pure and fast (standard library only, no I/O): :meth:`KeywordEngine.classify` is a few string operations and one
dict lookup, so the same code runs in the inbound Lambda, in tests and in local tools.

Matching rules (the decision table the tests pin down)
------------------------------------------------------
A message is a keyword only when the **whole message** is that keyword, after this normalisation:

1. Unicode NFKC (fullwidth ``ＳＴＯＰ`` -> ``STOP``, ligatures, compatibility spaces), then case folding
   (``Stop``, ``sToP``, German ``ß`` -> ``ss``);
2. trimming, at both ends, whitespace, control and format characters (zero-width space, BOM, ZWJ),
   punctuation (``. ! ? , ; : ' " ( ) ¡ ¿ « » - …``), symbols (``$ + = ~``, emoji such as ``🛑 😡 👍``, with their
   variation selectors, skin-tone modifiers and keycap marks) — so ``"Stop."``, ``"STOP!!!"``, ``"¡stop!"``,
   ``" stop \\n"``, ``"STOP 🛑"`` and ``"(STOP)"`` are STOP;
3. inside the message: runs of whitespace become one space, zero-width characters and soft hyphens are removed,
   and the dashes ``‐ ‑ ‒ – — ― − ﹘ ﹣`` become ``-`` (``OPT–OUT`` typed with an en dash is OPT-OUT).

Never substrings: ``"WEEKEND"`` is not END, ``"stop by tomorrow"`` is not STOP, ``"STOP1"`` and ``"STOPPED"``
are nothing, ``"STOP\\nSent from my phone"`` is nothing (the partner's handler sees it). ``"STOPALL"`` is STOPALL
(its own keyword), not STOP.

**Repetitions**: a message that is *one* keyword repeated, separated by whitespace (each repetition trimmed as
above) is that keyword: ``"STOP STOP"``, ``"stop. STOP!"``, ``"Stop stop stop"``. Senders repeat STOP when they
think the first one was ignored; treating it as anything else would miss an opt-out request (CTIA: "acknowledge
and act on all opt-out requests"). Two *different* keywords (``"STOP START"``, ``"STOP HELP"``) are ambiguous and
are not a keyword: the message passes on. Repetitions are recognised for single-word keywords only.

Keywords themselves follow the service's rule (1-30 characters, case-insensitive, no leading/trailing space) and
must already be in normalised form apart from case (``"STOP!"`` is not a valid keyword).

Built-in keywords
-----------------
* opt-out: AWS's list (:data:`AWS_OPT_OUT_KEYWORDS`), always present and never re-purposable;
* opt-out-all: STOPALL (also blocks transactional messages, see ``pinpoint_runtime.sms.opt_out.may_send``);
* opt-in: START, UNSTOP, YES;
* help: HELP.

Country notes
-------------
* **US toll-free numbers**: opt-outs are handled by the carrier. STOP is the only opt-out keyword there, and its
  reply cannot be changed; the carrier blocks further messages itself. Recipients resubscribe with START or
  UNSTOP, which must also be configured on the number with the Opt-in action. The engine still classifies what
  reaches the two-way topic, so the registry records it.
* **US/CA short codes and 10DLC**: carriers require HELP and STOP; replies must name the program, give a support
  contact and (HELP, opt-in) the message frequency, "Msg & data rates may apply" and opt-out instructions. The
  default replies of :class:`ProgramInfo` contain all of these.
* **Other countries**: AWS applies its opt-out keywords where local law requires them; keeping them everywhere
  is the safe default. Add local-language keywords with ``custom_rules``
  (e.g. ``KeywordRule("BAJA", KeywordAction.OPT_OUT)``). ``ARRET`` (French) and ``TD`` are already in the list.
* CloudFormation's ``OptionalKeywords`` reject any keyword containing "stop" or "help", so STOPALL can only be
  handled here (self-managed opt-outs), never as a service-side keyword.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

AWS_OPT_OUT_KEYWORDS: tuple[str, ...] = (
    "ARRET",
    "CANCEL",
    "END",
    "OPT-OUT",
    "OPTOUT",
    "QUIT",
    "REMOVE",
    "STOP",
    "TD",
    "UNSUBSCRIBE",
)
"""Opt-out keywords End User Messaging recognises where local law requires them (US, CA, ...)."""

DEFAULT_OPT_IN_KEYWORDS: tuple[str, ...] = ("START", "UNSTOP", "YES")
DEFAULT_OPT_OUT_ALL_KEYWORDS: tuple[str, ...] = ("STOPALL",)
DEFAULT_HELP_KEYWORDS: tuple[str, ...] = ("HELP",)

ENV_KEYWORD_CONFIG = "KEYWORD_CONFIG"
"""Environment variable holding :meth:`KeywordEngine.to_config` as JSON (set by ``SelfManagedOptOut``)."""

CONFIG_VERSION = 1
MAX_KEYWORD_LENGTH = 30
"""Service limit: characters per keyword."""
MAX_WHOLE_MESSAGE_CHARS = 160
"""Trimmed messages longer than this (one GSM-7 SMS segment) are checked for keyword repetitions only; no keyword
(at most 30 characters) is that long even with generous whitespace inside."""
MAX_REPLY_LENGTH = 1600
"""Service limit: characters per SMS message body (SendTextMessage ``MessageBody``)."""


class KeywordAction(StrEnum):
    """What a keyword does (the service's actions plus OPT_OUT_ALL and HELP)."""

    OPT_OUT = "OPT_OUT"
    """Opt out of this program: promotional messages stop, transactional ones are still allowed by ``may_send``."""
    OPT_OUT_ALL = "OPT_OUT_ALL"
    """Opt out of everything, transactional messages included."""
    OPT_IN = "OPT_IN"
    """Opt back in (removes the number from the opt-out list, subject to the 30-day limit)."""
    HELP = "HELP"
    """Reply with the program's help text."""
    AUTO_RESPONSE = "AUTO_RESPONSE"
    """Reply with the rule's fixed text."""


def _check_reply(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} must be a non-blank string")
    if len(text) > MAX_REPLY_LENGTH:
        raise ValueError(f"{what} is {len(text)} characters; an SMS body may have at most {MAX_REPLY_LENGTH}")
    return text


@dataclass(frozen=True)
class KeywordRule:
    """A keyword, its action and the reply sent when it is received (``None``: the engine's default reply)."""

    keyword: str
    action: KeywordAction
    reply: str | None = None

    def __post_init__(self) -> None:
        try:
            action = KeywordAction(self.action)
        except ValueError:
            choices = ", ".join(a.value for a in KeywordAction)
            raise ValueError(
                f"keyword {self.keyword!r}: action must be one of {choices}, not {self.action!r}"
            ) from None
        object.__setattr__(self, "action", action)
        _check_keyword(self.keyword)
        if self.reply is not None:
            _check_reply(self.reply, f"reply of keyword {self.keyword!r}")
        elif action is KeywordAction.AUTO_RESPONSE:
            raise ValueError(f"keyword {self.keyword!r}: an AUTO_RESPONSE rule needs a reply")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ProgramInfo:
    """The messaging program the default (CTIA-style) replies describe.

    ``program_name``: the brand or program ("Example Shop Alerts"); ``support_contact``: a phone number or email
    for help; ``message_frequency``: e.g. ``"up to 4 msgs/month"`` or ``"Msg frequency varies"`` (its first
    letter is capitalised in the replies).
    """

    program_name: str
    support_contact: str
    message_frequency: str = "Msg frequency varies"

    def __post_init__(self) -> None:
        for name in ("program_name", "support_contact", "message_frequency"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ProgramInfo.{name} must be a non-blank string")
            object.__setattr__(self, name, value.strip())
        for reply in (self.help_reply(), self.stop_reply(), self.stop_all_reply(), self.start_reply()):
            _check_reply(reply, "a default reply")

    def help_reply(self) -> str:
        """Program, support contact, frequency, "Msg & data rates may apply", opt-out instructions."""
        return (
            f"{self.program_name}: help at {self.support_contact}. {_capitalised(self.message_frequency).rstrip('.')}. "
            "Msg & data rates may apply. Reply STOP to cancel."
        )

    def stop_reply(self) -> str:
        """Confirms the opt-out and that no further messages will be sent; says how to resubscribe."""
        return (
            f"{self.program_name}: you are unsubscribed and will receive no further messages. "
            "Reply START to resubscribe."
        )

    def stop_all_reply(self) -> str:
        """Like :meth:`stop_reply`, naming account notifications too (STOPALL blocks transactional messages)."""
        return (
            f"{self.program_name}: you are unsubscribed from all messages, including account notifications, "
            "and will receive no further messages. Reply START to resubscribe."
        )

    def start_reply(self) -> str:
        """Opt-in confirmation: program, frequency, "Msg & data rates may apply", HELP and STOP instructions."""
        return (
            f"{self.program_name}: you are subscribed again. {_capitalised(self.message_frequency).rstrip('.')}. "
            "Msg & data rates may apply. Reply HELP for help, STOP to cancel."
        )

    # backwards-friendly alias matching the contract's spelling
    stopall_reply = stop_all_reply


# --------------------------------------------------------------------------------------------- normalisation

_EDGE_CATEGORIES = frozenset(
    {"Cc", "Cf", "Zs", "Zl", "Zp", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Me"}
)
"""Unicode categories trimmed at the ends of a message: controls, format, separators, punctuation, symbols
(emoji), enclosing marks (keycap)."""

_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63")
_INNER_TABLE = {ord(ch): None for ch in _ZERO_WIDTH} | {ord(ch): "-" for ch in _DASHES}
_INNER_CHARS = re.compile("[" + "".join(_ZERO_WIDTH + _DASHES) + "]")


def _is_edge(ch: str) -> bool:
    if ch <= "~":  # ASCII fast path: letters and digits are kept, everything else is trimmed
        return not ch.isalnum()
    if "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":  # variation selectors (emoji style)
        return True
    return unicodedata.category(ch) in _EDGE_CATEGORIES


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _inner(text: str) -> str:
    """Remove zero-width characters and unify dashes (skipped for ASCII text and text without them)."""
    if text.isascii() or _INNER_CHARS.search(text) is None:
        return text
    return text.translate(_INNER_TABLE)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def normalize_keyword_text(text: str) -> str:
    """The form messages and keywords are compared in (see the module docstring); ``""`` if nothing is left."""
    core = _strip_edges(_fold(text))
    if not core:
        return ""
    return " ".join(_inner(core).split())


def _check_keyword(keyword: object) -> str:
    if not isinstance(keyword, str) or not keyword:
        raise ValueError(f"keyword must be a non-empty string, not {keyword!r}")
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise ValueError(f"keyword {keyword!r} is longer than {MAX_KEYWORD_LENGTH} characters")
    if keyword != keyword.strip():
        raise ValueError(f"keyword {keyword!r} must not start or end with whitespace")
    key = normalize_keyword_text(keyword)
    if not key or key != " ".join(_fold(keyword).split()):
        raise ValueError(
            f"keyword {keyword!r} must start and end with a letter or digit (punctuation, symbols and emoji "
            "around a keyword are ignored when messages are matched)"
        )
    return key


# --------------------------------------------------------------------------------------------- engine

_REPLY_OVERRIDES = ("help", "stop", "stop_all", "start")
_CONFIG_KEYS = frozenset(
    {"version", "program", "opt_in_keywords", "opt_out_all_keywords", "help_keywords", "replies", "custom_rules"}
)
_PROTECTED_ACTIONS = {KeywordAction.OPT_OUT, KeywordAction.OPT_OUT_ALL}


@dataclass(frozen=True)
class _Settings:
    program: ProgramInfo
    opt_in_keywords: tuple[str, ...]
    opt_out_all_keywords: tuple[str, ...]
    help_keywords: tuple[str, ...]
    custom_rules: tuple[KeywordRule, ...]
    replies: dict[str, str] = field(default_factory=dict)


class KeywordEngine:
    """Classifies inbound SMS bodies into keyword rules (whole-message matches; see the module docstring).

    ``opt_in_keywords``, ``opt_out_all_keywords`` and ``help_keywords`` replace the defaults (START/UNSTOP/YES,
    STOPALL, HELP); AWS's opt-out keywords are always present. ``custom_rules`` add keywords with any action
    (a rule with ``reply=None`` uses the action's default reply). ``help_reply``, ``stop_reply``,
    ``stop_all_reply`` and ``start_reply`` override :class:`ProgramInfo`'s default texts.

    Invalid or conflicting keywords raise one ``ValueError`` listing every problem. A custom rule may reuse a
    built-in keyword only to change its reply, or to make an opt-out keyword opt-out-all: AWS's opt-out keywords
    and HELP cannot be re-purposed.
    """

    def __init__(
        self,
        program: ProgramInfo,
        *,
        opt_in_keywords: Iterable[str] = DEFAULT_OPT_IN_KEYWORDS,
        opt_out_all_keywords: Iterable[str] = DEFAULT_OPT_OUT_ALL_KEYWORDS,
        help_keywords: Iterable[str] = DEFAULT_HELP_KEYWORDS,
        custom_rules: Iterable[KeywordRule] = (),
        help_reply: str | None = None,
        stop_reply: str | None = None,
        stop_all_reply: str | None = None,
        start_reply: str | None = None,
    ) -> None:
        if not isinstance(program, ProgramInfo):
            raise TypeError("program must be a ProgramInfo")
        for name, value in (
            ("opt_in_keywords", opt_in_keywords),
            ("opt_out_all_keywords", opt_out_all_keywords),
            ("help_keywords", help_keywords),
        ):
            if isinstance(value, str):
                raise TypeError(f"{name} must be a sequence of keywords, not a string")
        overrides = {"help": help_reply, "stop": stop_reply, "stop_all": stop_all_reply, "start": start_reply}
        replies = {name: _check_reply(text, f"{name}_reply") for name, text in overrides.items() if text is not None}
        self._settings = _Settings(
            program=program,
            opt_in_keywords=tuple(opt_in_keywords),
            opt_out_all_keywords=tuple(opt_out_all_keywords),
            help_keywords=tuple(help_keywords),
            custom_rules=tuple(custom_rules),
            replies=replies,
        )
        self.program = program
        self.help_reply = replies.get("help") or program.help_reply()
        self.stop_reply = replies.get("stop") or program.stop_reply()
        self.stop_all_reply = replies.get("stop_all") or program.stop_all_reply()
        self.start_reply = replies.get("start") or program.start_reply()
        self._table = self._build_table()
        self._multi_word_starts = frozenset(key.split(" ", 1)[0] for key in self._table if " " in key)

    def _default_reply(self, action: KeywordAction) -> str | None:
        return {
            KeywordAction.OPT_OUT: self.stop_reply,
            KeywordAction.OPT_OUT_ALL: self.stop_all_reply,
            KeywordAction.OPT_IN: self.start_reply,
            KeywordAction.HELP: self.help_reply,
        }.get(action)

    def _build_table(self) -> dict[str, KeywordRule]:
        settings = self._settings
        problems: list[str] = []
        table: dict[str, KeywordRule] = {}
        built_in: dict[str, KeywordAction] = {}
        groups = (
            (AWS_OPT_OUT_KEYWORDS, KeywordAction.OPT_OUT),
            (settings.opt_out_all_keywords, KeywordAction.OPT_OUT_ALL),
            (settings.opt_in_keywords, KeywordAction.OPT_IN),
            (settings.help_keywords, KeywordAction.HELP),
        )
        for keywords, action in groups:
            for keyword in keywords:
                try:
                    key = _check_keyword(keyword)
                except ValueError as error:
                    problems.append(str(error))
                    continue
                if key in table:
                    problems.append(
                        f"keyword {keyword!r} is both {table[key].action.value} ({table[key].keyword!r}) "
                        f"and {action.value}"
                    )
                    continue
                table[key] = KeywordRule(keyword, action, self._default_reply(action))
                built_in[key] = action
        if not any(rule.action is KeywordAction.HELP for rule in table.values()):
            problems.append("at least one HELP keyword is required (carriers require HELP)")
        custom_seen: dict[str, KeywordRule] = {}
        for rule in settings.custom_rules:
            if not isinstance(rule, KeywordRule):
                problems.append(f"custom rules must be KeywordRule objects, not {type(rule).__name__}")
                continue
            key = normalize_keyword_text(rule.keyword)
            if key in custom_seen:
                problems.append(f"custom keyword {rule.keyword!r} is defined twice (as {custom_seen[key].keyword!r})")
                continue
            custom_seen[key] = rule
            previous = built_in.get(key)
            if previous is not None and previous is not rule.action:
                allowed = previous is KeywordAction.OPT_OUT and rule.action is KeywordAction.OPT_OUT_ALL
                if previous in _PROTECTED_ACTIONS | {KeywordAction.HELP} and not allowed:
                    problems.append(
                        f"custom keyword {rule.keyword!r} would turn the {previous.value} keyword "
                        f"{table[key].keyword!r} into {rule.action.value}; opt-out and HELP keywords cannot be "
                        "re-purposed"
                    )
                    continue
            reply = rule.reply if rule.reply is not None else self._default_reply(rule.action)
            table[key] = KeywordRule(rule.keyword, rule.action, reply)
        if problems:
            raise ValueError("invalid keyword configuration: " + "; ".join(problems))
        return table

    # ----------------------------------------------------------------------------------------- classify

    def classify(self, body: str) -> KeywordRule | None:
        """The rule the whole message matches (see the module docstring), or ``None`` when it is not a keyword.

        Cost: Unicode normalisation of the body, trimming of its ends, a split at the first whitespace and one or
        two dict lookups; the whole message is only re-joined when its first word starts a multi-word keyword, and
        the rest is only scanned when its first word is a keyword (a possible repetition). A message whose trimmed
        text is longer than :data:`MAX_WHOLE_MESSAGE_CHARS` can only be a repetition (``"STOP STOP ..."``).
        """
        if not isinstance(body, str):
            raise TypeError(f"body must be a str, not {type(body).__name__}")
        # Case folding is applied per piece, after trimming and splitting: it never turns a trimmed character into
        # a kept one (or back) nor creates or removes whitespace (checked over all code points in the tests), and
        # folding a whole long non-ASCII message would dominate the cost.
        core = _strip_edges(unicodedata.normalize("NFKC", body))
        if not core:
            return None
        parts = core.split(None, 1)
        first = _inner(parts[0].casefold())
        if len(parts) == 1:
            return self._table.get(first)
        if first in self._multi_word_starts and len(core) <= MAX_WHOLE_MESSAGE_CHARS:
            rule = self._table.get(" ".join(_inner(core.casefold()).split()))
            if rule is not None:
                return rule
        key = _strip_edges(first)
        rule = self._table.get(key)
        if rule is None:
            return None
        for token in parts[1].split():  # one single-word keyword repeated ("STOP STOP"), else nothing
            word = _strip_edges(_inner(token.casefold()))
            if word and word != key:
                return None
        return rule

    # ----------------------------------------------------------------------------------------- introspection

    @property
    def rules(self) -> tuple[KeywordRule, ...]:
        """Every rule, built-in and custom, with its resolved reply."""
        return tuple(self._table.values())

    def rule_for(self, keyword: str) -> KeywordRule | None:
        """The rule of ``keyword`` (any case), or ``None``."""
        return self._table.get(normalize_keyword_text(keyword))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeywordEngine) and self._table == other._table

    def __hash__(self) -> int:
        return hash(tuple(self._table.items()))

    def __repr__(self) -> str:
        return f"KeywordEngine(program={self.program.program_name!r}, keywords={len(self._table)})"

    # ----------------------------------------------------------------------------------------- configuration

    def to_config(self) -> dict[str, Any]:
        """The JSON-serialisable configuration (``KEYWORD_CONFIG``); :meth:`from_config` rebuilds an equal engine.

        Only reply *overrides* are included, so the defaults follow the program settings.
        """
        settings = self._settings
        config: dict[str, Any] = {
            "version": CONFIG_VERSION,
            "program": {
                "name": settings.program.program_name,
                "support_contact": settings.program.support_contact,
                "message_frequency": settings.program.message_frequency,
            },
            "opt_in_keywords": list(settings.opt_in_keywords),
            "opt_out_all_keywords": list(settings.opt_out_all_keywords),
            "help_keywords": list(settings.help_keywords),
            "replies": dict(settings.replies),
            "custom_rules": [
                {"keyword": rule.keyword, "action": rule.action.value, **({"reply": rule.reply} if rule.reply else {})}
                for rule in settings.custom_rules
            ],
        }
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str) -> KeywordEngine:
        """Build an engine from :meth:`to_config`'s shape (a dict or its JSON text). Unknown keys are errors."""
        if isinstance(config, (str, bytes)):
            try:
                config = json.loads(config)
            except ValueError as error:
                raise ValueError(
                    f"keyword configuration is not valid JSON: {error.msg} at position {error.pos}"
                ) from None
        if not isinstance(config, Mapping):
            raise ValueError("keyword configuration must be a JSON object")
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"keyword configuration has unknown keys: {', '.join(unknown)}")
        version = config.get("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise ValueError(f"keyword configuration version {version!r} is not supported (expected {CONFIG_VERSION})")
        program = config.get("program")
        if not isinstance(program, Mapping) or set(program) - {"name", "support_contact", "message_frequency"}:
            raise ValueError(
                "keyword configuration: 'program' must be an object with name, support_contact and message_frequency"
            )
        replies = config.get("replies") or {}
        if not isinstance(replies, Mapping) or set(replies) - set(_REPLY_OVERRIDES):
            raise ValueError(f"keyword configuration: 'replies' may only hold {', '.join(_REPLY_OVERRIDES)}")
        rules = config.get("custom_rules") or []
        if not isinstance(rules, list) or not all(
            isinstance(rule, Mapping) and set(rule) <= {"keyword", "action", "reply"} for rule in rules
        ):
            raise ValueError("keyword configuration: 'custom_rules' must be a list of {keyword, action, reply?}")
        lists = {}
        for name, default in (
            ("opt_in_keywords", DEFAULT_OPT_IN_KEYWORDS),
            ("opt_out_all_keywords", DEFAULT_OPT_OUT_ALL_KEYWORDS),
            ("help_keywords", DEFAULT_HELP_KEYWORDS),
        ):
            value = config.get(name, list(default))
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"keyword configuration: {name!r} must be a list of strings")
            lists[name] = tuple(value)
        return cls(
            ProgramInfo(
                program_name=program.get("name"),  # type: ignore[arg-type]
                support_contact=program.get("support_contact"),  # type: ignore[arg-type]
                message_frequency=program.get("message_frequency", "Msg frequency varies"),
            ),
            custom_rules=tuple(
                KeywordRule(rule.get("keyword"), rule.get("action"), rule.get("reply"))  # type: ignore[arg-type]
                for rule in rules
            ),
            help_reply=replies.get("help"),
            stop_reply=replies.get("stop"),
            stop_all_reply=replies.get("stop_all"),
            start_reply=replies.get("start"),
            **lists,
        )

    @classmethod
    def from_environment(cls, variable: str = ENV_KEYWORD_CONFIG) -> KeywordEngine:
        """The engine configured by the ``KEYWORD_CONFIG`` environment variable (set by ``SelfManagedOptOut``)."""
        text = os.environ.get(variable)
        if not text:
            raise ValueError(f"the {variable} environment variable is not set (SelfManagedOptOut sets it)")
        return cls.from_config(text)

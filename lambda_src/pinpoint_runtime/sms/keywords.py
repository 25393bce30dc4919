"""SMS keyword engine: decides whether an inbound message is a keyword (STOP, HELP, START, custom) and which.

Pure and fast (standard library only, no I/O): :meth:`KeywordEngine.classify` is a few string operations and one
dict lookup, so the same code runs in the inbound Lambda, in tests and in local tools. The rules and replies are
:mod:`pinpoint_runtime.sms.keyword_rules`, the text normalisation :mod:`pinpoint_runtime.sms.keyword_text`.

Matching rules (the decision table the tests pin down)
------------------------------------------------------
A message is a keyword only when the **whole message** is that keyword, after the normalisation of
:mod:`~pinpoint_runtime.sms.keyword_text` (NFKC and case folding; punctuation, symbols, emoji and whitespace
trimmed at both ends; inner whitespace runs collapsed, zero-width characters removed, dashes unified).

Never substrings: ``"WEEKEND"`` is not END, ``"stop by tomorrow"`` is not STOP, ``"STOP1"`` and ``"STOPPED"``
are nothing, ``"STOP\\nSent from my phone"`` is nothing (the partner's handler sees it). ``"STOPALL"`` is STOPALL
(its own keyword), not STOP.

**Repetitions**: a message that is *one* keyword repeated, separated by whitespace (each repetition trimmed as
above) is that keyword: ``"STOP STOP"``, ``"stop. STOP!"``, ``"Stop stop stop"``. Senders repeat STOP when they
think the first one was ignored; treating it as anything else would miss an opt-out request (CTIA: "acknowledge
and act on all opt-out requests"). Two *different* keywords (``"STOP START"``, ``"STOP HELP"``) are ambiguous and
are not a keyword: the message passes on. Repetitions are recognised for single-word keywords only.

The engine's configuration travels to the inbound function as JSON (:meth:`KeywordEngine.to_config`) in
:class:`KeywordSettings` (``KEYWORD_CONFIG``, written by ``SelfManagedOptOut``).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pinpoint_runtime.core.environment import Codec, FunctionSettings, SettingsError, variable
from pinpoint_runtime.sms.keyword_rules import (
    AWS_OPT_OUT_KEYWORDS,
    DEFAULT_HELP_KEYWORDS,
    DEFAULT_OPT_IN_KEYWORDS,
    DEFAULT_OPT_OUT_ALL_KEYWORDS,
    KeywordAction,
    KeywordRule,
    ProgramInfo,
    check_reply,
)
from pinpoint_runtime.sms.keyword_text import check_keyword, normalize_keyword_text, strip_edges, unify_inner

ENV_KEYWORD_CONFIG = "KEYWORD_CONFIG"
"""Environment variable holding :meth:`KeywordEngine.to_config` as JSON (:class:`KeywordSettings`)."""

CONFIG_VERSION = 1
MAX_WHOLE_MESSAGE_CHARS = 160
"""Trimmed messages longer than this (one GSM-7 SMS segment) are checked for keyword repetitions only; no keyword
(at most 30 characters) is that long even with generous whitespace inside."""

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
        replies = {name: check_reply(text, f"{name}_reply") for name, text in overrides.items() if text is not None}
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
                    key = check_keyword(keyword)
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
        core = strip_edges(unicodedata.normalize("NFKC", body))
        if not core:
            return None
        parts = core.split(None, 1)
        first = unify_inner(parts[0].casefold())
        if len(parts) == 1:
            return self._table.get(first)
        if first in self._multi_word_starts and len(core) <= MAX_WHOLE_MESSAGE_CHARS:
            rule = self._table.get(" ".join(unify_inner(core.casefold()).split()))
            if rule is not None:
                return rule
        key = strip_edges(first)
        rule = self._table.get(key)
        if rule is None:
            return None
        for token in parts[1].split():  # one single-word keyword repeated ("STOP STOP"), else nothing
            word = strip_edges(unify_inner(token.casefold()))
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
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"keyword configuration is not valid JSON: {error.msg} at position {error.pos}"
                ) from None
            except ValueError:  # bytes that are not UTF-8
                raise ValueError("keyword configuration is not valid JSON: not UTF-8 text") from None
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
        program_name: Any = program.get("name")  # ProgramInfo checks the types of its fields itself
        support_contact: Any = program.get("support_contact")
        return cls(
            ProgramInfo(
                program_name=program_name,
                support_contact=support_contact,
                message_frequency=program.get("message_frequency", "Msg frequency varies"),
            ),
            custom_rules=tuple(
                KeywordRule(rule.get("keyword"), rule.get("action"), rule.get("reply")) for rule in rules
            ),
            help_reply=replies.get("help"),
            stop_reply=replies.get("stop"),
            stop_all_reply=replies.get("stop_all"),
            start_reply=replies.get("start"),
            **lists,
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> KeywordEngine:
        """The engine of the function's :class:`KeywordSettings` (``KEYWORD_CONFIG``, set by ``SelfManagedOptOut``);
        ``ValueError`` when it is missing or invalid."""
        try:
            return KeywordSettings.from_environment(environ).engine
        except SettingsError as error:
            raise ValueError(str(error)) from None


def _encode_engine(engine: KeywordEngine) -> str:
    return json.dumps(engine.to_config(), separators=(",", ":"), sort_keys=True)


KEYWORD_CONFIG_CODEC = Codec(encode=_encode_engine, decode=KeywordEngine.from_config)
"""A :class:`KeywordEngine` as compact JSON with sorted keys (:meth:`KeywordEngine.to_config`)."""


@dataclass(frozen=True, kw_only=True)
class KeywordSettings(FunctionSettings):
    """The keyword engine of a function that answers keywords (``SelfManagedOptOut`` writes it)."""

    construct: ClassVar[str] = "SelfManagedOptOut"
    engine: KeywordEngine = variable(ENV_KEYWORD_CONFIG, codec=KEYWORD_CONFIG_CODEC, doc="the keyword engine (JSON)")


__all__ = [
    "CONFIG_VERSION",
    "ENV_KEYWORD_CONFIG",
    "KEYWORD_CONFIG_CODEC",
    "MAX_WHOLE_MESSAGE_CHARS",
    "KeywordEngine",
    "KeywordSettings",
]

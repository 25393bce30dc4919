"""SMS keyword rules: the actions a keyword can have, the built-in keywords, and the default (CTIA-style) replies.

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

from dataclasses import dataclass
from enum import StrEnum

from pinpoint_runtime.sms.keyword_text import check_keyword

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


def check_reply(text: object, what: str) -> str:
    """``text`` if it is a valid SMS reply (non-blank, at most 1,600 characters), else ``ValueError``."""
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
        check_keyword(self.keyword)
        if self.reply is not None:
            check_reply(self.reply, f"reply of keyword {self.keyword!r}")
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
            check_reply(reply, "a default reply")

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


__all__ = [
    "AWS_OPT_OUT_KEYWORDS",
    "DEFAULT_HELP_KEYWORDS",
    "DEFAULT_OPT_IN_KEYWORDS",
    "DEFAULT_OPT_OUT_ALL_KEYWORDS",
    "MAX_REPLY_LENGTH",
    "KeywordAction",
    "KeywordRule",
    "ProgramInfo",
    "check_reply",
]

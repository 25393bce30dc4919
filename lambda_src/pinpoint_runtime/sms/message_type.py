"""The SMS message type (``SendTextMessage`` ``MessageType``, Pinpoint's ``SMSMessage.MessageType``), one enum for
every domain that sends or accepts a text: sms, campaigns and the Adobe bridge. No imports, so that any handler may
use it at no cold-start cost."""

from __future__ import annotations

from enum import StrEnum


class MessageType(StrEnum):
    """What a message is, for the opt-out policy and the carriers."""

    TRANSACTIONAL = "TRANSACTIONAL"
    """Answers and notifications the recipient asked for (one-time passwords, replies); allowed after STOP."""
    PROMOTIONAL = "PROMOTIONAL"
    """Marketing; only to numbers that have not opted out."""


MESSAGE_TYPES: tuple[str, ...] = tuple(member.value for member in MessageType)

__all__ = ["MESSAGE_TYPES", "MessageType"]

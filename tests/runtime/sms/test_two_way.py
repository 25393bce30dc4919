"""Tests of pinpoint_runtime.sms.two_way: its settings (the pipeline itself runs through the Lambda entry point in
tests/functions/test_two_way_inbound.py, which shares its metrics)."""

from __future__ import annotations

import pytest

from pinpoint_runtime.core.environment import SettingsError
from pinpoint_runtime.sms.sender import MessageType, SmsSender
from pinpoint_runtime.sms.two_way import (
    IDEMPOTENCY_EXPIRY_SECONDS,
    InboundMessageHandler,
    TwoWaySettings,
    inbound_settings,
)


def test_settings_defaults_and_encoding() -> None:
    assert TwoWaySettings.from_environment({}) == TwoWaySettings()
    assert TwoWaySettings().idempotency_ttl_seconds == IDEMPOTENCY_EXPIRY_SECONDS
    assert TwoWaySettings().reply_message_type is MessageType.TRANSACTIONAL
    settings = TwoWaySettings(
        idempotency_table="t",
        idempotency_ttl_seconds=60,
        reply_message_type=MessageType.PROMOTIONAL,
        auto_reply_text="",
    )
    environment = settings.to_environment()
    assert environment == {
        "IDEMPOTENCY_TABLE": "t",
        "IDEMPOTENCY_TTL_SECONDS": "60",
        "REPLY_MESSAGE_TYPE": "PROMOTIONAL",
        "AUTO_REPLY_TEXT": "",
    }
    assert TwoWaySettings.from_environment(environment).auto_reply_text is None  # "" turns replies off


def test_invalid_reply_message_type_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="REPLY_MESSAGE_TYPE"):
        TwoWaySettings.from_environment({"REPLY_MESSAGE_TYPE": "URGENT"})


def test_inbound_settings_start_with_its_own_and_declare_every_name_once() -> None:
    assert inbound_settings()[0] is TwoWaySettings
    names = [name for settings in inbound_settings() for name in settings.environment_variables()]
    assert len(names) == len(set(names))


def test_idempotency_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="idempotency_ttl_seconds"):
        InboundMessageHandler(sender=SmsSender(origination_identity="pool-1"), idempotency_ttl_seconds=0)

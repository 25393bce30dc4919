"""pinpoint_runtime.campaigns.ledger: the send ledger on a moto DynamoDB table (claim once, complete, release)."""

from __future__ import annotations

from typing import Any

import pytest

from pinpoint_runtime.campaigns.ledger import SENDING, SendLedger
from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
)
from tests.support.campaigns import CONTEXT, LEDGER


def test_ledger_claims_once_completes_and_releases(aws: dict[str, Any]) -> None:
    ledger = SendLedger(LEDGER, client=aws["dynamodb"], ttl_seconds=3600, clock=lambda: 1_700_000_000.0)
    key = CONTEXT.idempotency_key("ep-1")
    assert key == "app1#camp1#0#ep-1"
    assert ledger.claim(key, channel="SMS") is True
    assert ledger.claim(key, channel="SMS") is False
    item = ledger.get(key)
    assert item["status"] == SENDING and item["expires_at"] == str(1_700_000_000 + 3600)
    ledger.complete(key, SUCCESS, "msg-1")
    ledger.release(key)  # a completed send is never released
    ledger.complete(key, FAILURE, "other", reason="late")  # nor overwritten
    assert ledger.get(key)["status"] == SUCCESS and ledger.get(key)["message_id"] == "msg-1"
    other = CONTEXT.idempotency_key("ep-2")
    assert ledger.claim(other)
    ledger.release(other)
    assert ledger.get(other) is None and ledger.claim(other)
    with pytest.raises(ValueError, match="status must be one of"):
        ledger.complete(other, "SENT")

"""The idempotency records (pinpoint_runtime.bridge.idempotency): their settings and the request ids."""

from __future__ import annotations

import uuid

import pytest

from pinpoint_runtime.bridge.idempotency import IdempotencyStore, IdempotencyStoreSettings, request_id_for


def test_the_store_of_its_settings() -> None:
    settings = IdempotencyStoreSettings.from_environment({"BRIDGE_IDEMPOTENCY_TABLE": "t"})
    assert settings.ttl_seconds == 3600
    store = IdempotencyStore.from_settings(settings, client=object())
    assert store.table_name == "t" and store.ttl_seconds == 3600 and store.lock_seconds == 15
    assert IdempotencyStoreSettings(table_name="t", ttl_seconds=60).to_environment() == {
        "BRIDGE_IDEMPOTENCY_TABLE": "t",
        "BRIDGE_IDEMPOTENCY_TTL_SECONDS": "60",
    }
    with pytest.raises(ValueError, match="no idempotency table"):
        IdempotencyStore("")


def test_a_request_id_is_a_stable_uuid4_per_key() -> None:
    assert request_id_for("req:a") == request_id_for("req:a") != request_id_for("req:b")
    assert uuid.UUID(request_id_for("req:a")).version == 4

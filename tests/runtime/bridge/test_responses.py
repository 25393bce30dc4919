"""The bridge's HTTP answers (pinpoint_runtime.bridge.responses): shapes and the statuses AJO acts on."""

from __future__ import annotations

import json

import pytest

from pinpoint_runtime.bridge.errors import BridgeDependencyError
from pinpoint_runtime.bridge.responses import (
    accepted_response,
    error_response,
    send_failure_response,
    unavailable_response,
)
from pinpoint_runtime.sms.sender import SmsSendError


def test_the_proxy_shape_is_compact_json() -> None:
    proxy = error_response(400, "invalid_request", "body: is required", field="body").to_proxy()
    assert proxy == {
        "statusCode": 400,
        "headers": {"Content-Type": "application/json"},
        "body": '{"error":"invalid_request","message":"body: is required","field":"body"}',
        "isBase64Encoded": False,
    }


def test_a_replay_carries_the_first_answer_and_says_so() -> None:
    replay = accepted_response({"request_id": "r", "status": "SENT", "message_id": "m"}, duplicate=True)
    assert replay.status == 202 and replay.headers == {"Idempotent-Replayed": "true"}
    assert replay.body == {"requestId": "r", "status": "SENT", "duplicate": True, "messageId": "m"}
    assert accepted_response({"request_id": "r", "status": "SENDING"}, duplicate=False).body["status"] == "ACCEPTED"
    unavailable = unavailable_response(BridgeDependencyError("x", code="ProvisionedThroughputExceededException"))
    assert unavailable.status == 503 and unavailable.headers == {"Retry-After": "1"}


@pytest.mark.parametrize(
    ("code", "retryable", "status", "error"),
    [
        ("ThrottlingException", True, 429, "throttled"),
        ("InternalServerException", True, 503, "service_unavailable"),
        ("AccessDeniedException", False, 502, "sms_service_refused"),
        ("ServiceQuotaExceededException", False, 502, "sms_service_refused"),
        ("ValidationException", False, 422, "sms_rejected"),
    ],
)
def test_send_failures_map_to_actionable_statuses(code: str, retryable: bool, status: int, error: str) -> None:
    response = send_failure_response(SmsSendError("failed", code=code, retryable=retryable))
    assert response.status == status and response.body["error"] == error
    assert code in json.dumps(response.body) or status == 429

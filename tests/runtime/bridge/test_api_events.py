"""The send function's proxy events (pinpoint_runtime.bridge.api_events): decoding, the request record, faults."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from pinpoint_runtime.bridge.api_events import answer_event, handle_event
from pinpoint_runtime.core.request_log import RequestLog


def _log() -> tuple[RequestLog, io.StringIO]:
    stream = io.StringIO()
    return RequestLog(service="adobe-bridge-send", namespace="PinpointConstructs", stream=stream), stream


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_body_that_is_not_base64_is_400_without_calling_the_service() -> None:
    log, stream = _log()
    response = handle_event({"body": "%%%", "isBase64Encoded": True}, None, log)  # type: ignore[arg-type]  # unused
    assert response["statusCode"] == 400 and json.loads(response["body"])["field"] == "body"
    (record,) = _records(stream)
    assert record["result"] == "invalid" and record["Invalid"] == 1


def test_a_fault_is_a_json_500_and_a_faults_count() -> None:
    log, stream = _log()

    def broken() -> Any:
        raise RuntimeError("boom")

    response = answer_event({"body": "{}"}, broken, log, logger=logging.getLogger("test"))
    assert response["statusCode"] == 500 and json.loads(response["body"])["error"] == "internal_error"
    (record,) = _records(stream)
    assert record["result"] == "fault" and record["Faults"] == 1

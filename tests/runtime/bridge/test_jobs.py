"""The queued job (pinpoint_runtime.bridge.jobs): what the send service writes is what the consumer reads."""

from __future__ import annotations

import json

import pytest

from pinpoint_runtime.bridge.contract import SendRequest
from pinpoint_runtime.bridge.jobs import build_job, parse_job

REQUEST = SendRequest(
    destination="+14255550182",
    body="hello",
    message_type="TRANSACTIONAL",
    configuration_set="set-1",
    journey_id="j-1",
)


def test_a_built_job_parses_back_with_its_context_and_options() -> None:
    job = build_job(REQUEST, "req:abc", "abc", "rid-1")
    parsed = parse_job(json.dumps(job))
    assert parsed == job
    assert parsed["context"] == {"request_id": "rid-1", "journey_id": "j-1"}
    assert parsed["configuration_set"] == "set-1" and "origination_identity" not in parsed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda job: "not json", "job is not JSON"),
        (lambda job: json.dumps({**job, "version": 2}), "job is not a version 1 bridge job"),
        (lambda job: json.dumps({**job, "body": ""}), "job has no body"),
        (lambda job: json.dumps({**job, "destination": "4255550182"}), "job destination is not E.164"),
        (lambda job: json.dumps({**job, "message_type": "URGENT"}), "job message_type is invalid"),
        (lambda job: json.dumps({**job, "context": {"a": 1}}), "job context is invalid"),
    ],
)
def test_a_malformed_job_is_refused_with_a_fixed_reason(change, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        parse_job(change(build_job(REQUEST, "req:abc", "abc", "rid-1")))

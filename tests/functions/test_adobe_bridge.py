"""The Adobe bridge's Lambda handlers: the consumer's batch (dead-lettering, its share of the rate) and the send
handler from its environment (logs and metrics, faults). DynamoDB, SQS and Secrets Manager are moto; the SMS API is
tests/support/sms_voice_fake.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from adobe_bridge_consumer import handler as consumer_module
from adobe_bridge_send import handler as send_module
from tests.support.adobe_bridge_env import CONFIGURATION_SET, BridgeEnv, accept_and_receive, make_env, payload
from tests.support.adobe_http_adapter import LambdaContext


@pytest.fixture
def env(fake_aws_credentials: None) -> Iterator[BridgeEnv]:
    with mock_aws():
        yield make_env()


# --------------------------------------------------------------------------------------------- the consumer's batch


def test_the_consumer_batch_dead_letters_what_can_never_be_sent(env: BridgeEnv) -> None:
    good = accept_and_receive(env)
    refused = accept_and_receive(env, payload(profileId="p-refused"))
    throttled = accept_and_receive(env, payload(profileId="p-throttled"))
    malformed = {"MessageId": "m-bad", "Body": '{"version": 1}'}
    consumer = env.consumer(max_attempts=1)

    real_send = env.sms.send_text_message
    outcomes = iter(["ok", "ValidationException", "ThrottlingException"])

    def scripted(**params: Any) -> Any:
        step = next(outcomes)
        if step != "ok":
            env.sms.fail_next("send_text_message", step)
        return real_send(**params)

    env.sms.send_text_message = scripted  # type: ignore[method-assign]
    event = {"Records": [env.record(m) for m in (good, refused, throttled, malformed)]}
    result = consumer_module.process_batch(
        event, consumer, deadline=None, dead_letter_queue_url=env.dead_letter_queue_url, sqs=env.sqs
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": throttled["MessageId"]}]}
    dead = env.queued(env.dead_letter_queue_url)
    reasons = {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: m["MessageAttributes"]["reason"]["StringValue"]
        for m in dead
    }
    assert reasons == {refused["MessageId"]: "ValidationException", "m-bad": "job has no request_id"}
    assert len(env.sms.sent) == 1


def test_the_consumer_keeps_records_it_cannot_dead_letter(env: BridgeEnv) -> None:
    malformed = {"MessageId": "m-bad", "Body": "not json"}
    result = consumer_module.process_batch(
        {"Records": [env.record(malformed)]}, env.consumer(), deadline=None, dead_letter_queue_url=None, sqs=env.sqs
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}


def test_each_consumer_copy_gets_its_share_of_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_MESSAGE_PARTS_PER_SECOND", "3")
    monkeypatch.setenv("BRIDGE_CONSUMER_CONCURRENCY", "2")
    assert consumer_module.per_process_rate() == 1.5


# --------------------------------------------------------------------------------------------- the Lambda handler


def test_the_send_handler_from_its_environment_logs_no_number_body_or_key(
    env: BridgeEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    for name, value in {
        "BRIDGE_IDEMPOTENCY_TABLE": env.table_name,
        "BRIDGE_SEND_QUEUE_URL": env.queue_url,
        "BRIDGE_DELIVERY_MODE": "QUEUE",
        "SMS_ORIGINATION_IDENTITY": env.identity,
        "SMS_CONFIGURATION_SET": CONFIGURATION_SET,
        "BRIDGE_ALLOWED_ORIGINATION_IDENTITIES": json.dumps([env.other_identity]),
        "OPT_OUT_REGISTRY_TABLE": env.registry_table,
        "POWERTOOLS_METRICS_NAMESPACE": "PinpointConstructs",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(send_module, "_service", None)
    import pinpoint_runtime.sms.opt_out as opt_out

    monkeypatch.setattr(opt_out, "_default_registry", None)
    event = {
        "body": json.dumps(payload(originationIdentity=env.identity)),
        "headers": {"x-api-key": "the-secret-key-value", "Content-Type": "application/json"},
        "isBase64Encoded": False,
    }
    caplog.set_level(logging.INFO)
    response = send_module.handler(event, LambdaContext("adobe-bridge-send"))
    assert response["statusCode"] == 202 and response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"])["status"] == "ACCEPTED"
    assert len(env.queued()) == 1
    bad = send_module.handler({**event, "body": "{}"}, LambdaContext("adobe-bridge-send"))
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["field"] == "destinationNumber"
    encoded = send_module.handler({**event, "body": "%%%", "isBase64Encoded": True}, LambdaContext("x"))
    assert encoded["statusCode"] == 400 and json.loads(encoded["body"])["field"] == "body"

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("message") == "custom action request"]
    assert [r["result"] for r in requests] == ["accepted", "invalid", "invalid"]
    assert requests[0]["destination"] == "+*********82" and requests[0]["journey_id"] == "2f8a1b4c-journey"
    assert [r.get("field") for r in requests] == [None, "destinationNumber", "body"]
    # each line is also the request's metric (embedded metric format), one count per outcome
    assert [(r["Accepted" if i == 0 else "Invalid"], r["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"])
            for i, r in enumerate(requests)] == [(1, "Accepted"), (1, "Invalid"), (1, "Invalid")]  # fmt: skip
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in requests} == {"PinpointConstructs"}
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records) + out
    for secret in ("14255550182", "555-0182", "Your order 1234", "the-secret-key-value"):
        assert secret not in logged


def test_an_unexpected_fault_is_a_json_500(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken() -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(send_module, "service", broken)
    response = send_module.handler({"body": "{}", "headers": {}}, LambdaContext("adobe-bridge-send"))
    assert response["statusCode"] == 500 and json.loads(response["body"])["error"] == "internal_error"
    record = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"custom action request"' in line]
    assert record[-1]["result"] == "fault" and record[-1]["Faults"] == 1

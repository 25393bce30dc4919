"""The Adobe bridge's Lambda handlers from their environment: the send handler (logs and metrics, faults), the
authorizer and the consumer. DynamoDB, SQS and Secrets Manager are moto; the SMS API is
tests/support/sms_voice_fake.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from adobe_bridge_authorizer import handler as authorizer_module
from adobe_bridge_consumer import handler as consumer_module
from adobe_bridge_send import handler as send_module
from pinpoint_runtime.bridge.api_keys import ApiKeySecretError
from tests.support.adobe_bridge_env import API_KEY, CONFIGURATION_SET, BridgeEnv, accept_and_receive, make_env, payload
from tests.support.adobe_http_adapter import LambdaContext

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/v1/POST/messages"


@pytest.fixture
def env(fake_aws_credentials: None) -> Iterator[BridgeEnv]:
    with mock_aws():
        yield make_env()


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


# --------------------------------------------------------------------------------------------- the authorizer


def test_authorizer_handler_reads_the_secret_named_in_its_environment(
    env: BridgeEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = env.secret_id
    monkeypatch.setenv("API_KEY_SECRET_ID", arn)
    monkeypatch.setenv("API_KEY_HEADER", "x-adobe-key")
    monkeypatch.setenv("API_KEY_CACHE_TTL_SECONDS", "30")
    monkeypatch.setattr(authorizer_module, "_authorizer", None)
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"X-Adobe-Key": API_KEY}}
    answer = authorizer_module.handler(event, LambdaContext("adobe-bridge-authorizer"))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert (
        authorizer_module.authorizer().verifier.cache_ttl == 30
        and authorizer_module.authorizer().verifier.secret_id == arn
    )
    assert authorizer_module.authorizer().header_name == "x-adobe-key"


def test_an_unreadable_secret_is_a_fault_not_a_denial(
    fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws():
        monkeypatch.setenv("API_KEY_SECRET_ID", "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-abcdef")
        monkeypatch.setattr(authorizer_module, "_authorizer", None)
        with pytest.raises(ApiKeySecretError):  # API Gateway answers 500 (AJO retries), not 403
            authorizer_module.handler(
                {"methodArn": METHOD_ARN, "headers": {"x-api-key": API_KEY}}, LambdaContext("adobe-bridge-authorizer")
            )


# --------------------------------------------------------------------------------------------- the consumer


def test_the_consumer_handler_sends_from_its_environment(env: BridgeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    message = accept_and_receive(env)
    for name, value in {
        "BRIDGE_IDEMPOTENCY_TABLE": env.table_name,
        "SMS_ORIGINATION_IDENTITY": env.identity,
        "SMS_CONFIGURATION_SET": CONFIGURATION_SET,
        "BRIDGE_MESSAGE_PARTS_PER_SECOND": "100",
        "BRIDGE_CONSUMER_CONCURRENCY": "2",
        "DEAD_LETTER_QUEUE_URL": env.dead_letter_queue_url,
        "OPT_OUT_REGISTRY_TABLE": env.registry_table,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(consumer_module, "_runtime", None)
    consumer, _ = consumer_module.runtime()
    assert consumer.sender.parts_per_second == 50  # this copy's share
    consumer.sender.sender.default._client = env.sms  # the faked SMS API
    malformed = {"MessageId": "m-bad", "Body": "not json"}
    event = {"Records": [env.record(message), env.record(malformed)]}
    assert consumer_module.handler(event, LambdaContext("adobe-bridge-consumer")) == {"batchItemFailures": []}
    (sent,) = env.sms.sent
    assert sent["OriginationIdentity"] == env.identity and sent["ConfigurationSetName"] == CONFIGURATION_SET
    (dead,) = env.queued(env.dead_letter_queue_url)
    assert dead["MessageAttributes"]["reason"]["StringValue"] == "job is not JSON"

"""The built-in custom channel functions (lambda_src/channel_*): each handler reads its settings from the
environment, builds its channel once per process (secrets read from Secrets Manager and cached) and answers
Pinpoint's custom-channel payload with one result per endpoint. The channels themselves are tested in
tests/runtime/campaigns/channels/."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from botocore.stub import Stubber

from channel_cdp_writeback import handler as cdp_handler
from channel_connect_voice import handler as connect_handler
from channel_inapp_inbox import handler as inbox_handler
from channel_webhook import handler as webhook_handler
from pinpoint_runtime.campaigns.payloads import FAILURE, SUCCESS
from tests.support.custom_channel_events import (
    CHANNEL_EVENT,
    SIGNING_KEY,
    expected_call,
    make_inbox,
    payload,
    results_of,
)
from tests.support.local_https import Answer, LocalHttpsServer


def test_cdp_handler_with_secrets_manager_and_a_failing_cdp(
    aws: None, server: LocalHttpsServer, certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.signing_secret = None
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name="cdp", SecretString="Bearer abc")[
        "ARN"
    ]
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    for name, value in {"CDP_URL": server.url("/r"), "AUTH_SECRET_ID": arn, "MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    cdp_handler.reset()
    server.answer(Answer(500))
    answer = cdp_handler.handler(payload(), None)
    assert results_of(answer, payload()) == dict.fromkeys(
        ("ep-sms", "ep-voice", "ep-bare"), (FAILURE, "127.0.0.1: HTTP 500 after 1 attempts")
    )
    assert server.requests[0].headers["authorization"] == "Bearer abc"
    cdp_handler.reset()


def test_inbox_by_endpoint_id_through_the_handler(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_inbox()
    monkeypatch.setenv("INBOX_TABLE_NAME", "inbox")
    monkeypatch.setenv("INBOX_KEY_TYPE", "ENDPOINT_ID")
    monkeypatch.setenv("INBOX_TTL_SECONDS", "600")
    inbox_handler.reset()
    event = copy.deepcopy(CHANNEL_EVENT)
    answer = inbox_handler.handler(event, None)
    assert answer == {"Results": {"1dbcd396df28ac6cf8c1c2b7fexample": {"Status": "SUCCESS"}}}
    (item,) = client.scan(TableName="inbox")["Items"]
    assert item["pk"]["S"] == "1dbcd396df28ac6cf8c1c2b7fexample"
    assert item["sk"]["S"] == "2020-04-08T19:00:16.843Z#13978104ce5d6017c72552257example#0"
    inbox_handler.reset()


def test_webhook_handler_reads_the_secret_from_secrets_manager(
    aws: None, server: LocalHttpsServer, certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="signing", SecretString=json.dumps({"key": SIGNING_KEY})
    )["ARN"]
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the standard way to trust a private CA
    for name, value in {
        "WEBHOOK_URL": server.url("/hook"),
        "SIGNING_SECRET_ID": arn,
        "SIGNING_SECRET_JSON_FIELD": "key",
        "RETRY_STATUS_CODES": "503",
        "MAX_ATTEMPTS": "2",
        "REQUEST_TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    webhook_handler.reset()
    server.answer(Answer(503), Answer(200))

    class Context:
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 30_000

    answer = webhook_handler.handler(copy.deepcopy(CHANNEL_EVENT), Context())
    assert answer == {"Results": {"1dbcd396df28ac6cf8c1c2b7fexample": {"Status": "SUCCESS"}}}
    assert [r.signature_valid for r in server.requests] == [True, True]
    channel = webhook_handler.current()
    webhook_handler.handler(copy.deepcopy(CHANNEL_EVENT), Context())
    assert channel.secret.reads == 1  # cached across warm invocations
    webhook_handler.reset()


def test_connect_handler_builds_its_channel_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    event = payload()
    for name, value in {
        "CONNECT_INSTANCE_ID": "inst-1",
        "CONNECT_CONTACT_FLOW_ID": "flow-1",
        "CONNECT_SOURCE_PHONE_NUMBER": "+12065550199",
        "CALLS_PER_SECOND": "100",
    }.items():
        monkeypatch.setenv(name, value)
    connect_handler.reset()
    built = connect_handler.current()
    assert (built.instance_id, built.contact_flow_id, built.limiter.parts_per_second) == ("inst-1", "flow-1", 100.0)
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    built._client = client
    with Stubber(client) as stub:
        stub.add_response(
            "start_outbound_voice_contact", {"ContactId": "c"}, {**expected_call(event, "ep-sms", "+12065550100")}
        )
        stub.add_response(
            "start_outbound_voice_contact", {"ContactId": "d"}, {**expected_call(event, "ep-voice", "+12065550101")}
        )
        answer = connect_handler.handler(event, None)
    assert results_of(answer, event)["ep-voice"] == (SUCCESS, None)
    connect_handler.reset()

"""The built-in custom channels: webhook and CDP write-back against a real HTTPS server on 127.0.0.1 (which verifies
the signature), Amazon Connect through botocore's Stubber (moto has no StartOutboundVoiceContact), the in-app
inbox on moto DynamoDB, secrets on moto Secrets Manager. Every answer is read back with the runner's
parse_channel_response: exactly one result per endpoint."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from channel_cdp_writeback import handler as cdp_handler
from channel_connect_voice import handler as connect_handler
from channel_inapp_inbox import handler as inbox_handler
from channel_webhook import handler as webhook_handler
from pinpoint_runtime.campaigns.channels.builtins import (
    CdpWriteBack,
    ChannelConfigurationError,
    ConnectVoiceChannel,
    InAppInbox,
    SecretReader,
    WebhookChannel,
    batch_idempotency_key,
    client_token,
)
from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
    CampaignContext,
    channel_results,
    custom_channel_event,
    parse_channel_response,
)
from pinpoint_runtime.core.https_client import (
    HttpsClient,
    InsecureUrlError,
    sign_body,
    signature,
    verify_signature,
)
from tests.conftest import REPO
from tests.support.local_https import Answer, LocalHttpsServer, client_context, make_certificate

CHANNEL_EVENT: dict[str, Any] = json.loads((REPO / "tests/data/payloads/custom_channel_event.json").read_text())
SIGNING_KEY = "s3cr3t-signing-key-for-tests"


def payload(*, treatment: str = "0", campaign: str = "camp-1", data: str = '{"title": "Sale"}') -> dict[str, Any]:
    endpoints = {
        "ep-sms": {
            "ChannelType": "SMS",
            "Address": "+12065550100",
            "User": {"UserId": "u-1"},
            "Attributes": {"Offer": ["20%"]},
        },
        "ep-voice": {"ChannelType": "VOICE", "Address": "+12065550101", "User": {"UserId": "u-2"}},
        "ep-bare": {"ChannelType": "CUSTOM"},  # no Address, Attributes or User
    }
    context = CampaignContext(
        application_id="app-1",
        campaign_id=campaign,
        treatment_id=treatment,
        activity_id="act-1",
        scheduled_time="2026-11-01T10:00:00.000Z",
    )
    return custom_channel_event(context, data, endpoints)


def results_of(answer: dict[str, Any], event: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """What the runner reads from a channel's answer (fails when an endpoint lacks a result)."""
    parsed = parse_channel_response(answer, list(event["Endpoints"]))
    assert set(parsed) == set(event["Endpoints"])
    return parsed


class StaticSecret(SecretReader):
    def __init__(self, value: str) -> None:
        super().__init__("static")
        self._cached = (float("inf"), value)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[LocalHttpsServer]:
    running = LocalHttpsServer(*certificate, signing_secret=SIGNING_KEY.encode())
    yield running
    running.close()


@pytest.fixture
def http(certificate: tuple[Path, Path]) -> HttpsClient:
    return HttpsClient(timeout=1.0, ssl_context=client_context(certificate[0]))


def webhook(server: LocalHttpsServer, http: HttpsClient, waits: list[float] | None = None, **kwargs: Any):
    return WebhookChannel(
        server.url("/hook"),
        StaticSecret(SIGNING_KEY),
        http_client=http,
        sleep=(waits.append if waits is not None else (lambda s: None)),
        **kwargs,
    )


# --------------------------------------------------------------------------------------------- signing
def test_signature_covers_the_timestamp_and_rejects_stale_or_tampered_bodies() -> None:
    key, body = b"k", b'{"a":1}'
    timestamp, signed = sign_body(key, body, now=1_000_000)
    assert signed.startswith("sha256=") and len(signed) == 7 + 64
    assert verify_signature(key, timestamp, body, signed, now=1_000_100)
    assert not verify_signature(key, timestamp, body + b" ", signed, now=1_000_100)  # tampered body
    assert not verify_signature(key, str(int(timestamp) + 1), body, signed, now=1_000_100)  # timestamp is signed
    assert not verify_signature(key, timestamp, body, signed, now=1_000_301)  # replayed after 5 minutes
    assert not verify_signature(b"other", timestamp, body, signed, now=1_000_000)
    assert signature(key, "1", b"x") != signature(key, "1", b"y")


# --------------------------------------------------------------------------------------------- webhook
def test_webhook_posts_the_signed_pinpoint_payload(server: LocalHttpsServer, http: HttpsClient) -> None:
    event = copy.deepcopy(CHANNEL_EVENT)
    results = webhook(server, http).deliver(event)

    assert results == {"1dbcd396df28ac6cf8c1c2b7fexample": (SUCCESS, None)}
    (request,) = server.requests
    assert request.method == "POST" and request.path == "/hook" and request.signature_valid is True
    assert json.loads(request.body) == CHANNEL_EVENT  # the Pinpoint payload, unchanged
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["idempotency-key"] == batch_idempotency_key(CHANNEL_EVENT)


def test_webhook_retries_listed_statuses_with_backoff_and_a_stable_idempotency_key(
    server: LocalHttpsServer, http: HttpsClient
) -> None:
    server.answer(Answer(503), Answer(429, headers={"Retry-After": "2"}), Answer(200))
    waits: list[float] = []
    event = payload()
    results = webhook(server, http, waits, backoff_base=0.1, backoff_cap=3.0).deliver(event)

    assert {status for status, _ in results.values()} == {SUCCESS} and len(results) == 3
    assert len(server.requests) == 3 and all(r.signature_valid for r in server.requests)
    assert len({r.headers["idempotency-key"] for r in server.requests}) == 1
    assert len(waits) == 2 and 0 <= waits[0] <= 0.1 and waits[1] >= 2.0  # full jitter, then Retry-After


def test_webhook_status_policy_failures_are_per_endpoint_and_not_retried(
    server: LocalHttpsServer, http: HttpsClient
) -> None:
    server.answer(Answer(400))
    event = payload()
    results = results_of(channel_results(webhook(server, http).deliver(event)), event)
    assert set(results.values()) == {(FAILURE, "127.0.0.1: HTTP 400")}
    assert len(server.requests) == 1

    server.answer(Answer(418), Answer(200))  # 418 listed as retryable here
    assert {s for s, _ in webhook(server, http, retry_statuses=[418]).deliver(event).values()} == {SUCCESS}

    server.answer(Answer(301, headers={"Location": server.url("/elsewhere")}))  # a POST is never redirected
    redirected = webhook(server, http).deliver(event)
    assert set(redirected.values()) == {(FAILURE, "127.0.0.1: HTTP 301")}
    assert server.requests[-1].path == "/hook"


def test_webhook_gives_up_after_max_attempts_and_on_timeouts(server: LocalHttpsServer, http: HttpsClient) -> None:
    server.answer(*[Answer(502)] * 3)
    results = webhook(server, http, max_attempts=3).deliver(payload())
    assert set(results.values()) == {(FAILURE, "127.0.0.1: HTTP 502 after 3 attempts")}
    assert len(server.requests) == 3

    server.requests.clear()
    server.answer(Answer(200, delay=1.5), Answer(200))  # the first attempt times out (client timeout 1 s)
    results = webhook(server, http, max_attempts=2).deliver(payload())
    assert {s for s, _ in results.values()} == {SUCCESS} and len(server.requests) == 2

    server.answer(Answer(200, delay=1.5), Answer(200, delay=1.5))
    timed_out = webhook(server, http, max_attempts=2).deliver(payload())
    assert all(s == FAILURE and "timed out" in (r or "") for s, r in timed_out.values())


def test_webhook_stops_retrying_at_the_deadline(server: LocalHttpsServer, http: HttpsClient) -> None:
    server.answer(Answer(503), Answer(200))
    channel = webhook(server, http, backoff_base=5.0, backoff_cap=5.0)
    channel._clock = lambda: 100.0  # backoff of up to 5 s, only 0.001 s left
    import random

    random.seed(1)  # a non-zero jittered pause
    results = channel.deliver(payload(), deadline=100.001)
    assert all(s == FAILURE and "no time left" in (r or "") for s, r in results.values())
    assert len(server.requests) == 1


def test_webhook_receiver_may_answer_per_endpoint_results(server: LocalHttpsServer, http: HttpsClient) -> None:
    answer = {"Results": {"ep-sms": {"Status": "SUCCESS"}, "ep-voice": {"Status": "FAILURE", "Reason": "unknown"}}}
    server.answer(Answer(200, json.dumps(answer).encode()))
    results = webhook(server, http).deliver(payload())
    assert results == {
        "ep-sms": (SUCCESS, None),
        "ep-voice": (FAILURE, "unknown"),
        "ep-bare": (FAILURE, "the channel reported no result for this endpoint"),
    }


def test_webhook_refuses_plain_http_and_a_wrong_secret_fails_verification(
    server: LocalHttpsServer, http: HttpsClient
) -> None:
    with pytest.raises(InsecureUrlError):
        WebhookChannel(f"http://127.0.0.1:{server.port}/hook", StaticSecret("x"))
    wrong = WebhookChannel(server.url("/hook"), StaticSecret("wrong"), http_client=http, sleep=lambda s: None)
    results = wrong.deliver(payload())
    assert all(r == (FAILURE, "127.0.0.1: HTTP 401") for r in results.values())
    assert server.requests[0].signature_valid is False


@pytest.fixture
def aws(fake_aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


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


def test_secret_reader_cache_ttl_and_json_field(aws: None) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(Name="s", SecretString=json.dumps({"token": "v1"}))
    now = [0.0]
    reader = SecretReader("s", json_field="token", ttl_seconds=60, clock=lambda: now[0])
    assert reader.get() == "v1"
    client.put_secret_value(SecretId="s", SecretString=json.dumps({"token": "v2"}))
    now[0] = 59
    assert reader.get() == "v1" and reader.reads == 1
    now[0] = 61
    assert reader.get() == "v2" and reader.reads == 2
    with pytest.raises(ChannelConfigurationError, match="no usable value"):
        SecretReader("s", json_field="missing").get()


# --------------------------------------------------------------------------------------------- CDP write-back
def test_cdp_writeback_posts_records_with_the_auth_header(server: LocalHttpsServer, http: HttpsClient) -> None:
    server.signing_secret = None
    channel = CdpWriteBack(
        server.url("/ingest"), StaticSecret("Bearer cdp-token"), http_client=http, sleep=lambda s: None
    )
    event = payload()
    results = results_of({"Results": {k: {"Status": s} for k, (s, _) in channel.deliver(event).items()}}, event)
    assert {s for s, _ in results.values()} == {SUCCESS}
    (request,) = server.requests
    assert request.headers["authorization"] == "Bearer cdp-token"
    records = json.loads(request.body)["records"]
    assert [r["endpointId"] for r in records] == ["ep-sms", "ep-voice", "ep-bare"]
    first = records[0]
    assert first["userId"] == "u-1" and first["campaignId"] == "camp-1" and first["attributes"] == {"Offer": ["20%"]}
    assert first["eventType"] == "_campaign.send" and first["data"] == '{"title": "Sale"}'
    assert "address" not in first and records[2]["userId"] is None and records[2]["attributes"] == {}
    assert "+12065550100" not in request.body.decode()  # no addresses unless asked for

    with_addresses = CdpWriteBack(
        server.url("/ingest"), StaticSecret("t"), auth_header="X-Api-Key", include_addresses=True, http_client=http
    )
    with_addresses.deliver(event)
    assert server.requests[-1].headers["x-api-key"] == "t"
    assert json.loads(server.requests[-1].body)["records"][0]["address"] == "+12065550100"


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


# --------------------------------------------------------------------------------------------- Amazon Connect
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def connect_channel(clock: FakeClock, **kwargs: Any) -> tuple[ConnectVoiceChannel, Stubber]:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    options = {
        "instance_id": "inst-1",
        "contact_flow_id": "flow-1",
        "source_phone_number": "+12065550199",
        "calls_per_second": 2.0,
        "connect_client": client,
        "clock": clock,
        "sleep": clock.sleep,
        **kwargs,
    }
    return ConnectVoiceChannel(**options), stubber


def expected_call(event: dict[str, Any], endpoint_id: str, address: str) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": address,
        "ContactFlowId": "flow-1",
        "InstanceId": "inst-1",
        "ClientToken": client_token(event, endpoint_id),
        "SourcePhoneNumber": "+12065550199",
        "Attributes": {
            "Message": event["Data"],
            "CampaignId": "camp-1",
            "TreatmentId": event["TreatmentId"],
            "EndpointId": endpoint_id,
        },
    }


def test_connect_calls_each_phone_endpoint_once_with_a_deterministic_client_token() -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock)
    event = payload()
    for endpoint_id, address in (("ep-sms", "+12065550100"), ("ep-voice", "+12065550101")):
        stubber.add_response(
            "start_outbound_voice_contact",
            {"ContactId": f"c-{endpoint_id}"},
            expected_call(event, endpoint_id, address),
        )
    with stubber:
        results = channel.deliver(event)
    stubber.assert_no_pending_responses()
    assert results == {
        "ep-sms": (SUCCESS, None),
        "ep-voice": (SUCCESS, None),
        "ep-bare": (FAILURE, "the endpoint has no E.164 phone number to call"),
    }
    # paced at 2 calls per second: the second call waited half a second
    assert clock.sleeps == [0.5]

    # the token is a function of the send: same on a retry, different per endpoint, treatment and campaign
    assert client_token(event, "ep-sms") == client_token(payload(), "ep-sms")
    assert (
        len(
            {
                client_token(event, "ep-sms"),
                client_token(event, "ep-voice"),
                client_token(payload(treatment="1"), "ep-sms"),
                client_token(payload(campaign="c2"), "ep-sms"),
            }
        )
        == 4
    )
    assert len(client_token(event, "ep-sms")) <= 500


def test_connect_retries_throttles_and_isolates_failures() -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock, calls_per_second=100.0)
    event = payload()
    stubber.add_client_error("start_outbound_voice_contact", "ThrottlingException", http_status_code=429)
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c1"}, expected_call(event, "ep-sms", "+12065550100")
    )
    stubber.add_client_error("start_outbound_voice_contact", "DestinationNotAllowedException", http_status_code=403)
    with stubber:
        results = channel.deliver(event)
    assert results["ep-sms"] == (SUCCESS, None)
    assert results["ep-voice"] == (FAILURE, "Connect DestinationNotAllowedException")  # not retried
    assert len(clock.sleeps) >= 1  # the throttled call waited before its retry

    channel, stubber = connect_channel(FakeClock(), calls_per_second=100.0, max_attempts=2)
    for _ in range(2):
        stubber.add_client_error("start_outbound_voice_contact", "LimitExceededException", http_status_code=429)
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c2"}, {**expected_call(event, "ep-voice", "+12065550101")}
    )
    with stubber:
        results = channel.deliver(event)
    assert results["ep-sms"] == (FAILURE, "Connect LimitExceededException after 2 attempts")
    assert results["ep-voice"] == (SUCCESS, None)


def test_connect_stops_at_the_deadline_and_the_handler_answers_every_endpoint(monkeypatch) -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock, calls_per_second=0.5)  # one call every 2 s
    event = payload()
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c1"}, {**expected_call(event, "ep-sms", "+12065550100")}
    )
    with stubber:
        results = channel.deliver(event, deadline=1.0)
    assert results["ep-sms"] == (SUCCESS, None)
    assert results["ep-voice"] == (FAILURE, "not attempted: the call rate leaves no time in this invocation")

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
    with pytest.raises(ChannelConfigurationError):
        ConnectVoiceChannel(instance_id="i", contact_flow_id="f")  # no caller id at all


# --------------------------------------------------------------------------------------------- in-app inbox
def make_inbox() -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="inbox",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def test_inbox_writes_one_message_per_user_idempotently(aws: None) -> None:
    client = make_inbox()
    inbox = InAppInbox("inbox", ttl_seconds=3600, clock=lambda: 1_800_000_000.0)
    event = payload()
    first = inbox.deliver(event)
    assert first == {
        "ep-sms": (SUCCESS, None),
        "ep-voice": (SUCCESS, None),
        "ep-bare": (FAILURE, "the endpoint has no User.UserId for the inbox"),
    }
    assert inbox.deliver(event) == first  # a retried batch: delivered, nothing written twice
    items = client.scan(TableName="inbox")["Items"]
    assert len(items) == 2
    item = next(i for i in items if i["pk"]["S"] == "u-1")
    assert item["sk"]["S"] == "2026-11-01T10:00:00.000Z#camp-1#0"
    assert item["message"]["S"] == '{"title": "Sale"}' and item["status"]["S"] == "UNREAD"
    assert item["endpoint_id"]["S"] == "ep-sms" and int(item["expires_at"]["N"]) == 1_800_000_000 + 3600

    # what the app does on load: newest first for the user
    loaded = client.query(
        TableName="inbox",
        KeyConditionExpression="pk = :u",
        ExpressionAttributeValues={":u": {"S": "u-1"}},
        ScanIndexForward=False,
    )["Items"]
    assert [i["campaign_id"]["S"] for i in loaded] == ["camp-1"]


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


def test_inbox_reports_dynamodb_errors_per_endpoint() -> None:
    class Failing:
        def put_item(self, **kwargs: Any) -> None:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")

    results = InAppInbox("inbox", dynamodb_client=Failing()).deliver(payload())
    assert results["ep-sms"] == (FAILURE, "DynamoDB ProvisionedThroughputExceededException")
    assert results["ep-bare"][0] == FAILURE and len(results) == 3

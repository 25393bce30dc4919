"""The built-in campaign hooks (FILTER): attribute lookup, external templates (S3 and a real local HTTPS server),
frequency cap. DynamoDB and S3 are moto; every answer is checked with the runner's parse_hook_response."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hook_attribute_lookup import handler as lookup_handler
from hook_external_templates import handler as templates_handler
from hook_frequency_cap import handler as cap_handler
from pinpoint_runtime.campaigns.hooks.builtins import (
    AttributeLookup,
    ExternalTemplates,
    FrequencyCap,
    HookConfigurationError,
    HttpsTemplateSource,
    S3TemplateSource,
    TemplateCache,
    TemplateNotFound,
    to_attribute_values,
)
from pinpoint_runtime.campaigns.payloads import CampaignContext, hook_event, parse_hook_response
from pinpoint_runtime.core.https_client import HttpsClient, HttpsError, InsecureUrlError
from tests.conftest import REPO
from tests.support.local_https import Answer, LocalHttpsServer, client_context, make_certificate

HOOK_EVENT: dict[str, Any] = json.loads((REPO / "tests/data/payloads/campaign_hook_event.json").read_text())
CONTEXT = CampaignContext(
    application_id="app-1", campaign_id="camp-1", treatment_id="0", scheduled_time="2026-11-01T10:00:00.000Z"
)


def event(endpoints: dict[str, Any] | None = None, *, campaign: str = "camp-1", treatment: str = "0") -> dict:
    context = CampaignContext(application_id="app-1", campaign_id=campaign, treatment_id=treatment)
    return hook_event(context, copy.deepcopy(HOOK_EVENT["Endpoints"]) if endpoints is None else endpoints)


def bare_endpoints() -> dict[str, Any]:
    """Endpoints without Attributes, User or Demographic (the reference's hooks crashed on these)."""
    return {"bare-1": {"ChannelType": "SMS", "Address": "+12065550102"}, "bare-2": {}}


@pytest.fixture
def aws(fake_aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


def make_table(name: str = "lookup", key: str = "id") -> Any:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return boto3.resource("dynamodb", region_name="us-east-1").Table(name)


# --------------------------------------------------------------------------------------------- attribute lookup
def test_attribute_values_become_pinpoint_string_lists() -> None:
    assert to_attribute_values("gold") == ["gold"]
    assert to_attribute_values(Decimal(5)) == ["5"]
    assert to_attribute_values(Decimal("2.50")) == ["2.50"]
    assert to_attribute_values(True) == ["true"]
    assert to_attribute_values(["a", Decimal(1)]) == ["a", "1"]
    assert to_attribute_values({"b", "a"}) == ["a", "b"]
    assert to_attribute_values({"k": Decimal(1)}) == ['{"k":"1"}']


def test_lookup_by_endpoint_id_merges_attributes_and_passes_unknown_endpoints(aws: None) -> None:
    table = make_table()
    table.put_item(Item={"id": "ep-1", "Offer": "20% off", "Score": Decimal(7), "Tags": ["x", "y"]})
    table.put_item(Item={"id": "bare-1", "Offer": "free shipping"})
    endpoints = {**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()}
    payload = event(endpoints)

    answer = parse_hook_response(AttributeLookup("lookup").apply(payload), payload["Endpoints"])

    assert set(answer) == {"ep-1", "ep-2", "bare-1", "bare-2"}
    assert answer["ep-1"]["Attributes"] == {"Tier": ["gold"], "Offer": ["20% off"], "Score": ["7"], "Tags": ["x", "y"]}
    assert answer["ep-1"]["User"] == HOOK_EVENT["Endpoints"]["ep-1"]["User"]  # the rest of the endpoint is kept
    assert answer["bare-1"]["Attributes"] == {"Offer": ["free shipping"]}  # created where there was none
    assert answer["ep-2"] == HOOK_EVENT["Endpoints"]["ep-2"] and answer["bare-2"] == {}


def test_lookup_by_user_id_with_projection_and_drop_missing(aws: None) -> None:
    table = make_table()
    table.put_item(Item={"id": "user-2", "Offer": "bogo", "Secret": "not for messages"})
    payload = event({**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()})

    kept = AttributeLookup("lookup", key_type="USER_ID", attribute_names=["Offer"]).apply(payload)
    assert kept["ep-2"]["Attributes"] == {"Offer": ["bogo"]}  # only the projected attribute
    assert "Attributes" not in kept["bare-1"] and set(kept) == {"ep-1", "ep-2", "bare-1", "bare-2"}

    dropped = AttributeLookup("lookup", key_type="USER_ID", drop_missing=True).apply(payload)
    assert set(dropped) == {"ep-2"}  # no item for user-1, no user on the bare endpoints


def test_lookup_retries_unprocessed_keys_then_gives_up() -> None:
    class Flaky:
        def __init__(self, unprocessed_rounds: int) -> None:
            self.calls = 0
            self.unprocessed_rounds = unprocessed_rounds

        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            keys = RequestItems["t"]["Keys"]
            if self.calls <= self.unprocessed_rounds:
                return {"Responses": {"t": []}, "UnprocessedKeys": {"t": {"Keys": keys}}}
            return {"Responses": {"t": [{"id": k["id"], "Offer": {"S": "o"}} for k in keys]}}

    waits: list[float] = []
    flaky = Flaky(2)
    out = AttributeLookup("t", dynamodb_client=flaky, sleep=waits.append).apply(event())
    assert flaky.calls == 3 and len(waits) == 2 and out["ep-2"]["Attributes"] == {"Offer": ["o"]}
    with pytest.raises(RuntimeError, match="unprocessed"):
        AttributeLookup("t", dynamodb_client=Flaky(10), sleep=lambda s: None, max_attempts=3).apply(event())


def test_lookup_handler_reads_its_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table("partner-table", key="pk")
    table.put_item(Item={"pk": "ep-1", "Offer": "vip"})
    monkeypatch.setenv("LOOKUP_TABLE_NAME", "partner-table")
    monkeypatch.setenv("LOOKUP_PARTITION_KEY", "pk")
    monkeypatch.setenv("LOOKUP_KEY_TYPE", "ENDPOINT_ID")
    lookup_handler.reset()
    answer = lookup_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert answer["ep-1"]["Attributes"]["Offer"] == ["vip"]
    assert parse_hook_response(answer, HOOK_EVENT["Endpoints"]).keys() == {"ep-1", "ep-2"}
    lookup_handler.reset()


def test_lookup_tolerates_a_payload_without_endpoints(aws: None) -> None:
    make_table()
    assert AttributeLookup("lookup").apply({"CampaignId": "c"}) == {}
    with pytest.raises(HookConfigurationError):
        AttributeLookup("lookup", key_type="EMAIL")


# --------------------------------------------------------------------------------------------- external templates
def put_templates(s3: Any, bucket: str, documents: dict[str, Any]) -> None:
    s3.create_bucket(Bucket=bucket)
    for key, document in documents.items():
        s3.put_object(Bucket=bucket, Key=key, Body=document if isinstance(document, bytes) else json.dumps(document))


def test_s3_templates_per_locale_with_default_fallback(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(
        s3,
        "templates",
        {
            "t/camp-1/0/default.json": {"subject": "Hello", "html": "<p>Hi {{User.UserAttributes.FirstName}}</p>"},
            "t/camp-1/0/fr-FR.json": {"subject": "Bonjour", "html": "<p>Salut</p>", "body": "Salut"},
        },
    )
    endpoints = {**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()}
    endpoints["ep-2"]["Demographic"] = {"Locale": "fr-FR"}
    endpoints["ep-1"]["Demographic"] = {"Locale": "de-DE"}  # no German document: default
    payload = event(endpoints)

    answer = parse_hook_response(ExternalTemplates(S3TemplateSource("templates", "t/")).apply(payload), endpoints)

    assert answer["ep-2"]["Attributes"] == {"subject": ["Bonjour"], "html": ["<p>Salut</p>"], "body": ["Salut"]}
    assert answer["ep-1"]["Attributes"]["subject"] == ["Hello"] and answer["ep-1"]["Attributes"]["Tier"] == ["gold"]
    assert answer["bare-2"]["Attributes"] == {
        "subject": ["Hello"],
        "html": ["<p>Hi {{User.UserAttributes.FirstName}}</p>"],
    }


def test_templates_are_cached_per_process_until_the_ttl(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(s3, "templates", {"camp-1/0/default.json": {"subject": "v1"}})
    now = [0.0]
    hook = ExternalTemplates(S3TemplateSource("templates"), cache=TemplateCache(60, clock=lambda: now[0]))
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v1"]
    s3.put_object(Bucket="templates", Key="camp-1/0/default.json", Body=json.dumps({"subject": "v2"}))
    now[0] = 59.0
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v1"]  # cached
    assert hook.cache.misses == 1 and hook.cache.hits >= 3
    now[0] = 61.0
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v2"]  # refreshed after the TTL


def test_missing_template_fails_or_drops_and_bad_documents_are_errors(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(
        s3,
        "templates",
        {
            "camp-2/0/default.json": {"subject": "ok"},
            "camp-3/0/default.json": b"not json",
            "camp-4/0/default.json": {"subject": 5},
            "camp-5/0/default.json": {"html": "x" * 2000},
        },
    )
    source = S3TemplateSource("templates", max_bytes=1000)
    with pytest.raises(TemplateNotFound, match=r"camp-1/0/default\.json"):
        ExternalTemplates(source).apply(event())
    assert ExternalTemplates(source, on_missing="DROP").apply(event()) == {}
    assert set(ExternalTemplates(source, on_missing="DROP").apply(event(campaign="camp-2"))) == {"ep-1", "ep-2"}
    with pytest.raises(ValueError, match="not JSON"):
        ExternalTemplates(source).apply(event(campaign="camp-3"))
    with pytest.raises(ValueError, match="each a string"):
        ExternalTemplates(source).apply(event(campaign="camp-4"))
    with pytest.raises(ValueError, match="larger than 1000"):
        ExternalTemplates(source).apply(event(campaign="camp-5"))
    with pytest.raises(ValueError, match="may not contain"):
        ExternalTemplates(source).apply(event(campaign="../etc"))
    with pytest.raises(HookConfigurationError):
        ExternalTemplates(source, key_pattern="{Campaign}.json")


def test_templates_handler_reads_its_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(s3, "bucket-1", {"pfx/13978104ce5d6017c72552257example.json": {"subject": "S", "body": "B"}})
    for name, value in {
        "TEMPLATE_BUCKET": "bucket-1",
        "TEMPLATE_PREFIX": "pfx/",
        "TEMPLATE_KEY_PATTERN": "{CampaignId}.json",
    }.items():
        monkeypatch.setenv(name, value)
    templates_handler.reset()
    answer = templates_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert {k: v["Attributes"]["subject"] for k, v in answer.items()} == {"ep-1": ["S"], "ep-2": ["S"]}
    assert answer["ep-2"]["Attributes"]["body"] == ["B"]
    templates_handler.reset()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[LocalHttpsServer]:
    running = LocalHttpsServer(*certificate)
    yield running
    running.close()


def test_https_templates_over_real_tls_with_redirect_rules(server: LocalHttpsServer, certificate) -> None:
    http = HttpsClient(timeout=2, ssl_context=client_context(certificate[0]))
    document = json.dumps({"subject": "From CMS", "html": "<b>hi</b>"}).encode()
    server.answer(
        Answer(302, headers={"Location": server.url("/moved/camp-1/0/default.json")}),  # https: followed
        Answer(200, document),
    )
    hook = ExternalTemplates(HttpsTemplateSource(server.url("/cms"), http_client=http))
    answer = hook.apply(event())
    assert answer["ep-1"]["Attributes"]["subject"] == ["From CMS"]
    assert [r.path for r in server.requests] == ["/cms/camp-1/0/default.json", "/moved/camp-1/0/default.json"]

    server.answer(Answer(302, headers={"Location": f"http://127.0.0.1:{server.port}/plain.json"}))
    with pytest.raises(InsecureUrlError):
        HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("x.json")
    server.answer(Answer(404))
    assert HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("gone.json") is None
    server.answer(Answer(500))
    with pytest.raises(RuntimeError, match="HTTP 500"):
        HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("boom.json")
    with pytest.raises(InsecureUrlError):
        HttpsTemplateSource(f"http://127.0.0.1:{server.port}/cms")


def test_https_template_source_times_out_and_refuses_an_untrusted_certificate(
    server: LocalHttpsServer, certificate
) -> None:
    import time

    server.answer(Answer(200, b"{}", delay=1.5))
    slow = HttpsTemplateSource(
        server.url("/"), http_client=HttpsClient(timeout=0.3, ssl_context=client_context(certificate[0]))
    )
    started = time.monotonic()
    with pytest.raises(HttpsError, match="failed"):
        slow.fetch("slow.json")
    assert time.monotonic() - started < 1.2
    with pytest.raises(HttpsError):  # the default trust store does not know the self-signed certificate
        HttpsTemplateSource(server.url("/"), http_client=HttpsClient(timeout=2)).fetch("x.json")


# --------------------------------------------------------------------------------------------- frequency cap
class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_cap_table() -> Any:
    return make_table("counters")


def test_frequency_cap_admits_at_most_n_per_window_and_counts_retries_once(aws: None) -> None:
    make_cap_table()
    clock = Clock()
    cap = FrequencyCap("counters", max_messages=2, window_seconds=3600, clock=clock)

    assert set(cap.apply(event(campaign="a"))) == {"ep-1", "ep-2"}
    assert set(cap.apply(event(campaign="a"))) == {"ep-1", "ep-2"}  # the same send retried: not counted again
    clock.now += 10
    assert set(cap.apply(event(campaign="b"))) == {"ep-1", "ep-2"}
    clock.now += 10
    assert cap.apply(event(campaign="c")) == {}  # a third message within the hour: dropped
    assert set(cap.apply(event(campaign="b"))) == {"ep-1", "ep-2"}  # a retry of b is still the same send
    clock.now += 3600
    assert set(cap.apply(event(campaign="c"))) == {"ep-1", "ep-2"}  # a and b left the window

    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="counters", Key={"id": {"S": "endpoint#ep-1"}}
    )["Item"]
    assert set(item["sends"]["M"]) == {"c#0#ep-1"}  # a and b were pruned on the write
    assert int(item["expires_at"]["N"]) == int(clock.now + 3600) + 1


def test_frequency_cap_by_user_counts_every_endpoint_and_falls_back_to_endpoint_ids(aws: None) -> None:
    make_cap_table()
    clock = Clock()
    cap = FrequencyCap("counters", max_messages=1, window_seconds=86400, key_type="USER_ID", clock=clock)
    endpoints = {
        "sms": {"ChannelType": "SMS", "User": {"UserId": "u-1"}},
        "email": {"ChannelType": "EMAIL", "User": {"UserId": "u-1"}},
        **bare_endpoints(),
    }
    answer = cap.apply(event(endpoints))
    assert set(answer) == {"sms", "bare-1", "bare-2"}  # the user's second endpoint is a second message
    assert answer["sms"] == endpoints["sms"]  # the hook filters, it does not change endpoints
    keys = {i["id"]["S"] for i in boto3.client("dynamodb", region_name="us-east-1").scan(TableName="counters")["Items"]}
    assert keys == {"user#u-1", "endpoint#bare-1", "endpoint#bare-2"}


def test_frequency_cap_concurrent_writer_cannot_take_the_last_slot(aws: None) -> None:
    make_cap_table()
    real = boto3.client("dynamodb", region_name="us-east-1")
    clock = Clock()

    class Racing:
        """Before this hook's first write, another batch admits the same subject (the last slot)."""

        def __init__(self) -> None:
            self.raced = False

        def get_item(self, **kwargs: Any) -> Any:
            return real.get_item(**kwargs)

        def update_item(self, **kwargs: Any) -> Any:
            if not self.raced:
                self.raced = True
                FrequencyCap("counters", max_messages=1, window_seconds=60, clock=clock).admit(
                    kwargs["Key"]["id"]["S"], "other#0#x"
                )
            return real.update_item(**kwargs)

    cap = FrequencyCap("counters", max_messages=1, window_seconds=60, dynamodb_client=Racing(), clock=clock)
    assert cap.admit("endpoint#ep-1", "mine#0#ep-1") is False  # re-read after the conflict: the slot is gone
    sends = real.get_item(TableName="counters", Key={"id": {"S": "endpoint#ep-1"}})["Item"]["sends"]["M"]
    assert set(sends) == {"other#0#x"}


def test_frequency_cap_handler_and_configuration(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    make_cap_table()
    monkeypatch.setenv("CAP_TABLE_NAME", "counters")
    monkeypatch.setenv("CAP_MAX_MESSAGES", "1")
    monkeypatch.setenv("CAP_WINDOW_SECONDS", "600")
    cap_handler.reset()
    first = cap_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert set(first) == {"ep-1", "ep-2"}
    other_campaign = {**copy.deepcopy(HOOK_EVENT), "CampaignId": "another"}
    assert cap_handler.handler(other_campaign, None) == {}
    cap_handler.reset()
    monkeypatch.setenv("CAP_MAX_MESSAGES", "0")
    with pytest.raises(HookConfigurationError):
        cap_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    cap_handler.reset()

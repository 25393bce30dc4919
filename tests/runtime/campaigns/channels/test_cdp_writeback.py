"""The CDP_WRITEBACK channel against a real HTTPS server on 127.0.0.1; the handler with the auth secret in moto
Secrets Manager."""

from __future__ import annotations

import json

from pinpoint_runtime.campaigns.channels.cdp_writeback import CdpWriteBack, CdpWriteBackSettings
from pinpoint_runtime.campaigns.payloads import (
    SUCCESS,
)
from pinpoint_runtime.core.https_client import (
    HttpsClient,
)
from tests.support.custom_channel_events import StaticSecret, payload, results_of
from tests.support.local_https import LocalHttpsServer


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


def test_cdp_settings_round_trip_through_the_environment() -> None:
    settings = CdpWriteBackSettings(
        secret_id="arn:s", url="https://cdp.example.com", auth_header="X-Api-Key", include_addresses=True,
        secret_json_field="token",
    )  # fmt: skip
    environment = settings.to_environment()
    assert list(environment)[-4:] == ["AUTH_SECRET_JSON_FIELD", "CDP_URL", "AUTH_HEADER_NAME", "INCLUDE_ADDRESSES"]
    assert environment["INCLUDE_ADDRESSES"] == "true" and "RETRY_STATUS_CODES" not in environment
    assert CdpWriteBackSettings.from_environment(environment) == settings
    channel = CdpWriteBack.from_settings(settings)
    assert channel.auth_header == "X-Api-Key" and channel.include_addresses is True
    assert channel.secret.json_field == "token"

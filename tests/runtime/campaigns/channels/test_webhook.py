"""The WEBHOOK channel against a real HTTPS server on 127.0.0.1 that verifies the signature; the handler
with the secret in moto Secrets Manager. Every answer is read back with the runner's parse_channel_response."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pinpoint_runtime.campaigns.channels.https_delivery import batch_idempotency_key
from pinpoint_runtime.campaigns.channels.webhook import WebhookChannel, WebhookSettings
from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
    channel_results,
)
from pinpoint_runtime.core.environment import SettingsError
from pinpoint_runtime.core.https_client import (
    HttpsClient,
    InsecureUrlError,
    sign_body,
    signature,
    verify_signature,
)
from tests.support.custom_channel_events import CHANNEL_EVENT, SIGNING_KEY, StaticSecret, payload, results_of
from tests.support.local_https import Answer, LocalHttpsServer


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


def test_webhook_settings_round_trip_and_retry_status_codes() -> None:
    settings = WebhookSettings(
        secret_id="arn:secret", url="https://hooks.example.com/p", retry_status_codes=(429, 503), max_attempts=5
    )
    environment = settings.to_environment()
    assert environment == {
        "SIGNING_SECRET_ID": "arn:secret",
        "SECRET_CACHE_TTL_SECONDS": "300",
        "RETRY_STATUS_CODES": "429,503",
        "MAX_ATTEMPTS": "5",
        "REQUEST_TIMEOUT_SECONDS": "5",
        "WEBHOOK_URL": "https://hooks.example.com/p",
    }
    assert WebhookSettings.from_environment(environment) == settings
    required = {"SIGNING_SECRET_ID": "s", "WEBHOOK_URL": "https://x.example.com"}
    assert WebhookSettings.from_environment(required).retry_status_codes is None  # unset: the default list
    assert WebhookSettings.from_environment({**required, "RETRY_STATUS_CODES": ""}).retry_status_codes == ()
    with pytest.raises(SettingsError, match="RETRY_STATUS_CODES is invalid"):
        WebhookSettings.from_environment({**required, "RETRY_STATUS_CODES": "429,soon"})
    channel = WebhookChannel.from_settings(WebhookSettings.from_environment({**required, "RETRY_STATUS_CODES": ""}))
    assert channel.policy.classify(503) == FAILURE and channel.max_attempts == 4
    assert channel.secret.secret_id == "s" and channel.secret.ttl_seconds == 300.0

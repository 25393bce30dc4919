"""API keys in Secrets Manager (pinpoint_runtime.bridge.api_keys), against moto."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.bridge import api_keys
from pinpoint_runtime.bridge.api_keys import ApiKeySecretError, ApiKeyVerifier

REGION = "us-east-1"
KEY = "Kx7pQ2mVn8RtY4wZ0aB3cD6eF9gH1jL5"


class Clock:
    def __init__(self) -> None:
        self.wall = 2_000_000_000.0
        self.mono = 100.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def secrets(fake_aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name="adobe-key", SecretString=json.dumps({"apiKey": KEY}))
        yield client


def verifier(secrets: Any, clock: Clock | None = None, **kwargs: Any) -> ApiKeyVerifier:
    if clock is not None:
        kwargs.update(clock=lambda: clock.wall, monotonic=lambda: clock.mono)
    return ApiKeyVerifier("adobe-key", client=secrets, **kwargs)


def test_the_current_key_is_accepted_and_anything_else_refused(secrets: Any) -> None:
    check = verifier(secrets)
    assert check.verify(KEY)
    for wrong in ("", None, KEY[:-1], KEY + "x", KEY.lower(), " " + KEY, "x" * 5000, json.dumps({"apiKey": KEY})):
        assert not check.verify(wrong)


def test_the_secret_is_cached_for_the_ttl_and_read_again_after(secrets: Any) -> None:
    clock = Clock()
    check = verifier(secrets, clock, cache_ttl=60)
    for _ in range(100):
        assert check.verify(KEY)
    assert check.secret_reads == 1
    clock.advance(61)
    assert check.verify(KEY) and check.secret_reads == 2


def test_without_a_cache_every_check_reads_the_secret(secrets: Any) -> None:
    check = verifier(secrets, cache_ttl=0)
    for _ in range(3):
        assert check.verify(KEY)
    assert check.secret_reads == 3


def test_after_rotation_the_previous_key_is_valid_for_the_grace_period_only(secrets: Any) -> None:
    clock = Clock()
    check = verifier(secrets, clock, cache_ttl=60, grace_period=3600, min_refresh_interval=5)
    assert check.verify(KEY)
    secrets.put_secret_value(SecretId="adobe-key", SecretString=json.dumps({"apiKey": "N3wKey" + KEY}))
    clock.wall = _created(secrets, "AWSCURRENT") + 10  # ten seconds after the rotation
    clock.mono += 10
    # the new key works at once (an unknown key forces one early re-read), the old one still works
    assert check.verify("N3wKey" + KEY) and check.secret_reads == 2
    assert check.verify(KEY)
    clock.advance(3600)
    assert not check.verify(KEY)  # the grace period is over
    assert check.verify("N3wKey" + KEY)


def test_unknown_keys_cannot_hammer_secrets_manager(secrets: Any) -> None:
    clock = Clock()
    check = verifier(secrets, clock, cache_ttl=300, min_refresh_interval=5)
    assert check.verify(KEY)
    for _ in range(50):
        assert not check.verify("guess")
    assert check.secret_reads == 1  # no early re-read within min_refresh_interval
    clock.advance(6)
    assert not check.verify("guess") and check.secret_reads == 2


def test_plain_string_secrets_and_other_json_fields(fake_aws_credentials: None) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name="plain", SecretString=KEY)
        client.create_secret(Name="field", SecretString=json.dumps({"token": KEY}))
        assert ApiKeyVerifier("plain", client=client, json_field="").verify(KEY)
        assert ApiKeyVerifier("plain", client=client).verify(KEY)  # not JSON: the whole string
        assert ApiKeyVerifier("field", client=client, json_field="token").verify(KEY)
        with pytest.raises(ApiKeySecretError, match="no string member 'apiKey'") as missing:
            ApiKeyVerifier("field", client=client).verify(KEY)
        assert KEY not in str(missing.value)
        with pytest.raises(ApiKeySecretError, match="ResourceNotFoundException"):
            ApiKeyVerifier("absent", client=client).verify(KEY)


def test_comparison_is_constant_time_over_equal_length_digests_of_every_candidate(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.put_secret_value(SecretId="adobe-key", SecretString=json.dumps({"apiKey": "second-" + KEY}))
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(api_keys.hmac, "compare_digest", spy)
    check = verifier(secrets, min_refresh_interval=3600)
    for presented, expected in ((KEY, True), ("second-" + KEY, True), ("x", False), (KEY[:-1] + "?", False)):
        calls.clear()
        assert check.verify(presented) is expected
        # both candidates (current and previous) are compared every time, whichever matched, as 32-byte digests
        assert len(calls) == 2
        assert all(len(a) == len(b) == 32 for a, b in calls)
        assert all(presented.encode() not in (a, b) for a, b in calls)


def test_no_comparison_uses_the_raw_key() -> None:
    source = Path(api_keys.__file__).read_text(encoding="utf-8")
    assert "compare_digest(digest, candidate.digest)" in source
    assert "== candidate" not in source and "presented ==" not in source


def _created(secrets: Any, stage: str) -> float:
    return secrets.get_secret_value(SecretId="adobe-key", VersionStage=stage)["CreatedDate"].timestamp()

"""The bridge's Lambda authorizer (pinpoint_runtime.bridge.authorizer): its answers and its settings, against moto."""

from __future__ import annotations

import json
import logging

import pytest

from pinpoint_runtime.bridge.authorizer import ApiKeyAuthorizer, AuthorizerSettings
from tests.support.adobe_bridge_env import API_KEY as KEY
from tests.support.adobe_bridge_env import BridgeEnv

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/v1/POST/messages"


def test_authorizer_answers_allow_deny_and_unauthorized(env: BridgeEnv, caplog: pytest.LogCaptureFixture) -> None:
    authorizer = ApiKeyAuthorizer(env.verifier(), "x-api-key")
    caplog.set_level(logging.INFO)
    base = {"type": "REQUEST", "methodArn": METHOD_ARN, "requestContext": {"identity": {"sourceIp": "192.0.2.7"}}}
    allow = authorizer.authorize({**base, "headers": {"X-Api-Key": KEY}})
    assert allow["principalId"] == "adobe-journey-optimizer"
    assert allow["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}
    ]
    deny = authorizer.authorize({**base, "headers": {"x-api-key": "wrong-key-value"}})
    assert deny["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    for headers in ({}, None, {"x-api-key": ""}, {"authorization": KEY}):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            authorizer.authorize({**base, "headers": headers})
    (rejected,) = [r for r in caplog.records if r.getMessage() == "API key rejected"]
    assert rejected.__dict__["source_ip"] == "192.0.2.7"  # the logger's extra
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert KEY not in logged and "wrong-key-value" not in logged


def test_the_settings_read_the_secret_arn_and_keep_an_empty_json_field() -> None:
    settings = AuthorizerSettings.from_environment(
        {"API_KEY_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k", "API_KEY_JSON_FIELD": ""}
    )
    assert settings.json_field == "" and settings.header == "x-api-key"
    assert settings.cache_ttl_seconds == 60 and settings.grace_period_seconds == 24 * 3600
    verifier = settings.verifier()
    assert verifier.secret_id.endswith(":secret:k") and verifier.cache_ttl == 60
    assert AuthorizerSettings(secret_id="s", cache_ttl_seconds=60, grace_period_seconds=86400).to_environment() == {
        "API_KEY_SECRET_ID": "s",
        "API_KEY_HEADER": "x-api-key",
        "API_KEY_CACHE_TTL_SECONDS": "60",
        "API_KEY_GRACE_PERIOD_SECONDS": "86400",
        "API_KEY_JSON_FIELD": "apiKey",
    }

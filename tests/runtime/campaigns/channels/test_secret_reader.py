"""Channel secrets from moto Secrets Manager: cached for a TTL, a JSON field, no usable value."""

from __future__ import annotations

import json

import boto3
import pytest

from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader


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

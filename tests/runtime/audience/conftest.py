"""Fixtures of the audience runtime tests: the endpoint store on moto (tests/support/endpoint_store_table.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.audience.store import EndpointStore
from tests.support.endpoint_store_table import NOW, TABLE, Sleeps, create_table


@pytest.fixture
def endpoint_store_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    """Fake credentials, no ENDPOINT_STORE_TABLE in the environment (modules use it with pytestmark)."""
    monkeypatch.delenv("ENDPOINT_STORE_TABLE", raising=False)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


@pytest.fixture
def store(dynamodb) -> EndpointStore:
    return EndpointStore(TABLE, client=dynamodb, clock=lambda: NOW, sleep=Sleeps())

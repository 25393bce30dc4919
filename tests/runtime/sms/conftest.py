"""Fixtures of the SMS runtime tests: the opt-out world (tests/support/opt_out_world.py) on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.sms import opt_out, opt_out_processor
from pinpoint_runtime.sms.opt_out_registry import OptOutRegistry
from tests.support.opt_out_world import TABLE, World, create_registry_table

OPT_OUT_VARIABLES = (
    "OPT_OUT_REGISTRY_TABLE",
    "OPT_OUT_LIST_NAME",
    "OPT_OUT_EVENT_BUS_NAME",
    "KEYWORD_CONFIG",
    "PINPOINT_EVENT_STREAM_NAME",
    "SMS_ORIGINATION_IDENTITY",
    "SMS_CONFIGURATION_SET",
)


@pytest.fixture
def opt_out_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    """No opt-out settings in the environment, no registry or processor of an earlier test."""
    for name in OPT_OUT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(opt_out, "_default_registry", None)
    monkeypatch.setattr(opt_out_processor, "_PROCESSORS", {})


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_registry_table(client)
        yield client


@pytest.fixture
def registry(dynamodb: Any) -> OptOutRegistry:
    return OptOutRegistry(TABLE, client=dynamodb)


@pytest.fixture
def world(dynamodb: Any) -> World:
    return World(dynamodb)

"""Fixtures of the bridge runtime tests: the bridge's AWS side in moto (tests/support/adobe_bridge_env.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.support.adobe_bridge_env import BridgeEnv, make_env


@pytest.fixture
def env(fake_aws_credentials: None) -> Iterator[BridgeEnv]:
    with mock_aws():
        yield make_env()

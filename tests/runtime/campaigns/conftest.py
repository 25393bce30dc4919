"""Fixtures of the campaign runtime tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.campaigns import delivery_world, template_world


@pytest.fixture
def aws(fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The ledger and opt-out registry tables and an SES identity on moto (tests.support.campaigns)."""
    yield from delivery_world(monkeypatch)


@pytest.fixture
def template_bucket(fake_aws_credentials: None) -> Iterator[Any]:
    """A moto S3 client with the bucket ``templates`` (template cache cleared before and after)."""
    yield from template_world()

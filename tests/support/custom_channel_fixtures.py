"""Fixtures of the custom channel tests (runtime and functions): a real HTTPS server on 127.0.0.1 that verifies the
webhook signature, its client, and moto. Test modules and conftests import them by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from pinpoint_runtime.core.https_client import HttpsClient
from tests.support.custom_channel_events import SIGNING_KEY
from tests.support.local_https import LocalHttpsServer, client_context, make_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[LocalHttpsServer]:
    running = LocalHttpsServer(*certificate, signing_secret=SIGNING_KEY.encode())
    yield running
    running.close()


@pytest.fixture
def http(certificate: tuple[Path, Path]) -> HttpsClient:
    return HttpsClient(timeout=1.0, ssl_context=client_context(certificate[0]))


@pytest.fixture
def aws(fake_aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield

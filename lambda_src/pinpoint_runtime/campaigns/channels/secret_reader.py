"""Secrets of the built-in channels (the webhook's signing key, the CDP's auth header value): read at run time
from Secrets Manager and cached for a TTL, never from environment variables, never logged."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError
from pinpoint_runtime.core.aws_clients import client as aws_client


class SecretReader:
    """A Secrets Manager secret's value (``AWSCURRENT``): the whole ``SecretString`` or its JSON field
    ``json_field``; cached per process for ``ttl_seconds`` (a rotated value is picked up within the TTL)."""

    def __init__(
        self,
        secret_id: str,
        *,
        json_field: str | None = None,
        ttl_seconds: float = 300.0,
        secrets_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_id:
            raise ChannelConfigurationError("a secret id is required")
        self.secret_id = secret_id
        self.json_field = json_field or None
        self.ttl_seconds = ttl_seconds
        self._client = secrets_client
        self._clock = clock
        self._cached: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self.reads = 0

    def get(self) -> str:
        with self._lock:
            now = self._clock()
            if self._cached is not None and self._cached[0] > now:
                return self._cached[1]
            client = self._client or aws_client("secretsmanager")
            value = client.get_secret_value(SecretId=self.secret_id).get("SecretString")
            self.reads += 1
            if self.json_field:
                try:
                    value = json.loads(value or "").get(self.json_field)
                except (ValueError, AttributeError):
                    value = None
            if not isinstance(value, str) or not value:
                raise ChannelConfigurationError(f"the secret {self.secret_id!r} holds no usable value")
            self._cached = (now + self.ttl_seconds, value)
            return value


__all__ = ["SecretReader"]

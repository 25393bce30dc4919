"""Deployment settings of the bridge's send function (what ``AdobeSmsBridge`` configures)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from pinpoint_runtime.bridge.contract import MESSAGE_TYPES

ENV_DEFAULT_COUNTRY = "BRIDGE_DEFAULT_COUNTRY"
ENV_DEFAULT_MESSAGE_TYPE = "BRIDGE_DEFAULT_MESSAGE_TYPE"
ENV_ALLOWED_ORIGINATION_IDENTITIES = "BRIDGE_ALLOWED_ORIGINATION_IDENTITIES"
ENV_ALLOWED_CONFIGURATION_SETS = "BRIDGE_ALLOWED_CONFIGURATION_SETS"
ENV_IDEMPOTENCY_TABLE = "BRIDGE_IDEMPOTENCY_TABLE"
ENV_IDEMPOTENCY_TTL_SECONDS = "BRIDGE_IDEMPOTENCY_TTL_SECONDS"
ENV_IDEMPOTENCY_HEADER = "BRIDGE_IDEMPOTENCY_HEADER"
ENV_SEND_QUEUE_URL = "BRIDGE_SEND_QUEUE_URL"
ENV_DELIVERY_MODE = "BRIDGE_DELIVERY_MODE"

MODE_QUEUE = "QUEUE"
MODE_INLINE = "INLINE"
DEFAULT_IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 3600


@dataclass(frozen=True)
class BridgeSettings:
    """Deployment settings of the bridge (see :meth:`from_environment` for the variables)."""

    default_country: str = "US"
    default_message_type: str = "TRANSACTIONAL"
    allowed_origination_identities: tuple[str, ...] = ()
    allowed_configuration_sets: tuple[str, ...] = ()
    idempotency_header: str = DEFAULT_IDEMPOTENCY_HEADER
    idempotency_ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    mode: str = MODE_QUEUE
    queue_url: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in (MODE_QUEUE, MODE_INLINE):
            raise ValueError(f"mode must be {MODE_QUEUE} or {MODE_INLINE}")
        if self.mode == MODE_QUEUE and not self.queue_url:
            raise ValueError("queue mode needs queue_url")
        if self.default_message_type not in MESSAGE_TYPES:
            raise ValueError(f"default_message_type must be one of {', '.join(MESSAGE_TYPES)}")

    @classmethod
    def from_environment(cls) -> BridgeSettings:
        """``BRIDGE_DEFAULT_COUNTRY``, ``BRIDGE_DEFAULT_MESSAGE_TYPE``, ``BRIDGE_ALLOWED_ORIGINATION_IDENTITIES``
        and ``BRIDGE_ALLOWED_CONFIGURATION_SETS`` (JSON lists; the sender's ``SMS_ORIGINATION_IDENTITY`` and
        ``SMS_CONFIGURATION_SET`` are always allowed), ``BRIDGE_IDEMPOTENCY_HEADER``,
        ``BRIDGE_IDEMPOTENCY_TTL_SECONDS``, ``BRIDGE_DELIVERY_MODE`` and ``BRIDGE_SEND_QUEUE_URL``."""
        identities = _json_list(ENV_ALLOWED_ORIGINATION_IDENTITIES)
        sets = _json_list(ENV_ALLOWED_CONFIGURATION_SETS)
        for name, target in (("SMS_ORIGINATION_IDENTITY", identities), ("SMS_CONFIGURATION_SET", sets)):
            if os.environ.get(name) and os.environ[name] not in target:
                target.insert(0, os.environ[name])
        return cls(
            default_country=os.environ.get(ENV_DEFAULT_COUNTRY, "US"),
            default_message_type=os.environ.get(ENV_DEFAULT_MESSAGE_TYPE, "TRANSACTIONAL"),
            allowed_origination_identities=tuple(identities),
            allowed_configuration_sets=tuple(sets),
            idempotency_header=os.environ.get(ENV_IDEMPOTENCY_HEADER, DEFAULT_IDEMPOTENCY_HEADER),
            idempotency_ttl_seconds=int(os.environ.get(ENV_IDEMPOTENCY_TTL_SECONDS, DEFAULT_IDEMPOTENCY_TTL_SECONDS)),
            mode=os.environ.get(ENV_DELIVERY_MODE, MODE_QUEUE),
            queue_url=os.environ.get(ENV_SEND_QUEUE_URL) or None,
        )


def _json_list(name: str) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return []
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a JSON list of strings")
    return value


__all__ = [
    "DEFAULT_IDEMPOTENCY_HEADER",
    "DEFAULT_IDEMPOTENCY_TTL_SECONDS",
    "MODE_INLINE",
    "MODE_QUEUE",
    "BridgeSettings",
]

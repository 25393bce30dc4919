"""The options of :class:`~pinpoint_constructs.custom_channel.CustomChannel`: which built-in
(:class:`BuiltInChannel`) and one keyword-only option object per built-in, for the props only that built-in uses."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk

from pinpoint_runtime.campaigns.hooks.contract import KeyType

DEFAULT_RETRY_STATUS_CODES = (408, 425, 429, 500, 502, 503, 504)


class BuiltInChannel(enum.StrEnum):
    """The built-in channels of :class:`CustomChannel` (see the module docstring)."""

    WEBHOOK = "WEBHOOK"
    CONNECT_VOICE = "CONNECT_VOICE"
    INAPP_INBOX = "INAPP_INBOX"
    CDP_WRITEBACK = "CDP_WRITEBACK"

    @property
    def function_folder(self) -> str:
        return f"channel_{self.value.lower()}"

    @property
    def options_prop(self) -> str:
        """The prop of :class:`CustomChannel` holding this built-in's options."""
        return self.value.lower()


@dataclass(frozen=True, kw_only=True)
class HttpsDeliveryOptions:
    """What the HTTPS channels (:class:`WebhookOptions`, :class:`CdpWriteBackOptions`) share.

    Keyword-only props:
      secret_json_field: read this field of a JSON secret instead of the whole string. @default whole string.
      secret_cache_ttl: how long the function caches the secret (a rotated value is used within it).
        @default 5 minutes.
      retry_status_codes: statuses retried (2xx is success, everything else a failure).
        @default 408, 425, 429, 500, 502, 503, 504.
      max_attempts: attempts per call. @default 4.
      request_timeout: per attempt. @default 5 seconds.
    """

    secret_json_field: str | None = None
    secret_cache_ttl: cdk.Duration | None = None
    retry_status_codes: Sequence[int] | None = None
    max_attempts: int = 4
    request_timeout: cdk.Duration | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookOptions(HttpsDeliveryOptions):
    """Options of ``BuiltInChannel.WEBHOOK`` (and those of :class:`HttpsDeliveryOptions`).

    Keyword-only props:
      url: the ``https://`` receiver (required).
    """

    url: str


@dataclass(frozen=True, kw_only=True)
class CdpWriteBackOptions(HttpsDeliveryOptions):
    """Options of ``BuiltInChannel.CDP_WRITEBACK`` (and those of :class:`HttpsDeliveryOptions`).

    Keyword-only props:
      url: the ``https://`` endpoint records are POSTed to (required).
      auth_header_name: the header carrying the secret. @default ``"Authorization"``.
      include_addresses: add each endpoint's ``Address`` to its record. @default False.
    """

    url: str
    auth_header_name: str = "Authorization"
    include_addresses: bool = False


@dataclass(frozen=True, kw_only=True)
class ConnectVoiceOptions:
    """Options of ``BuiltInChannel.CONNECT_VOICE``.

    Keyword-only props:
      instance_id / contact_flow_id: the Connect instance and the outbound flow (ids, not ARNs; required; the flow
        reads ``$.Attributes.Message``).
      source_phone_number: E.164 caller id claimed in the instance. One of it or ``queue_id`` is required.
      queue_id: the queue (its outbound caller id is used when no source number is given).
      calls_per_second: pacing per function instance. @default 1.
      max_attempts: attempts per throttled call. @default 4.
    """

    instance_id: str
    contact_flow_id: str
    source_phone_number: str | None = None
    queue_id: str | None = None
    calls_per_second: float = 1.0
    max_attempts: int = 4


@dataclass(frozen=True, kw_only=True)
class InAppInboxOptions:
    """Options of ``BuiltInChannel.INAPP_INBOX`` (all optional: ``inapp_inbox=InAppInboxOptions()`` is the
    default).

    Keyword-only props:
      key_type: ``KeyType.USER_ID`` (one message per user per campaign; endpoints without a user fail) or
        ``KeyType.ENDPOINT_ID``. @default USER_ID.
      message_ttl: how long messages live. @default 30 days.
    """

    key_type: KeyType = KeyType.USER_ID
    message_ttl: cdk.Duration | None = None


__all__: Sequence[str] = [
    "DEFAULT_RETRY_STATUS_CODES",
    "BuiltInChannel",
    "CdpWriteBackOptions",
    "ConnectVoiceOptions",
    "HttpsDeliveryOptions",
    "InAppInboxOptions",
    "KeyType",
    "WebhookOptions",
]

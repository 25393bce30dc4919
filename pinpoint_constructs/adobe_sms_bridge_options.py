"""The option objects of :class:`~pinpoint_constructs.adobe_sms_bridge.AdobeSmsBridge`, one per concern.

Each is a frozen, keyword-only dataclass whose defaults are the bridge's defaults, so ``AdobeSmsBridge(...,
api=BridgeApiOptions(throttling_rate_limit=300))`` changes one setting and keeps the others. A plain mapping with the
same keys is accepted too. Each group checks its own values into the construct's one
:class:`~pinpoint_constructs.core.PropsConflictError` (names in messages are ``<prop>.<option>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs

from pinpoint_runtime.bridge.contract import DEFAULT_IDEMPOTENCY_HEADER, MessageType
from pinpoint_runtime.bridge.send import DeliveryMode

from .core import PropsValidation

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_IDENTITY = re.compile(r"[A-Za-z0-9_:/-]{1,256}")
_WEB_ACL_ARN = re.compile(r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+")


def _valid_header(validation: PropsValidation, name: str, header: str) -> None:
    validation.require(_HEADER_NAME.fullmatch(header) is not None, f"{name} must be 1-64 letters, digits or '-'.")


def valid_identity(identity: str | None) -> bool:
    """An origination identity IAM can name: an id or ARN (or a token), not an E.164 number."""
    return identity is None or cdk.Token.is_unresolved(identity) or _IDENTITY.fullmatch(identity) is not None


@dataclass(frozen=True, kw_only=True)
class BridgeSendingOptions:
    """What the bridge sends with and how.

    additional_origination_identities: identities a request may pick with ``originationIdentity`` (besides the
      bridge's own ``two_way`` / ``origination_identity``).
    configuration_set_name: send with this configuration set (e.g. one the lake already has). Conflicts with the
      bridge's ``event_stream``. @default none (or the one created for ``event_stream``).
    additional_configuration_sets: configuration sets a request may pick with ``configurationSetName``.
    default_country: ISO 3166-1 alpha-2 country for national numbers. @default ``"US"``.
    default_message_type: when a request does not say. @default ``MessageType.TRANSACTIONAL``.
    delivery: ``DeliveryMode.QUEUE`` (queue + rate-limited consumer) or ``DeliveryMode.INLINE`` (send from the
      API handler: 202 with the service's message id, 429 when the SMS service throttles).
      @default ``DeliveryMode.QUEUE``.
    """

    additional_origination_identities: Sequence[str] = ()
    configuration_set_name: str | None = None
    additional_configuration_sets: Sequence[str] = ()
    default_country: str = "US"
    default_message_type: MessageType = MessageType.TRANSACTIONAL
    delivery: DeliveryMode = DeliveryMode.QUEUE

    def validate(self, validation: PropsValidation) -> None:
        validation.require(
            self.default_message_type in tuple(MessageType),
            "sending.default_message_type must be TRANSACTIONAL or PROMOTIONAL.",
        )
        validation.require(
            re.fullmatch(r"[A-Z]{2}", self.default_country) is not None,
            "sending.default_country must be an ISO 3166-1 alpha-2 code such as US.",
        )
        validation.require(self.delivery in tuple(DeliveryMode), "sending.delivery must be QUEUE or INLINE.")

    @property
    def inline(self) -> bool:
        return self.delivery == DeliveryMode.INLINE


@dataclass(frozen=True, kw_only=True)
class BridgeQueueOptions:
    """The send queue and its consumer (queue delivery only).

    message_parts_per_second: the consumer's send rate per origination identity, in message parts (MPS).
      @default 1 (US 10DLC's default; toll-free is 3, short codes 100).
    consumer_concurrency: most concurrent consumer copies (SQS maximum concurrency, 2-1000); each sends at
      ``message_parts_per_second / consumer_concurrency``. @default 2.
    batch_size: queued messages per consumer invocation (1-10). @default 10.
    max_receive_count: deliveries of a job before the queue moves it to the dead-letter queue. @default 5.
    queue_props / dead_letter_queue_props: partial ``sqs.QueueProps`` of the send queue and its dead-letter queue.
    """

    message_parts_per_second: float = 1.0
    consumer_concurrency: int = 2
    batch_size: int = 10
    max_receive_count: int = 5
    queue_props: sqs.QueueProps | dict[str, Any] | None = None
    dead_letter_queue_props: sqs.QueueProps | dict[str, Any] | None = None

    def validate(self, validation: PropsValidation, *, inline: bool) -> None:
        validation.require(
            not inline or (self.queue_props is None and self.dead_letter_queue_props is None),
            "queue.queue_props and queue.dead_letter_queue_props apply to the send queue, which "
            "sending.delivery=INLINE does not have.",
        )
        rate = self.message_parts_per_second
        validation.require(
            isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0,
            "queue.message_parts_per_second must be a positive number.",
        )
        validation.require(
            2 <= self.consumer_concurrency <= 1000, "queue.consumer_concurrency must be between 2 and 1000."
        )
        validation.require(1 <= self.batch_size <= 10, "queue.batch_size must be between 1 and 10.")


@dataclass(frozen=True, kw_only=True)
class BridgeApiKeyOptions:
    """The API key AJO sends and the Lambda authorizer that checks it.

    header: the header carrying the API key. @default ``"x-api-key"``.
    secret_props: partial ``secretsmanager.SecretProps`` of the created secret (a generated key, encrypted with a
      customer-managed KMS key). Conflicts with ``existing_secret_obj``.
    existing_secret_obj: use this secret (plain key, or JSON with ``json_field``); grant the authorizer its KMS key
      yourself if it has a customer-managed one.
    json_field: the JSON member holding the key; ``""`` = the whole string. @default ``"apiKey"``.
    secret_cache_ttl: how long the authorizer caches the secret. @default 60 seconds.
    rotation_grace_period: how long the previous key stays valid after a rotation. @default 24 hours.
    authorizer_cache_ttl: API Gateway's cache of authorizer answers per key value (0-3600 s). @default 300 s.
    """

    header: str = "x-api-key"
    secret_props: secretsmanager.SecretProps | dict[str, Any] | None = None
    existing_secret_obj: secretsmanager.ISecret | None = None
    json_field: str = "apiKey"
    secret_cache_ttl: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(60))
    rotation_grace_period: cdk.Duration = field(default_factory=lambda: cdk.Duration.hours(24))
    authorizer_cache_ttl: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(300))

    def validate(self, validation: PropsValidation) -> None:
        validation.exclusive(
            "api_key.secret_props", self.secret_props, "api_key.existing_secret_obj", self.existing_secret_obj
        )
        _valid_header(validation, "api_key.header", self.header)
        validation.require(
            re.fullmatch(r"[A-Za-z0-9_]*", self.json_field) is not None,
            "api_key.json_field must be letters, digits or '_' (or '' for a plain-string secret).",
        )
        validation.require(
            0 <= self.authorizer_cache_ttl.to_seconds() <= 3600,
            "api_key.authorizer_cache_ttl must be between 0 and 3600 seconds.",
        )
        validation.require(
            self.secret_cache_ttl.to_seconds() < self.rotation_grace_period.to_seconds(),
            "api_key.secret_cache_ttl must be shorter than api_key.rotation_grace_period.",
        )


@dataclass(frozen=True, kw_only=True)
class BridgeIdempotencyOptions:
    """How repeats of a request are recognised.

    header: header with the caller's idempotency key. @default ``"Idempotency-Key"``.
    ttl: how long a request is remembered. @default 1 hour (AJO retries within at most 30 s).
    table_props: partial ``dynamodb.TableProps`` of the idempotency table.
    """

    header: str = DEFAULT_IDEMPOTENCY_HEADER
    ttl: cdk.Duration = field(default_factory=lambda: cdk.Duration.hours(1))
    table_props: dynamodb.TableProps | dict[str, Any] | None = None

    def validate(self, validation: PropsValidation, *, api_key_header: str) -> None:
        _valid_header(validation, "idempotency.header", self.header)
        validation.require(
            api_key_header.lower() != self.header.lower(), "api_key.header and idempotency.header must differ."
        )


@dataclass(frozen=True, kw_only=True)
class BridgeApiOptions:
    """The REST API and its stage.

    throttling_rate_limit / throttling_burst_limit: stage throttling. @default 500 requests/s, burst 1000 (AJO's
      throttled floor is 200 requests per second: a lower rate leaves a warning).
    web_acl_arn: a regional WAFv2 web ACL to associate with the stage. @default none.
    stage_name: @default ``"v1"``.
    deploy_api_gateway_cloudwatch_role: set this region's API Gateway CloudWatch Logs role (needed once per account
      and region for access and execution logs; one per stack, retained). @default True.
    access_log_group_props: partial ``logs.LogGroupProps`` of the access logs (one year, retained).
    rest_api_props: partial ``apigateway.SpecRestApiProps`` merged over the defaults.
    """

    throttling_rate_limit: float = 500
    throttling_burst_limit: int = 1000
    web_acl_arn: str | None = None
    stage_name: str = "v1"
    deploy_api_gateway_cloudwatch_role: bool = True
    access_log_group_props: logs.LogGroupProps | dict[str, Any] | None = None
    rest_api_props: apigateway.SpecRestApiProps | dict[str, Any] | None = None

    def validate(self, validation: PropsValidation) -> None:
        validation.require(
            self.throttling_rate_limit > 0 and self.throttling_burst_limit > 0,
            "api.throttling_rate_limit and api.throttling_burst_limit must be positive.",
        )
        acl = self.web_acl_arn
        validation.require(
            acl is None or cdk.Token.is_unresolved(acl) or _WEB_ACL_ARN.fullmatch(acl) is not None,
            "api.web_acl_arn must be the ARN of a regional WAFv2 web ACL.",
        )
        validation.require(
            re.fullmatch(r"[A-Za-z0-9_]{1,128}", self.stage_name) is not None, "api.stage_name is invalid."
        )


_Options = TypeVar("_Options")


def options(kind: type[_Options], value: _Options | Mapping[str, Any] | None) -> _Options:
    """``value`` as a ``kind``: the defaults for ``None``, ``kind(**value)`` for a mapping."""
    if value is None:
        return kind()
    if isinstance(value, Mapping):
        return kind(**value)
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__} (or a mapping of its fields), got {type(value).__name__}")
    return value


__all__ = [
    "BridgeApiKeyOptions",
    "BridgeApiOptions",
    "BridgeIdempotencyOptions",
    "BridgeQueueOptions",
    "BridgeSendingOptions",
    "DeliveryMode",
    "MessageType",
    "options",
    "valid_identity",
]

"""The send service: accepts one custom-action request (validate, claim, opt-out check, queue or send, answer).

The request contract is :mod:`pinpoint_runtime.bridge.contract`, the answers :mod:`pinpoint_runtime.bridge.responses`,
the idempotency records :mod:`pinpoint_runtime.bridge.idempotency`. Phone numbers are logged masked, bodies and keys
never. :class:`BridgeSendSettings` are the send function's settings (``AdobeSmsBridge`` writes them).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pinpoint_runtime.bridge.contract import (
    DEFAULT_IDEMPOTENCY_HEADER,
    MESSAGE_TYPES,
    MessageType,
    SendRequest,
    check_idempotency_key,
    header_value,
    load_request_json,
    parse_send_request,
)
from pinpoint_runtime.bridge.errors import BridgeDependencyError, BridgeRequestError
from pinpoint_runtime.bridge.idempotency import (
    STATUS_ACCEPTED,
    STATUS_SENT,
    IdempotencyStore,
    IdempotencyStoreSettings,
    request_id_for,
)
from pinpoint_runtime.bridge.jobs import build_job
from pinpoint_runtime.bridge.responses import (
    HttpResponse,
    accepted_response,
    compact_json,
    error_response,
    opted_out_response,
    send_failure_response,
    unavailable_response,
)
from pinpoint_runtime.bridge.senders import configuration_set_senders, opt_out_policy
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.environment import Codec, FunctionSettings, variable
from pinpoint_runtime.sms.sender import SmsSenderSettings

if TYPE_CHECKING:
    from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings

_LOGGER = logging.getLogger(__name__)


def _decode_names(text: str) -> tuple[str, ...]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a JSON list of strings")
    return tuple(value)


COMPACT_NAME_LIST = Codec(encode=lambda names: json.dumps(list(names), separators=(",", ":")), decode=_decode_names)
"""A JSON list of names without spaces (``["a","b"]``, what ``Stack.to_json_string`` writes)."""


class DeliveryMode(StrEnum):
    """How an accepted request is sent: queued for the rate-limited consumer, or at once by the API."""

    QUEUE = "QUEUE"
    INLINE = "INLINE"


@dataclass(frozen=True, kw_only=True)
class BridgeSendSettings(FunctionSettings):
    """The send function's settings (``AdobeSmsBridge`` writes them). The sender's identity and configuration set
    (:class:`~pinpoint_runtime.sms.sender.SmsSenderSettings`) are always allowed in a request as well: see
    :meth:`allowing`."""

    construct: ClassVar[str] = "AdobeSmsBridge"
    delivery_mode: DeliveryMode = variable("BRIDGE_DELIVERY_MODE", default=DeliveryMode.QUEUE, doc="QUEUE or INLINE")
    default_country: str = variable("BRIDGE_DEFAULT_COUNTRY", default="US", doc="ISO country of national numbers")
    default_message_type: MessageType = variable(
        "BRIDGE_DEFAULT_MESSAGE_TYPE", default=MessageType.TRANSACTIONAL, doc="when a request names none"
    )
    idempotency_header: str = variable(
        "BRIDGE_IDEMPOTENCY_HEADER", default=DEFAULT_IDEMPOTENCY_HEADER, doc="the caller's idempotency key header"
    )
    allowed_origination_identities: tuple[str, ...] = variable(
        "BRIDGE_ALLOWED_ORIGINATION_IDENTITIES",
        default=(),
        codec=COMPACT_NAME_LIST,
        doc="identities a request may pick (JSON list)",
    )
    allowed_configuration_sets: tuple[str, ...] = variable(
        "BRIDGE_ALLOWED_CONFIGURATION_SETS",
        default=(),
        codec=COMPACT_NAME_LIST,
        doc="configuration sets a request may pick (JSON list)",
    )
    queue_url: str | None = variable("BRIDGE_SEND_QUEUE_URL", default=None, doc="the send queue (queue mode)")

    def __post_init__(self) -> None:
        if self.delivery_mode not in tuple(DeliveryMode):
            raise ValueError(f"delivery_mode must be {DeliveryMode.QUEUE} or {DeliveryMode.INLINE}")
        if self.default_message_type not in MESSAGE_TYPES:
            raise ValueError(f"default_message_type must be one of {', '.join(MESSAGE_TYPES)}")
        # plain strings are accepted for the choices: keep the members
        object.__setattr__(self, "delivery_mode", DeliveryMode(self.delivery_mode))
        object.__setattr__(self, "default_message_type", MessageType(self.default_message_type))
        if self.delivery_mode == DeliveryMode.QUEUE and not self.queue_url:
            raise ValueError("queue mode needs queue_url")

    def allowing(self, sender: SmsSenderSettings) -> BridgeSendSettings:
        """These settings with the sender's own identity and configuration set allowed too (first, if missing)."""
        identities = list(self.allowed_origination_identities)
        sets = list(self.allowed_configuration_sets)
        for value, target in ((sender.origination_identity, identities), (sender.configuration_set_name, sets)):
            if value and value not in target:
                target.insert(0, value)
        return replace(self, allowed_origination_identities=tuple(identities), allowed_configuration_sets=tuple(sets))


@dataclass
class AcceptOutcome:
    """For logs and metrics: what the request came to (``response`` is what the caller gets)."""

    response: HttpResponse
    result: str
    request: SendRequest | None = None


class BridgeService:
    """Accepts one custom-action request (see the module docstring); the Lambda handler and the local HTTP
    adapter both call :meth:`accept`.

    ``store`` is the :class:`IdempotencyStore`. Queue mode: ``sqs_client`` sends the job to
    ``settings.queue_url``. Inline mode: ``sender`` (an ``SmsSender``) sends at once. ``may_send(number,
    message_type)`` is the opt-out policy (``pinpoint_runtime.sms.opt_out.may_send``) or ``None``.
    """

    def __init__(
        self,
        *,
        settings: BridgeSendSettings,
        store: IdempotencyStore,
        sqs_client: Any = None,
        sender: Any = None,
        may_send: Callable[[str, str], bool] | None = None,
    ) -> None:
        if settings.delivery_mode == DeliveryMode.INLINE and sender is None:
            raise ValueError("inline mode needs a sender")
        self.settings = settings
        self.store = store
        self._sqs_client = sqs_client
        self.sender = sender
        self.may_send = may_send

    sqs_client = LazyClient("sqs", "_sqs_client")

    def accept(self, body: str | bytes | None, headers: Mapping[str, str] | None) -> AcceptOutcome:
        try:
            payload = load_request_json(body)
            request = parse_send_request(payload, self.settings)
            header_key = check_idempotency_key(
                header_value(headers, self.settings.idempotency_header), self.settings.idempotency_header
            )
        except BridgeRequestError as error:
            return AcceptOutcome(error_response(400, "invalid_request", str(error), field=error.field), "invalid")

        fingerprint = request.fingerprint()
        key = f"key:{hashlib.sha256(header_key.encode()).hexdigest()}" if header_key else f"req:{fingerprint}"
        request_id = request_id_for(key)
        try:
            claim = self.store.begin(key, fingerprint, request_id)
        except BridgeDependencyError as error:
            return AcceptOutcome(unavailable_response(error), "dependency_failed", request)
        if claim.outcome == "mismatch":
            return AcceptOutcome(
                error_response(
                    422,
                    "idempotency_key_reused",
                    f"{self.settings.idempotency_header} was already used for a different request",
                    field=self.settings.idempotency_header,
                ),
                "mismatch",
                request,
            )
        if claim.outcome == "in_progress":
            return AcceptOutcome(
                error_response(429, "in_progress", "the same request is being processed; retry shortly",
                               **{"Retry-After": "1"}),
                "in_progress",
                request,
            )  # fmt: skip
        if claim.outcome == "replay":
            return AcceptOutcome(accepted_response(claim.item, duplicate=True), "duplicate", request)
        return self._new(request, key, fingerprint, request_id)

    def _new(self, request: SendRequest, key: str, fingerprint: str, request_id: str) -> AcceptOutcome:
        from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError  # noqa: PLC0415

        try:
            if self.may_send is not None and not self.may_send(request.destination, request.message_type):
                self._release(key)
                return AcceptOutcome(opted_out_response(request), "opted_out", request)
        except Exception as error:  # noqa: BLE001 - a registry failure is a fault: fail closed, retryable
            self._release(key)
            code = getattr(error, "code", type(error).__name__)
            failure = BridgeDependencyError(str(error), code=code)
            return AcceptOutcome(unavailable_response(failure), "dependency_failed", request)
        if self.settings.delivery_mode == DeliveryMode.QUEUE:
            try:
                self.sqs_client.send_message(
                    QueueUrl=self.settings.queue_url,
                    MessageBody=compact_json(build_job(request, key, fingerprint, request_id)),
                )
            except Exception as error:  # noqa: BLE001 - botocore errors: not queued, answer 503
                self._release(key)
                code = error_code(error, type(error).__name__)
                return AcceptOutcome(unavailable_response(BridgeDependencyError("SendMessage failed", code=code)),
                                     "dependency_failed", request)  # fmt: skip
            status, message_id = STATUS_ACCEPTED, None
        else:
            try:
                message_id = self.sender.send_text(
                    request.destination,
                    request.body,
                    message_type=request.message_type,
                    origination_identity=request.origination_identity,
                    configuration_set_name=request.configuration_set,
                    context=request.context(request_id),
                )
            except RecipientOptedOut:
                self._release(key)
                return AcceptOutcome(opted_out_response(request), "opted_out", request)
            except SmsSendError as error:
                self._release(key)
                return AcceptOutcome(send_failure_response(error), f"send_failed:{error.code}", request)
            status = STATUS_SENT
        try:
            self.store.complete(key, status, message_id=message_id)
        except BridgeDependencyError as error:
            # Queued or sent already: answer success. The record stays IN_PROGRESS until its lock expires; the
            # consumer still sends once (it claims the same key).
            _LOGGER.warning("request %s: recording %s failed (%s)", request_id, status, error.code)
        item = {"request_id": request_id, "status": status}
        if message_id:
            item["message_id"] = message_id
        return AcceptOutcome(accepted_response(item, duplicate=False), status.lower(), request)

    def _release(self, key: str) -> None:
        try:
            self.store.release(key)
        except BridgeDependencyError as error:  # the lock expires by itself
            _LOGGER.warning("releasing an idempotency claim failed (%s)", error.code)


def build_send_service(
    settings: BridgeSendSettings,
    store: IdempotencyStoreSettings,
    sender: SmsSenderSettings,
    opt_out: OptOutRegistrySettings | None = None,
) -> BridgeService:
    """The send function's service from its settings: the sender's identity and set allowed in requests, the
    opt-out registry (when bound) checked before accepting and again before sending, a sender in inline mode."""
    may_send = opt_out_policy(opt_out)
    inline = settings.delivery_mode == DeliveryMode.INLINE
    return BridgeService(
        settings=settings.allowing(sender),
        store=IdempotencyStore.from_settings(store),
        sender=configuration_set_senders(sender, may_send=may_send) if inline else None,
        may_send=may_send,
    )


__all__ = ["AcceptOutcome", "BridgeSendSettings", "BridgeService", "DeliveryMode", "build_send_service"]

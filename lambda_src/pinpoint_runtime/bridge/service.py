"""The Adobe Journey Optimizer (AJO) custom action → SMS bridge: request contract, idempotency, accept and send.

AJO calls a custom action with a JSON POST, an API key in a header, retries up to three times within the
journey's timeout on every error except 401, 403 and 404, and routes endpoints slower than 0.75 s to a slow lane.
So this bridge answers fast, is idempotent, and uses status codes AJO can act on:

==========  ==========================================================================================
202         accepted (queue mode: ``status`` ``ACCEPTED``) or sent (inline mode: ``status`` ``SENT`` and the
            service's ``messageId``); a duplicate gets the original ``requestId`` and ``duplicate: true``
400         invalid request: ``{"error": "invalid_request", "field": "<name>", "message": "..."}``
401 / 403   missing / wrong API key (answered by the authorizer; AJO does not retry them)
409         the recipient opted out (``error`` ``opted_out``)
422         an ``Idempotency-Key`` reused for a different request, or the SMS service refused the message
            for good (inline mode)
429         throttled (the SMS service, inline mode) or a duplicate of a request still being processed;
            ``Retry-After`` says when to try again
5xx         real faults only (a dependency failed); the request was not accepted and may be retried
==========  ==========================================================================================

The request contract (``pinpoint_constructs/openapi/adobe_sms_bridge.json`` is the same contract for API
Gateway's validation and for the tests; :data:`FIELD_RULES` mirrors it and a test keeps the two equal):
``destinationNumber`` (required; E.164, or a national number read in the default country), ``messageBody``
(required, 1-1600 characters, not only whitespace), optional ``originationIdentity`` (one of the configured
identities), ``messageType`` (``TRANSACTIONAL`` / ``PROMOTIONAL``), ``configurationSetName`` (one of the
configured sets), and ``journeyId`` / ``actionId`` / ``profileId`` (carried into the SendTextMessage
``Context``, so delivery events in the lake can be joined to journeys). Unknown fields are refused.

Idempotency: the key is the ``Idempotency-Key`` header when AJO sends one (map e.g. the journey instance id into
it), else a SHA-256 of the normalised request (journey, action, profile, number, body, type, identity, set). The
first request claims the key in DynamoDB (``IN_PROGRESS`` with a short lock); the send or the enqueue happens
only for the claimant; then the item says ``ACCEPTED`` / ``SENT``. A repeat within the idempotency window gets the
first answer again and sends nothing. A failed attempt releases its claim, so AJO's retry can succeed; a crashed
one is taken over when its lock expires. The queue consumer claims the same item again (``SENDING``) before it
sends, so a message delivered twice by SQS is sent once.

Phone numbers are logged masked, bodies and keys never.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinpoint_runtime.core import strict_json
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE, plain_item
from pinpoint_runtime.phone import PhoneNumberError, is_e164, mask_phone_number, normalise_phone

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
LOCK_SECONDS = 15
"""How long an ``IN_PROGRESS`` / ``SENDING`` claim blocks others (longer than the functions' timeouts)."""
MAX_REQUEST_BYTES = 64 * 1024
MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")

# --- the request contract (mirrors the OpenAPI document; tests/test_adobe_bridge_contract.py keeps them equal)
REQUIRED_FIELDS = ("destinationNumber", "messageBody")
FIELD_RULES: dict[str, dict[str, Any]] = {
    "destinationNumber": {"minLength": 2, "maxLength": 32, "pattern": r"^[+(]?[0-9][0-9 ().-]{1,30}$"},
    "messageBody": {"minLength": 1, "maxLength": 1600, "pattern": r"\S"},
    "originationIdentity": {"minLength": 1, "maxLength": 256, "pattern": r"^[A-Za-z0-9_:/+-]{1,256}$"},
    "messageType": {"enum": list(MESSAGE_TYPES)},
    "configurationSetName": {"minLength": 1, "maxLength": 256, "pattern": r"^[A-Za-z0-9_:/-]{1,256}$"},
    "journeyId": {"minLength": 1, "maxLength": 256, "pattern": r"^[!-~]{1,256}$"},
    "actionId": {"minLength": 1, "maxLength": 256, "pattern": r"^[!-~]{1,256}$"},
    "profileId": {"minLength": 1, "maxLength": 256, "pattern": r"^[!-~]{1,256}$"},
}
IDEMPOTENCY_KEY_RULES: dict[str, Any] = {"minLength": 1, "maxLength": 255, "pattern": r"^[!-~]{1,255}$"}
CONTEXT_FIELDS = {"journeyId": "journey_id", "actionId": "action_id", "profileId": "profile_id"}

# Python's "$" also matches before a final newline; the contract's patterns are whole-string rules.
_FULL = {name: re.compile(rule["pattern"].removeprefix("^").removesuffix("$")) for name, rule in FIELD_RULES.items()
         if "pattern" in rule and rule["pattern"].startswith("^")}  # fmt: skip
_HAS_NON_SPACE = re.compile(r"\S")
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_RULES["pattern"][1:-1])

_LOGGER = logging.getLogger(__name__)
# Built once: json.dumps with options builds a new encoder per call, a measurable share of a request.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":")).encode
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# ------------------------------------------------------------------------------------------------ errors


class BridgeRequestError(ValueError):
    """An invalid request (400). ``field`` names the offending field; the message never echoes its value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class BridgeDependencyError(RuntimeError):
    """DynamoDB or SQS failed: the request was not accepted (503, retryable). Carries the AWS error code."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------------ request


@dataclass(frozen=True, repr=False)
class SendRequest:
    """A validated custom-action request; ``destination`` is E.164."""

    destination: str
    body: str
    message_type: str
    origination_identity: str | None = None
    configuration_set: str | None = None
    journey_id: str | None = None
    action_id: str | None = None
    profile_id: str | None = None

    def fingerprint(self) -> str:
        """SHA-256 of the normalised request: the idempotency key when the caller sends none."""
        canonical = _CANONICAL_JSON(
            [
                self.journey_id,
                self.action_id,
                self.profile_id,
                self.destination,
                self.body,
                self.message_type,
                self.origination_identity,
                self.configuration_set,
            ]
        )
        return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()

    def context(self, request_id: str) -> dict[str, str]:
        """The SendTextMessage ``Context`` (echoed into delivery events): request id and the journey ids."""
        context = {"request_id": request_id}
        for _attribute, key in CONTEXT_FIELDS.items():
            value = getattr(self, key)
            if value:
                context[key] = value
        return context

    def __repr__(self) -> str:  # no number or body in tracebacks
        return (
            f"SendRequest(destination={mask_phone_number(self.destination)!r}, body_length={len(self.body)}, "
            f"message_type={self.message_type!r}, journey_id={self.journey_id!r})"
        )


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


def load_request_json(body: str | bytes | None) -> Any:
    """The request body as JSON; :class:`BridgeRequestError` (field ``body``) when it is missing or not JSON."""
    if body is None or body == "" or body == b"":
        raise BridgeRequestError("body", "is required (a JSON object)")
    if len(body) > MAX_REQUEST_BYTES:
        raise BridgeRequestError("body", f"is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        return strict_json.loads(body)  # bytes read as json.loads reads them (UTF-8/16/32, BOM)
    except (ValueError, RecursionError):
        raise BridgeRequestError("body", "is not valid JSON") from None


def parse_send_request(payload: Any, settings: BridgeSettings) -> SendRequest:
    """Validate a decoded request against the contract; the first problem raises :class:`BridgeRequestError`."""
    if not isinstance(payload, dict):
        raise BridgeRequestError("body", "must be a JSON object")
    unknown = sorted(str(name) for name in payload if name not in FIELD_RULES)
    if unknown:
        raise BridgeRequestError(unknown[0][:64], "is not a field of this action's payload")
    for name in REQUIRED_FIELDS:
        if name not in payload:
            raise BridgeRequestError(name, "is required")
    values = {name: _checked(name, payload[name]) for name in FIELD_RULES if name in payload}

    destination = _normalise_destination(values["destinationNumber"], settings.default_country)
    identity = values.get("originationIdentity")
    if identity is not None and identity not in settings.allowed_origination_identities:
        raise BridgeRequestError("originationIdentity", "is not one of the identities this bridge may send from")
    configuration_set = values.get("configurationSetName")
    if configuration_set is not None and configuration_set not in settings.allowed_configuration_sets:
        raise BridgeRequestError("configurationSetName", "is not one of the configuration sets of this bridge")
    return SendRequest(
        destination=destination,
        body=values["messageBody"],
        message_type=values.get("messageType", settings.default_message_type),
        origination_identity=identity,
        configuration_set=configuration_set,
        journey_id=values.get("journeyId"),
        action_id=values.get("actionId"),
        profile_id=values.get("profileId"),
    )


def _checked(name: str, value: Any) -> str:
    rule = FIELD_RULES[name]
    if not isinstance(value, str):
        raise BridgeRequestError(name, "must be a string")
    if "enum" in rule:
        if value not in rule["enum"]:
            raise BridgeRequestError(name, f"must be one of {', '.join(rule['enum'])}")
        return value
    if not rule["minLength"] <= len(value) <= rule["maxLength"]:
        raise BridgeRequestError(name, f"must be {rule['minLength']} to {rule['maxLength']} characters")
    if name == "messageBody":
        if not _HAS_NON_SPACE.search(value):
            raise BridgeRequestError(name, "must not be only whitespace")
        if "\x00" in value:
            raise BridgeRequestError(name, "must not contain NUL characters")
    elif not _FULL[name].fullmatch(value):
        raise BridgeRequestError(name, f"does not match {rule['pattern']}")
    return value


def _normalise_destination(raw: str, default_country: str) -> str:
    try:
        number = normalise_phone(raw, default_country)  # the fast, cached path
    except PhoneNumberError:
        raise BridgeRequestError("destinationNumber", "is not a valid phone number") from None
    if not is_e164(number):
        raise BridgeRequestError("destinationNumber", "is not a valid phone number")
    return number


def check_idempotency_key(value: str | None, header: str) -> str | None:
    """The caller's idempotency key, or ``None``; a malformed one is a :class:`BridgeRequestError`."""
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise BridgeRequestError(header, "must be 1 to 255 visible ASCII characters")
    return value


def request_id_for(key: str) -> str:
    """The request id answered for an idempotency key (the same for every repeat)."""
    return str(uuid.UUID(bytes=hashlib.sha256(key.encode()).digest()[:16], version=4))


class ConfigurationSetSenders:
    """``send_text`` with a per-call ``configuration_set_name`` on top of one ``SmsSender``: one sender per
    configuration set, all sharing the first one's client, origination identity and ``may_send`` policy."""

    def __init__(self, sender: Any) -> None:
        self.default = sender
        self.origination_identity = sender.origination_identity
        self._by_set: dict[str, Any] = {}

    def send_text(
        self, destination: str, body: str, *, configuration_set_name: str | None = None, **kwargs: Any
    ) -> str:
        return self.sender_for(configuration_set_name).send_text(destination, body, **kwargs)

    def sender_for(self, configuration_set_name: str | None) -> Any:
        if not configuration_set_name or configuration_set_name == self.default.configuration_set_name:
            return self.default
        sender = self._by_set.get(configuration_set_name)
        if sender is None:
            sender = self._by_set[configuration_set_name] = type(self.default)(
                origination_identity=self.default.origination_identity,
                configuration_set_name=configuration_set_name,
                client=self.default.client,
                may_send=self.default.may_send,
            )
        return sender


# ------------------------------------------------------------------------------------------------ idempotency

STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_ACCEPTED = "ACCEPTED"
STATUS_SENDING = "SENDING"
STATUS_SENT = "SENT"
STATUS_OPTED_OUT = "OPTED_OUT"
STATUS_FAILED = "FAILED"
FINAL_STATUSES = frozenset({STATUS_SENT, STATUS_OPTED_OUT, STATUS_FAILED})


@dataclass(frozen=True)
class Claim:
    """What :meth:`IdempotencyStore.begin` found: ``outcome`` ``new``, ``replay``, ``in_progress`` or
    ``mismatch`` (the key belongs to another request), and the stored item (plain values) when not new."""

    outcome: str
    item: dict[str, Any] = field(default_factory=dict)


class IdempotencyStore:
    """The bridge's idempotency records in DynamoDB (partition key ``id``, TTL attribute ``expires_at``).

    Item: ``id`` (the key), ``request_id``, ``fingerprint``, ``status`` (IN_PROGRESS → ACCEPTED → SENDING →
    SENT / OPTED_OUT / FAILED, or IN_PROGRESS → SENT inline), ``lock_until`` and ``expires_at`` (epoch seconds),
    ``message_id`` and ``reason`` when known.
    """

    def __init__(
        self,
        table_name: str | None = None,
        *,
        client: Any = None,
        ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS,
        lock_seconds: int = LOCK_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        name = table_name or os.environ.get(ENV_IDEMPOTENCY_TABLE)
        if not name:
            raise ValueError(f"no idempotency table: pass table_name or set {ENV_IDEMPOTENCY_TABLE}")
        self.table_name = name
        self.ttl_seconds = ttl_seconds
        self.lock_seconds = lock_seconds
        self._client = client
        self._clock = clock

    client = LazyClient("dynamodb")

    def begin(self, key: str, fingerprint: str, request_id: str) -> Claim:
        """Claim ``key`` for a new request, or report what already holds it."""
        now = int(self._clock())
        item = {
            "id": {"S": key},
            "request_id": {"S": request_id},
            "fingerprint": {"S": fingerprint},
            "status": {"S": STATUS_IN_PROGRESS},
            "lock_until": {"N": str(now + self.lock_seconds)},
            TTL_ATTRIBUTE: {"N": str(now + self.ttl_seconds)},
        }
        old = self._conditional(
            "PutItem",
            lambda: self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=(
                    f"attribute_not_exists(id) OR {TTL_ATTRIBUTE} < :now OR (#s = :in_progress AND lock_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":in_progress": {"S": STATUS_IN_PROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        )
        if old is None:
            return Claim("new")
        if old.get("fingerprint") != fingerprint:
            return Claim("mismatch", old)
        if old.get("status") == STATUS_IN_PROGRESS:
            return Claim("in_progress", old)
        return Claim("replay", old)

    def complete(self, key: str, status: str, *, message_id: str | None = None) -> None:
        """The claimant's outcome: ``ACCEPTED`` (queued) or ``SENT`` (inline, with ``message_id``)."""
        self._update(key, status, message_id=message_id, reason=None)

    def release(self, key: str) -> None:
        """Give a claim up (the attempt failed before anything was sent or queued), so a retry can claim it."""
        self._conditional(
            "DeleteItem",
            lambda: self.client.delete_item(
                TableName=self.table_name,
                Key={"id": {"S": key}},
                ConditionExpression="#s = :in_progress",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":in_progress": {"S": STATUS_IN_PROGRESS}},
            ),
        )

    def claim_send(self, key: str, *, request_id: str, fingerprint: str) -> Claim:
        """The consumer's claim before sending: ``new`` (send now), ``replay`` (already final: skip) or
        ``in_progress`` (another delivery is sending: retry later). Recreates an expired record."""
        now = int(self._clock())
        old = self._conditional(
            "UpdateItem",
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key={"id": {"S": key}},
                UpdateExpression=(
                    "SET #s = :sending, lock_until = :lock, request_id = if_not_exists(request_id, :rid), "
                    f"fingerprint = if_not_exists(fingerprint, :fp), {TTL_ATTRIBUTE} = :expires_at"
                ),
                ConditionExpression=(
                    "attribute_not_exists(id) OR #s IN (:accepted, :in_progress) OR "
                    "(#s = :sending AND lock_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":sending": {"S": STATUS_SENDING},
                    ":accepted": {"S": STATUS_ACCEPTED},
                    ":in_progress": {"S": STATUS_IN_PROGRESS},
                    ":lock": {"N": str(now + self.lock_seconds)},
                    ":now": {"N": str(now)},
                    ":rid": {"S": request_id},
                    ":fp": {"S": fingerprint},
                    ":expires_at": {"N": str(now + self.ttl_seconds)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        )
        if old is None:
            return Claim("new")
        if old.get("status") in FINAL_STATUSES:
            return Claim("replay", old)
        return Claim("in_progress", old)

    def finish_send(self, key: str, status: str, *, message_id: str | None = None, reason: str | None = None) -> None:
        """The consumer's outcome: ``SENT``, ``OPTED_OUT`` or ``FAILED``."""
        self._update(key, status, message_id=message_id, reason=reason)

    def unclaim_send(self, key: str) -> None:
        """Back to ``ACCEPTED`` after a retryable failure (the queue delivers the message again)."""
        self._update(key, STATUS_ACCEPTED, message_id=None, reason=None)

    def get(self, key: str) -> dict[str, Any] | None:
        response = self._call("GetItem", lambda: self.client.get_item(
            TableName=self.table_name, Key={"id": {"S": key}}, ConsistentRead=True
        ))  # fmt: skip
        item = response.get("Item")
        return plain_item(item) if item else None

    # ---------------------------------------------------------------------------------------------- calls

    def _update(self, key: str, status: str, *, message_id: str | None, reason: str | None) -> None:
        names = {"#s": "status"}
        values: dict[str, Any] = {":status": {"S": status}}
        expression = "SET #s = :status REMOVE lock_until"
        sets = []
        if message_id:
            sets.append("message_id = :mid")
            values[":mid"] = {"S": message_id}
        if reason:
            sets.append("reason = :reason")
            values[":reason"] = {"S": reason[:256]}
        if sets:
            expression = "SET #s = :status, " + ", ".join(sets) + " REMOVE lock_until"
        self._call("UpdateItem", lambda: self.client.update_item(
            TableName=self.table_name,
            Key={"id": {"S": key}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        ))  # fmt: skip

    def _conditional(self, operation: str, call: Callable[[], Any]) -> dict[str, Any] | None:
        """Run a conditional write: ``None`` when it was applied, else the item that blocked it (or ``{}``)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            call()
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ConditionalCheckFailedException":
                item = error.response.get("Item")
                return plain_item(item) if item else {}
            raise BridgeDependencyError(f"idempotency table {operation} failed: {code}", code=code) from None
        return None

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return call()
        except ClientError as error:
            code = error_code(error, "Unknown")
            raise BridgeDependencyError(f"idempotency table {operation} failed: {code}", code=code) from None
        except BotoCoreError as error:
            raise BridgeDependencyError(
                f"idempotency table {operation} failed: {type(error).__name__}", code=type(error).__name__
            ) from None


# ------------------------------------------------------------------------------------------------ accept


@dataclass
class HttpResponse:
    """An HTTP answer; :meth:`to_proxy` gives API Gateway's Lambda-proxy shape."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def to_proxy(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json", **self.headers},
            "body": _COMPACT_JSON(self.body),
            "isBase64Encoded": False,
        }


def error_response(status: int, error: str, message: str, *, field: str | None = None, **headers: str) -> HttpResponse:
    body: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    return HttpResponse(status, body, dict(headers))


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
        settings: BridgeSettings,
        store: IdempotencyStore,
        sqs_client: Any = None,
        sender: Any = None,
        may_send: Callable[[str, str], bool] | None = None,
    ) -> None:
        if settings.mode == MODE_INLINE and sender is None:
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
            return AcceptOutcome(_unavailable(error), "dependency_failed", request)
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
            return AcceptOutcome(_accepted(claim.item, duplicate=True), "duplicate", request)
        return self._new(request, key, fingerprint, request_id)

    def _new(self, request: SendRequest, key: str, fingerprint: str, request_id: str) -> AcceptOutcome:
        from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError  # noqa: PLC0415

        try:
            if self.may_send is not None and not self.may_send(request.destination, request.message_type):
                self._release(key)
                return AcceptOutcome(_opted_out(request), "opted_out", request)
        except Exception as error:  # noqa: BLE001 - a registry failure is a fault: fail closed, retryable
            self._release(key)
            code = getattr(error, "code", type(error).__name__)
            return AcceptOutcome(_unavailable(BridgeDependencyError(str(error), code=code)), "dependency_failed",
                                 request)  # fmt: skip
        if self.settings.mode == MODE_QUEUE:
            try:
                self.sqs_client.send_message(
                    QueueUrl=self.settings.queue_url,
                    MessageBody=_COMPACT_JSON(_job(request, key, fingerprint, request_id)),
                )
            except Exception as error:  # noqa: BLE001 - botocore errors: not queued, answer 503
                self._release(key)
                code = error_code(error, type(error).__name__)
                return AcceptOutcome(_unavailable(BridgeDependencyError("SendMessage failed", code=code)),
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
                return AcceptOutcome(_opted_out(request), "opted_out", request)
            except SmsSendError as error:
                self._release(key)
                return AcceptOutcome(_send_failure(error), f"send_failed:{error.code}", request)
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
        return AcceptOutcome(_accepted(item, duplicate=False), status.lower(), request)

    def _release(self, key: str) -> None:
        try:
            self.store.release(key)
        except BridgeDependencyError as error:  # the lock expires by itself
            _LOGGER.warning("releasing an idempotency claim failed (%s)", error.code)


def _job(request: SendRequest, key: str, fingerprint: str, request_id: str) -> dict[str, Any]:
    job = {
        "version": 1,
        "request_id": request_id,
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "destination": request.destination,
        "body": request.body,
        "message_type": request.message_type,
        "context": request.context(request_id),
        "accepted_at": int(time.time() * 1000),
    }
    if request.origination_identity:
        job["origination_identity"] = request.origination_identity
    if request.configuration_set:
        job["configuration_set"] = request.configuration_set
    return job


def _accepted(item: Mapping[str, Any], *, duplicate: bool) -> HttpResponse:
    status = item.get("status")
    body: dict[str, Any] = {
        "requestId": item.get("request_id"),
        "status": STATUS_SENT if status == STATUS_SENT else STATUS_ACCEPTED,
        "duplicate": duplicate,
    }
    if item.get("message_id"):
        body["messageId"] = item["message_id"]
    headers = {"Idempotent-Replayed": "true"} if duplicate else {}
    return HttpResponse(202, body, headers)


def _opted_out(request: SendRequest) -> HttpResponse:
    return error_response(
        409,
        "opted_out",
        f"the recipient has opted out of {request.message_type.lower()} messages",
        field="destinationNumber",
    )


def _unavailable(error: BridgeDependencyError) -> HttpResponse:
    return error_response(503, "service_unavailable", f"the request was not accepted ({error.code}); retry",
                          **{"Retry-After": "1"})  # fmt: skip


def _send_failure(error: Any) -> HttpResponse:
    if error.code == "ThrottlingException":
        return error_response(429, "throttled", "the SMS service is throttling sends; retry", **{"Retry-After": "1"})
    if error.retryable:
        return error_response(503, "service_unavailable", f"the SMS service failed ({error.code}); retry",
                              **{"Retry-After": "1"})  # fmt: skip
    if error.code == "AccessDeniedException" or error.code == "ServiceQuotaExceededException":
        return error_response(502, "sms_service_refused", f"the SMS service refused the account's send ({error.code})")
    label = f"{error.code} ({error.reason})" if getattr(error, "reason", None) else error.code
    return error_response(422, "sms_rejected", f"the SMS service rejected the message: {label}")


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header's value, the name matched case-insensitively (API Gateway passes names as sent)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


# ------------------------------------------------------------------------------------------------ consume


@dataclass
class ConsumeOutcome:
    """What happened to one queued job: ``result`` ``sent``, ``duplicate``, ``busy`` (retry),
    ``opted_out``, ``retry`` (retryable failure), ``failed`` (dead-lettered) or ``malformed``."""

    result: str
    retry: bool
    reason: str | None = None
    message_id: str | None = None


class BridgeConsumer:
    """Sends queued jobs at the configured rate (``rate_limited_sender`` is a
    :class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender`), exactly once per idempotency key."""

    def __init__(self, *, store: IdempotencyStore, rate_limited_sender: Any) -> None:
        self.store = store
        self.sender = rate_limited_sender

    def process(self, body: str, *, deadline: float | None = None) -> ConsumeOutcome:
        from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError  # noqa: PLC0415

        try:
            job = parse_job(body)
        except ValueError as error:
            return ConsumeOutcome("malformed", retry=False, reason=str(error))
        key = job["idempotency_key"]
        try:
            claim = self.store.claim_send(key, request_id=job["request_id"], fingerprint=job["fingerprint"])
        except BridgeDependencyError as error:
            return ConsumeOutcome("retry", retry=True, reason=error.code)
        if claim.outcome == "replay":
            return ConsumeOutcome("duplicate", retry=False, message_id=claim.item.get("message_id"))
        if claim.outcome == "in_progress":
            return ConsumeOutcome("busy", retry=True, reason="another delivery of this request is being sent")
        try:
            result = self.sender.send_text(
                job["destination"],
                job["body"],
                origination_identity=job.get("origination_identity"),
                configuration_set_name=job.get("configuration_set"),
                message_type=job["message_type"],
                context=job["context"],
                deadline=deadline,
            )
        except RecipientOptedOut:
            self._finish(key, STATUS_OPTED_OUT, reason="recipient opted out")
            return ConsumeOutcome("opted_out", retry=False, reason="recipient opted out")
        except SmsSendError as error:
            if error.retryable:
                self._unclaim(key)
                return ConsumeOutcome("retry", retry=True, reason=error.code)
            reason = f"{error.code} ({error.reason})" if error.reason else error.code
            self._finish(key, STATUS_FAILED, reason=reason)
            return ConsumeOutcome("failed", retry=False, reason=reason)
        except Exception as error:  # noqa: BLE001 - e.g. the opt-out registry failing: retry later
            self._unclaim(key)
            return ConsumeOutcome("retry", retry=True, reason=getattr(error, "code", type(error).__name__))
        self._finish(key, STATUS_SENT, message_id=result.message_id)
        return ConsumeOutcome("sent", retry=False, message_id=result.message_id)

    def _finish(self, key: str, status: str, *, message_id: str | None = None, reason: str | None = None) -> None:
        try:
            self.store.finish_send(key, status, message_id=message_id, reason=reason)
        except BridgeDependencyError as error:  # the send is done; the lock expires, a redelivery may resend
            _LOGGER.error("recording %s for a sent job failed (%s)", status, error.code)

    def _unclaim(self, key: str) -> None:
        try:
            self.store.unclaim_send(key)
        except BridgeDependencyError as error:  # the lock expires by itself
            _LOGGER.warning("releasing a send claim failed (%s)", error.code)


_JOB_STRINGS = ("request_id", "idempotency_key", "fingerprint", "destination", "body", "message_type")


def parse_job(body: str) -> dict[str, Any]:
    """A queued job (written by :class:`BridgeService`); ``ValueError`` with a fixed reason when malformed."""
    try:
        job = json.loads(body)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("job is not JSON") from None
    if not isinstance(job, dict) or job.get("version") != 1:
        raise ValueError("job is not a version 1 bridge job")
    for name in _JOB_STRINGS:
        if not isinstance(job.get(name), str) or not job[name]:
            raise ValueError(f"job has no {name}")
    if not is_e164(job["destination"]):
        raise ValueError("job destination is not E.164")
    if job["message_type"] not in MESSAGE_TYPES:
        raise ValueError("job message_type is invalid")
    context = job.get("context")
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        raise ValueError("job context is invalid")
    return job


__all__ = [
    "FIELD_RULES",
    "BridgeConsumer",
    "BridgeDependencyError",
    "BridgeRequestError",
    "BridgeService",
    "BridgeSettings",
    "ConfigurationSetSenders",
    "HttpResponse",
    "IdempotencyStore",
    "SendRequest",
    "check_idempotency_key",
    "load_request_json",
    "parse_send_request",
    "request_id_for",
]

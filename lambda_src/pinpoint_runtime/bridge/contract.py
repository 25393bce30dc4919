"""The request contract of the Adobe Journey Optimizer (AJO) custom action: what a ``POST /messages`` may carry.

``pinpoint_constructs/openapi/adobe_sms_bridge.json`` is the same contract for API Gateway's validation and for
the tests; :data:`FIELD_RULES` mirrors it and a test keeps the two equal: ``destinationNumber`` (required; E.164,
or a national number read in the default country), ``messageBody`` (required, 1-1600 characters, not only
whitespace), optional ``originationIdentity`` (one of the configured identities), ``messageType``
(``TRANSACTIONAL`` / ``PROMOTIONAL``), ``configurationSetName`` (one of the configured sets), and ``journeyId`` /
``actionId`` / ``profileId`` (carried into the SendTextMessage ``Context``, so delivery events in the lake can be
joined to journeys). Unknown fields are refused. The first problem found is a :class:`BridgeRequestError` naming
the field (400); its message never echoes the value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pinpoint_runtime.bridge.errors import BridgeRequestError
from pinpoint_runtime.core import strict_json
from pinpoint_runtime.phone import PhoneNumberError, is_e164, mask_phone_number, normalise_phone
from pinpoint_runtime.sms.message_type import MESSAGE_TYPES, MessageType  # the request's messageType

if TYPE_CHECKING:
    from pinpoint_runtime.bridge.send import BridgeSendSettings


DEFAULT_IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_REQUEST_BYTES = 64 * 1024

# --- the request contract (mirrors the OpenAPI document; tests/runtime/bridge/test_contract.py keeps them equal)
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

# Built once: json.dumps with options builds a new encoder per call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


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


def parse_send_request(payload: Any, settings: BridgeSendSettings) -> SendRequest:
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
        message_type=values.get("messageType", settings.default_message_type.value),
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


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header's value, the name matched case-insensitively (API Gateway passes names as sent)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


__all__ = [
    "CONTEXT_FIELDS",
    "DEFAULT_IDEMPOTENCY_HEADER",
    "FIELD_RULES",
    "IDEMPOTENCY_KEY_RULES",
    "MAX_REQUEST_BYTES",
    "MESSAGE_TYPES",
    "REQUIRED_FIELDS",
    "BridgeRequestError",
    "MessageType",
    "SendRequest",
    "check_idempotency_key",
    "header_value",
    "load_request_json",
    "parse_send_request",
]

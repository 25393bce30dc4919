"""Custom resource (CDK Provider framework ``on_event``): two-way SMS on an existing number or pool.

The function ``lambda_src/origination_two_way`` of ``TwoWaySms``; it reads no settings (everything comes from the
ResourceProperties: :class:`TwoWayIdentitySettings` is empty).

``TwoWaySms`` and ``SelfManagedOptOut`` create ``AWS::SMSVOICE::PhoneNumber`` / ``Pool`` resources with two-way
settings declaratively. A phone number or pool the stack does *not* own (registered numbers cannot be created by
CloudFormation) is configured by this function instead, and put back exactly as it was when the resource is
deleted:

* **Create** -- describe the identity (``DescribePhoneNumbers`` / ``DescribePools``), remember its
  ``TwoWayEnabled``, ``TwoWayChannelArn``, ``TwoWayChannelRole``, ``SelfManagedOptOutsEnabled`` and
  ``OptOutListName``, then ``UpdatePhoneNumber`` / ``UpdatePool`` with two-way on and the requested settings.
  A phone number that belongs to a pool is refused ("configure pool <id> instead"): the service only accepts
  these settings on the pool.
* **Update** of the same identity (an id and its ARN are the same identity) --
  apply the new settings; the remembered (original) settings are kept.
  Settings the new properties no longer mention go back to their original values.
  **Update to another identity** -- handled as a Create of the new one; the new physical id makes CloudFormation
  delete the old resource, which restores the old identity.
* **Delete** -- restore the remembered settings. An identity that no longer exists is nothing to restore.

The remembered settings travel in the physical resource id, ``"<type>:<id>:<base64url(JSON)>"`` (under 1 KB),
so no other state is needed. The API cannot clear ``TwoWayChannelArn`` / ``TwoWayChannelRole``: when the
identity had none, the restored identity has two-way *disabled* and keeps the stack's (then unused) values.

ResourceProperties (CloudFormation passes every value as a string): ``IdentityType`` ``"phone-number"`` or
``"pool"``, ``IdentityId`` (id or ARN), ``TwoWayChannelArn`` (the SNS topic ARN), optional ``TwoWayChannelRole``,
``SelfManagedOptOutsEnabled`` (``"true"``/``"false"``) and ``OptOutListName``.
Data returned: ``IdentityArn``, ``IdentityId`` and, for a phone number, ``PhoneNumber`` (E.164).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from aws_lambda_powertools import Logger

from pinpoint_runtime.core.aws_clients import new_client
from pinpoint_runtime.core.environment import FunctionSettings

SERVICE_NAME = "origination-two-way"


class IdentityType(StrEnum):
    """The kind of origination identity (the ``IdentityType`` resource property, the ARN's resource type)."""

    PHONE_NUMBER = "phone-number"
    POOL = "pool"


IDENTITY_TYPES: tuple[str, ...] = tuple(member.value for member in IdentityType)
MAX_PHYSICAL_ID_BYTES = 1024
"""CloudFormation's limit on a physical resource id."""

_SETTINGS = ("TwoWayEnabled", "TwoWayChannelArn", "TwoWayChannelRole", "SelfManagedOptOutsEnabled", "OptOutListName")
_SHORT_KEYS = {
    "TwoWayEnabled": "e",
    "TwoWayChannelArn": "c",
    "TwoWayChannelRole": "r",
    "SelfManagedOptOutsEnabled": "s",
    "OptOutListName": "o",
}
_IDENTITY_ID = re.compile(r"[A-Za-z0-9_:/-]{1,256}")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")

logger = Logger(service=SERVICE_NAME)


@dataclass(frozen=True, kw_only=True)
class TwoWayIdentitySettings(FunctionSettings):
    """The settings of the two-way configurator function: none (its input is the custom resource's properties)."""

    construct: ClassVar[str] = "TwoWaySms"


class ConfigurationError(ValueError):
    """The resource properties cannot be applied (the message is what CloudFormation shows)."""


@dataclass(frozen=True)
class Identity:
    """An origination identity the stack configures: ``kind`` is an :class:`IdentityType` (or its value)."""

    kind: IdentityType
    id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", IdentityType(self.kind))

    def same_as(self, other: Identity) -> bool:
        """Whether both name the same identity: ``phone-123`` and ``arn:...:phone-number/phone-123`` do."""
        return self.kind == other.kind and _bare_id(self.id) == _bare_id(other.id)


def _bare_id(identity_id: str) -> str:
    return identity_id.rsplit("/", 1)[-1] if identity_id.startswith("arn:") else identity_id


@dataclass(frozen=True)
class PhysicalId:
    """The physical resource id: the identity and its settings before the stack changed them."""

    identity: Identity
    previous: dict[str, Any]

    def encode(self) -> str:
        compact = {_SHORT_KEYS[key]: value for key, value in self.previous.items() if value is not None}
        packed = base64.urlsafe_b64encode(json.dumps(compact, separators=(",", ":")).encode()).decode().rstrip("=")
        text = f"{self.identity.kind}:{self.identity.id}:{packed}"
        if len(text.encode()) > MAX_PHYSICAL_ID_BYTES:
            raise ConfigurationError(
                f"the previous settings of {self.identity.kind} {self.identity.id} do not fit in a physical "
                f"resource id ({len(text)} > {MAX_PHYSICAL_ID_BYTES} bytes)"
            )
        return text

    @classmethod
    def decode(cls, text: str) -> PhysicalId:
        """Parse a physical id; ``ValueError`` if it was not made by :meth:`encode`."""
        kind, separator, rest = text.partition(":")
        identity_id, separator2, packed = rest.rpartition(":")
        if not separator or not separator2 or kind not in IDENTITY_TYPES or not _IDENTITY_ID.fullmatch(identity_id):
            raise ValueError("not a physical id of this resource")
        try:
            compact = json.loads(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
        except (binascii.Error, ValueError):
            raise ValueError("not a physical id of this resource") from None
        if not isinstance(compact, dict):
            raise ValueError("not a physical id of this resource")
        long_keys = {short: key for key, short in _SHORT_KEYS.items()}
        previous = {long_keys[short]: value for short, value in compact.items() if short in long_keys}
        return cls(Identity(IdentityType(kind), identity_id), previous)


def on_event(event: dict[str, Any], context: Any = None, *, client: Any = None) -> dict[str, Any]:
    """Provider framework entry point (``Create`` / ``Update`` / ``Delete``)."""
    request_type = event["RequestType"]
    sms = client if client is not None else _client()
    if request_type == "Delete":
        return _delete(sms, event.get("PhysicalResourceId", ""))
    properties = event.get("ResourceProperties") or {}
    requested = identity_from(properties)
    if request_type not in ("Create", "Update"):
        raise ConfigurationError(f"unknown RequestType {request_type!r}")
    identity = requested
    info = _describe(sms, identity)
    if request_type == "Update":
        try:
            current = PhysicalId.decode(event.get("PhysicalResourceId", ""))
        except ValueError:
            current = None
        if current is not None and current.identity.same_as(identity):
            # Same identity (an id or its ARN): keep the settings remembered before the stack first changed it, and
            # the physical id, so that CloudFormation does not delete (restore) it.
            _apply(sms, current.identity, desired_settings(properties, current.previous))
            logger.info("Updated two-way settings", extra={"identity_type": identity.kind})
            return _response(current, info)
    physical = PhysicalId(identity, {key: info.get(key) for key in _SETTINGS})
    physical.encode()  # fail before changing anything if the previous settings do not fit
    _apply(sms, identity, desired_settings(properties, physical.previous))
    logger.info("Enabled two-way on an existing identity", extra={"identity_type": identity.kind})
    return _response(physical, info)


def identity_from(properties: dict[str, Any]) -> Identity:
    """The identity named by the resource properties (``ConfigurationError`` if invalid)."""
    kind = properties.get("IdentityType")
    identity_id = properties.get("IdentityId")
    if kind not in IDENTITY_TYPES:
        raise ConfigurationError(f"IdentityType must be one of {', '.join(IDENTITY_TYPES)}")
    if not isinstance(identity_id, str) or not _IDENTITY_ID.fullmatch(identity_id):
        raise ConfigurationError("IdentityId must be a phone number id, pool id or ARN")
    if not properties.get("TwoWayChannelArn"):
        raise ConfigurationError("TwoWayChannelArn is required")
    return Identity(IdentityType(kind), identity_id)


def desired_settings(properties: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The settings to apply: two-way on with the given channel; other settings as given, else the previous ones."""
    desired: dict[str, Any] = {"TwoWayEnabled": True, "TwoWayChannelArn": properties["TwoWayChannelArn"]}
    role = properties.get("TwoWayChannelRole") or previous.get("TwoWayChannelRole")
    if role:
        desired["TwoWayChannelRole"] = role
    self_managed = properties.get("SelfManagedOptOutsEnabled")
    desired["SelfManagedOptOutsEnabled"] = (
        _boolean("SelfManagedOptOutsEnabled", self_managed)
        if self_managed not in (None, "")
        else bool(previous.get("SelfManagedOptOutsEnabled", False))
    )
    opt_out_list = properties.get("OptOutListName") or previous.get("OptOutListName")
    if opt_out_list:
        desired["OptOutListName"] = opt_out_list
    return desired


def restore_settings(previous: dict[str, Any]) -> dict[str, Any]:
    """The update that puts an identity back: every remembered value (channel ARN/role only if there was one)."""
    restored: dict[str, Any] = {
        "TwoWayEnabled": bool(previous.get("TwoWayEnabled", False)),
        "SelfManagedOptOutsEnabled": bool(previous.get("SelfManagedOptOutsEnabled", False)),
    }
    for key in ("TwoWayChannelArn", "TwoWayChannelRole", "OptOutListName"):
        if previous.get(key):
            restored[key] = previous[key]
    return restored


def _delete(sms: Any, physical_id: str) -> dict[str, Any]:
    try:
        physical = PhysicalId.decode(physical_id)
    except ValueError:
        logger.warning("Nothing to restore: the physical id was not created by this resource")
        return {"PhysicalResourceId": physical_id}
    try:
        _apply(sms, physical.identity, restore_settings(physical.previous))
    except sms.exceptions.ResourceNotFoundException:
        logger.warning("Nothing to restore: the identity is gone", extra={"identity_type": physical.identity.kind})
    else:
        logger.info("Restored the previous two-way settings", extra={"identity_type": physical.identity.kind})
    return {"PhysicalResourceId": physical_id}


def _describe(sms: Any, identity: Identity) -> dict[str, Any]:
    if identity.kind is IdentityType.PHONE_NUMBER:
        info = sms.describe_phone_numbers(PhoneNumberIds=[identity.id])["PhoneNumbers"][0]
        if info.get("PoolId"):
            raise ConfigurationError(
                f"phone number {identity.id} belongs to pool {info['PoolId']}: configure pool {info['PoolId']} instead"
            )
        return info
    return sms.describe_pools(PoolIds=[identity.id])["Pools"][0]


def _apply(sms: Any, identity: Identity, settings: dict[str, Any]) -> None:
    if identity.kind is IdentityType.PHONE_NUMBER:
        sms.update_phone_number(PhoneNumberId=identity.id, **settings)
    else:
        sms.update_pool(PoolId=identity.id, **settings)


def _response(physical: PhysicalId, info: dict[str, Any]) -> dict[str, Any]:
    if physical.identity.kind is IdentityType.PHONE_NUMBER:
        data = {
            "IdentityArn": info["PhoneNumberArn"],
            "IdentityId": info.get("PhoneNumberId", physical.identity.id),
            "PhoneNumber": info["PhoneNumber"],
        }
    else:
        data = {"IdentityArn": info["PoolArn"], "IdentityId": info.get("PoolId", physical.identity.id)}
    return {"PhysicalResourceId": physical.encode(), "Data": data}


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false")


def _client() -> Any:
    return new_client("pinpoint-sms-voice-v2")


__all__ = [
    "IDENTITY_TYPES",
    "ConfigurationError",
    "Identity",
    "IdentityType",
    "PhysicalId",
    "TwoWayIdentitySettings",
    "desired_settings",
    "identity_from",
    "on_event",
    "restore_settings",
]

"""DynamoDB items to and from plain Python values, for the runtime's tables (boto3's low-level client format)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any


@cache
def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415

    return TypeSerializer()


@cache
def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415

    return TypeDeserializer()


def plain_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A flat item's S, N (as int) and BOOL attributes as plain values (other types are left out): the shape of the
    runtime's small records (opt-out states, idempotency records)."""
    plain: dict[str, Any] = {}
    for name, value in item.items():
        if "S" in value:
            plain[name] = value["S"]
        elif "N" in value:
            plain[name] = int(value["N"])
        elif "BOOL" in value:
            plain[name] = value["BOOL"]
    return plain


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values (floats included, as exact decimals of their ``repr``) -> a typed item."""
    serializer = _serializer()
    return {key: serializer.serialize(with_decimals(value)) for key, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A typed item -> Python values (numbers as ``Decimal``, as boto3 gives them; see :func:`without_decimals`)."""
    deserializer = _deserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def typed_value(value: Any) -> dict[str, Any]:
    """One plain value as a typed attribute value (``{"S": ...}``, ``{"M": ...}``, ...)."""
    return _serializer().serialize(with_decimals(value))


def with_decimals(value: Any) -> Any:
    """``value`` with every float replaced by the decimal of its ``repr`` (DynamoDB takes no floats)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: with_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_decimals(v) for v in value]
    return value


def without_decimals(value: Any, *, integers: bool = False) -> Any:
    """``value`` with every ``Decimal`` replaced by a float, or with ``integers=True`` by an int where it is
    integral (counts) and a float otherwise."""
    if isinstance(value, Decimal):
        if integers and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, Mapping):
        return {k: without_decimals(v, integers=integers) for k, v in value.items()}
    if isinstance(value, list):
        return [without_decimals(v, integers=integers) for v in value]
    return value


TTL_ATTRIBUTE = "expires_at"
"""The time-to-live attribute (epoch seconds) of every table of the library, as the constructs declare it."""

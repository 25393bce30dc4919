"""The DynamoDB items of the endpoint store: keys (endpoint, user, segment membership) and the
conversion between the plain state of an endpoint and its typed item (schema in
:mod:`pinpoint_runtime.audience.store`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pinpoint_runtime.core.dynamodb_items import from_item, to_item, without_decimals

USER_INDEX = "by_user"
ENDPOINT_SK = "ENDPOINT"
SEGMENT_SK = "SEGMENT"


def _endpoint_pk(app: str, endpoint_id: str) -> str:
    return f"APP#{app}#ENDPOINT#{endpoint_id}"


def _segment_pk(app: str, segment_id: str) -> str:
    return f"APP#{app}#SEGMENT#{segment_id}"


def _user_key(app: str, user_id: str) -> str:
    return f"APP#{app}#USER#{user_id}"


def _endpoint_key(app: str, endpoint_id: str) -> dict:
    return {"pk": {"S": _endpoint_pk(app, endpoint_id)}, "sk": {"S": ENDPOINT_SK}}


def _endpoint_id_of(raw_item: Mapping[str, Any]) -> str:
    return raw_item["pk"]["S"].rsplit("#", 1)[1]


def _delete_requests(app: str, endpoint_id: str, item: Mapping[str, Any]) -> list[dict]:
    requests = [{"DeleteRequest": {"Key": _endpoint_key(app, endpoint_id)}}]
    for segment_id in sorted(item.get("segments") or ()):
        key = {"pk": {"S": _segment_pk(app, segment_id)}, "sk": {"S": f"ENDPOINT#{endpoint_id}"}}
        requests.append({"DeleteRequest": {"Key": key}})
    return requests


def _membership_put(app: str, segment_id: str, endpoint_id: str) -> dict:
    """The BatchWriteItem request of one static segment membership item."""
    return {"PutRequest": {"Item": {"pk": {"S": _segment_pk(app, segment_id)}, "sk": {"S": f"ENDPOINT#{endpoint_id}"}}}}


def _to_item(app: str, state: Mapping[str, Any]) -> dict:
    """Plain state {"endpoint", "segments"?, "expires_at"?} -> typed DynamoDB item."""
    endpoint = state["endpoint"]
    item: dict[str, Any] = {
        "pk": _endpoint_pk(app, endpoint["Id"]),
        "sk": ENDPOINT_SK,
        "endpoint": endpoint,
    }
    user_id = (endpoint.get("User") or {}).get("UserId")
    if user_id:
        item["user_key"] = _user_key(app, user_id)
    if state.get("segments"):
        item["segments"] = set(state["segments"])
    if state.get("expires_at") is not None:
        item["expires_at"] = Decimal(int(state["expires_at"]))
    return to_item(item)


def _from_item(raw: Mapping[str, Any]) -> dict:
    item = from_item(raw)
    item["endpoint"] = without_decimals(item.get("endpoint") or {})  # doubles in Pinpoint's model
    if "segment" in item:
        item["segment"] = without_decimals(item["segment"], integers=True)  # counts and versions
    return item

"""Amazon Pinpoint's endpoint and user APIs on DynamoDB (Pinpoint endpoints end support on 2026-10-30).

:class:`EndpointStore` answers the boto3 ``pinpoint`` calls partners still make, with Pinpoint's request and
response shapes (botocore's ``pinpoint`` model: ``EndpointBatchItem``, ``EndpointRequest``, ``EndpointResponse``,
``EndpointsResponse``, ``MessageBody``):

* :meth:`EndpointStore.update_endpoints_batch`, :meth:`EndpointStore.update_endpoint`,
  :meth:`EndpointStore.get_endpoint`, :meth:`EndpointStore.delete_endpoint`,
  :meth:`EndpointStore.get_user_endpoints`, :meth:`EndpointStore.delete_user_endpoints` (GDPR erasure,
  segment membership included), :meth:`EndpointStore.put_events` (endpoint updates here, events forwarded to
  :class:`pinpoint_runtime.events.stream.EventStreamWriter`);
* static segments: :meth:`EndpointStore.add_to_segment`, :meth:`EndpointStore.segment_endpoint_ids`,
  :meth:`EndpointStore.put_segment` / :meth:`EndpointStore.get_segment` (the segment's record, Pinpoint's
  ``SegmentResponse`` shape).

Table (created by the ``pinpoint_constructs.endpoint_store`` construct): ``pk``/``sk`` strings; GSI ``by_user``
(``user_key``/``sk``, projection ALL); TTL attribute ``expires_at``. An endpoint is the item
``pk = "APP#<app>#ENDPOINT#<id>"``, ``sk = "ENDPOINT"`` holding the ``EndpointResponse`` map in ``endpoint``,
``user_key = "APP#<app>#USER#<user id>"`` only when it has a user (sparse GSI) and the string set ``segments``.
Static segment membership is the item ``pk = "APP#<app>#SEGMENT#<segment>"``, ``sk = "ENDPOINT#<id>"``; the
segment's own record is ``sk = "SEGMENT"`` under the same ``pk`` (map ``segment``).

Merge semantics (update_endpoint, update_endpoints_batch, put_events), as in Pinpoint: top-level fields present
in the request replace the stored ones (``Demographic`` and ``Location`` are replaced as a whole); ``Attributes``,
``Metrics`` and ``User.UserAttributes`` merge key by key (an ``Attributes``/``UserAttributes`` key sent with an
empty list is removed); ``User.UserId`` replaces the stored one when present. ``CreationDate`` is kept;
``EffectiveDate`` is the request's or now; ``RequestId`` is the request's or the call's request id.

Consistency: a batch is validated completely (including the 10-endpoints-per-user limit, counted on the GSI)
before anything is written; the writes are ``BatchWriteItem`` calls, so a write failure after all retries can
leave a batch partly applied (:class:`EndpointStoreWriteError` says how many were written), and two concurrent
writers can both pass the per-user check. Addresses are never logged nor put into error messages.

IAM actions the client needs on the table and its indexes: ``dynamodb:GetItem``, ``BatchGetItem``,
``BatchWriteItem``, ``UpdateItem``, ``Query`` (table and ``index/by_user``); plus ``firehose:PutRecordBatch``
when an event writer is used. boto3 and phonenumbers are imported lazily.

The request rules are in :mod:`~pinpoint_runtime.audience.endpoint_request`, the item encoding in
:mod:`~pinpoint_runtime.audience.endpoint_items`, the DynamoDB calls in
:mod:`~pinpoint_runtime.audience.endpoint_table`.
Static segments are in :mod:`~pinpoint_runtime.audience.endpoint_segments` (a base class of :class:`EndpointStore`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.audience.endpoint_items import (
    _delete_requests,
    _endpoint_id_of,
    _membership_put,
    _to_item,
)
from pinpoint_runtime.audience.endpoint_request import (
    _BATCH_ITEM_FIELDS,
    _REQUEST_FIELDS,
    CHANNEL_TYPES,
    MAX_ADDRESS_LENGTH,
    MAX_ATTRIBUTE_NAME_LENGTH,
    MAX_ATTRIBUTE_VALUE_LENGTH,
    MAX_BATCH_ITEMS,
    MAX_ENDPOINT_JSON_BYTES,
    MAX_ENDPOINTS_PER_USER,
    OPT_OUT_VALUES,
    PHONE_CHANNELS,
    EndpointValidationError,
    _clean_request,
    _key_part,
    _merge,
    _normalise_address,
    normalise_address,
    validate_endpoint_request,
)
from pinpoint_runtime.audience.endpoint_segments import StaticSegments
from pinpoint_runtime.audience.endpoint_table import (
    MAX_ATTEMPTS,
    EndpointStoreError,
    EndpointStoreWriteError,
    NotFoundError,
    _not_found,
)
from pinpoint_runtime.core.aws_clients import LazyClient
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.timestamps import iso_utc
from pinpoint_runtime.events.stream import EventStreamSettings, EventStreamWriter

__all__ = [
    "CHANNEL_TYPES",
    "MAX_ADDRESS_LENGTH",
    "MAX_ATTRIBUTE_NAME_LENGTH",
    "MAX_ATTRIBUTE_VALUE_LENGTH",
    "MAX_BATCH_ITEMS",
    "OPT_OUT_VALUES",
    "PHONE_CHANNELS",
    "EndpointStore",
    "EndpointStoreError",
    "EndpointStoreSettings",
    "EndpointStoreWriteError",
    "EndpointValidationError",
    "NotFoundError",
    "normalise_address",
    "validate_endpoint_request",
]


@dataclass(frozen=True, kw_only=True)
class EndpointStoreSettings(FunctionSettings):
    """What a function bound to the store reads (``EndpointStore.bind`` of the construct writes it)."""

    construct: ClassVar[str] = "EndpointStore"
    table_name: str = variable("ENDPOINT_STORE_TABLE", doc="the endpoint store's DynamoDB table")


"""Environment variable holding the table name (the construct sets it on functions it grants access to)."""


class EndpointStore(StaticSegments):
    """Pinpoint endpoints/users on DynamoDB; see the module docstring for the schema and merge semantics.

    ``table_name`` defaults to the function's :class:`EndpointStoreSettings` (``ENDPOINT_STORE_TABLE``). ``client`` is
    a boto3 DynamoDB *client*
    (created lazily). ``event_writer`` (an :class:`~pinpoint_runtime.events.stream.EventStreamWriter`) receives
    the events of :meth:`put_events`; it defaults to a writer for the stream named in
    ``PINPOINT_EVENT_STREAM_NAME`` when that is set (what ``EndpointStore.bind`` of the construct does).
    ``clock``/``sleep`` are injectable; ``max_attempts`` bounds the calls per DynamoDB batch (exponential backoff,
    full jitter). ``user_lookup_threads``: how many users' endpoints a batch looks up at once for the per-user
    limit (one index Query per user; I/O bound, so a batch of 100 rows with 100 users costs about the latency of
    100 / threads queries instead of 100).
    """

    def __init__(
        self,
        table_name: str | None = None,
        *,
        client: Any = None,
        event_writer: Any = None,
        clock: Callable[[], float] = time.time,
        max_endpoints_per_user: int = MAX_ENDPOINTS_PER_USER,
        default_country: str = "US",
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        user_lookup_threads: int = 8,
    ) -> None:
        if not table_name:
            settings = EndpointStoreSettings.from_environment_if_set()
            table_name = settings.table_name if settings else None
        name = table_name
        if not name:
            raise EndpointStoreError(
                "no endpoint table: pass table_name or set the ENDPOINT_STORE_TABLE environment variable"
            )
        if max_attempts < 1 or max_endpoints_per_user < 1 or user_lookup_threads < 1:
            raise ValueError("max_attempts, max_endpoints_per_user and user_lookup_threads must be at least 1")
        self.table_name = name
        if event_writer is None and EventStreamSettings.from_environment_if_set() is not None:
            event_writer = EventStreamWriter()
        self.event_writer = event_writer
        self.max_endpoints_per_user = max_endpoints_per_user
        self.default_country = default_country
        self.max_attempts = max_attempts
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self.user_lookup_threads = user_lookup_threads
        self._lookup_pool: ThreadPoolExecutor | None = None
        self._lookup_pool_lock = threading.Lock()

    # The boto3 DynamoDB client (created on first use when none was passed).
    client = LazyClient("dynamodb")

    # ----------------------------------------------------------------------------------------- public API

    def update_endpoints_batch(
        self, *, ApplicationId: str, EndpointBatchRequest: Mapping[str, Any], add_to_segment: str | None = None
    ) -> dict:
        """Pinpoint ``UpdateEndpointsBatch``: create or merge up to 100 endpoints (each item needs ``Id``).

        Every item is validated (and the per-user limit checked) before anything is written; one invalid item
        raises :class:`EndpointValidationError` naming ``EndpointBatchRequest.Item[i].<field>`` and nothing is
        written. Returns ``{"MessageBody": {"Message": "Accepted", "RequestID": <uuid>}}``.

        ``add_to_segment`` (a library extension, what an import with ``define_segment`` does): the endpoints also
        become members of that static segment, in the same batch writes (no per-endpoint update, unlike a
        separate :meth:`add_to_segment` call).
        """
        app = _key_part(ApplicationId, "ApplicationId")
        segment_id = _key_part(add_to_segment, "add_to_segment") if add_to_segment is not None else None
        if not isinstance(EndpointBatchRequest, Mapping):
            raise EndpointValidationError("EndpointBatchRequest", "must be an object")
        items = EndpointBatchRequest.get("Item")
        if not isinstance(items, list) or not items:
            raise EndpointValidationError("EndpointBatchRequest.Item", "is required and must be a non-empty list")
        if len(items) > MAX_BATCH_ITEMS:
            raise EndpointValidationError(
                "EndpointBatchRequest.Item", f"has {len(items)} items; the limit is {MAX_BATCH_ITEMS}"
            )
        entries = []
        for index, item in enumerate(items):
            prefix = f"EndpointBatchRequest.Item[{index}]"
            if not isinstance(item, Mapping):
                raise EndpointValidationError(prefix, "must be an object")
            endpoint_id = _key_part(item.get("Id"), f"{prefix}.Id")
            entries.append((prefix, endpoint_id, _clean_request(item, prefix, _BATCH_ITEM_FIELDS)))
        request_id = str(uuid.uuid4())
        items = self._prepare(app, entries, request_id, segment_id=segment_id)
        requests = [{"PutRequest": {"Item": item}} for item in items]
        if segment_id is not None:
            requests += [_membership_put(app, segment_id, endpoint_id)
                         for endpoint_id in dict.fromkeys(endpoint_id for _, endpoint_id, _ in entries)]  # fmt: skip
        self._batch_write(requests)
        return _message_body(request_id)

    def update_endpoint(self, *, ApplicationId: str, EndpointId: str, EndpointRequest: Mapping[str, Any]) -> dict:
        """Pinpoint ``UpdateEndpoint``: create or merge one endpoint; returns the ``MessageBody`` shape."""
        app = _key_part(ApplicationId, "ApplicationId")
        endpoint_id = _key_part(EndpointId, "EndpointId")
        request = _clean_request(EndpointRequest, "EndpointRequest", _REQUEST_FIELDS)
        request_id = str(uuid.uuid4())
        self._write_endpoints(self._prepare(app, [("EndpointRequest", endpoint_id, request)], request_id))
        return _message_body(request_id)

    def get_endpoint(self, *, ApplicationId: str, EndpointId: str) -> dict:
        """Pinpoint ``GetEndpoint``: ``{"EndpointResponse": {...}}``; :class:`NotFoundError` when missing."""
        app = _key_part(ApplicationId, "ApplicationId")
        endpoint_id = _key_part(EndpointId, "EndpointId")
        item = self._get_items(app, [endpoint_id]).get(endpoint_id)
        if item is None:
            raise _not_found(app, endpoint_id)
        return {"EndpointResponse": item["endpoint"]}

    def delete_endpoint(self, *, ApplicationId: str, EndpointId: str) -> dict:
        """Pinpoint ``DeleteEndpoint``: removes the endpoint and its segment membership; returns it."""
        app = _key_part(ApplicationId, "ApplicationId")
        endpoint_id = _key_part(EndpointId, "EndpointId")
        item = self._get_items(app, [endpoint_id]).get(endpoint_id)
        if item is None:
            raise _not_found(app, endpoint_id)
        self._batch_write(_delete_requests(app, endpoint_id, item))
        return {"EndpointResponse": item["endpoint"]}

    def get_user_endpoints(self, *, ApplicationId: str, UserId: str) -> dict:
        """Pinpoint ``GetUserEndpoints`` (query of the ``by_user`` GSI, all pages); an unknown user has no items."""
        app = _key_part(ApplicationId, "ApplicationId")
        user_id = _key_part(UserId, "UserId")
        return {"EndpointsResponse": {"Item": [item["endpoint"] for item in self._user_items(app, user_id)]}}

    def delete_user_endpoints(self, *, ApplicationId: str, UserId: str) -> dict:
        """Pinpoint ``DeleteUserEndpoints`` (GDPR erasure): deletes every endpoint of the user and its static
        segment membership items; returns the deleted endpoints."""
        app = _key_part(ApplicationId, "ApplicationId")
        user_id = _key_part(UserId, "UserId")
        items = list(self._user_items(app, user_id))
        requests: list[dict] = []
        for item in items:
            requests.extend(_delete_requests(app, item["endpoint"]["Id"], item))
        self._batch_write(requests)
        return {"EndpointsResponse": {"Item": [item["endpoint"] for item in items]}}

    def put_events(self, *, ApplicationId: str, EventsRequest: Mapping[str, Any]) -> dict:
        """Pinpoint ``PutEvents``: merge each ``BatchItem[<endpoint id>].Endpoint`` into the store and forward
        the events to ``event_writer.put_events`` (which validates them and answers per event).

        ``EndpointItemResponse`` reflects the store update: 202 ``Accepted``, or 400 with a message naming the
        field (an empty ``Endpoint`` is not written and answers 202). Raises :class:`EndpointStoreError` when the
        request carries events but no event writer is configured, ``ValueError`` for a malformed envelope.
        """
        app = _key_part(ApplicationId, "ApplicationId")
        batch = EventsRequest.get("BatchItem") if isinstance(EventsRequest, Mapping) else None
        if not isinstance(batch, Mapping) or not batch:
            raise EndpointValidationError("EventsRequest.BatchItem", "is required and must be a non-empty object")
        if len(batch) > MAX_BATCH_ITEMS:
            raise EndpointValidationError(
                "EventsRequest.BatchItem", f"has {len(batch)} entries; the limit is {MAX_BATCH_ITEMS}"
            )
        has_events = any(isinstance(entry, Mapping) and entry.get("Events") for entry in batch.values())
        if has_events and self.event_writer is None:
            raise EndpointStoreError(
                "put_events received events but this EndpointStore has no event_writer; pass "
                "event_writer=EventStreamWriter(...) to forward them to the event stream"
            )
        if self.event_writer is not None:
            response = self.event_writer.put_events({"ApplicationId": app, "EventsRequest": EventsRequest})
            results = response["EventsResponse"]["Results"]
        else:
            results = {str(endpoint_id): {"EventsItemResponse": {}} for endpoint_id in batch}
        request_id = str(uuid.uuid4())
        prepared: list[dict] = []
        for endpoint_id, entry in batch.items():
            outcome = {"StatusCode": 202, "Message": "Accepted"}
            endpoint = entry.get("Endpoint") if isinstance(entry, Mapping) else None
            if endpoint:
                prefix = f"EventsRequest.BatchItem[{endpoint_id}].Endpoint"
                try:
                    key = _key_part(endpoint_id, f"EventsRequest.BatchItem[{endpoint_id}]")
                    request = _clean_request(endpoint, prefix, _REQUEST_FIELDS)
                    prepared.extend(self._prepare(app, [(prefix, key, request)], request_id))
                except EndpointValidationError as error:
                    outcome = {"StatusCode": 400, "Message": str(error)}
            results.setdefault(str(endpoint_id), {"EventsItemResponse": {}})["EndpointItemResponse"] = outcome
        self._write_endpoints(prepared)
        return {"EventsResponse": {"Results": results}}

    # ----------------------------------------------------------------------------------------- preparation

    def _prepare(
        self, app: str, entries: list[tuple[str, str, dict]], request_id: str, *, segment_id: str | None = None
    ) -> list[dict]:
        """Merge validated requests into the stored endpoints (and, with ``segment_id``, into that segment's
        membership set); returns the items to write (no writes here)."""
        now = iso_utc(self._clock())
        existing = self._get_items(app, list(dict.fromkeys(endpoint_id for _, endpoint_id, _ in entries)))
        states: dict[str, dict] = {}
        prefixes: dict[str, str] = {}
        for prefix, endpoint_id, request in entries:
            previous = states.get(endpoint_id)
            if previous is None:
                stored = existing.get(endpoint_id)
                previous = {**stored, "endpoint": dict(stored["endpoint"])} if stored else None
            endpoint = _merge(previous["endpoint"] if previous else None, request)
            endpoint.update(ApplicationId=app, Id=endpoint_id)
            endpoint.setdefault("CreationDate", now)
            endpoint["EffectiveDate"] = request.get("EffectiveDate") or now
            endpoint["RequestId"] = request.get("RequestId") or request_id
            endpoint.setdefault("OptOut", "NONE")
            endpoint.setdefault("EndpointStatus", "ACTIVE")
            endpoint.setdefault("User", {})
            endpoint["CohortId"] = str(int(hashlib.sha256(endpoint_id.encode()).hexdigest(), 16) % 100)
            self._finish(endpoint, prefix, request)
            extras = {k: v for k, v in (previous or {}).items() if k in ("segments", "expires_at")}
            if segment_id is not None:
                extras["segments"] = {*(extras.get("segments") or ()), segment_id}
            states[endpoint_id] = {**extras, "endpoint": endpoint}
            prefixes[endpoint_id] = prefix
        self._check_user_limits(app, states, prefixes, existing)
        return [_to_item(app, state) for state in states.values()]

    def _finish(self, endpoint: dict, prefix: str, request: Mapping[str, Any]) -> None:
        """Whole-endpoint checks after the merge: ChannelType and Address present, Address normalised."""
        if not endpoint.get("ChannelType"):
            raise EndpointValidationError(f"{prefix}.ChannelType", "is required for a new endpoint")
        if not endpoint.get("Address"):
            raise EndpointValidationError(f"{prefix}.Address", "is required for a new endpoint")
        field = f"{prefix}.Address" if "Address" in request else f"{prefix}.ChannelType"
        endpoint["Address"] = _normalise_address(
            endpoint["ChannelType"], endpoint["Address"], field, self.default_country
        )
        if len(_json_bytes(endpoint)) > MAX_ENDPOINT_JSON_BYTES:
            raise EndpointValidationError(prefix, f"is larger than {MAX_ENDPOINT_JSON_BYTES:,} bytes")

    def _check_user_limits(
        self, app: str, states: Mapping[str, dict], prefixes: Mapping[str, str], existing: Mapping[str, dict]
    ) -> None:
        new_users: dict[str, list[str]] = {}
        for endpoint_id, state in states.items():
            user_id = state["endpoint"].get("User", {}).get("UserId")
            if user_id:
                new_users.setdefault(user_id, []).append(endpoint_id)
        stored_members = self._members_of_users(app, list(new_users))
        for user_id, endpoint_ids in new_users.items():  # in batch order: the same item is named every time
            members = {m for m in stored_members[user_id] if m not in states} | set(endpoint_ids)
            if len(members) > self.max_endpoints_per_user:

                def stored_user(i: str) -> Any:
                    return (existing.get(i) or {}).get("endpoint", {}).get("User", {}).get("UserId")

                culprit = next((i for i in endpoint_ids if stored_user(i) != user_id), endpoint_ids[-1])
                raise EndpointValidationError(
                    f"{prefixes[culprit]}.User.UserId",
                    f"the user would have {len(members)} endpoints; the limit is {self.max_endpoints_per_user}",
                )

    def _members_of_users(self, app: str, user_ids: list[str]) -> dict[str, set[str]]:
        """The stored endpoint ids of each user (one index Query each, up to ``user_lookup_threads`` at once)."""

        def members(user_id: str) -> set[str]:
            return {_endpoint_id_of(item) for item in self._user_items(app, user_id, keys_only=True)}

        if len(user_ids) < 2 or self.user_lookup_threads < 2:
            return {user_id: members(user_id) for user_id in user_ids}
        with self._lookup_pool_lock:
            if self._lookup_pool is None:  # one pool per store (a warm Lambda keeps it)
                self._lookup_pool = ThreadPoolExecutor(self.user_lookup_threads, thread_name_prefix="user-lookup")
        return dict(zip(user_ids, self._lookup_pool.map(members, user_ids), strict=True))


# --------------------------------------------------------------------------------------------- helpers


def _message_body(request_id: str) -> dict:
    return {"MessageBody": {"Message": "Accepted", "RequestID": request_id}}


def _json_bytes(value: Any) -> bytes:
    import json  # noqa: PLC0415

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

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
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import from_item, to_item, typed_value, without_decimals
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.core.timestamps import iso_utc
from pinpoint_runtime.events.records import to_epoch_ms
from pinpoint_runtime.events.stream import EventStreamSettings, EventStreamWriter
from pinpoint_runtime.phone import PhoneNumberError, parse_phone_number


@dataclass(frozen=True, kw_only=True)
class EndpointStoreSettings(FunctionSettings):
    """What a function bound to the store reads (``EndpointStore.bind`` of the construct writes it)."""

    construct: ClassVar[str] = "EndpointStore"
    table_name: str = variable("ENDPOINT_STORE_TABLE", doc="the endpoint store's DynamoDB table")


"""Environment variable holding the table name (the construct sets it on functions it grants access to)."""

USER_INDEX = "by_user"
ENDPOINT_SK = "ENDPOINT"
SEGMENT_SK = "SEGMENT"

CHANNEL_TYPES = frozenset(
    {
        "PUSH",
        "GCM",
        "APNS",
        "APNS_SANDBOX",
        "APNS_VOIP",
        "APNS_VOIP_SANDBOX",
        "ADM",
        "SMS",
        "VOICE",
        "EMAIL",
        "BAIDU",
        "CUSTOM",
        "IN_APP",
    }
)
"""Pinpoint's ``ChannelType`` enum (botocore ``pinpoint`` model)."""

PHONE_CHANNELS = frozenset({"SMS", "VOICE"})
OPT_OUT_VALUES = frozenset({"ALL", "NONE"})
ENDPOINT_STATUS_VALUES = frozenset({"ACTIVE", "INACTIVE"})

MAX_BATCH_ITEMS = 100
"""Pinpoint limit: items per ``EndpointBatchRequest``."""
MAX_ATTRIBUTE_NAME_LENGTH = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 100
MAX_ENDPOINTS_PER_USER = 10
MAX_ADDRESS_LENGTH = 2048
MAX_ENDPOINT_JSON_BYTES = 300_000
"""Keeps an endpoint item well under DynamoDB's 400 KB item limit."""

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 5.0
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)

_DEMOGRAPHIC_FIELDS = frozenset(
    {"AppVersion", "Locale", "Make", "Model", "ModelVersion", "Platform", "PlatformVersion", "Timezone"}
)
_LOCATION_TEXT_FIELDS = frozenset({"City", "Country", "PostalCode", "Region"})
_LOCATION_RANGES = {"Latitude": 90.0, "Longitude": 180.0}
_REQUEST_FIELDS = frozenset(
    {
        "Address",
        "Attributes",
        "ChannelType",
        "Demographic",
        "EffectiveDate",
        "EndpointStatus",
        "Location",
        "Metrics",
        "OptOut",
        "RequestId",
        "User",
    }
)
_BATCH_ITEM_FIELDS = _REQUEST_FIELDS | {"Id"}
_USER_FIELDS = frozenset({"UserId", "UserAttributes"})
# DynamoDB numbers: magnitude 1E-130 .. 9.9999...E+125, 38 significant digits.
_DYNAMO_MIN, _DYNAMO_MAX = 1e-130, 9.9e125


class EndpointValidationError(ValueError):
    """A request Pinpoint would answer with 400 BadRequest. ``field`` is the path, e.g.
    ``EndpointBatchRequest.Item[3].Address``; the message names the field and never echoes an address."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class NotFoundError(LookupError):
    """The endpoint does not exist (Pinpoint's 404 NotFoundException, message ``Resource not found``)."""


class EndpointStoreError(RuntimeError):
    """Configuration problems and writes DynamoDB still refused after all attempts."""


class EndpointStoreWriteError(EndpointStoreError):
    """Some writes were not applied after ``max_attempts``; ``written`` and ``failed`` are item counts."""

    def __init__(self, *, written: int, failed: int, max_attempts: int) -> None:
        self.written = written
        self.failed = failed
        super().__init__(
            f"{failed} DynamoDB write(s) not applied after up to {max_attempts} attempt(s) ({written} applied)"
        )


class EndpointStore:
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

    def add_to_segment(self, *, ApplicationId: str, SegmentId: str, EndpointIds: Iterable[str]) -> dict:
        """Add existing endpoints to a static segment (membership items plus the endpoint's ``segments`` set).

        Raises :class:`NotFoundError` (nothing written) if any endpoint does not exist.
        Returns ``{"SegmentId": ..., "EndpointIds": [...]}``.
        """
        app = _key_part(ApplicationId, "ApplicationId")
        segment_id = _key_part(SegmentId, "SegmentId")
        if isinstance(EndpointIds, str):
            raise EndpointValidationError("EndpointIds", "must be a list of endpoint ids")
        ids = list(dict.fromkeys(_key_part(value, f"EndpointIds[{i}]") for i, value in enumerate(EndpointIds)))
        existing = self._get_items(app, ids)
        missing = [endpoint_id for endpoint_id in ids if endpoint_id not in existing]
        if missing:
            raise _not_found(app, missing[0])
        for endpoint_id in ids:
            self._call(
                "update_item",
                TableName=self.table_name,
                Key=_endpoint_key(app, endpoint_id),
                UpdateExpression="ADD #segments :s",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#segments": "segments"},
                ExpressionAttributeValues={":s": {"SS": [segment_id]}},
            )
        self._batch_write([_membership_put(app, segment_id, endpoint_id) for endpoint_id in ids])
        return {"SegmentId": segment_id, "EndpointIds": ids}

    def batch_get_endpoints(self, *, ApplicationId: str, EndpointIds: Iterable[str]) -> dict[str, dict]:
        """``{endpoint id: EndpointResponse}`` for the ids that exist (consistent BatchGetItem, 100 keys per call);
        missing ids are simply absent (a segment member deleted since it was added)."""
        app = _key_part(ApplicationId, "ApplicationId")
        if isinstance(EndpointIds, str):
            raise EndpointValidationError("EndpointIds", "must be a list of endpoint ids")
        ids = list(dict.fromkeys(_key_part(value, f"EndpointIds[{i}]") for i, value in enumerate(EndpointIds)))
        return {endpoint_id: item["endpoint"] for endpoint_id, item in self._get_items(app, ids).items()}

    def segment_endpoint_ids(self, *, ApplicationId: str, SegmentId: str) -> Iterator[str]:
        """The endpoint ids of a static segment (paginated ``Query`` of its membership items)."""
        app = _key_part(ApplicationId, "ApplicationId")
        segment_id = _key_part(SegmentId, "SegmentId")
        query = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": _segment_pk(app, segment_id)}, ":prefix": {"S": "ENDPOINT#"}},
        }
        for item in self._query(query):
            yield item["sk"]["S"][len("ENDPOINT#") :]

    def put_segment(
        self,
        *,
        ApplicationId: str,
        SegmentId: str,
        Name: str,
        ImportDefinition: Mapping[str, Any] | None = None,
        EndpointList: Mapping[str, Any] | None = None,
    ) -> dict:
        """Create or replace a static segment's record; returns ``{"SegmentResponse": {...}}``.

        The record has Pinpoint's ``SegmentResponse`` shape (``Id``, ``Name``, ``ApplicationId``, ``SegmentType``
        ``"IMPORT"``, ``ImportDefinition`` (``Format``, ``S3Url``, ``Size``, ``ChannelCounts``, ...),
        ``CreationDate`` kept across updates, ``LastModifiedDate``, ``Version`` counting the updates) plus the
        extension ``EndpointList`` (``{"S3Url": ..., "Count": ...}``: where the members are listed for the
        campaign engine). Membership itself is :meth:`add_to_segment`.
        """
        app = _key_part(ApplicationId, "ApplicationId")
        segment_id = _key_part(SegmentId, "SegmentId")
        name = _check_text(Name, "Name", 256)
        if not name.strip():
            raise EndpointValidationError("Name", "must not be empty")
        key = {"pk": {"S": _segment_pk(app, segment_id)}, "sk": {"S": SEGMENT_SK}}
        stored = self._call("get_item", TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        previous = _from_item(stored).get("segment") if stored else None
        now = iso_utc(self._clock())
        segment: dict[str, Any] = {
            "ApplicationId": app,
            "Id": segment_id,
            "Name": name,
            "SegmentType": "IMPORT",
            "CreationDate": (previous or {}).get("CreationDate", now),
            "LastModifiedDate": now,
            "Version": int((previous or {}).get("Version", 0)) + 1,
        }
        if ImportDefinition is not None:
            segment["ImportDefinition"] = dict(ImportDefinition)
        if EndpointList is not None:
            segment["EndpointList"] = dict(EndpointList)
        item = {**key, "segment": typed_value(segment)}
        self._call("put_item", TableName=self.table_name, Item=item)
        return {"SegmentResponse": segment}

    def get_segment(self, *, ApplicationId: str, SegmentId: str) -> dict:
        """Pinpoint ``GetSegment`` for a segment recorded with :meth:`put_segment`; :class:`NotFoundError`
        when there is no record."""
        app = _key_part(ApplicationId, "ApplicationId")
        segment_id = _key_part(SegmentId, "SegmentId")
        key = {"pk": {"S": _segment_pk(app, segment_id)}, "sk": {"S": SEGMENT_SK}}
        stored = self._call("get_item", TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        if not stored:
            raise NotFoundError(f"Resource not found (segment {segment_id} of application {app})")
        return {"SegmentResponse": _from_item(stored)["segment"]}

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

    # ----------------------------------------------------------------------------------------- DynamoDB

    def _call(self, operation: str, **kwargs: Any) -> dict:
        """One DynamoDB call, retried on throttling/5xx codes with jittered backoff (bounded attempts)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        for attempt in range(1, self.max_attempts + 1):
            try:
                return getattr(self.client, operation)(**kwargs)
            except ClientError as error:
                code = error_code(error)
                if code not in RETRYABLE_ERROR_CODES or attempt == self.max_attempts:
                    raise
            self._sleep(_backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_items(self, app: str, endpoint_ids: list[str]) -> dict[str, dict]:
        """{endpoint id: plain item} for the ids that exist (BatchGetItem, 100 keys per call, consistent)."""
        found: dict[str, dict] = {}
        for start in range(0, len(endpoint_ids), 100):
            pending: Any = {
                self.table_name: {
                    "Keys": [_endpoint_key(app, i) for i in endpoint_ids[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(_backoff(attempt - 1))
                response = self._call("batch_get_item", RequestItems=pending)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = _from_item(raw)
                    found[item["endpoint"]["Id"]] = item
                pending = response.get("UnprocessedKeys") or {}
                if not pending.get(self.table_name, {}).get("Keys"):
                    break
            else:
                raise EndpointStoreError(f"DynamoDB left keys unprocessed after {self.max_attempts} attempt(s)")
        return found

    def _query(self, query: dict) -> Iterator[dict]:
        request = dict(query)
        while True:
            response = self._call("query", **request)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def _user_items(self, app: str, user_id: str, *, keys_only: bool = False) -> Iterator[dict]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": USER_INDEX,
            "KeyConditionExpression": "user_key = :u",
            "ExpressionAttributeValues": {":u": {"S": _user_key(app, user_id)}},
        }
        if keys_only:
            query["ProjectionExpression"] = "pk"
            yield from self._query(query)
            return
        for raw in self._query(query):
            yield _from_item(raw)

    def _write_endpoints(self, items: list[dict]) -> None:
        self._batch_write([{"PutRequest": {"Item": item}} for item in items])

    def _batch_write(self, requests: list[dict]) -> None:
        """BatchWriteItem in chunks of 25, retrying UnprocessedItems with jittered backoff (bounded)."""
        written = 0
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(_backoff(attempt - 1))
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                unprocessed = (response.get("UnprocessedItems") or {}).get(self.table_name) or []
                written += len(pending) - len(unprocessed)
                pending = unprocessed
                if not pending:
                    break
            else:
                raise EndpointStoreWriteError(
                    written=written, failed=len(requests) - written, max_attempts=self.max_attempts
                )


# --------------------------------------------------------------------------------------------- validation


def validate_endpoint_request(
    request: object,
    field_prefix: str,
    *,
    default_country: str = "US",
    normalise_address: bool = True,
    require_id: bool = False,
) -> dict[str, Any]:
    """Public form of the checks :meth:`EndpointStore.update_endpoints_batch` applies to one ``EndpointBatchItem``
    (``_clean_request`` over the batch-item fields; ``Id`` checked with the key rules when present or required),
    plus, when ``normalise_address`` and both ``ChannelType`` and ``Address`` are present, the address
    normalisation applied when the endpoint is written (E.164 for SMS/VOICE read in ``default_country``, email
    syntax for EMAIL). Raises :class:`EndpointValidationError` naming ``<field_prefix>.<field>``; returns a
    normalised copy (``Id`` included when given). Reused by :mod:`pinpoint_runtime.audience.endpoint_import`."""
    clean = _clean_request(request, field_prefix, _BATCH_ITEM_FIELDS)
    endpoint_id = request.get("Id")  # type: ignore[union-attr]  # a Mapping after _clean_request
    if endpoint_id is not None or require_id:
        clean["Id"] = _key_part(endpoint_id, f"{field_prefix}.Id")
    if normalise_address and clean.get("ChannelType") and clean.get("Address"):
        clean["Address"] = _normalise_address(
            clean["ChannelType"], clean["Address"], f"{field_prefix}.Address", default_country
        )
    return clean


def normalise_address(channel: str, address: str, field: str, *, default_country: str = "US") -> str:
    """Public form of the write-time address normalisation (E.164 for SMS/VOICE, email syntax for EMAIL)."""
    return _normalise_address(channel, address, field, default_country)


def _key_part(value: object, field: str) -> str:
    """Ids used in keys: non-empty strings without '#' (the key separator)."""
    if not isinstance(value, str) or not value.strip():
        raise EndpointValidationError(field, "is required and must be a non-empty string")
    if "#" in value:
        raise EndpointValidationError(field, "must not contain '#'")
    _check_text(value, field, 1024)
    return value


def _check_text(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise EndpointValidationError(field, "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EndpointValidationError(field, "must be valid Unicode text") from None
    if max_length is not None and len(value) > max_length:
        raise EndpointValidationError(field, f"is {len(value)} characters; the limit is {max_length}")
    return value


def _clean_request(request: object, prefix: str, allowed: frozenset[str]) -> dict[str, Any]:
    """Validate the fields present in an EndpointRequest/EndpointBatchItem; returns a normalised copy."""
    if not isinstance(request, Mapping):
        raise EndpointValidationError(prefix, "must be an object")
    clean: dict[str, Any] = {}
    for key, value in request.items():
        field = f"{prefix}.{key}"
        if key not in allowed:
            raise EndpointValidationError(field, "is not a field of this request")
        if value is None or key == "Id":
            continue
        if key == "ChannelType":
            if value not in CHANNEL_TYPES:
                raise EndpointValidationError(field, f"must be one of {', '.join(sorted(CHANNEL_TYPES))}")
        elif key == "Address":
            _check_text(value, field, MAX_ADDRESS_LENGTH)
            value = value.strip()
            if not value:
                raise EndpointValidationError(field, "must not be empty")
        elif key == "OptOut":
            if value not in OPT_OUT_VALUES:
                raise EndpointValidationError(field, "must be ALL or NONE")
        elif key == "EndpointStatus":
            if value not in ENDPOINT_STATUS_VALUES:
                raise EndpointValidationError(field, "must be ACTIVE or INACTIVE")
        elif key == "EffectiveDate":
            if not isinstance(value, str) or to_epoch_ms(value) is None:
                raise EndpointValidationError(field, "must be an ISO 8601 date-time")
        elif key == "RequestId":
            _check_text(value, field, 1024)
        elif key == "Attributes":
            value = _clean_attributes(value, field)
        elif key == "Metrics":
            value = _clean_metrics(value, field)
        elif key == "User":
            value = _clean_user(value, field)
        elif key == "Demographic":
            value = _clean_struct(value, field, _DEMOGRAPHIC_FIELDS)
        elif key == "Location":
            value = _clean_location(value, field)
        clean[key] = value
    return clean


def _clean_name(name: object, field: str) -> str:
    if not isinstance(name, str) or not name:
        raise EndpointValidationError(field, "names must be non-empty strings")
    _check_text(name, field)
    if len(name) > MAX_ATTRIBUTE_NAME_LENGTH:
        raise EndpointValidationError(
            field, f"has a name of {len(name)} characters; the limit is {MAX_ATTRIBUTE_NAME_LENGTH}"
        )
    return name


def _clean_attributes(value: object, field: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be a map of string lists")
    clean = {}
    for name, values in value.items():
        _clean_name(name, field)
        item_field = f"{field}[{name}]"
        if not isinstance(values, (list, tuple)):
            raise EndpointValidationError(item_field, "must be a list of strings")
        for entry in values:
            _check_text(entry, item_field, MAX_ATTRIBUTE_VALUE_LENGTH)
        clean[name] = list(values)
    return clean


def _clean_metrics(value: object, field: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be a map of numbers")
    clean = {}
    for name, number in value.items():
        _clean_name(name, field)
        clean[name] = _number(number, f"{field}[{name}]")
    return clean


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise EndpointValidationError(field, "must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise EndpointValidationError(field, "is out of range") from None
    if not math.isfinite(number) or abs(number) >= _DYNAMO_MAX or (number != 0 and abs(number) < _DYNAMO_MIN):
        raise EndpointValidationError(field, "must be a finite number within DynamoDB's range")
    return number


def _clean_user(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _USER_FIELDS:
            raise EndpointValidationError(f"{field}.{key}", "is not a field of EndpointUser")
        if item is None:
            continue
        if key == "UserId":
            clean[key] = _key_part(item, f"{field}.UserId")
        else:
            clean[key] = _clean_attributes(item, f"{field}.UserAttributes")
    return clean


def _clean_struct(value: object, field: str, fields: frozenset[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    clean = {}
    for key, item in value.items():
        if key not in fields:
            raise EndpointValidationError(f"{field}.{key}", "is not a known field")
        if item is not None:
            clean[key] = _check_text(item, f"{field}.{key}", 1024)
    return clean


def _clean_location(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    text = {k: v for k, v in value.items() if k not in _LOCATION_RANGES}
    clean: dict[str, Any] = _clean_struct(text, field, _LOCATION_TEXT_FIELDS)
    for key, limit in _LOCATION_RANGES.items():
        if value.get(key) is None:
            continue
        number = _number(value[key], f"{field}.{key}")
        if not -limit <= number <= limit:
            raise EndpointValidationError(f"{field}.{key}", f"must be between -{limit:g} and {limit:g}")
        clean[key] = number
    return clean


def _normalise_address(channel: str, address: str, field: str, default_country: str) -> str:
    """SMS/VOICE -> E.164 (national numbers read in ``default_country``); EMAIL -> syntax check."""
    if channel in PHONE_CHANNELS:
        try:
            return parse_phone_number(address, default_country)
        except PhoneNumberError as error:
            raise EndpointValidationError(field, f"{error.problem} (channel {channel})") from None
    if channel == "EMAIL" and not _looks_like_email(address):
        raise EndpointValidationError(field, "is not a valid email address (channel EMAIL)")
    return address


def _looks_like_email(address: str) -> bool:
    """Pragmatic: one '@', local part 1-64 chars, a dotted domain of non-empty labels, no spaces/controls."""
    if len(address) > 254 or address.count("@") != 1 or any(c.isspace() or ord(c) < 32 for c in address):
        return False
    local, domain = address.split("@")
    labels = domain.split(".")
    return (
        0 < len(local) <= 64
        and len(labels) >= 2
        and all(0 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-") for label in labels)
    )


def _merge(stored: dict | None, request: Mapping[str, Any]) -> dict[str, Any]:
    """Pinpoint merge: fields replace, Attributes/Metrics/User.UserAttributes merge key by key ([] removes)."""
    merged = dict(stored or {})
    for key, value in request.items():
        if key in ("Attributes", "Metrics"):
            merged[key] = _merge_map(merged.get(key), value)
        elif key == "User":
            user = dict(merged.get("User") or {})
            if "UserId" in value:
                user["UserId"] = value["UserId"]
            if "UserAttributes" in value:
                user["UserAttributes"] = _merge_map(user.get("UserAttributes"), value["UserAttributes"])
            merged["User"] = user
        else:
            merged[key] = value
    return merged


def _merge_map(stored: Mapping | None, update: Mapping) -> dict:
    merged = dict(stored or {})
    for key, value in update.items():
        if value == []:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --------------------------------------------------------------------------------------------- items


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


# --------------------------------------------------------------------------------------------- helpers


def _message_body(request_id: str) -> dict:
    return {"MessageBody": {"Message": "Accepted", "RequestID": request_id}}


def _not_found(app: str, endpoint_id: str) -> NotFoundError:
    return NotFoundError(f"Resource not found: endpoint {endpoint_id!r} in application {app!r}")


def _json_bytes(value: Any) -> bytes:
    import json  # noqa: PLC0415

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _backoff(retry: int) -> float:
    return full_jitter_backoff(retry, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS)

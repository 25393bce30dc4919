"""Static segments of the endpoint store: membership items, the endpoints' ``segments`` sets and the segment's
record (Pinpoint's ``SegmentResponse`` shape); :class:`StaticSegments` is a base class of
:class:`~pinpoint_runtime.audience.store.EndpointStore`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pinpoint_runtime.audience.endpoint_items import SEGMENT_SK, _endpoint_key, _from_item, _membership_put, _segment_pk
from pinpoint_runtime.audience.endpoint_request import EndpointValidationError, _check_text, _key_part
from pinpoint_runtime.audience.endpoint_table import EndpointTable, NotFoundError, _not_found
from pinpoint_runtime.core.dynamodb_items import typed_value
from pinpoint_runtime.core.timestamps import iso_utc


class StaticSegments(EndpointTable):
    """The static-segment methods of the endpoint store (``_clock``: the store's clock)."""

    _clock: Callable[[], float]

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

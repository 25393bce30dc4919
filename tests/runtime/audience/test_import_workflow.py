"""pinpoint_runtime.audience.import_workflow pieces: execution names, settings, notifications (SNS + lake), line types,
streaming concatenation, store refusals, failure reasons."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.audience.import_workflow import (
    ImportNotifier,
    ImportRetryableError,
    ImportSettings,
    ImportSource,
    PhoneLineTypes,
    concatenate_objects,
    failure_reason,
    import_execution_name,
    write_endpoints,
)
from pinpoint_runtime.audience.store import EndpointValidationError

NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


@settings(max_examples=200, deadline=None)
@given(
    bucket=st.from_regex(r"[a-z0-9][a-z0-9.-]{2,20}", fullmatch=True),
    key=st.text(min_size=1, max_size=300),
    version=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
    etag=st.from_regex(r"[0-9a-f]{32}(-[0-9]{1,3})?", fullmatch=True),
)
def test_execution_names_are_valid_and_change_with_every_part_of_the_identity(bucket, key, version, etag):
    source = ImportSource(bucket, key, version, etag)
    name = import_execution_name(source)
    assert NAME.fullmatch(name), name
    assert import_execution_name(ImportSource(bucket, key, version, etag)) == name  # redelivery: same name
    assert import_execution_name(ImportSource(bucket, key + "x", version, etag)) != name
    assert import_execution_name(ImportSource(bucket, key, (version or "") + "v", etag)) != name
    assert import_execution_name(ImportSource(bucket, key, version, etag + "0")) != name
    assert import_execution_name(ImportSource(bucket + "x", key, version, etag)) != name


def test_execution_names_keep_a_readable_file_stem():
    name = import_execution_name(ImportSource("b", "incoming/2026/Spring list (final).csv", None, "abc"))
    assert name.startswith("Spring-list-final-") and len(name) == len("Spring-list-final-") + 32


def test_source_from_an_eventbridge_event_and_bad_events():
    event = {
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": "b"},
            "object": {"key": "incoming/a.csv", "etag": '"e1"', "size": 10, "version-id": "v1"},
        },
    }
    assert ImportSource.from_event(event) == ImportSource("b", "incoming/a.csv", "v1", "e1", 10)
    for bad, problem in (
        ([], "not a JSON object"),
        ({"source": "aws.sqs", "detail": {}}, "not an S3 event"),
        ({"source": "aws.s3", "detail": {"object": {"key": "k"}}}, "bucket.name"),
        ({"source": "aws.s3", "detail": {"bucket": {"name": "b"}, "object": {}}}, "object.key"),
    ):
        with pytest.raises(ValueError, match=problem):
            ImportSource.from_event(bad)


def test_settings_from_the_environment():
    settings_ = ImportSettings.from_environment(
        {
            "IMPORT_RESULTS_BUCKET": "b",
            "IMPORT_RESULTS_PREFIX": "r",
            "IMPORT_PHONE_LINE_TYPES": "mobile, VOIP",
            "IMPORT_DEFINE_SEGMENT": "true",
            "IMPORT_STRIP_PII_FROM_REJECTS": "false",
            "IMPORT_ROWS_PER_CHUNK": "500",
        }
    )
    assert settings_.results_prefix == "r/" and settings_.line_types == {"MOBILE", "VOIP"}
    assert settings_.define_segment and not settings_.strip_pii_from_rejects and settings_.rows_per_chunk == 500
    assert (
        ImportSettings.from_environment({"IMPORT_RESULTS_BUCKET": "b", "IMPORT_PHONE_LINE_TYPES": "*"}).line_types
        == frozenset()
    )
    assert ImportSettings.from_environment({"IMPORT_RESULTS_BUCKET": "b"}).line_types is None
    with pytest.raises(RuntimeError, match="IMPORT_RESULTS_BUCKET"):
        ImportSettings.from_environment({})


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        self.published.append(kwargs)
        return {"MessageId": "1"}


class FakeWriter:
    def __init__(self, status: int = 202) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = status

    def put_events(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        results = {}
        for endpoint_id, item in request["EventsRequest"]["BatchItem"].items():
            results[endpoint_id] = {"EventsItemResponse": {k: {"StatusCode": self.status} for k in item["Events"]}}
        return {"EventsResponse": {"Results": results}}


def test_notifications_go_to_the_topic_and_into_the_lake_as_import_events():
    sns, writer = FakeSns(), FakeWriter()
    notifier = ImportNotifier("arn:aws:sns:us-east-1:1:t", application_id="app", sns_client=sns, event_writer=writer)
    notifier.publish(
        "succeeded",
        {
            "import_id": "list-abc",
            "file": "Crème brûlée list\n.csv",
            "rows": 10,
            "imported": 9,
            "rejected": 1,
            "segment": {"id": "s1", "name": "list"},
            "channels": {"SMS": 9},
        },
    )
    (published,) = sns.published
    assert published["MessageAttributes"]["notification_type"]["StringValue"] == "succeeded"
    assert published["Subject"] == "Endpoint import succeeded: Cr?me br?l?e list?.csv"  # ASCII, one line
    assert json.loads(published["Message"])["imported"] == 9
    (request,) = writer.requests
    assert request["ApplicationId"] == "app"
    event = request["EventsRequest"]["BatchItem"]["list-abc"]["Events"]["succeeded"]
    assert event["EventType"] == "_import.succeeded"
    assert event["Metrics"] == {"rows": 10.0, "imported": 9.0, "rejected": 1.0}
    assert event["Attributes"]["segment_id"] == "s1" and "channels" not in event["Attributes"]
    with pytest.raises(ValueError, match="notification_type"):
        notifier.publish("done", {})


def test_a_lake_event_the_stream_refuses_is_an_error_not_silence():
    notifier = ImportNotifier(None, application_id="app", event_writer=FakeWriter(status=500))
    with pytest.raises(ImportRetryableError, match="not accepted"):
        notifier.publish("started", {"import_id": "x"})


class FakePinpoint:
    def __init__(self, types: dict[str, str], throttles: int = 0) -> None:
        self.types, self.throttles, self.calls = types, throttles, 0

    def phone_number_validate(self, NumberValidateRequest: dict[str, str]) -> dict[str, Any]:
        self.calls += 1
        if self.throttles:
            self.throttles -= 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException"}}, "PhoneNumberValidate")
        return {"NumberValidateResponse": {"PhoneType": self.types[NumberValidateRequest["PhoneNumber"]]}}


def test_line_types_reject_invalid_and_disallowed_numbers_and_cache_lookups():
    client = FakePinpoint({"+1": "MOBILE", "+2": "LANDLINE", "+3": "INVALID"}, throttles=2)
    check = PhoneLineTypes(frozenset({"MOBILE"}), client=client, sleep=lambda s: None)
    item = {"Address": "+1"}
    assert check.check(item) is None and item["Attributes"]["PhoneType"] == ["MOBILE"]
    assert check.check({"Address": "+2"}) == "line type LANDLINE is not allowed (allowed: MOBILE)"
    assert "INVALID" in check.check({"Address": "+3"})
    assert check.check({"Address": "+1"}) is None
    assert client.calls == 2 + 3  # two throttled attempts, then one lookup per distinct number
    any_type = PhoneLineTypes(frozenset(), client=FakePinpoint({"+2": "LANDLINE"}))
    assert any_type.check({"Address": "+2"}) is None


def test_line_type_throttling_beyond_the_retries_asks_step_functions_to_retry():
    check = PhoneLineTypes(frozenset(), client=FakePinpoint({}, throttles=99), max_attempts=3, sleep=lambda s: None)
    with pytest.raises(ImportRetryableError, match="TooManyRequestsException"):
        check.check({"Address": "+1"})


class RefusingStore:
    """update_endpoints_batch like the EndpointStore: the whole batch is refused while one item is invalid."""

    def __init__(self, bad_ids: set[str]) -> None:
        self.bad_ids, self.batches = bad_ids, []

    def update_endpoints_batch(
        self, *, ApplicationId: str, EndpointBatchRequest: dict[str, Any], add_to_segment: str | None = None
    ) -> dict:
        items = EndpointBatchRequest["Item"]
        for index, item in enumerate(items):
            if item["Id"] in self.bad_ids:
                raise EndpointValidationError(f"EndpointBatchRequest.Item[{index}].User.UserId", "the limit is 10")
        self.batches.append([item["Id"] for item in items])
        return {}


def test_items_the_store_refuses_become_rejects_with_their_line_and_the_rest_is_written():
    entries = [(10 + i, {"Id": f"e{i}", "Address": f"+1202555{i:04d}", "User": {"UserId": "u"}}) for i in range(6)]
    store = RefusingStore({"e1", "e4"})
    written, refused = write_endpoints(store, "app", entries, strip_pii=True)
    assert [item["Id"] for item in written] == ["e0", "e2", "e3", "e5"] and store.batches == [["e0", "e2", "e3", "e5"]]
    assert [(r.line, r.field, r.reason) for r in refused] == [
        (11, "User.UserId", "the limit is 10"),
        (14, "User.UserId", "the limit is 10"),
    ]
    assert refused[0].row["Address"] == "***" and refused[0].row["User"]["UserId"] == "***"
    assert isinstance(refused[0], Rejected)


def test_an_error_that_names_no_item_is_not_swallowed():
    class Broken:
        def update_endpoints_batch(self, **kwargs: Any) -> dict:
            raise EndpointValidationError("ApplicationId", "must not be empty")

    with pytest.raises(EndpointValidationError):
        write_endpoints(Broken(), "app", [(2, {"Id": "e"})], strip_pii=True)


@pytest.mark.usefixtures("fake_aws_credentials")
def test_concatenation_streams_parts_into_one_multipart_object_with_one_header():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="results")
        keys = []
        for index in range(3):
            key = f"parts/{index}.csv"
            s3.put_object(Bucket="results", Key=key, Body=b"line,field\r\n" + f"{index},x\r\n".encode() * 400_000)
            keys.append(key)
        size = concatenate_objects(
            s3,
            "results",
            keys,
            "out.csv",
            header=b"line,field\r\n",
            skip_first_line=True,
            content_type="text/csv",
            part_bytes=5 * 1024 * 1024,
        )
        body = s3.get_object(Bucket="results", Key="out.csv")["Body"].read()
        assert size == len(body) and body.count(b"line,field") == 1
        assert body.count(b"\r\n") == 1 + 3 * 400_000 and body.endswith(b"2,x\r\n")
        assert s3.head_object(Bucket="results", Key="out.csv")["ETag"].strip('"').endswith("-2")  # multipart: 2 parts
        concatenate_objects(
            s3, "results", [], "empty.csv", header=b"h\n", skip_first_line=True, content_type="text/csv"
        )
        assert s3.get_object(Bucket="results", Key="empty.csv")["Body"].read() == b"h\n"


def test_failure_reasons_are_the_error_message_not_a_stack_trace():
    cause = json.dumps(
        {"errorMessage": "bad.csv: the file is empty", "errorType": "ImportFileRejected", "stackTrace": ["  File x"]}
    )
    assert failure_reason({"Error": "ImportFileRejected", "Cause": cause}) == "bad.csv: the file is empty"
    assert (
        failure_reason({"Error": "States.ExceedToleratedFailureThreshold", "Cause": "1 item failed"}) == "1 item failed"
    )
    assert failure_reason({"Error": "States.Timeout"}) == "States.Timeout"
    assert failure_reason({}) == "the import failed for an unknown reason"


class TrackingBody:
    """A read()-only body (like botocore's StreamingBody) that remembers the largest read it served."""

    def __init__(self, data: bytes) -> None:
        self._data, self._position, self.largest_read, self.closed = data, 0, 0, False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data) - self._position
        chunk = self._data[self._position : self._position + size]
        self._position += len(chunk)
        self.largest_read = max(self.largest_read, len(chunk))
        return chunk

    def close(self) -> None:
        self.closed = True


class TrackingS3:
    def __init__(self, data: bytes) -> None:
        self.data, self.bodies, self.requests, self.objects = data, [], [], {}

    def get_object(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        data = self.data
        if "Range" in request:
            start, end = map(int, request["Range"].removeprefix("bytes=").split("-"))
            data = data[start : end + 1]
        body = TrackingBody(data)
        self.bodies.append(body)
        return {"Body": body}

    def put_object(self, **request: Any) -> dict[str, Any]:
        self.objects[request["Key"]] = request["Body"]
        return {}


class NullStore:
    def __init__(self) -> None:
        self.items = 0

    def update_endpoints_batch(
        self, *, ApplicationId: str, EndpointBatchRequest: dict[str, Any], add_to_segment: str | None = None
    ) -> dict:
        self.items += len(EndpointBatchRequest["Item"])
        return {}


def test_no_step_reads_the_whole_object_at_once():
    """The reference read whole files into memory; the planner streams the object and each range writer reads
    only its byte range, both in bounded reads."""
    from pinpoint_runtime.audience.import_workflow import plan_step, range_step

    rows = "".join(f'SMS,+1202555{i % 10000:04d},u{i},"note {i}"\n' for i in range(120_000))
    data = ("ChannelType,Address,User.UserId,Attributes.Note\n" + rows).encode()
    assert len(data) > 4 * 1024 * 1024
    s3 = TrackingS3(data)
    settings_ = ImportSettings(results_bucket="results", rows_per_chunk=50_000)
    run = plan_step(
        {"source": {"bucket": "b", "key": "incoming/big.csv"}, "import_id": "big-1"},
        s3=s3,
        settings=settings_,
        notifier=ImportNotifier(None, application_id="app"),
    )
    assert run["rows"] == 120_000 and run["chunks"] == 3
    assert s3.bodies[0].largest_read <= 1024 * 1024 and s3.bodies[0].closed
    manifest = json.loads(s3.objects["import-work/big-1/manifest.json"])
    store = NullStore()
    total = 0
    for chunk in manifest:
        result = range_step(
            {"source": {"bucket": "b", "key": "incoming/big.csv"}, "run": run, "chunk": chunk},
            s3=s3,
            store=store,
            settings=settings_,
        )
        total += result["rows"]
        assert s3.requests[-1]["Range"] == f"bytes={chunk['start']}-{chunk['end'] - 1}"
        assert s3.bodies[-1].largest_read <= 1024 * 1024 and s3.bodies[-1].closed
    assert total == store.items == 120_000

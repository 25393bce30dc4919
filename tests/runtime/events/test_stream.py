"""Tests of pinpoint_runtime.events.stream.EventStreamWriter (botocore Stubber and moto's Firehose -> S3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from pinpoint_runtime.events.event_types import LIBRARY_SDK_NAME
from pinpoint_runtime.events.records import normalize_record
from pinpoint_runtime.events.stream import (
    BACKOFF_CAP_SECONDS,
    MAX_BATCH_BYTES,
    MAX_RECORD_BYTES,
    EventStreamDeliveryError,
    EventStreamWriter,
)

STREAM = "pinpoint-events"
BUCKET = "event-lake-test"
APP_ID = "app-0123456789abcdef"
ACCOUNT = "111122223333"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    for name in ("PINPOINT_EVENT_STREAM_NAME", "APPLICATION_ID", "AWS_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)


class Sleeps(list):
    """Injected ``sleep`` that records the requested delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def firehose() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("firehose", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def encoded(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")


def ok_response(count: int) -> dict[str, Any]:
    responses = [{"RecordId": f"id-{i}"} for i in range(count)]
    return {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": responses}


def expect_batch(stubber: Stubber, records: list[dict[str, Any]], response: dict[str, Any]) -> None:
    expected = {"DeliveryStreamName": STREAM, "Records": [{"Data": encoded(record)} for record in records]}
    stubber.add_response("put_record_batch", response, expected)


def events(count: int) -> list[dict[str, Any]]:
    return [
        {"event_type": "custom.tick", "event_timestamp": 1_700_000_000_000 + i, "attributes": {}} for i in range(count)
    ]


# ------------------------------------------------------------------------------------------- put_records


def test_1201_records_go_out_in_three_batches(firehose) -> None:
    client, stubber = firehose
    records = events(1201)
    for chunk in (records[:500], records[500:1000], records[1000:]):
        expect_batch(stubber, chunk, ok_response(len(chunk)))
    writer = EventStreamWriter(STREAM, firehose_client=client, sleep=Sleeps())
    assert writer.put_records(iter(records)) == 1201


def test_batches_split_at_4_mib(firehose) -> None:
    client, stubber = firehose
    padding = 900 * 1024 - len(encoded({"event_type": "custom.big", "blob": ""}))
    records = [{"event_type": "custom.big", "blob": "abcde"[i] * padding} for i in range(5)]
    assert all(len(encoded(record)) == 900 * 1024 for record in records)
    assert 4 * 900 * 1024 <= MAX_BATCH_BYTES < 5 * 900 * 1024
    expect_batch(stubber, records[:4], ok_response(4))
    expect_batch(stubber, records[4:], ok_response(1))
    assert EventStreamWriter(STREAM, firehose_client=client).put_records(records) == 5


def test_partially_failed_batch_retries_only_failed_records(firehose) -> None:
    client, stubber = firehose
    records = events(5)
    partial = {
        "FailedPutCount": 2,
        "RequestResponses": [
            {"RecordId": "a"},
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."},
            {"RecordId": "c"},
            {"ErrorCode": "InternalFailure", "ErrorMessage": "oops"},
            {"RecordId": "e"},
        ],
    }
    expect_batch(stubber, records, partial)
    expect_batch(stubber, [records[1], records[3]], ok_response(2))
    sleeps = Sleeps()
    assert EventStreamWriter(STREAM, firehose_client=client, sleep=sleeps).put_records(records) == 5
    assert len(sleeps) == 1 and 0.0 <= sleeps[0] <= BACKOFF_CAP_SECONDS


def test_gives_up_after_max_attempts(firehose) -> None:
    client, stubber = firehose
    records = events(3)
    failing = {
        "FailedPutCount": 1,
        "RequestResponses": [
            {"RecordId": "a"},
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "x"},
            {"RecordId": "c"},
        ],
    }
    still_failing = {"FailedPutCount": 1, "RequestResponses": [{"ErrorCode": "ServiceUnavailableException"}]}
    expect_batch(stubber, records, failing)
    expect_batch(stubber, [records[1]], still_failing)
    expect_batch(stubber, [records[1]], still_failing)
    sleeps = Sleeps()
    writer = EventStreamWriter(STREAM, firehose_client=client, max_attempts=3, sleep=sleeps)
    with pytest.raises(EventStreamDeliveryError) as raised:
        writer.put_records(records)
    error = raised.value
    assert (error.delivered, error.failed_count) == (2, 1)
    assert error.error_codes == {"ServiceUnavailableException": 1}
    assert error.failed_records == (encoded(records[1]),)
    assert "1 record(s) not delivered" in str(error) and "ServiceUnavailableException" in str(error)
    assert "custom.tick" not in str(error)  # counts and codes only, never contents
    assert len(sleeps) == 2


def test_throttled_call_is_retried(firehose) -> None:
    client, stubber = firehose
    records = events(2)
    stubber.add_client_error("put_record_batch", service_error_code="ServiceUnavailableException", http_status_code=503)
    expect_batch(stubber, records, ok_response(2))
    sleeps = Sleeps()
    assert EventStreamWriter(STREAM, firehose_client=client, sleep=sleeps).put_records(records) == 2
    assert len(sleeps) == 1


def test_non_retryable_error_is_not_retried(firehose) -> None:
    client, stubber = firehose
    stubber.add_client_error("put_record_batch", service_error_code="ResourceNotFoundException", http_status_code=400)
    sleeps = Sleeps()
    with pytest.raises(EventStreamDeliveryError) as raised:
        EventStreamWriter(STREAM, firehose_client=client, sleep=sleeps).put_records(events(4))
    assert raised.value.error_codes == {"ResourceNotFoundException": 4}
    assert raised.value.delivered == 0
    assert sleeps == []


def test_record_over_1000_kib_is_rejected_before_anything_is_sent(firehose) -> None:
    client, _ = firehose  # no responses queued: any call would fail the test
    small = {"event_type": "custom.small"}
    too_big = {"event_type": "custom.huge", "blob": "x" * MAX_RECORD_BYTES}
    with pytest.raises(ValueError, match=r"record 1 \(event_type 'custom.huge'\).*1,024,000 bytes"):
        EventStreamWriter(STREAM, firehose_client=client).put_records([small, too_big])


def test_record_of_exactly_1000_kib_is_accepted(firehose) -> None:
    client, stubber = firehose
    record = {"event_type": "custom.edge", "blob": ""}
    record["blob"] = "x" * (MAX_RECORD_BYTES - len(encoded(record)))
    assert len(encoded(record)) == MAX_RECORD_BYTES
    expect_batch(stubber, [record], ok_response(1))
    assert EventStreamWriter(STREAM, firehose_client=client).put_records([record]) == 1


@pytest.mark.parametrize("record", [{"x": float("nan")}, {"x": {1, 2}}, ["not", "a", "dict"]])
def test_unencodable_record_raises_value_error(firehose, record: Any) -> None:
    client, _ = firehose
    with pytest.raises(ValueError, match="record 0"):
        EventStreamWriter(STREAM, firehose_client=client).put_records([record])


def test_no_records_means_no_calls(firehose) -> None:
    client, _ = firehose
    assert EventStreamWriter(STREAM, firehose_client=client).put_records([]) == 0


def test_stream_name_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="PINPOINT_EVENT_STREAM_NAME"):
        EventStreamWriter()
    monkeypatch.setenv("PINPOINT_EVENT_STREAM_NAME", "from-env")
    monkeypatch.setenv("APPLICATION_ID", "env-app")
    writer = EventStreamWriter()
    assert (writer.delivery_stream_name, writer.application_id) == ("from-env", "env-app")


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        EventStreamWriter(STREAM, max_attempts=0)


# ------------------------------------------------------------------------------------------- moto: Firehose -> S3


@pytest.fixture
def lake() -> Iterator[Any]:
    """A moto DirectPut stream writing to S3; yields a function returning every line written so far."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        boto3.client("firehose", region_name="us-east-1").create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": "events/",
            },
        )

        def written() -> list[dict[str, Any]]:
            lines: list[dict[str, Any]] = []
            for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode("utf-8")
                assert body.endswith("\n")
                lines.extend(json.loads(line) for line in body.splitlines())
            return lines

        yield written


def test_put_records_lands_in_s3_as_json_lines(lake) -> None:
    writer = EventStreamWriter(STREAM, firehose_client=boto3.client("firehose", region_name="us-east-1"))
    assert writer.put_records(events(3)) == 3
    assert sorted(line["event_timestamp"] for line in lake()) == [1_700_000_000_000 + i for i in range(3)]


def put_events_request(events_by_id: dict[str, Any], endpoint: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "ApplicationId": APP_ID,
        "EventsRequest": {"BatchItem": {"endpoint-1": {"Endpoint": endpoint or {}, "Events": events_by_id}}},
    }


def test_put_events_writes_pinpoint_record_and_answers_like_pinpoint(lake) -> None:
    writer = EventStreamWriter(STREAM, account_id=ACCOUNT)  # client created lazily inside mock_aws
    event = {
        "EventType": "custom.purchase",
        "Timestamp": "2025-11-20T10:00:00.000Z",
        "AppPackageName": "com.example.app",
        "AppTitle": "Example",
        "AppVersionCode": "42",
        "SdkName": "aws-amplify",
        "ClientSdkVersion": "6.0.0",
        "Attributes": {"plan": "premium"},
        "Metrics": {"amount": 19, "items": 2.5},
        "Session": {"Id": "s-1", "StartTimestamp": "2025-11-20T09:59:00Z", "StopTimestamp": "2025-11-20T10:01:00Z"},
    }
    endpoint = {
        "Demographic": {
            "Platform": "ios",
            "PlatformVersion": "17.1",
            "Make": "Apple",
            "Model": "iPhone",
            "Locale": "en_US",
            "AppVersion": "1.2.3",
        }
    }
    response = writer.put_events(put_events_request({"evt-1": event}, endpoint))
    assert response == {
        "EventsResponse": {
            "Results": {
                "endpoint-1": {
                    "EndpointItemResponse": {"StatusCode": 202, "Message": "Accepted"},
                    "EventsItemResponse": {"evt-1": {"StatusCode": 202, "Message": "Accepted"}},
                }
            }
        }
    }
    (record,) = lake()
    arrival = record.pop("arrival_timestamp")
    assert isinstance(arrival, int)
    assert record == {
        "event_type": "custom.purchase",
        "event_timestamp": 1763632800000,
        "event_version": "3.1",
        "application": {
            "app_id": APP_ID,
            "sdk": {"name": "aws-amplify", "version": "6.0.0"},
            "package_name": "com.example.app",
            "title": "Example",
            "version_name": "1.2.3",
            "version_code": "42",
        },
        "client": {"client_id": "endpoint-1"},
        "device": {
            "platform": {"name": "ios", "version": "17.1"},
            "locale": {"code": "en_US", "language": "en", "country": "US"},
            "make": "Apple",
            "model": "iPhone",
        },
        "session": {"session_id": "s-1", "start_timestamp": 1763632740000, "stop_timestamp": 1763632860000},
        "attributes": {"plan": "premium"},
        "metrics": {"amount": 19.0, "items": 2.5},
        "awsAccountId": ACCOUNT,
    }
    normalized = normalize_record(
        dict(record, arrival_timestamp=arrival),
        arrival_timestamp_ms=arrival,
        application_id="other",
        account_id="other",
    )
    assert (normalized.source, normalized.kind, normalized.dt) == ("app", "custom", "2025-11-20")


VALID = {"EventType": "custom.ok", "Timestamp": "2025-11-20T10:00:00Z"}


@pytest.mark.parametrize(
    ("event", "message_part"),
    [
        ({**VALID, "Attributes": {"k" * 51: "v"}}, "Attributes key 'kkkk"),
        ({"EventType": "custom.ok"}, "Timestamp is required"),
        ({**VALID, "Timestamp": "20 Nov 2025"}, "Timestamp must be an ISO 8601"),
        ({**VALID, "Timestamp": 1763632800000}, "Timestamp must be an ISO 8601"),
        ({"Timestamp": "2025-11-20T10:00:00Z"}, "EventType is required"),
        ({**VALID, "EventType": "  "}, "EventType is required"),
        ({**VALID, "Attributes": {"k": "v" * 201}}, "Attributes['k'] is 201 characters"),
        ({**VALID, "Attributes": {"k": 5}}, "Attributes['k'] must be a string"),
        ({**VALID, "Metrics": {"m": "5"}}, "Metrics['m'] must be a number"),
        ({**VALID, "Metrics": {"m": True}}, "Metrics['m'] must be a number"),
        ({**VALID, "Metrics": {"m" * 51: 1}}, "Metrics key"),
        (
            {**VALID, "Attributes": {f"a{i}": "v" for i in range(21)}, "Metrics": {f"m{i}": i for i in range(20)}},
            "41 keys; the limit is 40",
        ),
        ({**VALID, "Session": {"StartTimestamp": "2025-11-20T10:00:00Z"}}, "Session.Id is required"),
        ({**VALID, "Session": {"Id": "s"}}, "Session.StartTimestamp is required"),
        ({**VALID, "SdkName": 3}, "SdkName must be a string"),
        ("not an event", "Event must be an object"),
    ],
)
def test_put_events_rejects_invalid_event_with_400(lake, event: Any, message_part: str) -> None:
    writer = EventStreamWriter(STREAM, application_id=APP_ID)
    response = writer.put_events(put_events_request({"bad": event, "good": VALID}))
    results = response["EventsResponse"]["Results"]["endpoint-1"]["EventsItemResponse"]
    assert results["bad"]["StatusCode"] == 400
    assert message_part in results["bad"]["Message"]
    assert results["good"] == {"StatusCode": 202, "Message": "Accepted"}
    assert [record["event_type"] for record in lake()] == ["custom.ok"]


def test_put_events_accepts_40_keys_and_50_char_names(lake) -> None:
    event = {
        **VALID,
        "Attributes": {f"a{i:02d}" + "x" * 47: "v" * 200 for i in range(20)},
        "Metrics": {f"m{i}": i for i in range(20)},
    }
    response = EventStreamWriter(STREAM, application_id=APP_ID).put_events(put_events_request({"e": event}))
    assert response["EventsResponse"]["Results"]["endpoint-1"]["EventsItemResponse"]["e"]["StatusCode"] == 202
    assert len(lake()) == 1


def test_put_events_accepts_bare_events_request_with_writer_application_id(lake) -> None:
    writer = EventStreamWriter(STREAM, application_id=APP_ID)
    request = put_events_request({"e": VALID})["EventsRequest"]
    assert (
        writer.put_events(request)["EventsResponse"]["Results"]["endpoint-1"]["EventsItemResponse"]["e"]["StatusCode"]
        == 202
    )
    assert lake()[0]["application"]["app_id"] == APP_ID


TOO_MANY_EVENTS = {str(i): VALID for i in range(101)}


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"EventsRequest": {"BatchItem": {"e": {"Events": {}}}}}, "ApplicationId is required"),
        ({"ApplicationId": APP_ID, "EventsRequest": {}}, "BatchItem is required"),
        ({"ApplicationId": APP_ID, "EventsRequest": {"BatchItem": {"e": {"Endpoint": {}}}}}, "Events is required"),
        (
            {"ApplicationId": APP_ID, "EventsRequest": {"BatchItem": {f"e{i}": {"Events": {}} for i in range(101)}}},
            "101 entries",
        ),
        ({"ApplicationId": APP_ID, "EventsRequest": {"BatchItem": {"e": {"Events": TOO_MANY_EVENTS}}}}, "101 events"),
    ],
)
def test_put_events_rejects_invalid_requests(request_body: dict[str, Any], message: str) -> None:
    writer = EventStreamWriter(STREAM, firehose_client=object())
    with pytest.raises(ValueError, match=message):
        writer.put_events(request_body)


def test_put_events_reports_500_for_events_firehose_refused(firehose) -> None:
    client, stubber = firehose
    stubber.add_response(
        "put_record_batch",
        {"FailedPutCount": 1, "RequestResponses": [{"ErrorCode": "ServiceUnavailableException"}]},
        {"DeliveryStreamName": STREAM, "Records": ANY},
    )
    writer = EventStreamWriter(STREAM, firehose_client=client, application_id=APP_ID, max_attempts=1)
    results = writer.put_events(put_events_request({"e": VALID}))["EventsResponse"]["Results"]["endpoint-1"]
    assert results["EventsItemResponse"]["e"]["StatusCode"] == 500
    assert "ServiceUnavailableException" in results["EventsItemResponse"]["e"]["Message"]


def test_put_delivery_events_marks_sdk_name_and_source_library(lake) -> None:
    writer = EventStreamWriter(STREAM, application_id=APP_ID)
    delivery = {
        "event_type": "_SMS.BUFFERED",
        "event_timestamp": 1_763_600_000_000,
        "application": {"sdk": {"version": "1.0"}},
        "attributes": {"message_id": "m-1"},
    }
    untouched = json.loads(json.dumps(delivery))
    assert writer.put_delivery_events([delivery, {"event_type": "_SMS.SUCCESS"}]) == 2
    assert delivery == untouched  # the caller's dict is not modified
    first, second = sorted(lake(), key=lambda record: record["event_type"])
    assert first["application"] == {"sdk": {"version": "1.0", "name": LIBRARY_SDK_NAME}, "app_id": APP_ID}
    assert second["application"] == {"sdk": {"name": LIBRARY_SDK_NAME}, "app_id": APP_ID}
    normalized = normalize_record(first, arrival_timestamp_ms=1_763_600_000_000, application_id="x", account_id="y")
    assert (normalized.source, normalized.kind) == ("library", "sms_buffered")

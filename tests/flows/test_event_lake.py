"""The event lake end to end, offline: producers → Firehose (moto) → the normaliser handler → partitioned lake →
Athena views (DuckDB).

moto's Firehose writes every put straight to S3 and runs no data transformation, so the test plays Firehose's
part the way the construct configures it: it hands the raw records to the normaliser handler as a transformation
event, then writes each result where dynamic partitioning would (``events/source=/kind=/dt=/`` for ``Ok``,
``errors/processing-failed/`` for ``ProcessingFailed``).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from event_stream_normalizer import handler as normalizer
from pinpoint_runtime.events.stream import EventStreamWriter
from tests.conftest import SAMPLE_EVENTS_DIR
from tests.support.event_lake_duckdb import Row, build_db, query

ACCOUNT = "123456789012"
REGION = "us-east-1"
STREAM = "event-lake"
RAW_BUCKET = "firehose-raw-deliveries"
NOW_MS = 1_763_812_800_000  # 2025-11-22T12:00:00Z


@pytest.fixture
def firehose(fake_aws_credentials: None):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=RAW_BUCKET)
        client = boto3.client("firehose", region_name=REGION)
        client.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
                "BucketARN": f"arn:aws:s3:::{RAW_BUCKET}",
                "Prefix": "raw/",
            },
        )
        yield SimpleNamespace(client=client, s3=s3)


def _raw_records(s3) -> list[bytes]:
    """Every record Firehose received, in order (moto writes one object per put call)."""
    records: list[bytes] = []
    for item in s3.list_objects_v2(Bucket=RAW_BUCKET)["Contents"]:
        body = s3.get_object(Bucket=RAW_BUCKET, Key=item["Key"])["Body"].read()
        records.extend(line for line in body.split(b"\n") if line)
    return records


def _transform_and_deliver(raw: list[bytes], lake_dir: Path) -> list[dict[str, Any]]:
    """Play Firehose: the transformation event, then dynamic-partitioning delivery of the results."""
    event = {
        "records": [
            {"recordId": f"r{i}", "approximateArrivalTimestamp": NOW_MS, "data": base64.b64encode(data).decode()}
            for i, data in enumerate(raw)
        ]
    }
    context = SimpleNamespace(
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:normalizer",
        function_name="normalizer",
        memory_limit_in_mb=256,
        aws_request_id="req-1",
    )
    results = normalizer.handler(event, context)["records"]
    for result in results:
        data = base64.b64decode(result["data"])
        if result["result"] == "Ok":
            keys = result["metadata"]["partitionKeys"]
            folder = lake_dir / "events" / f"source={keys['source']}" / f"kind={keys['kind']}" / f"dt={keys['dt']}"
        else:
            folder = lake_dir / "errors" / "processing-failed"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "part.jsonl").open("ab") as out:
            out.write(data if data.endswith(b"\n") else data + b"\n")
    return results


def _lake_rows(lake_dir: Path) -> list[Row]:
    rows = []
    for path in sorted((lake_dir / "events").glob("source=*/kind=*/dt=*/part.jsonl")):
        source, kind, dt = (part.split("=", 1)[1] for part in path.parent.parts[-3:])
        rows.extend(Row(json.loads(line), source, kind, dt) for line in path.read_text().splitlines())
    return rows


def test_producers_to_views(firehose, tmp_path: Path) -> None:
    # 1. an application writes Pinpoint PutEvents through the library's producer API
    writer = EventStreamWriter(STREAM, firehose_client=firehose.client, account_id=ACCOUNT)
    response = writer.put_events(
        {
            "ApplicationId": "partner-app",
            "EventsRequest": {
                "BatchItem": {
                    "endpoint-1": {
                        "Endpoint": {"Demographic": {"Platform": "ios", "Make": "Apple"}},
                        "Events": {
                            "e1": {
                                "EventType": "purchase.completed",
                                "Timestamp": "2025-11-22T10:00:00Z",
                                "Attributes": {"plan": "premium"},
                                "Metrics": {"amount": 19.99},
                            },
                            "e2": {"EventType": "no.timestamp"},
                        },
                    }
                }
            },
        }
    )
    results = response["EventsResponse"]["Results"]["endpoint-1"]["EventsItemResponse"]
    assert results["e1"] == {"StatusCode": 202, "Message": "Accepted"}
    assert results["e2"]["StatusCode"] == 400 and "Timestamp" in results["e2"]["Message"]

    # 2. the library's own delivery event, and what SES / End User Messaging put through their roles
    writer.put_delivery_events(
        [
            {
                "event_type": "_campaign.send",
                "event_timestamp": NOW_MS - 60_000,
                "client": {"client_id": "endpoint-2"},
                "attributes": {"campaign_id": "spring", "treatment_id": "0", "campaign_send_status": "SUCCESS"},
            }
        ]
    )
    ses_send = (SAMPLE_EVENTS_DIR / "ses_events.jsonl").read_text().splitlines()[0]
    sms_success = (SAMPLE_EVENTS_DIR / "sms_v2_events.jsonl").read_text().splitlines()[0]
    for data in (ses_send, sms_success, '{"not": "an event"}', "{broken json"):
        firehose.client.put_record(DeliveryStreamName=STREAM, Record={"Data": data.encode()})

    # 3. Firehose runs the normaliser and partitions the results
    raw = _raw_records(firehose.s3)
    assert len(raw) == 6  # the invalid event e2 was never sent
    results = _transform_and_deliver(raw, tmp_path)
    assert len(results) == len(raw)  # one answer per record: nothing dropped
    assert [r["result"] for r in results].count("ProcessingFailed") == 1
    failed = (tmp_path / "errors" / "processing-failed" / "part.jsonl").read_bytes()
    assert failed == b"{broken json\n"  # the malformed record is kept, untouched

    partitions = sorted(p.relative_to(tmp_path / "events").parent.as_posix()
                        for p in (tmp_path / "events").rglob("part.jsonl"))  # fmt: skip
    today = datetime.fromtimestamp(NOW_MS / 1000, UTC).strftime("%Y-%m-%d")
    assert partitions == sorted(
        [
            f"source=app/kind=custom/dt={today}",
            f"source=library/kind=campaign_send/dt={today}",
            "source=ses/kind=email_send/dt=2017-08-05",
            "source=sms/kind=sms_success/dt=2023-06-17",
            f"source=unknown/kind=unknown/dt={today}",
        ]
    )

    # 4. the views read the lake
    con = build_db(_lake_rows(tmp_path), tmp_path)
    sends = query(con, "SELECT endpoint_id, pinpoint_campaign_id, pinpoint_treatment_id FROM campaign_send")
    assert sends == [{"endpoint_id": "endpoint-2", "pinpoint_campaign_id": "spring", "pinpoint_treatment_id": "0"}]
    emails = query(con, "SELECT message_id, subject, destination FROM email_send")
    assert emails == [
        {
            "message_id": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            "subject": "Message sent from Amazon SES",
            "destination": ["recipient@example.com"],
        }
    ]
    sms = query(con, "SELECT destination_phone_number, record_status, price_in_millicents_usd FROM sms_success")
    assert sms == [
        {"destination_phone_number": "+14255550156", "record_status": "SUCCESSFUL", "price_in_millicents_usd": 9582.0}
    ]
    custom = query(con, "SELECT event_type, client.client_id AS endpoint, attributes['plan'] AS plan FROM events "
                        "WHERE kind = 'custom'")  # fmt: skip
    assert custom == [{"event_type": "purchase.completed", "endpoint": "endpoint-1", "plan": "premium"}]
    unknown = query(con, "SELECT event_type, attributes['raw_record'] AS raw FROM events WHERE kind = 'unknown'")
    assert unknown == [{"event_type": "_unknown", "raw": '{"not": "an event"}'}]

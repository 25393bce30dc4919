"""Tests of the Firehose transformation Lambda lambda_src/event_stream_normalizer/handler.py (called directly)."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_stream_normalizer import handler as normalizer
from tests.conftest import SAMPLE_EVENTS_DIR

SAMPLES_DIR = SAMPLE_EVENTS_DIR
APP_ID = "app-0123456789abcdef"
ACCOUNT = "111122223333"
ARRIVAL = 1_763_800_000_000  # 2025-11-22


@dataclass
class LambdaContext:
    function_name: str = "event-stream-normalizer"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:event-stream-normalizer"
    aws_request_id: str = "5b6e1d3c-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True, scope="module")
def lambda_environment():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("APPLICATION_ID", APP_ID)
        patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PinpointConstructs")
        patch.delenv("POWERTOOLS_LOGGER_LOG_EVENT", raising=False)
        yield


def firehose_event(payloads: list[bytes | str]) -> dict[str, Any]:
    records = []
    for index, payload in enumerate(payloads):
        data = payload if isinstance(payload, str) else base64.b64encode(payload).decode("ascii")
        records.append({"recordId": f"rec-{index:05d}", "approximateArrivalTimestamp": ARRIVAL, "data": data})
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/events",
        "region": "us-east-1",
        "records": records,
    }


def invoke(payloads: list[bytes | str]) -> list[dict[str, Any]]:
    event = firehose_event(payloads)
    outputs = normalizer.handler(event, LambdaContext())["records"]
    assert [output["recordId"] for output in outputs] == [record["recordId"] for record in event["records"]]
    return outputs


def decoded(output: dict[str, Any]) -> dict[str, Any]:
    text = base64.b64decode(output["data"]).decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1
    return json.loads(text)


def sample_lines() -> list[bytes]:
    paths = sorted(SAMPLES_DIR.glob("*.jsonl"))
    return [line.encode("utf-8") for path in paths for line in path.read_text("utf-8").splitlines() if line.strip()]


def emf_metrics(stdout: str) -> dict[str, Any]:
    """The metric values of the EMF blob(s) Powertools printed."""
    values: dict[str, Any] = {}
    for line in stdout.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if isinstance(blob, dict) and "_aws" in blob:
            for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                values[metric["Name"]] = blob[metric["Name"]]
    return values


def test_all_sample_records_are_transformed_with_partition_keys() -> None:
    lines = sample_lines()
    assert len(lines) == 11
    outputs = invoke(lines)
    assert all(output["result"] == "Ok" for output in outputs)
    keys = [output["metadata"]["partitionKeys"] for output in outputs]
    assert keys.count({"source": "ses", "kind": "email_hardbounce", "dt": "2017-08-05"}) == 1
    assert keys.count({"source": "sms", "kind": "sms_success", "dt": "2023-06-17"}) == 1
    assert keys.count({"source": "app", "kind": "campaign_send", "dt": "2019-07-02"}) == 1
    assert {key["source"] for key in keys} == {"ses", "sms", "app"}


def test_ok_output_is_compact_json_line_in_pinpoint_shape() -> None:
    sms_line = next(line for line in sample_lines() if b"TEXT_SUCCESSFUL" in line)
    (output,) = invoke([sms_line])
    text = base64.b64decode(output["data"]).decode("utf-8")
    record = json.loads(text)
    assert text == json.dumps(record, separators=(",", ":")) + "\n"
    assert record["event_type"] == "_SMS.SUCCESS"
    assert record["arrival_timestamp"] == ARRIVAL
    assert record["application"]["app_id"] == APP_ID  # from env APPLICATION_ID
    assert record["awsAccountId"] == ACCOUNT  # from the function ARN
    assert record["client"]["client_id"] == ACCOUNT
    assert record["metrics"]["price_in_millicents_usd"] == 9582.0


def test_bad_records_fail_individually_with_original_data() -> None:
    good = json.dumps({"event_type": "custom.signup", "event_timestamp": ARRIVAL}).encode()
    not_base64 = "!!! not base64 !!!"
    payloads: list[bytes | str] = [good, b"not json", b"[1,2]", b"\xff\xfe\x00", not_base64, b'"text"', good]
    event = firehose_event(payloads)
    outputs = normalizer.handler(event, LambdaContext())["records"]
    assert len(outputs) == len(payloads)
    assert [output["result"] for output in outputs] == ["Ok"] + ["ProcessingFailed"] * 5 + ["Ok"]
    for output, record in zip(outputs, event["records"], strict=False):
        assert output["recordId"] == record["recordId"]
        if output["result"] == "ProcessingFailed":
            assert output["data"] == record["data"]
            assert "metadata" not in output


def test_unknown_records_are_kept_not_dropped() -> None:
    raw = json.dumps({"something": "else", "eventType": "Mystery"})
    (output,) = invoke([raw.encode()])
    assert output["result"] == "Ok"
    assert output["metadata"]["partitionKeys"] == {"source": "unknown", "kind": "unknown", "dt": "2025-11-22"}
    record = decoded(output)
    assert record["event_type"] == "_unknown"
    assert record["attributes"] == {"raw_record": raw, "reason": "unrecognised source"}


def test_future_event_timestamp_partitions_by_arrival() -> None:
    future = ARRIVAL + 10 * 86_400_000
    (output,) = invoke([json.dumps({"event_type": "custom.x", "event_timestamp": future}).encode()])
    assert output["metadata"]["partitionKeys"]["dt"] == "2025-11-22"
    assert decoded(output)["event_timestamp"] == future


def test_missing_arrival_timestamp_uses_now_and_still_transforms() -> None:
    event = firehose_event([json.dumps({"event_type": "custom.x"}).encode()])
    del event["records"][0]["approximateArrivalTimestamp"]
    (output,) = normalizer.handler(event, LambdaContext())["records"]
    assert output["result"] == "Ok"
    assert isinstance(decoded(output)["arrival_timestamp"], int)


def test_empty_batch_returns_no_records() -> None:
    assert normalizer.handler({"records": []}, LambdaContext()) == {"records": []}


@contextmanager
def logger_writing_to_current_stdout() -> Iterator[None]:
    """Point the Powertools logger (its stream was bound to sys.stdout at import) at capsys's stdout.

    pytest swaps capsys's stream per test phase, so this must run inside the test body.
    """
    handler = normalizer.logger.registered_handler
    previous = handler.setStream(sys.stdout)
    try:
        yield
    finally:
        if previous is not None:
            handler.setStream(previous)


def test_logs_and_metrics_hold_counts_but_no_record_contents(capsys: pytest.CaptureFixture[str]) -> None:
    lines = sample_lines()
    unknown = json.dumps({"phone": "+14255550999", "email": "secret.person@example.org"}).encode()
    with logger_writing_to_current_stdout():
        invoke([*lines, unknown, b"+14255550777 not json", "%%%"])
        stdout = capsys.readouterr().out
    assert "Normalized Firehose batch" in stdout  # the logger output really is captured here
    assert "Record failed normalization" in stdout
    for pii in (
        "+14255550156",
        "+12065550152",
        "+14255550999",
        "+14255550777",
        "recipient@example.com",
        "secret.person@example.org",
        "sender@example.com",
    ):
        assert pii not in stdout
    summary = next(json.loads(line) for line in stdout.splitlines() if "Normalized Firehose batch" in line)
    assert summary["service"] == "event-stream-normalizer"
    assert summary["records"] == 14 and summary["failed"] == 2 and summary["unknown"] == 1
    assert summary["partitions"]["ses/email_hardbounce"] == 1
    assert emf_metrics(stdout) == {"RecordsNormalized": [12.0], "RecordsFailed": [2.0], "UnknownRecords": [1.0]}


firehose_payloads = st.lists(
    st.binary(max_size=120)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
        max_leaves=10,
    ).map(lambda value: json.dumps(value).encode())
    | st.sampled_from(
        [b'{"event_type":"_email.send"}', b'{"eventType":"TEXT_SENT","messageId":"m","destinationPhoneNumber":"+1"}']
    ),
    max_size=25,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=firehose_payloads)
def test_property_one_output_per_input_record(payloads: list[bytes]) -> None:
    outputs = invoke(list(payloads))
    assert len(outputs) == len(payloads)
    for output, payload in zip(outputs, payloads, strict=False):
        assert output["result"] in ("Ok", "ProcessingFailed")
        if output["result"] == "ProcessingFailed":
            assert base64.b64decode(output["data"]) == payload
        else:
            keys = output["metadata"]["partitionKeys"]
            assert set(keys) == {"source", "kind", "dt"}
            assert decoded(output)["event_type"]

"""Tests of pinpoint_runtime.events.firehose_transformation (the handler's tests run it through the Lambda entry point:
tests/functions/test_event_stream_normalizer.py)."""

from __future__ import annotations

import base64
import json
import logging

from pinpoint_runtime.events.firehose_transformation import (
    FirehoseResult,
    NormalizerSettings,
    account_id_from_arn,
    transform_records,
)


def test_account_id_from_arn() -> None:
    assert account_id_from_arn("arn:aws:lambda:eu-west-1:123456789012:function:f") == "123456789012"
    assert account_id_from_arn("") == ""
    assert account_id_from_arn(None) == ""


def test_settings_round_trip_and_application_id_defaults_to_empty() -> None:
    settings = NormalizerSettings(application_id="app-1")
    assert settings.to_environment() == {"APPLICATION_ID": "app-1"}
    assert NormalizerSettings.from_environment({"APPLICATION_ID": "app-1"}) == settings
    assert NormalizerSettings.from_environment({}).application_id == ""  # as the handler read it before the contract


def test_transform_records_counts_outcomes() -> None:
    good = base64.b64encode(json.dumps({"event_type": "custom.x", "event_timestamp": 1}).encode()).decode()
    unknown = base64.b64encode(json.dumps({"something": "else"}).encode()).decode()
    records = [{"recordId": "a", "data": good}, {"recordId": "b", "data": unknown}, {"recordId": "c", "data": "%%"}]
    batch = transform_records(records, application_id="app", account_id="1", logger=logging.getLogger("t"))
    assert [output["result"] for output in batch.outputs] == ["Ok", "Ok", "ProcessingFailed"]
    assert FirehoseResult.OK == "Ok" and FirehoseResult.PROCESSING_FAILED == "ProcessingFailed"
    assert (batch.normalized, batch.failed, batch.unknown) == (2, 1, 1)
    assert batch.partitions == {"app/custom": 1, "unknown/unknown": 1}

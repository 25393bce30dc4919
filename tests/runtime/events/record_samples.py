"""Helpers of the tests of the record normaliser (pinpoint_runtime.events.records and its per-source modules)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pinpoint_runtime.events.event_types import KIND_VALUES, SOURCES
from pinpoint_runtime.events.records import NormalizedEvent, normalize_record
from tests.conftest import SAMPLE_EVENTS_DIR

SAMPLES_DIR = SAMPLE_EVENTS_DIR
APP_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
ACCOUNT = "111122223333"
ARRIVAL = 1_763_800_000_000  # 2025-11-22T08:26:40Z
DAY_MS = 86_400_000
KIND_RE = re.compile(r"^[a-z0-9_]+$")
DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalize(raw: Any, arrival: int = ARRIVAL) -> NormalizedEvent:
    return normalize_record(raw, arrival_timestamp_ms=arrival, application_id=APP_ID, account_id=ACCOUNT)


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def sample(file_name: str, index: int) -> dict[str, Any]:
    lines = (SAMPLES_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return json.loads(lines[index])


def mail_event(event: NormalizedEvent) -> dict[str, Any]:
    return event.record["facets"]["email_channel"]["mail_event"]


def assert_lake_record(event: NormalizedEvent) -> None:
    """Invariants every output record keeps (Glue column types and partition key formats)."""
    record = event.record
    assert event.source in SOURCES
    assert event.kind in KIND_VALUES and KIND_RE.match(event.kind)
    assert DT_RE.match(event.dt)
    assert isinstance(record["event_type"], str) and record["event_type"].strip()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record["attributes"].items())
    assert all(isinstance(k, str) and type(v) is float for k, v in record["metrics"].items())
    assert isinstance(record["application"]["app_id"], str)
    json.dumps(record, allow_nan=False)  # valid JSON for Athena: no NaN/Infinity, only JSON types

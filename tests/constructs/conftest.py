"""Fixtures of the construct tests: the event lake on DuckDB (tests/support/event_lake_duckdb.py), for
test_event_lake_schema.py, test_event_lake_views.py and test_event_lake_queries.py (built once per module)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.event_lake_duckdb import Case, Row, build_db, generated_cases, sample_rows


@pytest.fixture(scope="module")
def anchor_ms() -> int:
    today = datetime.now(UTC).date()
    return int(datetime(today.year, today.month, today.day, 12, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def samples() -> list[Row]:
    rows = sample_rows()
    assert len(rows) == 11
    return rows


@pytest.fixture(scope="module")
def cases(anchor_ms) -> list[Case]:
    return generated_cases(anchor_ms)


@pytest.fixture(scope="module")
def sample_db(samples, tmp_path_factory):
    return build_db(samples, tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def generated_db(cases, tmp_path_factory):
    return build_db([case.row() for case in cases], tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def full_db(samples, cases, tmp_path_factory):
    return build_db(samples + [case.row() for case in cases], tmp_path_factory.mktemp("full"))

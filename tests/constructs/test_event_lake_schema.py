"""The event lake's Glue schema (pinpoint_constructs.event_lake_schema): the table columns and partition keys,
Hive type parsing and the Presto -> Hive type mapping, and normalised records fitting the table (DuckDB helpers
in tests/support/event_lake_duckdb.py, fixtures in tests/constructs/conftest.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from pinpoint_constructs import event_lake_schema as lake_schema
from pinpoint_constructs import event_lake_views as lake_views
from tests.support.event_lake_duckdb import conform_record


def test_glue_columns_match_the_record_contract():
    names = [name for name, _ in lake_schema.EVENT_COLUMNS]
    assert names == [
        "event_type",
        "event_timestamp",
        "arrival_timestamp",
        "event_version",
        "application",
        "client",
        "device",
        "session",
        "attributes",
        "metrics",
        "client_context",
        "awsaccountid",
        "facets",
    ]
    types = dict(lake_schema.EVENT_COLUMNS)
    assert types["attributes"] == "map<string,string>"
    assert types["metrics"] == "map<string,double>"
    assert types["session"] == "struct<session_id:string,start_timestamp:bigint,stop_timestamp:bigint>"
    assert lake_schema.PARTITION_KEYS == [("source", "string"), ("kind", "string"), ("dt", "string")]
    mail_event = dict(dict(dict(lake_schema.parse_hive_type(types["facets"])[1])["email_channel"][1])["mail_event"][1])
    assert list(mail_event) == [
        "mail",
        "send",
        "delivery",
        "open",
        "click",
        "bounce",
        "complaint",
        "reject",
        "rendering_failure",
        "delivery_delay",
        "subscription",
    ]
    assert dict(mail_event["mail"][1])["common_headers"] == (
        "struct",
        (("from", ("string",)), ("to", ("array", ("string",))), ("subject", ("string",))),
    )
    assert all("`" not in hive for _, hive in lake_schema.EVENT_COLUMNS)


def test_parse_hive_type():
    assert lake_schema.parse_hive_type("map<string,array<string>>") == ("map", ("string",), ("array", ("string",)))
    assert lake_schema.parse_hive_type("struct<a:bigint, b:decimal(10,2)>") == (
        "struct",
        (("a", ("bigint",)), ("b", ("decimal", 10, 2))),
    )
    for bad in ("struct<a:string", "map<string>", "strin", "array<string>>"):
        with pytest.raises(ValueError):
            lake_schema.parse_hive_type(bad)


def test_hive_type_mapping():
    assert lake_schema.hive_type("varchar") == "string"
    assert lake_schema.hive_type("bigint") == "bigint"
    assert lake_schema.hive_type("double") == "double"
    assert lake_schema.hive_type("boolean") == "boolean"
    assert lake_schema.hive_type("timestamp(3)") == "timestamp"
    assert lake_schema.hive_type("array(varchar)") == "array<string>"
    assert lake_schema.hive_type("map(varchar,varchar)") == "map<string,string>"
    assert lake_schema.hive_type("map(varchar, array(bigint))") == "map<string,array<bigint>>"
    assert lake_schema.hive_type("row(a varchar, b map(varchar,double))") == "struct<a:string,b:map<string,double>>"
    assert lake_schema.hive_type("integer") == "int"
    assert lake_schema.hive_type("decimal(10,2)") == "decimal(10,2)"
    with pytest.raises(ValueError):
        lake_schema.hive_type("hyperloglog")


# --------------------------------------------------------------------------------------------------------------
# Records fit the table
# --------------------------------------------------------------------------------------------------------------


def test_normalized_records_fit_the_glue_schema(samples, cases):
    rows = samples + [case.row() for case in cases]
    for row in rows:
        conformed = conform_record(row.record)
        assert conformed["event_type"] == row.record["event_type"]
        assert conformed["awsaccountid"] == row.record["awsAccountId"]
    kinds = Counter(row.kind for row in rows)
    assert {view.kind for view in lake_views.VIEWS} <= set(kinds)  # every view has data


def test_conform_rejects_values_of_the_wrong_type():
    record = {"event_type": "x", "event_timestamp": "1700000000000"}
    with pytest.raises(AssertionError, match="event_timestamp"):
        conform_record(record)
    with pytest.raises(AssertionError, match=r"attributes\[n\]"):
        conform_record({"event_type": "x", "attributes": {"n": 1}})

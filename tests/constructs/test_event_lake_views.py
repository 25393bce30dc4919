"""The event lake's Athena views (pinpoint_constructs.event_lake_views), proven on DuckDB.

Every view's Trino SQL is transpiled with sqlglot (trino -> duckdb) and created as a DuckDB view over a table
``events`` with the Glue schema (tests/support/event_lake_duckdb.py; fixtures in tests/constructs/conftest.py).
The tests assert exact rows."""

from __future__ import annotations

import base64
import json

import pytest
import sqlglot
from sqlglot import exp

from pinpoint_constructs import event_lake_schema as lake_schema
from pinpoint_constructs import event_lake_views as lake_views
from pinpoint_runtime.events import event_types
from tests.support.event_lake_duckdb import (
    ACCOUNT,
    APP_ID,
    PRESTO_TO_DUCKDB,
    SAMPLE_ARRIVAL_MS,
    Row,
    assert_same_rows,
    at,
    build_db,
    from_clause,
    message_tags,
    query,
)

SES_MID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
SES_SEND_MS = 1501893602012  # 2017-08-05T00:40:02.012Z


def _ses_sample_common(kind: str, event_ms: int) -> dict:
    return {
        "event_timestamp": at(event_ms),
        "arrival_timestamp": at(SAMPLE_ARRIVAL_MS),
        "application_id": APP_ID,
        "endpoint_id": "123456789012",  # no endpoint_id tag: the sending account
        "pinpoint_campaign_id": None,
        "pinpoint_treatment_id": None,
        "aws_account_id": "123456789012",
        "message_id": SES_MID,
        "message_send_timestamp": at(SES_SEND_MS),
        "from_address": "sender@example.com",
        "destination": ["recipient@example.com"],
        "source": "ses",
        "kind": kind,
        "dt": "2017-08-05",
    }


SES_SUBJECT = "Message sent from Amazon SES"
LEGACY_APP = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"

# Exact rows each view returns for the shared samples (message_tags checked separately).
SAMPLE_EXPECTED: dict[str, list[dict]] = {
    "email_send": [
        {**_ses_sample_common("email_send", SES_SEND_MS), "subject": SES_SUBJECT},
        {
            "event_timestamp": at(1564618621380),
            "arrival_timestamp": at(1564618622025),
            "application_id": LEGACY_APP,
            "endpoint_id": "9a311b17-6f8e-4093-be61-4d0bbexample",
            "pinpoint_campaign_id": None,
            "pinpoint_treatment_id": None,
            "aws_account_id": "123456789012",
            "message_id": "0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000",
            "message_send_timestamp": at(1564618621380),
            "from_address": "sender@example.com",
            "destination": ["recipient@example.com"],
            "subject": "Amazon Pinpoint Test",
            "source": "app",
            "kind": "email_send",
            "dt": "2019-08-01",
        },
    ],
    "email_delivered": [
        {
            **_ses_sample_common("email_delivered", 1501893604000),
            "subject": SES_SUBJECT,
            "smtp_response": "250 2.6.0 Message received",
            "reporting_mta": "mta.example.com",
            "recipients": ["recipient@example.com"],
            "processing_time_millis": 1310,
        }
    ],
    "email_hardbounce": [
        {
            **_ses_sample_common("email_hardbounce", 1501893662669),
            "bounce_type": "Permanent",
            "bounce_sub_type": "General",
            "feedback_id": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
            "reporting_mta": "dsn; mta.example.com",
            "bounced_recipient_email_address": "recipient@example.com",
            "bounced_recipient_action": "failed",
            "bounced_recipient_status": "5.1.1",
            "bounced_recipient_diagnostic_code": "smtp; 550 5.1.1 user unknown",
        }
    ],
    "email_softbounce": [],
    "email_complaint": [
        {
            **_ses_sample_common("email_complaint", 1501893662669),
            "complained_email_address": "recipient@example.com",
            "feedback_id": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
            "user_agent": "Mozilla/5.0",
            "complaint_feedback_type": "abuse",
        }
    ],
    "email_open": [
        {
            **_ses_sample_common("email_open", 1501893902000),
            "subject": SES_SUBJECT,
            "ip_address": "192.0.2.1",
            "user_agent": "Mozilla/5.0",
        }
    ],
    "email_click": [
        {
            **_ses_sample_common("email_click", 1501893962000),
            "subject": SES_SUBJECT,
            "ip_address": "192.0.2.1",
            "user_agent": "Mozilla/5.0",
            "link": "https://example.com/offer",
        }
    ],
    "email_unsubscribe": [],
    "email_rejected": [],
    "sms_buffered": [],
    "sms_success": [
        {  # End User Messaging SMS v2 sample
            "event_timestamp": at(1686975103470),
            "arrival_timestamp": at(SAMPLE_ARRIVAL_MS),
            "application_id": APP_ID,
            "endpoint_id": ACCOUNT,
            "pinpoint_campaign_id": None,
            "pinpoint_treatment_id": None,
            "aws_account_id": ACCOUNT,
            "sender_request_id": None,
            "origination_phone_number": "+12065550152",
            "destination_phone_number": "+14255550156",
            "record_status": "SUCCESSFUL",
            "iso_country_code": None,
            "number_of_message_parts": "1",
            "message_id": "862a8790-60c0-4430-9b2b-658bdexample",
            "message_type": "Promotional",
            "price_in_millicents_usd": 9582.0,
            "carrier_fee_in_millicents_usd": 0.0,
            "customer_context": '{"account":"bar"}',
            "source": "sms",
            "kind": "sms_success",
            "dt": "2023-06-17",
        },
        {  # Pinpoint's documented _SMS.SUCCESS record
            "event_timestamp": at(1553104954322),
            "arrival_timestamp": at(1553104954064),
            "application_id": LEGACY_APP,
            "endpoint_id": "123456789012",
            "pinpoint_campaign_id": "52dc44b35c4742c98c5935269example",
            "pinpoint_treatment_id": "0",
            "aws_account_id": "123456789012",
            "sender_request_id": "565d4425-4b3a-11e9-b0a5-example",
            "origination_phone_number": "+12065550142",
            "destination_phone_number": "+14255550199",
            "record_status": "DELIVERED",
            "iso_country_code": "US",
            "number_of_message_parts": "1",
            "message_id": "1111-2222-3333",
            "message_type": "Transactional",
            "price_in_millicents_usd": 645.0,
            "carrier_fee_in_millicents_usd": None,
            "customer_context": None,
            "source": "app",
            "kind": "sms_success",
            "dt": "2019-03-20",
        },
    ],
    "sms_failure": [],
    "sms_optout": [],
    "campaign_send": [
        {
            "event_timestamp": at(1562109497426),
            "arrival_timestamp": at(1562109497494),
            "application_id": LEGACY_APP,
            "endpoint_id": "d8dcf7c5-e81a-48ae-8313-f540cexample",
            "pinpoint_campaign_id": "4f8d6097c2e8400fa3081d875example",
            "pinpoint_treatment_id": "0",
            "aws_account_id": "123456789012",
            "campaign_activity_id": "5473285727f04865bc673e527example",
            "delivery_type": "GCM",
            "campaign_send_status": "SUCCESS",
            "source": "app",
            "kind": "campaign_send",
            "dt": "2019-07-02",
        }
    ],
    "journey_send": [
        {
            "event_timestamp": at(1572989078843),
            "arrival_timestamp": at(1572989078843),
            "application_id": LEGACY_APP,
            "endpoint_id": "d8dcf7c5-e81a-48ae-8313-f540cexample",
            "journey_run_id": "edc9a0b577164d1daf72ebd15example",
            "journey_send_status": "SUCCESS",
            "journey_id": "546401670c5547b08811ac6a9example",
            "journey_activity_id": "0yKexample",
            "journey_activity_type": "EMAIL",
            "aws_account_id": "123456789012",
            "source": "app",
            "kind": "journey_send",
            "dt": "2019-11-05",
        }
    ],
}


# --------------------------------------------------------------------------------------------------------------
# View definitions
# --------------------------------------------------------------------------------------------------------------

EXPECTED_VIEWS = {
    "email_send": "_email.send",
    "email_delivered": "_email.delivered",
    "email_hardbounce": "_email.hardbounce",
    "email_softbounce": "_email.softbounce",
    "email_complaint": "_email.complaint",
    "email_open": "_email.open",
    "email_click": "_email.click",
    "email_unsubscribe": "_email.unsubscribe",
    "email_rejected": "_email.rejected",
    "sms_buffered": "_SMS.BUFFERED",
    "sms_success": "_SMS.SUCCESS",
    "sms_failure": "_SMS.FAILURE",
    "sms_optout": "_SMS.OPTOUT",
    "campaign_send": "_campaign.send",
    "journey_send": "_journey.send",
}


def test_the_views_are_the_events_db_views():
    assert {view.name: view.event_type for view in lake_views.VIEWS} == EXPECTED_VIEWS
    assert list(lake_views.VIEWS_BY_NAME) == [view.name for view in lake_views.VIEWS]


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_view_kind_is_the_normalizers_kind(view):
    assert event_types.kind_for(view.event_type) == view.kind
    assert view.kind in event_types.KIND_VALUES


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_view_columns_mirror_the_events_db(view):
    names = view.column_names
    assert len(names) == len(set(names))
    assert names[-3:] == ["source", "kind", "dt"]
    common = ["event_timestamp", "arrival_timestamp", "application_id", "endpoint_id"]
    assert names[:4] == common
    assert "aws_account_id" in names and "message_tags" in names
    if view.name != "journey_send":
        assert names[4:7] == ["pinpoint_campaign_id", "pinpoint_treatment_id", "aws_account_id"]
    if view.name.startswith("email_"):
        assert names[7:11] == ["message_id", "message_send_timestamp", "from_address", "destination"]
    assert "treament" not in view.sql  # the Events DB typo
    assert "'treatment_id'" in view.sql or view.name == "journey_send"
    assert "all_events" not in view.sql and "ingest_timestamp" not in view.sql


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_every_view_column_is_cast_to_its_declared_type(view):
    select = sqlglot.parse_one(view.sql, read="trino")
    assert isinstance(select, exp.Select)
    projections = select.expressions
    assert [p.alias_or_name for p in projections] == view.column_names
    for projection, (name, declared) in zip(projections, view.columns, strict=False):
        assert isinstance(projection, exp.Alias), name
        cast = projection.this
        assert isinstance(cast, exp.Cast) and not isinstance(cast, exp.TryCast), name
        assert cast.to == exp.DataType.build(declared, dialect="trino"), (name, declared, cast.to.sql("trino"))
        assert declared in PRESTO_TO_DUCKDB


def _reads_events(select: exp.Select) -> bool:
    from_ = from_clause(select)
    return from_ is not None and isinstance(from_.this, exp.Table) and from_.this.name == "events"


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_every_view_filters_on_the_kind_partition_and_the_event_type(view):
    tree = sqlglot.parse_one(view.sql, read="trino")
    tables = [t.name for t in tree.find_all(exp.Table)]
    assert tables == ["events"]
    # the SELECT that reads the table filters it (views that unnest filter in a subquery, before the UNNEST)
    (select,) = [s for s in tree.find_all(exp.Select) if s.find(exp.Table) and _reads_events(s)]
    where = select.args["where"].this
    conjuncts = list(where.flatten()) if isinstance(where, exp.And) else [where]
    equalities = {
        (c.this.name, c.expression.name) for c in conjuncts if isinstance(c, exp.EQ) and isinstance(c.this, exp.Column)
    }
    assert ("kind", view.kind) in equalities
    assert ("event_type", view.event_type) in equalities
    assert not list(where.find_all(exp.Or))


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_presto_view_text_round_trips(view):
    text = lake_views.presto_view_text(view, "pinpoint_events")
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    payload = json.loads(base64.b64decode(text[len("/* Presto View: ") : -len(" */")]))
    assert payload == {
        "originalSql": view.sql,
        "catalog": "awsdatacatalog",
        "schema": "pinpoint_events",
        "columns": [{"name": n, "type": t} for n, t in view.columns],
    }
    other = json.loads(base64.b64decode(lake_views.presto_view_text(view, "db2", catalog="cat")[16:-3]))
    assert (other["catalog"], other["schema"]) == ("cat", "db2")
    with pytest.raises(ValueError):
        lake_views.presto_view_text(view, "${Token[TOKEN.123]}")
    assert lake_views.PRESTO_VIEW_EXPANDED_TEXT == "/* Presto View */"
    assert lake_views.PRESTO_VIEW_PARAMETERS == {"presto_view": "true", "comment": "Presto View"}


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_every_declared_presto_type_maps_to_a_hive_type(view):
    for (name, hive), (_, presto) in zip(view.hive_columns(), view.columns, strict=False):
        lake_schema.parse_hive_type(hive)  # a valid Hive type string
        assert hive == lake_schema.hive_type(presto)
        assert name


# --------------------------------------------------------------------------------------------------------------
# Views on DuckDB
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_transpiled_view_has_the_declared_columns_and_types(view, sample_db):
    described = sample_db.execute(f"DESCRIBE {view.name}").fetchall()
    assert [(row[0], row[1]) for row in described] == [(n, PRESTO_TO_DUCKDB[t]) for n, t in view.columns]


def _expected_with_tags(view: lake_views.EventView, expected: list[dict], records: list[dict]) -> list[dict]:
    """Complete expected rows with ``message_tags`` from the record with the same event_timestamp."""
    rows = []
    for row in expected:
        assert set(row) | {"message_tags"} == set(view.column_names), view.name
        matches = [r for r in records if at(r["event_timestamp"]) == row["event_timestamp"]]
        assert len(matches) == 1, (view.name, row["event_timestamp"])
        rows.append({**row, "message_tags": message_tags(matches[0], view)})
    return rows


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_view_rows_for_the_aws_samples(view, sample_db, samples):
    actual = query(sample_db, f"SELECT * FROM {view.name}")
    records = [row.record for row in samples if row.record["event_type"] == view.event_type]
    assert_same_rows(actual, _expected_with_tags(view, SAMPLE_EXPECTED[view.name], records))


def test_sample_message_tags_hold_the_contract_attributes(sample_db):
    tags = query(sample_db, "SELECT message_tags FROM email_send WHERE source = 'ses'")[0]["message_tags"]
    assert tags == {"configuration_set": "ConfigSet", "feedback": "received"}
    sms_tags = query(sample_db, "SELECT message_tags FROM sms_success WHERE source = 'sms'")[0]["message_tags"]
    assert sms_tags["account"] == "bar" and sms_tags["record_status"] == "SUCCESSFUL"
    campaign = query(sample_db, "SELECT message_tags FROM campaign_send")[0]["message_tags"]
    assert "endpoint" not in campaign and campaign["campaign_send_status"] == "SUCCESS"


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_view_rows_for_generated_events(view, generated_db, cases):
    actual = query(generated_db, f"SELECT * FROM {view.name}")
    expected: list[dict] = []
    for case in cases:
        rows = case.expected.get(view.name, [])
        expected += _expected_with_tags(view, rows, [case.normalized.record])
    assert expected, f"the generated set must cover {view.name}"
    assert_same_rows(actual, expected)


def test_generated_rows_spot_checks(generated_db):
    hard = query(generated_db, "SELECT * FROM email_hardbounce WHERE message_id = 'm9-team'")
    assert sorted(r["bounced_recipient_email_address"] for r in hard) == ["frank@example.com", "grace@example.com"]
    soft = query(generated_db, "SELECT * FROM email_softbounce WHERE message_id = 'm10-heidi'")
    assert len(soft) == 1 and soft[0]["bounce_type"] == "Undetermined"
    assert soft[0]["bounced_recipient_email_address"] is None
    unsub = query(generated_db, "SELECT unsubscribe_link_tag, pinpoint_treatment_id FROM email_unsubscribe")
    assert unsub == [{"unsubscribe_link_tag": ["footer"], "pinpoint_treatment_id": "0"}]
    failure = query(generated_db, "SELECT message_id, record_status FROM sms_failure ORDER BY message_id")
    assert failure == [
        {"message_id": "s2", "record_status": "UNREACHABLE"},
        {"message_id": "s4", "record_status": "OPTED_OUT"},
    ]
    prices = query(generated_db, "SELECT price_in_millicents_usd AS p FROM sms_success WHERE message_id = 's1'")
    assert [row["p"] for row in prices] == [645.0, 645.0]


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_view_returns_only_its_event_type(view, samples, cases, tmp_path):
    rows = samples + [case.row() for case in cases]
    # every other event type, written into this view's partition: the event_type filter must drop them all
    others = [Row(r.record, r.source, view.kind, r.dt) for r in rows if r.record["event_type"] != view.event_type]
    assert others
    con = build_db(others, tmp_path, "others")
    assert query(con, f"SELECT count(*) AS n FROM {view.name}") == [{"n": 0}]
    # this view's event type, written into other partitions: the kind filter must drop them all
    mine = [r for r in rows if r.record["event_type"] == view.event_type and r.kind == view.kind]
    assert mine
    moved = [Row(r.record, r.source, "custom", r.dt) for r in mine]
    con = build_db(moved, tmp_path, "moved")
    assert query(con, f"SELECT count(*) AS n FROM {view.name}") == [{"n": 0}]
    # and written where they belong, they all come back
    con = build_db(mine, tmp_path, "mine")
    assert query(con, f"SELECT count(*) AS n FROM {view.name}")[0]["n"] >= len(mine)


def test_record_in_the_wrong_kind_partition_is_not_returned(generated_db):
    stray = query(generated_db, "SELECT count(*) AS n FROM events WHERE client.client_id = 'ep-stray'")
    assert stray == [{"n": 1}]
    for name in ("email_open", "email_click"):
        assert query(generated_db, f"SELECT count(*) AS n FROM {name} WHERE endpoint_id = 'ep-stray'") == [{"n": 0}]

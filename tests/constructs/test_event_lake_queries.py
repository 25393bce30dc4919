"""The event lake's named report queries (pinpoint_constructs.event_lake_queries), run on DuckDB over the views
(tests/support/event_lake_duckdb.py; fixtures in tests/constructs/conftest.py). The tests assert exact rows."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from pinpoint_constructs import event_lake_queries as lake_queries
from pinpoint_constructs import event_lake_views as lake_views
from tests.support.event_lake_duckdb import SENDER, from_clause, query, to_duckdb

# --------------------------------------------------------------------------------------------------------------
# Named queries
# --------------------------------------------------------------------------------------------------------------


def _named(name: str) -> lake_queries.NamedQuery:
    return next(q for q in lake_queries.NAMED_QUERIES if q.name == name)


def test_named_queries_are_defined():
    assert [q.name for q in lake_queries.NAMED_QUERIES] == ["campaign_report_30_days", "emails_received_by_address"]
    for named in lake_queries.NAMED_QUERIES:
        name, description, sql = named  # a (name, description, sql) tuple
        assert name == named.name == named[0] and description and sql == named.sql


@pytest.mark.parametrize("named", lake_queries.NAMED_QUERIES, ids=lambda q: q.name)
def test_named_queries_prune_partitions(named):
    tree = sqlglot.parse_one(named.sql, read="trino")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    days = {"campaign_report_30_days": "30", "emails_received_by_address": "90"}[named.name]
    readers = 0
    for select in tree.find_all(exp.Select):
        from_ = from_clause(select)
        if from_ is None or not isinstance(from_.this, exp.Table) or from_.this.name in ctes:
            continue
        readers += 1
        assert from_.this.name in lake_views.VIEWS_BY_NAME  # reads a view (which filters kind=...)
        where = select.args["where"].sql("trino")
        assert f"dt >= DATE_FORMAT(CURRENT_DATE - INTERVAL '{days}' DAY, '%Y-%m-%d')" in where
    assert readers >= 2
    assert "events" not in {t.name for t in tree.find_all(exp.Table)}


def test_campaign_report_30_days(full_db):
    rows = query(full_db, to_duckdb(_named("campaign_report_30_days").sql))
    zero_email = dict.fromkeys(
        [
            "email_sends",
            "email_deliveries",
            "email_opens",
            "email_unique_opened_endpoints",
            "email_clicks",
            "email_bounces",
            "email_hard_bounces",
            "email_soft_bounces",
            "email_complaints",
            "email_unsubscribes",
        ],
        0,
    )
    zero_sms = {"sms_sends": 0, "sms_successes": 0, "sms_failures": 0}
    assert rows == [
        {
            "campaign_id": "camp-a",
            "treatment_id": "0",
            "email_sends": 3,  # m1, m2, m3 (m5 is 40 days old, m8 was rejected)
            "email_deliveries": 2,
            "email_opens": 3,  # m1 twice, m2 once; m5's open is 39 days old; the stray open is in kind=email_click
            "email_unique_opened_endpoints": 2,
            "email_clicks": 1,
            "email_bounces": 1,
            "email_hard_bounces": 1,
            "email_soft_bounces": 0,
            "email_complaints": 1,
            "email_unsubscribes": 1,
            **zero_sms,
        },
        {
            "campaign_id": "camp-a",
            "treatment_id": "1",
            **zero_email,
            "email_sends": 1,
            "email_bounces": 1,
            "email_soft_bounces": 1,
            **zero_sms,
        },
        {
            "campaign_id": "camp-b",
            "treatment_id": "2",
            **zero_email,
            "sms_sends": 4,  # s1..s4 by distinct message id (s5 is 45 days old, s6 has no campaign)
            "sms_successes": 2,  # s1 (SUCCESSFUL + DELIVERED counted once), s3
            "sms_failures": 2,  # s2, s4 (opted out)
        },
    ]


def test_emails_received_by_address(full_db, cases):
    sql = to_duckdb(_named("emails_received_by_address").sql)
    assert sql.count("?") == 1
    by_id = {}
    for case in cases:
        for row in case.expected.get("email_open", []):
            by_id.setdefault(row["message_id"], []).append(row["event_timestamp"])
    sends = {row["message_id"]: row for case in cases for row in case.expected.get("email_send", [])}

    def expected(message_id: str) -> dict:
        send_row = sends[message_id]
        opens = by_id.get(message_id, [])
        return {
            "message_id": message_id,
            "subject": send_row["subject"],
            "from_address": SENDER,
            "sent_at": send_row["message_send_timestamp"],
            "campaign_id": send_row["pinpoint_campaign_id"],
            "opened": bool(opens),
            "open_count": len(opens),
            "first_opened_at": min(opens) if opens else None,
        }

    rows = query(full_db, sql, ["ALICE@example.com"])
    # newest first; m6 (100 days old) is excluded; m1 opened twice; m5's open is counted though 39 days old
    assert rows == [expected("m1-alice"), expected("m7-alice-receipt"), expected("m5-alice-old")]
    assert [r["open_count"] for r in rows] == [2, 0, 1]
    assert query(full_db, sql, ["bob@example.com"]) == [expected("m2-bob")]
    # the AWS samples are from 2017/2019: older than 90 days
    assert query(full_db, sql, ["recipient@example.com"]) == []
    assert query(full_db, sql, ["nobody@example.com"]) == []

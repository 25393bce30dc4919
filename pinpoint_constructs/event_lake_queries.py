"""Report queries of the event lake (EventStreamToS3): Athena named queries over the views of
:mod:`~pinpoint_constructs.event_lake_views`. Pure Python data (no ``aws_cdk`` import)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CAMPAIGN_REPORT_30_DAYS_SQL", "EMAILS_RECEIVED_BY_ADDRESS_SQL", "NAMED_QUERIES", "NamedQuery"]


class NamedQuery(NamedTuple):
    """An Athena named query (report) over the views: a (name, description, sql) tuple."""

    name: str
    description: str
    sql: str


def _since(days: int) -> str:
    # dt is the partition key (YYYY-MM-DD string): comparing it to a constant prunes partitions.
    return f"date_format(current_date - interval '{days}' day, '%Y-%m-%d')"


_REPORT_SOURCES = [
    # (metric label, view)
    ("email_send", "email_send"),
    ("email_delivered", "email_delivered"),
    ("email_open", "email_open"),
    ("email_click", "email_click"),
    ("email_hardbounce", "email_hardbounce"),
    ("email_softbounce", "email_softbounce"),
    ("email_complaint", "email_complaint"),
    ("email_unsubscribe", "email_unsubscribe"),
    ("sms_buffered", "sms_buffered"),
    ("sms_success", "sms_success"),
    ("sms_failure", "sms_failure"),
]

_CAMPAIGN_EVENTS = "\n    UNION ALL\n".join(
    f"    SELECT '{metric}' AS metric, pinpoint_campaign_id AS campaign_id, pinpoint_treatment_id AS treatment_id,"
    f" endpoint_id, message_id\n"
    f"    FROM {view}\n"
    f"    WHERE dt >= {_since(30)} AND pinpoint_campaign_id IS NOT NULL"
    for metric, view in _REPORT_SOURCES
)

CAMPAIGN_REPORT_30_DAYS_SQL = f"""WITH campaign_events AS (
{_CAMPAIGN_EVENTS}
)
SELECT
    campaign_id
  , treatment_id
  , count_if(metric = 'email_send') AS email_sends
  , count_if(metric = 'email_delivered') AS email_deliveries
  , count_if(metric = 'email_open') AS email_opens
  , count(DISTINCT CASE WHEN metric = 'email_open' THEN endpoint_id END) AS email_unique_opened_endpoints
  , count_if(metric = 'email_click') AS email_clicks
  , count_if(metric IN ('email_hardbounce', 'email_softbounce')) AS email_bounces
  , count_if(metric = 'email_hardbounce') AS email_hard_bounces
  , count_if(metric = 'email_softbounce') AS email_soft_bounces
  , count_if(metric = 'email_complaint') AS email_complaints
  , count_if(metric = 'email_unsubscribe') AS email_unsubscribes
  , count(DISTINCT CASE WHEN metric IN ('sms_buffered', 'sms_success', 'sms_failure') THEN message_id END) AS sms_sends
  , count(DISTINCT CASE WHEN metric = 'sms_success' THEN message_id END) AS sms_successes
  , count(DISTINCT CASE WHEN metric = 'sms_failure' THEN message_id END) AS sms_failures
FROM campaign_events
GROUP BY campaign_id, treatment_id
ORDER BY campaign_id, treatment_id"""

EMAILS_RECEIVED_BY_ADDRESS_SQL = f"""WITH sent AS (
    SELECT message_id, subject, from_address, COALESCE(message_send_timestamp, event_timestamp) AS sent_at,
           pinpoint_campaign_id
    FROM email_send
    WHERE dt >= {_since(90)}
      AND contains(transform(destination, d -> lower(d)), lower(?))
),
opens AS (
    SELECT message_id, count(*) AS open_count, min(event_timestamp) AS first_opened_at
    FROM email_open
    WHERE dt >= {_since(90)}
      AND message_id IN (SELECT message_id FROM sent)
    GROUP BY message_id
)
SELECT
    s.message_id
  , s.subject
  , s.from_address
  , s.sent_at
  , s.pinpoint_campaign_id AS campaign_id
  , o.message_id IS NOT NULL AS opened
  , COALESCE(o.open_count, 0) AS open_count
  , o.first_opened_at
FROM sent s
LEFT JOIN opens o ON o.message_id = s.message_id
ORDER BY s.sent_at DESC, s.message_id"""

NAMED_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "campaign_report_30_days",
        "Per campaign and treatment, last 30 days (by dt partition): email sends, deliveries, opens, unique "
        "opened endpoints, clicks, bounces (hard/soft, per bounced recipient), complaints, unsubscribes, and "
        "SMS sends / successes / failures (distinct message ids) for SMS carrying a campaign_id.",
        CAMPAIGN_REPORT_30_DAYS_SQL,
    ),
    NamedQuery(
        "emails_received_by_address",
        "Every email sent to one address (execution parameter 1, case-insensitive) in the last 90 days, newest "
        "first, with subject, send time, message id and whether / how often it was opened.",
        EMAILS_RECEIVED_BY_ADDRESS_SQL,
    ),
)

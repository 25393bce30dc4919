"""Athena views of the event lake (EventStreamToS3): one per Pinpoint event type, over the Glue table ``events``.

Pure Python data (no ``aws_cdk`` import). ``VIEWS`` mirror the views of the Digital User Engagement Events Database,
with its defects fixed:

- ``pinpoint_treatment_id`` reads ``treatment_id`` (the Events DB read the typo ``treament_id``: always NULL);
- map lookups use ``element_at`` (NULL for a missing key) instead of ``map[key]`` (an error in Trino when the
  key is missing, e.g. a send without ``campaign_id``);
- every view filters on the partition key ``kind`` as well as ``event_type``, so Athena reads only that kind's
  partition (the Events DB scanned every event for every view);
- arrays of rows (bounced / complained recipients) are unnested through ``transform`` + ``WITH ORDINALITY``
  (Trino expands an unnested ``array(row)`` into one column per field, so the Events DB's
  ``UNNEST(bounced_recipients) AS t(bounced_recipient)`` does not match its alias list) and with
  ``LEFT JOIN ... ON TRUE`` so that a bounce without recipients is still listed;
- SMS ``message_tags`` are the record's attributes (the normaliser already copied the flat string values of the
  SMS context there) instead of ``CAST(JSON_PARSE(customer_context) AS MAP(VARCHAR, VARCHAR))``, which fails the
  whole query when one context is not a flat string map;
- every output column is wrapped in ``CAST(... AS <declared type>)``: a Glue-stored Presto view whose declared
  column types differ from the query's types is reported "stale" by Athena.

The SQL is written once in Trino syntax and must also run on DuckDB after
``sqlglot.transpile(sql, read="trino", write="duckdb")`` (the tests prove each view there).

``presto_view_text``: what the construct needs to create each view as an ``AWS::Glue::Table``
(``TableType: VIRTUAL_VIEW``), with ``hive_type`` of :mod:`~pinpoint_constructs.event_lake_schema`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from .event_lake_schema import PARTITION_KEYS, hive_type

__all__ = [
    "PRESTO_VIEW_EXPANDED_TEXT",
    "PRESTO_VIEW_PARAMETERS",
    "VIEWS",
    "VIEWS_BY_NAME",
    "EventView",
    "presto_view_text",
]


@dataclass(frozen=True)
class EventView:
    """An Athena view over ``events`` for one Pinpoint event type."""

    name: str
    description: str
    sql: str  # Trino SQL selecting FROM events (no CREATE VIEW)
    columns: tuple[tuple[str, str], ...]  # (name, presto type), in output order
    event_type: str  # the Pinpoint event_type the view returns
    kind: str  # the partition (kind=...) it reads

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def hive_columns(self) -> list[tuple[str, str]]:
        """(name, Hive type) pairs for the Glue table's StorageDescriptor.Columns."""
        return [(name, hive_type(ptype)) for name, ptype in self.columns]


_ME = "facets.email_channel.mail_event"
_MAIL = f"{_ME}.mail"
_EMPTY_MAP = "CAST(MAP() AS map(varchar,varchar))"


def _ts(ms_expr: str) -> str:
    # epoch milliseconds -> timestamp(3) (Athena's session time zone is UTC)
    return f"from_unixtime({ms_expr} / 1000e0)"


def _attr(key: str) -> str:
    return f"element_at(attributes, '{key}')"


_Col = tuple[str, str, str]  # (output name, presto type, expression)

_COMMON: list[_Col] = [
    ("event_timestamp", "timestamp(3)", _ts("event_timestamp")),
    ("arrival_timestamp", "timestamp(3)", _ts("arrival_timestamp")),
    ("application_id", "varchar", "application.app_id"),
    ("endpoint_id", "varchar", "client.client_id"),
    ("pinpoint_campaign_id", "varchar", _attr("campaign_id")),
    ("pinpoint_treatment_id", "varchar", _attr("treatment_id")),  # the Events DB read 'treament_id'
    ("aws_account_id", "varchar", "awsaccountid"),
]
_EMAIL_COMMON: list[_Col] = [
    ("message_id", "varchar", f"{_MAIL}.message_id"),
    ("message_send_timestamp", "timestamp(3)", _ts(f"{_MAIL}.message_send_timestamp")),
    ("from_address", "varchar", f"{_MAIL}.from_address"),
    ("destination", "array(varchar)", f"{_MAIL}.destination"),
]
_SUBJECT: _Col = ("subject", "varchar", f"{_MAIL}.common_headers.subject")
_EMAIL_TAGS: _Col = (
    "message_tags",
    "map(varchar,varchar)",
    f"map_concat(COALESCE(client_context.custom, {_EMPTY_MAP}), COALESCE(attributes, {_EMPTY_MAP}))",
)
_ATTRIBUTE_TAGS: _Col = ("message_tags", "map(varchar,varchar)", f"COALESCE(attributes, {_EMPTY_MAP})")
_PARTITIONS: list[_Col] = [(name, "varchar", name) for name, _ in PARTITION_KEYS]

_BOUNCE: list[_Col] = [
    ("bounce_type", "varchar", f"{_ME}.bounce.bounce_type"),
    ("bounce_sub_type", "varchar", f"{_ME}.bounce.bounce_sub_type"),
    ("feedback_id", "varchar", f"{_ME}.bounce.feedback_id"),
    ("reporting_mta", "varchar", f"{_ME}.bounce.reporting_mta"),
    ("bounced_recipient_email_address", "varchar", "r.recipient_email_address"),
    ("bounced_recipient_action", "varchar", f"element_at({_ME}.bounce.bounced_recipients, r.recipient_index).action"),
    ("bounced_recipient_status", "varchar", f"element_at({_ME}.bounce.bounced_recipients, r.recipient_index).status"),
    (
        "bounced_recipient_diagnostic_code",
        "varchar",
        f"element_at({_ME}.bounce.bounced_recipients, r.recipient_index).diagnostic_code",
    ),
]
# One row per bounced recipient; a bounce without recipients still gives one row (NULL recipient columns).
_BOUNCE_JOIN = (
    f"LEFT JOIN UNNEST(transform({_ME}.bounce.bounced_recipients, x -> x.email_address)) "
    "WITH ORDINALITY AS r(recipient_email_address, recipient_index) ON TRUE"
)
_COMPLAINT_JOIN = (
    f"LEFT JOIN UNNEST(transform({_ME}.complaint.complained_recipients, x -> x.email_address)) "
    "AS r(complained_email_address) ON TRUE"
)

_SMS: list[_Col] = [
    ("sender_request_id", "varchar", _attr("sender_request_id")),
    ("origination_phone_number", "varchar", _attr("origination_phone_number")),
    ("destination_phone_number", "varchar", _attr("destination_phone_number")),
    ("record_status", "varchar", _attr("record_status")),
    ("iso_country_code", "varchar", _attr("iso_country_code")),
    ("number_of_message_parts", "varchar", _attr("number_of_message_parts")),
    ("message_id", "varchar", _attr("message_id")),
    ("message_type", "varchar", _attr("message_type")),
    ("price_in_millicents_usd", "double", "element_at(metrics, 'price_in_millicents_usd')"),
    ("carrier_fee_in_millicents_usd", "double", "element_at(metrics, 'carrier_fee_in_millicents_usd')"),
    ("customer_context", "varchar", _attr("customer_context")),
    _ATTRIBUTE_TAGS,
]


def _view(
    name: str,
    event_type: str,
    description: str,
    columns: list[_Col],
    join: str | None = None,
) -> EventView:
    kind = name  # every view is named after the partition (kind) it reads
    select = "\n  , ".join(f"CAST({expr} AS {ptype}) AS {col}" for col, ptype, expr in columns)
    where = f"WHERE kind = '{kind}' AND event_type = '{event_type}'"
    if join:
        # filter before the lateral UNNEST so that every engine prunes partitions before unnesting
        sql = f"SELECT\n    {select}\nFROM (SELECT * FROM events {where}) AS e\n{join}"
    else:
        sql = f"SELECT\n    {select}\nFROM events\n{where}"
    names = [c[0] for c in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate column in view {name}")
    return EventView(
        name=name,
        description=description,
        sql=sql,
        columns=tuple((col, ptype) for col, ptype, _ in columns),
        event_type=event_type,
        kind=kind,
    )


VIEWS: tuple[EventView, ...] = (
    _view(
        "email_send",
        "_email.send",
        "Emails accepted for sending (_email.send).",
        _COMMON + _EMAIL_COMMON + [_SUBJECT, _EMAIL_TAGS] + _PARTITIONS,
    ),
    _view(
        "email_delivered",
        "_email.delivered",
        "Emails delivered to the recipient's mail server (_email.delivered).",
        _COMMON
        + _EMAIL_COMMON
        + [
            _SUBJECT,
            ("smtp_response", "varchar", f"{_ME}.delivery.smtp_response"),
            ("reporting_mta", "varchar", f"{_ME}.delivery.reporting_mta"),
            ("recipients", "array(varchar)", f"{_ME}.delivery.recipients"),
            ("processing_time_millis", "bigint", f"{_ME}.delivery.processing_time_millis"),
            _EMAIL_TAGS,
        ]
        + _PARTITIONS,
    ),
    _view(
        "email_hardbounce",
        "_email.hardbounce",
        "Permanent bounces (_email.hardbounce), one row per bounced recipient.",
        _COMMON + _EMAIL_COMMON + _BOUNCE + [_EMAIL_TAGS] + _PARTITIONS,
        join=_BOUNCE_JOIN,
    ),
    _view(
        "email_softbounce",
        "_email.softbounce",
        "Transient / undetermined bounces (_email.softbounce), one row per bounced recipient.",
        _COMMON + _EMAIL_COMMON + _BOUNCE + [_EMAIL_TAGS] + _PARTITIONS,
        join=_BOUNCE_JOIN,
    ),
    _view(
        "email_complaint",
        "_email.complaint",
        "Spam complaints (_email.complaint), one row per complained recipient.",
        _COMMON
        + _EMAIL_COMMON
        + [
            ("complained_email_address", "varchar", "r.complained_email_address"),
            ("feedback_id", "varchar", f"{_ME}.complaint.feedback_id"),
            ("user_agent", "varchar", f"{_ME}.complaint.user_agent"),
            ("complaint_feedback_type", "varchar", f"{_ME}.complaint.complaint_feedback_type"),
            _EMAIL_TAGS,
        ]
        + _PARTITIONS,
        join=_COMPLAINT_JOIN,
    ),
    _view(
        "email_open",
        "_email.open",
        "Email opens (_email.open).",
        _COMMON
        + _EMAIL_COMMON
        + [
            _SUBJECT,
            ("ip_address", "varchar", f"{_ME}.open.ip_address"),
            ("user_agent", "varchar", f"{_ME}.open.user_agent"),
            _EMAIL_TAGS,
        ]
        + _PARTITIONS,
    ),
    _view(
        "email_click",
        "_email.click",
        "Link clicks in emails (_email.click); unsubscribe-link clicks are in email_unsubscribe.",
        _COMMON
        + _EMAIL_COMMON
        + [
            _SUBJECT,
            ("ip_address", "varchar", f"{_ME}.click.ip_address"),
            ("user_agent", "varchar", f"{_ME}.click.user_agent"),
            ("link", "varchar", f"{_ME}.click.link"),
            _EMAIL_TAGS,
        ]
        + _PARTITIONS,
    ),
    _view(
        "email_unsubscribe",
        "_email.unsubscribe",
        "Unsubscribes (_email.unsubscribe): unsubscribe-link clicks and SES subscription events.",
        _COMMON
        + _EMAIL_COMMON
        + [
            _SUBJECT,
            ("ip_address", "varchar", f"{_ME}.click.ip_address"),
            ("user_agent", "varchar", f"{_ME}.click.user_agent"),
            ("link", "varchar", f"{_ME}.click.link"),
            (
                "unsubscribe_link_tag",
                "array(varchar)",
                f"element_at({_ME}.click.link_tags, 'unsubscribeLinkTag')",
            ),
            _EMAIL_TAGS,
        ]
        + _PARTITIONS,
    ),
    _view(
        "email_rejected",
        "_email.rejected",
        "Emails rejected before sending, e.g. virus detected (_email.rejected).",
        _COMMON
        + _EMAIL_COMMON
        + [_SUBJECT, ("reject_reason", "varchar", f"{_ME}.reject.reason"), _EMAIL_TAGS]
        + _PARTITIONS,
    ),
    _view(
        "sms_buffered",
        "_SMS.BUFFERED",
        "SMS queued / pending / sent to the carrier (_SMS.BUFFERED).",
        _COMMON + _SMS + _PARTITIONS,
    ),
    _view(
        "sms_success",
        "_SMS.SUCCESS",
        "SMS accepted by the carrier or delivered (_SMS.SUCCESS).",
        _COMMON + _SMS + _PARTITIONS,
    ),
    _view(
        "sms_failure",
        "_SMS.FAILURE",
        "SMS that failed (_SMS.FAILURE); record_status tells why (e.g. OPTED_OUT, UNREACHABLE).",
        _COMMON + _SMS + _PARTITIONS,
    ),
    _view(
        "sms_optout",
        "_SMS.OPTOUT",
        "SMS opt-outs (_SMS.OPTOUT).",
        _COMMON + _SMS + _PARTITIONS,
    ),
    _view(
        "campaign_send",
        "_campaign.send",
        "Campaign message sends (_campaign.send).",
        [
            *_COMMON,
            ("campaign_activity_id", "varchar", _attr("campaign_activity_id")),
            ("delivery_type", "varchar", _attr("delivery_type")),
            ("campaign_send_status", "varchar", _attr("campaign_send_status")),
            _ATTRIBUTE_TAGS,
            *_PARTITIONS,
        ],
    ),
    _view(
        "journey_send",
        "_journey.send",
        "Journey message sends (_journey.send).",
        [c for c in _COMMON if c[0] not in ("pinpoint_campaign_id", "pinpoint_treatment_id", "aws_account_id")]
        + [
            ("journey_run_id", "varchar", _attr("journey_run_id")),
            ("journey_send_status", "varchar", _attr("journey_send_status")),
            ("journey_id", "varchar", _attr("journey_id")),
            ("journey_activity_id", "varchar", _attr("journey_activity_id")),
            ("journey_activity_type", "varchar", _attr("journey_activity_type")),
            ("aws_account_id", "varchar", "awsaccountid"),
            _ATTRIBUTE_TAGS,
        ]
        + _PARTITIONS,
    ),
)

VIEWS_BY_NAME: dict[str, EventView] = {view.name: view for view in VIEWS}

#: ViewExpandedText of an Athena (Presto) view stored in Glue.
PRESTO_VIEW_EXPANDED_TEXT = "/* Presto View */"
#: Glue table Parameters of an Athena (Presto) view.
PRESTO_VIEW_PARAMETERS = {"presto_view": "true", "comment": "Presto View"}


def presto_view_text(view: EventView, database: str, catalog: str = "awsdatacatalog") -> str:
    """The Glue ``ViewOriginalText`` Athena reads for ``view`` in ``database``.

    ``database`` and ``catalog`` are encoded into the text, so they must be plain strings, not CDK tokens.
    """
    for value in (database, catalog):
        if not isinstance(value, str) or not value or "${Token[" in value:
            raise ValueError(f"presto_view_text needs a literal database / catalog name, got {value!r}")
    payload = {
        "originalSql": view.sql,
        "catalog": catalog,
        "schema": database,
        "columns": [{"name": name, "type": ptype} for name, ptype in view.columns],
    }
    encoded = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    return f"/* Presto View: {encoded} */"

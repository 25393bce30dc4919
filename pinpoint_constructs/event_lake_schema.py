"""Schema, Athena views and report queries of the event lake (EventStreamToS3).

Pure Python data (no ``aws_cdk`` import) so that tests and benchmarks can use it without synthesising a stack.

* ``EVENT_COLUMNS`` / ``PARTITION_KEYS``: the Glue table ``events`` (Hive type strings). Every record in the lake is
  in the Pinpoint event-stream shape written by ``pinpoint_runtime.events.records.normalize_record`` and stored under
  ``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/``.
* ``VIEWS``: one Athena (Trino) view per Pinpoint event type, mirroring the views of the Digital User Engagement
  Events Database, with its defects fixed:

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
* ``NAMED_QUERIES``: report queries over the views (Athena named queries).
* ``presto_view_text`` / ``hive_type``: what the construct needs to create each view as an ``AWS::Glue::Table``
  (``TableType: VIRTUAL_VIEW``).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "EVENT_COLUMNS",
    "NAMED_QUERIES",
    "PARTITION_KEYS",
    "PRESTO_VIEW_EXPANDED_TEXT",
    "PRESTO_VIEW_PARAMETERS",
    "VIEWS",
    "VIEWS_BY_NAME",
    "EventView",
    "NamedQuery",
    "hive_type",
    "parse_hive_type",
    "presto_view_text",
]

# --------------------------------------------------------------------------------------------------------------
# Glue table
# --------------------------------------------------------------------------------------------------------------

_MAIL_EVENT_TYPE = (
    "struct<"
    "mail:struct<message_id:string,message_send_timestamp:bigint,from_address:string,destination:array<string>,"
    "headers_truncated:boolean,headers:array<struct<name:string,value:string>>,"
    "common_headers:struct<from:string,to:array<string>,subject:string>>,"
    "send:map<string,string>,"
    "delivery:struct<smtp_response:string,reporting_mta:string,recipients:array<string>,processing_time_millis:bigint>,"
    "open:struct<ip_address:string,user_agent:string,timestamp:bigint>,"
    "click:struct<ip_address:string,user_agent:string,link:string,link_tags:map<string,array<string>>,timestamp:bigint>,"
    "bounce:struct<bounce_type:string,bounce_sub_type:string,"
    "bounced_recipients:array<struct<email_address:string,action:string,status:string,diagnostic_code:string>>,"
    "feedback_id:string,reporting_mta:string,timestamp:bigint>,"
    "complaint:struct<complained_recipients:array<struct<email_address:string>>,feedback_id:string,user_agent:string,"
    "complaint_feedback_type:string,timestamp:bigint>,"
    "reject:struct<reason:string>,"
    "rendering_failure:struct<error_message:string,template_name:string>,"
    "delivery_delay:struct<delay_type:string,expiration_time:bigint,reporting_mta:string>,"
    "subscription:map<string,string>"
    ">"
)

#: Columns of the Glue table ``events`` (Hive type strings, as in the record contract).
EVENT_COLUMNS: list[tuple[str, str]] = [
    ("event_type", "string"),
    ("event_timestamp", "bigint"),
    ("arrival_timestamp", "bigint"),
    ("event_version", "string"),
    (
        "application",
        "struct<app_id:string,package_name:string,title:string,version_name:string,version_code:string,"
        "sdk:map<string,string>>",
    ),
    ("client", "struct<client_id:string,cognito_id:string>"),
    ("device", "struct<platform:map<string,string>,locale:map<string,string>,make:string,model:string>"),
    ("session", "struct<session_id:string,start_timestamp:bigint,stop_timestamp:bigint>"),
    ("attributes", "map<string,string>"),
    ("metrics", "map<string,double>"),
    ("client_context", "struct<custom:map<string,string>>"),
    ("awsaccountid", "string"),
    ("facets", f"struct<email_channel:struct<mail_event:{_MAIL_EVENT_TYPE}>>"),
]

#: Partition keys of ``events`` (Firehose dynamic partitioning: source=/kind=/dt=).
PARTITION_KEYS: list[tuple[str, str]] = [("source", "string"), ("kind", "string"), ("dt", "string")]


# --------------------------------------------------------------------------------------------------------------
# Type helpers
# --------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse type {text!r} at {pos}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_hive_type(text: str):
    """Parse a Hive type string into a nested tuple.

    ``"string"`` -> ``("string",)``; ``"array<string>"`` -> ``("array", ("string",))``;
    ``"map<string,double>"`` -> ``("map", ("string",), ("double",))``;
    ``"struct<a:string,b:bigint>"`` -> ``("struct", (("a", ("string",)), ("b", ("bigint",))))``;
    ``"decimal(10,2)"`` -> ``("decimal", 10, 2)``. Raises ValueError on anything else.
    """
    toks = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"unexpected end of Hive type {text!r}")
        pos += 1
        return toks[pos - 1]

    def expect(tok: str) -> None:
        if take() != tok:
            raise ValueError(f"expected {tok!r} in Hive type {text!r}")

    def parse():
        name = take().lower()
        if name == "array":
            expect("<")
            elem = parse()
            expect(">")
            return ("array", elem)
        if name == "map":
            expect("<")
            key = parse()
            expect(",")
            value = parse()
            expect(">")
            return ("map", key, value)
        if name == "struct":
            expect("<")
            fields = []
            while True:
                fname = take()
                expect(":")
                fields.append((fname, parse()))
                if peek() == ",":
                    take()
                    continue
                expect(">")
                return ("struct", tuple(fields))
        if name not in _HIVE_PRIMITIVES:
            raise ValueError(f"unknown Hive type {name!r} in {text!r}")
        if name in ("decimal", "varchar", "char") and peek() == "(":
            take()
            args = [int(take())]
            while peek() == ",":
                take()
                args.append(int(take()))
            expect(")")
            return (name, *args)
        return (name,)

    result = parse()
    if pos != len(toks):
        raise ValueError(f"trailing text in Hive type {text!r}")
    return result


_HIVE_PRIMITIVES = {
    "string",
    "bigint",
    "int",
    "smallint",
    "tinyint",
    "double",
    "float",
    "boolean",
    "timestamp",
    "date",
    "binary",
    "decimal",
    "varchar",
    "char",
}

_PRESTO_TO_HIVE = {
    "varchar": "string",
    "char": "string",
    "bigint": "bigint",
    "integer": "int",
    "int": "int",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "real": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "varbinary": "binary",
}


def _presto_split(args: str) -> list[str]:
    """Split a Presto type argument list on top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
    parts.append(args[start:].strip())
    return parts


def hive_type(presto_type: str) -> str:
    """Map a Presto/Trino type string (as declared for a view column) to the Hive type Glue stores.

    varchar -> string, bigint -> bigint, double -> double, boolean -> boolean, timestamp(3) -> timestamp,
    array(varchar) -> array<string>, map(varchar,varchar) -> map<string,string>,
    row(a varchar, b bigint) -> struct<a:string,b:bigint>, decimal(p,s) -> decimal(p,s), ...
    Raises ValueError for a type it does not know.
    """
    text = presto_type.strip()
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\((.*)\))?", text, re.S)
    if not m:
        raise ValueError(f"cannot parse Presto type {presto_type!r}")
    base, args = m.group(1).strip().lower(), m.group(2)
    if base == "array" and args is not None:
        return f"array<{hive_type(args)}>"
    if base == "map" and args is not None:
        key, value = _presto_split(args)
        return f"map<{hive_type(key)},{hive_type(value)}>"
    if base == "row" and args is not None:
        fields = []
        for part in _presto_split(args):
            fname, _, ftype = part.strip().partition(" ")
            if not ftype:
                raise ValueError(f"row field without a name in {presto_type!r}")
            fields.append(f"{fname.strip(chr(34))}:{hive_type(ftype)}")
        return f"struct<{','.join(fields)}>"
    if base == "decimal":
        return f"decimal({args})" if args else "decimal"
    if base in ("varchar", "char", "timestamp"):
        # length / precision is not part of the Hive type (Athena reads Hive timestamps as timestamp(3))
        return _PRESTO_TO_HIVE[base]
    if args is None and base in _PRESTO_TO_HIVE:
        return _PRESTO_TO_HIVE[base]
    raise ValueError(f"no Hive type for Presto type {presto_type!r}")


# --------------------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------------------


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


class NamedQuery(NamedTuple):
    """An Athena named query (report) over the views: a (name, description, sql) tuple."""

    name: str
    description: str
    sql: str


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


# --------------------------------------------------------------------------------------------------------------
# Named queries (reports)
# --------------------------------------------------------------------------------------------------------------


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

"""The event lake on DuckDB, for the lake tests (tests/constructs/test_event_lake_*.py, tests/flows/test_event_lake.py).

Records are normalised by the real ``pinpoint_runtime.events.records.normalize_record`` (the shared AWS sample files
plus a generated set that covers every view), loaded into a DuckDB table ``events`` with the Glue schema
(``EVENT_COLUMNS`` + partition keys, Hive types translated to DuckDB types), and every view's Trino SQL is
transpiled with sqlglot (trino -> duckdb) and created as a DuckDB view. The pytest fixtures built from these
helpers are in tests/constructs/conftest.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from pinpoint_constructs import event_lake_schema as lake_schema
from pinpoint_constructs import event_lake_views as lake_views
from pinpoint_runtime.events import event_types
from pinpoint_runtime.events.records import NormalizedEvent, normalize_record
from tests.conftest import SAMPLE_EVENTS_DIR

APP_ID = "lakeapp00000000000000000000000001"
ACCOUNT = "111122223333"
SENDER = "news@example.com"
EPOCH = datetime(1970, 1, 1)

# --------------------------------------------------------------------------------------------------------------
# Helpers: Hive -> DuckDB types, Glue-schema conformance, DuckDB database with the views
# --------------------------------------------------------------------------------------------------------------

_HIVE_TO_DUCKDB = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "binary": "BLOB",
}

# declared Presto view column types -> the type DuckDB reports for the transpiled CAST
PRESTO_TO_DUCKDB = {
    "varchar": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp(3)": "TIMESTAMP_MS",
    "array(varchar)": "VARCHAR[]",
    "map(varchar,varchar)": "MAP(VARCHAR, VARCHAR)",
}


def hive_to_duckdb(hive: tuple) -> str:
    """Translate a parsed Hive type (``lake_schema.parse_hive_type``) into a DuckDB type."""
    name = hive[0]
    if name == "array":
        return f"{hive_to_duckdb(hive[1])}[]"
    if name == "map":
        return f"MAP({hive_to_duckdb(hive[1])}, {hive_to_duckdb(hive[2])})"
    if name == "struct":
        return "STRUCT(" + ", ".join(f'"{fname}" {hive_to_duckdb(ftype)}' for fname, ftype in hive[1]) + ")"
    if name == "decimal":
        return f"DECIMAL({hive[1]}, {hive[2]})" if len(hive) == 3 else "DECIMAL(10, 0)"
    return _HIVE_TO_DUCKDB[name]


def conform(value: Any, hive: tuple, path: str) -> Any:
    """Return ``value`` shaped exactly as the Hive type (what a Glue reader sees), or fail naming the field.

    Struct field names match case-insensitively (the OpenX JSON SerDe lower-cases keys); keys the schema does not
    know are ignored (readers ignore them); a value of the wrong JSON type is a contract violation.
    """
    if value is None:
        return None
    name = hive[0]
    if name == "struct":
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        lowered = {str(key).lower(): item for key, item in value.items()}
        return {fname: conform(lowered.get(fname.lower()), ftype, f"{path}.{fname}") for fname, ftype in hive[1]}
    if name == "map":
        assert isinstance(value, dict), f"{path}: expected a map, got {value!r}"
        return {
            conform(key, hive[1], f"{path}<key>"): conform(item, hive[2], f"{path}[{key}]")
            for key, item in value.items()
        }
    if name == "array":
        assert isinstance(value, list), f"{path}: expected an array, got {value!r}"
        return [conform(item, hive[1], f"{path}[{i}]") for i, item in enumerate(value)]
    if name in ("string", "varchar", "char"):
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        return value
    if name in ("bigint", "int", "smallint", "tinyint"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer, got {value!r}"
        return value
    if name in ("double", "float"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected a number"
        return float(value)
    if name == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean, got {value!r}"
        return value
    raise AssertionError(f"{path}: no conformance rule for Hive type {hive!r}")


TABLE_COLUMNS = lake_schema.EVENT_COLUMNS + lake_schema.PARTITION_KEYS
PARSED_COLUMNS = [(name, lake_schema.parse_hive_type(hive)) for name, hive in TABLE_COLUMNS]


def conform_record(record: dict) -> dict:
    lowered = {key.lower(): value for key, value in record.items()}
    return {
        name: conform(lowered.get(name), hive, name) for name, hive in PARSED_COLUMNS[: len(lake_schema.EVENT_COLUMNS)]
    }


def to_duckdb(sql: str) -> str:
    return sqlglot.transpile(sql, read="trino", write="duckdb")[0]


@dataclass(frozen=True)
class Row:
    """One object in the lake: the record and the partition (source=/kind=/dt=) it was written to."""

    record: dict
    source: str
    kind: str
    dt: str


def from_normalized(event: NormalizedEvent, *, kind: str | None = None) -> Row:
    return Row(event.record, event.source, kind or event.kind, event.dt)


def build_db(rows: list[Row], tmp_path: Path, name: str = "events") -> duckdb.DuckDBPyConnection:
    """DuckDB with table ``events`` (Glue schema) holding ``rows`` and every view of ``lake_views.VIEWS``."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    types = {col: hive_to_duckdb(hive) for col, hive in PARSED_COLUMNS}
    con.execute("CREATE TABLE events (" + ", ".join(f'"{col}" {typ}' for col, typ in types.items()) + ")")
    if rows:
        path = tmp_path / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                data = conform_record(row.record)
                data.update(source=row.source, kind=row.kind, dt=row.dt)
                out.write(json.dumps(data) + "\n")
        column_list = ", ".join(f'"{col}"' for col in types)
        con.execute(
            f"INSERT INTO events SELECT {column_list} FROM read_json(?, format = 'newline_delimited', columns = ?)",
            [str(path), types],
        )
    for view in lake_views.VIEWS:
        con.execute(f"CREATE VIEW {view.name} AS {to_duckdb(view.sql)}")
    return con


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=False)) for values in cursor.fetchall()]


def at(ms: int) -> datetime:
    """Epoch ms -> naive UTC datetime (what DuckDB returns for TIMESTAMP_MS)."""
    return EPOCH + timedelta(milliseconds=ms)


def day(ms: int) -> str:
    return at(ms).date().isoformat()


def iso(ms: int) -> str:
    return at(ms).isoformat(timespec="milliseconds") + "Z"


def canonical(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def assert_same_rows(actual: list[dict], expected: list[dict]) -> None:
    assert sorted(map(canonical, actual)) == sorted(map(canonical, expected))


def message_tags(record: dict, view: lake_views.EventView) -> dict:
    """Expected ``message_tags`` of a view row built from ``record``."""
    attributes = record.get("attributes") or {}
    if view.name.startswith("email_"):
        custom = (record.get("client_context") or {}).get("custom") or {}
        return {**custom, **attributes}
    return dict(attributes)


# --------------------------------------------------------------------------------------------------------------
# Records: the shared AWS samples and a generated set (dated relative to today) covering every view
# --------------------------------------------------------------------------------------------------------------


def _sample_dir() -> Path:
    assert (SAMPLE_EVENTS_DIR / "ses_events.jsonl").is_file(), f"sample event files missing in {SAMPLE_EVENTS_DIR}"
    return SAMPLE_EVENTS_DIR


SAMPLE_ARRIVAL_MS = 1_700_000_000_000  # 2023-11-14: after every sample event


def sample_rows() -> list[Row]:
    rows = []
    for path in sorted(_sample_dir().glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                event = normalize_record(
                    line, arrival_timestamp_ms=SAMPLE_ARRIVAL_MS, application_id=APP_ID, account_id=ACCOUNT
                )
                rows.append(from_normalized(event))
    return rows


@dataclass
class Case:
    """A raw record, the rows each view must return for it, and (optionally) a wrong partition to write it to."""

    raw: dict
    event_ms: int
    expected: dict[str, list[dict]] = field(default_factory=dict)
    kind_override: str | None = None
    normalized: NormalizedEvent | None = None

    @property
    def arrival_ms(self) -> int:
        return self.event_ms + 4_000

    def row(self) -> Row:
        assert self.normalized is not None
        return from_normalized(self.normalized, kind=self.kind_override)


@dataclass
class Mail:
    """One SES message; ``event`` builds its SES event-publishing records."""

    message_id: str
    to: list[str]
    subject: str
    send_ms: int
    endpoint: str
    campaign: str | None = None
    treatment: str | None = None

    def mail(self) -> dict:
        tags = {
            "ses:configuration-set": ["lake-events"],
            "ses:source-ip": ["192.0.2.10"],
            "ses:from-domain": ["example.com"],
            "endpoint_id": [self.endpoint],
        }
        if self.campaign:
            tags["campaign_id"] = [self.campaign]
        if self.treatment is not None:
            tags["treatment_id"] = [self.treatment]
        return {
            "timestamp": iso(self.send_ms),
            "source": f"Example News <{SENDER}>",
            "sourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com",
            "sendingAccountId": ACCOUNT,
            "messageId": self.message_id,
            "destination": self.to,
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": f"Example News <{SENDER}>"},
                {"name": "Subject", "value": self.subject},
            ],
            "commonHeaders": {"from": [f"Example News <{SENDER}>"], "to": self.to, "subject": self.subject},
            "tags": tags,
        }

    def event(self, ses_type: str, body_key: str, body: dict, event_ms: int | None) -> dict:
        body = dict(body)
        if event_ms is not None:
            body["timestamp"] = iso(event_ms)
        return {"eventType": ses_type, "mail": self.mail(), body_key: body}

    def common(self, kind: str, event_ms: int, arrival_ms: int) -> dict:
        return {
            "event_timestamp": at(event_ms),
            "arrival_timestamp": at(arrival_ms),
            "application_id": APP_ID,
            "endpoint_id": self.endpoint,
            "pinpoint_campaign_id": self.campaign,
            "pinpoint_treatment_id": self.treatment,
            "aws_account_id": ACCOUNT,
            "message_id": self.message_id,
            "message_send_timestamp": at(self.send_ms),
            "from_address": SENDER,
            "destination": self.to,
            "source": "ses",
            "kind": kind,
            "dt": day(event_ms),
        }


def email_case(mail: Mail, view: str, ses_type: str, body_key: str, body: dict, event_ms: int, extra) -> Case:
    """An SES event whose view row(s) are ``common + extra`` (``extra`` a dict or a list of dicts: one per row)."""
    raw = mail.event(ses_type, body_key, body, None if ses_type == "Send" else event_ms)
    case = Case(raw, event_ms)
    extras = extra if isinstance(extra, list) else [extra]
    case.expected[view] = [{**mail.common(view, event_ms, case.arrival_ms), **item} for item in extras]
    return case


def send(mail: Mail) -> Case:
    return email_case(mail, "email_send", "Send", "send", {}, mail.send_ms, {"subject": mail.subject})


def delivery(mail: Mail, event_ms: int) -> Case:
    body = {
        "processingTimeMillis": 812,
        "recipients": mail.to,
        "smtpResponse": "250 2.0.0 OK",
        "reportingMTA": "a8-1.smtp-out.amazonses.com",
    }
    extra = {
        "subject": mail.subject,
        "smtp_response": "250 2.0.0 OK",
        "reporting_mta": "a8-1.smtp-out.amazonses.com",
        "recipients": mail.to,
        "processing_time_millis": 812,
    }
    return email_case(mail, "email_delivered", "Delivery", "delivery", body, event_ms, extra)


def open_(mail: Mail, event_ms: int, ip: str = "198.51.100.7") -> Case:
    body = {"ipAddress": ip, "userAgent": "Mail/1.0"}
    extra = {"subject": mail.subject, "ip_address": ip, "user_agent": "Mail/1.0"}
    return email_case(mail, "email_open", "Open", "open", body, event_ms, extra)


def click(mail: Mail, event_ms: int, link: str) -> Case:
    body = {"ipAddress": "198.51.100.8", "userAgent": "Browser/2.0", "link": link, "linkTags": {"offer": ["spring"]}}
    extra = {"subject": mail.subject, "ip_address": "198.51.100.8", "user_agent": "Browser/2.0", "link": link}
    return email_case(mail, "email_click", "Click", "click", body, event_ms, extra)


def unsubscribe_click(mail: Mail, event_ms: int) -> Case:
    link = "https://example.com/unsubscribe?u=1"
    body = {
        "ipAddress": "198.51.100.9",
        "userAgent": "Browser/2.0",
        "link": link,
        "linkTags": {"unsubscribeLinkTag": ["footer"]},
    }
    extra = {
        "subject": mail.subject,
        "ip_address": "198.51.100.9",
        "user_agent": "Browser/2.0",
        "link": link,
        "unsubscribe_link_tag": ["footer"],
    }
    return email_case(mail, "email_unsubscribe", "Click", "click", body, event_ms, extra)


def bounce(mail: Mail, event_ms: int, bounce_type: str, sub_type: str, recipients: list[str]) -> Case:
    view = "email_hardbounce" if bounce_type == "Permanent" else "email_softbounce"
    body = {
        "bounceType": bounce_type,
        "bounceSubType": sub_type,
        "bouncedRecipients": [
            {"emailAddress": r, "action": "failed", "status": "5.1.1", "diagnosticCode": f"smtp; 550 {r} unknown"}
            for r in recipients
        ],
        "feedbackId": f"fb-{mail.message_id}",
        "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com",
    }
    base = {
        "bounce_type": bounce_type,
        "bounce_sub_type": sub_type,
        "feedback_id": f"fb-{mail.message_id}",
        "reporting_mta": "dsn; a8-1.smtp-out.amazonses.com",
    }
    rows = [
        {
            **base,
            "bounced_recipient_email_address": r,
            "bounced_recipient_action": "failed",
            "bounced_recipient_status": "5.1.1",
            "bounced_recipient_diagnostic_code": f"smtp; 550 {r} unknown",
        }
        for r in recipients
    ] or [  # a bounce without recipients is still listed (LEFT JOIN UNNEST)
        {
            **base,
            "bounced_recipient_email_address": None,
            "bounced_recipient_action": None,
            "bounced_recipient_status": None,
            "bounced_recipient_diagnostic_code": None,
        }
    ]
    return email_case(mail, view, "Bounce", "bounce", body, event_ms, rows)


def complaint(mail: Mail, event_ms: int) -> Case:
    body = {
        "complainedRecipients": [{"emailAddress": r} for r in mail.to],
        "feedbackId": f"cfb-{mail.message_id}",
        "userAgent": "Yahoo!-Mail-Feedback/2.0",
        "complaintFeedbackType": "abuse",
        "arrivalDate": iso(event_ms),
    }
    rows = [
        {
            "complained_email_address": r,
            "feedback_id": f"cfb-{mail.message_id}",
            "user_agent": "Yahoo!-Mail-Feedback/2.0",
            "complaint_feedback_type": "abuse",
        }
        for r in mail.to
    ]
    return email_case(mail, "email_complaint", "Complaint", "complaint", body, event_ms, rows)


def reject(mail: Mail, event_ms: int) -> Case:
    extra = {"subject": mail.subject, "reject_reason": "Bad content"}
    return email_case(mail, "email_rejected", "Reject", "reject", {"reason": "Bad content"}, event_ms, extra)


SMS_FROM = "+12065550100"


def sms(
    sms_type: str,
    status: str,
    *,
    message_id: str,
    event_ms: int,
    endpoint: str,
    to: str = "+14255550123",
    campaign: str | None = None,
    treatment: str | None = None,
    price: float | None = None,
) -> Case:
    """An End User Messaging SMS v2 event; the expected row is in the view of its Pinpoint event type."""
    context = {"endpoint_id": endpoint}
    if campaign:
        context["campaign_id"] = campaign
    if treatment is not None:
        context["treatment_id"] = treatment
    raw = {
        "eventType": sms_type,
        "eventVersion": "1.0",
        "eventTimestamp": event_ms,
        "isFinal": not sms_type.endswith(("QUEUED", "PENDING")),
        "originationPhoneNumber": SMS_FROM,
        "destinationPhoneNumber": to,
        "isoCountryCode": "US",
        "isInternationalSend": False,
        "mcc": "310",
        "mnc": "800",
        "messageId": message_id,
        "messageRequestTimestamp": event_ms - 1_000,
        "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL",
        "messageStatus": status,
        "messageStatusDescription": f"status {status}",
        "context": context,
        "totalMessageParts": 1,
    }
    if price is not None:
        raw["totalMessagePrice"] = price
        raw["totalCarrierFee"] = 0.003
    event_type = normalize_record(raw, arrival_timestamp_ms=event_ms, application_id=APP_ID, account_id=ACCOUNT).record[
        "event_type"
    ]
    view = {"_SMS.BUFFERED": "sms_buffered", "_SMS.SUCCESS": "sms_success", "_SMS.FAILURE": "sms_failure"}[event_type]
    case = Case(raw, event_ms)
    case.expected[view] = [
        {
            "event_timestamp": at(event_ms),
            "arrival_timestamp": at(case.arrival_ms),
            "application_id": APP_ID,
            "endpoint_id": endpoint,
            "pinpoint_campaign_id": campaign,
            "pinpoint_treatment_id": treatment,
            "aws_account_id": ACCOUNT,
            "sender_request_id": None,
            "origination_phone_number": SMS_FROM,
            "destination_phone_number": to,
            "record_status": "OPTED_OUT" if "OPTED_OUT" in status else status,
            "iso_country_code": "US",
            "number_of_message_parts": "1",
            "message_id": message_id,
            "message_type": "Transactional",
            "price_in_millicents_usd": None if price is None else round(price * 100_000, 6),
            "carrier_fee_in_millicents_usd": None if price is None else 300.0,
            "customer_context": json.dumps(context, separators=(",", ":")),
            "source": "sms",
            "kind": view,
            "dt": day(event_ms),
        }
    ]
    return case


def pinpoint_event(event_type: str, event_ms: int, endpoint: str, attributes: dict, *, library: bool = False) -> dict:
    sdk = {"name": event_types.LIBRARY_SDK_NAME, "version": "1.0.0"} if library else {}
    return {
        "event_type": event_type,
        "event_timestamp": event_ms,
        "arrival_timestamp": event_ms + 1_000,
        "event_version": "3.1",
        "application": {"app_id": APP_ID, "sdk": sdk},
        "client": {"client_id": endpoint},
        "device": {"platform": {}},
        "session": {},
        "attributes": attributes,
        "metrics": {},
        "awsAccountId": ACCOUNT,
    }


def pinpoint_common(event_ms: int, endpoint: str, *, campaign=None, treatment=None) -> dict:
    return {
        "event_timestamp": at(event_ms),
        "arrival_timestamp": at(event_ms + 1_000),
        "application_id": APP_ID,
        "endpoint_id": endpoint,
        "pinpoint_campaign_id": campaign,
        "pinpoint_treatment_id": treatment,
        "aws_account_id": ACCOUNT,
    }


def generated_cases(anchor_ms: int) -> list[Case]:
    """Records dated relative to ``anchor_ms`` (today 12:00 UTC) covering every view and both reports."""

    def ago(days: float, minutes: int = 0) -> int:
        return anchor_ms - int(days * 86_400_000) + minutes * 60_000

    m1 = Mail("m1-alice", ["Alice@Example.com"], "Spring sale", ago(1), "ep-a1", "camp-a", "0")
    m2 = Mail("m2-bob", ["bob@example.com"], "Spring sale", ago(5), "ep-a2", "camp-a", "0")
    m3 = Mail("m3-carol", ["carol@example.com"], "Spring sale", ago(29), "ep-a3", "camp-a", "0")
    m4 = Mail("m4-dave", ["dave@example.com"], "Spring sale B", ago(10), "ep-a4", "camp-a", "1")
    m5 = Mail("m5-alice-old", ["alice@example.com"], "Winter sale", ago(40), "ep-a1", "camp-a", "0")
    m6 = Mail("m6-alice-ancient", ["alice@example.com"], "Autumn sale", ago(100), "ep-a1", "camp-a", "0")
    m7 = Mail("m7-alice-receipt", ["alice@example.com"], "Your receipt", ago(3), "ep-a1")
    m8 = Mail("m8-erin", ["erin@example.com"], "Spring sale", ago(2), "ep-a5", "camp-a", "0")
    m9 = Mail("m9-team", ["frank@example.com", "grace@example.com"], "Team news", ago(4), "ep-t1")
    m10 = Mail("m10-heidi", ["heidi@example.com"], "Team news", ago(6), "ep-t2")

    cases = [
        send(m1),
        delivery(m1, ago(1, 1)),
        open_(m1, ago(1, 30)),
        open_(m1, ago(1, 90), ip="198.51.100.70"),
        click(m1, ago(1, 31), "https://example.com/spring"),
        unsubscribe_click(m1, ago(1, 32)),
        send(m2),
        delivery(m2, ago(5, 1)),
        open_(m2, ago(5, 60)),
        complaint(m2, ago(5, 61)),
        send(m3),
        bounce(m3, ago(29, 1), "Permanent", "General", ["carol@example.com"]),
        send(m4),
        bounce(m4, ago(10, 1), "Transient", "MailboxFull", ["dave@example.com"]),
        send(m5),  # older than 30 days: not in the campaign report, in the 90-day address report
        delivery(m5, ago(40, 1)),
        open_(m5, ago(39)),
        send(m6),  # older than 90 days
        send(m7),  # transactional (no campaign)
        delivery(m7, ago(3, 1)),
        reject(m8, ago(2)),
        send(m9),
        bounce(m9, ago(4, 1), "Permanent", "NoEmail", ["frank@example.com", "grace@example.com"]),
        send(m10),
        bounce(m10, ago(6, 1), "Undetermined", "Undetermined", []),
        # SMS, campaign camp-b treatment 2
        sms(
            "TEXT_QUEUED",
            "QUEUED",
            message_id="s1",
            event_ms=ago(2),
            endpoint="ep-s1",
            campaign="camp-b",
            treatment="2",
        ),
        sms(
            "TEXT_SUCCESSFUL",
            "SUCCESSFUL",
            message_id="s1",
            event_ms=ago(2, 1),
            endpoint="ep-s1",
            campaign="camp-b",
            treatment="2",
            price=0.00645,
        ),
        sms(
            "TEXT_DELIVERED",
            "DELIVERED",
            message_id="s1",
            event_ms=ago(2, 2),
            endpoint="ep-s1",
            campaign="camp-b",
            treatment="2",
            price=0.00645,
        ),
        sms(
            "TEXT_PENDING",
            "PENDING",
            message_id="s2",
            event_ms=ago(3),
            endpoint="ep-s2",
            campaign="camp-b",
            treatment="2",
        ),
        sms(
            "TEXT_UNREACHABLE",
            "UNREACHABLE",
            message_id="s2",
            event_ms=ago(3, 1),
            endpoint="ep-s2",
            campaign="camp-b",
            treatment="2",
            price=0.00645,
        ),
        sms(
            "TEXT_SUCCESSFUL",
            "SUCCESSFUL",
            message_id="s3",
            event_ms=ago(20),
            endpoint="ep-s3",
            campaign="camp-b",
            treatment="2",
            price=0.00581,
        ),
        sms(
            "TEXT_BLOCKED",
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            message_id="s4",
            event_ms=ago(7),
            endpoint="ep-s4",
            campaign="camp-b",
            treatment="2",
            price=0.0,
        ),
        sms(
            "TEXT_SUCCESSFUL",
            "SUCCESSFUL",
            message_id="s5",
            event_ms=ago(45),
            endpoint="ep-s5",
            campaign="camp-b",
            treatment="2",
            price=0.00645,
        ),  # older than 30 days
        sms(
            "TEXT_SUCCESSFUL", "SUCCESSFUL", message_id="s6", event_ms=ago(1), endpoint="ep-s6", price=0.00645
        ),  # no campaign
    ]

    # _SMS.OPTOUT written by the library (SelfManagedOptOut), Pinpoint-shaped
    optout_ms = ago(2, 5)
    optout_attributes = {
        "origination_phone_number": SMS_FROM,
        "destination_phone_number": "+14255550124",
        "record_status": "OPTED_OUT",
        "iso_country_code": "US",
        "message_id": "s7",
        "keyword": "STOP",
    }
    optout = Case(pinpoint_event("_SMS.OPTOUT", optout_ms, "ep-s7", optout_attributes, library=True), optout_ms)
    optout.expected["sms_optout"] = [
        {
            **pinpoint_common(optout_ms, "ep-s7"),
            "sender_request_id": None,
            "origination_phone_number": SMS_FROM,
            "destination_phone_number": "+14255550124",
            "record_status": "OPTED_OUT",
            "iso_country_code": "US",
            "number_of_message_parts": None,
            "message_id": "s7",
            "message_type": None,
            "price_in_millicents_usd": None,
            "carrier_fee_in_millicents_usd": None,
            "customer_context": None,
            "source": "library",
            "kind": "sms_optout",
            "dt": day(optout_ms),
        }
    ]
    cases.append(optout)

    campaign_ms = ago(1, 10)
    campaign_attributes = {
        "campaign_id": "camp-c",
        "treatment_id": "0",
        "campaign_activity_id": "act-c",
        "delivery_type": "CUSTOM",
        "campaign_send_status": "SUCCESS",
    }
    campaign = Case(
        pinpoint_event("_campaign.send", campaign_ms, "ep-c1", campaign_attributes, library=True), campaign_ms
    )
    campaign.expected["campaign_send"] = [
        {
            **pinpoint_common(campaign_ms, "ep-c1", campaign="camp-c", treatment="0"),
            "campaign_activity_id": "act-c",
            "delivery_type": "CUSTOM",
            "campaign_send_status": "SUCCESS",
            "source": "library",
            "kind": "campaign_send",
            "dt": day(campaign_ms),
        }
    ]
    cases.append(campaign)

    journey_ms = ago(2, 10)
    journey_attributes = {
        "journey_run_id": "run-1",
        "journey_send_status": "SUCCESS",
        "journey_id": "journey-1",
        "journey_activity_id": "act-j",
        "journey_activity_type": "SMS",
    }
    journey = Case(pinpoint_event("_journey.send", journey_ms, "ep-j1", journey_attributes), journey_ms)
    journey.expected["journey_send"] = [
        {
            **{k: v for k, v in pinpoint_common(journey_ms, "ep-j1").items() if not k.startswith("pinpoint_")},
            "journey_run_id": "run-1",
            "journey_send_status": "SUCCESS",
            "journey_id": "journey-1",
            "journey_activity_id": "act-j",
            "journey_activity_type": "SMS",
            "source": "app",
            "kind": "journey_send",
            "dt": day(journey_ms),
        }
    ]
    cases.append(journey)

    # events that belong to no view
    cases.append(Case(pinpoint_event("custom.purchase", ago(1, 20), "ep-x1", {"sku": "A1"}), ago(1, 20)))
    cases.append(Case(pinpoint_event("_session.start", ago(1, 21), "ep-x1", {}), ago(1, 21)))

    # an _email.open (with a campaign) written to the wrong partition: no view and no report may see it
    stray = open_(Mail("m2-bob", ["bob@example.com"], "Spring sale", ago(5), "ep-stray", "camp-a", "0"), ago(5, 70))
    stray.expected = {}
    stray.kind_override = "email_click"
    cases.append(stray)

    for case in cases:
        case.normalized = normalize_record(
            case.raw, arrival_timestamp_ms=case.arrival_ms, application_id=APP_ID, account_id=ACCOUNT
        )
    return cases


def from_clause(select: exp.Select):
    return select.args.get("from_") or select.args.get("from")

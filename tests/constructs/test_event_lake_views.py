"""The event lake's Athena views and report queries, proven on DuckDB.

Records are normalised by the real ``pinpoint_runtime.events.records.normalize_record`` (the shared AWS sample files
plus a generated set that covers every view), loaded into a DuckDB table ``events`` with the Glue schema
(``EVENT_COLUMNS`` + partition keys, Hive types translated to DuckDB types), and every view's Trino SQL is
transpiled with sqlglot (trino -> duckdb) and created as a DuckDB view. The tests assert exact rows.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from pinpoint_constructs import event_lake_queries as lake_queries
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
_PRESTO_TO_DUCKDB = {
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


# --------------------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# Schema and view definitions
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
        assert declared in _PRESTO_TO_DUCKDB


def _from_clause(select: exp.Select):
    return select.args.get("from_") or select.args.get("from")


def _reads_events(select: exp.Select) -> bool:
    from_ = _from_clause(select)
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


# --------------------------------------------------------------------------------------------------------------
# Views on DuckDB
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", lake_views.VIEWS, ids=lambda v: v.name)
def test_transpiled_view_has_the_declared_columns_and_types(view, sample_db):
    described = sample_db.execute(f"DESCRIBE {view.name}").fetchall()
    assert [(row[0], row[1]) for row in described] == [(n, _PRESTO_TO_DUCKDB[t]) for n, t in view.columns]


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
        from_ = _from_clause(select)
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

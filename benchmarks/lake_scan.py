"""Bytes Athena reads for the 30-day campaign report: partitioned Parquet lake vs a naive JSON lake.

Usage (from the repository root):

    .venv/bin/python benchmarks/lake_scan.py                    # 1,000,000 events over 90 days
    .venv/bin/python benchmarks/lake_scan.py --events 20000     # smoke run, a few seconds
    .venv/bin/python benchmarks/lake_scan.py --data-dir .benchmarks-data --keep

What it does
------------
1. Generates ``--events`` events (seeded, deterministic for a given seed and UTC date) over the last ``--days``
   days, like a real account: mostly email (SES send / delivered / open / click, a few bounces, complaints,
   unsubscribes, rejects), SMS (End User Messaging v2 statuses), app sessions with custom events, and the library's
   own ``_campaign.send`` / ``_journey.send`` / ``_SMS.OPTOUT`` events; several email and SMS campaigns with
   treatments. Events are generated day by day, so memory holds one day of events at a time.

   Bulk records are built directly in the normalised Pinpoint event-stream shape (calling the normaliser on a
   million records would take minutes). Every ``--verify-every``-th event is also built as the raw SES / SMS v2 /
   Pinpoint record and run through the real ``pinpoint_runtime.events.records.normalize_record``; the script fails
   if the result (record, source, kind, dt) differs from the directly built one, so the bulk data has exactly the
   shape the Firehose transformation writes.

2. Writes three layouts of the same events:
   A  ``source=/kind=/dt=`` partitions, Parquet (pyarrow, snappy; dictionary encoding off like Firehose's
      ParquetSerDe default), schema = the Glue table (``event_lake_schema.EVENT_COLUMNS``);
   A' the same partitions as GZIP JSON lines (what the Firehose stream writes without format conversion);
   B  one unpartitioned JSON-lines layout (one uncompressed file per day), like the Events DB's predecessor
      (``S3_Data_Lake.yaml``: JSON SerDe, no partitions) or any naive lake: every query reads every file.

3. Bytes read by ``campaign_report_30_days``:
   A  = total_compressed_size (pyarrow metadata) of the Parquet column chunks the query touches (event_type,
        attributes keys/values, client.client_id, facets...mail.message_id), in the files of the partitions whose
        kind (the views the report reads) and dt (last 30 days) it selects — what Athena reads with partition
        projection and Parquet column / nested-field pruning;
   A' = compressed size of the GZIP JSON files of the same partitions (JSON cannot be read by column);
   B  = uncompressed size of every file.

4. Runs the report with DuckDB (views transpiled from the Trino SQL with sqlglot) over A (read_parquet with hive
   partitioning) and over B (read_json; kind and dt derived from each record as a naive lake would) and exits
   non-zero unless both return the same, non-empty rows.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "lambda_src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot

from pinpoint_constructs import event_lake_queries as lake_queries
from pinpoint_constructs import event_lake_schema as lake_schema
from pinpoint_constructs import event_lake_views as lake_views
from pinpoint_runtime.events import event_time, event_types
from pinpoint_runtime.events.records import normalize_record

APP_ID = "0123456789abcdef0123456789abcdef"
ACCOUNT = "111122223333"
CONFIGURATION_SET = "marketing-events"
SENDER_NAME = "Example Shop"
SENDER = "news@shop.example.com"
ORIGINATION = "+12065550100"
REPORT = next(q for q in lake_queries.NAMED_QUERIES if q.name == "campaign_report_30_days")
REPORT_DAYS = 30
DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

EMAIL_CAMPAIGNS = [(f"cmp-email-{i:02d}", ("0", "1") if i % 3 else ("0",)) for i in range(8)]
SMS_CAMPAIGNS = [(f"cmp-sms-{i:02d}", ("0", "1")) for i in range(4)]
JOURNEYS = [f"journey-{i}" for i in range(3)]
CUSTOM_EVENTS = ["custom.view_item", "custom.add_to_cart", "custom.search", "custom.purchase", "custom.share"]
SUBJECTS = [
    "Our spring collection is here",
    "Your weekly picks, hand-selected for you",
    "Last chance: 20% off everything in store",
    "Your order has shipped",
    "Complete your profile and get free delivery",
]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605",
]


def iso(ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def day_of(ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=ms)).date().isoformat()


def millicents(usd: float) -> float:
    return float(Decimal(repr(usd)) * 100_000)


@dataclass
class Event:
    record: dict  # normalised (Pinpoint event-stream shape)
    source: str
    kind: str
    dt: str
    raw: dict | None = None  # the raw record, built only for verified events
    arrival_ms: int = 0


# --------------------------------------------------------------------------------------------------------------
# Generation: each builder returns the normalised record (and, if asked, the raw record it comes from)
# --------------------------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, rng: random.Random, verify_every: int):
        self.rng = rng
        self.verify_every = verify_every
        self.counter = 0
        self.message_seq = 0

    # -- helpers ---------------------------------------------------------------------------------------------

    def _want_raw(self) -> bool:
        self.counter += 1
        return self.verify_every > 0 and self.counter % self.verify_every == 0

    def _next_id(self, prefix: str) -> str:
        self.message_seq += 1
        return f"{prefix}{self.message_seq:012x}-{self.rng.getrandbits(64):016x}-000000"

    @staticmethod
    def _event(record: dict, source: str, arrival_ms: int, raw: dict | None) -> Event:
        kind = event_types.kind_for(record["event_type"])
        dt = event_time.partition_date(record["event_timestamp"], arrival_ms)
        return Event(record, source, kind, dt, raw, arrival_ms)

    # -- SES email -------------------------------------------------------------------------------------------

    def email_message(self, send_ms: int, day_end_ms: int) -> list[Event]:
        rng = self.rng
        user = rng.randrange(200_000)
        address = f"customer{user:06d}@mail.example.net"
        endpoint = f"ep-{user:06d}"
        tags: dict[str, str] = {}
        journey = None
        r = rng.random()
        if r < 0.65:
            campaign, treatments = rng.choice(EMAIL_CAMPAIGNS)
            tags["campaign_id"] = campaign
            tags["treatment_id"] = rng.choice(treatments)
        elif r < 0.72:
            journey = rng.choice(JOURNEYS)
            tags["journey_id"] = journey
        mail = {
            "message_id": self._next_id("0100018f"),
            "send_ms": send_ms,
            "to": address,
            "endpoint": endpoint,
            "subject": rng.choice(SUBJECTS),
            "tags": tags,
        }
        events: list[Event] = []

        def later(max_minutes: int) -> int:
            return min(send_ms + rng.randrange(1_000, max_minutes * 60_000), day_end_ms)

        if rng.random() < 0.002:
            return [self._ses(mail, "Reject", "reject", {"reason": "Bad content"}, later(1))]
        events.append(self._ses(mail, "Send", "send", {}, send_ms))
        if tags.get("campaign_id"):
            events.append(self._campaign_send(mail, send_ms - 500))
        if journey:
            events.append(self._journey_send(mail, journey, send_ms - 500))
        b = rng.random()
        if b < 0.015:
            bounce = {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": address,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "feedbackId": self._next_id("0100018f-fb"),
                "reportingMTA": "dsn; a8-12.smtp-out.amazonses.com",
            }
            events.append(self._ses(mail, "Bounce", "bounce", bounce, later(5)))
            return events
        if b < 0.025:
            bounce = {
                "bounceType": "Transient",
                "bounceSubType": "MailboxFull",
                "bouncedRecipients": [{"emailAddress": address, "action": "delayed", "status": "4.2.2"}],
                "feedbackId": self._next_id("0100018f-fb"),
                "reportingMTA": "dsn; a8-12.smtp-out.amazonses.com",
            }
            events.append(self._ses(mail, "Bounce", "bounce", bounce, later(30)))
            return events
        delivery = {
            "processingTimeMillis": rng.randrange(300, 4_000),
            "recipients": [address],
            "smtpResponse": "250 2.0.0 OK  1716380000 d75a77b69052e-43e1f2a3b4c5si123456qtx.42 - gsmtp",
            "reportingMTA": "a8-12.smtp-out.amazonses.com",
        }
        events.append(self._ses(mail, "Delivery", "delivery", delivery, later(2)))
        if rng.random() < 0.001:
            complaint = {
                "complainedRecipients": [{"emailAddress": address}],
                "feedbackId": self._next_id("0100018f-cf"),
                "userAgent": "Yahoo!-Mail-Feedback/2.0",
                "complaintFeedbackType": "abuse",
                "arrivalDate": iso(later(600)),
            }
            events.append(self._ses(mail, "Complaint", "complaint", complaint, later(600)))
        if rng.random() < 0.30:
            for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
                opened = {"ipAddress": f"198.51.100.{rng.randrange(1, 255)}", "userAgent": rng.choice(USER_AGENTS)}
                events.append(self._ses(mail, "Open", "open", opened, later(720)))
            if rng.random() < 0.18:
                link = f"https://shop.example.com/p/{rng.randrange(10_000)}?utm_source=email&utm_campaign=spring"
                click = {
                    "ipAddress": f"198.51.100.{rng.randrange(1, 255)}",
                    "link": link,
                    "linkTags": {"section": ["hero"]},
                    "userAgent": rng.choice(USER_AGENTS),
                }
                events.append(self._ses(mail, "Click", "click", click, later(720)))
            if rng.random() < 0.01:
                unsubscribe = {
                    "ipAddress": f"198.51.100.{rng.randrange(1, 255)}",
                    "link": f"https://shop.example.com/unsubscribe?u={user}",
                    "linkTags": {"unsubscribeLinkTag": ["footer"]},
                    "userAgent": rng.choice(USER_AGENTS),
                }
                events.append(self._ses(mail, "Click", "click", unsubscribe, later(720)))
        return events

    def _ses(self, mail: dict, ses_type: str, body_key: str, body: dict, event_ms: int) -> Event:
        arrival = event_ms + self.rng.randrange(1_000, 60_000)
        message_id, send_ms, to, subject = mail["message_id"], mail["send_ms"], mail["to"], mail["subject"]
        headers = [
            {"name": "From", "value": f"{SENDER_NAME} <{SENDER}>"},
            {"name": "To", "value": to},
            {"name": "Subject", "value": subject},
            {"name": "MIME-Version", "value": "1.0"},
            {"name": "Content-Type", "value": 'multipart/alternative; boundary="----=_Part_123_456.789"'},
            {"name": "List-Unsubscribe", "value": "<https://shop.example.com/unsubscribe>"},
        ]
        timestamp = None if ses_type == "Send" else event_ms
        # --- normalised record, as normalize_record builds it from the SES record below
        facet = {
            "send": "send",
            "delivery": "delivery",
            "open": "open",
            "click": "click",
            "bounce": "bounce",
            "complaint": "complaint",
            "reject": "reject",
        }[body_key]
        link_tags = body.get("linkTags") or {}
        event_type = {
            "Send": "_email.send",
            "Delivery": "_email.delivered",
            "Open": "_email.open",
            "Complaint": "_email.complaint",
            "Reject": "_email.rejected",
        }.get(ses_type)
        if ses_type == "Click":
            event_type = "_email.unsubscribe" if "unsubscribeLinkTag" in link_tags else "_email.click"
        elif ses_type == "Bounce":
            event_type = "_email.hardbounce" if body["bounceType"] == "Permanent" else "_email.softbounce"
        feedback = {"Send": "received", "Delivery": "delivered", "Open": "opened", "Bounce": "bounced"}.get(ses_type)
        if ses_type == "Click":
            feedback = body["link"]
        attributes = dict(mail["tags"])
        attributes["configuration_set"] = CONFIGURATION_SET
        if feedback is not None:
            attributes["feedback"] = feedback
        facet_body = _snake_body(body, timestamp)
        record = {
            "event_type": event_type,
            "event_timestamp": event_ms,
            "arrival_timestamp": arrival,
            "event_version": "3.1",
            "application": {"app_id": APP_ID, "sdk": {}},
            "client": {"client_id": mail["endpoint"]},
            "device": {"platform": {}},
            "session": {},
            "attributes": attributes,
            "metrics": {},
            "awsAccountId": ACCOUNT,
            "facets": {
                "email_channel": {
                    "mail_event": {
                        "mail": {
                            "message_id": message_id,
                            "message_send_timestamp": send_ms,
                            "from_address": SENDER,
                            "destination": [to],
                            "headers_truncated": False,
                            "headers": headers,
                            "common_headers": {
                                "from": f"{SENDER_NAME} <{SENDER}>",
                                "to": [to],
                                "message_id": message_id,
                                "subject": subject,
                            },
                        },
                        facet: facet_body,
                    }
                }
            },
        }
        raw = None
        if self._want_raw():
            raw_body = dict(body)
            if timestamp is not None:
                raw_body["timestamp"] = iso(timestamp)
            tags = {
                "ses:configuration-set": [CONFIGURATION_SET],
                "ses:source-ip": ["192.0.2.10"],
                "ses:from-domain": ["shop.example.com"],
                "ses:caller-identity": ["campaign-runner"],
                "endpoint_id": [mail["endpoint"]],
                **{name: [value] for name, value in mail["tags"].items()},
            }
            raw = {
                "eventType": ses_type,
                "mail": {
                    "timestamp": iso(send_ms),
                    "source": f"{SENDER_NAME} <{SENDER}>",
                    "sourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/shop.example.com",
                    "sendingAccountId": ACCOUNT,
                    "messageId": message_id,
                    "destination": [to],
                    "headersTruncated": False,
                    "headers": headers,
                    "commonHeaders": {
                        "from": [f"{SENDER_NAME} <{SENDER}>"],
                        "to": [to],
                        "messageId": message_id,
                        "subject": subject,
                    },
                    "tags": tags,
                },
                body_key: raw_body,
            }
        return self._event(record, "ses", arrival, raw)

    # -- library events (the campaign engine's own events, Pinpoint-shaped) ------------------------------------

    def _library(self, event_type: str, event_ms: int, endpoint: str, attributes: dict) -> Event:
        record = {
            "event_type": event_type,
            "event_timestamp": event_ms,
            "arrival_timestamp": event_ms + self.rng.randrange(500, 5_000),
            "event_version": "3.1",
            "application": {"app_id": APP_ID, "sdk": {"name": event_types.LIBRARY_SDK_NAME, "version": "1.0.0"}},
            "client": {"client_id": endpoint},
            "device": {"platform": {}},
            "session": {},
            "attributes": attributes,
            "metrics": {},
            "awsAccountId": ACCOUNT,
        }
        raw = json.loads(json.dumps(record)) if self._want_raw() else None
        return self._event(record, "library", record["arrival_timestamp"], raw)

    def _campaign_send(self, message: dict, event_ms: int) -> Event:
        tags = message["tags"]
        return self._library(
            "_campaign.send",
            event_ms,
            message["endpoint"],
            {
                "campaign_id": tags["campaign_id"],
                "treatment_id": tags["treatment_id"],
                "campaign_activity_id": f"act-{tags['campaign_id']}",
                "delivery_type": message.get("channel", "EMAIL"),
                "campaign_send_status": "SUCCESS",
            },
        )

    def _journey_send(self, message: dict, journey: str, event_ms: int) -> Event:
        return self._library(
            "_journey.send",
            event_ms,
            message["endpoint"],
            {
                "journey_id": journey,
                "journey_run_id": f"run-{journey}-{day_of(event_ms)}",
                "journey_activity_id": "activity-email-1",
                "journey_activity_type": "EMAIL",
                "journey_send_status": "SUCCESS",
            },
        )

    # -- End User Messaging SMS ------------------------------------------------------------------------------

    def sms_message(self, send_ms: int, day_end_ms: int) -> list[Event]:
        rng = self.rng
        user = rng.randrange(200_000)
        message = {
            "message_id": f"{rng.getrandbits(128):032x}",
            "endpoint": f"ep-{user:06d}",
            "to": f"+1425{user % 10_000_000:07d}",
            "tags": {},
            "channel": "SMS",
        }
        if rng.random() < 0.6:
            campaign, treatments = rng.choice(SMS_CAMPAIGNS)
            message["tags"] = {"campaign_id": campaign, "treatment_id": rng.choice(treatments)}
        message_type = "PROMOTIONAL" if message["tags"] else "TRANSACTIONAL"
        events: list[Event] = []
        if message["tags"]:
            events.append(self._campaign_send(message, send_ms - 300))

        def later(seconds: int) -> int:
            return min(send_ms + rng.randrange(500, seconds * 1_000), day_end_ms)

        if rng.random() < 0.5:
            events.append(self._sms(message, "TEXT_PENDING", "PENDING", send_ms, message_type, None))
        f = rng.random()
        if f < 0.06:
            sms_type, status = rng.choice(
                [
                    ("TEXT_UNREACHABLE", "UNREACHABLE"),
                    ("TEXT_INVALID", "INVALID"),
                    ("TEXT_CARRIER_BLOCKED", "CARRIER_BLOCKED"),
                    ("TEXT_BLOCKED", "DESTINATION_PHONE_NUMBER_OPTED_OUT"),
                ]
            )
            events.append(self._sms(message, sms_type, status, later(60), message_type, 0.00581))
        else:
            if rng.random() < 0.5:
                events.append(self._sms(message, "TEXT_SUCCESSFUL", "SUCCESSFUL", later(20), message_type, 0.00581))
            events.append(self._sms(message, "TEXT_DELIVERED", "DELIVERED", later(120), message_type, 0.00581))
            if rng.random() < 0.004:
                opt_out = {
                    "origination_phone_number": ORIGINATION,
                    "destination_phone_number": message["to"],
                    "record_status": "OPTED_OUT",
                    "keyword": "STOP",
                    **message["tags"],
                }
                events.append(self._library("_SMS.OPTOUT", later(3_600), message["endpoint"], opt_out))
        return events

    def _sms(
        self, message: dict, sms_type: str, status: str, event_ms: int, message_type: str, price: float | None
    ) -> Event:
        arrival = event_ms + self.rng.randrange(1_000, 30_000)
        context = {"endpoint_id": message["endpoint"], **message["tags"]}
        is_final = sms_type not in ("TEXT_PENDING", "TEXT_QUEUED")
        raw = {
            "eventType": sms_type,
            "eventVersion": "1.0",
            "eventTimestamp": event_ms,
            "isFinal": is_final,
            "originationPhoneNumber": ORIGINATION,
            "destinationPhoneNumber": message["to"],
            "isoCountryCode": "US",
            "isInternationalSend": False,
            "mcc": "310",
            "mnc": "410",
            "messageId": message["message_id"],
            "messageRequestTimestamp": event_ms - 500,
            "messageEncoding": "GSM",
            "messageType": message_type,
            "messageStatus": status,
            "messageStatusDescription": f"Message status {status.lower()}",
            "context": context,
            "totalMessageParts": 1,
        }
        if price is not None:
            raw["totalMessagePrice"] = price
            raw["totalCarrierFee"] = 0.0025
        event_type = {
            "TEXT_PENDING": "_SMS.BUFFERED",
            "TEXT_QUEUED": "_SMS.BUFFERED",
            "TEXT_SUCCESSFUL": "_SMS.SUCCESS",
            "TEXT_DELIVERED": "_SMS.SUCCESS",
        }.get(sms_type, "_SMS.FAILURE")
        attributes = {
            "origination_phone_number": ORIGINATION,
            "destination_phone_number": message["to"],
            "iso_country_code": "US",
            "number_of_message_parts": "1",
            "message_id": message["message_id"],
            "message_encoding": "GSM",
            "mcc": "310",
            "mnc": "410",
            "is_final": "true" if is_final else "false",
            "is_international_send": "false",
            "message_status_description": raw["messageStatusDescription"],
            "record_status": "OPTED_OUT" if "OPTED_OUT" in status else status,
            "message_type": message_type.capitalize(),
            "customer_context": json.dumps(context, separators=(",", ":")),
            **context,
        }
        metrics = {}
        if price is not None:
            metrics = {
                "price_in_millicents_usd": millicents(price),
                "carrier_fee_in_millicents_usd": millicents(0.0025),
            }
        record = {
            "event_type": event_type,
            "event_timestamp": event_ms,
            "arrival_timestamp": arrival,
            "event_version": "3.1",
            "application": {"app_id": APP_ID, "sdk": {}},
            "client": {"client_id": message["endpoint"]},
            "device": {"platform": {}},
            "session": {},
            "attributes": attributes,
            "metrics": metrics,
            "awsAccountId": ACCOUNT,
        }
        return self._event(record, "sms", arrival, raw if self._want_raw() else None)

    # -- app sessions with custom events (PutEvents-shaped) ----------------------------------------------------

    def app_session(self, start_ms: int, day_end_ms: int) -> list[Event]:
        rng = self.rng
        user = rng.randrange(200_000)
        platform = rng.choice([("iOS", "17.4.1", "Apple", "iPhone15,2"), ("Android", "14", "Google", "Pixel 8")])
        session_id = f"{rng.getrandbits(64):016x}"
        base = {
            "application": {
                "app_id": APP_ID,
                "package_name": "com.example.shop",
                "title": "Example Shop",
                "version_name": "4.12.0",
                "version_code": "41200",
                "sdk": {"name": "aws-amplify-js", "version": "6.3.0"},
            },
            "client": {"client_id": f"ep-{user:06d}", "cognito_id": f"us-east-1:{rng.getrandbits(96):024x}"},
            "device": {
                "platform": {"name": platform[0], "version": platform[1]},
                "locale": {"code": "en_US", "country": "US", "language": "en"},
                "make": platform[2],
                "model": platform[3],
            },
        }
        events: list[Event] = []
        t = start_ms
        names = ["_session.start"] + [rng.choice(CUSTOM_EVENTS) for _ in range(rng.randrange(1, 7))] + ["_session.stop"]
        for name in names:
            t = min(t + rng.randrange(1_000, 90_000), day_end_ms)
            attributes: dict[str, str] = {}
            metrics: dict[str, float] = {}
            if name.startswith("custom."):
                attributes = {
                    "item_id": f"sku-{rng.randrange(5_000):05d}",
                    "screen": rng.choice(["home", "pdp", "cart"]),
                }
                if name == "custom.purchase":
                    metrics = {"revenue": round(rng.uniform(5, 250), 2), "quantity": float(rng.randrange(1, 4))}
            session = {"session_id": session_id, "start_timestamp": start_ms}
            if name == "_session.stop":
                session["stop_timestamp"] = t
            record = {
                "event_type": name,
                "event_timestamp": t,
                "arrival_timestamp": t + rng.randrange(500, 20_000),
                "event_version": "3.1",
                **json.loads(json.dumps(base)),
                "session": session,
                "attributes": attributes,
                "metrics": metrics,
                "awsAccountId": ACCOUNT,
            }
            raw = json.loads(json.dumps(record)) if self._want_raw() else None
            events.append(self._event(record, "app", record["arrival_timestamp"], raw))
        return events


def _snake_body(body: dict, timestamp: int | None) -> dict:
    """SES event body -> the Pinpoint facet (snake_case keys; ISO timestamp -> epoch ms; linkTags kept)."""
    out: dict = {}
    for key, value in body.items():
        name = {
            "reportingMTA": "reporting_mta",
            "processingTimeMillis": "processing_time_millis",
            "smtpResponse": "smtp_response",
            "ipAddress": "ip_address",
            "userAgent": "user_agent",
            "linkTags": "link_tags",
            "bounceType": "bounce_type",
            "bounceSubType": "bounce_sub_type",
            "bouncedRecipients": "bounced_recipients",
            "feedbackId": "feedback_id",
            "complainedRecipients": "complained_recipients",
            "complaintFeedbackType": "complaint_feedback_type",
            "arrivalDate": "arrival_date",
            "emailAddress": "email_address",
            "diagnosticCode": "diagnostic_code",
        }.get(key, key)
        if isinstance(value, list) and key != "linkTags":
            value = [_snake_body(item, None) if isinstance(item, dict) else item for item in value]
        out[name] = value
    if timestamp is not None:
        out["timestamp"] = timestamp
    return out


def generate_day(gen: Generator, day_start_ms: int, count: int) -> list[Event]:
    """About ``count`` events of one UTC day: 60% email messages, 20% SMS messages, 20% app sessions."""
    rng = gen.rng
    day_end_ms = day_start_ms + DAY_MS - 1
    events: list[Event] = []
    while len(events) < count:
        start = day_start_ms + 60_000 + rng.randrange(DAY_MS - 4 * 3_600_000)
        r = rng.random()
        if r < 0.60:
            events += gen.email_message(start, day_end_ms)
        elif r < 0.80:
            events += gen.sms_message(start, day_end_ms)
        else:
            events += gen.app_session(start, day_end_ms)
    return events[:count] if len(events) > count else events


def verify(events: list[Event]) -> int:
    """Normalise the raw form of sampled events with the real normaliser; raise on any difference."""
    checked = 0
    for event in events:
        if event.raw is None:
            continue
        normalized = normalize_record(
            event.raw, arrival_timestamp_ms=event.arrival_ms, application_id=APP_ID, account_id=ACCOUNT
        )
        got = (normalized.record, normalized.source, normalized.kind, normalized.dt)
        want = (event.record, event.source, event.kind, event.dt)
        if got != want:
            raise SystemExit(
                "generated record differs from normalize_record output:\n"
                f"  normalize_record: {json.dumps(got, sort_keys=True)}\n  generated:        "
                f"{json.dumps(want, sort_keys=True)}"
            )
        checked += 1
    return checked


# --------------------------------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------------------------------


def arrow_type(hive: tuple) -> pa.DataType:
    name = hive[0]
    if name == "array":
        return pa.list_(arrow_type(hive[1]))
    if name == "map":
        return pa.map_(arrow_type(hive[1]), arrow_type(hive[2]))
    if name == "struct":
        return pa.struct([(fname, arrow_type(ftype)) for fname, ftype in hive[1]])
    return {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("ms"),
        "float": pa.float32(),
        "date": pa.date32(),
    }[name]


ARROW_SCHEMA = pa.schema(
    [(name, arrow_type(lake_schema.parse_hive_type(hive))) for name, hive in lake_schema.EVENT_COLUMNS]
)
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "float": "FLOAT",
    "date": "DATE",
}


def duckdb_type(hive: tuple) -> str:
    name = hive[0]
    if name == "array":
        return duckdb_type(hive[1]) + "[]"
    if name == "map":
        return f"MAP({duckdb_type(hive[1])}, {duckdb_type(hive[2])})"
    if name == "struct":
        return "STRUCT(" + ", ".join(f'"{f}" {duckdb_type(t)}' for f, t in hive[1]) + ")"
    return DUCKDB_TYPES[name]


class Writer:
    def __init__(self, root: Path, use_dictionary: bool, flushes_per_day: int):
        self.parquet_root = root / "A_parquet" / "events"
        self.gzip_root = root / "A_gzip_json" / "events"
        self.json_root = root / "B_json" / "events"
        self.use_dictionary = use_dictionary
        self.flushes_per_day = flushes_per_day

    def write_day(self, day: str, day_start_ms: int, events: list[Event]) -> None:
        """Write one day. Each partition gets one file per Firehose flush (``flushes_per_day`` buffer intervals,
        by arrival time); layout B gets one file per day."""
        partitions: dict[tuple[str, str, int], list[Event]] = {}
        for event in events:
            assert event.dt == day, (event.dt, day)
            flush = (event.arrival_ms - day_start_ms) * self.flushes_per_day // DAY_MS
            flush = min(max(flush, 0), self.flushes_per_day - 1)
            partitions.setdefault((event.source, event.kind, flush), []).append(event)
        b_dir = self.json_root / day.replace("-", "/")
        b_dir.mkdir(parents=True, exist_ok=True)
        with (b_dir / "events-0000.json").open("w", encoding="utf-8") as b_file:
            for (source, kind, flush), items in sorted(partitions.items()):
                lines = [json.dumps(e.record, separators=(",", ":")) + "\n" for e in items]
                b_file.writelines(lines)
                part = f"source={source}/kind={kind}/dt={day}"
                gz_dir = self.gzip_root / part
                gz_dir.mkdir(parents=True, exist_ok=True)
                with gzip.open(gz_dir / f"part-{flush:04d}.json.gz", "wt", encoding="utf-8", compresslevel=6) as gz:
                    gz.writelines(lines)
                rows = []
                for e in items:
                    row = dict(e.record)
                    row["awsaccountid"] = row.pop("awsAccountId", None)  # Glue column names are lower case
                    rows.append(row)
                table = pa.Table.from_pylist(rows, schema=ARROW_SCHEMA)
                pq_dir = self.parquet_root / part
                pq_dir.mkdir(parents=True, exist_ok=True)
                pq.write_table(
                    table,
                    pq_dir / f"part-{flush:04d}.parquet",
                    compression="snappy",
                    use_dictionary=self.use_dictionary,
                )


# --------------------------------------------------------------------------------------------------------------
# What the report reads
# --------------------------------------------------------------------------------------------------------------


def report_views() -> list[lake_views.EventView]:
    tree = sqlglot.parse_one(REPORT.sql, read="trino")
    names = {t.name for t in tree.find_all(sqlglot.exp.Table)}
    return [lake_views.VIEWS_BY_NAME[n] for n in sorted(names) if n in lake_views.VIEWS_BY_NAME]


# Leaf columns (Parquet path_in_schema) the report needs: the views' WHERE reads event_type; the report reads
# pinpoint_campaign_id / pinpoint_treatment_id (attributes map: keys + values), endpoint_id (client.client_id)
# and message_id (facets...mail.message_id for email views; attributes for SMS views). Trino prunes nested fields
# of Parquet structs (dereference pushdown) but reads a map column whole.
TOUCHED_LEAVES = {
    "event_type",
    "attributes.key_value.key",
    "attributes.key_value.value",
    "client.client_id",
    "facets.email_channel.mail_event.mail.message_id",
}


@dataclass
class Scan:
    layout: str
    files: int
    bytes_read: int
    total_bytes: int
    footer_bytes: int = 0  # Parquet footers of the files read (not in bytes_read)


def scan_sizes(root: Path, since: str) -> list[Scan]:
    kinds = {view.kind for view in report_views()}

    def selected(path: Path) -> bool:
        parts = dict(p.split("=", 1) for p in path.parent.relative_to(path.parents[3]).parts)
        return parts["kind"] in kinds and parts["dt"] >= since

    parquet = sorted((root / "A_parquet").rglob("*.parquet"))
    a_files = [p for p in parquet if selected(p)]
    a_bytes = footer_bytes = 0
    for path in a_files:
        meta = pq.ParquetFile(path).metadata
        footer_bytes += meta.serialized_size + 8  # footer + length + magic
        for rg in range(meta.num_row_groups):
            group = meta.row_group(rg)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.path_in_schema in TOUCHED_LEAVES:
                    a_bytes += column.total_compressed_size
    gz = sorted((root / "A_gzip_json").rglob("*.json.gz"))
    gz_files = [p for p in gz if selected(p)]
    b_files = sorted((root / "B_json").rglob("*.json"))
    return [
        Scan(
            "A  parquet, source=/kind=/dt=", len(a_files), a_bytes, sum(p.stat().st_size for p in parquet), footer_bytes
        ),
        Scan(
            "A' gzip json, source=/kind=/dt=",
            len(gz_files),
            sum(p.stat().st_size for p in gz_files),
            sum(p.stat().st_size for p in gz),
        ),
        Scan(
            "B  json, unpartitioned",
            len(b_files),
            sum(p.stat().st_size for p in b_files),
            sum(p.stat().st_size for p in b_files),
        ),
    ]


# --------------------------------------------------------------------------------------------------------------
# Running the report on DuckDB
# --------------------------------------------------------------------------------------------------------------


def to_duckdb(sql: str) -> str:
    return sqlglot.transpile(sql, read="trino", write="duckdb")[0]


def connect(events_sql: str, threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {threads}")
    con.execute(f"CREATE VIEW events AS {events_sql}")
    for view in lake_views.VIEWS:
        con.execute(f"CREATE VIEW {view.name} AS {to_duckdb(view.sql)}")
    return con


def run_report(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], float]:
    started = time.perf_counter()
    rows = con.execute(to_duckdb(REPORT.sql)).fetchall()
    return rows, time.perf_counter() - started


def report_on_parquet(root: Path, threads: int) -> tuple[list[tuple], float]:
    glob = (root / "A_parquet" / "events" / "source=*" / "kind=*" / "dt=*" / "*.parquet").as_posix()
    sql = (
        f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
        "hive_types = {'source': 'VARCHAR', 'kind': 'VARCHAR', 'dt': 'VARCHAR'})"
    )
    return run_report(connect(sql, threads))


def report_on_json(root: Path, threads: int) -> tuple[list[tuple], float]:
    columns = {
        ("awsAccountId" if name == "awsaccountid" else name): duckdb_type(lake_schema.parse_hive_type(hive))
        for name, hive in lake_schema.EVENT_COLUMNS
    }
    kinds = " ".join(f"WHEN '{t}' THEN '{k}'" for t, k in event_types.EVENT_KINDS.items())
    glob = (root / "B_json" / "events" / "**" / "*.json").as_posix()
    # A naive lake has no partition keys: derive kind and dt from every record (and read every file).
    sql = (
        f"SELECT *, CAST(NULL AS VARCHAR) AS source, CASE event_type {kinds} ELSE 'custom' END AS kind, "
        f"strftime(epoch_ms(event_timestamp), '%Y-%m-%d') AS dt "
        f"FROM read_json('{glob}', format = 'newline_delimited', columns = {columns!r})"
    )
    return run_report(connect(sql, threads))


# --------------------------------------------------------------------------------------------------------------


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n):,} B"
        n /= 1024
    return str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="number of events (default 1,000,000)")
    parser.add_argument("--days", type=int, default=90, help="days of history, ending today (default 90)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--data-dir", type=Path, help="where to write the layouts (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--verify-every",
        type=int,
        default=997,
        help="check every N-th generated event against normalize_record (0: never)",
    )
    parser.add_argument(
        "--parquet-dictionary",
        action="store_true",
        help="use Parquet dictionary encoding (Firehose's ParquetSerDe default is off)",
    )
    parser.add_argument(
        "--flushes-per-day",
        type=int,
        default=1,
        help="files per partition and day, like Firehose buffer flushes (default 1: compacted)",
    )
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    args = parser.parse_args(argv)
    if args.events < 1 or args.days <= REPORT_DAYS or args.flushes_per_day < 1:
        parser.error(f"--events and --flushes-per-day must be >= 1 and --days > {REPORT_DAYS}")

    if args.data_dir:
        root = args.data_dir.resolve() / f"lake-scan-{args.events}-{args.seed}"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="lake-scan-"))
    try:
        today = datetime.now(UTC).date()
        first = today - timedelta(days=args.days - 1)
        since = (today - timedelta(days=REPORT_DAYS)).isoformat()
        rng = random.Random(args.seed)
        gen = Generator(rng, args.verify_every)
        writer = Writer(root, args.parquet_dictionary, args.flushes_per_day)
        weights = [0.6 if (first + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(args.days)]
        total_weight = sum(weights)
        started = time.perf_counter()
        produced = verified = 0
        kinds: dict[str, int] = {}
        for d in range(args.days):
            day = first + timedelta(days=d)
            target = round(args.events * sum(weights[: d + 1]) / total_weight) - produced
            day_start_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
            events = generate_day(gen, day_start_ms, target) if target > 0 else []
            verified += verify(events)
            writer.write_day(day.isoformat(), day_start_ms, events)
            produced += len(events)
            for e in events:
                kinds[e.kind] = kinds.get(e.kind, 0) + 1
        generated_s = time.perf_counter() - started
        print(
            f"generated {produced:,} events over {args.days} days ({first} .. {today}) in {generated_s:.1f}s; "
            f"{verified:,} checked against normalize_record; data in {root}"
        )
        print("events by kind: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
        print(
            f"report: {REPORT.name}, partitions kind in {{{', '.join(v.kind for v in report_views())}}}, dt >= {since}"
        )

        scans = scan_sizes(root, since)
        rows_a, time_a = report_on_parquet(root, args.threads)
        rows_b, time_b = report_on_json(root, args.threads)
        times = {"A ": time_a, "B ": time_b}
        b_bytes = scans[-1].bytes_read
        print()
        print(
            f"{'layout':<34} {'files':>7} {'bytes read':>16} {'ratio B/x':>10} "
            f"{'layout size':>12} {'query (duckdb)':>15}"
        )
        for scan in scans:
            ratio = b_bytes / scan.bytes_read if scan.bytes_read else float("inf")
            qt = times.get(scan.layout[:2])
            print(
                f"{scan.layout:<34} {scan.files:>7,} {scan.bytes_read:>16,} {ratio:>9.1f}x "
                f"{human(scan.total_bytes):>12} {(f'{qt:.2f}s' if qt is not None else '-'):>15}"
            )
        a = scans[0]
        print(
            f"(A's bytes are column chunks only; the {a.files} selected files also have {a.footer_bytes:,} bytes of "
            f"Parquet footers: with them B/A = {b_bytes / (a.bytes_read + a.footer_bytes):.1f}x)"
        )
        print()
        if not rows_a:
            print("FAIL: the report returned no rows", file=sys.stderr)
            return 1
        if rows_a != rows_b:
            print("FAIL: the report differs between layout A and layout B", file=sys.stderr)
            for a, b in zip(rows_a, rows_b, strict=False):
                if a != b:
                    print(f"  A {a}\n  B {b}", file=sys.stderr)
            print(f"  rows: A {len(rows_a)}, B {len(rows_b)}", file=sys.stderr)
            return 1
        print(f"report rows identical on A and B ({len(rows_a)} campaign/treatment rows), e.g. {rows_a[0]}")
        ratio = b_bytes / scans[0].bytes_read
        print(f"A reads {ratio:.1f}x fewer bytes than B (target >= 50x): {'OK' if ratio >= 50 else 'BELOW TARGET'}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

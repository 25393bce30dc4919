"""Tests of the inbound two-way SMS Lambda (lambda_src/two_way_inbound/handler.py and pinpoint_runtime.sms.two_way).

DynamoDB (idempotency) and SQS (dead-letter queue) are moto; the SMS API is tests/support/sms_voice_fake.py; the partner
Lambda is a botocore Stubber on a real Lambda client; the lake is the real EventStreamWriter on a recording
Firehose client.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from pinpoint_runtime.core.process_state import PerProcess
from pinpoint_runtime.events.records import normalize_record
from pinpoint_runtime.events.stream import EventStreamWriter
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.partner_handler import PartnerHandlerError
from pinpoint_runtime.sms.sender import SmsSender
from pinpoint_runtime.sms.two_way import InboundMessageHandler, UndeliverableReply
from tests.support.sms_voice_fake import FakeSmsVoiceV2
from two_way_inbound import handler as inbound_module

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "idempotency"
CUSTOMER = "+14255550182"
OTHER_CUSTOMER = "+14255550177"
OUR_NUMBER = "+12125550101"
PARTNER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:partner"
SECRET_BODY = "my account PIN is 4821"


@dataclass
class LambdaContext:
    function_name: str = "two-way-inbound"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:two-way-inbound"
    aws_request_id: str = "5b6e1d3c-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PinpointConstructs")
    for name in (
        "IDEMPOTENCY_TABLE",
        "DEAD_LETTER_QUEUE_URL",
        "PARTNER_HANDLER_ARN",
        "AUTO_REPLY_TEXT",
        "OPT_OUT_LIST_NAME",
        "PINPOINT_EVENT_STREAM_NAME",
        "SMS_ORIGINATION_IDENTITY",
        "SMS_CONFIGURATION_SET",
        "POWERTOOLS_IDEMPOTENCY_DISABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(inbound_module, "inbound_handler", PerProcess(InboundMessageHandler.from_environment))
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name=REGION)
        dlq_url = sqs.create_queue(QueueName="inbound-dlq")["QueueUrl"]
        yield {"dynamodb": dynamodb, "sqs": sqs, "dlq_url": dlq_url}


@pytest.fixture
def sms() -> FakeSmsVoiceV2:
    fake = FakeSmsVoiceV2()
    fake.add_phone_number(OUR_NUMBER)
    return fake


def message(inbound_id: str = "in-1", *, origination: str = CUSTOMER, body: str = "hello") -> str:
    return json.dumps(
        {
            "originationNumber": origination,
            "destinationNumber": OUR_NUMBER,
            "messageKeyword": "JOIN",
            "messageBody": body,
            "inboundMessageId": inbound_id,
            "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }
    )


def record(body_message: str, sqs_id: str) -> dict[str, Any]:
    envelope = {
        "Type": "Notification",
        "MessageId": f"sns-{sqs_id}",
        "Message": body_message,
        "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:two-way",
    }
    return {
        "messageId": sqs_id,
        "receiptHandle": f"rh-{sqs_id}",
        "body": json.dumps(envelope),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763632800000"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbound",
        "awsRegion": REGION,
    }


def event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def make_handler(aws: dict[str, Any], sms: FakeSmsVoiceV2, **overrides: Any) -> InboundMessageHandler:
    options: dict[str, Any] = {
        "sender": SmsSender(client=sms),
        "dead_letter_queue_url": aws["dlq_url"],
        "auto_reply_text": "Thanks, we got your message.",
        "idempotency_table": TABLE,
        "sqs_client": aws["sqs"],
        "dynamodb_client": aws["dynamodb"],
    }
    options.update(overrides)
    return InboundMessageHandler(**options)


def run(current: InboundMessageHandler, batch: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Invoke the Lambda entry point with ``current`` as the function's handler."""
    monkeypatch.setattr(inbound_module, "inbound_handler", PerProcess(lambda: current))
    return inbound_module.handler(batch, LambdaContext())


def dead_letters(aws: dict[str, Any]) -> list[dict[str, Any]]:
    response = aws["sqs"].receive_message(
        QueueUrl=aws["dlq_url"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return response.get("Messages", [])


def sent_to(sms: FakeSmsVoiceV2) -> list[tuple[str, str]]:
    return [(sent["DestinationPhoneNumber"], sent["MessageBody"]) for sent in sms.sent]


# ------------------------------------------------------------------------------------------- auto reply, idempotency


def test_auto_reply_is_sent_from_the_number_that_was_texted(aws, sms, monkeypatch) -> None:
    response = run(make_handler(aws, sms), event(record(message(), "sqs-1")), monkeypatch)
    assert response == {"batchItemFailures": []}
    assert sent_to(sms) == [(CUSTOMER, "Thanks, we got your message.")]
    assert sms.sent[0]["OriginationIdentity"] == OUR_NUMBER
    assert sms.sent[0]["MessageType"] == "TRANSACTIONAL"


def test_duplicate_delivery_produces_one_reply(aws, sms, monkeypatch) -> None:
    current = make_handler(aws, sms)
    first = run(current, event(record(message("in-dup"), "sqs-1")), monkeypatch)
    # SNS/SQS redelivery: a new SQS message with the same inboundMessageId, in a later batch and in the same batch
    second = run(current, event(record(message("in-dup"), "sqs-2"), record(message("in-dup"), "sqs-3")), monkeypatch)
    assert first == second == {"batchItemFailures": []}
    assert len(sms.sent) == 1
    assert current.counts["DuplicateMessages"] == 2
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert len(items) == 1 and items[0]["status"]["S"] == "COMPLETED" and "expires_at" in items[0]


def test_different_messages_from_the_same_sender_each_get_a_reply(aws, sms, monkeypatch) -> None:
    run(make_handler(aws, sms), event(record(message("in-a"), "sqs-1"), record(message("in-b"), "sqs-2")), monkeypatch)
    assert len(sms.sent) == 2


def test_without_a_reply_source_nothing_is_sent(aws, sms, monkeypatch) -> None:
    response = run(make_handler(aws, sms, auto_reply_text=None), event(record(message(), "sqs-1")), monkeypatch)
    assert response == {"batchItemFailures": []} and sms.sent == []


# ------------------------------------------------------------------------------------------- malformed messages


def test_malformed_message_in_a_batch_of_three_goes_to_the_dlq(aws, sms, monkeypatch) -> None:
    bad = record(json.dumps({"originationNumber": "not a number", "messageBody": SECRET_BODY}), "sqs-bad")
    batch = event(record(message("in-1"), "sqs-1"), bad, record(message("in-2", origination=OTHER_CUSTOMER), "sqs-3"))
    current = make_handler(aws, sms)
    assert run(current, batch, monkeypatch) == {"batchItemFailures": []}
    assert sorted(destination for destination, _ in sent_to(sms)) == sorted([CUSTOMER, OTHER_CUSTOMER])
    (dead,) = dead_letters(aws)
    assert dead["Body"] == bad["body"]  # unchanged, so it can be replayed
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes == {"reason": "originationNumber is not an E.164 number", "source_message_id": "sqs-bad"}
    assert current.counts["MalformedMessages"] == 1 and current.counts["RepliesSent"] == 2


def test_malformed_message_without_a_dlq_is_a_batch_item_failure(aws, sms, monkeypatch) -> None:
    batch = event(record(message("in-1"), "sqs-1"), {**record(message(), "sqs-bad"), "body": "{oops"})
    response = run(make_handler(aws, sms, dead_letter_queue_url=None), batch, monkeypatch)
    assert response == {"batchItemFailures": [{"itemIdentifier": "sqs-bad"}]}
    assert len(sms.sent) == 1


# ------------------------------------------------------------------------------------------- send failures


def test_throttled_reply_is_a_batch_item_failure_and_the_retry_replies_once(aws, sms, monkeypatch) -> None:
    current = make_handler(aws, sms)
    sms.fail_next("send_text_message", "ThrottlingException")
    batch = event(record(message("in-1"), "sqs-1"), record(message("in-2", origination=OTHER_CUSTOMER), "sqs-2"))
    assert run(current, batch, monkeypatch) == {"batchItemFailures": [{"itemIdentifier": "sqs-1"}]}
    assert sent_to(sms) == [(OTHER_CUSTOMER, "Thanks, we got your message.")]
    assert current.counts["RecordsFailed"] == 1
    # SQS redelivers the failed record: the idempotency record was released, so it is processed again
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sorted(destination for destination, _ in sent_to(sms)) == sorted([CUSTOMER, OTHER_CUSTOMER])


def test_recipient_who_opted_out_is_logged_and_done(aws, sms, monkeypatch, caplog) -> None:
    sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    current = make_handler(aws, sms)
    assert run(current, event(record(message(), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sms.sent == [] and dead_letters(aws) == []
    assert current.counts["RepliesSuppressed"] == 1
    (processed,) = [entry for entry in caplog.records if entry.getMessage() == "Inbound message processed"]
    assert (processed.outcome, processed.opted_out_by) == ("recipient-opted-out", "service")
    assert processed.to == "+*********01"


def test_non_retryable_send_error_is_dead_lettered_with_the_reason(aws, sms, monkeypatch) -> None:
    sms.fail_next("send_text_message", "ServiceQuotaExceededException", reason="MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT")
    assert run(make_handler(aws, sms), event(record(message(), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    (dead,) = dead_letters(aws)
    assert dead["MessageAttributes"]["reason"]["StringValue"] == (
        "reply not sent: ServiceQuotaExceededException (MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT)"
    )


def test_undeliverable_reply_without_a_dlq_fails_the_record(aws, sms) -> None:
    sms.fail_next("send_text_message", "AccessDeniedException", reason="ACCOUNT_DISABLED")
    current = make_handler(aws, sms, dead_letter_queue_url=None)
    current.register_lambda_context(LambdaContext())
    with pytest.raises(UndeliverableReply, match="AccessDeniedException"):
        current.handle_record(record(message(), "sqs-1"))


# ------------------------------------------------------------------------------------------- partner handler


@pytest.fixture
def partner() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def invoke_response(payload: Any, function_error: str | None = None) -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if function_error:
        response["FunctionError"] = function_error
    return response


def expect_invoke(stubber: Stubber, inbound_id: str, response: dict[str, Any]) -> None:
    payload = json.loads(message(inbound_id))
    stubber.add_response(
        "invoke",
        response,
        {
            "FunctionName": PARTNER_ARN,
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(payload).encode("utf-8"),
        },
    )


def test_partner_handler_reply_is_sent(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-1", invoke_response({"reply": "Your order shipped.", "message_type": "PROMOTIONAL"}))
    current = make_handler(
        aws,
        sms,
        partner_handler_arn=PARTNER_ARN,
        lambda_client=client,
        sender=SmsSender(client=sms, origination_identity="pool-0123"),
    )
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sent_to(sms) == [(CUSTOMER, "Your order shipped.")]  # the partner's reply, not the auto reply
    assert (sms.sent[0]["MessageType"], sms.sent[0]["OriginationIdentity"]) == ("PROMOTIONAL", "pool-0123")


@pytest.mark.parametrize("payload", [None, {"status": "stored"}, b""])
def test_partner_handler_may_ask_for_no_reply(aws, sms, partner, monkeypatch, payload: Any) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-1", invoke_response(payload))
    current = make_handler(aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sms.sent == []


def test_partner_function_error_is_retried_then_succeeds(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(
        stubber,
        "in-1",
        invoke_response(
            {"errorType": "KeyError", "errorMessage": f"customer {CUSTOMER} not found"}, function_error="Unhandled"
        ),
    )
    expect_invoke(stubber, "in-1", invoke_response({"reply": "Found you"}))
    current = make_handler(aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {
        "batchItemFailures": [{"itemIdentifier": "sqs-1"}]
    }
    assert sms.sent == []
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sent_to(sms) == [(CUSTOMER, "Found you")]


def test_partner_function_error_message_is_not_exposed(aws, sms, partner) -> None:
    client, stubber = partner
    expect_invoke(
        stubber,
        "in-1",
        invoke_response(
            {"errorType": "KeyError", "errorMessage": f"customer {CUSTOMER} not found"}, function_error="Unhandled"
        ),
    )
    current = make_handler(aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    current.register_lambda_context(LambdaContext())
    with pytest.raises(PartnerHandlerError) as raised:
        current.handle_record(record(message("in-1"), "sqs-1"))
    assert str(raised.value) == "partner handler failed (Unhandled: KeyError)"


def test_invalid_partner_response_is_dead_lettered(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-1", invoke_response({"reply": "x", "message_type": "URGENT"}))
    current = make_handler(aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sms.sent == []
    (dead,) = dead_letters(aws)
    assert dead["MessageAttributes"]["reason"]["StringValue"] == (
        "partner handler response is invalid: message_type must be one of TRANSACTIONAL, PROMOTIONAL"
    )


def test_partner_reply_too_long_is_dead_lettered(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-1", invoke_response({"reply": "x" * 1601}))
    current = make_handler(aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    (dead,) = dead_letters(aws)
    reason = dead["MessageAttributes"]["reason"]["StringValue"]
    assert reason == "reply not sent: body is 1601 characters; the limit is 1600"


# ------------------------------------------------------------------------------------------- opt-out hook, lake


@dataclass
class Outcome:
    handled: bool
    action: Any = None
    replied: bool = False
    note: str | None = None


class RecordingOptOut:
    def __init__(self, handled_bodies: set[str]) -> None:
        self.handled_bodies = handled_bodies
        self.seen: list[InboundSms] = []

    def handle(self, inbound: InboundSms) -> Outcome:
        self.seen.append(inbound)
        handled = inbound.message_body in self.handled_bodies
        return Outcome(handled=handled, action="OPT_OUT" if handled else None, replied=handled)


def test_keyword_handled_by_the_opt_out_processor_stops_processing(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-2", invoke_response({"reply": "normal reply"}))  # only the non-keyword message
    opt_out = RecordingOptOut({"STOP"})
    current = make_handler(aws, sms, opt_out_processor=opt_out, partner_handler_arn=PARTNER_ARN, lambda_client=client)
    batch = event(record(message("in-1", body="STOP"), "sqs-1"), record(message("in-2"), "sqs-2"))
    assert run(current, batch, monkeypatch) == {"batchItemFailures": []}
    assert [seen.inbound_message_id for seen in opt_out.seen] == ["in-1", "in-2"]
    assert sent_to(sms) == [(CUSTOMER, "normal reply")]
    assert current.counts["KeywordMessages"] == 1


class RecordingFirehose:
    def __init__(self, fail: bool = False) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail = fail

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        if self.fail:
            return {
                "FailedPutCount": len(Records),
                "RequestResponses": [{"ErrorCode": "ServiceUnavailableException"} for _ in Records],
            }
        self.records.extend(json.loads(item["Data"]) for item in Records)
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r"} for _ in Records]}


def test_lake_event_has_no_body_and_normalizes_to_sms_inbound(aws, sms, monkeypatch) -> None:
    firehose = RecordingFirehose()
    writer = EventStreamWriter("lake", firehose_client=firehose, application_id="app-1")
    current = make_handler(aws, sms, event_writer=writer, clock=lambda: 1_763_632_801.5)
    run(current, event(record(message("in-1", body=SECRET_BODY), "sqs-1")), monkeypatch)
    (written,) = firehose.records
    assert SECRET_BODY not in json.dumps(written)
    assert written["event_type"] == "_sms.inbound"
    assert (written["event_timestamp"], written["arrival_timestamp"]) == (1763632800000, 1763632801500)
    assert written["attributes"] == {
        "origination_phone_number": CUSTOMER,
        "destination_phone_number": OUR_NUMBER,
        "inbound_message_id": "in-1",
        "keyword": "JOIN",
        "previous_published_message_id": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    assert written["metrics"] == {"message_body_length": float(len(SECRET_BODY))}
    normalized = normalize_record(written, arrival_timestamp_ms=1763632801500, application_id="x", account_id=ACCOUNT)
    assert (normalized.source, normalized.kind, normalized.dt) == ("library", "sms_inbound", "2025-11-20")


def test_lake_failure_does_not_block_the_reply(aws, sms, monkeypatch) -> None:
    writer = EventStreamWriter("lake", firehose_client=RecordingFirehose(fail=True), max_attempts=1)
    current = make_handler(aws, sms, event_writer=writer)
    assert run(current, event(record(message(), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert len(sms.sent) == 1 and current.counts["LakeEventsFailed"] == 1


# ------------------------------------------------------------------------------------------- environment, logs


def test_from_environment_and_entry_point(aws, sms, monkeypatch, capsys, caplog) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TABLE", TABLE)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", aws["dlq_url"])
    monkeypatch.setenv("AUTO_REPLY_TEXT", "Auto reply")
    monkeypatch.setenv("SMS_ORIGINATION_IDENTITY", "pool-abc")
    monkeypatch.setenv("SMS_CONFIGURATION_SET", "events")
    current = inbound_module.inbound_handler()
    assert (current.idempotency_table, current.dead_letter_queue_url, current.auto_reply_text) == (
        TABLE,
        aws["dlq_url"],
        "Auto reply",
    )
    assert current.opt_out_processor is None and current.event_writer is None and current.partner_handler_arn is None
    assert inbound_module.inbound_handler() is current
    current.sender._client = sms  # the only thing moto cannot provide
    batch = event(
        record(message("in-1", body=SECRET_BODY), "sqs-1"),
        {**record(message(), "sqs-bad"), "body": json.dumps({"messageBody": SECRET_BODY})},
    )
    assert inbound_module.handler(batch, LambdaContext()) == {"batchItemFailures": []}
    assert [(sent["OriginationIdentity"], sent["ConfigurationSetName"]) for sent in sms.sent] == [
        ("pool-abc", "events")
    ]
    logs = json.dumps([entry.__dict__ for entry in caplog.records], default=str)
    assert SECRET_BODY not in logs and "4255550182" not in logs and "2125550101" not in logs
    assert "+*********82" in logs and "originationNumber is missing" in logs  # masked numbers and the reason
    output = capsys.readouterr().out
    metrics = next(json.loads(line) for line in output.splitlines() if '"_aws"' in line)
    assert (metrics["RepliesSent"], metrics["MalformedMessages"], metrics["InboundMessages"]) == ([1.0], [1.0], [1.0])


@pytest.mark.parametrize("text", ["   ", "x" * 1601])
def test_invalid_auto_reply_text_fails_at_start_up(aws, monkeypatch, text: str) -> None:
    monkeypatch.setenv("AUTO_REPLY_TEXT", text)
    with pytest.raises(ValueError, match="AUTO_REPLY_TEXT must be 1-1600 characters, not only"):
        InboundMessageHandler.from_environment()


def test_event_stream_name_in_environment_enables_the_lake(aws, monkeypatch) -> None:
    monkeypatch.setenv("PINPOINT_EVENT_STREAM_NAME", "lake-stream")
    current = InboundMessageHandler.from_environment()
    assert isinstance(current.event_writer, EventStreamWriter)
    assert current.event_writer.delivery_stream_name == "lake-stream"
    assert current.idempotency_table is None  # not set: processing works, with a warning


# ------------------------------------------------------------------------------------------- with SelfManagedOptOut


def test_self_managed_opt_out_integration(aws, monkeypatch) -> None:
    """OPT_OUT_LIST_NAME set: STOP is handled by pinpoint_runtime.sms.opt_out (confirmation, opt-out list), and a later
    message's auto reply is refused by the service because the number is on the list."""
    opt_out = pytest.importorskip("pinpoint_runtime.sms.opt_out")
    opt_out_processor = pytest.importorskip("pinpoint_runtime.sms.opt_out_processor")
    keywords = pytest.importorskip("pinpoint_runtime.sms.keywords")
    keyword_rules = pytest.importorskip("pinpoint_runtime.sms.keyword_rules")
    aws["dynamodb"].create_table(
        TableName="opt-out-registry-it",
        KeySchema=[
            {"AttributeName": "phone_number", "KeyType": "HASH"},
            {"AttributeName": "record", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "phone_number", "AttributeType": "S"},
            {"AttributeName": "record", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    engine = keywords.KeywordEngine(keyword_rules.ProgramInfo("Example Shop", "help@example.com"))
    for name, value in {
        "OPT_OUT_LIST_NAME": "brand-list-it",
        "OPT_OUT_REGISTRY_TABLE": "opt-out-registry-it",
        "KEYWORD_CONFIG": json.dumps(engine.to_config()),
        "IDEMPOTENCY_TABLE": TABLE,
        "DEAD_LETTER_QUEUE_URL": aws["dlq_url"],
        "AUTO_REPLY_TEXT": "Thanks!",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(opt_out, "_default_registry", None)
    monkeypatch.setattr(opt_out_processor, "_PROCESSORS", {})
    sms = FakeSmsVoiceV2()
    sms.add_opt_out_list("brand-list-it")
    sms.add_phone_number(OUR_NUMBER, opt_out_list_name="brand-list-it")
    current = inbound_module.inbound_handler()
    assert isinstance(current.opt_out_processor, opt_out_processor.OptOutProcessor)
    assert current.sender.may_send is opt_out.may_send
    current.sender._client = sms  # replies of the two-way handler
    current.opt_out_processor.sender._client = sms  # keyword replies
    current.opt_out_processor.sms_client = sms  # opt-out list calls

    stop = inbound_module.handler(event(record(message("in-stop", body="Stop"), "sqs-1")), LambdaContext())
    later = inbound_module.handler(event(record(message("in-later", body="hello?"), "sqs-2")), LambdaContext())
    assert stop == later == {"batchItemFailures": []}
    assert sms.opted_out_numbers("brand-list-it") == {CUSTOMER}
    (confirmation,) = sms.sent  # the STOP confirmation only; the auto reply was refused (number on the list)
    assert confirmation["DestinationPhoneNumber"] == CUSTOMER and "unsubscribed" in confirmation["MessageBody"]
    assert current.counts["RepliesSuppressed"] == 1
    assert [call["MessageBody"] for call in sms.calls_to("send_text_message")][-1] == "Thanks!"


def test_reply_message_type_and_idempotency_ttl_come_from_the_settings(aws, sms, monkeypatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TABLE", TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", "3600")
    monkeypatch.setenv("REPLY_MESSAGE_TYPE", "PROMOTIONAL")
    monkeypatch.setenv("AUTO_REPLY_TEXT", "Sale today")
    current = InboundMessageHandler.from_environment()
    assert (current.reply_message_type, current.idempotency_ttl_seconds) == ("PROMOTIONAL", 3600)
    assert current._idempotency_config.expires_after_seconds == 3600
    current.sender._client = sms
    current.dead_letter_queue = make_handler(aws, sms).dead_letter_queue
    assert run(current, event(record(message(), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sms.sent[0]["MessageType"] == "PROMOTIONAL"


def test_partner_reply_without_a_message_type_uses_the_reply_message_type(aws, sms, partner, monkeypatch) -> None:
    client, stubber = partner
    expect_invoke(stubber, "in-1", invoke_response({"reply": "Deals inside"}))
    current = make_handler(
        aws, sms, partner_handler_arn=PARTNER_ARN, lambda_client=client, reply_message_type="PROMOTIONAL"
    )
    assert run(current, event(record(message("in-1"), "sqs-1")), monkeypatch) == {"batchItemFailures": []}
    assert sms.sent[0]["MessageType"] == "PROMOTIONAL"


def test_settings_are_declared_without_importing_the_opt_out_runtime_on_cold_start() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; import handler; "
        "assert 'pinpoint_runtime.sms.opt_out_processor' not in sys.modules, 'opt-out runtime imported'; "
        "assert 'pinpoint_runtime.events.stream' not in sys.modules, 'lake writer imported'; "
        "assert handler.SETTINGS[0].__name__ == 'TwoWaySettings'"
    )
    folder = inbound_module.__file__.rsplit("/", 1)[0]
    lambda_src = folder.rsplit("/", 1)[0]
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=folder,
        env={"PYTHONPATH": f"{folder}:{lambda_src}", "AWS_DEFAULT_REGION": REGION},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]

"""Tests of pinpoint_runtime.sms.sender.SmsSender (against tests/support/sms_voice_fake.py and botocore's Stubber), and
of
the fake itself (model validation, opt-out lists, the 30-day rule)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, ReadTimeoutError
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.sms import sender as sms_sender
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSender, SmsSendError
from tests.support.sms_voice_fake import FakeSmsVoiceV2

CUSTOMER = "+14255550182"
OUR_NUMBER = "+12125550101"
POOL_ARN = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-0123456789abcdef"
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    monkeypatch.delenv(sms_sender.ENV_ORIGINATION_IDENTITY, raising=False)
    monkeypatch.delenv(sms_sender.ENV_CONFIGURATION_SET, raising=False)
    monkeypatch.setattr(sms_sender, "_default_sender", None)


@pytest.fixture
def fake() -> FakeSmsVoiceV2:
    return FakeSmsVoiceV2(clock=lambda: T0)


def inbound(**overrides: Any) -> InboundSms:
    fields = {
        "origination_number": CUSTOMER,
        "destination_number": OUR_NUMBER,
        "message_keyword": None,
        "message_body": "hi",
        "inbound_message_id": "in-1",
        "previous_published_message_id": None,
    }
    return InboundSms(**{**fields, **overrides})


# ------------------------------------------------------------------------------------------- sending


def test_send_text_builds_the_full_request(fake: FakeSmsVoiceV2) -> None:
    number = fake.add_phone_number(OUR_NUMBER)
    sender = SmsSender(origination_identity=number["PhoneNumberArn"], configuration_set_name="events", client=fake)
    message_id = sender.send_text(
        CUSTOMER,
        "Your code is 1234",
        message_type="TRANSACTIONAL",
        time_to_live=300,
        context={"campaign": "c-1", "endpoint_id": "ep-9"},
    )
    assert fake.calls_to("send_text_message") == [
        {
            "DestinationPhoneNumber": CUSTOMER,
            "MessageBody": "Your code is 1234",
            "MessageType": "TRANSACTIONAL",
            "OriginationIdentity": number["PhoneNumberArn"],
            "ConfigurationSetName": "events",
            "TimeToLive": 300,
            "Context": {"campaign": "c-1", "endpoint_id": "ep-9"},
        }
    ]
    assert fake.sent[0]["MessageId"] == message_id


def test_optional_parameters_are_omitted_when_not_configured(fake: FakeSmsVoiceV2) -> None:
    SmsSender(client=fake).send_text(CUSTOMER, "hello", message_type="PROMOTIONAL")
    assert fake.calls_to("send_text_message") == [
        {"DestinationPhoneNumber": CUSTOMER, "MessageBody": "hello", "MessageType": "PROMOTIONAL"}
    ]


def test_environment_supplies_identity_and_configuration_set(fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sms_sender.ENV_ORIGINATION_IDENTITY, POOL_ARN)
    monkeypatch.setenv(sms_sender.ENV_CONFIGURATION_SET, "cfg")
    SmsSender(client=fake).send_text(CUSTOMER, "hello")
    (request,) = fake.calls_to("send_text_message")
    assert (request["OriginationIdentity"], request["ConfigurationSetName"]) == (POOL_ARN, "cfg")


def test_dry_run_is_passed_and_nothing_is_sent(fake: FakeSmsVoiceV2) -> None:
    assert SmsSender(client=fake).send_text(CUSTOMER, "hello", dry_run=True)
    assert fake.calls_to("send_text_message")[0]["DryRun"] is True
    assert fake.sent == []


def test_reply_goes_to_the_sender_from_the_number_it_texted(fake: FakeSmsVoiceV2) -> None:
    SmsSender(client=fake).reply(inbound(), "Thanks!")
    (request,) = fake.calls_to("send_text_message")
    assert (request["DestinationPhoneNumber"], request["OriginationIdentity"]) == (CUSTOMER, OUR_NUMBER)


def test_reply_prefers_the_configured_identity_and_an_explicit_one(fake: FakeSmsVoiceV2) -> None:
    sender = SmsSender(client=fake, origination_identity=POOL_ARN)
    sender.reply(inbound(), "from the pool")
    sender.reply(inbound(), "explicit", origination_identity="phone-1234", message_type="PROMOTIONAL")
    first, second = fake.calls_to("send_text_message")
    assert first["OriginationIdentity"] == POOL_ARN
    assert (second["OriginationIdentity"], second["MessageType"]) == ("phone-1234", "PROMOTIONAL")


def test_module_level_conveniences_use_one_default_sender(fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sms_sender.ENV_ORIGINATION_IDENTITY, "pool-abc")
    sms_sender.default_sender()._client = fake
    sms_sender.send_text(CUSTOMER, "one")
    sms_sender.reply(inbound(), "two")
    assert [call["OriginationIdentity"] for call in fake.calls_to("send_text_message")] == ["pool-abc", "pool-abc"]
    assert sms_sender.default_sender() is sms_sender.default_sender()


# ------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("destination", "body", "kwargs", "message"),
    [
        ("14255550182", "hi", {}, "E.164"),
        ("+1425555018212345", "hi", {}, "E.164"),
        (CUSTOMER, "", {}, "empty"),
        (CUSTOMER, " \n\t", {}, "empty"),
        (CUSTOMER, "x" * 1601, {}, "1601 characters"),
        (CUSTOMER, "hi", {"message_type": "MARKETING"}, "message_type"),
        (CUSTOMER, "hi", {"time_to_live": 4}, "time_to_live"),
        (CUSTOMER, "hi", {"time_to_live": 259201}, "time_to_live"),
        (CUSTOMER, "hi", {"time_to_live": True}, "time_to_live"),
        (CUSTOMER, "hi", {"context": {"k": 1}}, "str to str"),
        (CUSTOMER, "hi", {"context": {f"k{i}": "v" for i in range(6)}}, "6 entries"),
        (CUSTOMER, "hi", {"context": {"has space": "v"}}, "no whitespace"),
        (CUSTOMER, "hi", {"context": {"k": " padded"}}, "leading or trailing whitespace"),
        (CUSTOMER, "hi", {"context": {"k": "v" * 801}}, "1-800"),
        (CUSTOMER, "hi", {"origination_identity": "bad identity!"}, "origination identity"),
    ],
)
def test_invalid_requests_fail_locally_without_an_api_call(
    fake: FakeSmsVoiceV2, destination: str, body: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        SmsSender(client=fake).send_text(destination, body, **kwargs)
    assert fake.calls == []
    assert "4255550182" not in str(raised.value)  # numbers are masked in messages


def test_limits_are_inclusive(fake: FakeSmsVoiceV2) -> None:
    sender = SmsSender(client=fake)
    sender.send_text("+12", "x" * 1600, time_to_live=5, context={"k" * 100: "v" * 800})
    sender.send_text("+123456789012345", "x", time_to_live=259200, context={f"k{i}": "v" for i in range(5)})
    assert len(fake.sent) == 2  # the fake accepted both against the service model


def test_invalid_configuration_is_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match="configuration_set_name"):
        SmsSender(configuration_set_name="has spaces")
    with pytest.raises(ValueError, match="origination identity"):
        SmsSender(origination_identity="x" * 257)


@given(st.text(max_size=1700))
def test_every_body_the_sender_accepts_the_service_model_accepts(body: str) -> None:
    fake = FakeSmsVoiceV2()
    try:
        SmsSender(client=fake).send_text(CUSTOMER, body)
    except ValueError:
        assert fake.calls == []
        assert body.strip() == "" or len(body) > 1600
    else:
        assert fake.sent[0]["MessageBody"] == body


# ------------------------------------------------------------------------------------------- opt-outs and errors


def test_may_send_false_raises_without_calling_the_api(fake: FakeSmsVoiceV2) -> None:
    asked: list[tuple[str, str]] = []

    def may_send(number: str, message_type: str) -> bool:
        asked.append((number, message_type))
        return message_type == "TRANSACTIONAL"

    sender = SmsSender(client=fake, may_send=may_send)
    with pytest.raises(RecipientOptedOut) as raised:
        sender.send_text(CUSTOMER, "sale!", message_type="PROMOTIONAL")
    assert (raised.value.source, raised.value.destination) == ("policy", CUSTOMER)
    assert "4255550182" not in str(raised.value) and "+*********82" in str(raised.value)
    assert fake.calls == []
    sender.send_text(CUSTOMER, "receipt")
    assert asked == [(CUSTOMER, "PROMOTIONAL"), (CUSTOMER, "TRANSACTIONAL")]
    assert len(fake.sent) == 1


def test_number_on_the_identitys_opt_out_list_raises_recipient_opted_out(fake: FakeSmsVoiceV2) -> None:
    fake.add_opt_out_list("brand-list")
    number = fake.add_phone_number(OUR_NUMBER, opt_out_list_name="brand-list")
    fake.put_opted_out_number(OptOutListName="brand-list", OptedOutNumber=CUSTOMER)
    sender = SmsSender(client=fake, origination_identity=number["PhoneNumberId"])
    with pytest.raises(RecipientOptedOut) as raised:
        sender.send_text(CUSTOMER, "hello")
    assert raised.value.source == "service"
    assert fake.sent == []
    # the same recipient is not on the Default list, used when no identity is given
    SmsSender(client=fake).send_text(CUSTOMER, "hello")
    assert len(fake.sent) == 1


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerException"])
def test_throttling_and_internal_errors_are_retryable(fake: FakeSmsVoiceV2, code: str) -> None:
    fake.fail_next("send_text_message", code)
    with pytest.raises(SmsSendError) as raised:
        SmsSender(client=fake).send_text(CUSTOMER, "hello")
    assert (raised.value.code, raised.value.retryable) == (code, True)
    assert "4255550182" not in str(raised.value)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("ConflictException", "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"),
        ("ServiceQuotaExceededException", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
        ("AccessDeniedException", "ACCOUNT_DISABLED"),
        ("ResourceNotFoundException", None),
    ],
)
def test_other_service_errors_are_not_retryable(fake: FakeSmsVoiceV2, code: str, reason: str | None) -> None:
    fake.fail_next("send_text_message", code, reason=reason)
    with pytest.raises(SmsSendError) as raised:
        SmsSender(client=fake).send_text(CUSTOMER, "hello")
    assert (raised.value.code, raised.value.reason, raised.value.retryable) == (code, reason, False)


def test_service_validation_error_from_a_real_client_is_not_retryable() -> None:
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "send_text_message",
            service_error_code="ValidationException",
            http_status_code=400,
            modeled_fields={"Reason": "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"},
        )
        with pytest.raises(SmsSendError) as raised:
            SmsSender(client=client, origination_identity="pool-1").send_text(CUSTOMER, "hello")
    assert (raised.value.code, raised.value.retryable) == ("ValidationException", False)
    assert raised.value.reason == "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"


def test_opted_out_conflict_from_a_real_client_shape() -> None:
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "send_text_message",
            service_error_code="ConflictException",
            http_status_code=400,
            modeled_fields={"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT", "ResourceType": "opted-out-number"},
            expected_params={
                "DestinationPhoneNumber": CUSTOMER,
                "MessageBody": "hello",
                "MessageType": "TRANSACTIONAL",
            },
        )
        with pytest.raises(RecipientOptedOut):
            SmsSender(client=client).send_text(CUSTOMER, "hello")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (EndpointConnectionError(endpoint_url="https://sms-voice.us-east-1.amazonaws.com"), True),
        (ReadTimeoutError(endpoint_url="https://sms-voice.us-east-1.amazonaws.com"), True),
        (ParamValidationError(report="bad"), False),
    ],
)
def test_connection_errors_are_retryable(error: Exception, retryable: bool) -> None:
    class Failing:
        def send_text_message(self, **_: Any) -> dict[str, Any]:
            raise error

    with pytest.raises(SmsSendError) as raised:
        SmsSender(client=Failing()).send_text(CUSTOMER, "hello")
    assert (raised.value.code, raised.value.retryable) == (type(error).__name__, retryable)


# ------------------------------------------------------------------------------------------- the fake itself


def test_fake_rejects_what_a_real_client_rejects_before_sending(fake: FakeSmsVoiceV2) -> None:
    with pytest.raises(ParamValidationError, match="Unknown parameter"):
        fake.send_text_message(DestinationPhoneNumber=CUSTOMER, Body="typo")
    with pytest.raises(ParamValidationError, match="Missing required parameter"):
        fake.put_opted_out_number(OptOutListName="Default")
    with pytest.raises(ParamValidationError, match="Invalid type"):
        fake.send_text_message(DestinationPhoneNumber=CUSTOMER, TimeToLive="300")
    with pytest.raises(ParamValidationError, match="Invalid length"):
        fake.send_text_message(DestinationPhoneNumber=CUSTOMER, MessageBody="")
    assert fake.calls == []  # none of them reached the "service"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"MessageBody": "x" * 1601}, "MessageBody"),
        ({"MessageBody": "   "}, "MessageBody"),
        ({"MessageType": "MARKETING"}, "MessageType"),
        ({"TimeToLive": 259201}, "TimeToLive"),
        ({"Context": {"k": " v"}}, "Context[k]"),
        ({"DestinationPhoneNumber": "not-a-number"}, "DestinationPhoneNumber"),
        ({"OriginationIdentity": "has space"}, "OriginationIdentity"),
    ],
)
def test_fake_enforces_service_side_constraints(fake: FakeSmsVoiceV2, params: dict[str, Any], field: str) -> None:
    request = {"DestinationPhoneNumber": CUSTOMER, "MessageBody": "hello", **params}
    with pytest.raises(fake.exceptions.ValidationException) as raised:
        fake.send_text_message(**request)
    response = raised.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Reason"] == "FIELD_VALIDATION_FAILED"
    assert response["Fields"][0]["Name"] == field
    assert isinstance(raised.value, ClientError)


def test_fake_opt_out_list_operations_follow_the_model(fake: FakeSmsVoiceV2) -> None:
    put = fake.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    assert (put["OptedOutNumber"], put["EndUserOptedOut"], put["OptedOutTimestamp"]) == (CUSTOMER, False, T0)
    fake.end_user_opt_out("+14255550199")
    described = fake.describe_opted_out_numbers(OptOutListName="Default")
    assert [(item["OptedOutNumber"], item["EndUserOptedOut"]) for item in described["OptedOutNumbers"]] == [
        (CUSTOMER, False),
        ("+14255550199", True),
    ]
    by_end_user = fake.describe_opted_out_numbers(
        OptOutListName=described["OptOutListArn"], Filters=[{"Name": "end-user-opted-out", "Values": ["true"]}]
    )
    assert [item["OptedOutNumber"] for item in by_end_user["OptedOutNumbers"]] == ["+14255550199"]
    first_page = fake.describe_opted_out_numbers(OptOutListName="Default", MaxResults=1)
    assert len(first_page["OptedOutNumbers"]) == 1 and first_page["NextToken"]
    pages = list(fake.get_paginator("describe_opted_out_numbers").paginate(OptOutListName="Default", MaxResults=1))
    assert [page["OptedOutNumbers"][0]["OptedOutNumber"] for page in pages] == [CUSTOMER, "+14255550199"]
    with pytest.raises(fake.exceptions.ResourceNotFoundException):
        fake.put_opted_out_number(OptOutListName="missing", OptedOutNumber=CUSTOMER)


def test_fake_30_day_rule_for_deleting_opted_out_numbers(fake: FakeSmsVoiceV2) -> None:
    fake.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    fake.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    assert CUSTOMER not in fake.opted_out_numbers()
    fake.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)  # STOP again
    fake.advance(days=29, hours=23)
    with pytest.raises(fake.exceptions.ValidationException) as raised:
        fake.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    assert raised.value.response["Reason"] == "PHONE_NUMBER_CANNOT_BE_OPTED_IN"
    assert CUSTOMER in fake.opted_out_numbers()
    fake.advance(hours=1)
    deleted = fake.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    assert deleted["OptedOutNumber"] == CUSTOMER and CUSTOMER not in fake.opted_out_numbers()
    with pytest.raises(fake.exceptions.ResourceNotFoundException):
        fake.delete_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)


def test_fake_injected_failures_are_consumed_in_order(fake: FakeSmsVoiceV2) -> None:
    fake.fail_next("send_text_message", "ThrottlingException", times=2)
    for _ in range(2):
        with pytest.raises(fake.exceptions.ThrottlingException):
            fake.send_text_message(DestinationPhoneNumber=CUSTOMER, MessageBody="x")
    assert fake.send_text_message(DestinationPhoneNumber=CUSTOMER, MessageBody="x")["MessageId"]
    with pytest.raises(ValueError, match="not an error"):
        fake.fail_next("describe_pools", "ConflictException")


def test_fake_strict_identities(fake: FakeSmsVoiceV2) -> None:
    strict = FakeSmsVoiceV2(strict_identities=True)
    with pytest.raises(strict.exceptions.ResourceNotFoundException):
        strict.send_text_message(DestinationPhoneNumber=CUSTOMER, MessageBody="x", OriginationIdentity="phone-404")
    number = strict.add_phone_number(OUR_NUMBER)
    strict.send_text_message(DestinationPhoneNumber=CUSTOMER, MessageBody="x", OriginationIdentity=OUR_NUMBER)
    assert strict.sent[0]["OriginationIdentity"] == OUR_NUMBER and number["PhoneNumber"] == OUR_NUMBER


def test_a_short_code_keyword_is_sent_and_checked():
    from pinpoint_runtime.sms.sender import SmsSender
    from tests.support.sms_voice_fake import FakeSmsVoiceV2

    fake = FakeSmsVoiceV2()
    phone = fake.add_phone_number("+12065550100")
    sender = SmsSender(origination_identity=phone["PhoneNumberArn"], client=fake)
    sender.send_text("+12065550111", "Deals", message_type="PROMOTIONAL", keyword="DEALS")
    assert fake.sent[-1]["Keyword"] == "DEALS"
    with pytest.raises(ValueError, match="keyword"):
        sender.send_text("+12065550111", "Deals", keyword="x" * 31)


def test_sender_settings_are_what_the_sender_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    from pinpoint_runtime.sms.sender import MessageType, SmsSenderSettings

    settings = SmsSenderSettings(origination_identity="pool-abc", configuration_set_name="cfg")
    assert settings.to_environment() == {"SMS_ORIGINATION_IDENTITY": "pool-abc", "SMS_CONFIGURATION_SET": "cfg"}
    assert SmsSenderSettings().to_environment() == {}
    for name, value in settings.to_environment().items():
        monkeypatch.setenv(name, value)
    sender = SmsSender(client=object())
    assert (sender.origination_identity, sender.configuration_set_name) == ("pool-abc", "cfg")
    assert SmsSender(client=object(), origination_identity="pool-x").configuration_set_name == "cfg"
    assert [member.value for member in MessageType] == ["TRANSACTIONAL", "PROMOTIONAL"]

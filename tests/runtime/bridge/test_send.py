"""The send service (pinpoint_runtime.bridge.send): validation, idempotency, opt-out checks, queue and inline sending.
DynamoDB and SQS are moto; the SMS API is tests/support/sms_voice_fake.py (every request checked against botocore's
model)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from pinpoint_runtime.bridge.contract import MessageType, parse_send_request
from pinpoint_runtime.bridge.idempotency import request_id_for
from pinpoint_runtime.bridge.send import BridgeSendSettings, DeliveryMode
from pinpoint_runtime.core.environment import SettingsError
from pinpoint_runtime.sms.opt_out import OptOutState
from pinpoint_runtime.sms.sender import SmsSenderSettings
from tests.support.adobe_bridge_env import (
    BODY,
    CONFIGURATION_SET,
    CUSTOMER,
    OTHER_CONFIGURATION_SET,
    BridgeEnv,
    call,
    payload,
    stored_items,
)

# --------------------------------------------------------------------------------------------- accept (queue)


def test_a_valid_request_is_queued_with_the_e164_number_and_journey_context(env: BridgeEnv) -> None:
    status, body, _ = call(env.service(), payload())
    assert status == 202
    assert body["status"] == "ACCEPTED" and body["duplicate"] is False
    assert uuid.UUID(body["requestId"]).version == 4
    (message,) = env.queued()
    job = json.loads(message["Body"])
    assert job["destination"] == CUSTOMER
    assert job["body"] == BODY and job["message_type"] == "TRANSACTIONAL"
    assert job["context"] == {
        "request_id": body["requestId"],
        "journey_id": "2f8a1b4c-journey",
        "action_id": "node-7",
        "profile_id": "profile-42",
    }
    assert env.sms.sent == []  # the consumer sends, not the API
    (item,) = stored_items(env)
    assert item["status"]["S"] == "ACCEPTED" and "lock_until" not in item


def test_a_duplicate_request_is_answered_again_and_never_queued_twice(env: BridgeEnv) -> None:
    service = env.service()
    first = call(service, payload())
    # the same request with the number written differently is the same request
    second = call(service, payload(destinationNumber="+1 425-555-0182"))
    third = call(service, payload())
    assert first[0] == second[0] == third[0] == 202
    assert first[1]["requestId"] == second[1]["requestId"] == third[1]["requestId"]
    assert (first[1]["duplicate"], second[1]["duplicate"]) == (False, True)
    assert second[2] == {"Idempotent-Replayed": "true"}
    assert len(env.queued()) == 1
    # another profile, same text: a different request
    other = call(service, payload(profileId="profile-43"))
    assert other[0] == 202 and other[1]["requestId"] != first[1]["requestId"] and len(env.queued()) == 1


def test_the_idempotency_header_identifies_the_request_and_cannot_be_reused(env: BridgeEnv) -> None:
    service = env.service()
    first = call(service, payload(), {"idempotency-key": "journey-instance-1:node-7"})
    repeat = call(service, payload(), {"Idempotency-Key": "journey-instance-1:node-7"})
    reused = call(service, payload(messageBody="another text"), {"Idempotency-Key": "journey-instance-1:node-7"})
    fresh = call(service, payload(), {"Idempotency-Key": "journey-instance-2:node-7"})
    assert first[0] == repeat[0] == 202 and repeat[1]["requestId"] == first[1]["requestId"]
    assert reused[0] == 422 and reused[1]["field"] == "Idempotency-Key"
    assert reused[1]["error"] == "idempotency_key_reused"
    assert fresh[0] == 202 and fresh[1]["requestId"] != first[1]["requestId"]
    assert len(env.queued()) == 2


@pytest.mark.parametrize(
    ("data", "headers", "field"),
    [
        (payload(destinationNumber=None), {}, "destinationNumber"),
        (payload(messageBody=None), {}, "messageBody"),
        (payload(messageBody="x" * 1601), {}, "messageBody"),
        (payload(messageBody=""), {}, "messageBody"),
        (payload(messageBody=" \n\t "), {}, "messageBody"),
        (payload(messageType="URGENT"), {}, "messageType"),
        (payload(destinationNumber="call me"), {}, "destinationNumber"),
        (payload(destinationNumber="+1 555"), {}, "destinationNumber"),
        (payload(destinationNumber=14255550182), {}, "destinationNumber"),
        (payload(originationIdentity="pool-not-ours"), {}, "originationIdentity"),
        (payload(configurationSetName="someone-elses-set"), {}, "configurationSetName"),
        (payload(journeyId="has space"), {}, "journeyId"),
        (payload(profileId=""), {}, "profileId"),
        ({**payload(), "actionId": None}, {}, "actionId"),
        ({**payload(), "mesageBody": "typo"}, {}, "mesageBody"),
        (payload(), {"Idempotency-Key": "has space"}, "Idempotency-Key"),
        ("{not json", {}, "body"),
        ("[1, 2]", {}, "body"),
        ('{"destinationNumber": NaN}', {}, "body"),
        ("[" * 100_000, {}, "body"),
    ],
)
def test_invalid_requests_get_400_naming_the_field_and_change_nothing(
    env: BridgeEnv, data: Any, headers: dict[str, str], field: str
) -> None:
    status, body, _ = call(env.service(), data, headers)
    assert status == 400, body
    assert body["error"] == "invalid_request" and body["field"] == field
    assert body["message"].startswith(f"{field}: ")
    assert env.queued() == [] and stored_items(env) == []


def test_a_missing_body_is_400(env: BridgeEnv) -> None:
    outcome = env.service().accept(None, {})
    assert outcome.response.status == 400 and outcome.response.body["field"] == "body"


def test_request_identity_and_configuration_set_must_be_the_bridges_own(env: BridgeEnv) -> None:
    status, _body, _ = call(
        env.service(), payload(originationIdentity=env.other_identity, configurationSetName=OTHER_CONFIGURATION_SET)
    )
    assert status == 202
    job = json.loads(env.queued()[0]["Body"])
    assert job["origination_identity"] == env.other_identity
    assert job["configuration_set"] == OTHER_CONFIGURATION_SET


def test_opted_out_recipients_get_409_and_their_claim_is_released(env: BridgeEnv) -> None:
    env.registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    service = env.service()
    promotional = call(service, payload(messageType="PROMOTIONAL"))
    assert promotional[0] == 409
    assert promotional[1]["error"] == "opted_out" and promotional[1]["field"] == "destinationNumber"
    assert call(service, payload(messageType="PROMOTIONAL"))[0] == 409  # a retry is refused again, not replayed
    # after a plain STOP, transactional messages may still go (the registry's policy)
    assert call(service, payload(messageType="TRANSACTIONAL"))[0] == 202
    env.registry.record(CUSTOMER, OptOutState.OPTED_OUT_ALL, keyword="STOPALL", origination="+12065550100")
    assert call(service, payload(messageType="TRANSACTIONAL", profileId="p-2"))[0] == 409
    assert len(env.queued()) == 1


def test_a_duplicate_still_in_progress_gets_429_until_its_lock_expires(env: BridgeEnv) -> None:
    now = [1_000_000.0]
    service = env.service()
    service.store = env.store(clock=lambda: now[0])
    request = parse_send_request(payload(), service.settings)
    key = f"req:{request.fingerprint()}"
    assert service.store.begin(key, request.fingerprint(), request_id_for(key)).outcome == "new"  # a crashed attempt
    status, body, headers = call(service, payload())
    assert status == 429 and body["error"] == "in_progress" and headers["Retry-After"] == "1"
    assert env.queued() == []
    now[0] += 16  # past the 15 s lock
    status, body, _ = call(service, payload())
    assert status == 202 and body["duplicate"] is False and len(env.queued()) == 1


class _FailingSqs:
    def __init__(self, real: Any, failures: int) -> None:
        self.real = real
        self.failures = failures

    def send_message(self, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")
        return self.real.send_message(**kwargs)


def test_a_queue_failure_is_503_and_the_retry_is_accepted_once(env: BridgeEnv) -> None:
    service = env.service()
    service._sqs_client = _FailingSqs(env.sqs, failures=1)
    status, body, headers = call(service, payload())
    assert status == 503 and body["error"] == "service_unavailable" and "ServiceUnavailable" in body["message"]
    assert headers["Retry-After"] == "1" and stored_items(env) == []
    status, body, _ = call(service, payload())
    assert status == 202 and body["duplicate"] is False and len(env.queued()) == 1


def test_an_idempotency_table_failure_is_503(env: BridgeEnv) -> None:
    service = env.service()
    service.store.table_name = "no-such-table"
    status, body, _ = call(service, payload())
    assert status == 503 and "ResourceNotFoundException" in body["message"]
    assert env.queued() == []


# --------------------------------------------------------------------------------------------- inline


def test_inline_mode_sends_at_once_with_identity_set_and_context(env: BridgeEnv) -> None:
    status, body, _ = call(env.service(DeliveryMode.INLINE), payload(messageType="PROMOTIONAL"))
    assert status == 202 and body["status"] == "SENT"
    (sent,) = env.sms.sent
    assert body["messageId"] == sent["MessageId"]
    assert sent["DestinationPhoneNumber"] == CUSTOMER and sent["MessageBody"] == BODY
    assert sent["OriginationIdentity"] == env.identity and sent["ConfigurationSetName"] == CONFIGURATION_SET
    assert sent["MessageType"] == "PROMOTIONAL"
    assert sent["Context"] == {
        "request_id": body["requestId"],
        "journey_id": "2f8a1b4c-journey",
        "action_id": "node-7",
        "profile_id": "profile-42",
    }
    repeat = call(env.service(DeliveryMode.INLINE), payload(messageType="PROMOTIONAL"))
    assert repeat[0] == 202 and repeat[1]["messageId"] == sent["MessageId"] and repeat[1]["duplicate"] is True
    assert len(env.sms.sent) == 1
    assert env.queued() == []


def test_inline_mode_honours_the_requests_configuration_set(env: BridgeEnv) -> None:
    status, _, _ = call(env.service(DeliveryMode.INLINE), payload(configurationSetName=OTHER_CONFIGURATION_SET))
    assert status == 202 and env.sms.sent[0]["ConfigurationSetName"] == OTHER_CONFIGURATION_SET


def test_inline_opted_out_at_the_service_is_409(env: BridgeEnv) -> None:
    env.sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    status, body, _ = call(env.service(DeliveryMode.INLINE, policy=False), payload())
    assert status == 409 and body["error"] == "opted_out"
    assert env.sms.sent == [] and stored_items(env) == []


def test_inline_throttling_is_429_and_the_retry_sends_exactly_once(env: BridgeEnv) -> None:
    env.sms.fail_next("send_text_message", "ThrottlingException")
    service = env.service(DeliveryMode.INLINE)
    status, body, headers = call(service, payload())
    assert status == 429 and body["error"] == "throttled" and headers["Retry-After"] == "1"
    status, body, _ = call(service, payload())
    assert status == 202 and body["status"] == "SENT" and body["duplicate"] is False
    assert len(env.sms.sent) == 1


@pytest.mark.parametrize(
    ("code", "reason", "status"),
    [
        ("ConflictException", "DESTINATION_PHONE_NUMBER_NOT_VERIFIED", 422),
        ("InternalServerException", None, 503),
        ("AccessDeniedException", "ACCOUNT_DISABLED", 502),
    ],
)
def test_inline_service_errors_map_to_actionable_statuses(
    env: BridgeEnv, code: str, reason: str | None, status: int
) -> None:
    env.sms.fail_next("send_text_message", code, reason=reason)
    answer, body, _ = call(env.service(DeliveryMode.INLINE), payload())
    assert answer == status
    assert code in body["message"]
    assert stored_items(env) == []  # released: AJO's retry is tried again


# --------------------------------------------------------------------------------------------- settings


def test_the_send_settings_round_trip_and_allow_the_senders_own_identity_and_set() -> None:
    settings = BridgeSendSettings(
        delivery_mode="QUEUE",  # type: ignore[arg-type]  # plain strings are accepted for the choices
        default_message_type="PROMOTIONAL",  # type: ignore[arg-type]  # (and kept as the members)
        allowed_origination_identities=("pool-a", "pool-b"),
        queue_url="https://sqs.example/q",
    )
    environment = settings.to_environment()
    assert environment["BRIDGE_ALLOWED_ORIGINATION_IDENTITIES"] == '["pool-a","pool-b"]'
    assert (
        environment["BRIDGE_DELIVERY_MODE"] == "QUEUE" and environment["BRIDGE_DEFAULT_MESSAGE_TYPE"] == "PROMOTIONAL"
    )
    again = BridgeSendSettings.from_environment(environment)
    assert again == settings and again.default_message_type is MessageType.PROMOTIONAL
    allowed = settings.allowing(SmsSenderSettings(origination_identity="pool-own", configuration_set_name="set"))
    assert allowed.allowed_origination_identities == ("pool-own", "pool-a", "pool-b")
    assert allowed.allowed_configuration_sets == ("set",)
    assert settings.allowing(SmsSenderSettings(origination_identity="pool-b")) == settings
    with pytest.raises(ValueError, match="queue mode needs queue_url"):
        BridgeSendSettings()
    with pytest.raises(ValueError, match="default_message_type"):
        BridgeSendSettings(delivery_mode=DeliveryMode.INLINE, default_message_type="URGENT")  # type: ignore[arg-type]  # invalid on purpose
    with pytest.raises(SettingsError, match="BRIDGE_ALLOWED_CONFIGURATION_SETS"):
        BridgeSendSettings.from_environment(
            {"BRIDGE_DELIVERY_MODE": "INLINE", "BRIDGE_ALLOWED_CONFIGURATION_SETS": "[1]"}
        )

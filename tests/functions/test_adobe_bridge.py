"""The Adobe bridge's send path: request validation, idempotency, opt-out checks, queue and inline sending, and
the queue consumer. DynamoDB, SQS and Secrets Manager are moto; the SMS API is tests/support/sms_voice_fake.py (every
request checked against botocore's model)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from adobe_bridge_consumer import handler as consumer_module
from adobe_bridge_send import handler as send_module
from pinpoint_constructs.adobe_sms_bridge import load_openapi_document
from pinpoint_runtime.bridge.service import (
    FIELD_RULES,
    IDEMPOTENCY_KEY_RULES,
    MODE_INLINE,
    REQUIRED_FIELDS,
    BridgeRequestError,
    BridgeSettings,
    parse_send_request,
)
from pinpoint_runtime.sms.opt_out import OptOutState
from tests.support.adobe_bridge_env import (
    CONFIGURATION_SET,
    CUSTOMER,
    OTHER_CONFIGURATION_SET,
    BridgeEnv,
    make_env,
)
from tests.support.adobe_http_adapter import LambdaContext

BODY = "Your order 1234 has shipped. Track it at example.com/t/1234"


def payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "destinationNumber": "(425) 555-0182",
        "messageBody": BODY,
        "journeyId": "2f8a1b4c-journey",
        "actionId": "node-7",
        "profileId": "profile-42",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def call(service: Any, data: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict]:
    body = data if isinstance(data, str) else json.dumps(data)
    outcome = service.accept(body, headers or {})
    return outcome.response.status, outcome.response.body, outcome.response.headers


@pytest.fixture
def env(fake_aws_credentials: None) -> Iterator[BridgeEnv]:
    with mock_aws():
        yield make_env()


def _items(env: BridgeEnv) -> list[dict[str, Any]]:
    return env.dynamodb.scan(TableName=env.table_name)["Items"]


# --------------------------------------------------------------------------------------------- contract


def test_the_handler_enforces_exactly_the_openapi_request_contract() -> None:
    document = load_openapi_document()
    schema = document["components"]["schemas"]["SendSmsRequest"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(REQUIRED_FIELDS)
    documented = {name: {k: v for k, v in rule.items() if k not in ("type", "description", "example")}
                  for name, rule in schema["properties"].items()}  # fmt: skip
    assert documented == FIELD_RULES
    assert all(rule["type"] == "string" for rule in schema["properties"].values())
    (header,) = document["paths"]["/messages"]["post"]["parameters"]
    assert header["name"] == "Idempotency-Key" and header["in"] == "header" and header["required"] is False
    assert {k: v for k, v in header["schema"].items() if k != "type"} == IDEMPOTENCY_KEY_RULES


def test_every_status_the_bridge_answers_is_documented() -> None:
    responses = load_openapi_document()["paths"]["/messages"]["post"]["responses"]
    assert {"202", "400", "401", "403", "409", "422", "429", "500", "503"} <= set(responses)
    gateway = load_openapi_document()["x-amazon-apigateway-gateway-responses"]
    for response_type, entry in gateway.items():
        if "statusCode" in entry:
            assert entry["statusCode"] in responses, response_type
    assert gateway["UNAUTHORIZED"]["statusCode"] == "401" and gateway["ACCESS_DENIED"]["statusCode"] == "403"
    assert gateway["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"  # AJO does not retry 404
    assert gateway["THROTTLED"]["statusCode"] == "429"


def render_gateway_template(template: str, message: str, validation: str) -> str:
    """A gateway response template as API Gateway fills it (simple substitution, no VTL): ``messageString`` is the
    message quoted and escaped; ``validationErrorString`` is the escaped text without quotes, which is why the
    template puts it between quotes."""
    rendered = template.replace("$context.error.messageString", json.dumps(message))
    rendered = rendered.replace("$context.error.validationErrorString", json.dumps(validation)[1:-1])
    assert "$context" not in rendered, f"a variable the test does not know: {rendered}"
    return rendered


def test_every_gateway_response_body_is_json_in_the_documented_error_shape() -> None:
    import jsonschema_rs  # installed with schemathesis

    document = load_openapi_document()
    error_schema = document["components"]["schemas"]["Error"]
    message = "Invalid request body"
    validation = '[object has missing required properties (["messageBody"])]'  # quotes, brackets: must stay JSON
    for response_type, entry in document["x-amazon-apigateway-gateway-responses"].items():
        for template in entry.get("responseTemplates", {}).values():
            body = json.loads(render_gateway_template(template, message, validation))
            jsonschema_rs.validate(error_schema, body)
            if "$context.error.messageString" in template:
                assert body["message"] == message, response_type
    body = json.loads(render_gateway_template(
        document["x-amazon-apigateway-gateway-responses"]["BAD_REQUEST_BODY"]["responseTemplates"]["application/json"],
        message, validation,
    ))  # fmt: skip
    assert body == {"error": "invalid_request", "message": message, "detail": validation}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.dictionaries(
            st.sampled_from([*FIELD_RULES, "extra", ""]),
            st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans(), st.lists(st.text(), max_size=2)),
            max_size=9,
        ),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=10),
        st.none(),
    )
)
def test_any_payload_is_accepted_or_refused_naming_a_field(data: Any) -> None:
    settings_ = BridgeSettings(queue_url="https://sqs.example/q", allowed_origination_identities=("pool-1",))
    try:
        request = parse_send_request(data, settings_)
    except BridgeRequestError as error:
        assert error.field in {*FIELD_RULES, "body", "extra", ""}
        assert str(error).startswith(f"{error.field}: ")
        return
    assert request.destination.startswith("+") and 1 <= len(request.body) <= 1600


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
    (item,) = _items(env)
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
    assert env.queued() == [] and _items(env) == []


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
    from pinpoint_runtime.bridge.service import request_id_for

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
    assert headers["Retry-After"] == "1" and _items(env) == []
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
    status, body, _ = call(env.service(MODE_INLINE), payload(messageType="PROMOTIONAL"))
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
    repeat = call(env.service(MODE_INLINE), payload(messageType="PROMOTIONAL"))
    assert repeat[0] == 202 and repeat[1]["messageId"] == sent["MessageId"] and repeat[1]["duplicate"] is True
    assert len(env.sms.sent) == 1
    assert env.queued() == []


def test_inline_mode_honours_the_requests_configuration_set(env: BridgeEnv) -> None:
    status, _, _ = call(env.service(MODE_INLINE), payload(configurationSetName=OTHER_CONFIGURATION_SET))
    assert status == 202 and env.sms.sent[0]["ConfigurationSetName"] == OTHER_CONFIGURATION_SET


def test_inline_opted_out_at_the_service_is_409(env: BridgeEnv) -> None:
    env.sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber=CUSTOMER)
    status, body, _ = call(env.service(MODE_INLINE, policy=False), payload())
    assert status == 409 and body["error"] == "opted_out"
    assert env.sms.sent == [] and _items(env) == []


def test_inline_throttling_is_429_and_the_retry_sends_exactly_once(env: BridgeEnv) -> None:
    env.sms.fail_next("send_text_message", "ThrottlingException")
    service = env.service(MODE_INLINE)
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
    answer, body, _ = call(env.service(MODE_INLINE), payload())
    assert answer == status
    assert code in body["message"]
    assert _items(env) == []  # released: AJO's retry is tried again


# --------------------------------------------------------------------------------------------- consumer


def _accept_and_receive(env: BridgeEnv, data: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    status, _, _ = call(env.service(), data or payload(), headers)
    assert status == 202
    (message,) = env.queued()
    return message


def test_the_consumer_sends_a_queued_request_once_even_when_sqs_delivers_it_twice(env: BridgeEnv) -> None:
    message = _accept_and_receive(env)
    consumer = env.consumer()
    first = consumer.process(message["Body"])
    again = consumer.process(message["Body"])
    assert first.result == "sent" and not first.retry
    assert again.result == "duplicate" and again.message_id == first.message_id
    (sent,) = env.sms.sent
    assert sent["MessageId"] == first.message_id and sent["DestinationPhoneNumber"] == CUSTOMER
    assert sent["Context"]["journey_id"] == "2f8a1b4c-journey"
    assert sent["ConfigurationSetName"] == CONFIGURATION_SET
    (item,) = _items(env)
    assert item["status"]["S"] == "SENT" and item["message_id"]["S"] == first.message_id
    # AJO's retry after the send is still answered from the record, and queues nothing
    status, body, _ = call(env.service(), payload())
    assert status == 202 and body["status"] == "SENT" and body["messageId"] == first.message_id
    assert env.queued() == []


def test_the_consumer_skips_a_job_another_delivery_is_sending(env: BridgeEnv) -> None:
    message = _accept_and_receive(env)
    job = json.loads(message["Body"])
    store = env.store()
    assert (
        store.claim_send(job["idempotency_key"], request_id=job["request_id"], fingerprint=job["fingerprint"]).outcome
        == "new"
    )
    outcome = env.consumer().process(message["Body"])
    assert outcome.result == "busy" and outcome.retry
    assert env.sms.sent == []


def test_the_consumer_recreates_an_expired_record_and_sends(env: BridgeEnv) -> None:
    message = _accept_and_receive(env)
    env.dynamodb.delete_item(
        TableName=env.table_name, Key={"id": {"S": json.loads(message["Body"])["idempotency_key"]}}
    )
    assert env.consumer().process(message["Body"]).result == "sent"
    assert len(env.sms.sent) == 1


def test_a_recipient_who_opted_out_after_acceptance_is_not_sent_to(env: BridgeEnv) -> None:
    message = _accept_and_receive(env, payload(messageType="PROMOTIONAL"))
    env.registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    outcome = env.consumer().process(message["Body"])
    assert outcome.result == "opted_out" and not outcome.retry
    assert env.sms.sent == [] and _items(env)[0]["status"]["S"] == "OPTED_OUT"


def test_throttling_beyond_the_limiters_attempts_is_retried_later(env: BridgeEnv) -> None:
    message = _accept_and_receive(env)
    env.sms.fail_next("send_text_message", "ThrottlingException", times=2)
    consumer = env.consumer(max_attempts=2, sleep=lambda _: None)
    outcome = consumer.process(message["Body"])
    assert outcome.result == "retry" and outcome.retry and outcome.reason == "ThrottlingException"
    assert _items(env)[0]["status"]["S"] == "ACCEPTED"  # released for the next delivery
    assert consumer.process(message["Body"]).result == "sent" and len(env.sms.sent) == 1


def test_a_send_that_would_wait_past_the_deadline_is_left_for_the_next_delivery(env: BridgeEnv) -> None:
    first = _accept_and_receive(env)
    second = _accept_and_receive(env, payload(profileId="p-2"))
    clock = [100.0]
    consumer = env.consumer(parts_per_second=0.5, clock=lambda: clock[0], sleep=lambda s: None)
    assert consumer.process(first["Body"], deadline=101.0).result == "sent"
    outcome = consumer.process(second["Body"], deadline=101.0)  # the next slot is at 102 s
    assert outcome.result == "retry" and outcome.reason == "RateLimitDeadlineExceeded"
    assert len(env.sms.sent) == 1


def test_the_consumer_batch_dead_letters_what_can_never_be_sent(env: BridgeEnv) -> None:
    good = _accept_and_receive(env)
    refused = _accept_and_receive(env, payload(profileId="p-refused"))
    throttled = _accept_and_receive(env, payload(profileId="p-throttled"))
    malformed = {"MessageId": "m-bad", "Body": '{"version": 1}'}
    consumer = env.consumer(max_attempts=1)

    real_send = env.sms.send_text_message
    outcomes = iter(["ok", "ValidationException", "ThrottlingException"])

    def scripted(**params: Any) -> Any:
        step = next(outcomes)
        if step != "ok":
            env.sms.fail_next("send_text_message", step)
        return real_send(**params)

    env.sms.send_text_message = scripted  # type: ignore[method-assign]
    event = {"Records": [env.record(m) for m in (good, refused, throttled, malformed)]}
    result = consumer_module.process_batch(
        event, consumer, deadline=None, dead_letter_queue_url=env.dead_letter_queue_url, sqs=env.sqs
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": throttled["MessageId"]}]}
    dead = env.queued(env.dead_letter_queue_url)
    reasons = {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: m["MessageAttributes"]["reason"]["StringValue"]
        for m in dead
    }
    assert reasons == {refused["MessageId"]: "ValidationException", "m-bad": "job has no request_id"}
    assert len(env.sms.sent) == 1


def test_the_consumer_keeps_records_it_cannot_dead_letter(env: BridgeEnv) -> None:
    malformed = {"MessageId": "m-bad", "Body": "not json"}
    result = consumer_module.process_batch(
        {"Records": [env.record(malformed)]}, env.consumer(), deadline=None, dead_letter_queue_url=None, sqs=env.sqs
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}


def test_each_consumer_copy_gets_its_share_of_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_MESSAGE_PARTS_PER_SECOND", "3")
    monkeypatch.setenv("BRIDGE_CONSUMER_CONCURRENCY", "2")
    assert consumer_module.per_process_rate() == 1.5


# --------------------------------------------------------------------------------------------- the Lambda handler


def test_the_send_handler_from_its_environment_logs_no_number_body_or_key(
    env: BridgeEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    for name, value in {
        "BRIDGE_IDEMPOTENCY_TABLE": env.table_name,
        "BRIDGE_SEND_QUEUE_URL": env.queue_url,
        "BRIDGE_DELIVERY_MODE": "QUEUE",
        "SMS_ORIGINATION_IDENTITY": env.identity,
        "SMS_CONFIGURATION_SET": CONFIGURATION_SET,
        "BRIDGE_ALLOWED_ORIGINATION_IDENTITIES": json.dumps([env.other_identity]),
        "OPT_OUT_REGISTRY_TABLE": env.registry_table,
        "POWERTOOLS_METRICS_NAMESPACE": "PinpointConstructs",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(send_module, "_service", None)
    import pinpoint_runtime.sms.opt_out as opt_out

    monkeypatch.setattr(opt_out, "_default_registry", None)
    event = {
        "body": json.dumps(payload(originationIdentity=env.identity)),
        "headers": {"x-api-key": "the-secret-key-value", "Content-Type": "application/json"},
        "isBase64Encoded": False,
    }
    caplog.set_level(logging.INFO)
    response = send_module.handler(event, LambdaContext("adobe-bridge-send"))
    assert response["statusCode"] == 202 and response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"])["status"] == "ACCEPTED"
    assert len(env.queued()) == 1
    bad = send_module.handler({**event, "body": "{}"}, LambdaContext("adobe-bridge-send"))
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["field"] == "destinationNumber"
    encoded = send_module.handler({**event, "body": "%%%", "isBase64Encoded": True}, LambdaContext("x"))
    assert encoded["statusCode"] == 400 and json.loads(encoded["body"])["field"] == "body"

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("message") == "custom action request"]
    assert [r["result"] for r in requests] == ["accepted", "invalid", "invalid"]
    assert requests[0]["destination"] == "+*********82" and requests[0]["journey_id"] == "2f8a1b4c-journey"
    assert [r.get("field") for r in requests] == [None, "destinationNumber", "body"]
    # each line is also the request's metric (embedded metric format), one count per outcome
    assert [(r["Accepted" if i == 0 else "Invalid"], r["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"])
            for i, r in enumerate(requests)] == [(1, "Accepted"), (1, "Invalid"), (1, "Invalid")]  # fmt: skip
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in requests} == {"PinpointConstructs"}
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records) + out
    for secret in ("14255550182", "555-0182", "Your order 1234", "the-secret-key-value"):
        assert secret not in logged


def test_an_unexpected_fault_is_a_json_500(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken() -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(send_module, "service", broken)
    response = send_module.handler({"body": "{}", "headers": {}}, LambdaContext("adobe-bridge-send"))
    assert response["statusCode"] == 500 and json.loads(response["body"])["error"] == "internal_error"
    record = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"custom action request"' in line]
    assert record[-1]["result"] == "fault" and record[-1]["Faults"] == 1

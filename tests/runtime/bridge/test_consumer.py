"""The queue consumer (pinpoint_runtime.bridge.consumer): once per request, opt-outs, throttling, deadlines, and
its batches (dead-lettering, each copy's share of the rate)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinpoint_runtime.bridge.consumer import BridgeConsumerSettings, process_batch
from pinpoint_runtime.core.sqs_batch import DeadLetterQueue
from pinpoint_runtime.sms.opt_out import OptOutState
from tests.support.adobe_bridge_env import (
    CONFIGURATION_SET,
    CUSTOMER,
    BridgeEnv,
    accept_and_receive,
    call,
    payload,
    stored_items,
)

# --------------------------------------------------------------------------------------------- consumer


def test_the_consumer_sends_a_queued_request_once_even_when_sqs_delivers_it_twice(env: BridgeEnv) -> None:
    message = accept_and_receive(env)
    consumer = env.consumer()
    first = consumer.process(message["Body"])
    again = consumer.process(message["Body"])
    assert first.result == "sent" and not first.retry
    assert again.result == "duplicate" and again.message_id == first.message_id
    (sent,) = env.sms.sent
    assert sent["MessageId"] == first.message_id and sent["DestinationPhoneNumber"] == CUSTOMER
    assert sent["Context"]["journey_id"] == "2f8a1b4c-journey"
    assert sent["ConfigurationSetName"] == CONFIGURATION_SET
    (item,) = stored_items(env)
    assert item["status"]["S"] == "SENT" and item["message_id"]["S"] == first.message_id
    # AJO's retry after the send is still answered from the record, and queues nothing
    status, body, _ = call(env.service(), payload())
    assert status == 202 and body["status"] == "SENT" and body["messageId"] == first.message_id
    assert env.queued() == []


def test_the_consumer_skips_a_job_another_delivery_is_sending(env: BridgeEnv) -> None:
    message = accept_and_receive(env)
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
    message = accept_and_receive(env)
    env.dynamodb.delete_item(
        TableName=env.table_name, Key={"id": {"S": json.loads(message["Body"])["idempotency_key"]}}
    )
    assert env.consumer().process(message["Body"]).result == "sent"
    assert len(env.sms.sent) == 1


def test_a_recipient_who_opted_out_after_acceptance_is_not_sent_to(env: BridgeEnv) -> None:
    message = accept_and_receive(env, payload(messageType="PROMOTIONAL"))
    env.registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    outcome = env.consumer().process(message["Body"])
    assert outcome.result == "opted_out" and not outcome.retry
    assert env.sms.sent == [] and stored_items(env)[0]["status"]["S"] == "OPTED_OUT"


def test_throttling_beyond_the_limiters_attempts_is_retried_later(env: BridgeEnv) -> None:
    message = accept_and_receive(env)
    env.sms.fail_next("send_text_message", "ThrottlingException", times=2)
    consumer = env.consumer(max_attempts=2, sleep=lambda _: None)
    outcome = consumer.process(message["Body"])
    assert outcome.result == "retry" and outcome.retry and outcome.reason == "ThrottlingException"
    assert stored_items(env)[0]["status"]["S"] == "ACCEPTED"  # released for the next delivery
    assert consumer.process(message["Body"]).result == "sent" and len(env.sms.sent) == 1


def test_a_send_that_would_wait_past_the_deadline_is_left_for_the_next_delivery(env: BridgeEnv) -> None:
    first = accept_and_receive(env)
    second = accept_and_receive(env, payload(profileId="p-2"))
    clock = [100.0]
    consumer = env.consumer(parts_per_second=0.5, clock=lambda: clock[0], sleep=lambda s: None)
    assert consumer.process(first["Body"], deadline=101.0).result == "sent"
    outcome = consumer.process(second["Body"], deadline=101.0)  # the next slot is at 102 s
    assert outcome.result == "retry" and outcome.reason == "RateLimitDeadlineExceeded"
    assert len(env.sms.sent) == 1


# --------------------------------------------------------------------------------------------- the batch


def test_the_consumer_batch_dead_letters_what_can_never_be_sent(env: BridgeEnv) -> None:
    good = accept_and_receive(env)
    refused = accept_and_receive(env, payload(profileId="p-refused"))
    throttled = accept_and_receive(env, payload(profileId="p-throttled"))
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
    dead_letter_queue = DeadLetterQueue(env.dead_letter_queue_url, sqs_client=env.sqs)
    result = process_batch(event, consumer, deadline=None, dead_letter_queue=dead_letter_queue)
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
    result = process_batch(
        {"Records": [env.record(malformed)]}, env.consumer(), deadline=None, dead_letter_queue=DeadLetterQueue(None)
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}


def test_each_consumer_copy_gets_its_share_of_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_MESSAGE_PARTS_PER_SECOND", "3")
    monkeypatch.setenv("BRIDGE_CONSUMER_CONCURRENCY", "2")
    assert BridgeConsumerSettings.from_environment().per_process_rate == 1.5

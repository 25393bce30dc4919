"""The CONNECT_VOICE channel through botocore's Stubber (moto has no StartOutboundVoiceContact)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from pinpoint_runtime.campaigns.channels.connect_voice import ConnectVoiceChannel, ConnectVoiceSettings, client_token
from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError
from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
)
from tests.support.custom_channel_events import expected_call, payload


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def connect_channel(clock: FakeClock, **kwargs: Any) -> tuple[ConnectVoiceChannel, Stubber]:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    options = {
        "instance_id": "inst-1",
        "contact_flow_id": "flow-1",
        "source_phone_number": "+12065550199",
        "calls_per_second": 2.0,
        "connect_client": client,
        "clock": clock,
        "sleep": clock.sleep,
        **kwargs,
    }
    return ConnectVoiceChannel(**options), stubber


def test_connect_calls_each_phone_endpoint_once_with_a_deterministic_client_token() -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock)
    event = payload()
    for endpoint_id, address in (("ep-sms", "+12065550100"), ("ep-voice", "+12065550101")):
        stubber.add_response(
            "start_outbound_voice_contact",
            {"ContactId": f"c-{endpoint_id}"},
            expected_call(event, endpoint_id, address),
        )
    with stubber:
        results = channel.deliver(event)
    stubber.assert_no_pending_responses()
    assert results == {
        "ep-sms": (SUCCESS, None),
        "ep-voice": (SUCCESS, None),
        "ep-bare": (FAILURE, "the endpoint has no E.164 phone number to call"),
    }
    # paced at 2 calls per second: the second call waited half a second
    assert clock.sleeps == [0.5]

    # the token is a function of the send: same on a retry, different per endpoint, treatment and campaign
    assert client_token(event, "ep-sms") == client_token(payload(), "ep-sms")
    assert (
        len(
            {
                client_token(event, "ep-sms"),
                client_token(event, "ep-voice"),
                client_token(payload(treatment="1"), "ep-sms"),
                client_token(payload(campaign="c2"), "ep-sms"),
            }
        )
        == 4
    )
    assert len(client_token(event, "ep-sms")) <= 500


def test_connect_retries_throttles_and_isolates_failures() -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock, calls_per_second=100.0)
    event = payload()
    stubber.add_client_error("start_outbound_voice_contact", "ThrottlingException", http_status_code=429)
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c1"}, expected_call(event, "ep-sms", "+12065550100")
    )
    stubber.add_client_error("start_outbound_voice_contact", "DestinationNotAllowedException", http_status_code=403)
    with stubber:
        results = channel.deliver(event)
    assert results["ep-sms"] == (SUCCESS, None)
    assert results["ep-voice"] == (FAILURE, "Connect DestinationNotAllowedException")  # not retried
    assert len(clock.sleeps) >= 1  # the throttled call waited before its retry

    channel, stubber = connect_channel(FakeClock(), calls_per_second=100.0, max_attempts=2)
    for _ in range(2):
        stubber.add_client_error("start_outbound_voice_contact", "LimitExceededException", http_status_code=429)
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c2"}, {**expected_call(event, "ep-voice", "+12065550101")}
    )
    with stubber:
        results = channel.deliver(event)
    assert results["ep-sms"] == (FAILURE, "Connect LimitExceededException after 2 attempts")
    assert results["ep-voice"] == (SUCCESS, None)


def test_connect_stops_at_the_deadline_and_answers_every_endpoint() -> None:
    clock = FakeClock()
    channel, stubber = connect_channel(clock, calls_per_second=0.5)  # one call every 2 s
    event = payload()
    stubber.add_response(
        "start_outbound_voice_contact", {"ContactId": "c1"}, {**expected_call(event, "ep-sms", "+12065550100")}
    )
    with stubber:
        results = channel.deliver(event, deadline=1.0)
    assert results["ep-sms"] == (SUCCESS, None)
    assert results["ep-voice"] == (FAILURE, "not attempted: the call rate leaves no time in this invocation")
    with pytest.raises(ChannelConfigurationError):
        ConnectVoiceChannel(instance_id="i", contact_flow_id="f")  # no caller id at all


def test_connect_settings_keep_the_call_rate_as_written() -> None:
    settings = ConnectVoiceSettings(
        instance_id="inst-1", contact_flow_id="flow-1", calls_per_second=1.0, source_phone_number="+12065550199"
    )
    environment = settings.to_environment()
    assert environment["CALLS_PER_SECOND"] == "1.0" and "CONNECT_QUEUE_ID" not in environment
    assert ConnectVoiceSettings.from_environment(environment) == settings
    assert (
        ConnectVoiceSettings(instance_id="i", contact_flow_id="f", calls_per_second=0.5).to_environment()[
            "CALLS_PER_SECOND"
        ]
        == "0.5"
    )

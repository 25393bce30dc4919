"""pinpoint_runtime.sms.rate_limiter: message-part counting, pacing per origination identity, throttling retries."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.sms import rate_limiter as sms_rate_limiter
from pinpoint_runtime.sms.rate_limiter import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    PartsRateLimiter,
    RateLimitDeadlineExceeded,
    RateLimitedSmsSender,
    count_message_parts,
)
from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSender, SmsSendError
from tests.support.sms_voice_fake import FakeSmsVoiceV2


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("body", "encoding", "parts"),
    [
        ("a" * 160, "GSM", 1),
        ("a" * 161, "GSM", 2),
        ("a" * 306, "GSM", 2),
        ("a" * 307, "GSM", 3),
        ("€" * 80, "GSM", 1),  # extension characters take two septets
        ("€" * 81, "GSM", 2),
        ("a" * 152 + "€" + "a" * 10, "GSM", 2),  # the escape pair moves whole into part 2
        ("a" * 152 + "€" + "a" * 152, "GSM", 3),  # 306 septets, yet 3 parts: the pair cannot be split
        ("Grüße aus Köln! àé", "GSM", 1),  # in the GSM basic set
        ("ç" + "a" * 10, "UCS2", 1),  # lower-case ç is not GSM-7
        ("д" * 70, "UCS2", 1),
        ("д" * 71, "UCS2", 2),
        ("д" * 134, "UCS2", 2),
        ("д" * 135, "UCS2", 3),
        ("😀" * 35, "UCS2", 1),  # surrogate pairs: 70 code units
        ("😀" * 36, "UCS2", 2),
        ("a" * 66 + "😀" + "ä" * 10, "UCS2", 2),  # the pair is not split across parts
    ],
)
def test_message_parts_follow_gsm7_and_ucs2_segmentation(body: str, encoding: str, parts: int) -> None:
    counted = count_message_parts(body)
    assert (counted.encoding, counted.parts) == (encoding, parts)


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), max_size=700))
def test_gsm_part_count_matches_a_packing_that_never_splits_an_escape(body: str) -> None:
    counted = count_message_parts(body)
    septets = sum(2 if c in GSM7_EXTENSION else 1 for c in body)
    assert counted.encoding == "GSM" and counted.units == septets
    if septets <= 160:
        assert counted.parts == 1
    else:  # every part but the last is full up to one septet (an escape pair that did not fit)
        assert -(-septets // 153) <= counted.parts <= -(-septets // 152)


@given(st.text(min_size=1, max_size=400).filter(lambda s: any(c not in GSM7_BASIC | GSM7_EXTENSION for c in s)))
def test_any_non_gsm_character_makes_the_message_ucs2(body: str) -> None:
    counted = count_message_parts(body)
    units = len(body.encode("utf-16-le")) // 2
    assert counted.encoding == "UCS2" and counted.units == units
    assert counted.parts == 1 if units <= 70 else -(-units // 67) <= counted.parts <= -(-units // 66)


@settings(max_examples=200)
@given(
    rate=st.sampled_from([0.5, 1.0, 3.0, 10.0, 100.0]),
    sends=st.lists(st.tuples(st.integers(1, 10), st.floats(0, 3)), min_size=1, max_size=40),
)
def test_the_limiter_never_exceeds_the_rate(rate: float, sends: list[tuple[int, float]]) -> None:
    time = FakeTime()
    limiter = PartsRateLimiter(rate, clock=time.clock, sleep=time.sleep)
    started: list[tuple[float, int]] = []
    for parts, idle in sends:
        time.now += idle
        limiter.acquire(parts)
        started.append((time.now, parts))
    # each send starts no earlier than the previous one's parts allow ...
    for (t0, p0), (t1, _) in itertools.pairwise(started):
        assert t1 - t0 >= p0 / rate - 1e-9
    # ... so any window holds at most rate x its length plus one message's parts
    for i, (start, _) in enumerate(started):
        for j in range(i, len(started)):
            window = started[j][0] - start
            parts_in = sum(p for _, p in started[i : j + 1])
            assert parts_in <= rate * window + started[j][1] + 1e-6


def test_the_limiter_waits_instead_of_sending_early() -> None:
    time = FakeTime()
    limiter = PartsRateLimiter(2.0, clock=time.clock, sleep=time.sleep)
    assert limiter.acquire(1) == 0.0
    assert limiter.acquire(3) == pytest.approx(0.5)
    assert limiter.wait_time() == pytest.approx(1.5)
    assert time.sleeps == [pytest.approx(0.5)]


def test_a_deadline_refuses_without_booking() -> None:
    time = FakeTime()
    limiter = PartsRateLimiter(1.0, clock=time.clock, sleep=time.sleep)
    limiter.acquire(5)
    with pytest.raises(RateLimitDeadlineExceeded) as refused:
        limiter.acquire(1, deadline=time.now + 2)
    assert refused.value.retryable and refused.value.wait_seconds == pytest.approx(5)
    assert limiter.wait_time() == pytest.approx(5)  # nothing was booked by the refused call


@pytest.mark.parametrize("rate", [0, -1, float("inf"), True])
def test_invalid_rates_are_refused(rate: Any) -> None:
    with pytest.raises(ValueError):
        PartsRateLimiter(rate)


def _sender(fake: FakeSmsVoiceV2, identity: str | None = None) -> SmsSender:
    return SmsSender(origination_identity=identity, client=fake)


def test_sends_are_paced_per_origination_identity() -> None:
    fake = FakeSmsVoiceV2()
    a = fake.add_phone_number("+12065550100")["PhoneNumberArn"]
    b = fake.add_phone_number("+12065550111")["PhoneNumberArn"]
    time = FakeTime()
    sender = RateLimitedSmsSender(
        _sender(fake, a), parts_per_second=1.0, identity_rates={b: 10.0}, clock=time.clock, sleep=time.sleep
    )
    start = time.now
    for _ in range(3):
        sender.send_text("+14255550182", "x" * 200)  # 2 parts each
    assert time.now - start == pytest.approx(4.0)  # 2 parts, 2 parts, then the third send
    mark = time.now
    for _ in range(3):
        sender.send_text("+14255550182", "hi", origination_identity=b)
    assert time.now - mark == pytest.approx(0.2)  # b has its own budget at 10 parts/s
    assert [m["OriginationIdentity"] for m in fake.sent] == [a, a, a, b, b, b]


def test_throttling_is_retried_with_full_jitter_backoff_and_each_retry_books_a_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeSmsVoiceV2()
    fake.fail_next("send_text_message", "ThrottlingException", times=2)
    time = FakeTime()
    backoffs: list[tuple[int, float, float]] = []

    def backoff(retry: int, *, base: float, cap: float) -> float:
        backoffs.append((retry, base, cap))
        return 0.25

    monkeypatch.setattr(sms_rate_limiter, "full_jitter_backoff", backoff)
    sender = RateLimitedSmsSender(
        _sender(fake), parts_per_second=1.0, backoff_base=0.2, backoff_cap=5.0, clock=time.clock, sleep=time.sleep
    )
    result = sender.send_text("+14255550182", "hello")
    assert result.attempts == 3 and result.parts == 1 and result.encoding == "GSM"
    assert backoffs == [(1, 0.2, 5.0), (2, 0.2, 5.0)]
    # attempt 1 at t0; backoff 0.25; attempt 2 waits for its slot at t0+1; backoff; attempt 3 at t0+2
    assert time.now - 1000.0 == pytest.approx(2.0)
    assert len(fake.sent) == 1 and len(fake.calls_to("send_text_message")) == 3


def test_throttling_gives_up_after_max_attempts_and_other_errors_are_not_retried() -> None:
    fake = FakeSmsVoiceV2()
    time = FakeTime()
    sender = RateLimitedSmsSender(_sender(fake), parts_per_second=5.0, max_attempts=2, clock=time.clock,
                                  sleep=time.sleep)  # fmt: skip
    fake.fail_next("send_text_message", "ThrottlingException", times=2)
    with pytest.raises(SmsSendError) as throttled:
        sender.send_text("+14255550182", "hello")
    assert throttled.value.code == "ThrottlingException" and throttled.value.retryable
    fake.fail_next("send_text_message", "ValidationException")
    with pytest.raises(SmsSendError) as invalid:
        sender.send_text("+14255550182", "hello")
    assert invalid.value.code == "ValidationException"
    assert len(fake.calls_to("send_text_message")) == 3
    fake.put_opted_out_number(OptOutListName="Default", OptedOutNumber="+14255550182")
    with pytest.raises(RecipientOptedOut):
        sender.send_text("+14255550182", "hello")

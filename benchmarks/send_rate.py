#!/usr/bin/env python3
"""SMS send rate of the campaign engine's delivery code against an API that enforces MPS (prints only).

Usage (from the repository root):

    .venv/bin/python benchmarks/send_rate.py                      # 10,000 messages at 10, 100 and 1,000 MPS
    .venv/bin/python benchmarks/send_rate.py --messages 2000 --mps 10 100

What runs:

* **The fake API** (in-process ``send_text_message``): per origination identity a token bucket of ``MPS`` message
  parts that refills at ``MPS`` parts per second (one second of burst, as a rate limit of "MPS message parts per
  second" is usually enforced). A message of ``p`` parts (GSM-7/UCS-2 counted by
  ``sms_rate_limiter.count_message_parts``) needs ``p`` tokens; without them the call raises the service's
  ``ThrottlingException`` (a botocore ``ClientError``) and is counted as a throttle. Accepted messages are recorded
  with their endpoint id (from ``Context``), time and parts. The API answers instantly.
* **One simulated clock** drives everything: the fake API's bucket, the rate limiter's pacing and the backoff
  sleeps (sleeping advances the clock), so the 10-MPS run covers ~25 simulated minutes in seconds of wall time and
  the API enforces the rate on the very clock the sender paces with.
* **This library**: ``CampaignDelivery.deliver`` (``InMemoryLedger``, ``RateLimitedSmsSender`` at the configured
  MPS, one worker) over batches of 50 endpoints, as the CampaignRunner calls it; every 20th batch is delivered a
  second time (a retried batch) to show that retries send nothing twice.
* **Reference style**: one ``SendTextMessage`` call per message then a fixed ``sleep(1 / MPS)`` (the reference
  architecture's README advice), ignoring message parts; a throttled call is logged and dropped (it did not retry).

Messages (seeded): 10,000 to distinct numbers, mixed single- and multi-part: about 60 % one GSM-7 part, 22 % two
parts, 10 % three parts, 8 % UCS-2 (emoji, Cyrillic) of one or two parts.

Printed per MPS and sender: achieved parts/s ÷ configured MPS, where achieved = accepted parts ÷ the time they
occupied (from the first accepted send to the last one plus its own ``parts / MPS``), the throttles the API
counted, duplicates (messages accepted more than once for one endpoint) and lost messages (endpoints the API
never accepted), the simulated duration and the wall time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_src"))

from botocore.exceptions import ClientError

from pinpoint_runtime.campaigns.delivery import CampaignDelivery
from pinpoint_runtime.campaigns.ledger import InMemoryLedger
from pinpoint_runtime.campaigns.payloads import DUPLICATE, SUCCESS, CampaignContext
from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender, count_message_parts
from pinpoint_runtime.sms.sender import SmsSender

IDENTITY = "+12065550100"
BATCH = 50
RETRY_EVERY = 20


class SimClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.now += seconds


@dataclass
class FakeMpsApi:
    """``send_text_message`` enforcing ``mps`` message parts per second per identity (token bucket, 1 s burst)."""

    mps: float
    clock: SimClock
    throttles: int = 0
    accepted: list[tuple[str, float, int]] = field(default_factory=list)  # (endpoint id, time, parts)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # identity -> (tokens, at)

    def send_text_message(self, **params: Any) -> dict[str, Any]:
        identity = params.get("OriginationIdentity", "<default>")
        parts = count_message_parts(params["MessageBody"]).parts
        now = self.clock()
        tokens, at = self._buckets.get(identity, (self.mps, now))
        tokens = min(self.mps, tokens + (now - at) * self.mps)
        if tokens + 1e-9 < parts:
            self._buckets[identity] = (tokens, now)
            self.throttles += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTextMessage")
        self._buckets[identity] = (tokens - parts, now)
        endpoint_id = (params.get("Context") or {}).get("endpoint_id", params["DestinationPhoneNumber"])
        self.accepted.append((endpoint_id, now, parts))
        return {"MessageId": f"m-{len(self.accepted)}"}


def messages(count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(endpoint id, number, body), seeded."""
    rng = random.Random(seed)
    words = [
        "sale",
        "offer",
        "today",
        "your",
        "order",
        "shipped",
        "thanks",
        "visit",
        "store",
        "code",
        "reply",
        "STOP",
        "to",
        "opt",
        "out",
    ]

    def gsm(length: int) -> str:
        text = ""
        while len(text) < length:
            text += rng.choice(words) + " "
        return text[:length].strip() or "hi"

    out = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.60:
            body = gsm(rng.randint(20, 160))
        elif roll < 0.82:
            body = gsm(rng.randint(161, 306))
        elif roll < 0.92:
            body = gsm(rng.randint(307, 459))
        else:
            body = "Привет 🎉 " + "скидка " * rng.randint(2, 15)
        out.append((f"ep-{i:05d}", f"+1425{i:07d}", body.strip()))
    return out


@dataclass
class Result:
    sender: str
    mps: float
    parts: int
    span: float
    throttles: int
    duplicates: int
    lost: int
    simulated: float
    wall: float

    @property
    def ratio(self) -> float:
        return self.parts / self.span / self.mps if self.span > 0 else 0.0


def summarise(name: str, api: FakeMpsApi, expected: int, simulated: float, wall: float) -> Result:
    counts = Counter(endpoint_id for endpoint_id, _, _ in api.accepted)
    parts = sum(p for _, _, p in api.accepted)
    if api.accepted:
        first = min(t for _, t, _ in api.accepted)
        end = max(t + p / api.mps for _, t, p in api.accepted)
        span = end - first
    else:
        span = 0.0
    duplicates = sum(n - 1 for n in counts.values())
    return Result(name, api.mps, parts, span, api.throttles, duplicates, expected - len(counts), simulated, wall)


def run_library(batch: list[tuple[str, str, str]], mps: float) -> Result:
    clock = SimClock()
    api = FakeMpsApi(mps, clock)
    sender = RateLimitedSmsSender(
        SmsSender(origination_identity=IDENTITY, client=api), parts_per_second=mps, clock=clock, sleep=clock.sleep
    )
    delivery = CampaignDelivery(ledger=InMemoryLedger(), sms_sender=sender, clock=clock, sleep=clock.sleep)
    context = CampaignContext(application_id="bench", campaign_id="send-rate", treatment_id="0")
    started = time.perf_counter()
    outcomes: Counter = Counter()
    for number, start in enumerate(range(0, len(batch), BATCH)):
        items = [
            (endpoint_id, {"ChannelType": "SMS", "Address": address}, {"Body": body, "MessageType": "TRANSACTIONAL"})
            for endpoint_id, address, body in batch[start : start + BATCH]
        ]
        outcomes.update(o.status for o in delivery.deliver(context, items))
        if number % RETRY_EVERY == RETRY_EVERY - 1:
            retried = delivery.deliver(context, items)
            assert all(o.status == DUPLICATE for o in retried), "a retried batch must only find duplicates"
    assert outcomes[SUCCESS] == len(batch), dict(outcomes)
    return summarise("this library", api, len(batch), clock(), time.perf_counter() - started)


def run_reference(batch: list[tuple[str, str, str]], mps: float) -> Result:
    clock = SimClock()
    api = FakeMpsApi(mps, clock)
    started = time.perf_counter()
    for endpoint_id, address, body in batch:
        try:  # noqa: SIM105 (written as the reference architecture writes it: the error is swallowed)
            api.send_text_message(
                DestinationPhoneNumber=address,
                MessageBody=body,
                MessageType="TRANSACTIONAL",
                OriginationIdentity=IDENTITY,
                Context={"endpoint_id": endpoint_id},
            )
        except ClientError:
            pass  # logged and dropped, as the reference did
        clock.sleep(1.0 / mps)
    return summarise("reference style", api, len(batch), clock(), time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--mps", type=float, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args(argv)
    batch = messages(args.messages)
    parts = [count_message_parts(body).parts for _, _, body in batch]
    histogram = Counter(parts)
    print(
        f"{len(batch):,} messages, {sum(parts):,} parts "
        f"({', '.join(f'{histogram[k]:,} x {k}' for k in sorted(histogram))} parts)"
    )
    header = (
        f"{'MPS':>6}  {'sender':<16} {'parts/s / MPS':>13} {'throttles':>9} {'duplicates':>10} {'lost':>6} "
        f"{'simulated s':>11} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for mps in args.mps:
        for result in (run_library(batch, mps), run_reference(batch, mps)):
            print(
                f"{result.mps:>6g}  {result.sender:<16} {result.ratio:>13.4f} {result.throttles:>9,} "
                f"{result.duplicates:>10,} {result.lost:>6,} {result.simulated:>11,.1f} {result.wall:>7.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Adobe bridge: accepted requests per second and p50/p99 latency of the authorizer + send handler (prints only).

Usage (from the repository root):

    .venv/bin/python benchmarks/bridge.py                     # 3 interleaved rounds
    .venv/bin/python benchmarks/bridge.py --requests 3000 --cold-requests 400 --rounds 5

Every request goes through tests/adobe_http_adapter.LocalApiGateway in this process (no sockets): the API key
header is checked by the real authorizer Lambda handler (``adobe_bridge_authorizer.handler.handler``), the
gateway checks its policy, then the real send handler (``adobe_bridge_send.handler.handler``: validation, E.164
normalisation, idempotency claim, opt-out policy, enqueue, idempotency record, the request's log line with its
embedded metric) answers; every request is a new one (a different profile), so every one is accepted (202) and
queued. Log and metric output goes to /dev/null (written, not printed). The code-path rows build the events
(``LocalApiGateway.prepare``, what API Gateway does before invoking the functions) before the clock starts and
time ``invoke``; the "through the adapter" row times the adapter's routing and event building too.

Variants, interleaved round by round (the machine is shared and noisy):

* ``warm cache``: the authorizer's secret cache is warm (TTL 60 s), as in a running Lambda container;
* ``no cache``: secret cache TTL 0, so every request reads the secret (GetSecretValue of AWSCURRENT and
  AWSPREVIOUS) through botocore against moto in process: a *lower bound* of the real cost, which adds a network
  round trip to Secrets Manager (milliseconds) per call;
* ``warm cache, through the adapter``: the warm variant timed through ``dispatch`` (routing and event building
  included).

DynamoDB and SQS are in-memory stand-ins for both variants (the conditional put, update and delete the
idempotency store uses, the opt-out registry's lookup, and send_message), so the figures are the bridge's own
code path; the real calls add their network latency (single-digit milliseconds each in a region) on top. The
last line runs the warm variant with moto's DynamoDB and SQS behind botocore, for the cost of the SDK calls
themselves.

Targets for the warm path: at least 2,000 accepted requests per second per process, p99 under 5 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "lambda_src")]
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)

from botocore.exceptions import ClientError
from moto import mock_aws

from adobe_bridge_authorizer import handler as authorizer_module
from adobe_bridge_send import handler as send_module
from pinpoint_runtime.bridge.authorizer import ApiKeyAuthorizer
from tests.support.adobe_bridge_env import API_KEY, make_env
from tests.support.adobe_http_adapter import LocalApiGateway


class MemoryDynamoDB:
    """The three conditional writes IdempotencyStore's accept path makes, on a dict."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, *, Item: dict[str, Any], ExpressionAttributeValues: dict[str, Any], **_: Any) -> dict:
        key = Item["id"]["S"]
        old = self.items.get(key)
        now = int(ExpressionAttributeValues[":now"]["N"])
        if old is not None and not (
            int(old["expires_at"]["N"]) < now
            or (old["status"]["S"] == "IN_PROGRESS" and int(old.get("lock_until", {"N": "0"})["N"]) < now)
        ):
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}, "Item": old}, "PutItem")
        self.items[key] = dict(Item)
        return {}

    def update_item(self, *, Key: dict[str, Any], ExpressionAttributeValues: dict[str, Any], **_: Any) -> dict:
        item = self.items[Key["id"]["S"]]
        item["status"] = ExpressionAttributeValues[":status"]
        item.pop("lock_until", None)
        return {}

    def delete_item(self, *, Key: dict[str, Any], **_: Any) -> dict:
        self.items.pop(Key["id"]["S"], None)
        return {}


class MemorySqs:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def send_message(self, *, QueueUrl: str, MessageBody: str) -> dict:
        self.messages.append(MessageBody)
        return {"MessageId": str(len(self.messages))}


def run(gateway: LocalApiGateway, count: int, offset: int, *, through_adapter: bool) -> tuple[float, list[float]]:
    """``count`` new requests; (wall seconds, per-request latencies in ms). Every answer must be 202.

    ``through_adapter``: time the whole ``dispatch`` (routing and building the events, as API Gateway does, then
    the functions); otherwise the events are built before the clock starts and only ``invoke`` is timed: the
    authorizer, the policy check and the send handler."""
    latencies = []
    headers = {"x-api-key": API_KEY, "Content-Type": "application/json"}
    bodies = [
        json.dumps({"destinationNumber": "+14255550182", "messageBody": "Your order has shipped.",
                    "journeyId": "journey-1", "actionId": "action-1", "profileId": f"profile-{offset + i}"}).encode()
        for i in range(count)
    ]  # fmt: skip
    prepared = [] if through_adapter else [gateway.prepare("POST", "/v1/messages", headers, body) for body in bodies]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        start = time.perf_counter()
        if through_adapter:
            for body in bodies:
                t0 = time.perf_counter()
                response = gateway.dispatch("POST", "/v1/messages", headers, body)
                latencies.append((time.perf_counter() - t0) * 1000)
                _check(response)
        else:
            for request in prepared:
                t0 = time.perf_counter()
                response = gateway.invoke(request)  # type: ignore[arg-type]
                latencies.append((time.perf_counter() - t0) * 1000)
                _check(response)
        wall = time.perf_counter() - start
    return wall, latencies


def _check(response: Any) -> None:
    if response.status != 202:
        raise SystemExit(f"unexpected answer {response.status}: {response.body!r}")


def summary(walls: list[tuple[float, list[float]]]) -> tuple[float, float, float]:
    latencies = sorted(x for _, lat in walls for x in lat)
    total = sum(len(lat) for _, lat in walls)
    rate = total / sum(w for w, _ in walls)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return rate, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per round, warm cache")
    parser.add_argument("--cold-requests", type=int, default=300, help="requests per round, no cache")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with mock_aws():
        env = make_env()
        for logger in (send_module.logger, authorizer_module.logger):  # write the log lines, to nowhere
            cast(logging.StreamHandler, logger.registered_handler).stream = open(os.devnull, "w")  # noqa: SIM115
        memory_service = env.service()
        memory_service.store._client = MemoryDynamoDB()
        memory_service._sqs_client = MemorySqs()
        opted_out: dict[str, str] = {}  # the registry's GetItem, in memory: nobody opted out
        memory_service.may_send = lambda number, message_type: opted_out.get(number) is None
        moto_service = env.service()
        verifiers = {
            name: ApiKeyAuthorizer(env.verifier(cache_ttl=ttl), "x-api-key", logger=authorizer_module.logger)
            for name, ttl in (("warm cache", 60), ("no cache", 0))
        }
        gateway = LocalApiGateway(authorizer=authorizer_module.handler, handler=send_module.handler)
        variants = {
            "warm cache": (verifiers["warm cache"], memory_service, args.requests, False),
            "no cache": (verifiers["no cache"], memory_service, args.cold_requests, False),
            "warm cache, through the adapter": (verifiers["warm cache"], memory_service, args.requests, True),
            "warm cache, moto DynamoDB+SQS": (verifiers["warm cache"], moto_service, max(200, args.requests // 5),
                                              False),
        }  # fmt: skip
        results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in variants}
        offset = 0
        for verifier, service, _, adapter in variants.values():  # warm-up: imports, first secret read
            authorizer_module._authorizer, send_module._service = verifier, service
            run(gateway, 50, offset, through_adapter=adapter)
            offset += 50
        for _ in range(args.rounds):
            for name, (verifier, service, count, adapter) in variants.items():
                authorizer_module._authorizer, send_module._service = verifier, service
                results[name].append(run(gateway, count, offset, through_adapter=adapter))
                offset += count

    print(f"Adobe bridge, authorizer + send handler in process (accepted requests, {args.rounds} interleaved rounds)")
    print(f"{'variant':32} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    figures = {}
    for name, walls in results.items():
        rate, p50, p99 = summary(walls)
        figures[name] = (rate, p50, p99)
        count = sum(len(lat) for _, lat in walls)
        print(f"{name:32} {count:9d} {rate:9.0f} {p50:8.3f} {p99:8.3f}")
    warm, cold = figures["warm cache"], figures["no cache"]
    print(f"warm cache vs no cache: {warm[0] / cold[0]:.1f}x the throughput, p99 {cold[2] / warm[2]:.1f}x lower")
    for name in ("warm cache", "warm cache, through the adapter"):
        rate, _, p99 = figures[name]
        met = rate >= 2000 and p99 < 5
        print(f"targets (>= 2,000 req/s, p99 < 5 ms), {name}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

"""pinpoint_runtime.core.request_log: one line that reads like a Powertools Logger line and counts like Powertools
Metrics."""

from __future__ import annotations

import io
import json
import re

import pytest
from aws_lambda_powertools import Logger, Metrics

from pinpoint_runtime.core.request_log import RequestLog
from tests.support.adobe_http_adapter import LambdaContext

KEYS_SERVICE = "request-log-keys-test"
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def powertools_line(context: LambdaContext, **fields: object) -> dict:
    """What Powertools' Logger writes for the same request, decorated with inject_lambda_context."""
    stream = io.StringIO()
    logger = Logger(service=KEYS_SERVICE, stream=stream)  # a service (stdlib logger) no other test configures

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict, context: object) -> None:
        logger.info("custom action request", extra=fields)

    handler({}, context)
    return lines(stream)[-1]


def test_the_line_has_the_keys_and_formats_of_a_powertools_logger_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    context = LambdaContext("adobe-bridge-send", aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678")
    stream = io.StringIO()
    log = RequestLog(service=KEYS_SERVICE, namespace="PinpointConstructs", stream=stream)
    log.bind(context)
    log.write("custom action request", result="accepted", status_code=202)
    ours = lines(stream)[0]
    theirs = powertools_line(context, result="accepted", status_code=202)

    assert set(ours) == set(theirs)  # same keys (no metric asked for)
    for key in ("level", "message", "service", "function_name", "function_memory_size", "function_arn",
                "function_request_id", "xray_trace_id", "result", "status_code"):  # fmt: skip
        assert ours[key] == theirs[key], key
    assert ours["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    powertools_timestamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\+0000"
    assert re.fullmatch(powertools_timestamp, ours["timestamp"]) and re.fullmatch(
        powertools_timestamp, theirs["timestamp"]
    )
    assert re.fullmatch(r"test_the_line_has_the_keys_and_formats_of_a_powertools_logger_line:\d+", ours["location"])


def test_the_metric_is_what_powertools_metrics_would_print() -> None:
    stream = io.StringIO()
    log = RequestLog(
        service="adobe-bridge-send", namespace="PinpointConstructs", stream=stream, clock=lambda: 1795378597.25
    )
    log.bind(LambdaContext("adobe-bridge-send"))
    log.write("custom action request", metric="Accepted", result="accepted")
    ours = lines(stream)[0]

    metrics = Metrics(namespace="PinpointConstructs", service="adobe-bridge-send")
    metrics.add_metric(name="Accepted", unit="Count", value=1)
    theirs = metrics.serialize_metric_set()
    assert ours["_aws"]["CloudWatchMetrics"] == theirs["_aws"]["CloudWatchMetrics"]
    assert ours["service"] == theirs["service"] and [ours["Accepted"]] == theirs["Accepted"]
    assert ours["_aws"]["Timestamp"] == 1795378597250
    assert ours["timestamp"] == "2026-11-22 20:16:37,250+0000"


def test_cold_start_is_true_for_the_first_invocation_only() -> None:
    stream = io.StringIO()
    log = RequestLog(service="s", namespace="n", stream=stream)
    for request_id in ("a", "b", "c"):
        log.bind(LambdaContext("f", aws_request_id=request_id))
        log.write("request")
    assert [(line["cold_start"], line["function_request_id"]) for line in lines(stream)] == [
        (True, "a"), (False, "b"), (False, "c")
    ]  # fmt: skip


def test_above_info_only_the_metric_is_written() -> None:
    stream = io.StringIO()
    logger = Logger(service="s", level="WARNING", stream=io.StringIO())
    log = RequestLog(service="s", namespace="n", logger=logger, stream=stream)
    log.bind(LambdaContext("f"))
    log.write("request", result="accepted")  # no metric, no line
    log.write("request", metric="Accepted", result="accepted", destination="+*********82")
    (line,) = lines(stream)
    assert set(line) == {"_aws", "service", "Accepted"}
    assert line["Accepted"] == 1 and line["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "Accepted", "Unit": "Count"}
    ]


def test_none_fields_are_left_out_and_other_values_are_written_as_text() -> None:
    stream = io.StringIO()
    log = RequestLog(service="s", namespace="n", stream=stream)
    log.bind(LambdaContext("f"))
    log.write("request", journey_id=None, when=object.__new__(type("Opaque", (), {"__str__": lambda self: "opaque"})))
    (line,) = lines(stream)
    assert "journey_id" not in line and line["when"] == "opaque"

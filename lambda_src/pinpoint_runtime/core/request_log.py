"""One JSON line per request that is both the request's structured log record and its CloudWatch metric.

For request paths that must answer in well under a millisecond (the Adobe bridge's custom-action handler: at
least 2,000 requests per second per process, see ``benchmarks/bridge.py``). Powertools' ``inject_lambda_context``,
``Logger.info`` and ``Metrics.log_metrics`` write two lines per request through the logging machinery and cost
about 0.3 ms of such a request; :class:`RequestLog` writes one line in ~0.03 ms that carries

* the keys a Powertools ``Logger`` line carries (``level``, ``location``, ``message``, ``timestamp`` in the
  same format, ``service``, ``cold_start``, ``function_name``, ``function_memory_size``, ``function_arn``,
  ``function_request_id``, ``xray_trace_id``), so CloudWatch Logs Insights queries read both alike; and
* the CloudWatch embedded metric format directive Powertools ``Metrics`` prints for one ``Count`` metric
  (``_aws.CloudWatchMetrics`` with the namespace and the ``service`` dimension, the metric's value at the top
  level), so the metric names, namespace and dimension stay those of Powertools. CloudWatch Logs extracts the
  metric from the line: Lambda sends standard output to the log group, as it does for Powertools ``Metrics``.

When the function's log level (Powertools' / Lambda's, read from the ``Logger`` passed in) is above INFO, only
the metric part of the line is written. Everything else (warnings, exceptions) keeps going through Powertools.
The caller decides what goes into the fields; nothing here masks values (the bridge logs a masked number only).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from pinpoint_runtime.core.environment import lambda_runtime_variable

EMF_UNIT = "Count"
_ENCODE = json.JSONEncoder(separators=(",", ":"), default=str).encode


class RequestLog:
    """Writes request records for one function (``service``) whose metrics live in ``namespace``.

    Call :meth:`bind` once per invocation with the Lambda context, then :meth:`write` for the request's record.
    ``level_of`` gives the current log level (default: the Powertools ``Logger``'s ``log_level`` when ``logger``
    is given, else INFO); ``stream`` defaults to ``sys.stdout`` at write time.
    """

    def __init__(
        self,
        *,
        service: str,
        namespace: str,
        logger: Any = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.namespace = namespace
        self._logger = logger
        self._stream = stream
        self._clock = clock
        self._static: dict[str, Any] | None = None
        self._request_id: str | None = None
        self._cold_start = True
        self._bound_once = False
        self._directives: dict[str, list[dict[str, Any]]] = {}

    def bind(self, context: Any) -> None:
        """Start an invocation: its request id, and whether it is the container's first (``cold_start``)."""
        if self._static is None:
            self._static = {
                "function_name": getattr(context, "function_name", None),
                "function_memory_size": getattr(context, "memory_limit_in_mb", None),
                "function_arn": getattr(context, "invoked_function_arn", None),
            }
        self._cold_start = not self._bound_once
        self._bound_once = True
        self._request_id = getattr(context, "aws_request_id", None)

    def write(self, message: str, *, metric: str | None = None, **fields: Any) -> None:
        """One line: the record (``message`` + ``fields``) and, when ``metric`` is given, that metric with value 1."""
        now = self._clock()
        line: dict[str, Any] = {}
        if self._info_enabled():
            frame = sys._getframe(1)
            line = {
                "level": "INFO",
                "location": f"{frame.f_code.co_name}:{frame.f_lineno}",
                "message": message,
                "timestamp": _powertools_timestamp(now),
                "service": self.service,
                "cold_start": self._cold_start,
                **(self._static or {}),
                "function_request_id": self._request_id,
                **fields,
            }
            trace_id = lambda_runtime_variable("_X_AMZN_TRACE_ID")
            if trace_id:
                line["xray_trace_id"] = trace_id.split(";", 1)[0].removeprefix("Root=")
        if metric is not None:
            line["service"] = self.service
            line["_aws"] = {"Timestamp": int(now * 1000), "CloudWatchMetrics": self._directive(metric)}
            line[metric] = 1
        if not line:
            return
        stream = self._stream or sys.stdout
        stream.write(_ENCODE({k: v for k, v in line.items() if v is not None}) + "\n")
        stream.flush()

    def _directive(self, metric: str) -> list[dict[str, Any]]:
        directive = self._directives.get(metric)
        if directive is None:
            directive = self._directives[metric] = [
                {
                    "Namespace": self.namespace,
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": metric, "Unit": EMF_UNIT}],
                }
            ]
        return directive

    def _info_enabled(self) -> bool:
        if self._logger is None:
            return True
        level = getattr(self._logger, "log_level", logging.INFO)
        return level <= logging.INFO


@functools.lru_cache(maxsize=1)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))


def _powertools_timestamp(now: float) -> str:
    """Powertools Logger's default timestamp: ``2026-11-22 19:55:01,123+0000`` (UTC in Lambda)."""
    second = int(now)
    return f"{_utc_second(second)},{int((now - second) * 1000):03d}+0000"

"""Synchronous Lambda invocations of campaign hooks and custom channels, with Pinpoint's bounds (15 s an attempt,
at most 3 attempts for hooks)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.campaigns.payloads import HOOK_MAX_ATTEMPTS, HOOK_TIMEOUT_SECONDS
from pinpoint_runtime.core.aws_clients import new_client
from pinpoint_runtime.core.retries import full_jitter_backoff


class FunctionInvoker:
    """Synchronous Lambda invocations for hooks and channels: each attempt bounded by ``timeout`` seconds, at
    most ``max_attempts`` attempts (function errors, timeouts and throttling retried with jittered backoff); a
    result that is not the contract is not retried. Raises :class:`HookFailed` with the last reason."""

    def __init__(
        self,
        *,
        client: Any = None,
        timeout: float = HOOK_TIMEOUT_SECONDS,
        max_attempts: int = HOOK_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            from botocore.config import Config  # noqa: PLC0415

            self._client = new_client(
                "lambda",
                config=Config(read_timeout=self.timeout, connect_timeout=5, retries={"max_attempts": 1}),
            )
        return self._client

    def invoke(self, function: str, payload: Mapping[str, Any]) -> Any:
        reason = "not invoked"
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                response = self.client.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
                body = response["Payload"].read()
                if response.get("FunctionError"):
                    reason = f"the function failed: {_error_message(body)}"
                elif time.monotonic() - started > self.timeout:
                    reason = f"the function took more than {self.timeout:g} s"
                else:
                    return json.loads(body) if body else None
            except ValueError:
                raise HookFailed(function, "the function's answer is not JSON") from None
            except Exception as error:  # noqa: BLE001 - timeouts, throttling, service errors: retried
                reason = f"{type(error).__name__}: {getattr(error, 'response', {}).get('Error', {}).get('Code', error)}"
            if attempt < self.max_attempts:
                self._sleep(full_jitter_backoff(attempt, base=0.5, cap=4.0))
        raise HookFailed(function, f"{reason} (after {self.max_attempts} attempts)")


class HookFailed(RuntimeError):
    def __init__(self, function: str, reason: str) -> None:
        self.function = function
        self.reason = reason
        super().__init__(f"{function.rsplit(':', 1)[-1]}: {reason}")


def _error_message(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(parsed, Mapping):
        return str(parsed.get("errorMessage") or parsed.get("errorType") or parsed)[:200]
    return str(parsed)[:200]


__all__ = ["FunctionInvoker", "HookFailed"]

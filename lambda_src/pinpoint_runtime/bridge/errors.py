"""The bridge's two failure kinds: an invalid request (400) and a failed dependency (503)."""

from __future__ import annotations


class BridgeRequestError(ValueError):
    """An invalid request (400). ``field`` names the offending field; the message never echoes its value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class BridgeDependencyError(RuntimeError):
    """DynamoDB or SQS failed: the request was not accepted (503, retryable). Carries the AWS error code."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


__all__ = ["BridgeDependencyError", "BridgeRequestError"]

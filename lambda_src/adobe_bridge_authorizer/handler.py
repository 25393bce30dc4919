"""Lambda REQUEST authorizer of ``AdobeSmsBridge``: the API key header against a Secrets Manager secret.

What it answers: :mod:`pinpoint_runtime.bridge.authorizer` (401 for no key, 403 for a wrong one, 500 when the
secret cannot be read); the comparison and caching: :class:`pinpoint_runtime.bridge.api_keys.ApiKeyVerifier`.
Settings: :class:`~pinpoint_runtime.bridge.authorizer.AuthorizerSettings` (the secret's ARN, never its value). The
key never reaches a log line: the event is not logged, and rejected keys are logged by source IP only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.bridge.authorizer import ApiKeyAuthorizer, AuthorizerSettings

SERVICE_NAME = "adobe-bridge-authorizer"
SETTINGS = (AuthorizerSettings,)

logger = Logger(service=SERVICE_NAME)

_authorizer: ApiKeyAuthorizer | None = None


def authorizer() -> ApiKeyAuthorizer:
    """The process's authorizer (its secret cache lives as long as the Lambda container)."""
    global _authorizer  # noqa: PLW0603 - one cache per container
    if _authorizer is None:
        _authorizer = ApiKeyAuthorizer.from_settings(AuthorizerSettings.from_environment(), logger=logger)
    return _authorizer


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # No Powertools inject_lambda_context: an accepted key writes no log line, and the decorator costs more than
    # the check itself (benchmarks/bridge.py); a rejection's line carries the request id.
    return authorizer().authorize(event, getattr(context, "aws_request_id", None))

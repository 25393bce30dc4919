"""Lambda REQUEST authorizer of ``AdobeSmsBridge``: the API key header against a Secrets Manager secret.

API Gateway calls this function with the request's headers (identity source: the key header, so API Gateway
itself answers 401 when the header is missing and caches the answer per key value for the authorizer TTL):

* no key → ``Unauthorized`` → **401**;
* a key that is neither the secret's current value nor, within the rotation grace period, its previous one →
  a Deny policy → **403**;
* a valid key → an Allow policy for the called method, principal ``adobe-journey-optimizer``;
* the secret cannot be read → the exception propagates → API Gateway answers 500 (a real fault; AJO retries).

The comparison and caching are :class:`pinpoint_runtime.bridge.api_keys.ApiKeyVerifier` (HMAC digests compared with
``hmac.compare_digest``, secret cached for ``API_KEY_CACHE_TTL_SECONDS``). Environment: ``API_KEY_SECRET_ID``
(the secret's ARN, never its value), ``API_KEY_HEADER``, ``API_KEY_CACHE_TTL_SECONDS``,
``API_KEY_GRACE_PERIOD_SECONDS``, ``API_KEY_JSON_FIELD``. The key never reaches a log line: the event is not
logged, and rejected keys are logged by source IP only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.bridge.api_keys import ApiKeyVerifier
from pinpoint_runtime.bridge.contract import header_value

SERVICE_NAME = "adobe-bridge-authorizer"
ENV_HEADER = "API_KEY_HEADER"
DEFAULT_HEADER = "x-api-key"
PRINCIPAL = "adobe-journey-optimizer"

logger = Logger(service=SERVICE_NAME)

_verifier: ApiKeyVerifier | None = None


def verifier() -> ApiKeyVerifier:
    """The process's verifier (its cache lives as long as the Lambda container)."""
    global _verifier  # noqa: PLW0603 - one cache per container
    if _verifier is None:
        _verifier = ApiKeyVerifier.from_environment()
    return _verifier


def authorize(
    event: Mapping[str, Any], key_verifier: ApiKeyVerifier, header_name: str, request_id: str | None = None
) -> dict[str, Any]:
    """The authorizer's answer for one REQUEST event (raises ``Exception("Unauthorized")`` for a missing key)."""
    presented = header_value(event.get("headers"), header_name)
    if not presented:
        raise Exception("Unauthorized")
    method_arn = str(event.get("methodArn") or "")
    if key_verifier.verify(presented):
        return _policy(PRINCIPAL, "Allow", method_arn, {"keySource": "secretsmanager"})
    source_ip = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    logger.warning(
        "API key rejected", extra={"source_ip": source_ip, "header": header_name, "function_request_id": request_id}
    )
    return _policy("anonymous", "Deny", method_arn, None)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # No Powertools inject_lambda_context: an accepted key writes no log line, and the decorator costs more than
    # the check itself (benchmarks/bridge.py); a rejection's line carries the request id.
    return authorize(
        event, verifier(), os.environ.get(ENV_HEADER, DEFAULT_HEADER), getattr(context, "aws_request_id", None)
    )


def _policy(principal: str, effect: str, method_arn: str, context: dict[str, str] | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
    }
    if context:
        answer["context"] = context
    return answer

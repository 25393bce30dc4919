"""The Lambda REQUEST authorizer of ``AdobeSmsBridge``: the API key header against a Secrets Manager secret.

API Gateway calls the authorizer with the request's headers (identity source: the key header, so API Gateway
itself answers 401 when the header is missing and caches the answer per key value for the authorizer TTL):

* no key → ``Unauthorized`` → **401**;
* a key that is neither the secret's current value nor, within the rotation grace period, its previous one →
  a Deny policy → **403**;
* a valid key → an Allow policy for the called method, principal ``adobe-journey-optimizer``;
* the secret cannot be read → the exception propagates → API Gateway answers 500 (a real fault; AJO retries).

The comparison and caching are :class:`~pinpoint_runtime.bridge.api_keys.ApiKeyVerifier`. The key never reaches a
log line: the event is not logged, and rejected keys are logged by source IP only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.bridge.api_keys import (
    DEFAULT_CACHE_TTL_SECONDS,
    DEFAULT_GRACE_PERIOD_SECONDS,
    DEFAULT_JSON_FIELD,
    ApiKeyVerifier,
)
from pinpoint_runtime.bridge.contract import header_value
from pinpoint_runtime.core.environment import FunctionSettings, variable

PRINCIPAL = "adobe-journey-optimizer"
DEFAULT_HEADER = "x-api-key"

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class AuthorizerSettings(FunctionSettings):
    """The authorizer function's settings (``AdobeSmsBridge`` writes them; the secret's ARN, never its value)."""

    construct: ClassVar[str] = "AdobeSmsBridge"
    secret_id: str = variable("API_KEY_SECRET_ID", doc="the API key secret's ARN")
    header: str = variable("API_KEY_HEADER", default=DEFAULT_HEADER, doc="the header carrying the API key")
    cache_ttl_seconds: float = variable(
        "API_KEY_CACHE_TTL_SECONDS", default=DEFAULT_CACHE_TTL_SECONDS, doc="how long the secret is cached"
    )
    grace_period_seconds: float = variable(
        "API_KEY_GRACE_PERIOD_SECONDS",
        default=DEFAULT_GRACE_PERIOD_SECONDS,
        doc="how long the previous key stays valid after a rotation",
    )
    json_field: str = variable(
        "API_KEY_JSON_FIELD",
        default=DEFAULT_JSON_FIELD,
        empty_is_unset=False,
        doc="the JSON member holding the key ('' = the whole secret string)",
    )

    def verifier(self, **kwargs: Any) -> ApiKeyVerifier:
        """The :class:`ApiKeyVerifier` of these settings (``kwargs``: client, clocks, refresh interval)."""
        return ApiKeyVerifier(
            self.secret_id,
            cache_ttl=self.cache_ttl_seconds,
            grace_period=self.grace_period_seconds,
            json_field=self.json_field,
            **kwargs,
        )


class ApiKeyAuthorizer:
    """Answers API Gateway's REQUEST authorizer events: ``verifier`` checks the key found in ``header_name``."""

    def __init__(self, verifier: ApiKeyVerifier, header_name: str = DEFAULT_HEADER, *, logger: Any = None) -> None:
        self.verifier = verifier
        self.header_name = header_name
        self._logger = logger or _LOGGER

    @classmethod
    def from_settings(cls, settings: AuthorizerSettings, *, logger: Any = None) -> ApiKeyAuthorizer:
        return cls(settings.verifier(), settings.header, logger=logger)

    def authorize(self, event: Mapping[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """The authorizer's answer for one REQUEST event (raises ``Exception("Unauthorized")`` for a missing key)."""
        presented = header_value(event.get("headers"), self.header_name)
        if not presented:
            raise Exception("Unauthorized")
        method_arn = str(event.get("methodArn") or "")
        if self.verifier.verify(presented):
            return policy(PRINCIPAL, "Allow", method_arn, {"keySource": "secretsmanager"})
        source_ip = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
        self._logger.warning(
            "API key rejected",
            extra={"source_ip": source_ip, "header": self.header_name, "function_request_id": request_id},
        )
        return policy("anonymous", "Deny", method_arn, None)


def policy(principal: str, effect: str, method_arn: str, context: dict[str, str] | None) -> dict[str, Any]:
    """An authorizer answer: ``effect`` (``Allow`` / ``Deny``) on ``execute-api:Invoke`` of ``method_arn``."""
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


__all__ = ["DEFAULT_HEADER", "PRINCIPAL", "ApiKeyAuthorizer", "AuthorizerSettings", "policy"]

"""API keys kept in AWS Secrets Manager, checked in constant time, cached briefly, rotated with a grace period.

The expected key is the secret's ``AWSCURRENT`` version: either the whole ``SecretString`` or, when that is a
JSON object, its ``json_field`` member (``"apiKey"`` by default). Rotation is Secrets Manager's own: putting a new
value (``aws secretsmanager put-secret-value``, or a rotation function) makes it ``AWSCURRENT`` and moves the old
value to ``AWSPREVIOUS``. The previous key stays valid for ``grace_period`` seconds after the current version was
created, so the caller (e.g. an Adobe Journey Optimizer custom action) can be switched to the new key without a
window of failures; after that only the current key is accepted.

* Keys are read at run time through ``GetSecretValue`` (never from environment variables) and cached for
  ``cache_ttl`` seconds. A presented key that matches nothing triggers one early re-read (at most once every
  ``min_refresh_interval`` seconds), so a freshly rotated key works at once while a stream of wrong keys cannot
  hammer Secrets Manager.
* Comparison: the presented key and every candidate are reduced to HMAC-SHA256 digests under a per-process random
  key, then compared with :func:`hmac.compare_digest`, always against every candidate: the time taken depends
  neither on how much of a key matches, nor on its length, nor on which candidate matched.
* Nothing here logs or returns key material; exceptions name the secret, never its value.

boto3 is imported only when a client has to be created.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.core.aws_clients import LazyClient, error_code

DEFAULT_CACHE_TTL_SECONDS = 60.0
DEFAULT_GRACE_PERIOD_SECONDS = 24 * 60 * 60.0
DEFAULT_MIN_REFRESH_INTERVAL_SECONDS = 5.0
DEFAULT_JSON_FIELD = "apiKey"
MAX_KEY_BYTES = 4096
"""Longer presented keys are rejected before hashing (Secrets Manager values are at most 64 KiB; keys far less)."""


class ApiKeySecretError(RuntimeError):
    """The secret could not be read or holds no usable key (a fault of the deployment, not of the caller)."""


@dataclass(frozen=True)
class _Candidate:
    digest: bytes
    valid_until: float | None  # wall-clock epoch seconds; None = no expiry (the current key)


class ApiKeyVerifier:
    """Verifies presented API keys against the secret ``secret_id`` (name or ARN); see the module docstring.

    ``client`` is a ``secretsmanager`` client (created on first use when omitted). ``clock`` is wall-clock time
    (compared with the versions' ``CreatedDate``), ``monotonic`` drives the cache.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        client: Any = None,
        cache_ttl: float = DEFAULT_CACHE_TTL_SECONDS,
        grace_period: float = DEFAULT_GRACE_PERIOD_SECONDS,
        json_field: str | None = DEFAULT_JSON_FIELD,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_id:
            raise ValueError("secret_id is required")
        if cache_ttl < 0 or grace_period < 0 or min_refresh_interval < 0:
            raise ValueError("cache_ttl, grace_period and min_refresh_interval must not be negative")
        self.secret_id = secret_id
        self.cache_ttl = cache_ttl
        self.grace_period = grace_period
        self.json_field = json_field or None
        self.min_refresh_interval = min_refresh_interval
        self._client = client
        self._clock = clock
        self._monotonic = monotonic
        self._mac_key = secrets.token_bytes(32)
        self._candidates: tuple[_Candidate, ...] = ()
        self._loaded_at = -float("inf")
        self._lock = threading.Lock()
        self.secret_reads = 0
        """How many times the secret was read (both versions count as one read); for tests and metrics."""

    client = LazyClient("secretsmanager")

    # ------------------------------------------------------------------------------------------- verify

    def verify(self, presented: str | bytes | None) -> bool:
        """Whether ``presented`` is the current key, or the previous one within the grace period."""
        if presented is None:
            return False
        raw = presented.encode("utf-8", "surrogatepass") if isinstance(presented, str) else bytes(presented)
        if not raw or len(raw) > MAX_KEY_BYTES:
            return False
        digest = self._digest(raw)
        if self._matches(digest, self._current_candidates()):
            return True
        with self._lock:
            stale = self._monotonic() - self._loaded_at >= self.min_refresh_interval
        if stale:  # perhaps the key was just rotated: read the secret once more before refusing
            return self._matches(digest, self._refresh())
        return False

    def _matches(self, digest: bytes, candidates: tuple[_Candidate, ...]) -> bool:
        now = self._clock()
        matched = False
        for candidate in candidates:  # no early exit: every candidate is compared
            equal = hmac.compare_digest(digest, candidate.digest)
            in_time = candidate.valid_until is None or now < candidate.valid_until
            matched |= equal and in_time
        return matched

    def _digest(self, raw: bytes) -> bytes:
        return hmac.new(self._mac_key, raw, hashlib.sha256).digest()

    # ------------------------------------------------------------------------------------------- cache

    def _current_candidates(self) -> tuple[_Candidate, ...]:
        with self._lock:
            fresh = self._monotonic() - self._loaded_at < self.cache_ttl
            candidates = self._candidates
        return candidates if fresh and candidates else self._refresh()

    def _refresh(self) -> tuple[_Candidate, ...]:
        current = self._read("AWSCURRENT")
        if current is None:
            raise ApiKeySecretError(f"secret {self.secret_id} has no AWSCURRENT version")
        key, created = current
        candidates = [_Candidate(self._digest(key), None)]
        previous = self._read("AWSPREVIOUS")
        if previous is not None and self.grace_period > 0:
            candidates.append(_Candidate(self._digest(previous[0]), created + self.grace_period))
        with self._lock:
            self._candidates = tuple(candidates)
            self._loaded_at = self._monotonic()
            self.secret_reads += 1
            return self._candidates

    def _read(self, stage: str) -> tuple[bytes, float] | None:
        """(key bytes, version creation time as epoch seconds) of one staging label, or ``None`` if absent."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            response = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ResourceNotFoundException" and stage != "AWSCURRENT":
                return None
            raise ApiKeySecretError(f"GetSecretValue({self.secret_id}, {stage}) failed: {code}") from None
        except BotoCoreError as error:
            raise ApiKeySecretError(
                f"GetSecretValue({self.secret_id}, {stage}) failed: {type(error).__name__}"
            ) from None
        created = response.get("CreatedDate")
        created_at = created.timestamp() if hasattr(created, "timestamp") else self._clock()
        return self._key_from(response.get("SecretString"), stage), created_at

    def _key_from(self, value: object, stage: str) -> bytes:
        if not isinstance(value, str) or not value:
            raise ApiKeySecretError(f"secret {self.secret_id} ({stage}) has no SecretString")
        key = value
        if self.json_field and value.lstrip().startswith("{"):
            try:
                document = json.loads(value)
            except ValueError:
                raise ApiKeySecretError(f"secret {self.secret_id} ({stage}) is not valid JSON") from None
            field = document.get(self.json_field) if isinstance(document, dict) else None
            if not isinstance(field, str) or not field:
                raise ApiKeySecretError(f"secret {self.secret_id} ({stage}) has no string member {self.json_field!r}")
            key = field
        return key.encode("utf-8")


__all__ = ["ApiKeySecretError", "ApiKeyVerifier"]

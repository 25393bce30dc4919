"""The ``EXTERNAL_TEMPLATES`` built-in hook of ``CampaignHookAttributes``: fetches a JSON template document
(``{"subject", "html", "body"}``, any subset) from S3 or an HTTPS source, per campaign/treatment and optionally per
endpoint locale, and puts each part as an attribute (``Attributes.subject == [subject]``), so messages reference
``{{Attributes.html}}``. Documents are cached per process for a TTL (missing ones too). A missing document fails
the hook (``on_missing="FAIL"``; the runner retries, then fails the batch: a campaign never goes out without its
template) or drops the endpoints that needed it (``"DROP"``)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError, number, with_attributes
from pinpoint_runtime.campaigns.payloads import endpoints_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code

TEMPLATE_PARTS = ("subject", "html", "body")
DEFAULT_TEMPLATE_KEY = "{CampaignId}/{TreatmentId}/{Locale}.json"
DEFAULT_LOCALE = "default"
DEFAULT_TEMPLATE_MAX_BYTES = 64 * 1024
"""50 endpoints x 64 KiB stays under Lambda's 6 MB synchronous response limit with room for the endpoints."""
ENV_TEMPLATE_BUCKET = "TEMPLATE_BUCKET"
ENV_TEMPLATE_BASE_URL = "TEMPLATE_BASE_URL"
_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class TemplateNotFound(LookupError):
    """No template document for a campaign/treatment/locale (and no default-locale fallback)."""


class TemplateSource(Protocol):
    """Where template documents come from: :meth:`fetch(key)` returns the bytes or ``None`` when absent;
    :meth:`describe` names the source for messages."""

    def fetch(self, key: str) -> bytes | None: ...

    def describe(self) -> str: ...


class S3TemplateSource(TemplateSource):
    def __init__(
        self, bucket: str, prefix: str = "", *, max_bytes: int = DEFAULT_TEMPLATE_MAX_BYTES, s3_client: Any = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.max_bytes = max_bytes
        self._client = s3_client

    def fetch(self, key: str) -> bytes | None:
        s3 = self._client or aws_client("s3")
        try:
            response = s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}{key}")
        except Exception as error:
            if error_code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        body = response["Body"]
        try:
            if int(response.get("ContentLength") or 0) > self.max_bytes:
                raise ValueError(f"template {key!r} is larger than {self.max_bytes} bytes")
            data = body.read(self.max_bytes + 1)
        finally:
            body.close()
        if len(data) > self.max_bytes:
            raise ValueError(f"template {key!r} is larger than {self.max_bytes} bytes")
        return data

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


class HttpsTemplateSource(TemplateSource):
    """``base_url`` + key over HTTPS (GET, timeouts, at most 3 HTTPS-only redirects); 404/410 mean absent."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        max_bytes: int = DEFAULT_TEMPLATE_MAX_BYTES,
        http_client: Any = None,
    ) -> None:
        from pinpoint_runtime.core.https_client import HttpsClient, require_https  # noqa: PLC0415

        require_https(base_url)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._http = http_client or HttpsClient(timeout=timeout, max_body_bytes=max_bytes)

    def fetch(self, key: str) -> bytes | None:
        import urllib.parse  # noqa: PLC0415

        response = self._http.get(self.base_url + urllib.parse.quote(key, safe="/"))
        if response.status in (404, 410):
            return None
        if not response.ok:
            raise RuntimeError(f"the template source answered HTTP {response.status} for {key!r}")
        return response.body

    def describe(self) -> str:
        from pinpoint_runtime.core.https_client import host_of  # noqa: PLC0415

        return f"https://{host_of(self.base_url)}"


class TemplateCache:
    """Per-process cache of parsed documents (``None`` for absent ones) with a TTL. Thread-safe."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, dict[str, str] | None]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, load: Callable[[], dict[str, str] | None]) -> dict[str, str] | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self.hits += 1
                return entry[1]
        value = load()  # outside the lock: a slow fetch does not block other keys
        with self._lock:
            self.misses += 1
            self._entries[key] = (now + self.ttl_seconds, value)
        return value


def parse_template_document(data: bytes, key: str) -> dict[str, str]:
    try:
        document = json.loads(data)
    except ValueError:
        raise ValueError(f"template {key!r} is not JSON") from None
    if not isinstance(document, Mapping):
        raise ValueError(f"template {key!r} must be a JSON object with subject/html/body")
    parts = {name: document[name] for name in TEMPLATE_PARTS if name in document}
    if not parts or not all(isinstance(v, str) for v in parts.values()):
        raise ValueError(f"template {key!r} needs at least one of subject/html/body, each a string")
    return parts


def template_key(pattern: str, event: Mapping[str, Any], locale: str) -> str:
    values = {
        "ApplicationId": str(event.get("ApplicationId") or ""),
        "CampaignId": str(event.get("CampaignId") or event.get("JourneyId") or ""),
        "TreatmentId": str(event.get("TreatmentId") or "0"),
        "ActivityId": str(event.get("ActivityId") or ""),
        "Locale": locale,
    }
    for name in ("ApplicationId", "CampaignId", "TreatmentId", "ActivityId"):
        if "/" in values[name] or ".." in values[name]:
            raise ValueError(f"{name} may not contain '/' or '..'")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)


def validate_template_key(pattern: str) -> None:
    unknown = set(_PLACEHOLDER.findall(pattern)) - {
        "ApplicationId",
        "CampaignId",
        "TreatmentId",
        "ActivityId",
        "Locale",
    }
    if unknown:
        raise HookConfigurationError(f"unknown template key placeholders: {sorted(unknown)}")


def locale_of(endpoint: Mapping[str, Any]) -> str:
    demographic = endpoint.get("Demographic")
    locale = demographic.get("Locale") if isinstance(demographic, Mapping) else None
    return locale if isinstance(locale, str) and _LOCALE.match(locale) else DEFAULT_LOCALE


class ExternalTemplates:
    """Puts the template document's parts as ``Attributes`` (see the module docstring).

    ``key_pattern`` placeholders: ``{ApplicationId}``, ``{CampaignId}``, ``{TreatmentId}``, ``{ActivityId}``,
    ``{Locale}`` (the endpoint's ``Demographic.Locale``, or ``default``; a locale without a document falls back to
    ``default``).
    """

    def __init__(
        self,
        source: TemplateSource,
        *,
        key_pattern: str = DEFAULT_TEMPLATE_KEY,
        cache: TemplateCache | None = None,
        on_missing: str = "FAIL",
    ) -> None:
        validate_template_key(key_pattern)
        if on_missing not in ("FAIL", "DROP"):
            raise HookConfigurationError("on_missing must be FAIL or DROP")
        self.source = source
        self.key_pattern = key_pattern
        self.cache = cache or TemplateCache(300.0)
        self.on_missing = on_missing

    def document(self, key: str) -> dict[str, str] | None:
        def load() -> dict[str, str] | None:
            data = self.source.fetch(key)
            return None if data is None else parse_template_document(data, key)

        return self.cache.get(key, load)

    def resolve(self, event: Mapping[str, Any], locale: str) -> dict[str, str] | None:
        document = self.document(template_key(self.key_pattern, event, locale))
        if document is None and locale != DEFAULT_LOCALE and "{Locale}" in self.key_pattern:
            document = self.document(template_key(self.key_pattern, event, DEFAULT_LOCALE))
        return document

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for endpoint_id, endpoint in endpoints_of(event).items():
            locale = locale_of(endpoint) if "{Locale}" in self.key_pattern else DEFAULT_LOCALE
            document = self.resolve(event, locale)
            if document is None:
                if self.on_missing == "DROP":
                    continue
                raise TemplateNotFound(
                    f"no template {template_key(self.key_pattern, event, locale)!r} in {self.source.describe()}"
                )
            out[endpoint_id] = with_attributes(endpoint, {name: [text] for name, text in document.items()})
        return out


def external_templates_from_environment(environ: Mapping[str, str]) -> ExternalTemplates:
    """``TEMPLATE_BUCKET`` + ``TEMPLATE_PREFIX``, or ``TEMPLATE_BASE_URL`` (https); ``TEMPLATE_KEY_PATTERN``,
    ``TEMPLATE_CACHE_TTL_SECONDS`` (300), ``TEMPLATE_MAX_BYTES`` (65536), ``TEMPLATE_ON_MISSING`` (FAIL/DROP),
    ``TEMPLATE_HTTP_TIMEOUT_SECONDS`` (3)."""
    max_bytes = int(number(environ, "TEMPLATE_MAX_BYTES", str(DEFAULT_TEMPLATE_MAX_BYTES)))
    bucket, base_url = environ.get(ENV_TEMPLATE_BUCKET), environ.get(ENV_TEMPLATE_BASE_URL)
    if bool(bucket) == bool(base_url):
        raise HookConfigurationError(f"set exactly one of {ENV_TEMPLATE_BUCKET} or {ENV_TEMPLATE_BASE_URL}")
    source: TemplateSource
    if bucket:
        source = S3TemplateSource(bucket, environ.get("TEMPLATE_PREFIX", ""), max_bytes=max_bytes)
    else:
        source = HttpsTemplateSource(
            str(base_url), timeout=number(environ, "TEMPLATE_HTTP_TIMEOUT_SECONDS", "3"), max_bytes=max_bytes
        )
    return ExternalTemplates(
        source,
        key_pattern=environ.get("TEMPLATE_KEY_PATTERN") or DEFAULT_TEMPLATE_KEY,
        cache=TemplateCache(number(environ, "TEMPLATE_CACHE_TTL_SECONDS", "300")),
        on_missing=environ.get("TEMPLATE_ON_MISSING") or "FAIL",
    )


__all__ = [
    "DEFAULT_TEMPLATE_KEY",
    "ExternalTemplates",
    "HttpsTemplateSource",
    "S3TemplateSource",
    "TemplateCache",
    "TemplateNotFound",
    "TemplateSource",
    "external_templates_from_environment",
    "locale_of",
    "parse_template_document",
    "template_key",
    "validate_template_key",
]

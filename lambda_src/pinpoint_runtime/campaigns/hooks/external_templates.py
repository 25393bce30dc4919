"""The ``EXTERNAL_TEMPLATES`` built-in hook of ``CampaignHookAttributes``: fetches a JSON template document
(``{"subject", "html", "body"}``, any subset) from S3 or an HTTPS source, per campaign/treatment and optionally per
endpoint locale, and puts each part as an attribute (``Attributes.subject == [subject]``), so messages reference
``{{Attributes.html}}``. Documents are cached per process for a TTL (missing ones too). A missing document fails
the hook (``on_missing="FAIL"``; the runner retries, then fails the batch: a campaign never goes out without its
template) or drops the endpoints that needed it (``"DROP"``)."""

from __future__ import annotations

import enum
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError, with_attributes
from pinpoint_runtime.campaigns.payloads import endpoints_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.environment import FunctionSettings, variable

TEMPLATE_PARTS = ("subject", "html", "body")
DEFAULT_TEMPLATE_KEY = "{CampaignId}/{TreatmentId}/{Locale}.json"
DEFAULT_LOCALE = "default"
DEFAULT_TEMPLATE_MAX_BYTES = 64 * 1024
"""50 endpoints x 64 KiB stays under Lambda's 6 MB synchronous response limit with room for the endpoints."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class TemplateNotFound(LookupError):
    """No template document for a campaign/treatment/locale (and no default-locale fallback)."""


class OnMissingTemplate(enum.StrEnum):
    """What the hook does when an endpoint's template document does not exist."""

    FAIL = "FAIL"
    """The hook fails (the runner retries, then fails the batch)."""
    DROP = "DROP"
    """The endpoints that needed the document are filtered out."""


@dataclass(frozen=True, kw_only=True)
class ExternalTemplatesSettings(FunctionSettings):
    """What the ``EXTERNAL_TEMPLATES`` hook function reads (``CampaignHookAttributes`` writes it): exactly one of
    ``bucket`` (with ``prefix``) and ``base_url``."""

    construct: ClassVar[str] = "CampaignHookAttributes"
    key_pattern: str = variable("TEMPLATE_KEY_PATTERN", default=DEFAULT_TEMPLATE_KEY, doc="the document key")
    cache_ttl_seconds: float = variable(
        "TEMPLATE_CACHE_TTL_SECONDS", default=300.0, doc="how long a document (or its absence) is cached"
    )
    max_bytes: int = variable(
        "TEMPLATE_MAX_BYTES", default=DEFAULT_TEMPLATE_MAX_BYTES, doc="the largest document accepted"
    )
    on_missing: OnMissingTemplate = variable(
        "TEMPLATE_ON_MISSING", default=OnMissingTemplate.FAIL, doc="what a missing document does"
    )
    http_timeout_seconds: float = variable(
        "TEMPLATE_HTTP_TIMEOUT_SECONDS", default=3.0, doc="per HTTPS request (``base_url``)"
    )
    bucket: str | None = variable("TEMPLATE_BUCKET", default=None, doc="the S3 bucket of the documents")
    prefix: str | None = variable(
        "TEMPLATE_PREFIX", default=None, empty_is_unset=False, doc="the documents' key prefix in ``bucket``"
    )
    base_url: str | None = variable("TEMPLATE_BASE_URL", default=None, doc="the ``https://`` source of the documents")

    def source(self) -> TemplateSource:
        """The configured source (:class:`HookConfigurationError` unless exactly one is)."""
        if bool(self.bucket) == bool(self.base_url):
            raise HookConfigurationError("set exactly one of TEMPLATE_BUCKET or TEMPLATE_BASE_URL")
        if self.bucket:
            return S3TemplateSource(self.bucket, self.prefix or "", max_bytes=self.max_bytes)
        return HttpsTemplateSource(str(self.base_url), timeout=self.http_timeout_seconds, max_bytes=self.max_bytes)


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
        on_missing: OnMissingTemplate | str = OnMissingTemplate.FAIL,
    ) -> None:
        validate_template_key(key_pattern)
        try:
            self.on_missing = OnMissingTemplate(on_missing)
        except ValueError:
            raise HookConfigurationError("on_missing must be FAIL or DROP") from None
        self.source = source
        self.key_pattern = key_pattern
        self.cache = cache or TemplateCache(300.0)

    @classmethod
    def from_settings(cls, settings: ExternalTemplatesSettings) -> ExternalTemplates:
        return cls(
            settings.source(),
            key_pattern=settings.key_pattern,
            cache=TemplateCache(settings.cache_ttl_seconds),
            on_missing=settings.on_missing,
        )

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
                if self.on_missing == OnMissingTemplate.DROP:
                    continue
                raise TemplateNotFound(
                    f"no template {template_key(self.key_pattern, event, locale)!r} in {self.source.describe()}"
                )
            out[endpoint_id] = with_attributes(endpoint, {name: [text] for name, text in document.items()})
        return out


__all__ = [
    "DEFAULT_TEMPLATE_KEY",
    "ExternalTemplates",
    "ExternalTemplatesSettings",
    "HttpsTemplateSource",
    "OnMissingTemplate",
    "S3TemplateSource",
    "TemplateCache",
    "TemplateNotFound",
    "TemplateSource",
    "locale_of",
    "parse_template_document",
    "template_key",
    "validate_template_key",
]

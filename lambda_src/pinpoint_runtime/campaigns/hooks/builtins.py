"""The built-in campaign hooks (Pinpoint FILTER mode) of ``CampaignHookAttributes``.

Each hook takes the Pinpoint FILTER payload (:func:`pinpoint_runtime.campaigns.payloads.hook_event`) and answers the
map endpoint id -> endpoint that replaces the batch (:func:`~pinpoint_runtime.campaigns.payloads.parse_hook_response`
is what the runner applies to it). All three are tolerant of endpoints without ``Attributes``, ``User`` or
``Demographic`` (the reference's hooks raised ``KeyError`` there) and of a payload without ``Endpoints``.

* :class:`AttributeLookup`: one DynamoDB ``BatchGetItem`` for the batch, keyed by endpoint id or ``User.UserId``;
  the item's values are added under ``Attributes`` as Pinpoint string lists (``"gold"`` -> ``["gold"]``,
  ``5`` -> ``["5"]``, ``["a", "b"]`` stays a list, a map becomes its JSON). Endpoints without an item (or without
  a user id, when keyed by user) pass unchanged, or are dropped with ``drop_missing``.
* :class:`ExternalTemplates`: fetches a JSON template document (``{"subject", "html", "body"}``, any subset) from
  S3 or an HTTPS source, per campaign/treatment and optionally per endpoint locale, and puts each part as an
  attribute (``Attributes.subject == [subject]``), so messages reference ``{{Attributes.html}}``. Documents are
  cached per process for a TTL (missing ones too). A missing document fails the hook (``on_missing="FAIL"``; the
  runner retries, then fails the batch: a campaign never goes out without its template) or drops the endpoints
  that needed it (``"DROP"``).
* :class:`FrequencyCap`: see its docstring.

The hooks raise on infrastructure errors (DynamoDB, S3 or HTTPS failures): Pinpoint failed a delivery whose hook
failed, and the runner retries the hook (at most 3 attempts within its 15 s budget) instead of sending
un-augmented or uncapped messages.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from pinpoint_runtime.campaigns.payloads import endpoints_of, user_id_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.dynamodb_items import from_item
from pinpoint_runtime.core.process_state import EnvironmentBuiltEntryPoint
from pinpoint_runtime.core.retries import full_jitter_backoff

KEY_ENDPOINT_ID = "ENDPOINT_ID"
KEY_USER_ID = "USER_ID"
KEY_TYPES = (KEY_ENDPOINT_ID, KEY_USER_ID)
TEMPLATE_PARTS = ("subject", "html", "body")
DEFAULT_TEMPLATE_KEY = "{CampaignId}/{TreatmentId}/{Locale}.json"
DEFAULT_LOCALE = "default"
DEFAULT_TEMPLATE_MAX_BYTES = 64 * 1024
"""50 endpoints x 64 KiB stays under Lambda's 6 MB synchronous response limit with room for the endpoints."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class HookConfigurationError(ValueError):
    """The hook's settings (environment) are invalid."""


class TemplateNotFound(LookupError):
    """No template document for a campaign/treatment/locale (and no default-locale fallback)."""


def subject_id(endpoint_id: str, endpoint: Mapping[str, Any], key_type: str) -> str | None:
    """The id a table is keyed by: the endpoint id, or ``User.UserId`` (``None`` when the endpoint has none)."""
    return endpoint_id if key_type == KEY_ENDPOINT_ID else user_id_of(endpoint)


def to_attribute_values(value: Any) -> list[str]:
    """A DynamoDB/JSON value as a Pinpoint attribute value (a list of strings)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return [_scalar(item) for item in items]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def _with_attributes(endpoint: Mapping[str, Any], values: Mapping[str, list[str]]) -> dict[str, Any]:
    out = dict(endpoint)
    attributes = out.get("Attributes")
    merged = dict(attributes) if isinstance(attributes, Mapping) else {}
    merged.update(values)
    out["Attributes"] = merged
    return out


# ----------------------------------------------------------------------------------------------- attribute lookup
class AttributeLookup:
    """Adds a DynamoDB item's values to each endpoint's ``Attributes`` (see the module docstring).

    ``partition_key``: the table's partition key attribute (string ids). ``attribute_names``: only these item
    attributes (default: all but the key). ``max_attempts`` bounds the retries of unprocessed keys.
    """

    def __init__(
        self,
        table_name: str,
        *,
        key_type: str = KEY_ENDPOINT_ID,
        partition_key: str = "id",
        attribute_names: list[str] | None = None,
        drop_missing: bool = False,
        max_attempts: int = 4,
        dynamodb_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if key_type not in KEY_TYPES:
            raise HookConfigurationError(f"key_type must be one of {KEY_TYPES}")
        self.table_name = table_name
        self.key_type = key_type
        self.partition_key = partition_key
        self.attribute_names = list(attribute_names) if attribute_names else None
        self.drop_missing = drop_missing
        self.max_attempts = max_attempts
        self._client = dynamodb_client
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def fetch(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        """Items by id (ids without an item are absent); unprocessed keys retried with full-jitter backoff."""
        found: dict[str, dict[str, Any]] = {}
        pending = [{self.partition_key: {"S": i}} for i in sorted(ids)]
        attempt = 0
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {"Keys": chunk, "ConsistentRead": False}
            if self.attribute_names:
                names = {f"#a{i}": n for i, n in enumerate([self.partition_key, *self.attribute_names])}
                request["ProjectionExpression"] = ", ".join(names)
                request["ExpressionAttributeNames"] = names
            response = self.client.batch_get_item(RequestItems={self.table_name: request})
            for item in response.get("Responses", {}).get(self.table_name, []):
                plain = from_item(item)
                found[str(plain.pop(self.partition_key))] = plain
            unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
            if unprocessed:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise RuntimeError(f"DynamoDB left {len(unprocessed)} keys unprocessed after {attempt} attempts")
                self._sleep(full_jitter_backoff(attempt, base=0.05, cap=1.0))
                pending = unprocessed + pending
        return found

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        endpoints = endpoints_of(event)
        ids = {i for i in (subject_id(eid, ep, self.key_type) for eid, ep in endpoints.items()) if i}
        items = self.fetch(ids) if ids else {}
        out: dict[str, dict[str, Any]] = {}
        for endpoint_id, endpoint in endpoints.items():
            key = subject_id(endpoint_id, endpoint, self.key_type)
            item = items.get(key) if key else None
            if item is None:
                if not self.drop_missing:
                    out[endpoint_id] = endpoint
                continue
            out[endpoint_id] = _with_attributes(endpoint, {k: to_attribute_values(v) for k, v in item.items()})
        return out


# ----------------------------------------------------------------------------------------------- external templates
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
            out[endpoint_id] = _with_attributes(endpoint, {name: [text] for name, text in document.items()})
        return out


# ----------------------------------------------------------------------------------------------- frequency cap
class FrequencyCap:
    """Drops endpoints that were let through ``max_messages`` times within the trailing ``window_seconds``.

    Semantics (this is a *hook-side* cap, so it counts what the hook lets through, not what was delivered):

    * The counter table holds one item per subject (endpoint id or ``User.UserId``, ``key_type``) with a map
      ``sends`` of send key -> epoch seconds, where the send key is ``campaign#treatment#endpoint``. Entries older
      than the window are pruned on every write and the item expires (TTL attribute ``expires_at``) one window
      after its last admission.
    * An endpoint is let through when the subject has fewer than ``max_messages`` sends in the window, and the
      admission is recorded by this hook **when it lets the endpoint through** (conditional write with a version
      number, so concurrent batches cannot both take the last slot). At most ``max_messages`` admissions per
      subject per window, hence at most that many messages.
    * A retried batch is not counted twice: the send key of an endpoint already admitted for this
      campaign/treatment lets it through again without a new count.
    * An admission counts even if the message later fails to render or deliver (conservative: the cap is never
      exceeded, a subject may occasionally get fewer messages than the cap).
    * Keyed by user id, every endpoint of the user counts (an SMS and an email of one campaign are two messages);
      endpoints without ``User.UserId`` are capped by endpoint id.
    * When the write keeps conflicting (``max_attempts``), the endpoint is dropped: the cap is a promise.
    """

    def __init__(
        self,
        table_name: str,
        *,
        max_messages: int,
        window_seconds: float,
        key_type: str = KEY_ENDPOINT_ID,
        partition_key: str = "id",
        max_attempts: int = 3,
        dynamodb_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key_type not in KEY_TYPES:
            raise HookConfigurationError(f"key_type must be one of {KEY_TYPES}")
        if max_messages < 1 or window_seconds <= 0:
            raise HookConfigurationError("max_messages must be >= 1 and window_seconds > 0")
        self.table_name = table_name
        self.max_messages = int(max_messages)
        self.window_seconds = float(window_seconds)
        self.key_type = key_type
        self.partition_key = partition_key
        self.max_attempts = max_attempts
        self._client = dynamodb_client
        self._clock = clock
        self.dropped_on_conflict = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def _subject(self, endpoint_id: str, endpoint: Mapping[str, Any]) -> str:
        if self.key_type == KEY_USER_ID:
            user_id = user_id_of(endpoint)
            if user_id:
                return f"user#{user_id}"
        return f"endpoint#{endpoint_id}"

    def _read(self, subject: str) -> tuple[int, dict[str, float]]:
        item = self.client.get_item(
            TableName=self.table_name, Key={self.partition_key: {"S": subject}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return 0, {}
        version = int(item.get("version", {}).get("N", "0"))
        sends = {k: float(v["N"]) for k, v in item.get("sends", {}).get("M", {}).items() if "N" in v}
        return version, sends

    def admit(self, subject: str, send_key: str) -> bool:
        """True when this send may go out (and is now recorded)."""
        for _ in range(self.max_attempts):
            now = self._clock()
            version, sends = self._read(subject)
            if send_key in sends and sends[send_key] > now - self.window_seconds:
                return True  # the same send, retried
            live = {k: t for k, t in sends.items() if t > now - self.window_seconds}
            if len(live) >= self.max_messages:
                return False
            stale = sorted(set(sends) - set(live) - {send_key})  # a path may not be both SET and REMOVEd
            names = {"#sends": "sends", "#k": send_key, "#v": "version", "#x": "expires_at"}
            remove = []
            for i, old in enumerate(stale):
                names[f"#o{i}"] = old
                remove.append(f"#sends.#o{i}")
            values: dict[str, Any] = {
                ":now": {"N": repr(now)},
                ":next": {"N": str(version + 1)},
                ":expires": {"N": str(int(now + self.window_seconds) + 1)},
            }
            if version:
                condition = "#v = :version"
                values[":version"] = {"N": str(version)}
                update = "SET #sends.#k = :now, #v = :next, #x = :expires"
            else:
                condition = "attribute_not_exists(#v)"
                values[":first"] = {"M": {send_key: {"N": repr(now)}}}
                update = "SET #sends = :first, #v = :next, #x = :expires"
                names.pop("#k")
                values.pop(":now")  # DynamoDB rejects unused values
            if remove:
                update += " REMOVE " + ", ".join(remove)
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={self.partition_key: {"S": subject}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
                return True
            except Exception as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
        self.dropped_on_conflict += 1
        return False

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        campaign = str(event.get("CampaignId") or event.get("JourneyId") or "")
        treatment = str(event.get("TreatmentId") or "0")
        out: dict[str, dict[str, Any]] = {}
        for endpoint_id, endpoint in endpoints_of(event).items():
            if self.admit(self._subject(endpoint_id, endpoint), f"{campaign}#{treatment}#{endpoint_id}"):
                out[endpoint_id] = endpoint
        return out


# ----------------------------------------------------------------------------------------------- configuration
ENV_LOOKUP_TABLE = "LOOKUP_TABLE_NAME"
ENV_TEMPLATE_BUCKET = "TEMPLATE_BUCKET"
ENV_TEMPLATE_BASE_URL = "TEMPLATE_BASE_URL"
ENV_CAP_TABLE = "CAP_TABLE_NAME"


def _env(environ: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = environ.get(name, default)
    if value is None or value == "":
        raise HookConfigurationError(f"{name} is not set")
    return value


def _number(environ: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(environ.get(name) or default)
    except ValueError:
        raise HookConfigurationError(f"{name} must be a number") from None


def attribute_lookup_from_environment(environ: Mapping[str, str]) -> AttributeLookup:
    """``LOOKUP_TABLE_NAME``, ``LOOKUP_KEY_TYPE`` (ENDPOINT_ID/USER_ID), ``LOOKUP_PARTITION_KEY`` (``id``),
    ``LOOKUP_ATTRIBUTE_NAMES`` (comma-separated; empty = all), ``LOOKUP_DROP_MISSING`` (``true``/``false``)."""
    names = [n.strip() for n in environ.get("LOOKUP_ATTRIBUTE_NAMES", "").split(",") if n.strip()]
    return AttributeLookup(
        _env(environ, ENV_LOOKUP_TABLE),
        key_type=environ.get("LOOKUP_KEY_TYPE") or KEY_ENDPOINT_ID,
        partition_key=environ.get("LOOKUP_PARTITION_KEY") or "id",
        attribute_names=names or None,
        drop_missing=(environ.get("LOOKUP_DROP_MISSING") or "false").lower() == "true",
    )


def external_templates_from_environment(environ: Mapping[str, str]) -> ExternalTemplates:
    """``TEMPLATE_BUCKET`` + ``TEMPLATE_PREFIX``, or ``TEMPLATE_BASE_URL`` (https); ``TEMPLATE_KEY_PATTERN``,
    ``TEMPLATE_CACHE_TTL_SECONDS`` (300), ``TEMPLATE_MAX_BYTES`` (65536), ``TEMPLATE_ON_MISSING`` (FAIL/DROP),
    ``TEMPLATE_HTTP_TIMEOUT_SECONDS`` (3)."""
    max_bytes = int(_number(environ, "TEMPLATE_MAX_BYTES", str(DEFAULT_TEMPLATE_MAX_BYTES)))
    bucket, base_url = environ.get(ENV_TEMPLATE_BUCKET), environ.get(ENV_TEMPLATE_BASE_URL)
    if bool(bucket) == bool(base_url):
        raise HookConfigurationError(f"set exactly one of {ENV_TEMPLATE_BUCKET} or {ENV_TEMPLATE_BASE_URL}")
    source: TemplateSource
    if bucket:
        source = S3TemplateSource(bucket, environ.get("TEMPLATE_PREFIX", ""), max_bytes=max_bytes)
    else:
        source = HttpsTemplateSource(
            str(base_url), timeout=_number(environ, "TEMPLATE_HTTP_TIMEOUT_SECONDS", "3"), max_bytes=max_bytes
        )
    return ExternalTemplates(
        source,
        key_pattern=environ.get("TEMPLATE_KEY_PATTERN") or DEFAULT_TEMPLATE_KEY,
        cache=TemplateCache(_number(environ, "TEMPLATE_CACHE_TTL_SECONDS", "300")),
        on_missing=environ.get("TEMPLATE_ON_MISSING") or "FAIL",
    )


def frequency_cap_from_environment(environ: Mapping[str, str]) -> FrequencyCap:
    """``CAP_TABLE_NAME``, ``CAP_MAX_MESSAGES``, ``CAP_WINDOW_SECONDS``, ``CAP_KEY_TYPE`` (ENDPOINT_ID/USER_ID),
    ``CAP_PARTITION_KEY`` (``id``)."""
    return FrequencyCap(
        _env(environ, ENV_CAP_TABLE),
        max_messages=int(_number(environ, "CAP_MAX_MESSAGES", "0")),
        window_seconds=_number(environ, "CAP_WINDOW_SECONDS", "0"),
        key_type=environ.get("CAP_KEY_TYPE") or KEY_ENDPOINT_ID,
        partition_key=environ.get("CAP_PARTITION_KEY") or "id",
    )


class HookEntryPoint(EnvironmentBuiltEntryPoint):
    """What a built-in campaign hook's Lambda handler does: build the hook from the environment once per process
    (``current``; ``reset`` for tests that change the environment; its caches live across warm invocations), apply
    it to the FILTER payload (the answer replaces the batch), and log counts only (no addresses, attributes or
    template text) through ``logger`` (the function's Powertools Logger)."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        payload = event if isinstance(event, dict) else {}
        received = len(payload.get("Endpoints") or {})
        result = self.current().apply(payload)
        self.logger.info(
            "Campaign hook done",
            extra={"campaign_id": payload.get("CampaignId"), "endpoints_in": received, "endpoints_out": len(result)},
        )
        return result


__all__ = [
    "DEFAULT_TEMPLATE_KEY",
    "KEY_ENDPOINT_ID",
    "KEY_TYPES",
    "KEY_USER_ID",
    "AttributeLookup",
    "ExternalTemplates",
    "FrequencyCap",
    "HookConfigurationError",
    "HookEntryPoint",
    "HttpsTemplateSource",
    "S3TemplateSource",
    "TemplateCache",
    "TemplateNotFound",
    "attribute_lookup_from_environment",
    "external_templates_from_environment",
    "frequency_cap_from_environment",
    "locale_of",
    "parse_template_document",
    "template_key",
    "to_attribute_values",
]

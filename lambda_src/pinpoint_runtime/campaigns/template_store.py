"""Campaign message templates by reference: Pinpoint's ``TemplateConfiguration`` resolved from S3.

Template references (Pinpoint's ``TemplateConfiguration``: ``{"SMSTemplate": {"Name", "Version"?},
"EmailTemplate": {...}}``) are resolved by :func:`load_template` from S3 objects ``s3://<bucket>/<prefix><Name>.json``
in the shape of Pinpoint's ``GetSmsTemplate`` / ``GetEmailTemplate`` responses (the ``SMSTemplateResponse`` /
``EmailTemplateResponse`` object, wrapped or not), cached per process; :meth:`MessageRenderer.from_templates`
(:mod:`~pinpoint_runtime.campaigns.templates`) builds a renderer from them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.payloads import Channel
from pinpoint_runtime.campaigns.template_engine import MAX_TEMPLATE_CHARACTERS, TemplateError
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.environment import FunctionSettings, SettingsError, variable


@dataclass(frozen=True, kw_only=True)
class TemplateSettings(FunctionSettings):
    """Where the page sender reads templates (the ``CampaignRunner`` construct's ``template_bucket`` and
    ``template_prefix``)."""

    construct: ClassVar[str] = "CampaignRunner"
    bucket: str = variable("CAMPAIGN_TEMPLATE_BUCKET", doc="bucket of the template objects")
    prefix: str = variable(
        "CAMPAIGN_TEMPLATE_PREFIX",
        default="",
        empty_is_unset=False,
        doc="key prefix of the template objects, e.g. ``templates/``",
    )


_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_TEMPLATE_CACHE: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
_TEMPLATE_LOCK = threading.Lock()
_RESPONSE_KEYS: dict[str, str] = {Channel.SMS: "SMSTemplateResponse", Channel.EMAIL: "EmailTemplateResponse"}
_TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    Channel.SMS: ("Body", "DefaultSubstitutions"),
    Channel.EMAIL: ("Subject", "HtmlPart", "TextPart", "DefaultSubstitutions"),
}


def load_template(
    channel: str,
    reference: Mapping[str, Any],
    *,
    bucket: str | None = None,
    prefix: str | None = None,
    client: Any = None,
    cache: bool = True,
    read: Callable[[str, str], bytes] | None = None,
) -> dict[str, Any]:
    """Resolve a Pinpoint template reference (``{"Name": ..., "Version"?: ...}``) of ``channel`` (``"SMS"`` or
    ``"EMAIL"``) to the template response object: SMS ``{"Body", "DefaultSubstitutions"?, "TemplateName",
    "Version"?...}``, email ``{"Subject", "HtmlPart"?, "TextPart"?, "DefaultSubstitutions"?...}``.

    Reads ``s3://<bucket>/<prefix><Name>.json`` (``bucket``/``prefix`` default to the function's
    :class:`TemplateSettings`, ``CAMPAIGN_TEMPLATE_BUCKET`` / ``CAMPAIGN_TEMPLATE_PREFIX``) whose JSON is the
    ``GetSmsTemplate``/``GetEmailTemplate`` response
    (``{"SMSTemplateResponse": {...}}``) or the inner object. A ``Version`` in the reference must equal the object's
    ``Version`` (a template store that keeps versions writes the object of the version a campaign needs).
    Results are cached per process (per bucket, key and version) unless ``cache=False``. ``read(bucket, key)`` may
    replace the S3 read. Raises :class:`TemplateError`.
    """
    if channel not in _RESPONSE_KEYS:
        raise TemplateError(f"templates exist for SMS and EMAIL, not {str(channel)[:20]!r}")
    if not isinstance(reference, Mapping):
        raise TemplateError(f"the {channel} template reference must be an object with a Name")
    name = casefold_get(reference, "Name")
    version = casefold_get(reference, "Version")
    if not isinstance(name, str) or not _TEMPLATE_NAME.fullmatch(name):
        raise TemplateError("a template Name is 1-128 letters, digits, '_' or '-'")
    version = None if version in (None, "") else str(version)
    if not bucket or prefix is None:
        settings = _settings_from_environment()
        bucket = bucket or (settings.bucket if settings else None)
        prefix = prefix if prefix is not None else (settings.prefix if settings else "")
    if not bucket:
        raise TemplateError(f"template {name} referenced but no template bucket (set CAMPAIGN_TEMPLATE_BUCKET)")
    key = f"{prefix}{name}.json"
    cache_key = (channel, bucket, key, version)
    if cache:
        with _TEMPLATE_LOCK:
            cached = _TEMPLATE_CACHE.get(cache_key)
        if cached is not None:
            return dict(cached)
    raw = (read or (lambda b, k: _s3_read(b, k, client)))(bucket, key)
    try:
        document = json.loads(raw)
    except ValueError:
        raise TemplateError(f"template object {key} is not JSON") from None
    template = _template_object(channel, document, key)
    found_version = template.get("Version")
    if version is not None and str(found_version) != version:
        raise TemplateError(f"template {name} is at version {found_version!r}, not the referenced {version!r}")
    if cache:
        with _TEMPLATE_LOCK:
            _TEMPLATE_CACHE[cache_key] = dict(template)
    return template


def _settings_from_environment() -> TemplateSettings | None:
    """The function's :class:`TemplateSettings`; ``None`` when no template bucket is set."""
    try:
        return TemplateSettings.from_environment_if_set()
    except SettingsError:  # a prefix without a bucket: no template store, as before the settings contract
        return None


def clear_template_cache() -> None:
    """Forget every cached template (tests, or a long-lived process after templates changed)."""
    with _TEMPLATE_LOCK:
        _TEMPLATE_CACHE.clear()


def _template_object(channel: str, document: Any, key: str) -> dict[str, Any]:
    if isinstance(document, Mapping) and isinstance(document.get(_RESPONSE_KEYS[channel]), Mapping):
        document = document[_RESPONSE_KEYS[channel]]
    if not isinstance(document, Mapping):
        raise TemplateError(f"template object {key} is not a {_RESPONSE_KEYS[channel]} object")
    template = dict(document)
    for field in _TEMPLATE_FIELDS[channel]:
        if template.get(field) is not None and not isinstance(template[field], str):
            raise TemplateError(f"template object {key}: {field} must be a string")
    if channel == Channel.SMS and not template.get("Body"):
        raise TemplateError(f"template object {key} has no Body")
    if channel == Channel.EMAIL and not template.get("Subject"):
        raise TemplateError(f"template object {key} has no Subject")
    return template


def _s3_read(bucket: str, key: str, client: Any) -> bytes:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    if client is None:
        from pinpoint_runtime.core.aws_clients import client as shared_client  # noqa: PLC0415

        client = shared_client("s3")
    try:
        response = client.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        code = error_code(error, "Unknown")
        raise TemplateError(f"template object s3://{bucket}/{key} could not be read ({code})") from None
    body = response["Body"]
    try:
        data = body.read(MAX_TEMPLATE_CHARACTERS * 4 + 1)
    finally:
        body.close()
    if len(data) > MAX_TEMPLATE_CHARACTERS * 4:
        raise TemplateError(f"template object s3://{bucket}/{key} is too large")
    return data


def casefold_get(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]`` with ``key`` matched case-insensitively (Pinpoint spells its keys in either case)."""
    wanted = key.lower()
    return next((value for name, value in mapping.items() if str(name).lower() == wanted), None)


__all__ = ["TemplateSettings", "casefold_get", "clear_template_cache", "load_template"]

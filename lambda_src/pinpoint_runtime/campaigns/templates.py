"""Per-endpoint message rendering with Amazon Pinpoint's template syntax (campaign engine, step 2).

Pinpoint messages and message templates hold *message variables*: ``{{User.UserAttributes.FirstName}}``,
``{{Attributes.Offer}}``, ``{{Address}}``, ``{{Location.City}}``, ``{{Demographic.Platform}}``, ``{{Id}}``,
``{{Metrics.Sessions}}``... (the Pinpoint user guide's "Supported attributes" table); every one is a dotted path into
the endpoint JSON. :class:`MessageRenderer` compiles a campaign's message configuration (Pinpoint's
``SMSMessage``, ``EmailMessage``, ``CustomMessage`` shapes) **once** and renders it for each endpoint:

* ``"SMS"`` -> ``{"Body", "MessageType", "OriginationNumber"?, "SenderId"?, "Keyword"?}``;
* ``"EMAIL"`` -> ``{"Subject", "HtmlBody", "TextBody", "FromAddress"}`` (from ``Title``, ``HtmlBody``, ``Body``,
  ``FromAddress``; a missing part renders as ``""``, but a message needs a subject and at least one body);
* ``"CUSTOM"`` -> ``{"Data"}`` (``CustomMessage.Data``).

Value rules (Pinpoint's, as its docs state them):

* endpoint and user attributes are **lists** of strings in the endpoint JSON; a variable that names one renders
  its **first** value (``{"FirstName": ["Ana", "Ann"]}`` -> ``Ana``); a section iterates all values
  (``{{#Attributes.Colors}}{{.}} {{/Attributes.Colors}}``), and a numeric segment picks one
  (``{{RecommendationItems.1}}`` or Handlebars' ``{{RecommendationItems.[1]}}``);
* a missing or empty value takes the template's default (Pinpoint's ``DefaultSubstitutions``: a JSON object of
  variable name -> default, e.g. ``{"User.UserAttributes.FirstName": "friend"}``), else renders as ``""``
  ("If you don't specify a default value and a value doesn't exist for a recipient, Amazon Pinpoint omits all text
  for the variable");
* ``Substitutions`` (Pinpoint's direct-message map variable name -> list of values; the message's own
  ``SMSMessage.Substitutions`` / ``EmailMessage.Substitutions`` and the ``substitutions`` argument, which wins)
  take precedence over the endpoint's values, as ``AddressConfiguration.Substitutions`` did;
* values are inserted as text and **never re-expanded**: a value holding ``{{...}}`` renders literally;
* HTML escaping applies to the email's ``HtmlBody`` only (``{{{var}}}`` / ``{{& var}}`` opt out there, as in
  Handlebars); SMS bodies, subjects, text bodies and custom data are not escaped.

The engine is `pystache <https://github.com/PennyDreadfulMTG/pystache>`_ (Mustache spec v1.x), pinned in
``lambda_src/requirements.txt``. Why: Pinpoint templates are Handlebars, and the maintained Python Handlebars ports
do not exist in a form the layer can use (pybars3/pybars4 ship source distributions only, and the layer is built
with ``--only-binary=:all:``; pybars3's last release is from 2019); Mustache is the subset of Handlebars that
Pinpoint variables use (``{{a.b.c}}`` dotted names, sections, inverted sections, triple-stache), pystache is pure
Python with a ``py3-none-any`` wheel, released in 2025, and lets the value resolution, string coercion and escaping
be replaced without patching it. Not supported (each renders as documented here, never as an exception other than
:class:`RenderError`): Handlebars block helpers (``{{#each X}}``, ``{{#if X}}`` -> use the Mustache section
``{{#X}}...{{/X}}``), Pinpoint's formatting helpers, and partials (``{{> name}}`` is a :class:`TemplateError`, so a
template can never read files).

Template references (Pinpoint's ``TemplateConfiguration``: ``{"SMSTemplate": {"Name", "Version"?},
"EmailTemplate": {...}}``) are resolved by :func:`load_template` from S3 objects ``s3://<bucket>/<prefix><Name>.json``
in the shape of Pinpoint's ``GetSmsTemplate`` / ``GetEmailTemplate`` responses (the ``SMSTemplateResponse`` /
``EmailTemplateResponse`` object, wrapped or not), cached per process; :meth:`MessageRenderer.from_templates`
builds a renderer from them.

Rendering never logs and its errors never quote endpoint values (addresses, attributes): only variable names and
sizes.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.core.aws_clients import error_code

ENV_TEMPLATE_BUCKET = "CAMPAIGN_TEMPLATE_BUCKET"
"""Bucket of the template objects (:func:`load_template`)."""
ENV_TEMPLATE_PREFIX = "CAMPAIGN_TEMPLATE_PREFIX"
"""Key prefix of the template objects, e.g. ``templates/`` (default ``""``)."""

CHANNELS = ("SMS", "EMAIL", "CUSTOM")
SMS_MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")
DEFAULT_SMS_MESSAGE_TYPE = "PROMOTIONAL"
"""A campaign is marketing unless it says otherwise: PROMOTIONAL, which the opt-out policy treats strictly."""
MAX_SMS_BODY_CHARACTERS = 1600
"""SendTextMessage's ``MessageBody`` limit."""
MAX_TEMPLATE_CHARACTERS = 500_000
"""A template larger than this is refused (SES's whole message limit is 40 MB, Pinpoint's HTML part 15 MB; this
bounds the per-endpoint work of a campaign)."""

_NUMERIC_SEGMENT = re.compile(r"\[?(\d{1,4})\]?")
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


class RenderError(ValueError):
    """One endpoint's message could not be rendered; ``reason`` says why (no endpoint values in it).

    The campaign engine rejects that endpoint with ``RENDER_FAILURE`` and goes on with the batch."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemplateError(RenderError):
    """The message configuration or a template cannot be compiled: no endpoint can be rendered with it.

    A :class:`RenderError`, so a caller that rejects per endpoint is never surprised by another exception type."""


# ------------------------------------------------------------------------------------------------ values


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON-plain copy of an endpoint value: dicts, lists, str, int, float, bool, None only.

    Objects, callables and anything exotic become their ``str()``; pystache calls callables and reads attributes of
    objects, so nothing but plain data may reach it (no template can call a method or re-render a value)."""
    if depth > 32:
        return None
    if isinstance(value, str) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    return str(value)


def _text(value: Any) -> str:
    """The text of a resolved value: a list's first value, ``""`` for nothing, ``true``/``false`` for booleans."""
    while isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e16 else repr(value)
    return str(value)


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or value == {}
        or (isinstance(value, list) and all(item is None or item == "" for item in value))
    )


def parse_default_substitutions(value: Any) -> dict[str, str]:
    """Pinpoint's ``DefaultSubstitutions`` (a JSON object string, or a mapping) as variable name -> default text."""
    if value is None or value == "":
        return {}
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            raise TemplateError("DefaultSubstitutions is not a JSON object") from None
    if not isinstance(value, Mapping):
        raise TemplateError("DefaultSubstitutions must be a JSON object of variable name -> default value")
    return {str(name): _text(_plain(default)) for name, default in value.items()}


def parse_substitutions(value: Any) -> dict[str, list[str]]:
    """Pinpoint's ``Substitutions`` (variable name -> list of values; a bare string is one value)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TemplateError("Substitutions must be a map of variable name -> list of values")
    out: dict[str, list[str]] = {}
    for name, values in value.items():
        if isinstance(values, (list, tuple)):
            out[str(name)] = [_text(_plain(item)) for item in values]
        else:
            out[str(name)] = [_text(_plain(values))]
    return out


# ------------------------------------------------------------------------------------------------ engine


class _Compiled:
    """One template field compiled with pystache (parse once, render per endpoint)."""

    def __init__(self, field: str, source: Any) -> None:
        from pystache.parser import parse  # noqa: PLC0415

        if source is None:
            source = ""
        if not isinstance(source, str):
            raise TemplateError(f"{field} must be a string")
        if len(source) > MAX_TEMPLATE_CHARACTERS:
            raise TemplateError(f"{field} is {len(source):,} characters; the limit is {MAX_TEMPLATE_CHARACTERS:,}")
        self.field = field
        self.source = source
        self.is_static = "{{" not in source
        try:
            self.parsed = parse(source, raise_on_mismatch=True)
        except Exception as error:  # noqa: BLE001 - pystache raises ParsingError, and re/index errors on odd delimiters
            raise TemplateError(f"{field} is not a valid template: {_describe(error)}") from None
        _reject_partials(field, self.parsed)


def _describe(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _reject_partials(field: str, parsed: Any) -> None:
    from pystache.parser import _PartialNode  # noqa: PLC0415

    stack = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, _PartialNode):
            raise TemplateError(f"{field} uses a partial ({{{{> {node.key}}}}}); partials are not supported")
        tree = getattr(node, "_parse_tree", None)
        if tree is not None:
            stack.extend(tree)
        for attribute in ("parsed", "parsed_section"):
            child = getattr(node, attribute, None)
            if child is not None:
                stack.append(child)


class _Engine:
    """A pystache RenderEngine whose name resolution applies Pinpoint's rules (substitutions, first value, numeric
    segments, defaults) and whose escaping is chosen per field."""

    def __init__(self, *, escape_html: bool) -> None:
        from pystache.renderengine import RenderEngine  # noqa: PLC0415

        self._engine = RenderEngine(
            literal=str,
            escape=(lambda text: html.escape(text, quote=True)) if escape_html else str,
            resolve_context=self._resolve,
            resolve_partial=self._no_partial,
            to_str=_text,
        )
        self._local = threading.local()

    @staticmethod
    def _no_partial(name: str) -> str:
        raise RenderError("partials are not supported")

    def render(
        self,
        compiled: _Compiled,
        context: dict[str, Any],
        substitutions: Mapping[str, list[str]],
        defaults: Mapping[str, str],
    ) -> str:
        from pystache.context import ContextStack  # noqa: PLC0415

        if compiled.is_static:
            return compiled.source
        self._local.rules = (substitutions, defaults)
        try:
            return str(compiled.parsed.render(self._engine, ContextStack(context)))
        except RenderError:
            raise
        except RecursionError:
            raise RenderError(f"{compiled.field} nests too deeply to render") from None
        except Exception as error:  # noqa: BLE001 - any other engine failure is this endpoint's render failure
            raise RenderError(f"{compiled.field} could not be rendered ({type(error).__name__})") from None
        finally:
            self._local.rules = None

    def _resolve(self, stack: Any, name: str) -> Any:
        substitutions, defaults = self._local.rules
        if name in substitutions:
            return substitutions[name]
        value = _lookup(stack, name)
        if _is_missing(value):
            default = defaults.get(name)
            return "" if default is None else default
        return value


def _lookup(stack: Any, name: str) -> Any:
    """``name`` against a pystache ContextStack: Mustache's dotted-name rules, plus numeric segments into lists
    (``RecommendationItems.1``, ``RecommendationItems.[1]``). ``None`` when nothing is found."""
    from pystache.context import KeyNotFoundError  # noqa: PLC0415

    try:
        return stack.get(name)
    except KeyNotFoundError:
        pass
    if name == "." or "." not in name:
        return None
    first, *rest = name.split(".")
    try:
        value = stack.get(first)
    except KeyNotFoundError:
        return None
    for segment in rest:
        index = _NUMERIC_SEGMENT.fullmatch(segment)
        if isinstance(value, list) and index is not None:
            position = int(index.group(1))
            value = value[position] if position < len(value) else None
        elif isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0].get(segment)
        else:
            return None
        if value is None:
            return None
    return value


_TEXT_ENGINE: _Engine | None = None
_HTML_ENGINE: _Engine | None = None


def _engines() -> tuple[_Engine, _Engine]:
    global _TEXT_ENGINE, _HTML_ENGINE  # stateless engines shared by every renderer of the process
    if _TEXT_ENGINE is None or _HTML_ENGINE is None:
        _TEXT_ENGINE, _HTML_ENGINE = _Engine(escape_html=False), _Engine(escape_html=True)
    return _TEXT_ENGINE, _HTML_ENGINE


# ------------------------------------------------------------------------------------------------ renderer


class MessageRenderer:
    """Render a campaign's message configuration per endpoint (see the module docstring).

    ``message_configuration`` is Pinpoint's ``MessageConfiguration`` (``SMSMessage``, ``EmailMessage``,
    ``CustomMessage``; keys matched case-insensitively, as Pinpoint's hook payload spells them in either case).
    ``substitutions`` (name -> [values]) override endpoint values; ``default_substitutions`` (name -> default, or
    Pinpoint's JSON string) fill missing ones, for every channel; ``channel_defaults`` adds per-channel defaults
    (a template's own ``DefaultSubstitutions``; ``default_substitutions`` wins over them).

    Raises :class:`TemplateError` when a configured message cannot be compiled (a campaign-level error).
    Thread-safe: one renderer may serve several threads.
    """

    def __init__(
        self,
        message_configuration: Mapping[str, Any],
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_substitutions: Mapping[str, Any] | str | None = None,
        channel_defaults: Mapping[str, Mapping[str, Any] | str] | None = None,
    ) -> None:
        if not isinstance(message_configuration, Mapping):
            raise TemplateError("message_configuration must be an object (Pinpoint's MessageConfiguration)")
        config = _casefold_keys(message_configuration)
        common_defaults = parse_default_substitutions(default_substitutions)
        explicit = parse_substitutions(substitutions)
        self._fields: dict[str, dict[str, _Compiled]] = {}
        self._static: dict[str, dict[str, str]] = {}
        self._substitutions: dict[str, dict[str, list[str]]] = {}
        self._defaults: dict[str, dict[str, str]] = {}
        for channel, key in (("SMS", "smsmessage"), ("EMAIL", "emailmessage"), ("CUSTOM", "custommessage")):
            message = config.get(key)
            if message is None:
                continue
            if not isinstance(message, Mapping):
                raise TemplateError(f"MessageConfiguration.{_PINPOINT_NAMES[channel]} must be an object")
            message = _casefold_keys(message)
            self._fields[channel], self._static[channel] = _compile_channel(channel, message)
            self._substitutions[channel] = {**parse_substitutions(message.get("substitutions")), **explicit}
            template_defaults = parse_default_substitutions((channel_defaults or {}).get(channel))
            self._defaults[channel] = {**template_defaults, **common_defaults}

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this configuration has a message for."""
        return tuple(self._fields)

    @classmethod
    def from_templates(
        cls,
        message_configuration: Mapping[str, Any] | None,
        template_configuration: Mapping[str, Any] | None,
        *,
        bucket: str | None = None,
        prefix: str | None = None,
        client: Any = None,
        substitutions: Mapping[str, Any] | None = None,
        default_substitutions: Mapping[str, Any] | str | None = None,
    ) -> MessageRenderer:
        """A renderer for a campaign that references templates: each ``SMSTemplate`` / ``EmailTemplate`` of
        ``template_configuration`` is loaded with :func:`load_template` and supplies the content (``Body``;
        ``Subject``/``HtmlPart``/``TextPart``) and its ``DefaultSubstitutions``; the message configuration supplies
        the rest (``MessageType``, ``OriginationNumber``, ``FromAddress``...) and overrides nothing the template
        defines, as Pinpoint did for template-based campaigns."""
        merged = {
            key: dict(value) for key, value in (message_configuration or {}).items() if isinstance(value, Mapping)
        }
        merged_cf = {key.lower(): key for key in merged}
        channel_defaults: dict[str, str | Mapping[str, Any]] = {}
        for reference_key, message_key, channel in (
            ("SMSTemplate", "SMSMessage", "SMS"),
            ("EmailTemplate", "EmailMessage", "EMAIL"),
        ):
            reference = _casefold_get(template_configuration or {}, reference_key)
            if reference is None:
                continue
            template = load_template(channel, reference, bucket=bucket, prefix=prefix, client=client)
            target = merged.setdefault(merged_cf.get(message_key.lower(), message_key), {})
            if channel == "SMS":
                target["Body"] = template.get("Body", "")
            else:
                target["Title"] = template.get("Subject", "")
                target["HtmlBody"] = template.get("HtmlPart")
                target["Body"] = template.get("TextPart")
            if template.get("DefaultSubstitutions"):
                channel_defaults[channel] = template["DefaultSubstitutions"]
        return cls(
            merged,
            substitutions=substitutions,
            default_substitutions=default_substitutions,
            channel_defaults=channel_defaults,
        )

    def render(self, channel: str, endpoint: Mapping[str, Any], *, endpoint_id: str | None = None) -> dict[str, Any]:
        """The message for one endpoint on ``channel`` (``"SMS"``, ``"EMAIL"``, ``"CUSTOM"``).

        ``endpoint`` is Pinpoint endpoint JSON (any part may be missing); ``endpoint_id`` fills ``{{Id}}`` when the
        endpoint has no ``Id``. Raises :class:`RenderError` (this endpoint only)."""
        fields = self._fields.get(channel)
        if fields is None:
            if channel not in CHANNELS:
                raise RenderError(f"unknown channel {str(channel)[:20]!r}; expected one of {', '.join(CHANNELS)}")
            raise RenderError(f"the message configuration has no {_PINPOINT_NAMES[channel]} for channel {channel}")
        if not isinstance(endpoint, Mapping):
            raise RenderError("the endpoint is not an object")
        context = _plain(endpoint)
        if endpoint_id is not None and "Id" not in context:
            context["Id"] = endpoint_id
        substitutions = self._substitutions[channel]
        defaults = self._defaults[channel]
        text_engine, html_engine = _engines()
        rendered: dict[str, Any] = dict(self._static[channel])
        for name, compiled in fields.items():
            engine = html_engine if name == "HtmlBody" else text_engine
            rendered[name] = engine.render(compiled, context, substitutions, defaults)
        return _check_rendered(channel, rendered)


_PINPOINT_NAMES = {"SMS": "SMSMessage", "EMAIL": "EmailMessage", "CUSTOM": "CustomMessage"}


def _casefold_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in mapping.items()}


def _casefold_get(mapping: Mapping[str, Any], key: str) -> Any:
    wanted = key.lower()
    return next((value for name, value in mapping.items() if str(name).lower() == wanted), None)


def _compile_channel(channel: str, message: Mapping[str, Any]) -> tuple[dict[str, _Compiled], dict[str, str]]:
    """(template fields, static fields) of one channel's message (keys already lower-cased)."""
    name = _PINPOINT_NAMES[channel]
    if channel == "SMS":
        message_type = str(message.get("messagetype") or DEFAULT_SMS_MESSAGE_TYPE).upper()
        if message_type not in SMS_MESSAGE_TYPES:
            raise TemplateError(f"{name}.MessageType must be TRANSACTIONAL or PROMOTIONAL")
        static = {"MessageType": message_type}
        for key, out in (("originationnumber", "OriginationNumber"), ("senderid", "SenderId"), ("keyword", "Keyword")):
            if message.get(key):
                static[out] = str(message[key])
        return {"Body": _Compiled(f"{name}.Body", message.get("body"))}, static
    if channel == "EMAIL":
        fields = {
            "Subject": _Compiled(f"{name}.Title", message.get("title")),
            "HtmlBody": _Compiled(f"{name}.HtmlBody", message.get("htmlbody")),
            "TextBody": _Compiled(f"{name}.Body", message.get("body")),
            "FromAddress": _Compiled(f"{name}.FromAddress", message.get("fromaddress")),
        }
        if not fields["Subject"].source:
            raise TemplateError(f"{name}.Title (the subject) is required")
        if not fields["HtmlBody"].source and not fields["TextBody"].source:
            raise TemplateError(f"{name} needs an HtmlBody or a Body")
        return fields, {}
    return {"Data": _Compiled(f"{name}.Data", message.get("data"))}, {}


def _check_rendered(channel: str, rendered: dict[str, Any]) -> dict[str, Any]:
    if channel == "SMS":
        body = rendered["Body"]
        if not body.strip():
            raise RenderError("the rendered SMS body is empty")
        if len(body) > MAX_SMS_BODY_CHARACTERS:
            raise RenderError(
                f"the rendered SMS body is {len(body):,} characters; the limit is {MAX_SMS_BODY_CHARACTERS:,}"
            )
    elif channel == "EMAIL":
        if not rendered["Subject"].strip():
            raise RenderError("the rendered email subject is empty")
        if "\n" in rendered["Subject"] or "\r" in rendered["Subject"]:
            rendered["Subject"] = " ".join(rendered["Subject"].split())
        if not rendered["HtmlBody"].strip() and not rendered["TextBody"].strip():
            raise RenderError("the rendered email has neither an HTML nor a text body")
    return rendered


# ------------------------------------------------------------------------------------------------ templates

_TEMPLATE_CACHE: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
_TEMPLATE_LOCK = threading.Lock()
_RESPONSE_KEYS = {"SMS": "SMSTemplateResponse", "EMAIL": "EmailTemplateResponse"}
_TEMPLATE_FIELDS = {
    "SMS": ("Body", "DefaultSubstitutions"),
    "EMAIL": ("Subject", "HtmlPart", "TextPart", "DefaultSubstitutions"),
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

    Reads ``s3://<bucket>/<prefix><Name>.json`` (``bucket``/``prefix`` default to env ``CAMPAIGN_TEMPLATE_BUCKET``
    / ``CAMPAIGN_TEMPLATE_PREFIX``) whose JSON is the ``GetSmsTemplate``/``GetEmailTemplate`` response
    (``{"SMSTemplateResponse": {...}}``) or the inner object. A ``Version`` in the reference must equal the object's
    ``Version`` (a template store that keeps versions writes the object of the version a campaign needs).
    Results are cached per process (per bucket, key and version) unless ``cache=False``. ``read(bucket, key)`` may
    replace the S3 read. Raises :class:`TemplateError`.
    """
    if channel not in _RESPONSE_KEYS:
        raise TemplateError(f"templates exist for SMS and EMAIL, not {str(channel)[:20]!r}")
    if not isinstance(reference, Mapping):
        raise TemplateError(f"the {channel} template reference must be an object with a Name")
    name = _casefold_get(reference, "Name")
    version = _casefold_get(reference, "Version")
    if not isinstance(name, str) or not _TEMPLATE_NAME.fullmatch(name):
        raise TemplateError("a template Name is 1-128 letters, digits, '_' or '-'")
    version = None if version in (None, "") else str(version)
    bucket = bucket or os.environ.get(ENV_TEMPLATE_BUCKET)
    prefix = prefix if prefix is not None else os.environ.get(ENV_TEMPLATE_PREFIX, "")
    if not bucket:
        raise TemplateError(f"template {name} referenced but no template bucket (set {ENV_TEMPLATE_BUCKET})")
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
    if channel == "SMS" and not template.get("Body"):
        raise TemplateError(f"template object {key} has no Body")
    if channel == "EMAIL" and not template.get("Subject"):
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


def renderer_for_request(
    request: Any,
    *,
    s3: Any = None,
    bucket: str | None = None,
    prefix: str | None = None,
) -> MessageRenderer:
    """The renderer of one campaign run: ``request`` is a ``campaign_runner.CampaignRequest`` (or anything with
    ``context.message_configuration``, ``template_configuration`` and ``substitutions``). Templates are read with
    ``s3`` from ``bucket``/``prefix`` (default: env ``CAMPAIGN_TEMPLATE_BUCKET`` / ``CAMPAIGN_TEMPLATE_PREFIX``).
    Raises :class:`TemplateError` (a campaign-level error)."""
    message_configuration = getattr(getattr(request, "context", None), "message_configuration", None) or {}
    template_configuration = getattr(request, "template_configuration", None)
    substitutions = getattr(request, "substitutions", None)
    if template_configuration:
        return MessageRenderer.from_templates(
            message_configuration,
            template_configuration,
            bucket=bucket,
            prefix=prefix,
            client=s3,
            substitutions=substitutions,
        )
    return MessageRenderer(message_configuration, substitutions=substitutions)


__all__ = [
    "DEFAULT_SMS_MESSAGE_TYPE",
    "ENV_TEMPLATE_BUCKET",
    "ENV_TEMPLATE_PREFIX",
    "MessageRenderer",
    "RenderError",
    "TemplateError",
    "clear_template_cache",
    "load_template",
    "parse_default_substitutions",
    "parse_substitutions",
    "renderer_for_request",
]

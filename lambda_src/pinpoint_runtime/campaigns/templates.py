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

Parts: :mod:`~pinpoint_runtime.campaigns.template_engine` (Pinpoint's value rules on pystache, the errors) and
:mod:`~pinpoint_runtime.campaigns.template_store` (templates referenced by name, read from S3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.campaigns.payloads import CHANNELS, DEFAULT_SMS_MESSAGE_TYPE, Channel
from pinpoint_runtime.campaigns.template_engine import (
    CompiledTemplate,
    RenderError,
    TemplateError,
    parse_default_substitutions,
    parse_substitutions,
    plain_value,
    shared_engines,
)
from pinpoint_runtime.campaigns.template_store import casefold_get, load_template
from pinpoint_runtime.sms.message_type import MessageType

SMS_MESSAGE_TYPES = tuple(MessageType)
MAX_SMS_BODY_CHARACTERS = 1600
"""SendTextMessage's ``MessageBody`` limit."""


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
        self._fields: dict[str, dict[str, CompiledTemplate]] = {}
        self._static: dict[str, dict[str, str]] = {}
        self._substitutions: dict[str, dict[str, list[str]]] = {}
        self._defaults: dict[str, dict[str, str]] = {}
        for channel, key in (
            (Channel.SMS, "smsmessage"),
            (Channel.EMAIL, "emailmessage"),
            (Channel.CUSTOM, "custommessage"),
        ):
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
            ("SMSTemplate", "SMSMessage", Channel.SMS),
            ("EmailTemplate", "EmailMessage", Channel.EMAIL),
        ):
            reference = casefold_get(template_configuration or {}, reference_key)
            if reference is None:
                continue
            template = load_template(channel, reference, bucket=bucket, prefix=prefix, client=client)
            target = merged.setdefault(merged_cf.get(message_key.lower(), message_key), {})
            if channel == Channel.SMS:
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
        context = plain_value(endpoint)
        if endpoint_id is not None and "Id" not in context:
            context["Id"] = endpoint_id
        substitutions = self._substitutions[channel]
        defaults = self._defaults[channel]
        text_engine, html_engine = shared_engines()
        rendered: dict[str, Any] = dict(self._static[channel])
        for name, compiled in fields.items():
            engine = html_engine if name == "HtmlBody" else text_engine
            rendered[name] = engine.render(compiled, context, substitutions, defaults)
        return _check_rendered(channel, rendered)


_PINPOINT_NAMES: dict[str, str] = {channel: channel.message_key for channel in Channel}


def _casefold_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in mapping.items()}


def _compile_channel(channel: str, message: Mapping[str, Any]) -> tuple[dict[str, CompiledTemplate], dict[str, str]]:
    """(template fields, static fields) of one channel's message (keys already lower-cased)."""
    name = _PINPOINT_NAMES[channel]
    if channel == Channel.SMS:
        message_type = str(message.get("messagetype") or DEFAULT_SMS_MESSAGE_TYPE).upper()
        if message_type not in SMS_MESSAGE_TYPES:
            raise TemplateError(f"{name}.MessageType must be TRANSACTIONAL or PROMOTIONAL")
        static = {"MessageType": message_type}
        for key, out in (("originationnumber", "OriginationNumber"), ("senderid", "SenderId"), ("keyword", "Keyword")):
            if message.get(key):
                static[out] = str(message[key])
        return {"Body": CompiledTemplate(f"{name}.Body", message.get("body"))}, static
    if channel == Channel.EMAIL:
        fields = {
            "Subject": CompiledTemplate(f"{name}.Title", message.get("title")),
            "HtmlBody": CompiledTemplate(f"{name}.HtmlBody", message.get("htmlbody")),
            "TextBody": CompiledTemplate(f"{name}.Body", message.get("body")),
            "FromAddress": CompiledTemplate(f"{name}.FromAddress", message.get("fromaddress")),
        }
        if not fields["Subject"].source:
            raise TemplateError(f"{name}.Title (the subject) is required")
        if not fields["HtmlBody"].source and not fields["TextBody"].source:
            raise TemplateError(f"{name} needs an HtmlBody or a Body")
        return fields, {}
    return {"Data": CompiledTemplate(f"{name}.Data", message.get("data"))}, {}


def _check_rendered(channel: str, rendered: dict[str, Any]) -> dict[str, Any]:
    if channel == Channel.SMS:
        body = rendered["Body"]
        if not body.strip():
            raise RenderError("the rendered SMS body is empty")
        if len(body) > MAX_SMS_BODY_CHARACTERS:
            raise RenderError(
                f"the rendered SMS body is {len(body):,} characters; the limit is {MAX_SMS_BODY_CHARACTERS:,}"
            )
    elif channel == Channel.EMAIL:
        if not rendered["Subject"].strip():
            raise RenderError("the rendered email subject is empty")
        if "\n" in rendered["Subject"] or "\r" in rendered["Subject"]:
            rendered["Subject"] = " ".join(rendered["Subject"].split())
        if not rendered["HtmlBody"].strip() and not rendered["TextBody"].strip():
            raise RenderError("the rendered email has neither an HTML nor a text body")
    return rendered


def renderer_for_request(
    request: Any,
    *,
    s3: Any = None,
    bucket: str | None = None,
    prefix: str | None = None,
) -> MessageRenderer:
    """The renderer of one campaign run: ``request`` is a ``campaign_runner.CampaignRequest`` (or anything with
    ``context.message_configuration``, ``template_configuration`` and ``substitutions``). Templates are read with
    ``s3`` from ``bucket``/``prefix`` (default: the function's ``TemplateSettings``).
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
    "MessageRenderer",
    "RenderError",
    "TemplateError",
    "renderer_for_request",
]

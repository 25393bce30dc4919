"""SES event-publishing records (source ``ses``) -> Pinpoint ``_email.*`` records with email facets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.events.event_time import to_epoch_ms
from pinpoint_runtime.events.record_values import (
    ENDPOINT_ID_KEY,
    RecordContext,
    envelope,
    first_name,
    snake_case,
    string_map,
    to_str,
)
from pinpoint_runtime.events.ses_tags import ENCODED_SES_TAGS, decode_ses_tag_value

_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


@dataclass(frozen=True)
class _SesMapping:
    event_type: str
    body_keys: tuple[str, ...]
    facet: str
    feedback: str | None


_SES_EVENTS: dict[str, _SesMapping] = {
    "send": _SesMapping("_email.send", ("send",), "send", "received"),
    "delivery": _SesMapping("_email.delivered", ("delivery",), "delivery", "delivered"),
    "open": _SesMapping("_email.open", ("open",), "open", "opened"),
    "click": _SesMapping("_email.click", ("click",), "click", None),
    "bounce": _SesMapping("_email.softbounce", ("bounce",), "bounce", "bounced"),
    "complaint": _SesMapping("_email.complaint", ("complaint",), "complaint", None),
    "reject": _SesMapping("_email.rejected", ("reject",), "reject", None),
    "renderingfailure": _SesMapping(
        "_email.rendering_failure", ("failure", "renderingFailure"), "rendering_failure", None
    ),
    "deliverydelay": _SesMapping("_email.delivery_delay", ("deliveryDelay",), "delivery_delay", None),
    "subscription": _SesMapping("_email.unsubscribe", ("subscription",), "subscription", None),
}
"""SES event types, keyed case- and separator-insensitively ("Rendering Failure", "RENDERING_FAILURE", ...)."""

_SES_STRING_MAP_FACETS = frozenset({"send", "subscription"})  # Glue types these as map<string,string>
_SES_TIME_KEYS = frozenset({"timestamp", "expirationTime"})  # ISO strings -> epoch ms (Glue bigint)
_SES_OPAQUE_KEYS = frozenset({"linkTags"})  # user-defined tag names: keep the inner keys as sent
_SES_TYPE_KEYS = frozenset({"eventType", "notificationType", "mail"})
_UNSUBSCRIBE_LINK_TAG = "unsubscribeLinkTag"
_SES_CONFIGURATION_SET_TAG = "ses:configuration-set"


def _ses_key(ses_type: str) -> str:
    return re.sub(r"[\s_-]", "", ses_type).lower()


def from_ses(data: dict[str, Any], ses_type: str, context: RecordContext) -> dict[str, Any]:
    """Convert an SES event-publishing record into a Pinpoint ``_email.*`` record with email facets."""
    mail = data["mail"]
    mapping = _SES_EVENTS.get(_ses_key(ses_type))
    bodies = _ses_bodies(data, mapping)
    event_type = _ses_event_type(ses_type, mapping, bodies)
    body = next(iter(bodies.values()), {})
    event_timestamp = _first_ms(body.get("timestamp"), mail.get("timestamp"), context.arrival_timestamp_ms)
    tags = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
    account = first_name(mail.get("sendingAccountId"), context.account_id) or ""
    client_id = first_name(_ses_id_tag(tags, ENDPOINT_ID_KEY), account) or ""
    record = envelope(event_type, event_timestamp, context, client_id=client_id, account_id=account)
    record["attributes"] = _ses_attributes(tags, mapping, body)
    mail_event: dict[str, Any] = {"mail": _ses_mail(mail)}
    mail_event.update({facet: _ses_facet(facet, value) for facet, value in bodies.items()})
    record["facets"] = {"email_channel": {"mail_event": mail_event}}
    return record


def _ses_bodies(data: dict[str, Any], mapping: _SesMapping | None) -> dict[str, dict[str, Any]]:
    """The event body keyed by its facet name; unlisted types keep every object-valued extra key."""
    if mapping is not None:
        found: dict[str, Any] = next((data[key] for key in mapping.body_keys if isinstance(data.get(key), dict)), {})
        return {mapping.facet: found}
    return {
        snake_case(key): value
        for key, value in data.items()
        if key not in _SES_TYPE_KEYS and isinstance(value, dict) and snake_case(key) not in ("", "mail")
    }


def _ses_event_type(ses_type: str, mapping: _SesMapping | None, bodies: dict[str, dict[str, Any]]) -> str:
    if mapping is None:
        return "_email." + ses_type.lower()
    if mapping.facet == "bounce" and bodies["bounce"].get("bounceType") == "Permanent":
        return "_email.hardbounce"
    link_tags = bodies.get("click", {}).get("linkTags")
    if mapping.facet == "click" and isinstance(link_tags, dict) and _UNSUBSCRIBE_LINK_TAG in link_tags:
        return "_email.unsubscribe"
    return mapping.event_type


def _first_ms(*candidates: object) -> int:
    return next(ms for ms in (to_epoch_ms(value) for value in candidates) if ms is not None)


def _first_tag_value(values: object) -> str | None:
    """SES tags are lists of strings; take the first (a bare scalar is accepted too)."""
    if isinstance(values, list):
        values = values[0] if values else None
    if values is None or isinstance(values, (dict, list)):
        return None
    return to_str(values)


def _ses_id_tag(tags: dict[str, Any], name: str) -> str | None:
    value = _first_tag_value(tags.get(name))
    return decode_ses_tag_value(value) if value is not None else None


def _ses_attributes(tags: dict[str, Any], mapping: _SesMapping | None, body: dict[str, Any]) -> dict[str, str]:
    """Message tags (not ``ses:*``) as attributes (the library's id tags decoded), then configuration_set and
    feedback (which win)."""
    attributes: dict[str, str] = {}
    for name, values in tags.items():
        value = _first_tag_value(values)
        if value is None or name.startswith("ses:") or name == ENDPOINT_ID_KEY:
            continue
        attributes[name] = decode_ses_tag_value(value) if name in ENCODED_SES_TAGS else value
    configuration_set = _first_tag_value(tags.get(_SES_CONFIGURATION_SET_TAG))
    if configuration_set is not None:
        attributes["configuration_set"] = configuration_set
    feedback = mapping.feedback if mapping is not None else None
    if mapping is not None and mapping.facet == "click" and isinstance(body.get("link"), str):
        feedback = body["link"]
    if feedback is not None:
        attributes["feedback"] = feedback
    return attributes


def _ses_mail(mail: dict[str, Any]) -> dict[str, Any]:
    """SES ``mail`` -> Pinpoint ``facets.email_channel.mail_event.mail`` (snake_case, epoch ms)."""
    fields = {
        "message_id": mail.get("messageId"),
        "message_send_timestamp": to_epoch_ms(mail.get("timestamp")),
        "from_address": _bare_address(mail.get("source")),
        "destination": mail.get("destination"),
        "headers_truncated": mail.get("headersTruncated"),
        "headers": mail.get("headers"),
    }
    common_headers = mail.get("commonHeaders")
    if isinstance(common_headers, dict):
        fields["common_headers"] = _ses_common_headers(common_headers)
    return {key: value for key, value in fields.items() if value is not None}


def _ses_common_headers(common_headers: dict[str, Any]) -> dict[str, Any]:
    converted = _snake_tree(common_headers)
    sender = common_headers.get("from")
    if isinstance(sender, list):
        sender = sender[0] if sender else None
    converted["from"] = sender if isinstance(sender, str) else None
    return converted


def _bare_address(source: object) -> str | None:
    """``"Sender Name <a@b>"`` -> ``"a@b"``; the input unchanged if no address can be parsed out."""
    if not isinstance(source, str):
        return None
    match = _ANGLE_ADDRESS.search(source)
    address = match.group(1).strip() if match else ""
    return address or source.strip()


def _ses_facet(facet: str, body: dict[str, Any]) -> dict[str, Any]:
    converted = _snake_tree(body)
    return string_map(converted) if facet in _SES_STRING_MAP_FACETS else converted


def _snake_tree(value: Any) -> Any:
    """Recursively snake_case object keys; ISO times become epoch ms (unparseable ones kept as ``<key>_raw``)."""
    if isinstance(value, list):
        return [_snake_tree(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, Any] = {}
    for key, item in value.items():
        name = snake_case(key)
        if key in _SES_OPAQUE_KEYS:
            converted[name] = item
        elif key in _SES_TIME_KEYS:
            converted[name] = to_epoch_ms(item)
            if converted[name] is None and item is not None:
                converted[name + "_raw"] = item
        else:
            converted[name] = _snake_tree(item)
    return converted

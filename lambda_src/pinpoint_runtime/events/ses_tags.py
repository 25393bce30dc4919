"""SES message tag values for the library's ids: encoded reversibly by the senders, decoded by the lake."""

from __future__ import annotations

import base64
import binascii
import re

from pinpoint_runtime.events.record_values import ENDPOINT_ID_KEY

# Message tags whose values are ids the library encodes for SES (see encode_ses_tag_value)
ENCODED_SES_TAGS = frozenset({"campaign_id", "treatment_id", ENDPOINT_ID_KEY})
SES_TAG_ENCODED_PREFIX = "b64u-"
SES_TAG_MAX_LENGTH = 256
_SES_TAG_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_SES_TAG_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def encode_ses_tag_value(value: object) -> str:
    """An id as an SES message tag value (ASCII letters, digits, ``_`` and ``-`` only, at most 256 characters),
    reversibly: the id itself when it fits those rules, else ``b64u-`` + its unpadded URL-safe base64 (UTF-8), which
    the lake normaliser decodes (:func:`decode_ses_tag_value`), so an endpoint id like ``user.42@example.com``
    reaches the lake's ``client_id`` unchanged. Only an id whose encoding would pass 256 characters (over ~187
    bytes) is stored lossily (other characters as ``_``)."""
    text = str(value)
    if _SES_TAG_PLAIN.fullmatch(text) and not text.startswith(SES_TAG_ENCODED_PREFIX):
        return text
    encoded = SES_TAG_ENCODED_PREFIX + base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode(
        "ascii"
    ).rstrip("=")
    if len(encoded) <= SES_TAG_MAX_LENGTH:
        return encoded
    return (_SES_TAG_INVALID.sub("_", text) or "_")[:SES_TAG_MAX_LENGTH]


def decode_ses_tag_value(value: str) -> str:
    """The id :func:`encode_ses_tag_value` encoded; any other value (including one that merely starts with the
    prefix) unchanged: a value is decoded only when encoding the result gives it back exactly."""
    if not value.startswith(SES_TAG_ENCODED_PREFIX):
        return value
    payload = value[len(SES_TAG_ENCODED_PREFIX) :]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        return value
    return decoded if encode_ses_tag_value(decoded) == value else value

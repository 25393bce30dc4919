"""Tests of pinpoint_runtime.sms.partner_handler: what a partner handler may answer (the invoke itself, through a
Stubber, is tested with the pipeline in tests/functions/test_two_way_inbound.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.sms.partner_handler import InvalidPartnerResponse, parse_partner_response
from pinpoint_runtime.sms.sender import MessageType


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"reply": "hi"}', ("hi", "TRANSACTIONAL")),
        ('{"reply": "hi", "message_type": "PROMOTIONAL"}', ("hi", "PROMOTIONAL")),
        (b"null", None),
        (b"  ", None),
        (None, None),
        (b'{"reply": null}', None),
    ],
)
def test_parse_partner_response_accepts(payload: Any, expected: Any) -> None:
    assert parse_partner_response(payload) == expected


@pytest.mark.parametrize("payload", [b"[1]", b'"text"', b"{bad", b'{"reply": 5}', b'{"reply": "  "}'])
def test_parse_partner_response_rejects(payload: bytes) -> None:
    with pytest.raises(InvalidPartnerResponse):
        parse_partner_response(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["reply", "message_type", "other"]) | st.text(max_size=5), children, max_size=3
        )
    ),
    max_leaves=8,
)


@given(json_values)
def test_parse_partner_response_never_raises_anything_else(document: Any) -> None:
    try:
        parsed = parse_partner_response(json.dumps(document).encode())
    except InvalidPartnerResponse as error:
        assert str(error) in {
            "not a JSON object",
            "reply is not a non-empty string",
            "message_type must be one of TRANSACTIONAL, PROMOTIONAL",
        }
    else:
        if parsed is not None:
            assert isinstance(document, dict) and parsed[0] == document["reply"] and parsed[0].strip()


def test_the_default_message_type_applies_when_the_partner_names_none() -> None:
    promotional = MessageType.PROMOTIONAL
    assert parse_partner_response(b'{"reply": "hi"}', default_message_type=promotional) == ("hi", "PROMOTIONAL")
    assert parse_partner_response(
        b'{"reply": "hi", "message_type": "TRANSACTIONAL"}', default_message_type=promotional
    ) == ("hi", "TRANSACTIONAL")

"""Tests of pinpoint_runtime.events.ses_tags: the library's ids as SES message tag values."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.events.ses_tags import SES_TAG_ENCODED_PREFIX, decode_ses_tag_value, encode_ses_tag_value


@settings(max_examples=400)
@given(st.text(max_size=120))
def test_ids_survive_ses_tags_exactly(identifier: str) -> None:
    value = encode_ses_tag_value(identifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value)  # what SES accepts as a message tag value
    if len(identifier.encode("utf-8", "surrogatepass")) <= 186:  # fits 256 characters once encoded
        assert decode_ses_tag_value(value) == identifier


@given(st.from_regex(r"[A-Za-z0-9_-]{1,256}", fullmatch=True))
def test_ids_that_are_valid_tag_values_are_written_as_they_are(identifier: str) -> None:
    expected = identifier if not identifier.startswith(SES_TAG_ENCODED_PREFIX) else encode_ses_tag_value(identifier)
    assert encode_ses_tag_value(identifier) == expected and decode_ses_tag_value(expected) == identifier


def test_an_id_too_long_to_encode_is_kept_lossily_and_bad_encodings_are_left_alone() -> None:
    long_id = "user." + "x" * 250
    assert encode_ses_tag_value(long_id) == ("user_" + "x" * 250)[:256]
    assert decode_ses_tag_value(SES_TAG_ENCODED_PREFIX + "%%%") == SES_TAG_ENCODED_PREFIX + "%%%"
    assert decode_ses_tag_value(SES_TAG_ENCODED_PREFIX + "_w") == SES_TAG_ENCODED_PREFIX + "_w"  # not UTF-8

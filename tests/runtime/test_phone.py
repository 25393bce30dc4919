"""phone.normalise_phone (the cached fast path the Adobe bridge and imports use) answers exactly like the
EndpointStore's normalise_address."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.store import EndpointValidationError, normalise_address
from pinpoint_runtime.phone import PhoneNumberError, normalise_phone

DIGITS = st.text(alphabet="0123456789", min_size=4, max_size=15)
SPELLINGS = st.one_of(
    DIGITS.map(lambda d: "+" + d),
    DIGITS,
    DIGITS.map(lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}"),
    st.text(alphabet="0123456789 +-().abc", max_size=20),
)


def _store(address: str, country: str) -> str | None:
    try:
        return normalise_address("SMS", address, "x", default_country=country)
    except EndpointValidationError:
        return None


def _fast(address: str, country: str) -> str | None:
    try:
        return normalise_phone(address, country)
    except PhoneNumberError as error:
        assert error.problem in {"is not a phone number", "is not a valid phone number"}
        return None


@settings(max_examples=400, deadline=None)
@given(address=SPELLINGS, country=st.sampled_from(["US", "GB", "DE", "IN", "BR", "CA"]))
def test_the_fast_path_answers_like_the_store(address, country):
    assert _fast(address, country) == _store(address, country)


@pytest.mark.parametrize(
    ("raw", "expected"), [("(202) 555-0191", "+12025550191"), ("+14255550182", "+14255550182"), ("12345", None)]
)
def test_examples(raw, expected):
    assert _fast(raw, "US") == expected

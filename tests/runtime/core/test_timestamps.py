"""pinpoint_runtime.core.timestamps: Pinpoint's ISO 8601 form, from datetimes and epoch seconds, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.core.timestamps import iso_utc, parse_iso_utc

MOMENTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def test_pinpoints_form() -> None:
    assert iso_utc(1562109174.836) == "2019-07-02T23:12:54.836Z"
    assert iso_utc(datetime(2019, 7, 2, 23, 12, 54, 836999, tzinfo=UTC)) == "2019-07-02T23:12:54.836Z"
    assert iso_utc(datetime(2019, 7, 3, 1, 12, 54, tzinfo=timezone(timedelta(hours=2))), timespec="seconds") == (
        "2019-07-02T23:12:54Z"
    )
    assert iso_utc(0.9996) == "1970-01-01T00:00:01.000Z"  # epoch seconds round to the unit


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(datetime(2019, 7, 2))
    with pytest.raises(ValueError, match="no time zone"):
        parse_iso_utc("2019-07-02T23:12:54")


@given(MOMENTS)
def test_microsecond_times_read_back_exactly(moment: datetime) -> None:
    text = iso_utc(moment, timespec="microseconds")
    assert text.endswith("Z") and parse_iso_utc(text) == moment


@given(st.integers(0, 7_000_000_000_000))
def test_epoch_milliseconds_read_back_exactly(millis: int) -> None:
    text = iso_utc(millis / 1000)
    assert round(parse_iso_utc(text).timestamp() * 1000) == millis

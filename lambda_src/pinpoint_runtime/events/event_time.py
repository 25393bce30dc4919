"""Event times of the lake's records: ISO 8601 or epoch ms to epoch ms, and the ``dt`` partition of a record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST_EVENT_MS = 1_420_070_400_000
"""2015-01-01T00:00:00Z: an ``event_timestamp`` before this is not trusted for the ``dt`` partition."""

MAX_FUTURE_SKEW_MS = 86_400_000
"""An ``event_timestamp`` more than one day after arrival is not trusted for the ``dt`` partition."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def to_epoch_ms(value: object) -> int | None:
    """Convert an ISO 8601 string (naive means UTC) or an epoch-millisecond int to epoch ms; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - _EPOCH) // _ONE_MS
    except (ValueError, OverflowError):
        return None


def partition_date(event_timestamp: object, arrival_timestamp_ms: int) -> str:
    """Return the ``dt`` partition: the UTC date of ``event_timestamp``, or of arrival when it is not plausible.

    Plausible means an int (epoch ms) from 2015-01-01 up to one day after arrival; anything else (missing, not
    an int, ancient, in the future) falls back to the arrival date so that late or skewed records stay findable.
    """
    timestamp = arrival_timestamp_ms
    if (
        isinstance(event_timestamp, int)
        and not isinstance(event_timestamp, bool)
        and EARLIEST_EVENT_MS <= event_timestamp <= arrival_timestamp_ms + MAX_FUTURE_SKEW_MS
    ):
        timestamp = event_timestamp
    return (_EPOCH + timedelta(milliseconds=timestamp)).date().isoformat()

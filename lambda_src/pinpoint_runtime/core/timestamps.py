"""The runtime's one way to write and read times: ISO 8601 in UTC with a ``Z``, as Pinpoint's API writes them
(``2019-07-02T23:12:54.836Z``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def iso_utc(moment: datetime | float | None = None, *, timespec: str = "milliseconds") -> str:
    """``moment`` (an aware datetime, or epoch seconds; default now) as ISO 8601 UTC ending in ``Z``.

    ``timespec`` is ``datetime.isoformat``'s (``seconds``, ``milliseconds``, ``microseconds``). Epoch seconds are
    rounded to the unit, datetimes truncated (as ``isoformat`` does). A naive datetime is refused: its zone is unknown.
    """
    if moment is None:
        moment = time.time()
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
    units = {"seconds": 1, "milliseconds": 1_000, "microseconds": 1_000_000}
    if timespec not in units:
        raise ValueError(f"timespec must be one of {', '.join(units)}")
    scale = units[timespec]
    ticks = round(moment * scale)
    whole, fraction = divmod(ticks, scale)
    exact = datetime.fromtimestamp(whole, UTC).replace(microsecond=fraction * (1_000_000 // scale))
    return exact.isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_iso_utc(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset) as an aware UTC datetime; a time without a zone is refused."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment.astimezone(UTC)

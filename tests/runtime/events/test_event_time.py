"""Tests of pinpoint_runtime.events.event_time: epoch ms and the ``dt`` partition."""

from __future__ import annotations

from typing import Any

import pytest

from pinpoint_runtime.events.event_time import partition_date, to_epoch_ms
from tests.runtime.events.record_samples import (
    ARRIVAL,
    DAY_MS,
    ms,
    normalize,
)

# ------------------------------------------------------------------------------------------- dt partition


@pytest.mark.parametrize(
    ("event_timestamp", "expected_dt"),
    [
        (ARRIVAL - 3 * DAY_MS, "2025-11-19"),  # late arrival: the event's own date
        (ARRIVAL + DAY_MS, "2025-11-23"),  # up to one day ahead is trusted
        (ARRIVAL + DAY_MS + 1, "2025-11-22"),  # future: arrival date
        (ms("2014-12-31T23:59:59"), "2025-11-22"),  # before 2015: arrival date
        (ms("2015-01-01T00:00:00"), "2015-01-01"),
        ("1763800000000", "2025-11-22"),  # not an int
        (True, "2025-11-22"),
        (None, "2025-11-22"),
    ],
)
def test_dt_from_event_timestamp_or_arrival(event_timestamp: Any, expected_dt: str) -> None:
    event = normalize({"event_type": "custom.x", "event_timestamp": event_timestamp})
    assert event.dt == expected_dt
    assert event.record["event_timestamp"] == event_timestamp  # the record keeps its own value


def test_partition_date_handles_day_boundaries_exactly() -> None:
    midnight = ms("2024-02-29T00:00:00")
    assert partition_date(midnight - 1, ARRIVAL) == "2024-02-28"
    assert partition_date(midnight, ARRIVAL) == "2024-02-29"


def test_to_epoch_ms() -> None:
    assert to_epoch_ms("2017-08-05T00:41:02.669Z") == 1501893662669
    assert to_epoch_ms("2017-08-05T02:41:02.669+02:00") == 1501893662669
    assert to_epoch_ms("2017-08-05T00:41:02.669") == 1501893662669
    assert to_epoch_ms(1501893662669) == 1501893662669
    assert to_epoch_ms("soon") is None
    assert to_epoch_ms(True) is None
    assert to_epoch_ms(None) is None

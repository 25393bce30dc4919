"""The CSV header rules (pinpoint_runtime.audience.import_header)."""

from __future__ import annotations

from pinpoint_runtime.audience.import_fast_check import validate_file
from tests.support.import_files import (
    _bytes,
    _items,
)


def test_repeated_headers_dotted_and_unknown_columns():
    data = (
        "Id,Attributes.Ride,Attributes.Ride,Location.Country,Location.Latitude,Metrics.score,"
        "User.UserId,User.UserAttributes.tier,Demographic.Platform,Loyalty,address\n"
        "e1,Bus,Train,US,47.6,3.5,u1,gold,iOS,yes,somewhere\n"
    )
    (item,) = _items(data)
    assert item["Id"] == "e1"
    assert item["Attributes"] == {"Ride": ["Bus", "Train"], "Loyalty": ["yes"], "address": ["somewhere"]}
    assert item["Location"] == {"Country": "US", "Latitude": 47.6}
    assert item["Metrics"] == {"score": 3.5}
    assert item["User"] == {"UserId": "u1", "UserAttributes": {"tier": ["gold"]}}
    assert item["Demographic"] == {"Platform": "iOS"}
    assert "Address" not in item  # case-mismatched column is never the standard one
    summary = validate_file(_bytes(data))
    assert any("'address' is not the standard 'Address'" in w for w in summary.warnings)

"""iter_endpoints over whole files (pinpoint_runtime.audience.import_reader)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.import_fast_check import validate_file
from pinpoint_runtime.audience.import_reader import iter_endpoints
from tests.support.import_files import (
    DATA,
    PHONE_TEXT,
    TEXT_CELL,
    _bytes,
    _items,
)


def test_reference_sample_imports_normalised():
    items = list(iter_endpoints(DATA / "sample_data_S3_triggered_import.csv"))
    assert [i["Address"] for i in items] == [
        "+14256791901",
        "+12025550191",
        "+16055550198",
        "+14256791901",
        "+351282435050",
    ]
    assert items[0]["Attributes"] == {"FirstName": ["John"], "LastName": ["Smith"], "Timezone": ["CST"]}
    # the two rows with 14256791901 are the same endpoint (deterministic id): the second updates the first
    assert items[0]["Id"] == items[3]["Id"] and items[0]["Id"].startswith("imp-")
    assert len({i["Id"] for i in items}) == 4
    summary = validate_file(DATA / "sample_data_S3_triggered_import.csv")
    assert (summary.rows, summary.valid, summary.rejected, dict(summary.channels)) == (5, 5, 0, {"SMS": 5})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["SMS", "EMAIL", "VOICE", "sms", "", "PUSH"]), PHONE_TEXT | TEXT_CELL, TEXT_CELL),
        max_size=15,
    )
)
def test_csv_rows_never_crash(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ChannelType", "Address", "Attributes.x"])
    writer.writerows(rows)
    results = _items(buffer.getvalue())
    summary = validate_file(_bytes(buffer.getvalue()))
    assert summary.valid + summary.rejected == summary.rows == len(results)
    for result in results:
        if isinstance(result, dict) and result.get("ChannelType") in ("SMS", "VOICE"):
            assert result["Address"].startswith("+") and result["Address"][1:].isdigit()

"""pinpoint_runtime.core.strict_json: RFC 8259 JSON only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.core import strict_json

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "[-1e400]"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        strict_json.loads(text)


def test_bytes_are_read_like_json_loads_reads_them() -> None:
    assert strict_json.loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}
    assert strict_json.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError):
        strict_json.loads(b'{"a": "\xff"}')


@given(JSON_VALUES)
def test_everything_json_writes_reads_back(value) -> None:
    assert strict_json.loads(json.dumps(value)) == value
    assert strict_json.loads(json.dumps(value).encode()) == value

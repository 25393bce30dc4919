"""pinpoint_runtime.core.dynamodb_items: plain values to typed items and back."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.core.dynamodb_items import from_item, plain_item, to_item, without_decimals

PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.text()
    # DynamoDB numbers: magnitudes 1e-130 to 1e126
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100).filter(
        lambda number: number == 0 or abs(number) >= 1e-100
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(min_size=1), children, max_size=3),
    max_leaves=12,
)


def test_flat_records() -> None:
    item = {"phone_number": {"S": "+14255550182"}, "version": {"N": "3"}, "listed": {"BOOL": True}, "x": {"NULL": True}}
    assert plain_item(item) == {"phone_number": "+14255550182", "version": 3, "listed": True}


def test_counts_come_back_as_integers() -> None:
    assert without_decimals({"Size": Decimal(3), "Share": Decimal("0.5")}, integers=True) == {"Size": 3, "Share": 0.5}
    assert without_decimals([Decimal(3)]) == [3.0] and isinstance(without_decimals(Decimal(3)), float)


@given(st.dictionaries(st.text(min_size=1), PLAIN, max_size=4))
def test_floats_survive_the_round_trip(values) -> None:
    assert without_decimals(from_item(to_item(values))) == values

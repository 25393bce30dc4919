"""pinpoint_runtime.core.environment: one declaration per setting, written and read back exactly."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.core.environment import (
    COMMA_LIST,
    FunctionSettings,
    SettingsError,
    variable,
)


@dataclass(frozen=True, kw_only=True)
class Example(FunctionSettings):
    construct: ClassVar[str] = "Example"
    bucket: str = variable("EXAMPLE_BUCKET")
    rows: int = variable("EXAMPLE_ROWS", default=2000)
    rate: float = variable("EXAMPLE_RATE", default=1.0)
    strict: bool = variable("EXAMPLE_STRICT", default=True)
    topic: str | None = variable("EXAMPLE_TOPIC", default=None)
    names: tuple[str, ...] = variable("EXAMPLE_NAMES", default=())
    rates: dict[str, float] | None = variable("EXAMPLE_RATES", default=None)
    kinds: tuple[str, ...] = variable("EXAMPLE_KINDS", default=(), codec=COMMA_LIST)


def test_defaults_apply_and_none_is_left_out() -> None:
    settings = Example(bucket="b")
    assert settings.to_environment() == {
        "EXAMPLE_BUCKET": "b",
        "EXAMPLE_ROWS": "2000",
        "EXAMPLE_RATE": "1",
        "EXAMPLE_STRICT": "true",
        "EXAMPLE_NAMES": "[]",
        "EXAMPLE_KINDS": "",
    }
    assert Example.from_environment({"EXAMPLE_BUCKET": "b"}) == settings


def test_a_missing_required_variable_names_itself_and_its_construct() -> None:
    with pytest.raises(SettingsError, match="EXAMPLE_BUCKET is not set \\(the Example construct sets it\\)"):
        Example.from_environment({})


@pytest.mark.parametrize(
    ("name", "value"),
    [("EXAMPLE_ROWS", "many"), ("EXAMPLE_STRICT", "maybe"), ("EXAMPLE_NAMES", '{"a": 1}'), ("EXAMPLE_RATE", "x")],
)
def test_an_invalid_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} is invalid"):
        Example.from_environment({"EXAMPLE_BUCKET": "b", name: value})


def test_empty_values_count_as_unset() -> None:
    assert Example.from_environment({"EXAMPLE_BUCKET": "b", "EXAMPLE_ROWS": "", "EXAMPLE_TOPIC": ""}).rows == 2000
    with pytest.raises(SettingsError):
        Example.from_environment({"EXAMPLE_BUCKET": ""})


def test_optional_attachments_read_as_none_when_nothing_is_set() -> None:
    assert Example.from_environment_if_set({}) is None
    assert Example.from_environment_if_set({"EXAMPLE_BUCKET": "b"}) == Example(bucket="b")


def test_declarations_are_checked() -> None:
    assert Example.required_variables() == {"EXAMPLE_BUCKET"}
    with pytest.raises(TypeError, match="mutable"):
        variable("X", default=[])


@given(
    bucket=st.text(min_size=1).filter(lambda s: "\x00" not in s),
    rows=st.integers(-(10**12), 10**12),
    rate=st.floats(allow_nan=False, allow_infinity=False, width=64),
    strict=st.booleans(),
    topic=st.none() | st.text(min_size=1),
    names=st.lists(st.text(), max_size=4).map(tuple),
    rates=st.none() | st.dictionaries(st.text(), st.floats(allow_nan=False, allow_infinity=False), max_size=3),
    kinds=st.lists(st.text(alphabet="ABCXYZ", min_size=1), max_size=4).map(tuple),
)
def test_every_value_reads_back_as_written(bucket, rows, rate, strict, topic, names, rates, kinds) -> None:
    settings = Example(
        bucket=bucket, rows=rows, rate=rate, strict=strict, topic=topic, names=names, rates=rates, kinds=kinds
    )
    assert Example.from_environment(settings.to_environment()) == settings


class Kind(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    PROMOTIONAL = "PROMOTIONAL"


@dataclass(frozen=True, kw_only=True)
class WithEnum(FunctionSettings):
    construct: ClassVar[str] = "Example"
    kind: Kind = variable("EXAMPLE_KIND", default=Kind.TRANSACTIONAL)
    other: Kind | None = variable("EXAMPLE_OTHER_KIND", default=None)


def test_enum_fields_are_written_by_value_and_read_back_as_members() -> None:
    settings = WithEnum(kind=Kind.PROMOTIONAL, other=Kind.TRANSACTIONAL)
    assert settings.to_environment() == {"EXAMPLE_KIND": "PROMOTIONAL", "EXAMPLE_OTHER_KIND": "TRANSACTIONAL"}
    read = WithEnum.from_environment({"EXAMPLE_KIND": "PROMOTIONAL"})
    assert read.kind is Kind.PROMOTIONAL and read.other is None
    with pytest.raises(SettingsError, match="EXAMPLE_KIND"):
        WithEnum.from_environment({"EXAMPLE_KIND": "MARKETING"})

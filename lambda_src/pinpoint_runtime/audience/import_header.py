"""The header of a CSV import file: each column's meaning (:func:`compile_header`).

Header rules:

* Standard columns are matched exactly and case-sensitively, as Pinpoint does: ``Id``, ``ChannelType``,
  ``Address``, ``OptOut``, ``RequestId``, ``EffectiveDate``, ``User.UserId``, ``Demographic.<field>``,
  ``Location.<field>`` (Latitude/Longitude numeric), ``Attributes.<name>``, ``User.UserAttributes.<name>``,
  ``Metrics.<name>`` (numeric).
* A repeated ``Attributes.x``/``User.UserAttributes.x`` header is one multi-valued attribute (one value per
  column, empty cells skipped).
* Any other column becomes ``Attributes.<column>`` (e.g. ``FirstName`` -> ``Attributes.FirstName``). A column
  that differs from a standard one only by case (``address``) is therefore the custom attribute
  ``Attributes.address``: it is never renamed to the standard column; the summary lists a warning for it.
* An unknown field under a standard prefix (``Location.Foo``, ``Demographic.Foo``, ``User.Foo``) or an empty
  name (``Attributes.``) makes the file unusable (:class:`ImportFileError`), since no interpretation is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pinpoint_runtime.audience.import_file import ImportFileError

_TOP_LEVEL = frozenset({"Id", "ChannelType", "Address", "OptOut", "RequestId", "EffectiveDate"})
_DEMOGRAPHIC = frozenset(
    {"AppVersion", "Locale", "Make", "Model", "ModelVersion", "Platform", "PlatformVersion", "Timezone"}
)
_LOCATION_TEXT = frozenset({"City", "Country", "PostalCode", "Region"})
_LOCATION_NUMBERS = frozenset({"Latitude", "Longitude"})
_STANDARD_LOWER = {name.lower(): name for name in _TOP_LEVEL | {"User.UserId"}}


#: What a column holds: a top-level field, User.UserId, Demographic.*, Location text, Location.Latitude/Longitude,
#: Attributes.*, User.UserAttributes.*, Metrics.*.
ColumnKind = Literal["top", "user_id", "demo", "loc", "locnum", "attr", "uattr", "metric"]


@dataclass(frozen=True, slots=True)
class _Column:
    kind: ColumnKind
    key: str
    name: str  # header as written


def compile_header(header: list[str]) -> tuple[list[_Column], list[str]]:
    """Column specs for a CSV header, and warnings (case-mismatched standard columns)."""
    if not header or all(not h.strip() for h in header):
        raise ImportFileError("the file has no header line (the first line must name the columns)")
    columns, warnings = [], []
    for name in header:
        if name in _TOP_LEVEL:
            columns.append(_Column("top", name, name))
        elif name == "User.UserId":
            columns.append(_Column("user_id", "UserId", name))
        elif name.startswith("Demographic."):
            key = name[len("Demographic.") :]
            if key not in _DEMOGRAPHIC:
                raise ImportFileError(f"unknown standard column {name!r} (Demographic fields: {sorted(_DEMOGRAPHIC)})")
            columns.append(_Column("demo", key, name))
        elif name.startswith("Location."):
            key = name[len("Location.") :]
            if key in _LOCATION_NUMBERS:
                columns.append(_Column("locnum", key, name))
            elif key in _LOCATION_TEXT:
                columns.append(_Column("loc", key, name))
            else:
                raise ImportFileError(f"unknown standard column {name!r}")
        elif name.startswith("User.UserAttributes."):
            columns.append(_Column("uattr", _custom(name, "User.UserAttributes."), name))
        elif name.startswith("User."):
            raise ImportFileError(f"unknown standard column {name!r} (User.UserId or User.UserAttributes.<name>)")
        elif name.startswith("Attributes."):
            columns.append(_Column("attr", _custom(name, "Attributes."), name))
        elif name.startswith("Metrics."):
            columns.append(_Column("metric", _custom(name, "Metrics."), name))
        else:
            if not name.strip():
                raise ImportFileError("the header has an empty column name")
            standard = _STANDARD_LOWER.get(name.lower())
            if standard:
                warnings.append(
                    f"column {name!r} is not the standard {standard!r} (header names are case-sensitive); "
                    f"it is imported as Attributes.{name}"
                )
            columns.append(_Column("attr", name, name))
    return columns, warnings


def _custom(name: str, prefix: str) -> str:
    key = name[len(prefix) :]
    if not key:
        raise ImportFileError(f"column {name!r} has an empty attribute name")
    return key

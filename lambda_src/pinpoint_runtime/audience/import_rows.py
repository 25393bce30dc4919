"""Row conversion: one CSV record or JSON line to a validated EndpointBatchItem or a :class:`Rejected`.

Blank lines are skipped; a row with a different number of cells than the header is rejected.

Ids: a row's ``Id`` is used when given (an update needs only ``Id``). Otherwise ``ChannelType`` and ``Address``
are required and the id is derived deterministically, ``"imp-" + sha256(ChannelType + ":" + normalised
address)[:32]`` (email addresses lower-cased for the hash only), so re-importing the same address updates the
same endpoint, and two rows with the same number in different spellings land on one endpoint.

Validation is :func:`pinpoint_runtime.audience.store.validate_endpoint_request` (the EndpointStore's own checks);
phone numbers are normalised to E.164 with an LRU cache and a pre-check that skips ``parse``/``format`` for
strings already in E.164 (and NANPA national spellings when the default country uses +1), matched against one
precompiled pattern per calling code (:mod:`pinpoint_runtime.phone`); results are identical to the store's
``normalise_address``. CSV rows whose every cell passes the specialised per-column checks of :func:`_plan` skip
the generic validation (property-tested to decide exactly as it does).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, cast

from pinpoint_runtime.audience.endpoint_request import (
    CHANNEL_TYPES,
    MAX_ADDRESS_LENGTH,
    MAX_ATTRIBUTE_NAME_LENGTH,
    MAX_ATTRIBUTE_VALUE_LENGTH,
    OPT_OUT_VALUES,
    PHONE_CHANNELS,
    EndpointValidationError,
    normalise_address,
    validate_endpoint_request,
)
from pinpoint_runtime.audience.import_header import _Column
from pinpoint_runtime.phone import country_code, e164_or_problem

_PII_COLUMN = re.compile(r"address|name|email|e-mail|phone|mobile|msisdn|number|birth|userid|user_id", re.I)
MASK = "***"
_EMAIL_FAST = re.compile(
    r"(?=.{1,254}\Z)[^@\x00- ]{1,64}@(?:(?!-)[^@.\x00- ]{1,63}(?<!-)\.)+(?!-)[^@.\x00- ]{1,63}(?<!-)", re.S
)
#: _EMAIL_FAST for findall over ASCII strings joined with "\n" (none of its classes matches "\n")


@dataclass(frozen=True, slots=True)
class Rejected:
    """One rejected row: 1-based physical line where the record starts, the column/field, the reason, and the
    row (column -> value; PII columns masked when requested)."""

    line: int
    field: str
    reason: str
    row: dict[str, Any] | None = None


def _endpoint_id(channel: str, address: str) -> str:
    key = address.lower() if channel == "EMAIL" else address
    return "imp-" + hashlib.sha256(f"{channel}:{key}".encode()).hexdigest()[:32]


class _Converter:
    def __init__(self, columns: list[_Column] | None, default_country: str, strip_pii: bool) -> None:
        self.columns = columns
        self.default_country = default_country
        self.strip_pii = strip_pii
        self.nanpa = country_code(default_country) == 1
        self.masked = (
            [
                (c.kind == "top" and c.key == "Address") or c.kind == "user_id" or bool(_PII_COLUMN.search(c.name))
                for c in columns
            ]
            if columns
            else []
        )

        self.plan = _plan(columns) if columns else []

    def csv_row(self, line: int, cells: list[str]) -> dict | Rejected:
        """The validated EndpointBatchItem or the rejection. Rows whose every cell passes the specialised checks
        of :func:`_plan` (checks that imply the store's) skip the generic validation; any other row takes the
        reference path (dict + ``validate_endpoint_request``), so rejections are the store's own."""
        if len(cells) != len(self.columns):  # type: ignore[arg-type]
            return self._reject(line, "row", f"has {len(cells)} cells; the header has {len(self.columns)}", cells)  # type: ignore[arg-type]
        clean = self._fast(cells)
        if clean is None:
            return self.csv_row_reference(line, cells)
        return self.complete(line, clean, cells)

    def _fast(self, cells: list[str]) -> dict | None:
        """Specialised per-column checks; None when any cell needs the generic validation."""
        clean: dict[str, Any] = {}
        endpoint_id = None
        for (code, key), value in zip(self.plan, cells, strict=False):
            if not value:
                continue
            if code == _C_ATTR:
                if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
                    return None
                attributes = clean.get("Attributes")
                if attributes is None:
                    clean["Attributes"] = {key: [value]}
                elif key in attributes:
                    attributes[key].append(value)
                else:
                    attributes[key] = [value]
            elif code == _C_CHANNEL:
                if value not in CHANNEL_TYPES:
                    return None
                clean["ChannelType"] = value
            elif code == _C_ADDRESS:
                stripped = value.strip()
                if not stripped or len(value) > MAX_ADDRESS_LENGTH:
                    return None
                clean["Address"] = stripped
            elif code in (_C_USER_ID, _C_ID):
                if len(value) > 1024 or "#" in value or not value.strip():
                    return None
                if code == _C_ID:
                    endpoint_id = value
                else:
                    clean.setdefault("User", {})["UserId"] = value
            elif code == _C_TEXT:  # Demographic.* / Location text / RequestId
                if len(value) > 1024:
                    return None
                group, name = key
                if group:
                    clean.setdefault(group, {})[name] = value
                else:
                    clean[name] = value
            elif code == _C_OPT_OUT:
                if value not in OPT_OUT_VALUES:
                    return None
                clean["OptOut"] = value
            elif code in (_C_METRIC, _C_LOCNUM):
                try:
                    number = float(value)
                except ValueError:
                    return None
                if not _finite_dynamo(number):
                    return None
                if code == _C_METRIC:
                    clean.setdefault("Metrics", {})[key] = number
                else:
                    limit = _LOCATION_LIMITS[key]
                    if not -limit <= number <= limit:
                        return None
                    clean.setdefault("Location", {})[key] = number
            elif code == _C_UATTR:
                if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
                    return None
                user = clean.setdefault("User", {})
                user.setdefault("UserAttributes", {}).setdefault(key, []).append(value)
            else:  # _C_GENERIC: EffectiveDate, over-long custom names, ...
                return None
        if endpoint_id is not None:
            clean["Id"] = endpoint_id
        return clean

    def csv_row_reference(self, line: int, cells: list[str]) -> dict | Rejected:
        """Reference path: build the EndpointBatchItem and run the store's generic validation."""
        columns = self.columns
        assert columns is not None
        item: dict[str, Any] = {}
        for column, value in zip(columns, cells, strict=False):
            if not value:
                continue
            kind = column.kind
            if kind == "top":
                item[column.key] = value
            elif kind == "attr":
                item.setdefault("Attributes", {}).setdefault(column.key, []).append(value)
            elif kind == "user_id":
                item.setdefault("User", {})["UserId"] = value
            elif kind == "uattr":
                item.setdefault("User", {}).setdefault("UserAttributes", {}).setdefault(column.key, []).append(value)
            elif kind == "demo":
                item.setdefault("Demographic", {})[column.key] = value
            elif kind == "loc":
                item.setdefault("Location", {})[column.key] = value
            else:  # metric / locnum
                try:
                    number = float(value)
                except ValueError:
                    return self._reject(line, column.name, "must be a number", cells)
                if kind == "metric":
                    item.setdefault("Metrics", {})[column.key] = number
                else:
                    item.setdefault("Location", {})[column.key] = number
        return self.finish(line, item, cells)

    def json_row(self, line: int, text: str) -> dict | Rejected | None:
        if not text.strip():
            return None
        try:
            item = json.loads(text)
        except ValueError as error:  # JSONDecodeError, or e.g. an integer too long to convert
            problem = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
            return Rejected(line, "row", f"is not valid JSON ({problem})", None if self.strip_pii else {"json": text})
        if not isinstance(item, dict):
            return Rejected(line, "row", "must be a JSON object (an EndpointBatchItem)", None)
        return self.finish(line, item, item)

    def finish(self, line: int, item: dict, raw: Any) -> dict | Rejected:
        try:
            clean = validate_endpoint_request(item, "Item", normalise_address=False)
        except EndpointValidationError as error:
            return self._reject(line, _field_name(error.field), error.problem, raw)
        return self.complete(line, clean, raw)

    def complete(self, line: int, clean: dict, raw: Any) -> dict | Rejected:
        """Id / ChannelType / Address rules and address normalisation on a validated item."""
        channel, address = clean.get("ChannelType"), clean.get("Address")
        has_id = "Id" in clean
        field_name, value = self.verdict(channel, address, has_id)
        if field_name is not None:
            return self._reject(line, field_name, value, raw)
        if channel and address:
            clean["Address"] = value
        if not has_id:
            clean["Id"] = _endpoint_id(cast(str, channel), clean["Address"])  # verdict: a channel without Id
        return clean

    def verdict(self, channel: str | None, address: str | None, has_id: bool) -> tuple[str | None, str]:
        """The Id / ChannelType / Address rules of :meth:`complete`: ``(None, normalised address)`` when they
        pass (the address unchanged when there is nothing to normalise), else ``(field, reason)``. Only these
        three values decide, which is what lets the counting path (:class:`_CsvCounter`) memoise them."""
        if not has_id:
            if not channel:
                return "ChannelType", "is required for a new endpoint (no Id)"
            if not address:
                return "Address", "is required for a new endpoint (no Id)"
        if channel and address:
            if channel in PHONE_CHANNELS:
                e164, problem = e164_or_problem(address, self.default_country, self.nanpa)
                if e164 is None:
                    return "Address", f"{problem} (channel {channel})"
                return None, e164
            if channel == "EMAIL" and address.isascii() and _EMAIL_FAST.fullmatch(address):
                return None, address  # what endpoint_store._looks_like_email accepts (ASCII: controls are <= " ")
            try:
                return None, normalise_address(channel, address, "Address", default_country=self.default_country)
            except EndpointValidationError as error:
                return "Address", error.problem
        return None, address  # type: ignore[return-value]

    def _reject(self, line: int, field_name: str, reason: str, raw: Any) -> Rejected:
        return Rejected(line, field_name, reason, self._row(raw))

    def _row(self, raw: Any) -> dict | None:
        if isinstance(raw, list):
            if self.columns is None:
                return None
            row: dict[str, Any] = {}
            for index, (column, value) in enumerate(zip(self.columns, raw, strict=False)):
                if self.strip_pii and self.masked[index] and value:
                    value = MASK
                name = column.name if column.name not in row else f"{column.name}#{index}"
                row[name] = value
            return row
        if isinstance(raw, dict):
            return _mask_json(raw) if self.strip_pii else raw
        return None


_C_GENERIC, _C_CHANNEL, _C_ADDRESS, _C_ID, _C_OPT_OUT, _C_TEXT, _C_ATTR, _C_USER_ID, _C_UATTR, _C_METRIC, _C_LOCNUM = (
    range(11)
)
_LOCATION_LIMITS = {"Latitude": 90.0, "Longitude": 180.0}
_DYNAMO_MIN, _DYNAMO_MAX = 1e-130, 9.9e125  # endpoint_store._number's bounds


def _finite_dynamo(number: float) -> bool:
    return math.isfinite(number) and abs(number) < _DYNAMO_MAX and (number == 0 or abs(number) >= _DYNAMO_MIN)


def _plan(columns: list[_Column]) -> list[tuple[int, Any]]:
    """Per column: (check code, key). Each specialised check accepts only cells the store accepts, with the same
    cleaned value (CSV cells come from strict UTF-8 decoding, so they always encode); anything else is
    _C_GENERIC, which sends rows with a value there to the reference path."""
    plan: list[tuple[int, Any]] = []
    for column in columns:
        kind, key = column.kind, column.key
        named_ok = 0 < len(key) <= MAX_ATTRIBUTE_NAME_LENGTH
        if kind == "top":
            code = {
                "ChannelType": _C_CHANNEL,
                "Address": _C_ADDRESS,
                "Id": _C_ID,
                "OptOut": _C_OPT_OUT,
                "RequestId": _C_TEXT,
            }.get(key, _C_GENERIC)
            plan.append((code, ("", key) if code == _C_TEXT else key))
        elif kind == "user_id":
            plan.append((_C_USER_ID, key))
        elif kind in ("demo", "loc"):
            plan.append((_C_TEXT, ("Demographic" if kind == "demo" else "Location", key)))
        elif kind == "locnum":
            plan.append((_C_LOCNUM, key))
        elif kind == "attr":
            plan.append((_C_ATTR if named_ok else _C_GENERIC, key))
        elif kind == "uattr":
            plan.append((_C_UATTR if named_ok else _C_GENERIC, key))
        elif kind == "metric":
            plan.append((_C_METRIC if named_ok else _C_GENERIC, key))
        else:
            plan.append((_C_GENERIC, key))
    return plan


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` (an endpoint item or a JSON record) with PII-named fields masked, as rejects files show rows when
    ``strip_pii_from_rejects`` is on."""
    return _mask_json(row)


def _mask_json(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask_json(v, k) for k, v in value.items()}
    if key and _PII_COLUMN.search(key) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, list):
        return [_mask_json(v, key) for v in value]
    return value


def _field_name(path: str) -> str:
    name = path[len("Item.") :] if path.startswith("Item.") else path
    return name.replace("[", ".").replace("]", "")

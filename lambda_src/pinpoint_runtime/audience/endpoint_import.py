"""Streaming validation of Pinpoint endpoint import files (CSV and newline-delimited JSON).

The same code runs in the import Lambda and in ``pinpoint-constructs validate-import``. Files are read as a
stream (the binary stream decoded one physical line at a time, so decode errors name their line; the ``csv``
module on top handles quoted commas and quoted line breaks): the whole file is
never held in memory.

Header rules (CSV):
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
* Blank lines are skipped; a row with a different number of cells than the header is rejected.

Ids: a row's ``Id`` is used when given (an update needs only ``Id``). Otherwise ``ChannelType`` and ``Address``
are required and the id is derived deterministically, ``"imp-" + sha256(ChannelType + ":" + normalised
address)[:32]`` (email addresses lower-cased for the hash only), so re-importing the same address updates the
same endpoint, and two rows with the same number in different spellings land on one endpoint.

Validation is :func:`pinpoint_runtime.audience.store.validate_endpoint_request` (the EndpointStore's own checks);
phone numbers are normalised to E.164 with an LRU cache and a pre-check that skips ``parse``/``format`` for
strings already in E.164 (and NANPA national spellings when the default country uses +1), matched against one
precompiled pattern per calling code (:mod:`pinpoint_runtime.phone`); results are identical to the store's
``normalise_address``.

:func:`validate_file` (counts and rejects only) takes CSV records in batches (:class:`_CsvCounter`): column-wise
checks at C speed, one verdict per distinct (ChannelType, Address, has Id), no items or ids built; it is
property-tested to accept and reject exactly like :func:`iter_endpoints`, with the same reasons and lines.
:func:`validate_file_parallel` (the ``validate-import`` CLI) plans byte ranges and lets each worker process read
and parse its own ranges.

Splitting for parallel work: :func:`plan_import` reads a file once (raising every file-level
:class:`ImportFileError` first) and returns an :class:`ImportPlan` of byte ranges cut at record boundaries found by
the csv module itself (a quoted line break never splits); :func:`iter_chunk_endpoints` turns the bytes of one range
(e.g. an S3 ranged GET body) into exactly what :func:`iter_endpoints` yields for those records, same line numbers.
Sources are paths or any object with ``read(n) -> bytes`` (botocore's StreamingBody included).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import hashlib
import io
import itertools
import json
import math
import operator
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, Union

from pinpoint_runtime.audience.store import (
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
from pinpoint_runtime.phone import (
    CALLING_CODES,
    NANPA_PUNCTUATION,
    calling_code_info,
    country_code,
    e164_or_problem,
)

Source = Union[str, "os.PathLike[str]", BinaryIO]

_TOP_LEVEL = frozenset({"Id", "ChannelType", "Address", "OptOut", "RequestId", "EffectiveDate"})
_DEMOGRAPHIC = frozenset(
    {"AppVersion", "Locale", "Make", "Model", "ModelVersion", "Platform", "PlatformVersion", "Timezone"}
)
_LOCATION_TEXT = frozenset({"City", "Country", "PostalCode", "Region"})
_LOCATION_NUMBERS = frozenset({"Latitude", "Longitude"})
_STANDARD_LOWER = {name.lower(): name for name in _TOP_LEVEL | {"User.UserId"}}
_PII_COLUMN = re.compile(r"address|name|email|e-mail|phone|mobile|msisdn|number|birth|userid|user_id", re.I)
MASK = "***"
_EMAIL_FAST = re.compile(
    r"(?=.{1,254}\Z)[^@\x00- ]{1,64}@(?:(?!-)[^@.\x00- ]{1,63}(?<!-)\.)+(?!-)[^@.\x00- ]{1,63}(?<!-)", re.S
)
#: _EMAIL_FAST for findall over ASCII strings joined with "\n" (none of its classes matches "\n")
_EMAIL_FAST_LINES = re.compile(
    r"^(?=[^\n]{1,254}$)[^@\x00- ]{1,64}@(?:(?!-)[^@.\x00- ]{1,63}(?<!-)\.)+(?!-)[^@.\x00- ]{1,63}(?<!-)$", re.MULTILINE
)


class ImportFileError(ValueError):
    """The file cannot be imported at all (binary, not UTF-8, no header, empty, unusable header)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """One rejected row: 1-based physical line where the record starts, the column/field, the reason, and the
    row (column -> value; PII columns masked when requested)."""

    line: int
    field: str
    reason: str
    row: dict[str, Any] | None = None


@dataclass
class ImportSummary:
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    by_reason: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def lines(self, top: int = 5) -> list[str]:
        out = [f"rows: {self.rows}", f"valid: {self.valid}", f"rejected: {self.rejected}"]
        if self.channels:
            out.append("channels: " + ", ".join(f"{c} {n}" for c, n in self.channels.most_common()))
        if self.by_reason:
            out.append("top reasons:")
            out.extend(f"  {n} x {reason}" for reason, n in self.by_reason.most_common(top))
        out.extend(f"warning: {w}" for w in self.warnings)
        return out


# ------------------------------------------------------------------------------------------------ opening


def _open_binary(source: Source) -> tuple[BinaryIO, str, bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), os.fspath(source), True
    return source, getattr(source, "name", "") or "", False


_HEAD_SIZE = 8192


class _Prefixed:
    """A stream that serves ``head`` (bytes already read from ``stream``) and then the rest of ``stream``. Only
    ``read(n)`` of the source is relied on, so botocore's StreamingBody, sockets and any object with
    ``read(n) -> bytes`` (short reads included) work. It never closes the source."""

    __slots__ = ("_head", "_stream")

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int = -1) -> bytes:
        head = self._head
        if head:
            if size is None or size < 0:
                self._head = b""
                return head + self._stream.read()
            self._head = head[size:]
            return head[:size]
        return self._stream.read(size)


def _peek(stream: Any) -> tuple[Any, bytes]:
    """(a stream positioned where ``stream`` was, its first 8 KiB or fewer at EOF)."""
    if isinstance(stream, io.BytesIO):
        position = stream.tell()
        return stream, stream.getbuffer()[position : position + _HEAD_SIZE].tobytes()
    parts, size = [], 0
    while size < _HEAD_SIZE:
        data = stream.read(_HEAD_SIZE - size)
        if not data:
            break
        parts.append(data)
        size += len(data)
    head = b"".join(parts)
    return _Prefixed(head, stream), head


def detect_format(name: str, head: bytes) -> str:
    """ "CSV" or "JSON" (newline-delimited): by extension, else by the first non-blank byte."""
    ext = os.path.splitext(name)[1].lower()
    if ext == ".csv":
        return "CSV"
    if ext in (".json", ".ndjson", ".jsonl"):
        return "JSON"
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    return "JSON" if body.lstrip()[:1] == b"{" else "CSV"


def _check_head(head: bytes) -> None:
    if not head or head == codecs.BOM_UTF8:
        raise ImportFileError("the file is empty")
    if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04" or head[:3] == b"BZh":
        raise ImportFileError("the file is compressed (gzip/zip/bzip2); Pinpoint imports need plain UTF-8 text")
    if b"\x00" in head:
        raise ImportFileError("the file is binary (contains NUL bytes), not UTF-8 CSV or JSON text")


def _decode_error(error: UnicodeDecodeError, line: int) -> ImportFileError:
    return ImportFileError(
        f"the file is not UTF-8: undecodable byte 0x{error.object[error.start]:02x} near line {line} "
        "(save it as UTF-8; Latin-1/Windows-1252 exports must be converted)"
    )


# ------------------------------------------------------------------------------------------------ CSV header


@dataclass(frozen=True, slots=True)
class _Column:
    kind: str  # top | user_id | demo | loc | locnum | attr | uattr | metric
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


def _endpoint_id(channel: str, address: str) -> str:
    key = address.lower() if channel == "EMAIL" else address
    return "imp-" + hashlib.sha256(f"{channel}:{key}".encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------------------------ rows


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
        except ValueError as error:
            return Rejected(line, "row", f"is not valid JSON ({error.msg})", None if self.strip_pii else {"json": text})
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
            clean["Id"] = _endpoint_id(channel, clean["Address"])
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


# ------------------------------------------------------------------------------------------------ readers


def _text_lines(stream: BinaryIO, block_size: int = 1 << 18, strip_bom: bool = True) -> Iterator[str]:
    """UTF-8 lines (line endings kept, split on "\\n" only, BOM dropped): the stream is decoded in blocks cut at
    line ends and each block's lines are served by C iterators, so memory stays flat; a decode error names its
    exact line, after every complete line before it has been yielded."""
    return itertools.chain.from_iterable(_text_blocks(stream, block_size, strip_bom))


def _text_blocks(stream: BinaryIO, block_size: int, strip_bom: bool = True) -> Iterator[io.StringIO]:
    for _offset, _lines_before, _data, text in _decoded_blocks(stream, block_size, strip_bom):
        yield io.StringIO(text, newline="\n")


def _decoded_blocks(
    stream: BinaryIO, block_size: int, strip_bom: bool = True, line_offset: int = 0
) -> Iterator[tuple[int, int, bytes, str]]:
    """(byte offset, physical lines before, bytes, text) of consecutive blocks cut just after a "\\n" (the last
    block may end without one). A decode error is raised after the block's complete lines before it."""
    lines_before = 0
    offset = 0
    pending = b""
    first = strip_bom
    while True:
        data = stream.read(block_size)
        if data:
            buffer = pending + data if pending else data
            cut = buffer.rfind(b"\n") + 1
            if not cut:
                pending = buffer
                continue
            chunk, pending = buffer[:cut], buffer[cut:]
        else:
            chunk, pending = pending, b""
            if not chunk:
                return
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            good = chunk.rfind(b"\n", 0, error.start) + 1
            text = chunk[:good].decode("utf-8")
            if first and text.startswith("\ufeff"):
                text = text[1:]
            yield offset, lines_before, chunk[:good], text
            line = line_offset + lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise _decode_error(error, line) from None
        if first:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        yield offset, lines_before, chunk, text
        lines_before += chunk.count(b"\n")
        offset += len(chunk)
        if not data:
            return


def _csv_records(lines: Iterator[str], lines_before: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) for each non-blank record (the header is the first of a whole file); line numbers are
    counted from ``lines_before`` + 1."""
    return _reader_records(csv.reader(lines), lines_before, lines_before)


def _reader_records(reader: Any, lines_before: int, previous_end: int) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) for each further non-blank record of a csv reader whose line 1 is ``lines_before`` + 1
    and whose records so far ended on line ``previous_end``."""
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = lines_before + reader.line_num
            if cells:
                yield start, cells
    except csv.Error as error:
        raise _csv_error(error, lines_before + reader.line_num) from None


def _csv_error(error: csv.Error, line: int) -> ImportFileError:
    return ImportFileError(f"CSV syntax error near line {line}: {error}")


def _csv_batches(reader: Any, lines_before: int, previous_end: int, size: int) -> Iterator[tuple[Any, list[list[str]]]]:
    """Like :func:`_reader_records`, in lists: (start lines, cells) of up to ``size`` non-blank records."""
    islice = itertools.islice
    while True:
        try:
            batch = list(islice(reader, size))
        except csv.Error as error:
            raise _csv_error(error, lines_before + reader.line_num) from None
        if not batch:
            return
        end = lines_before + reader.line_num
        starts, records = _batch_starts(batch, previous_end, end)
        previous_end = end
        if records:
            yield starts, records
        if len(batch) < size:
            return


def _batch_starts(batch: list[list[str]], previous_end: int, end: int) -> tuple[Any, list[list[str]]]:
    """(start lines, non-blank records) of records read after line ``previous_end`` up to line ``end``. When the
    batch used one physical line per record (the usual case) the start lines are a range; otherwise a record
    spans 1 + (its cells' "\\n" count) lines: lines are split at "\\n" only, so every "\\n" in a cell ended a
    physical line inside a quoted field, and the line end that ends the record is in no cell."""
    if end - previous_end == len(batch) and [] not in batch:
        return range(previous_end + 1, end + 1), batch
    starts, records = [], []
    line = previous_end
    for cells in batch:
        if cells:
            starts.append(line + 1)
            records.append(cells)
            line += 1 + "".join(cells).count("\n")
        else:
            line += 1
    return starts, records


def _read_header(reader: Any) -> list[str]:
    """The first non-blank record of a csv reader over a whole file."""
    try:
        for cells in reader:
            if cells:
                return cells
    except csv.Error as error:
        raise _csv_error(error, reader.line_num) from None
    raise ImportFileError("the file is empty (no header line)")


class _Opened:
    """A source opened for reading: checked head (empty / compressed / binary) and the format."""

    def __init__(self, source: Source, file_format: str | None, check: bool = True) -> None:
        self._source, self.name, self._close = _open_binary(source)
        try:
            self.stream, head = _peek(self._source)
            self.head = head
            if check:
                _check_head(head)
            self.format = (file_format or detect_format(self.name, head)).upper()
            if self.format not in ("CSV", "JSON"):
                raise ImportFileError(f"unknown format {file_format!r} (CSV or JSON)")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._close:
            self._source.close()  # never a caller's stream


class _Reader(_Opened):
    """Opens a source, checks it, and yields raw records plus a converter that validates them."""

    def __init__(self, source: Source, default_country: str, strip_pii: bool, file_format: str | None) -> None:
        super().__init__(source, file_format)
        try:
            self.text = _text_lines(self.stream)
            self.warnings: list[str] = []
            if self.format == "CSV":
                self.csv_reader = csv.reader(self.text)
                columns, self.warnings = compile_header(_read_header(self.csv_reader))
                self.header_end = self.csv_reader.line_num
                self.records: Iterator = _reader_records(self.csv_reader, 0, self.header_end)
                self.converter = _Converter(columns, default_country, strip_pii)
            else:
                self.records = enumerate(self.text, 1)
                self.converter = _Converter(None, default_country, strip_pii)
        except BaseException:
            self.close()
            raise

    def convert(self, line: int, record: Any) -> dict | Rejected | None:
        if self.format == "CSV":
            return self.converter.csv_row(line, record)
        return self.converter.json_row(line, record)


def iter_endpoints(
    source: Source,
    *,
    default_country: str = "US",
    strip_pii_from_rejects: bool = True,
    file_format: str | None = None,
) -> Iterator[dict | Rejected]:
    """Yields each valid EndpointBatchItem (a dict with ``Id``) and each :class:`Rejected`, in file order.
    Raises :class:`ImportFileError` (before or while yielding) when the file is unusable."""
    reader = _Reader(source, default_country, strip_pii_from_rejects, file_format)
    try:
        for line, record in reader.records:
            result = reader.convert(line, record)
            if result is not None:
                yield result
    finally:
        reader.close()


# ------------------------------------------------------------------------------------------------ planning


@dataclass(frozen=True, slots=True)
class ImportChunk:
    """A byte range [start, end) of an import file holding whole records (never a split quoted line break)."""

    start: int  # byte offset of the chunk's first byte (after the header line / BOM for the first chunk)
    end: int  # byte offset (exclusive): just after the line end of the chunk's last record, or EOF
    first_line: int  # 1-based physical line number of the byte at ``start``
    rows: int  # non-blank records in the chunk


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The result of :func:`plan_import`: what each chunk reader needs (format, header) and the chunks."""

    format: str  # "CSV" or "JSON"
    header: list[str] | None  # CSV header cells as written (BOM stripped); None for JSON
    warnings: list[str]  # the warnings validate_file reports (case-mismatched standard columns)
    chunks: list[ImportChunk]  # file order, non-overlapping, covering every record; [] without records
    rows: int  # non-blank records after the header
    size: int  # bytes read

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "header": None if self.header is None else list(self.header),
            "warnings": list(self.warnings),
            "chunks": [
                {"start": c.start, "end": c.end, "first_line": c.first_line, "rows": c.rows} for c in self.chunks
            ],
            "rows": self.rows,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportPlan:
        header = data.get("header")
        return cls(
            format=data["format"],
            header=None if header is None else list(header),
            warnings=list(data.get("warnings") or []),
            chunks=[
                ImportChunk(int(c["start"]), int(c["end"]), int(c["first_line"]), int(c["rows"]))
                for c in data["chunks"]
            ],
            rows=int(data["rows"]),
            size=int(data["size"]),
        )


_PLAN_SLICE = 256  # records per list while planning (bounds the planner's memory whatever rows_per_chunk is)


class _Planner:
    """One streaming pass over an opened source: the header (CSV), then :meth:`chunks` as they are found.
    Record boundaries come from the csv module's own parsing (``reader.line_num`` after each record, i.e. the
    physical lines the record used); a physical line's end byte is found in the current decoded block only,
    since the csv reader asks for the next block only after every record ending in this one was returned."""

    def __init__(self, opened: _Opened, rows_per_chunk: int, block_size: int = 1 << 18) -> None:
        if rows_per_chunk < 1:
            raise ValueError("rows_per_chunk must be at least 1")
        self.format = opened.format
        self.rows_per_chunk = rows_per_chunk
        self.rows = 0
        self.size = 0
        self.header: list[str] | None = None
        self.warnings: list[str] = []
        self._block: tuple[int, int, bytes] = (0, 0, b"")
        self._cursor = (0, 0)
        self._lines = itertools.chain.from_iterable(map(self._register, _decoded_blocks(opened.stream, block_size)))
        if self.format == "CSV":
            self._reader = reader = csv.reader(self._lines)
            self.header = _read_header(reader)
            _, self.warnings = compile_header(self.header)
            self._start_line = reader.line_num
            self._start = self._line_end(reader.line_num)
        else:
            self._start_line = 0
            self._start = len(codecs.BOM_UTF8) if opened.head.startswith(codecs.BOM_UTF8) else 0

    def _register(self, block: tuple[int, int, bytes, str]) -> io.StringIO:
        offset, lines_before, data, text = block
        self._block = (offset, lines_before, data)
        self._cursor = (0, 0)
        self.size = offset + len(data)
        return io.StringIO(text, newline="\n")

    def _line_end(self, line: int) -> int:
        """Byte offset just after physical line ``line`` (1-based), which is in the current block."""
        offset, lines_before, data = self._block
        wanted = line - lines_before
        done, position = self._cursor
        assert 0 <= done <= wanted
        if wanted - done > 64:  # halve the span with counts (one pass over the block) instead of a find per line
            low, high = position, len(data)
            while high - low > 2048:
                middle = (low + high) // 2
                seen = data.count(b"\n", low, middle)
                if done + seen >= wanted:
                    high = middle
                else:
                    low, done = middle, done + seen
            position = low
        find = data.find
        while done < wanted:
            newline = find(b"\n", position)
            if newline < 0:
                assert done == wanted - 1, "the line is not in the current block"
                return offset + len(data)  # the last line, without a line end
            position = newline + 1
            done += 1
        self._cursor = (done, position)
        return offset + position

    def chunks(self) -> Iterator[ImportChunk]:
        per_chunk = self.rows_per_chunk
        start, start_line = self._start, self._start_line
        count = 0
        if self.format == "CSV":
            # Records are taken in lists of at most the number still needed (C loops, no per-record Python): a
            # list can hold no record past the chunk's last one, so the chunk ends when a list completes it.
            reader, islice = self._reader, itertools.islice
            while True:
                want = min(per_chunk - count, _PLAN_SLICE)
                try:
                    records = list(islice(reader, want))
                except csv.Error as error:
                    raise _csv_error(error, reader.line_num) from None
                count += len(records) - records.count([])  # [] is a blank line
                if count == per_chunk:
                    line = reader.line_num
                    end = self._line_end(line)
                    self.rows += count
                    yield ImportChunk(start, end, start_line + 1, count)
                    start, start_line, count = end, line, 0
                if len(records) < want:
                    break
        else:
            for line, text in enumerate(self._lines, 1):
                if text.strip():  # what json_row skips
                    count += 1
                    if count == per_chunk:
                        end = self._line_end(line)
                        self.rows += count
                        yield ImportChunk(start, end, start_line + 1, count)
                        start, start_line, count = end, line, 0
        if count:
            self.rows += count
            yield ImportChunk(start, self.size, start_line + 1, count)


def plan_import(source: Source, *, rows_per_chunk: int = 5000, file_format: str | None = None) -> ImportPlan:
    """Split an import file into byte ranges of ``rows_per_chunk`` records each (the last may hold fewer), in one
    streaming pass, for workers that each read one range (e.g. S3 ranged GETs) with :func:`iter_chunk_endpoints`.
    Raises the :class:`ImportFileError` that :func:`validate_file` raises for an unusable file (empty, binary,
    compressed, not UTF-8, no or unusable header, CSV syntax error), before anything is imported.
    ``source``: a path or any object with ``read(n) -> bytes`` (a caller's stream is not closed)."""
    opened = _Opened(source, file_format)
    try:
        planner = _Planner(opened, rows_per_chunk)
        chunks = list(planner.chunks())
    finally:
        opened.close()
    return ImportPlan(planner.format, planner.header, planner.warnings, chunks, planner.rows, planner.size)


def iter_chunk_endpoints(
    source: Source,
    *,
    header: list[str] | None,
    file_format: str,
    first_line: int,
    default_country: str = "US",
    strip_pii_from_rejects: bool = True,
    numbered: bool = False,
) -> Iterator[Any]:
    """What :func:`iter_endpoints` yields for the records of one :class:`ImportChunk`: ``source`` holds the bytes
    [start, end) of the file (a path or any object with ``read(n) -> bytes``, e.g. an S3 ranged GET body);
    ``header`` and ``file_format`` come from the :class:`ImportPlan`, ``first_line`` from the chunk.
    ``numbered=True`` yields ``(line, result)`` pairs instead (the line where the record starts: what the
    importer needs to report a row the EndpointStore refuses later)."""
    converter = _chunk_converter(header, file_format, default_country, strip_pii_from_rejects)
    stream, _name, close = _open_binary(source)
    try:
        yield from _convert_chunk(converter, stream, file_format, first_line, numbered)
    finally:
        if close:
            stream.close()


def _chunk_converter(header: list[str] | None, file_format: str, default_country: str, strip_pii: bool) -> _Converter:
    fmt = file_format.upper()
    if fmt == "CSV":
        if header is None:
            raise ValueError("a CSV chunk needs the plan's header")
        columns, _ = compile_header(list(header))
        return _Converter(columns, default_country, strip_pii)
    if fmt == "JSON":
        return _Converter(None, default_country, strip_pii)
    raise ImportFileError(f"unknown format {file_format!r} (CSV or JSON)")


def _convert_chunk(
    converter: _Converter, stream: Any, file_format: str, first_line: int, numbered: bool = False
) -> Iterator[Any]:
    blocks = _decoded_blocks(stream, 1 << 18, strip_bom=False, line_offset=first_line - 1)
    lines = itertools.chain.from_iterable(io.StringIO(block[3], newline="\n") for block in blocks)
    if file_format.upper() == "CSV":
        convert = converter.csv_row
        for line, cells in _csv_records(lines, first_line - 1):
            yield (line, convert(line, cells)) if numbered else convert(line, cells)
    else:
        convert_json = converter.json_row
        for line, text in enumerate(lines, first_line):
            result = convert_json(line, text)
            if result is not None:
                yield (line, result) if numbered else result


REJECTS_HEADER = ["line", "field", "reason", "row"]


class RejectsWriter:
    """CSV rejects file: line, field, reason, row (JSON of the row, PII columns masked when configured)."""

    def __init__(self, target: str | os.PathLike | IO[str]) -> None:
        if isinstance(target, (str, os.PathLike)):
            self._file: IO[str] = open(target, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed by close())
            self._close = True
        else:
            self._file, self._close = target, False
        self._writer = csv.writer(self._file)
        self._writer.writerow(REJECTS_HEADER)

    def write(self, reject: Rejected) -> None:
        row = "" if reject.row is None else json.dumps(reject.row, ensure_ascii=False)
        self._writer.writerow([reject.line, reject.field, reject.reason, row])

    def close(self) -> None:
        if self._close:
            self._file.close()


def add_result(summary: ImportSummary, result: dict | Rejected) -> None:
    summary.rows += 1
    if isinstance(result, Rejected):
        summary.rejected += 1
        summary.by_reason[f"{result.field}: {result.reason}"] += 1
    else:
        summary.valid += 1
        summary.channels[result.get("ChannelType") or "(update by Id)"] += 1


_BATCH_ROWS = 2000
_OUTCOME_CACHE = 65_536  # (channel, address, has Id) verdicts kept between batches (bounded memory)


class _CsvCounter:
    """Counting-only validation of CSV records, a batch at a time, for :func:`validate_file`: the same accept /
    reject decisions and reasons as :meth:`_Converter.csv_row` (property-tested) without building items or ids.

    Per batch, each column's :func:`_plan` check runs over the whole column at C speed (set inclusion, max of
    lengths, float over the column); a row with a cell that fails it, a row with the wrong number of cells, and
    every row when ChannelType/Address/Id is repeated in the header, take the full per-row path. Every other row
    passes the field checks, so its fate depends only on (ChannelType, stripped Address, has Id): the
    :meth:`_Converter.verdict` of each distinct triple is computed once and the rows are tallied with Counter."""

    def __init__(self, converter: _Converter) -> None:
        self.converter = converter
        columns = converter.columns or []
        self.width = len(columns)
        where: dict[str, list[int]] = {}
        for index, column in enumerate(columns):
            if column.kind == "top" and column.key in ("ChannelType", "Address", "Id"):
                where.setdefault(column.key, []).append(index)
        self.vectorised = all(len(indexes) == 1 for indexes in where.values())
        self.channel = where.get("ChannelType", [None])[0]
        self.address = where.get("Address", [None])[0]
        self.id = where.get("Id", [None])[0]
        self.checks = [(index, code, key) for index, (code, key) in enumerate(converter.plan) if index != self.address]
        self.outcomes: dict[tuple, Any] = {}
        self.fast_e164, self.fast_national = _fast_phone_patterns(converter.default_country, converter.nanpa)
        self.fast_e164_lines = self.fast_e164 and _lines_pattern(self.fast_e164.pattern)
        self.fast_national_lines = self.fast_national and _lines_pattern(self.fast_national.pattern)

    def count(
        self, starts: list[int], records: list[list[str]], summary: ImportSummary, rejects: list[Rejected] | None
    ) -> None:
        """Add a batch to ``summary``; append its rejects (in line order) to ``rejects`` when it is a list."""
        converter = self.converter
        total = len(records)
        slow: set[int] = set()
        if not self.vectorised:
            slow = set(range(total))
            good: list[int] | None = []
        elif set(map(len, records)) != {self.width}:
            slow = {i for i, cells in enumerate(records) if len(cells) != self.width}
            good = [i for i in range(total) if i not in slow]
        else:
            good = None  # every row
        rows = records if good is None else [records[i] for i in good]
        keys: list[tuple] = []
        positions: list[int] | None = None  # batch index of each key (None: the key's own position)
        if rows:
            columns = list(zip(*rows, strict=False))
            size = len(rows)
            bad: set[int] = set()
            for index, code, key in self.checks:
                bad |= _column_bad(code, key, columns[index])
            if self.address is not None:
                raw_addresses = columns[self.address]
                addresses: Any = list(map(str.strip, raw_addresses))
                if max(map(len, raw_addresses)) > MAX_ADDRESS_LENGTH or any(map(str.isspace, raw_addresses)):
                    bad |= {
                        i
                        for i, value in enumerate(raw_addresses)
                        if value and (len(value) > MAX_ADDRESS_LENGTH or not addresses[i])
                    }
            else:
                addresses = itertools.repeat("", size)
            channels = columns[self.channel] if self.channel is not None else itertools.repeat("", size)
            has_id = map(bool, columns[self.id]) if self.id is not None else itertools.repeat(False, size)
            keys = list(zip(channels, addresses, has_id, strict=False))
            if bad:
                slow.update(i if good is None else good[i] for i in bad)
                keep = [i for i in range(size) if i not in bad]
                positions = keep if good is None else [good[i] for i in keep]
                keys = [keys[i] for i in keep]
            else:
                positions = good
            outcomes = self.outcomes
            missing = set(keys).difference(outcomes)
            if missing:
                if len(outcomes) + len(missing) > _OUTCOME_CACHE:
                    outcomes.clear()
                    missing = set(keys)
                self._resolve(missing)
            for outcome, n in Counter(map(outcomes.__getitem__, keys)).items():
                if type(outcome) is str:
                    summary.valid += n
                    summary.channels[outcome] += n
                else:
                    summary.rejected += n
                    summary.by_reason[outcome[2]] += n
            summary.rows += len(keys)
        if rejects is None and not slow:
            return
        found: list[tuple[int, Rejected]] = []
        if rejects is not None and keys:
            get = self.outcomes.__getitem__
            for position, key in enumerate(keys):
                outcome = get(key)
                if type(outcome) is not str:
                    index = position if positions is None else positions[position]
                    found.append(
                        (index, Rejected(starts[index], outcome[0], outcome[1], converter._row(records[index])))
                    )
        for index in sorted(slow):
            result = converter.csv_row(starts[index], records[index])
            add_result(summary, result)
            if rejects is not None and isinstance(result, Rejected):
                found.append((index, result))
        if rejects is not None:
            found.sort(key=lambda pair: pair[0])
            rejects.extend(reject for _, reject in found)

    def _resolve(self, missing: set[tuple]) -> None:
        """The outcome of each (channel, address, has Id) key: the channel (or "(update by Id)") when valid, else
        (field, reason, "field: reason"). Phone numbers that the fast patterns accept and ASCII emails that
        _EMAIL_FAST accepts are decided by one regex scan over the batch's addresses joined with "\\n" (each
        acceptance implies :meth:`_Converter.verdict` accepts, property-tested); every other key gets the
        verdict itself."""
        outcomes = self.outcomes
        keys = list(missing)
        first, second = operator.itemgetter(0), operator.itemgetter(1)
        compress = itertools.compress
        if self.fast_e164 is not None:
            phones = list(compress(keys, map(PHONE_CHANNELS.__contains__, map(first, keys))))
            if phones:
                addresses = list(map(second, phones))
                text = "\n".join(addresses)
                if text.count("\n") != len(addresses) - 1:  # a cell with a line break: never a fast match
                    phones = [key for key in phones if "\n" not in key[1]]
                    addresses = list(map(second, phones))
                    text = "\n".join(addresses)
                good = set(self.fast_e164_lines.findall(text))
                mask = list(map(good.__contains__, addresses))
                accepted = list(compress(phones, mask))
                outcomes.update(zip(accepted, map(first, accepted), strict=False))
                if self.fast_national is not None and len(accepted) < len(phones):
                    rest = list(compress(phones, map(operator.not_, mask)))
                    text = "\n".join(map(second, rest)).translate(NANPA_PUNCTUATION)
                    good = set(self.fast_national_lines.findall(text))
                    accepted = list(compress(rest, map(good.__contains__, text.split("\n"))))
                    outcomes.update(zip(accepted, map(first, accepted), strict=False))
        emails = list(compress(keys, map("EMAIL".__eq__, map(first, keys))))
        if emails:
            addresses = list(map(second, emails))
            text = "\n".join(addresses)
            if not text.isascii() or text.count("\n") != len(addresses) - 1:
                emails = [key for key in emails if key[1].isascii() and "\n" not in key[1]]
                addresses = list(map(second, emails))
                text = "\n".join(addresses)
            good = set(_EMAIL_FAST_LINES.findall(text))
            accepted = list(compress(emails, map(good.__contains__, addresses)))
            outcomes.update(zip(accepted, map(first, accepted), strict=False))
        verdict = self.converter.verdict
        for key in missing.difference(outcomes):
            channel, address, with_id = key
            field_name, value = verdict(channel, address, with_id)
            outcomes[key] = (
                (channel or "(update by Id)") if field_name is None else (field_name, value, f"{field_name}: {value}")
            )


def _lines_pattern(pattern: str) -> Any:
    """A fullmatch pattern (anchored with \\Z, no capturing groups, no "\\n" matched) as a MULTILINE pattern whose
    findall over strings joined with "\\n" returns exactly the strings it fully matches."""
    compiled = re.compile("^(?:" + pattern.replace("\\Z", "$") + ")$", re.MULTILINE)
    assert compiled.groups == 0
    return compiled


def _fast_phone_patterns(default_country: str, nanpa: bool) -> tuple[Any, Any]:
    """(pattern accepting E.164 strings that :data:`~pinpoint_runtime.phone.e164_or_problem` returns unchanged, for +1
    and the default country's
    calling code; pattern accepting the national NANPA spellings, after removing " ()-.", that it turns into a
    valid +1 number, when the default country uses +1). Each match implies e164_or_problem accepts (property-tested);
    a non-match means nothing."""
    codes = sorted({1, country_code(default_country)} - {0})
    alternatives = []
    for code in codes:
        info = CALLING_CODES.get(str(code))
        if info is None:
            info = calling_code_info(str(code))
        if info and info[1] is not None:
            alternatives.append(f"{code}(?!0)(?:{info[1].pattern})")
    if not alternatives:
        return None, None
    e164 = re.compile(r"\+(?=[1-9][0-9]{6,14}\Z)(?:" + "|".join(alternatives) + ")")
    national = None
    if nanpa:
        nanpa_pattern = CALLING_CODES["1"][1] if CALLING_CODES.get("1") else None
        if nanpa_pattern is not None:
            national = re.compile(f"1?(?!0)(?:{nanpa_pattern.pattern})")
    return e164, national


def _column_bad(code: int, key: Any, cells: tuple[str, ...]) -> set[int]:
    """Positions of the cells that fail the :meth:`_Converter._fast` check of ``code`` (empty cells pass); each
    whole-column test is exact, and the per-cell scan runs only when it fails."""
    if code in (_C_ATTR, _C_UATTR, _C_TEXT):
        limit = 1024 if code == _C_TEXT else MAX_ATTRIBUTE_VALUE_LENGTH
        if max(map(len, cells)) <= limit:
            return set()
        return {i for i, value in enumerate(cells) if len(value) > limit}
    if code in (_C_CHANNEL, _C_OPT_OUT):
        allowed = CHANNEL_TYPES if code == _C_CHANNEL else OPT_OUT_VALUES
        values = set(cells)
        values.discard("")
        if values <= allowed:
            return set()
        return {i for i, value in enumerate(cells) if value and value not in allowed}
    if code in (_C_ID, _C_USER_ID):
        # str.isspace is True exactly for the non-empty cells that strip() empties (both use Py_UNICODE_ISSPACE)
        if max(map(len, cells)) <= 1024 and "#" not in "".join(cells) and not any(map(str.isspace, cells)):
            return set()
        return {
            i for i, value in enumerate(cells) if value and (len(value) > 1024 or "#" in value or not value.strip())
        }
    if code in (_C_METRIC, _C_LOCNUM):
        limit = _LOCATION_LIMITS[key] if code == _C_LOCNUM else _DYNAMO_MAX
        try:
            numbers = list(map(float, filter(None, cells)))
        except ValueError:
            numbers = None
        if numbers is not None:
            if not numbers:
                return set()
            if not any(map(math.isnan, numbers)):  # then min/max are exact; inf fails the bounds
                low, high = min(numbers), max(numbers)
                if (
                    -limit <= low
                    and high <= limit
                    and low > -_DYNAMO_MAX
                    and high < _DYNAMO_MAX
                    and min(filter(None, map(abs, numbers)), default=_DYNAMO_MIN) >= _DYNAMO_MIN
                ):
                    return set()
        return {i for i, value in enumerate(cells) if value and not _number_ok(value, code, key)}
    # _C_GENERIC: any value takes the reference path
    if not any(cells):
        return set()
    return {i for i, value in enumerate(cells) if value}


def _number_ok(value: str, code: int, key: Any) -> bool:
    """The _fast check of one Metrics.* / Location.Latitude|Longitude cell."""
    try:
        number = float(value)
    except ValueError:
        return False
    if not _finite_dynamo(number):
        return False
    if code == _C_LOCNUM:
        limit = _LOCATION_LIMITS[key]
        return -limit <= number <= limit
    return True


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic GC off while counting: the loop allocates many short-lived lists and tuples (csv records,
    columns, keys) that trigger collections which then walk every live object (phonenumbers' metadata, the
    caches), and it creates no reference cycles. Reference counting still frees everything at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _count_stream(
    reader: Any,
    counter: _CsvCounter,
    lines_before: int,
    previous_end: int,
    summary: ImportSummary,
    writer: RejectsWriter | None,
) -> None:
    rejects: list[Rejected] | None = [] if writer is not None else None
    for starts, records in _csv_batches(reader, lines_before, previous_end, _BATCH_ROWS):
        counter.count(starts, records, summary, rejects)
        if rejects:
            for reject in rejects:
                writer.write(reject)  # type: ignore[union-attr]
            rejects.clear()


def validate_file(
    source: Source,
    *,
    default_country: str = "US",
    rejects: str | os.PathLike | IO[str] | None = None,
    strip_pii_from_rejects: bool = True,
    file_format: str | None = None,
) -> ImportSummary:
    """Validate a whole file in one streaming pass. ``rejects``: a path or text stream for the rejects CSV.
    CSV rows are counted by the batch counting path (:class:`_CsvCounter`), which decides exactly like
    :func:`iter_endpoints` without building the items."""
    reader = _Reader(source, default_country, strip_pii_from_rejects, file_format)
    summary = ImportSummary(warnings=list(reader.warnings))
    writer = RejectsWriter(rejects) if rejects is not None else None
    try:
        if reader.format == "CSV":
            with _gc_paused():
                _count_stream(reader.csv_reader, _CsvCounter(reader.converter), 0, reader.header_end, summary, writer)
        else:
            convert = reader.convert
            for line, record in reader.records:
                result = convert(line, record)
                if result is None:
                    continue
                add_result(summary, result)
                if writer is not None and isinstance(result, Rejected):
                    writer.write(result)
    finally:
        reader.close()
        if writer is not None:
            writer.close()
    return summary


# ------------------------------------------------------------------------------------------------ parallel

_WORKER: dict[str, Any] = {}


class _RangeReader:
    """read(n) over bytes [start, end) of an open binary file."""

    __slots__ = ("_file", "_left")

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        file.seek(start)
        self._file, self._left = file, end - start

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        return data


def _worker_init(
    path: str, header: list[str] | None, file_format: str, default_country: str, strip_pii: bool, want_rejects: bool
) -> None:
    converter = _chunk_converter(header, file_format, default_country, strip_pii)
    _WORKER.update(
        file=open(path, "rb"),  # noqa: SIM115 - one handle for the worker's life
        converter=converter,
        counter=_CsvCounter(converter) if file_format == "CSV" else None,
        format=file_format,
        want_rejects=want_rejects,
    )


def _worker_range(chunk: tuple[int, int, int]) -> tuple[ImportSummary, list[Rejected]]:
    """Validate the records of one byte range: (counts, rejects in line order when wanted)."""
    start, end, first_line = chunk
    stream = _RangeReader(_WORKER["file"], start, end)
    summary = ImportSummary()
    rejects: list[Rejected] = []
    if _WORKER["format"] == "CSV":
        lines = itertools.chain.from_iterable(
            io.StringIO(block[3], newline="\n")
            for block in _decoded_blocks(stream, 1 << 18, strip_bom=False, line_offset=first_line - 1)
        )
        counter: _CsvCounter = _WORKER["counter"]
        want = _WORKER["want_rejects"]
        with _gc_paused():
            for starts, records in _csv_batches(csv.reader(lines), first_line - 1, first_line - 1, _BATCH_ROWS):
                counter.count(starts, records, summary, rejects if want else None)
    else:
        for result in _convert_chunk(_WORKER["converter"], stream, "JSON", first_line):
            add_result(summary, result)
            if _WORKER["want_rejects"] and isinstance(result, Rejected):
                rejects.append(result)
    return summary, rejects


def validate_file_parallel(
    source: Source,
    *,
    workers: int = 2,
    default_country: str = "US",
    rejects: str | os.PathLike | IO[str] | None = None,
    strip_pii_from_rejects: bool = True,
    file_format: str | None = None,
    chunk_rows: int = 20_000,
) -> ImportSummary:
    """:func:`validate_file` in ``workers`` processes: this one and ``workers - 1`` workers. This process reads
    the file once, as :func:`plan_import` does (so file-level errors are raised as validate_file raises them),
    cutting it into chunks of about ``chunk_rows`` records at record boundaries: while the workers have work
    queued it validates the chunk it has just parsed itself; otherwise it hands the chunk's byte range to a worker,
    which reads and parses it (no rows are pickled). Results are merged in file order, so the rejects file is in
    line order. ``workers <= 1`` or a source that is not a path runs :func:`validate_file`."""
    if workers <= 1 or not isinstance(source, (str, os.PathLike)):
        return validate_file(
            source,
            default_country=default_country,
            rejects=rejects,
            strip_pii_from_rejects=strip_pii_from_rejects,
            file_format=file_format,
        )
    import multiprocessing  # noqa: PLC0415

    opened = _Opened(source, file_format)
    try:
        planner = _Planner(opened, chunk_rows)
        summary = ImportSummary(warnings=list(planner.warnings))
        writer = RejectsWriter(rejects) if rejects is not None else None
        try:
            context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
            with (
                context.Pool(
                    workers - 1,
                    initializer=_worker_init,
                    initargs=(
                        os.fspath(source),
                        planner.header,
                        planner.format,
                        default_country,
                        strip_pii_from_rejects,
                        writer is not None,
                    ),
                ) as pool,
                _gc_paused(),
            ):
                if planner.format == "CSV":
                    converter = _chunk_converter(planner.header, "CSV", default_country, strip_pii_from_rejects)
                    parts = _share_csv(
                        planner, _CsvCounter(converter), pool, workers - 1, chunk_rows, writer is not None
                    )
                else:  # JSON: every chunk to the pool (in order)
                    results = [
                        pool.apply_async(_worker_range, ((c.start, c.end, c.first_line),)) for c in planner.chunks()
                    ]
                    parts = (result.get() for result in results)
                for part, chunk_rejects in parts:
                    _merge(summary, part)
                    if writer is not None:
                        for reject in chunk_rejects:
                            writer.write(reject)
        finally:
            if writer is not None:
                writer.close()
    finally:
        opened.close()
    return summary


def _merge(summary: ImportSummary, part: ImportSummary) -> None:
    summary.rows += part.rows
    summary.valid += part.valid
    summary.rejected += part.rejected
    summary.channels.update(part.channels)
    summary.by_reason.update(part.by_reason)


def _share_csv(
    planner: _Planner, counter: _CsvCounter, pool: Any, pool_size: int, chunk_rows: int, want_rejects: bool
) -> Iterator[tuple[ImportSummary, list[Rejected]]]:
    """(counts, rejects) of each chunk in file order: chunks parsed here are validated here while every worker
    has two chunks queued, otherwise sent to the pool as byte ranges."""
    from collections import deque  # noqa: PLC0415

    reader, islice = planner._reader, itertools.islice
    start, previous_end = planner._start, planner._start_line  # byte and line where the next chunk starts
    pending: deque = deque()  # per chunk in file order: (counts, rejects) or the pool's AsyncResult
    at_end = False
    while not at_end:
        queued = sum(1 for entry in pending if not isinstance(entry, tuple) and not entry.ready())
        own = queued >= 2 * pool_size
        part, rejects = ImportSummary(), [] if want_rejects else None
        first_line, count = previous_end + 1, 0
        while count < chunk_rows:
            want = min(chunk_rows - count, _BATCH_ROWS if own else _PLAN_SLICE)
            try:
                batch = list(islice(reader, want))
            except csv.Error as error:
                raise _csv_error(error, reader.line_num) from None
            end_line = reader.line_num
            if own:
                starts, records = _batch_starts(batch, previous_end, end_line)
                if records:
                    counter.count(starts, records, part, rejects)
                count += len(records)
            else:
                count += len(batch) - batch.count([])
            previous_end = end_line
            if len(batch) < want:
                at_end = True
                break
        end = planner.size if at_end else planner._line_end(previous_end)
        if count:
            if own:
                pending.append((part, rejects or []))
            else:
                pending.append(pool.apply_async(_worker_range, ((start, end, first_line),)))
        start = end
        while pending and (isinstance(pending[0], tuple) or pending[0].ready()):
            entry = pending.popleft()
            yield entry if isinstance(entry, tuple) else entry.get()
    while pending:
        entry = pending.popleft()
        yield entry if isinstance(entry, tuple) else entry.get()

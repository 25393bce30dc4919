"""Counting-only validation of a whole file: :func:`validate_file` (counts and rejects, no items built).

CSV records are taken in batches (:class:`_CsvCounter`): column-wise checks at C speed, one verdict per distinct
(ChannelType, Address, has Id), no items or ids built; it is property-tested to accept and reject exactly like
:func:`~pinpoint_runtime.audience.import_reader.iter_endpoints`, with the same reasons and lines.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import operator
import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from pinpoint_runtime.audience.endpoint_request import (
    CHANNEL_TYPES,
    MAX_ADDRESS_LENGTH,
    MAX_ATTRIBUTE_VALUE_LENGTH,
    OPT_OUT_VALUES,
    PHONE_CHANNELS,
)
from pinpoint_runtime.audience.import_file import ImportFormat, Source, _csv_batches
from pinpoint_runtime.audience.import_reader import _Reader
from pinpoint_runtime.audience.import_rows import (
    _C_ATTR,
    _C_CHANNEL,
    _C_ID,
    _C_LOCNUM,
    _C_METRIC,
    _C_OPT_OUT,
    _C_TEXT,
    _C_UATTR,
    _C_USER_ID,
    _DYNAMO_MAX,
    _DYNAMO_MIN,
    _LOCATION_LIMITS,
    Rejected,
    _Converter,
    _finite_dynamo,
)
from pinpoint_runtime.audience.import_summary import ImportSummary, RejectsWriter, add_result
from pinpoint_runtime.phone import CALLING_CODES, NANPA_PUNCTUATION, calling_code_info, country_code

_EMAIL_FAST_LINES = re.compile(
    r"^(?=[^\n]{1,254}$)[^@\x00- ]{1,64}@(?:(?!-)[^@.\x00- ]{1,63}(?<!-)\.)+(?!-)[^@.\x00- ]{1,63}(?<!-)$", re.MULTILINE
)


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
        bound: float = _LOCATION_LIMITS[key] if code == _C_LOCNUM else _DYNAMO_MAX
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
                    -bound <= low
                    and high <= bound
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
        if reader.format == ImportFormat.CSV:
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

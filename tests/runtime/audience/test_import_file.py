"""Reading import files (pinpoint_runtime.audience.import_file): file-level errors, BOM/CRLF, decoding by blocks, line
numbers, format sniffing."""

from __future__ import annotations

import io
import json

import pytest

from pinpoint_runtime.audience.import_fast_check import validate_file
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_rows import Rejected
from tests.support.import_files import (
    _bytes,
    _items,
)


def test_bom_crlf_quoted_newlines_and_commas():
    data = '\ufeffChannelType,Address,Attributes.Note\r\nSMS,+12025550191,"a, b\r\nc"\r\nEMAIL,a@example.com,x\r\n'
    items = _items(data)
    assert items[0]["Attributes"]["Note"] == ["a, b\r\nc"]
    assert items[0]["ChannelType"] == "SMS"  # BOM stripped from the first header
    assert isinstance(items[1], dict) and items[1]["Address"] == "a@example.com"


def test_line_numbers_count_quoted_line_breaks():
    data = 'ChannelType,Address,Attributes.N\nSMS,+12025550191,"x\ny"\nSMS,bad,z\n'
    reject = _items(data)[1]
    assert isinstance(reject, Rejected) and reject.line == 4 and reject.field == "Address"


def test_ndjson_sniffed(tmp_path):
    path = tmp_path / "drop.txt"
    path.write_text(json.dumps({"ChannelType": "EMAIL", "Address": "a@example.com"}) + "\n")
    assert validate_file(path).valid == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\n\n", "no header"),
        (b"\x1f\x8b\x08\x00rest", "compressed"),
        (b"\x00\x01\x02binary", "binary"),
        ("ChannelType,Address\nSMS,+12025550191\nSMS,Jos\u00e9\n".encode("latin-1"), "not UTF-8"),
        (b"ChannelType,Location.Planet\nSMS,Mars\n", "unknown standard column"),
    ],
)
def test_malformed_files(content, message):
    with pytest.raises(ImportFileError, match=message):
        validate_file(io.BytesIO(content), file_format=None)


def test_latin1_error_names_line():
    content = ("ChannelType,Address\n" + "SMS,+12025550191\n" * 3 + "SMS,Jos\u00e9\n").encode("latin-1")
    with pytest.raises(ImportFileError, match=r"line 5"):
        validate_file(io.BytesIO(content))


def test_caller_stream_not_closed():
    stream = _bytes("ChannelType,Address\nSMS,+12025550191\n")
    validate_file(stream)
    assert not stream.closed


def test_text_lines_blocks_and_decode_error_line():
    from pinpoint_runtime.audience.import_file import _text_lines

    data = "\ufeffa,b\r\nx\ry\n" + "z" * 50 + "\nlast"
    assert list(_text_lines(io.BytesIO(data.encode()), block_size=7)) == ["a,b\r\n", "x\ry\n", "z" * 50 + "\n", "last"]
    lines = []
    with pytest.raises(ImportFileError, match="line 3"):
        for line in _text_lines(io.BytesIO(b"a\nb\nc\xff\nd\n"), block_size=1 << 10):
            lines.append(line)
    assert lines == ["a\n", "b\n"]

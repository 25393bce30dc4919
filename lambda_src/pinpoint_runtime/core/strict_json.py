"""JSON from outside as RFC 8259 defines it: ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``)
are refused instead of becoming non-finite floats that DynamoDB, Glue and JSON writers then reject later."""

from __future__ import annotations

import json
import math
from typing import Any


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def loads(text: str | bytes | bytearray) -> Any:
    """Parse ``text`` strictly (bytes as ``json.loads`` reads them: UTF-8/16/32 with or without a BOM).

    Raises ``ValueError`` (``json.JSONDecodeError`` or a refused constant/number, ``UnicodeDecodeError`` for bytes
    that are not text) or ``RecursionError`` for absurd nesting.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    return _DECODER.decode(text)

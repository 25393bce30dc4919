"""Schema of the event lake's Glue table ``events`` (EventStreamToS3), and the Hive / Presto type helpers.

Pure Python data (no ``aws_cdk`` import) so that tests and benchmarks can use it without synthesising a stack; so are
:mod:`~pinpoint_constructs.event_lake_views` (one Athena view per event type) and
:mod:`~pinpoint_constructs.event_lake_queries` (the report queries).

* ``EVENT_COLUMNS`` / ``PARTITION_KEYS``: the Glue table ``events`` (Hive type strings). Every record in the lake is
  in the Pinpoint event-stream shape written by ``pinpoint_runtime.events.records.normalize_record`` and stored under
  ``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/``.
* ``parse_hive_type`` / ``hive_type``: Hive type strings parsed, and the Hive type of a declared Presto type (what the
  construct needs to declare each view's columns on its ``AWS::Glue::Table``).
"""

from __future__ import annotations

import re

__all__ = ["EVENT_COLUMNS", "PARTITION_KEYS", "hive_type", "parse_hive_type"]

# --------------------------------------------------------------------------------------------------------------
# Glue table
# --------------------------------------------------------------------------------------------------------------

_MAIL_EVENT_TYPE = (
    "struct<"
    "mail:struct<message_id:string,message_send_timestamp:bigint,from_address:string,destination:array<string>,"
    "headers_truncated:boolean,headers:array<struct<name:string,value:string>>,"
    "common_headers:struct<from:string,to:array<string>,subject:string>>,"
    "send:map<string,string>,"
    "delivery:struct<smtp_response:string,reporting_mta:string,recipients:array<string>,processing_time_millis:bigint>,"
    "open:struct<ip_address:string,user_agent:string,timestamp:bigint>,"
    "click:struct<ip_address:string,user_agent:string,link:string,link_tags:map<string,array<string>>,timestamp:bigint>,"
    "bounce:struct<bounce_type:string,bounce_sub_type:string,"
    "bounced_recipients:array<struct<email_address:string,action:string,status:string,diagnostic_code:string>>,"
    "feedback_id:string,reporting_mta:string,timestamp:bigint>,"
    "complaint:struct<complained_recipients:array<struct<email_address:string>>,feedback_id:string,user_agent:string,"
    "complaint_feedback_type:string,timestamp:bigint>,"
    "reject:struct<reason:string>,"
    "rendering_failure:struct<error_message:string,template_name:string>,"
    "delivery_delay:struct<delay_type:string,expiration_time:bigint,reporting_mta:string>,"
    "subscription:map<string,string>"
    ">"
)

#: Columns of the Glue table ``events`` (Hive type strings, as in the record contract).
EVENT_COLUMNS: list[tuple[str, str]] = [
    ("event_type", "string"),
    ("event_timestamp", "bigint"),
    ("arrival_timestamp", "bigint"),
    ("event_version", "string"),
    (
        "application",
        "struct<app_id:string,package_name:string,title:string,version_name:string,version_code:string,"
        "sdk:map<string,string>>",
    ),
    ("client", "struct<client_id:string,cognito_id:string>"),
    ("device", "struct<platform:map<string,string>,locale:map<string,string>,make:string,model:string>"),
    ("session", "struct<session_id:string,start_timestamp:bigint,stop_timestamp:bigint>"),
    ("attributes", "map<string,string>"),
    ("metrics", "map<string,double>"),
    ("client_context", "struct<custom:map<string,string>>"),
    ("awsaccountid", "string"),
    ("facets", f"struct<email_channel:struct<mail_event:{_MAIL_EVENT_TYPE}>>"),
]

#: Partition keys of ``events`` (Firehose dynamic partitioning: source=/kind=/dt=).
PARTITION_KEYS: list[tuple[str, str]] = [("source", "string"), ("kind", "string"), ("dt", "string")]


# --------------------------------------------------------------------------------------------------------------
# Type helpers
# --------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse type {text!r} at {pos}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_hive_type(text: str):
    """Parse a Hive type string into a nested tuple.

    ``"string"`` -> ``("string",)``; ``"array<string>"`` -> ``("array", ("string",))``;
    ``"map<string,double>"`` -> ``("map", ("string",), ("double",))``;
    ``"struct<a:string,b:bigint>"`` -> ``("struct", (("a", ("string",)), ("b", ("bigint",))))``;
    ``"decimal(10,2)"`` -> ``("decimal", 10, 2)``. Raises ValueError on anything else.
    """
    toks = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"unexpected end of Hive type {text!r}")
        pos += 1
        return toks[pos - 1]

    def expect(tok: str) -> None:
        if take() != tok:
            raise ValueError(f"expected {tok!r} in Hive type {text!r}")

    def parse():
        name = take().lower()
        if name == "array":
            expect("<")
            elem = parse()
            expect(">")
            return ("array", elem)
        if name == "map":
            expect("<")
            key = parse()
            expect(",")
            value = parse()
            expect(">")
            return ("map", key, value)
        if name == "struct":
            expect("<")
            fields = []
            while True:
                fname = take()
                expect(":")
                fields.append((fname, parse()))
                if peek() == ",":
                    take()
                    continue
                expect(">")
                return ("struct", tuple(fields))
        if name not in _HIVE_PRIMITIVES:
            raise ValueError(f"unknown Hive type {name!r} in {text!r}")
        if name in ("decimal", "varchar", "char") and peek() == "(":
            take()
            args = [int(take())]
            while peek() == ",":
                take()
                args.append(int(take()))
            expect(")")
            return (name, *args)
        return (name,)

    result = parse()
    if pos != len(toks):
        raise ValueError(f"trailing text in Hive type {text!r}")
    return result


_HIVE_PRIMITIVES = {
    "string",
    "bigint",
    "int",
    "smallint",
    "tinyint",
    "double",
    "float",
    "boolean",
    "timestamp",
    "date",
    "binary",
    "decimal",
    "varchar",
    "char",
}

_PRESTO_TO_HIVE = {
    "varchar": "string",
    "char": "string",
    "bigint": "bigint",
    "integer": "int",
    "int": "int",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "real": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "varbinary": "binary",
}


def _presto_split(args: str) -> list[str]:
    """Split a Presto type argument list on top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
    parts.append(args[start:].strip())
    return parts


def hive_type(presto_type: str) -> str:
    """Map a Presto/Trino type string (as declared for a view column) to the Hive type Glue stores.

    varchar -> string, bigint -> bigint, double -> double, boolean -> boolean, timestamp(3) -> timestamp,
    array(varchar) -> array<string>, map(varchar,varchar) -> map<string,string>,
    row(a varchar, b bigint) -> struct<a:string,b:bigint>, decimal(p,s) -> decimal(p,s), ...
    Raises ValueError for a type it does not know.
    """
    text = presto_type.strip()
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\((.*)\))?", text, re.S)
    if not m:
        raise ValueError(f"cannot parse Presto type {presto_type!r}")
    base, args = m.group(1).strip().lower(), m.group(2)
    if base == "array" and args is not None:
        return f"array<{hive_type(args)}>"
    if base == "map" and args is not None:
        key, value = _presto_split(args)
        return f"map<{hive_type(key)},{hive_type(value)}>"
    if base == "row" and args is not None:
        fields = []
        for part in _presto_split(args):
            fname, _, ftype = part.strip().partition(" ")
            if not ftype:
                raise ValueError(f"row field without a name in {presto_type!r}")
            fields.append(f"{fname.strip(chr(34))}:{hive_type(ftype)}")
        return f"struct<{','.join(fields)}>"
    if base == "decimal":
        return f"decimal({args})" if args else "decimal"
    if base in ("varchar", "char", "timestamp"):
        # length / precision is not part of the Hive type (Athena reads Hive timestamps as timestamp(3))
        return _PRESTO_TO_HIVE[base]
    if args is None and base in _PRESTO_TO_HIVE:
        return _PRESTO_TO_HIVE[base]
    raise ValueError(f"no Hive type for Presto type {presto_type!r}")

"""The S3 object an import reads (:class:`ImportSource`), the execution name derived from it and its body."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus

from pinpoint_runtime.audience.import_errors import ImportFileRejected
from pinpoint_runtime.core.aws_clients import error_code

MAX_EXECUTION_NAME = 80
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ImportSource:
    """The S3 object an import reads (from the EventBridge "Object Created" event)."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ImportSource:
        """From an EventBridge S3 event (``detail.bucket.name``, ``detail.object.key`` / ``version-id`` /
        ``etag`` / ``size``). ``ValueError`` names what is missing."""
        if not isinstance(event, Mapping):
            raise ValueError("the event is not a JSON object")
        detail = event.get("detail")
        if event.get("source") != "aws.s3" or not isinstance(detail, Mapping):
            raise ValueError("not an S3 event (source aws.s3 with a detail object)")
        bucket = (detail.get("bucket") or {}).get("name") if isinstance(detail.get("bucket"), Mapping) else None
        obj = detail.get("object")
        if not isinstance(bucket, str) or not bucket:
            raise ValueError("detail.bucket.name is missing")
        if not isinstance(obj, Mapping) or not isinstance(obj.get("key"), str) or not obj["key"]:
            raise ValueError("detail.object.key is missing")
        size = obj.get("size")
        return cls(
            bucket=bucket,
            key=obj["key"],
            version_id=obj.get("version-id") or None,
            etag=(obj.get("etag") or "").strip('"') or None,
            size=int(size) if isinstance(size, (int, float)) else None,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportSource:
        return cls(
            bucket=data["bucket"],
            key=data["key"],
            version_id=data.get("version_id"),
            etag=data.get("etag"),
            size=data.get("size"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def import_execution_name(source: ImportSource) -> str:
    """``<file stem>-<32 hex>``: the hash covers bucket, key, version id and ETag, so another upload (new
    version or new content) gets a new name and a redelivered event the same one (at most 80 characters of
    ``[A-Za-z0-9_-]``, what Step Functions allows)."""
    identity = "\0".join((source.bucket, source.key, source.version_id or "", source.etag or ""))
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    stem = _NAME_UNSAFE.sub("-", source.file_name.rsplit(".", 1)[0]).strip("-")[:40] or "import"
    return f"{stem}-{digest}"


def segment_id_for(import_id: str) -> str:
    """The static segment an import defines: 32 hex characters, like Pinpoint segment ids."""
    return hashlib.sha256(f"segment\0{import_id}".encode()).hexdigest()[:32]


def open_object(s3: Any, source: ImportSource, *, byte_range: tuple[int, int] | None = None) -> Any:
    """The object's streaming body (optionally bytes [start, end)). A key that arrives URL-encoded ("a+b.csv"
    for "a b.csv") is retried decoded; a vanished object raises :class:`ImportFileRejected`."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    keys = [source.key]
    decoded = unquote_plus(source.key)
    if decoded != source.key:
        keys.append(decoded)
    for key in keys:
        request: dict[str, Any] = {"Bucket": source.bucket, "Key": key}
        if source.version_id:
            request["VersionId"] = source.version_id
        if byte_range is not None:
            request["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
        try:
            return s3.get_object(**request)["Body"]
        except ClientError as error:
            code = error_code(error)
            if code not in ("NoSuchKey", "NoSuchVersion", "404"):
                raise
    raise ImportFileRejected(f"the object {source.uri} no longer exists (deleted before it was imported)")

"""Step "Plan" of the import workflow (``import_planner``): the ``started`` notification, one streaming pass over
the object (file-level problems fail here, before anything is written) and the manifest of byte ranges.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.audience.import_errors import ImportFileRejected
from pinpoint_runtime.audience.import_file import ImportFileError, ImportFormat
from pinpoint_runtime.audience.import_notifications import ImportNotificationType, ImportNotifier, _source_message
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.import_source import ImportSource, open_object, segment_id_for
from pinpoint_runtime.core.timestamps import iso_utc

_EXTENSION_FORMATS = {
    ".csv": ImportFormat.CSV,
    ".json": ImportFormat.JSON,
    ".ndjson": ImportFormat.JSON,
    ".jsonl": ImportFormat.JSON,
}


def plan_step(
    event: Mapping[str, Any], *, s3: Any, settings: ImportSettings, notifier: ImportNotifier
) -> dict[str, Any]:
    """Announce the import, read the object once (streaming) into a plan of byte ranges, store the manifest.

    ``event``: ``{"source": {...}, "import_id": <execution name>, "started_at": <execution start time>}``.
    Returns the run description every later step gets (small: the header, counts and S3 keys)."""
    from pinpoint_runtime.audience.import_plan import plan_import  # noqa: PLC0415

    source = ImportSource.from_dict(event["source"])
    import_id = str(event["import_id"])
    notifier.publish(
        ImportNotificationType.STARTED, {**_source_message(import_id, source), "started_at": event.get("started_at")}
    )
    body = open_object(s3, source)
    try:
        plan = plan_import(body, rows_per_chunk=settings.rows_per_chunk, file_format=_format_from_key(source.key))
    except ImportFileError as error:
        raise ImportFileRejected(f"{source.file_name}: {error}") from None
    finally:
        body.close()
    manifest = [
        {"index": index, "start": chunk.start, "end": chunk.end, "first_line": chunk.first_line, "rows": chunk.rows}
        for index, chunk in enumerate(plan.chunks)
    ]
    manifest_key = settings.work_key(import_id, "manifest.json")
    s3.put_object(
        Bucket=settings.results_bucket,
        Key=manifest_key,
        Body=json.dumps(manifest).encode("utf-8"),
        ContentType="application/json",
    )
    segment = None
    if settings.define_segment:
        segment = {
            "id": segment_id_for(import_id),
            "name": settings.segment_name or source.file_name.rsplit(".", 1)[0] or import_id,
        }
    return {
        "import_id": import_id,
        "started_at": event.get("started_at") or iso_utc(),
        "format": plan.format,
        "header": plan.header,
        "warnings": plan.warnings[:20],
        "rows": plan.rows,
        "chunks": len(manifest),
        "size": plan.size,
        "manifest_bucket": settings.results_bucket,
        "manifest_key": manifest_key,
        "segment": segment,
    }


def _format_from_key(key: str) -> str | None:
    extension = os.path.splitext(key)[1].lower()
    return _EXTENSION_FORMATS.get(extension)

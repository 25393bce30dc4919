"""The S3-triggered endpoint import workflow: its steps, names and result layout.

One module per part: :mod:`~pinpoint_runtime.audience.import_settings`, :mod:`~pinpoint_runtime.audience.import_source`
(the object, execution names), :mod:`~pinpoint_runtime.audience.import_notifications`, the steps
:mod:`~pinpoint_runtime.audience.import_start_step`, :mod:`~pinpoint_runtime.audience.import_plan_step`,
:mod:`~pinpoint_runtime.audience.import_range_step`, :mod:`~pinpoint_runtime.audience.import_finish_step`, and
:mod:`~pinpoint_runtime.audience.import_errors`. This module keeps :func:`failure_reason` importable.

The workflow (``pinpoint_constructs.S3TriggeredImport``)::

    S3 "Object Created" (EventBridge) -> SQS -> import_starter: StartExecution named import_execution_name(...)
      -> Plan      (import_planner)      "started" notification; one streaming pass over the object
                                          (import_plan.plan_import) -> manifest of byte ranges in S3
      -> Import    Distributed Map over the manifest; per range import_chunk_writer: ranged GET, the very
                   same validation as ``pinpoint-constructs validate-import``, EndpointStore batches of 100,
                   rejects part, segment membership and segment-list part, counts part
      -> Finish    (import_reporter)     sums the counts, one rejects.csv and one segment list, the segment
                                          record, summary.json, "succeeded" notification
      any error -> Report failure (import_reporter) "failed" notification with the reason -> Fail

No step holds the whole file, and only small JSON travels between states (the manifest and every per-range
result live in S3). Names: the execution name is derived from bucket, key and version id/ETag, so two drops in
the same second never collide and the same object delivered twice is imported once.

Result layout in the results bucket (``<results>`` is ``IMPORT_RESULTS_PREFIX``, ``<work>`` is
``IMPORT_WORK_PREFIX``, both ending in "/")::

    <results><import id>/summary.json           counts, duration, segment, status (written on success and failure)
    <results><import id>/rejects.csv            line, field, reason, row (PII masked when configured)
    <results><import id>/segment-endpoints.jsonl  the segment's endpoints (Pinpoint endpoint JSON), define_segment
    <work><import id>/manifest.json, chunks/, rejects/, segment/   per-range parts (expired by a lifecycle rule)
"""

from __future__ import annotations

from pinpoint_runtime.audience.import_finish_step import failure_reason

__all__ = ["failure_reason"]

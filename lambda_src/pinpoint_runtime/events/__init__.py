"""Pinpoint event-stream records: normalisation into the lake's record shape and the Firehose writer (put_events).

* :mod:`.records`: :func:`~.records.normalize_record`, source detection and parsing, over the per-source
  conversions :mod:`.pinpoint_records`, :mod:`.ses_records` and :mod:`.sms_records` (sharing :mod:`.record_values`);
* :mod:`.event_types` (sources, registered event types and their ``kind``), :mod:`.event_time` (epoch ms, ``dt``),
  :mod:`.ses_tags` (the library's ids as SES message tag values);
* :mod:`.firehose_transformation`: the normalising Firehose transformation and its settings;
* :mod:`.stream`: :class:`~.stream.EventStreamWriter` and its settings; :mod:`.put_events`: Pinpoint ``put_events``
  validation and conversion.
"""

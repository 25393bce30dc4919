"""Shared Lambda runtime of pinpoint-constructs, importable by partners as ``pinpoint_runtime``.

It keeps Amazon Pinpoint's data contracts on services that are live today:

* :mod:`pinpoint_runtime.events.records` (stdlib only) turns SES event-publishing records, End User Messaging
  SMS v2 event records and Pinpoint-shaped records into Pinpoint event-stream records, with the event
  lake's partition keys.
* :mod:`pinpoint_runtime.events.stream` (boto3) writes records to the event lake's Firehose stream and
  offers Pinpoint's ``put_events`` request/response shapes.

Submodules are not imported here, so importing the package stays cheap.
"""

"""Pinpoint event-stream records: normalisation into the lake's record shape and the Firehose writer (put_events)."""

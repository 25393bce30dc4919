"""Fixtures of the built-in custom channel tests (shared with tests/functions/test_custom_channels.py)."""

from tests.support.custom_channel_fixtures import aws, certificate, http, server  # noqa: F401 (pytest fixtures)

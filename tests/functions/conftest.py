"""Fixtures of the function tests: moto (``aws``) and the local HTTPS server the HTTPS channels post to
(``certificate``, ``server``), the same ones the runtime's channel tests use."""

from tests.support.custom_channel_fixtures import aws, certificate, server  # noqa: F401 (pytest fixtures)

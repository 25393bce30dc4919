"""Tests of the custom resource function lambda_src/origination_two_way/handler.py (the logic and its tests:
pinpoint_runtime.sms.two_way_identity, tests/runtime/sms/test_two_way_identity.py)."""

from __future__ import annotations

from origination_two_way import handler as custom_resource
from pinpoint_runtime.sms.two_way_identity import TwoWayIdentitySettings, on_event


def test_handler_alias_is_the_provider_entry_point() -> None:
    assert custom_resource.handler is on_event


def test_the_function_reads_no_settings() -> None:
    assert (TwoWayIdentitySettings,) == custom_resource.SETTINGS
    assert TwoWayIdentitySettings.environment_variables() == {}
    assert TwoWayIdentitySettings().to_environment() == {}

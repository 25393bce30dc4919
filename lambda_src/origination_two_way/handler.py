"""Custom resource of ``TwoWaySms`` (CDK Provider framework ``on_event``): two-way SMS on an existing number or
pool, restored on delete (see :mod:`pinpoint_runtime.sms.two_way_identity`)."""

from __future__ import annotations

from pinpoint_runtime.sms.two_way_identity import TwoWayIdentitySettings, on_event

SETTINGS = (TwoWayIdentitySettings,)
"""What the function reads: nothing but its ResourceProperties."""

handler = on_event
"""The Provider framework's ``on_event`` entry point."""

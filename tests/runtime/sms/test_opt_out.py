"""Tests of pinpoint_runtime.sms.opt_out: the module-level send gate (may_send on the default registry)."""

from __future__ import annotations

from typing import Any

import pytest

from pinpoint_runtime.sms import opt_out
from pinpoint_runtime.sms.opt_out_registry import OptOutRegistry, OptOutState
from pinpoint_runtime.sms.sender import SmsSender
from tests.support.opt_out_world import (
    CUSTOMER,
    OTHER_CUSTOMER,
    OUR_NUMBER,
    TABLE,
    World,
)

pytestmark = pytest.mark.usefixtures("opt_out_environment")


def test_module_level_may_send_uses_the_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="OPT_OUT_REGISTRY_TABLE"):
        opt_out.may_send(CUSTOMER, "PROMOTIONAL")
    monkeypatch.setenv("OPT_OUT_REGISTRY_TABLE", TABLE)
    OptOutRegistry(TABLE, client=dynamodb).record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=None)
    assert opt_out.may_send(CUSTOMER, "PROMOTIONAL") is False
    assert opt_out.may_send(CUSTOMER, "TRANSACTIONAL") is True
    assert opt_out.default_registry() is opt_out.default_registry()


def test_may_send_plugs_into_the_sender(world: World) -> None:
    world.registry.record(CUSTOMER, OptOutState.OPTED_OUT_ALL, keyword="STOPALL", origination=OUR_NUMBER)
    from pinpoint_runtime.sms.sender import RecipientOptedOut

    guarded = SmsSender(
        client=world.sms, origination_identity=world.phone["PhoneNumberId"], may_send=world.registry.may_send
    )
    with pytest.raises(RecipientOptedOut):
        guarded.send_text(CUSTOMER, "Your code is 123456", message_type="TRANSACTIONAL")
    assert guarded.send_text(OTHER_CUSTOMER, "Sale today", message_type="PROMOTIONAL")
    assert world.sms.calls_to("send_text_message")[0]["DestinationPhoneNumber"] == OTHER_CUSTOMER

"""What the bridge sends with (pinpoint_runtime.bridge.senders): its settings and one sender per configuration set."""

from __future__ import annotations

from pinpoint_runtime.bridge.senders import configuration_set_senders, opt_out_policy
from pinpoint_runtime.sms.opt_out import OptOutRegistrySettings
from pinpoint_runtime.sms.sender import SmsSenderSettings


def test_one_sender_per_configuration_set_sharing_client_identity_and_policy() -> None:
    def policy(number: str, message_type: str) -> bool:
        return True

    client = object()
    settings = SmsSenderSettings.from_environment(
        {"SMS_ORIGINATION_IDENTITY": "pool-1", "SMS_CONFIGURATION_SET": "set-a"}
    )
    senders = configuration_set_senders(settings, may_send=policy, client=client)
    assert senders.sender_for(None) is senders.default is senders.sender_for("set-a")
    other = senders.sender_for("set-b")
    assert other is senders.sender_for("set-b") and other is not senders.default
    assert other.configuration_set_name == "set-b" and other.origination_identity == "pool-1"
    assert other.client is client and other.may_send is policy


def test_the_opt_out_policy_only_when_a_registry_is_bound() -> None:
    assert opt_out_policy(None) is None
    policy = opt_out_policy(OptOutRegistrySettings(table_name="registry"))
    assert policy is not None and policy.__self__.table_name == "registry"  # type: ignore[attr-defined]  # a bound method

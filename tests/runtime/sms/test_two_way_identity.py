"""Tests of pinpoint_runtime.sms.two_way_identity, the custom resource of lambda_src/origination_two_way (two-way on
an existing number or pool), against tests/support/sms_voice_fake.py (every request checked against the real service
model)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.sms.two_way_identity import ConfigurationError, Identity, PhysicalId, on_event
from tests.support.sms_voice_fake import FakeSmsVoiceV2

TOPIC = "arn:aws:sns:us-east-1:123456789012:two-way-inbound"
OLD_TOPIC = "arn:aws:sns:us-east-1:123456789012:legacy-inbound"
ROLE = "arn:aws:iam::123456789012:role/sms-two-way"
OLD_ROLE = "arn:aws:iam::123456789012:role/legacy-two-way"
SETTINGS = ("TwoWayEnabled", "TwoWayChannelArn", "TwoWayChannelRole", "SelfManagedOptOutsEnabled", "OptOutListName")
MISSING_PHYSICAL_ID = "AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID"


@pytest.fixture
def sms() -> FakeSmsVoiceV2:
    fake = FakeSmsVoiceV2()
    fake.add_opt_out_list("brand-opt-outs")
    return fake


def settings_of(info: dict[str, Any]) -> dict[str, Any]:
    return {key: info.get(key) for key in SETTINGS}


def number_settings(sms: FakeSmsVoiceV2, number_id: str) -> dict[str, Any]:
    return settings_of(sms.phone_numbers[number_id])


def create(sms: FakeSmsVoiceV2, **properties: Any) -> dict[str, Any]:
    return on_event({"RequestType": "Create", "ResourceProperties": properties}, client=sms)


def props(identity_type: str, identity_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "IdentityType": identity_type,
        "IdentityId": identity_id,
        "TwoWayChannelArn": TOPIC,
        **extra,
    }


def test_create_enables_two_way_and_delete_restores_a_number_that_had_it_off(sms) -> None:
    number = sms.add_phone_number("+12065550100")
    before = number_settings(sms, number["PhoneNumberId"])
    response = create(
        sms,
        **props(
            "phone-number",
            number["PhoneNumberId"],
            TwoWayChannelRole=ROLE,
            SelfManagedOptOutsEnabled="true",
            OptOutListName="brand-opt-outs",
        ),
    )
    assert number_settings(sms, number["PhoneNumberId"]) == {
        "TwoWayEnabled": True,
        "TwoWayChannelArn": TOPIC,
        "TwoWayChannelRole": ROLE,
        "SelfManagedOptOutsEnabled": True,
        "OptOutListName": "brand-opt-outs",
    }
    assert response["Data"] == {
        "IdentityArn": number["PhoneNumberArn"],
        "IdentityId": number["PhoneNumberId"],
        "PhoneNumber": "+12065550100",
    }
    physical_id = response["PhysicalResourceId"]
    assert physical_id.startswith(f"phone-number:{number['PhoneNumberId']}:") and len(physical_id) < 1024
    on_event({"RequestType": "Delete", "PhysicalResourceId": physical_id, "ResourceProperties": {}}, client=sms)
    after = number_settings(sms, number["PhoneNumberId"])
    # the API cannot clear a channel: two-way is off again and the (unused) channel stays
    assert {key: after[key] for key in ("TwoWayEnabled", "SelfManagedOptOutsEnabled", "OptOutListName")} == {
        key: before[key] for key in ("TwoWayEnabled", "SelfManagedOptOutsEnabled", "OptOutListName")
    }
    assert after["TwoWayEnabled"] is False


def test_delete_restores_previous_two_way_channel_role_and_list_exactly(sms) -> None:
    number = sms.add_phone_number(
        "+12065550100",
        two_way_enabled=True,
        two_way_channel_arn=OLD_TOPIC,
        two_way_channel_role=OLD_ROLE,
        opt_out_list_name="Default",
    )
    before = number_settings(sms, number["PhoneNumberId"])
    response = create(
        sms,
        **props(
            "phone-number",
            number["PhoneNumberArn"],
            TwoWayChannelRole=ROLE,
            SelfManagedOptOutsEnabled="true",
            OptOutListName="brand-opt-outs",
        ),
    )
    assert number_settings(sms, number["PhoneNumberId"])["TwoWayChannelArn"] == TOPIC
    on_event({"RequestType": "Delete", "PhysicalResourceId": response["PhysicalResourceId"]}, client=sms)
    assert number_settings(sms, number["PhoneNumberId"]) == before


def test_number_in_a_pool_is_refused_with_a_clear_message(sms) -> None:
    pool = sms.add_pool()
    number = sms.add_phone_number("+12065550100", pool_id=pool["PoolId"])
    with pytest.raises(ConfigurationError, match=f"configure pool {pool['PoolId']} instead"):
        create(sms, **props("phone-number", number["PhoneNumberId"]))
    assert sms.calls_to("update_phone_number") == [] and sms.calls_to("update_pool") == []


def test_pool_create_and_delete(sms) -> None:
    pool = sms.add_pool(opt_out_list_name="brand-opt-outs")
    before = settings_of(sms.pools[pool["PoolId"]])
    response = create(sms, **props("pool", pool["PoolArn"], SelfManagedOptOutsEnabled="false"))
    assert settings_of(sms.pools[pool["PoolId"]]) == {
        "TwoWayEnabled": True,
        "TwoWayChannelArn": TOPIC,
        "TwoWayChannelRole": None,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "brand-opt-outs",
    }
    assert sms.calls_to("update_pool") == [
        {
            "PoolId": pool["PoolArn"],
            "TwoWayEnabled": True,
            "TwoWayChannelArn": TOPIC,
            "SelfManagedOptOutsEnabled": False,
            "OptOutListName": "brand-opt-outs",
        }
    ]
    assert response["Data"] == {"IdentityArn": pool["PoolArn"], "IdentityId": pool["PoolId"]}
    on_event({"RequestType": "Delete", "PhysicalResourceId": response["PhysicalResourceId"]}, client=sms)
    assert {
        key: value for key, value in settings_of(sms.pools[pool["PoolId"]]).items() if key != "TwoWayChannelArn"
    } == {key: value for key, value in before.items() if key != "TwoWayChannelArn"}


def test_update_of_the_same_identity_keeps_the_original_settings_and_physical_id(sms) -> None:
    number = sms.add_phone_number("+12065550100", opt_out_list_name="Default")
    created = create(
        sms,
        **props(
            "phone-number", number["PhoneNumberId"], SelfManagedOptOutsEnabled="true", OptOutListName="brand-opt-outs"
        ),
    )
    # same number, now named by its ARN; self-managed opt-outs and the list are no longer requested
    updated = on_event(
        {
            "RequestType": "Update",
            "PhysicalResourceId": created["PhysicalResourceId"],
            "ResourceProperties": props("phone-number", number["PhoneNumberArn"], TwoWayChannelRole=ROLE),
            "OldResourceProperties": props("phone-number", number["PhoneNumberId"]),
        },
        client=sms,
    )
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]  # no replacement, so no restore
    assert number_settings(sms, number["PhoneNumberId"]) == {
        "TwoWayEnabled": True,
        "TwoWayChannelArn": TOPIC,
        "TwoWayChannelRole": ROLE,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default",  # back to the original values
    }
    assert PhysicalId.decode(updated["PhysicalResourceId"]).previous == {
        "TwoWayEnabled": False,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default",
    }


def test_update_to_another_identity_replaces_and_the_old_one_is_restored(sms) -> None:
    old = sms.add_phone_number("+12065550100")
    new = sms.add_phone_number("+12065550111", opt_out_list_name="brand-opt-outs")
    created = create(sms, **props("phone-number", old["PhoneNumberId"]))
    updated = on_event(
        {
            "RequestType": "Update",
            "PhysicalResourceId": created["PhysicalResourceId"],
            "ResourceProperties": props("phone-number", new["PhoneNumberId"]),
        },
        client=sms,
    )
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert PhysicalId.decode(updated["PhysicalResourceId"]).identity == Identity("phone-number", new["PhoneNumberId"])
    # CloudFormation then deletes the old physical resource
    on_event({"RequestType": "Delete", "PhysicalResourceId": created["PhysicalResourceId"]}, client=sms)
    assert number_settings(sms, old["PhoneNumberId"])["TwoWayEnabled"] is False
    assert number_settings(sms, new["PhoneNumberId"])["TwoWayEnabled"] is True
    assert number_settings(sms, new["PhoneNumberId"])["OptOutListName"] == "brand-opt-outs"


def test_update_after_a_failed_create_is_a_create(sms) -> None:
    number = sms.add_phone_number("+12065550100")
    response = on_event(
        {
            "RequestType": "Update",
            "PhysicalResourceId": MISSING_PHYSICAL_ID,
            "ResourceProperties": props("phone-number", number["PhoneNumberId"]),
        },
        client=sms,
    )
    assert PhysicalId.decode(response["PhysicalResourceId"]).previous["TwoWayEnabled"] is False
    assert number_settings(sms, number["PhoneNumberId"])["TwoWayEnabled"] is True


@pytest.mark.parametrize("physical_id", [MISSING_PHYSICAL_ID, "", "phone-number:phone-1:!!!", "sender-id:x:e30"])
def test_delete_of_a_foreign_physical_id_does_nothing(sms, physical_id: str) -> None:
    response = on_event({"RequestType": "Delete", "PhysicalResourceId": physical_id}, client=sms)
    assert response == {"PhysicalResourceId": physical_id}
    assert sms.calls == []


def test_delete_when_the_identity_is_gone_succeeds(sms) -> None:
    physical_id = PhysicalId(
        Identity("phone-number", "phone-0000000000000000000000000000dead"), {"TwoWayEnabled": False}
    ).encode()
    assert on_event({"RequestType": "Delete", "PhysicalResourceId": physical_id}, client=sms) == {
        "PhysicalResourceId": physical_id
    }
    assert len(sms.calls_to("update_phone_number")) == 1


def test_previous_settings_too_large_for_a_physical_id_fail_before_any_change(sms) -> None:
    huge_topic = "arn:aws:sns:us-east-1:123456789012:" + "t" * 1000
    number = sms.add_phone_number("+12065550100", two_way_enabled=True, two_way_channel_arn=huge_topic)
    with pytest.raises(ConfigurationError, match="do not fit in a physical resource id"):
        create(sms, **props("phone-number", number["PhoneNumberId"]))
    assert sms.calls_to("update_phone_number") == []


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"IdentityType": "sender-id", "IdentityId": "s-1", "TwoWayChannelArn": TOPIC}, "IdentityType"),
        ({"IdentityType": "pool", "IdentityId": "", "TwoWayChannelArn": TOPIC}, "IdentityId"),
        ({"IdentityType": "pool", "IdentityId": "pool 1", "TwoWayChannelArn": TOPIC}, "IdentityId"),
        ({"IdentityType": "pool", "IdentityId": "pool-1"}, "TwoWayChannelArn is required"),
    ],
)
def test_invalid_properties(sms, properties: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        create(sms, **properties)
    assert sms.calls == []


def test_self_managed_flag_must_be_a_boolean(sms) -> None:
    pool = sms.add_pool()
    with pytest.raises(ConfigurationError, match="SelfManagedOptOutsEnabled must be true or false"):
        create(sms, **props("pool", pool["PoolId"], SelfManagedOptOutsEnabled="maybe"))
    assert sms.calls_to("update_pool") == []


def test_unknown_identity_surfaces_the_service_error(sms) -> None:
    with pytest.raises(sms.exceptions.ResourceNotFoundException):
        create(sms, **props("pool", "pool-404"))


# ------------------------------------------------------------------------------------------- physical id property

ids = st.from_regex(r"\A(arn:aws:sms-voice:us-east-1:[0-9]{12}:(phone-number|pool)/)?[a-z]+-[0-9a-f]{32}\Z")
arns = st.none() | st.from_regex(r"\Aarn:aws:[a-z]+:[a-z0-9-]*:[0-9]{12}:[A-Za-z0-9_/:.-]{1,60}\Z")
previous_settings = st.fixed_dictionaries(
    {"TwoWayEnabled": st.booleans(), "SelfManagedOptOutsEnabled": st.booleans()},
    optional={
        "TwoWayChannelArn": arns,
        "TwoWayChannelRole": arns,
        "OptOutListName": st.none() | st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"),
    },
)


@given(st.sampled_from(["phone-number", "pool"]), ids, previous_settings)
def test_physical_id_round_trip(kind: str, identity_id: str, previous: dict[str, Any]) -> None:
    physical = PhysicalId(Identity(kind, identity_id), previous)
    decoded = PhysicalId.decode(physical.encode())
    assert decoded.identity == physical.identity
    assert decoded.previous == {key: value for key, value in previous.items() if value is not None}


@given(st.text(max_size=200))
def test_decoding_arbitrary_text_raises_only_value_error(text: str) -> None:
    try:
        decoded = PhysicalId.decode(text)
    except ValueError:
        return
    assert decoded.identity.kind in ("phone-number", "pool") and text.startswith(decoded.identity.kind + ":")

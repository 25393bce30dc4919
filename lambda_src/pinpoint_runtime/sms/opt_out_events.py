"""The events of self-managed SMS opt-outs: an EventBridge event and a lake event for every opt-out and opt-in.

* EventBridge (``OPT_OUT_EVENT_BUS_NAME``): source :data:`EVENT_SOURCE`, detail type "SMS Opt-Out" or
  "SMS Opt-In", the detail of :func:`event_bridge_entry` (the number in clear: the bus is the compliance channel);
* the event lake (``PINPOINT_EVENT_STREAM_NAME``): a Pinpoint-shaped record of type ``_SMS.OPTOUT`` /
  ``_SMS.OPTIN`` (:func:`lake_record`).

Events may be delivered twice (the SQS message is retried); consumers dedupe on ``inbound_message_id``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.events.records import EVENT_VERSION
from pinpoint_runtime.phone import mask_phone_number
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keyword_rules import KeywordRule
from pinpoint_runtime.sms.opt_out_registry import OptOutError, OptOutState, iso_registry_time

EVENT_SOURCE = "pinpoint-constructs.sms"
DETAIL_TYPE_OPT_OUT = "SMS Opt-Out"
DETAIL_TYPE_OPT_IN = "SMS Opt-In"
LAKE_EVENT_OPT_OUT = "_SMS.OPTOUT"
LAKE_EVENT_OPT_IN = "_SMS.OPTIN"


@dataclass(frozen=True)
class OptOutChange:
    """One opt-out or opt-in the processor acted on: what its events describe.

    ``replied`` is whether the confirmation was sent (``None``: not known when the event is published, e.g. an
    opt-in whose confirmation follows the event).
    """

    inbound: InboundSms
    rule: KeywordRule
    state: OptOutState
    previous_state: OptOutState | None
    at: datetime
    opt_out_list_name: str
    on_opt_out_list: bool
    replied: bool | None

    @property
    def opt_in(self) -> bool:
        return self.state is OptOutState.OPTED_IN


def event_bridge_entry(change: OptOutChange, event_bus_name: str | None) -> dict[str, Any]:
    """The ``PutEvents`` entry of ``change``."""
    inbound = change.inbound
    detail: dict[str, Any] = {
        "phone_number": inbound.origination_number,
        "state": change.state.value,
        "previous_state": change.previous_state.value if change.previous_state else None,
        "keyword": change.rule.keyword,
        "action": change.rule.action.value,
        "origination_number": inbound.destination_number,
        "inbound_message_id": inbound.inbound_message_id,
        "opt_out_list_name": change.opt_out_list_name,
        "on_opt_out_list": change.on_opt_out_list,
        "occurred_at": iso_registry_time(change.at),
    }
    if change.replied is not None:
        detail["confirmation_sent"] = change.replied
    return {
        "Source": EVENT_SOURCE,
        "DetailType": DETAIL_TYPE_OPT_IN if change.opt_in else DETAIL_TYPE_OPT_OUT,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": event_bus_name,
        "Time": change.at,
    }


def lake_record(change: OptOutChange, *, arrival: datetime, account_id: str | None = None) -> dict[str, Any]:
    """The event-lake record of ``change`` (``arrival``: when it is written)."""
    inbound = change.inbound
    record: dict[str, Any] = {
        "event_type": LAKE_EVENT_OPT_IN if change.opt_in else LAKE_EVENT_OPT_OUT,
        "event_timestamp": int(change.at.timestamp() * 1000),
        "arrival_timestamp": int(arrival.timestamp() * 1000),
        "event_version": EVENT_VERSION,
        "application": {"sdk": {}},
        "client": {},
        "device": {"platform": {}},
        "session": {},
        "attributes": {
            "origination_phone_number": inbound.destination_number,
            "destination_phone_number": inbound.origination_number,
            "record_status": change.state.value,
            "keyword": change.rule.keyword,
            "message_id": inbound.inbound_message_id,
            "opt_out_list_name": change.opt_out_list_name,
            "on_opt_out_list": "true" if change.on_opt_out_list else "false",
        },
        "metrics": {},
    }
    if account_id:
        record["awsAccountId"] = account_id
    return record


def put_event(events_client: Any, entry: dict[str, Any], phone_number: str) -> None:
    """``PutEvents`` of one entry; :class:`OptOutError` (retryable, masked number) when it was not delivered."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    masked = mask_phone_number(phone_number)
    try:
        response = events_client.put_events(Entries=[entry])
    except ClientError as error:
        code = error_code(error, type(error).__name__)
        raise OptOutError(
            f"PutEvents ({entry['DetailType']}) for {masked} failed: {code}", code=code, retryable=True
        ) from None
    if response.get("FailedEntryCount"):
        failed = response.get("Entries", [{}])[0].get("ErrorCode") or "Unknown"
        raise OptOutError(
            f"PutEvents ({entry['DetailType']}) for {masked} failed: {failed}", code=failed, retryable=True
        )


__all__ = [
    "DETAIL_TYPE_OPT_IN",
    "DETAIL_TYPE_OPT_OUT",
    "EVENT_SOURCE",
    "LAKE_EVENT_OPT_IN",
    "LAKE_EVENT_OPT_OUT",
    "OptOutChange",
    "event_bridge_entry",
    "lake_record",
    "put_event",
]

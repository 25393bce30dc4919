"""SMS delivery of a campaign: the opt-out registry's ``may_send(number, message_type)`` when one is configured
(``OPT_OUT``; fail-closed: a registry error sends nothing and releases the claim), then ``SendTextMessage`` through
:class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender` (message parts per second per origination
identity, throttling retried with full-jitter backoff) with ``Context`` ``{campaign_id, treatment_id,
endpoint_id}`` (the lake normaliser turns ``endpoint_id`` into ``client_id``). ``RecipientOptedOut`` ->
``OPT_OUT``; other ``SmsSendError`` -> ``FAILURE`` with the error code; not started before the deadline, or
still throttled -> ``THROTTLED`` (claim released)."""

from __future__ import annotations

from typing import Any

from pinpoint_runtime.campaigns.delivery_checks import DeliveryItem
from pinpoint_runtime.campaigns.payloads import (
    DEFAULT_SMS_MESSAGE_TYPE,
    FAILURE,
    OPT_OUT,
    SUCCESS,
    THROTTLED,
    CampaignContext,
    Channel,
    Outcome,
)
from pinpoint_runtime.sms.rate_limiter import THROTTLING_CODE, RateLimitDeadlineExceeded, RateLimitedSmsSender
from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError


class SmsDelivery:
    """The SMS part of :class:`~pinpoint_runtime.campaigns.delivery.CampaignDelivery` (a base class: the
    delivery sets ``sms_sender`` and ``opt_out_registry``)."""

    sms_sender: RateLimitedSmsSender | None
    opt_out_registry: Any

    def _send_sms(self, context: CampaignContext, item: DeliveryItem, deadline: float | None) -> tuple[Outcome, bool]:
        """(outcome, release the claim?)"""
        endpoint_id = item.endpoint_id
        number = item.endpoint["Address"]
        rendered = item.rendered
        message_type = str(rendered.get("MessageType") or DEFAULT_SMS_MESSAGE_TYPE)
        if self.opt_out_registry is not None:
            try:
                allowed = self.opt_out_registry.may_send(number, message_type)
            except Exception as error:  # noqa: BLE001 - fail closed on any registry failure
                code = getattr(error, "code", type(error).__name__)
                return Outcome(
                    endpoint_id,
                    Channel.SMS,
                    FAILURE,
                    f"opt-out registry unavailable ({code}); not sent, a retry of the batch may send it",
                ), True
            if not allowed:
                return Outcome(endpoint_id, Channel.SMS, OPT_OUT, f"opted out in the registry ({message_type})"), False
        identity = rendered.get("OriginationNumber") or rendered.get("SenderId") or None
        extra = {"keyword": rendered["Keyword"]} if rendered.get("Keyword") else {}
        try:
            result = self.sms_sender.send_text(  # type: ignore[union-attr]
                number,
                rendered.get("Body", ""),
                message_type=message_type,
                context=_sms_context(context, endpoint_id),
                origination_identity=identity,
                deadline=deadline,
                **extra,
            )
        except RecipientOptedOut as error:
            return Outcome(endpoint_id, Channel.SMS, OPT_OUT, f"recipient opted out ({error.source})"), False
        except RateLimitDeadlineExceeded as error:
            return Outcome(endpoint_id, Channel.SMS, THROTTLED, f"not attempted: {error}"), True
        except SmsSendError as error:
            if error.code == THROTTLING_CODE:
                return Outcome(
                    endpoint_id,
                    Channel.SMS,
                    THROTTLED,
                    "not sent: still throttled (ThrottlingException) after every attempt",
                ), True
            label = f"{error.code} ({error.reason})" if error.reason else error.code
            return Outcome(endpoint_id, Channel.SMS, FAILURE, f"SendTextMessage failed: {label}"), False
        except ValueError as error:  # the sender's local validation; its messages mask the number
            return Outcome(endpoint_id, Channel.SMS, FAILURE, f"not sent: {error}"), False
        return Outcome(endpoint_id, Channel.SMS, SUCCESS, None, result.message_id), False


def _sms_context(context: CampaignContext, endpoint_id: str) -> dict[str, str]:
    """SendTextMessage ``Context`` (values 1-800 characters, no surrounding whitespace)."""
    values = {"campaign_id": context.campaign_id, "treatment_id": context.treatment_id, "endpoint_id": endpoint_id}
    out = {}
    for key, value in values.items():
        value = str(value).strip()[:800].strip()
        if value:
            out[key] = value
    return out


__all__ = ["SmsDelivery"]

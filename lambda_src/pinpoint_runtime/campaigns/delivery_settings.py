"""A :class:`~pinpoint_runtime.campaigns.delivery.CampaignDelivery` configured from the environment the
``CampaignRunner`` construct sets on its page sender.

==========================================  ==============================================================
``CAMPAIGN_LEDGER_TABLE``                   ledger table name (required)
``CAMPAIGN_LEDGER_TTL_DAYS``                days a ledger item is kept (default 30)
``CAMPAIGN_SMS_MPS``                        SMS message parts per second per origination identity, **for this
                                            process** (the identity's MPS divided by the concurrent workers;
                                            default 1)
``CAMPAIGN_SMS_IDENTITY_RATES``             JSON object identity -> parts per second, overriding the rate above
``CAMPAIGN_SMS_ORIGINATION_IDENTITY``       default origination identity (phone number/pool/sender id or ARN;
                                            else ``SMS_ORIGINATION_IDENTITY``, else the account picks)
``CAMPAIGN_SMS_CONFIGURATION_SET``          SMS configuration set (else ``SMS_CONFIGURATION_SET``)
``OPT_OUT_REGISTRY_TABLE``                  self-managed opt-out registry (``SelfManagedOptOut.bind_may_send``);
                                            unset = no registry check
``CAMPAIGN_EMAIL_RATE``                     SES messages per second for this process (default 1)
``CAMPAIGN_EMAIL_CONFIGURATION_SET``        SES configuration set
``CAMPAIGN_EMAIL_FROM_ADDRESS``             From address when ``EmailMessage.FromAddress`` is not set (else
                                            ``CAMPAIGN_EMAIL_IDENTITY`` when that identity is an address)
``CAMPAIGN_DELIVERY_WORKERS``               concurrent sends within one batch (default 4)
``PINPOINT_EVENT_STREAM_NAME``              the lake's Firehose stream; unset = no ``_campaign.send`` events
``APPLICATION_ID``                          default application id of those events
==========================================  ==============================================================
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.campaigns.delivery import DEFAULT_DELIVERY_WORKERS, CampaignDelivery
from pinpoint_runtime.campaigns.delivery_checks import is_email_address
from pinpoint_runtime.campaigns.ledger import (
    DEFAULT_LEDGER_TTL_SECONDS,
    ENV_LEDGER_TABLE,
    ENV_LEDGER_TTL_DAYS,
    SendLedger,
)
from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender
from pinpoint_runtime.sms.sender import SmsSender

ENV_SMS_MPS = "CAMPAIGN_SMS_MPS"
ENV_SMS_IDENTITY_RATES = "CAMPAIGN_SMS_IDENTITY_RATES"
ENV_SMS_ORIGINATION_IDENTITY = "CAMPAIGN_SMS_ORIGINATION_IDENTITY"
ENV_SMS_CONFIGURATION_SET = "CAMPAIGN_SMS_CONFIGURATION_SET"
ENV_EMAIL_RATE = "CAMPAIGN_EMAIL_RATE"
ENV_EMAIL_CONFIGURATION_SET = "CAMPAIGN_EMAIL_CONFIGURATION_SET"
ENV_EMAIL_FROM_ADDRESS = "CAMPAIGN_EMAIL_FROM_ADDRESS"
ENV_EMAIL_IDENTITY = "CAMPAIGN_EMAIL_IDENTITY"
ENV_DELIVERY_WORKERS = "CAMPAIGN_DELIVERY_WORKERS"


def delivery_from_environment(
    *,
    dynamodb_client: Any = None,
    sms_client: Any = None,
    ses_client: Any = None,
    event_writer: Any = None,
    environ: Mapping[str, str] | None = None,
) -> CampaignDelivery:
    """A :class:`CampaignDelivery` configured from the environment variables of the module docstring.

    Clients default to boto3 clients created here (``sesv2``, ``pinpoint-sms-voice-v2``, ``dynamodb``); SMS and
    email are always configured (a campaign without one simply has no such endpoints). Raises ``ValueError`` naming
    the variable when a value is malformed."""
    env = os.environ if environ is None else environ
    table = env.get(ENV_LEDGER_TABLE)
    if not table:
        raise ValueError(f"{ENV_LEDGER_TABLE} is required (the send ledger's table name)")
    ttl_days = _number(env, ENV_LEDGER_TTL_DAYS, DEFAULT_LEDGER_TTL_SECONDS / 86400)
    if dynamodb_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        dynamodb_client = client("dynamodb")
    ledger = SendLedger(table, client=dynamodb_client, ttl_seconds=max(1, int(ttl_days * 86400)))

    if sms_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        sms_client = client("pinpoint-sms-voice-v2")
    sms_rate = _number(env, ENV_SMS_MPS, 1.0)
    identity_rates = _json_rates(env, ENV_SMS_IDENTITY_RATES)
    sender = SmsSender(
        origination_identity=env.get(ENV_SMS_ORIGINATION_IDENTITY) or env.get("SMS_ORIGINATION_IDENTITY") or None,
        configuration_set_name=env.get(ENV_SMS_CONFIGURATION_SET) or env.get("SMS_CONFIGURATION_SET") or None,
        client=sms_client,
    )
    sms = RateLimitedSmsSender(sender, parts_per_second=sms_rate, identity_rates=identity_rates)

    registry = None
    if env.get("OPT_OUT_REGISTRY_TABLE"):
        from pinpoint_runtime.sms.opt_out import OptOutRegistry  # noqa: PLC0415

        registry = OptOutRegistry(env["OPT_OUT_REGISTRY_TABLE"], client=dynamodb_client)

    if ses_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        ses_client = client("sesv2")
    if event_writer is None and env.get("PINPOINT_EVENT_STREAM_NAME"):
        from pinpoint_runtime.events.stream import EventStreamWriter  # noqa: PLC0415

        event_writer = EventStreamWriter(env["PINPOINT_EVENT_STREAM_NAME"], application_id=env.get("APPLICATION_ID"))
    workers = int(_number(env, ENV_DELIVERY_WORKERS, DEFAULT_DELIVERY_WORKERS))
    return CampaignDelivery(
        ledger=ledger,
        sms_sender=sms,
        opt_out_registry=registry,
        ses_client=ses_client,
        email_configuration_set=env.get(ENV_EMAIL_CONFIGURATION_SET) or None,
        default_from_address=env.get(ENV_EMAIL_FROM_ADDRESS) or _address_identity(env.get(ENV_EMAIL_IDENTITY)),
        email_messages_per_second=_number(env, ENV_EMAIL_RATE, 1.0),
        event_writer=event_writer,
        max_workers=max(1, workers),
    )


def _address_identity(identity: str | None) -> str | None:
    """An SES identity usable as a From address (an email address identity; a domain is not one)."""
    return identity if identity and is_email_address(identity) else None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive number, got {raw[:40]!r}")
    return value


def _json_rates(env: Mapping[str, str], name: str) -> dict[str, float]:
    raw = env.get(name)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} must be a JSON object of identity -> parts per second") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be a JSON object of identity -> parts per second")
    rates: dict[str, float] = {}
    for identity, rate in data.items():
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0 or math.isinf(rate):
            raise ValueError(f"{name}[{identity!r}] must be a positive number")
        rates[str(identity)] = float(rate)
    return rates


__all__ = ["delivery_from_environment"]

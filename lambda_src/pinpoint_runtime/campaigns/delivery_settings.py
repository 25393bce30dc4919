"""The settings of campaign delivery (:class:`DeliverySettings`, written by the ``CampaignRunner`` construct on its
page sender) and the :class:`~pinpoint_runtime.campaigns.delivery.CampaignDelivery` they configure, with the send
ledger's :class:`~pinpoint_runtime.campaigns.ledger.LedgerSettings`, the opt-out registry's and the event lake's.

==========================================  ==============================================================
``CAMPAIGN_LEDGER_TABLE``                   ledger table name (required)
``CAMPAIGN_LEDGER_TTL_DAYS``                days a ledger item is kept (default 30; ``ledger_retention``)
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

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pinpoint_runtime.campaigns.delivery_checks import is_email_address
from pinpoint_runtime.campaigns.ledger import LedgerSettings, SendLedger
from pinpoint_runtime.core.environment import Codec, FunctionSettings, SettingsError, variable
from pinpoint_runtime.events.stream_settings import EventStreamSettings
from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings

if TYPE_CHECKING:
    from pinpoint_runtime.campaigns.delivery import CampaignDelivery

DEFAULT_DELIVERY_WORKERS = 4

RATE = Codec(encode=lambda value: f"{float(value):g}", decode=float)
"""A rate as the construct has always written it (``%g``: ``0.5``, ``1``, ``0.333333``)."""
_WORKERS = Codec(encode=lambda value: str(int(value)), decode=lambda text: int(float(text)))


def _positive(name: str, value: float) -> None:
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class DeliverySettings(FunctionSettings):
    """How the page sender delivers SMS and email (see the module docstring)."""

    construct: ClassVar[str] = "CampaignRunner"
    sms_messages_per_second: float = variable(
        "CAMPAIGN_SMS_MPS", default=1.0, codec=RATE, doc="SMS message parts per second of this page sender"
    )
    sms_identity_rates: dict[str, float] | None = variable(
        "CAMPAIGN_SMS_IDENTITY_RATES", default=None, doc="JSON object origination identity -> parts per second"
    )
    sms_origination_identity: str | None = variable(
        "CAMPAIGN_SMS_ORIGINATION_IDENTITY", default=None, doc="default SMS origination identity"
    )
    sms_configuration_set: str | None = variable(
        "CAMPAIGN_SMS_CONFIGURATION_SET", default=None, doc="SMS configuration set"
    )
    email_messages_per_second: float = variable(
        "CAMPAIGN_EMAIL_RATE", default=1.0, codec=RATE, doc="SES messages per second of this page sender"
    )
    email_configuration_set: str | None = variable(
        "CAMPAIGN_EMAIL_CONFIGURATION_SET", default=None, doc="SES configuration set"
    )
    email_from_address: str | None = variable(
        "CAMPAIGN_EMAIL_FROM_ADDRESS", default=None, doc="From address when the message sets none"
    )
    email_identity: str | None = variable("CAMPAIGN_EMAIL_IDENTITY", default=None, doc="the SES identity")
    workers: int | None = variable(
        "CAMPAIGN_DELIVERY_WORKERS",
        default=None,
        codec=_WORKERS,
        doc=f"concurrent sends within one batch (unset: {DEFAULT_DELIVERY_WORKERS})",
    )

    def __post_init__(self) -> None:
        _positive("CAMPAIGN_SMS_MPS", self.sms_messages_per_second)
        _positive("CAMPAIGN_EMAIL_RATE", self.email_messages_per_second)
        if self.workers is not None:
            _positive("CAMPAIGN_DELIVERY_WORKERS", self.workers)
        for identity, rate in (self.sms_identity_rates or {}).items():
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0 or math.isinf(rate):
                raise ValueError(f"CAMPAIGN_SMS_IDENTITY_RATES[{identity!r}] must be a positive number")

    @property
    def default_from_address(self) -> str | None:
        """``email_from_address``, else the SES identity when that identity is an address (a domain is not one)."""
        if self.email_from_address:
            return self.email_from_address
        identity = self.email_identity
        return identity if identity and is_email_address(identity) else None


def delivery_from_settings(
    settings: DeliverySettings,
    ledger: LedgerSettings,
    *,
    opt_out: OptOutRegistrySettings | None = None,
    event_stream: EventStreamSettings | None = None,
    dynamodb_client: Any = None,
    sms_client: Any = None,
    ses_client: Any = None,
    event_writer: Any = None,
) -> CampaignDelivery:
    """A :class:`CampaignDelivery` of these settings: the send ledger, SMS through ``SendTextMessage`` (the
    origination identity and configuration set default to the SMS sender's own settings), the opt-out registry
    when ``opt_out`` is given, SES v2 email, and ``_campaign.send`` events when ``event_stream`` is given.

    Clients default to the shared boto3 clients (``sesv2``, ``pinpoint-sms-voice-v2``, ``dynamodb``); SMS and
    email are always configured (a campaign without one simply has no such endpoints)."""
    # imported here: the handler imports this module for its settings, the delivery code is needed per run
    from pinpoint_runtime.campaigns.delivery import CampaignDelivery  # noqa: PLC0415
    from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415
    from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender  # noqa: PLC0415
    from pinpoint_runtime.sms.sender import SmsSender  # noqa: PLC0415

    if dynamodb_client is None:
        dynamodb_client = client("dynamodb")
    send_ledger = SendLedger.from_settings(ledger, client=dynamodb_client)

    if sms_client is None:
        sms_client = client("pinpoint-sms-voice-v2")
    sender = SmsSender(
        origination_identity=settings.sms_origination_identity,
        configuration_set_name=settings.sms_configuration_set,
        client=sms_client,
    )
    sms = RateLimitedSmsSender(
        sender,
        parts_per_second=settings.sms_messages_per_second,
        identity_rates={str(k): float(v) for k, v in (settings.sms_identity_rates or {}).items()},
    )

    registry = None
    if opt_out is not None:
        from pinpoint_runtime.sms.opt_out import OptOutRegistry  # noqa: PLC0415

        registry = OptOutRegistry(opt_out.table_name, client=dynamodb_client)

    if ses_client is None:
        ses_client = client("sesv2")
    if event_writer is None and event_stream is not None:
        from pinpoint_runtime.events.stream import EventStreamWriter  # noqa: PLC0415

        event_writer = EventStreamWriter(event_stream.delivery_stream_name, application_id=event_stream.application_id)
    return CampaignDelivery(
        ledger=send_ledger,
        sms_sender=sms,
        opt_out_registry=registry,
        ses_client=ses_client,
        email_configuration_set=settings.email_configuration_set,
        default_from_address=settings.default_from_address,
        email_messages_per_second=settings.email_messages_per_second,
        event_writer=event_writer,
        max_workers=max(1, DEFAULT_DELIVERY_WORKERS if settings.workers is None else settings.workers),
    )


def delivery_from_environment(
    *,
    dynamodb_client: Any = None,
    sms_client: Any = None,
    ses_client: Any = None,
    event_writer: Any = None,
    environ: Mapping[str, str] | None = None,
) -> CampaignDelivery:
    """:func:`delivery_from_settings` of the settings in ``environ`` (default: the process environment). Raises
    ``ValueError`` naming the variable when one is missing or malformed."""
    try:
        ledger = LedgerSettings.from_environment(environ)
        settings = DeliverySettings.from_environment(environ)
        opt_out = OptOutRegistrySettings.from_environment_if_set(environ)
        event_stream = EventStreamSettings.from_environment_if_set(environ)
    except SettingsError as error:
        raise ValueError(str(error)) from None
    return delivery_from_settings(
        settings,
        ledger,
        opt_out=opt_out,
        event_stream=event_stream,
        dynamodb_client=dynamodb_client,
        sms_client=sms_client,
        ses_client=ses_client,
        event_writer=event_writer,
    )


__all__ = [
    "DEFAULT_DELIVERY_WORKERS",
    "RATE",
    "DeliverySettings",
    "delivery_from_environment",
    "delivery_from_settings",
]

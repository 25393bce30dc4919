"""One item of a campaign run's Distributed Map: a page of endpoints through the hooks, rendering, SMS/EMAIL
delivery and custom channels, one outcome per endpoint (``pinpoint_runtime.campaigns.steps.pages.page_step``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.delivery_settings import DeliverySettings
from pinpoint_runtime.campaigns.ledger import LedgerSettings
from pinpoint_runtime.campaigns.steps.pages import page_sender_from_environment, page_step
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.campaigns.template_store import TemplateSettings
from pinpoint_runtime.core.aws_clients import client
from pinpoint_runtime.events.stream_settings import EventStreamSettings
from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings

SERVICE_NAME = "campaign-batch-sender"
SETTINGS = (
    RunnerSettings,
    LedgerSettings,
    DeliverySettings,
    TemplateSettings,
    OptOutRegistrySettings,
    EventStreamSettings,
)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = RunnerSettings.from_environment()
    result = page_step(
        event,
        s3=client("s3"),
        settings=settings,
        sender_factory=lambda request: page_sender_from_environment(request, settings, context),
    )
    logger.info("page sent", extra={"run_id": event["run"]["run_id"], **result})
    return result

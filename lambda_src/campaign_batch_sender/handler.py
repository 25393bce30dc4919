"""One item of a campaign run's Distributed Map: a page of endpoints through the hooks, rendering, SMS/EMAIL
delivery and custom channels, one outcome per endpoint (``pinpoint_runtime.campaigns.steps.pages.page_step``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.request import CampaignRequest
from pinpoint_runtime.campaigns.steps.invoker import FunctionInvoker
from pinpoint_runtime.campaigns.steps.pages import BatchSender, page_step
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.core.aws_clients import client

SERVICE_NAME = "campaign-batch-sender"
CHANNEL_TIMEOUT_SECONDS = 300
"""A custom channel may run longer than a hook (a paced Connect channel takes minutes for 50 calls)."""
logger = Logger(service=SERVICE_NAME)


def sender_for(request: CampaignRequest, settings: RunnerSettings, lambda_context: Any = None) -> BatchSender:
    """The page sender of one run, configured from the environment the CampaignRunner construct sets."""
    from pinpoint_runtime.campaigns.delivery import deadline_from_lambda_context  # noqa: PLC0415
    from pinpoint_runtime.campaigns.delivery_settings import delivery_from_environment  # noqa: PLC0415
    from pinpoint_runtime.campaigns.templates import renderer_for_request  # noqa: PLC0415

    delivery = delivery_from_environment()
    return BatchSender(
        request,
        renderer=renderer_for_request(request, s3=client("s3")),
        delivery=delivery,
        invoker=FunctionInvoker(),  # hooks: Pinpoint's 15 s budget, at most 3 attempts
        channel_invoker=FunctionInvoker(timeout=CHANNEL_TIMEOUT_SECONDS),
        hooks=settings.hooks,
        channels=settings.channels,
        ledger=delivery.ledger,
        event_writer=delivery.event_writer,
        deadline=deadline_from_lambda_context(lambda_context, margin_seconds=30) if lambda_context else None,
    )


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = RunnerSettings.from_environment()
    result = page_step(
        event, s3=client("s3"), settings=settings, sender_factory=lambda request: sender_for(request, settings, context)
    )
    logger.info("page sent", extra={"run_id": event["run"]["run_id"], **result})
    return result

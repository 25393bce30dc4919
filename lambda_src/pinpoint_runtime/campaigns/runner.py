"""The campaign engine (``pinpoint_constructs.CampaignRunner``): its workflow, and where each part lives.

Workflow::

    Plan        (campaign_planner)  validate the request; read the segment (an EndpointStore static segment, an
                                    S3 list of Pinpoint endpoint JSON lines, or a Pinpoint import CSV) as a stream
                                    into pages of endpoints in S3; manifest of pages
    Send pages  Distributed Map over the manifest; per page campaign_batch_sender: for each batch of <= 50
                endpoints: every hook (FILTER payload, 15 s, <= 3 attempts; the answer replaces the batch) ->
                render each message -> SMS / EMAIL delivery (rate-limited, idempotent) and CUSTOM channels ->
                one outcome per endpoint, ``_campaign.send`` events; outcomes and counts of the page in S3
    Summarize   (campaign_reporter) counts per status, checked against the planned endpoints; summary.json
    any error -> Report failure (campaign_reporter) -> Fail

Every endpoint of the segment ends with exactly one outcome (``campaign_payloads.Outcome``): SUCCESS, FAILURE,
OPT_OUT, FILTERED_BY_HOOK, RENDER_FAILURE, UNSUPPORTED_CHANNEL, THROTTLED or DUPLICATE.

Modules: :mod:`~pinpoint_runtime.campaigns.request` (the run request), :mod:`~pinpoint_runtime.campaigns.steps`
(plan, pages, summary; the hook/channel invoker; the run settings), :mod:`~pinpoint_runtime.campaigns.client`
(:class:`CampaignRunnerClient`: start a run now or at a time, read its summary). This module keeps the names other
packages import from it.
"""

from __future__ import annotations

from pinpoint_runtime.campaigns.client import CampaignRunnerClient
from pinpoint_runtime.campaigns.request import CampaignRequestError

__all__ = ["CampaignRequestError", "CampaignRunnerClient"]

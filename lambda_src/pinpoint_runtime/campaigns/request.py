"""A campaign run's request (the execution input): parsed and validated once, by the planner, the page senders
and :class:`~pinpoint_runtime.campaigns.client.CampaignRunnerClient` alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from pinpoint_runtime.campaigns.payloads import CampaignContext, Channel

CHANNEL_MESSAGES = {channel: channel.message_key for channel in Channel}
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class CampaignRequestError(ValueError):
    """The run request cannot be used (the message names the field). Not retried."""


@dataclass(frozen=True)
class CampaignRequest:
    """One run: the segment, the message (Pinpoint's MessageConfiguration), ids, optional templates and
    substitutions, and which endpoint types go to which custom channel."""

    context: CampaignContext
    segment: Mapping[str, Any]
    template_configuration: Mapping[str, Any] | None = None
    substitutions: Mapping[str, list[str]] | None = None
    custom_channel: str | None = None
    custom_endpoint_types: tuple[str, ...] = (Channel.CUSTOM,)

    @classmethod
    def parse(cls, data: Any) -> CampaignRequest:
        """Validate a request (execution input); :class:`CampaignRequestError` names the field."""
        if not isinstance(data, Mapping):
            raise CampaignRequestError("the request must be a JSON object")
        for name in ("application_id", "campaign_id"):
            value = data.get(name)
            if not isinstance(value, str) or not _ID.fullmatch(value):
                raise CampaignRequestError(f"{name} is required: 1-128 characters of letters, digits and _.:-")
        treatment = str(data.get("treatment_id", "0"))
        if not _ID.fullmatch(treatment):
            raise CampaignRequestError("treatment_id must be 1-128 characters of letters, digits and _.:-")
        message = data.get("message_configuration")
        if not isinstance(message, Mapping) or not any(key in message for key in CHANNEL_MESSAGES.values()):
            raise CampaignRequestError(
                "message_configuration needs SMSMessage, EmailMessage and/or CustomMessage (Pinpoint's shape)"
            )
        segment = data.get("segment")
        if not isinstance(segment, Mapping) or not (segment.get("segment_id") or segment.get("s3_url")):
            raise CampaignRequestError('segment must be {"segment_id": ...} or {"s3_url": "s3://bucket/key"}')
        if segment.get("s3_url"):
            url = urlparse(str(segment["s3_url"]))
            if url.scheme != "s3" or not url.netloc or not url.path.strip("/"):
                raise CampaignRequestError("segment.s3_url must look like s3://bucket/key")
        substitutions = data.get("substitutions")
        if substitutions is not None and not (
            isinstance(substitutions, Mapping)
            and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in substitutions.values())
        ):
            raise CampaignRequestError("substitutions must map names to lists of strings (Pinpoint's shape)")
        types = data.get("custom_endpoint_types", [Channel.CUSTOM])
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise CampaignRequestError("custom_endpoint_types must be a list of channel types")
        context = CampaignContext(
            application_id=data["application_id"],
            campaign_id=data["campaign_id"],
            treatment_id=treatment,
            activity_id=str(data.get("activity_id") or ""),
            scheduled_time=str(data.get("scheduled_time") or ""),
            message_configuration=dict(message),
        )
        return cls(
            context=context,
            segment=dict(segment),
            template_configuration=data.get("template_configuration"),
            substitutions=substitutions,
            custom_channel=data.get("custom_channel"),
            custom_endpoint_types=tuple(types),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.context.to_dict(),
            "segment": dict(self.segment),
            "template_configuration": self.template_configuration,
            "substitutions": self.substitutions,
            "custom_channel": self.custom_channel,
            "custom_endpoint_types": list(self.custom_endpoint_types),
        }


__all__ = ["CHANNEL_MESSAGES", "CampaignRequest", "CampaignRequestError"]

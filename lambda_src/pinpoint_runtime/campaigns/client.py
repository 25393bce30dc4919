"""Start a campaign run now or at a time (a one-time EventBridge Scheduler schedule), and read its summary."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pinpoint_runtime.campaigns.request import CampaignRequest, CampaignRequestError
from pinpoint_runtime.core.aws_clients import new_client


class CampaignRunnerClient:
    """Start a campaign run now or at a time, and read its summary.

    ``state_machine_arn``: the runner's workflow. For scheduled runs also ``scheduler_role_arn`` and
    ``schedule_group`` (the construct's ``scheduler_role`` and ``schedule_group_name``): a one-time EventBridge
    Scheduler schedule starts the execution at the time and deletes itself."""

    def __init__(
        self,
        state_machine_arn: str,
        *,
        scheduler_role_arn: str | None = None,
        schedule_group: str | None = None,
        sfn: Any = None,
        scheduler: Any = None,
    ) -> None:
        self.state_machine_arn = state_machine_arn
        self.scheduler_role_arn = scheduler_role_arn
        self.schedule_group = schedule_group
        self._sfn = sfn
        self._scheduler = scheduler

    def _client(self, name: str, attribute: str) -> Any:
        if getattr(self, attribute) is None:
            setattr(self, attribute, new_client(name))
        return getattr(self, attribute)

    def start(self, request: Mapping[str, Any], *, at: datetime | None = None, name: str | None = None) -> dict:
        """Validate ``request`` (:class:`CampaignRequest`) and start it: ``{"executionArn"}`` now, or
        ``{"scheduleArn"}`` at ``at`` (timezone-aware, in the future)."""
        parsed = CampaignRequest.parse(request)
        run_name = (
            name or f"{parsed.context.campaign_id[:40]}-{parsed.context.treatment_id[:8]}-{uuid.uuid4().hex[:12]}"
        )
        run_name = re.sub(r"[^A-Za-z0-9_-]", "-", run_name)[:80]
        payload = json.dumps({"request": parsed.to_dict()})
        if at is None:
            response = self._client("stepfunctions", "_sfn").start_execution(
                stateMachineArn=self.state_machine_arn, name=run_name, input=payload
            )
            return {"executionArn": response["executionArn"]}
        if at.tzinfo is None:
            raise CampaignRequestError("at must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc))")
        if at <= datetime.now(UTC):
            raise CampaignRequestError("at must be in the future")
        if not self.scheduler_role_arn or not self.schedule_group:
            raise CampaignRequestError("scheduled runs need scheduler_role_arn and schedule_group")
        expression = at.astimezone(UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
        response = self._client("scheduler", "_scheduler").create_schedule(
            Name=run_name[:64],
            GroupName=self.schedule_group,
            ScheduleExpression=expression,
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": self.state_machine_arn, "RoleArn": self.scheduler_role_arn, "Input": payload},
        )
        return {"scheduleArn": response["ScheduleArn"]}

    def summary(self, execution_arn: str) -> dict[str, Any]:
        """The run's status and, when it has finished, its summary (counts per status)."""
        described = self._client("stepfunctions", "_sfn").describe_execution(executionArn=execution_arn)
        out: dict[str, Any] = {"status": described["status"], "executionArn": execution_arn}
        if described.get("output"):
            output = json.loads(described["output"])
            out["summary"] = output.get("summary", output)
        if described.get("error") or described.get("cause"):
            out["error"], out["cause"] = described.get("error"), described.get("cause")
        return out


__all__ = ["CampaignRequestError", "CampaignRunnerClient"]

"""pinpoint_runtime.campaigns.client: start a run now or scheduled, read its summary; the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.campaigns.client import CampaignRunnerClient
from pinpoint_runtime.campaigns.request import CampaignRequestError
from tests.runtime.campaigns.test_request import request


@pytest.mark.usefixtures("fake_aws_credentials")
def test_the_client_starts_now_or_schedules_and_reads_the_summary():
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="runner",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )["stateMachineArn"]
        scheduler = boto3.client("scheduler", region_name="us-east-1")
        scheduler.create_schedule_group(Name="campaigns")
        client = CampaignRunnerClient(
            arn,
            scheduler_role_arn="arn:aws:iam::123456789012:role/s",
            schedule_group="campaigns",
            sfn=sfn,
            scheduler=scheduler,
        )
        started = client.start(request())
        described = sfn.describe_execution(executionArn=started["executionArn"])
        assert json.loads(described["input"])["request"]["campaign_id"] == "camp1"
        assert client.summary(started["executionArn"])["status"] in ("RUNNING", "SUCCEEDED")
        at = datetime.now(UTC) + timedelta(hours=2)
        scheduled = client.start(request(), at=at, name="spring-sale")
        schedule = scheduler.get_schedule(Name="spring-sale", GroupName="campaigns")
        assert scheduled["scheduleArn"] == schedule["Arn"]
        assert schedule["ScheduleExpression"] == at.strftime("at(%Y-%m-%dT%H:%M:%S)")
        assert schedule["Target"]["Arn"] == arn and schedule["ActionAfterCompletion"] == "DELETE"
        with pytest.raises(CampaignRequestError, match="future"):
            client.start(request(), at=datetime.now(UTC) - timedelta(minutes=1))
        with pytest.raises(CampaignRequestError, match="timezone"):
            client.start(request(), at=datetime.now() + timedelta(hours=1))
        with pytest.raises(CampaignRequestError, match="segment"):
            client.start(request(segment={}))


@pytest.mark.usefixtures("fake_aws_credentials")
def test_the_command_line_starts_a_run_and_reads_its_summary(tmp_path, capsys):
    from pinpoint_constructs.cli import main

    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="runner",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )["stateMachineArn"]
        path = tmp_path / "request.json"
        path.write_text(json.dumps(request()))
        assert main(["campaign", "start", "--state-machine-arn", arn, "--request", str(path), "--name", "r1"]) == 0
        execution_arn = json.loads(capsys.readouterr().out)["executionArn"]
        assert execution_arn.endswith(":r1")
        assert main(["campaign", "summary", execution_arn]) == 0
        assert json.loads(capsys.readouterr().out)["executionArn"] == execution_arn
        path.write_text(json.dumps(request(segment={})))
        assert main(["campaign", "start", "--state-machine-arn", arn, "--request", str(path)]) == 1
        assert "segment" in capsys.readouterr().err

"""The Adobe bridge over real HTTP: the authorizer and send Lambda handlers behind tests/support/adobe_http_adapter.py
on
127.0.0.1 (API Gateway proxy events), driven by an HTTP client and by schemathesis from the OpenAPI document.
AWS is moto (DynamoDB, SQS, Secrets Manager); nothing may answer 5xx for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from moto import mock_aws
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance, unsupported_method

from adobe_bridge_authorizer import handler as authorizer_module
from adobe_bridge_send import handler as send_module
from pinpoint_constructs.adobe_sms_bridge_api import OPENAPI_DOCUMENT
from pinpoint_runtime.bridge.authorizer import ApiKeyAuthorizer
from pinpoint_runtime.sms.opt_out import OptOutState
from tests.support.adobe_bridge_env import API_KEY, CUSTOMER, BridgeEnv, make_env
from tests.support.adobe_http_adapter import LocalApiGateway

SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_DOCUMENT))
SCHEMA.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60, deterministic=True
)
STATUS_SEEN: dict[int, int] = {}


class Server:
    def __init__(self, base_url: str, env: BridgeEnv, gateway: LocalApiGateway) -> None:
        self.base_url = base_url
        self.env = env
        self.gateway = gateway
        self.http = requests.Session()

    def post(
        self, data: Any, *, key: str | None = API_KEY, path: str = "/messages", **headers: str
    ) -> requests.Response:
        if key is not None:
            headers["x-api-key"] = key
        body = data if isinstance(data, str) else json.dumps(data)
        headers = {"Content-Type": "application/json", **headers}
        return self.http.post(self.base_url + path, data=body.encode(), headers=headers, timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }.items():
            patch.setenv(name, value)
        env = make_env()
        patch.setattr(send_module, "_service", env.service())
        patch.setattr(authorizer_module, "_authorizer", ApiKeyAuthorizer(env.verifier(), "x-api-key"))
        gateway = LocalApiGateway(authorizer=authorizer_module.handler, handler=send_module.handler)
        with gateway as base_url:
            yield Server(base_url, env, gateway)


def payload(**overrides: Any) -> dict[str, Any]:
    return {"destinationNumber": "+1 (425) 555-0182", "messageBody": "Your code is 4821", "journeyId": "j-1",
            "actionId": "a-1", "profileId": "p-1", **overrides}  # fmt: skip


def test_an_accepted_request_and_its_duplicate_over_http(server: Server) -> None:
    first = server.post(payload(profileId="http-1"))
    again = server.post(payload(profileId="http-1"))
    assert first.status_code == 202 and first.headers["Content-Type"] == "application/json"
    assert first.json()["status"] == "ACCEPTED" and first.json()["duplicate"] is False
    assert again.status_code == 202 and again.json()["requestId"] == first.json()["requestId"]
    assert again.headers["Idempotent-Replayed"] == "true"
    jobs = [json.loads(m["Body"]) for m in server.env.queued()]
    assert [j["request_id"] for j in jobs] == [first.json()["requestId"]]
    assert jobs[0]["destination"] == CUSTOMER


def test_auth_failures_are_401_and_403_and_never_reach_the_handler(server: Server) -> None:
    calls = (server.gateway.authorizer_calls, server.gateway.handler_calls)
    missing = server.post(payload(), key=None)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert server.gateway.authorizer_calls == calls[0]  # API Gateway answers a missing identity source itself
    wrong = server.post(payload(), key="not-the-key")
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"
    assert server.gateway.authorizer_calls == calls[0] + 1 and server.gateway.handler_calls == calls[1]
    assert server.env.queued() == []


def test_status_codes_ajo_can_act_on(server: Server) -> None:
    assert server.post("{").status_code == 400
    invalid = server.post(payload(messageBody=""))
    assert invalid.status_code == 400 and invalid.json()["field"] == "messageBody"
    assert server.post(payload(), path="/elsewhere").status_code == 404
    assert server.http.get(server.base_url + "/messages", headers={"x-api-key": API_KEY}, timeout=10).status_code == 404
    server.env.registry.record("+14255550199", OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    opted_out = server.post(payload(destinationNumber="+14255550199", messageType="PROMOTIONAL"))
    assert opted_out.status_code == 409 and opted_out.json()["error"] == "opted_out"
    reused = [server.post(payload(profileId=p), **{"Idempotency-Key": "k-1"}) for p in ("x", "y")]
    assert [r.status_code for r in reused] == [202, 422]
    assert len(server.env.queued()) == 1


@SCHEMA.parametrize()
def test_the_api_conforms_to_its_openapi_document_and_never_answers_5xx(case: Any, server: Server) -> None:
    # positive_data_acceptance is excluded: some schema-valid strings are not valid phone numbers (a 400 naming
    # destinationNumber is the right answer); unsupported_method: like API Gateway, unknown methods get 404
    # (MISSING_AUTHENTICATION_TOKEN mapped to 404 so AJO does not retry), not 405.
    response = case.call_and_validate(
        base_url=server.base_url,
        headers={"x-api-key": API_KEY},
        excluded_checks=[positive_data_acceptance, unsupported_method],
    )
    assert response.status_code < 500, response.text
    STATUS_SEEN[response.status_code] = STATUS_SEEN.get(response.status_code, 0) + 1
    if response.status_code == 400:
        assert response.json()["error"] == "invalid_request" and isinstance(response.json()["field"], str)


def test_schemathesis_exercised_both_accepted_and_refused_requests(server: Server) -> None:
    # Runs after the schemathesis test in this module (file order): it must have produced real traffic, valid
    # requests that were queued as well as invalid ones the handler refused. Run alone, it exercises nothing.
    if server.gateway.handler_calls < 30:
        pytest.skip("the schemathesis test did not run in this session")
    statuses = STATUS_SEEN
    assert statuses.get(202, 0) >= 1 and statuses.get(400, 0) >= 5, statuses

"""A small local stand-in for API Gateway's REST API in front of the Adobe bridge's two Lambda handlers.

:class:`LocalApiGateway` serves ``POST /<stage>/messages`` on 127.0.0.1 and does what API Gateway does for the
bridge's OpenAPI document, no more: it routes (anything else: 404, the document's MISSING_AUTHENTICATION_TOKEN
response), answers 401 itself when the API key header is missing (the authorizer's identity source), runs the
REQUEST authorizer (``Exception("Unauthorized")`` → 401, a Deny policy or an Allow that does not cover the method →
403, any other exception → 500 like AUTHORIZER_FAILURE), then builds the Lambda proxy event (REST API payload
format 1.0, with ``requestContext.authorizer``) and returns the handler's proxy response (an exception or a
malformed response → 502, as API Gateway does). It does **not** apply API Gateway's JSON schema validation, so the
handler's own validation is what the tests exercise.

``dispatch`` runs one request in process: ``prepare`` (what API Gateway builds) then ``invoke`` (the two functions);
the benchmark times both and ``invoke`` alone. ``start``/``stop`` (or ``with``) serve HTTP.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
API_ID = "localapi"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """What Powertools' ``inject_lambda_context`` reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    timeout_ms: int = 10_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class PreparedRequest:
    """A routed, key-bearing request as API Gateway hands it to the two functions."""

    authorizer_event: dict[str, Any]
    authorizer_context: LambdaContext
    event: dict[str, Any]
    context: LambdaContext


def _json(status: int, error: str, message: str, **headers: str) -> GatewayResponse:
    body = json.dumps({"error": error, "message": message}).encode()
    return GatewayResponse(status, {"Content-Type": "application/json", **headers}, body)


class LocalApiGateway:
    """API Gateway (REST, Lambda proxy, Lambda REQUEST authorizer) for one resource, on 127.0.0.1."""

    def __init__(
        self,
        *,
        authorizer: Handler,
        handler: Handler,
        api_key_header: str = "x-api-key",
        stage: str = "v1",
        resource: str = "/messages",
        method: str = "POST",
    ) -> None:
        self.authorizer = authorizer
        self.handler = handler
        self.api_key_header = api_key_header
        self.stage = stage
        self.resource = resource
        self.method = method
        self.method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/{method}{resource}"
        self.authorizer_calls = 0
        self.handler_calls = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --------------------------------------------------------------------------------------------- in process

    def dispatch(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None, source_ip: str = "127.0.0.1"
    ) -> GatewayResponse:
        """One request through the gateway: routing, authorizer, proxy event, handler."""
        prepared = self.prepare(method, path, headers, body, source_ip)
        if isinstance(prepared, GatewayResponse):
            return prepared
        return self.invoke(prepared)

    def prepare(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None, source_ip: str = "127.0.0.1"
    ) -> PreparedRequest | GatewayResponse:
        """What API Gateway does before calling a function: routing (404), the identity source check (401), the
        authorizer's REQUEST event and the proxy event (without the authorizer's answer), with their contexts."""
        route, _, query = path.partition("?")
        if method != self.method or route != f"/{self.stage}{self.resource}":
            return _json(404, "not_found", "no such resource or method")
        headers = dict(headers)
        if not _header(headers, self.api_key_header):
            return _json(401, "unauthorized", "the API key header is missing")

        request_id = str(uuid.uuid4())
        now = time.time()
        request_context = {
            "resourceId": "res123",
            "resourcePath": self.resource,
            "httpMethod": method,
            "extendedRequestId": request_id[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": route,
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": self.stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": _header(headers, "user-agent")},
            "domainName": "127.0.0.1",
            "apiId": API_ID,
        }
        query_parameters = _query(query)
        common = {
            "resource": self.resource,
            "path": self.resource,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": query_parameters or None,
            "multiValueQueryStringParameters": (
                {name: [value] for name, value in query_parameters.items()} if query_parameters else None
            ),
            "pathParameters": None,
            "stageVariables": None,
        }

        text: str | None
        encoded = False
        if body is None or body == b"":
            text = None
        else:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, encoded = base64.b64encode(body).decode(), True
        return PreparedRequest(
            authorizer_event={"type": "REQUEST", "methodArn": self.method_arn, **common,
                              "requestContext": request_context},
            authorizer_context=LambdaContext("adobe-bridge-authorizer", aws_request_id=request_id),
            event={**common, "requestContext": request_context, "body": text, "isBase64Encoded": encoded},
            context=LambdaContext("adobe-bridge-send", aws_request_id=request_id),
        )  # fmt: skip

    def invoke(self, prepared: PreparedRequest) -> GatewayResponse:
        """The authorizer (401/403/500 as API Gateway answers them), then the handler with the authorizer's answer
        in ``requestContext.authorizer`` (an exception or a malformed proxy response: 502)."""
        with self._lock:
            self.authorizer_calls += 1
        try:
            answer = self.authorizer(prepared.authorizer_event, prepared.authorizer_context)
        except Exception as error:  # noqa: BLE001 - what API Gateway does with authorizer errors
            if str(error) == "Unauthorized":
                return _json(401, "unauthorized", "the API key header is missing")
            return _json(500, "internal_error", "authorizer failure")
        if not _allows(answer, self.method_arn):
            return _json(403, "forbidden", "the API key is not valid")

        event = {
            **prepared.event,
            "requestContext": {
                **prepared.event["requestContext"],
                "authorizer": {"principalId": answer.get("principalId"), **(answer.get("context") or {})},
            },
        }
        with self._lock:
            self.handler_calls += 1
        try:
            result = self.handler(event, prepared.context)
            status = int(result["statusCode"])
            response_headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
            payload = result.get("body") or ""
            raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        except Exception:  # noqa: BLE001 - Lambda error or malformed proxy response: API Gateway answers 502
            return _json(502, "internal_error", "Internal server error")
        return GatewayResponse(status, response_headers, raw)

    # --------------------------------------------------------------------------------------------- HTTP

    def start(self) -> str:
        """Serve on 127.0.0.1 (a free port); returns the base URL including the stage, e.g.
        ``http://127.0.0.1:50123/v1``."""
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = dict(self.headers.items())
                response = gateway.dispatch(self.command, self.path, headers, body, self.client_address[0])
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            def __getattr__(self, name: str) -> Any:  # every method (TRACE, PROPFIND, ...) goes to the gateway
                if name.startswith("do_") and name != "do_HEAD":
                    return self._serve
                raise AttributeError(name)

            def do_HEAD(self) -> None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/{self.stage}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _query(query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(query, keep_blank_values=True))


def _allows(answer: Any, method_arn: str) -> bool:
    """Whether the authorizer's policy allows ``method_arn`` (an explicit Deny wins, as in IAM)."""
    try:
        statements = answer["policyDocument"]["Statement"]
    except (KeyError, TypeError):
        return False
    allowed = False
    for statement in statements:
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if not any(isinstance(r, str) and fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow" and statement.get("Action") in ("execute-api:Invoke", "*"):
            allowed = True
    return allowed

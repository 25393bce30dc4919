"""A real HTTPS server on 127.0.0.1 for the hook and channel tests: a self-signed certificate made with the
openssl command line (SAN IP:127.0.0.1), trusted by clients through ``SSL_CERT_FILE`` or an explicit context.

Each test programs the answers (:meth:`LocalHttpsServer.answer`: status, body, headers, delay) and reads back
what arrived (:attr:`LocalHttpsServer.requests`: method, path, headers, body). With ``signing_secret`` set, the
server verifies ``X-Pinpoint-Signature`` the way a receiver should (timestamp tolerance, constant-time compare)
and answers 401 to a bad signature before any programmed answer is used.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinpoint_runtime.core.https_client import verify_signature


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool | None = None


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LocalHttpsServer:
    def __init__(self, cert: Path, key: Path, *, signing_secret: bytes | None = None) -> None:
        self.requests: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer()
        self.signing_secret = signing_secret
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = Received(self.command, self.path, headers, body)
                server.requests.append(received)
                if server.signing_secret is not None and self.command == "POST":
                    received.signature_valid = verify_signature(
                        server.signing_secret,
                        headers.get("x-pinpoint-timestamp", ""),
                        body,
                        headers.get("x-pinpoint-signature", ""),
                    )
                    if not received.signature_valid:
                        self._send(Answer(401, b"bad signature"))
                        return
                answer = server.answers.popleft() if server.answers else server.default
                if answer.delay:
                    time.sleep(answer.delay)
                self._send(answer)

            def _send(self, answer: Answer) -> None:
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_HEAD = _handle

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def client_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))

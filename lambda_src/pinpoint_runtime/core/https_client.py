"""A small HTTPS client on the standard library (``urllib``), for the campaign hooks and custom channels.

* HTTPS only: a URL that is not ``https://`` is refused before anything is sent, and so is a redirect to one.
  POSTs never follow redirects (a 3xx is returned to the caller as a status, for its response policy); GETs
  follow at most :data:`MAX_REDIRECTS` HTTPS redirects.
* Every request has a timeout (connect and each read); a response body larger than ``max_body_bytes`` is an
  error rather than a memory spike.
* TLS is verified with the default context (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are honoured, so a private
  CA bundle can be supplied the standard way).
* :func:`sign_body` / :func:`verify_signature`: HMAC-SHA256 over ``"<timestamp>.<body>"``, sent as
  ``sha256=<hex>``; receivers compare with :func:`hmac.compare_digest` and reject stale timestamps.
* :func:`send_with_retries`: the retry loop of the webhook and CDP channels: full-jitter backoff
  (:func:`pinpoint_runtime.core.retries.full_jitter_backoff`), ``Retry-After`` honoured up to the backoff cap, listed
  statuses and network errors retried, every other status final; no attempt starts after the deadline.

Nothing here logs; callers log hosts and statuses, never bodies or secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pinpoint_runtime.core.retries import full_jitter_backoff

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
DEFAULT_RETRY_STATUSES = (408, 425, 429, 500, 502, 503, 504)
SIGNATURE_SCHEME = "sha256"
USER_AGENT = "pinpoint-constructs/1"


class HttpsError(RuntimeError):
    """The request could not be made or its answer could not be read (message without URL query or body)."""


class InsecureUrlError(HttpsError, ValueError):
    """A URL (or a redirect target) is not ``https://``."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def require_https(url: str) -> urllib.parse.SplitResult:
    """``url`` split, when it is an absolute ``https://`` URL with a host; else :class:`InsecureUrlError`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise InsecureUrlError(f"only absolute https:// URLs are allowed (got scheme {parts.scheme or 'none'!r})")
    return parts


def host_of(url: str) -> str:
    """The host of ``url`` for logs (never the path or query, which may carry tokens)."""
    return urllib.parse.urlsplit(url).hostname or "?"


class _HttpsRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most ``MAX_REDIRECTS`` redirects of GET requests, only to https:// URLs."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if req.get_method() != "GET":
            return None  # POSTs are not re-sent elsewhere: the 3xx goes back to the caller
        require_https(urllib.parse.urljoin(req.full_url, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoErrorRaising(urllib.request.HTTPErrorProcessor):
    """Return every status as a response (the caller's policy decides) instead of raising HTTPError; only a
    GET's redirect goes on to the redirect handler."""

    def http_response(self, request, response):
        if response.status in (301, 302, 303, 307, 308) and request.get_method() == "GET":
            return self.parent.error("https", request, response, response.status, response.reason, response.headers)
        return response

    https_response = http_response


def _opener(context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPSHandler(context=context),
        _HttpsRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        _NoErrorRaising(),
    ):
        opener.add_handler(handler)
    return opener


class HttpsClient:
    """GET/POST over HTTPS with timeouts and bounded bodies (see the module docstring). Reusable and cheap."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.timeout = float(timeout)
        self.max_body_bytes = max_body_bytes
        self._context = ssl_context or ssl.create_default_context()
        self._opener = _opener(self._context)

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        require_https(url)
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
        try:
            with self._opener.open(request, timeout=timeout or self.timeout) as response:
                data = response.read(self.max_body_bytes + 1)
                if len(data) > self.max_body_bytes:
                    raise HttpsError(f"the response of {host_of(url)} is larger than {self.max_body_bytes} bytes")
                return HttpResponse(response.status, dict(response.headers.items()), data)
        except InsecureUrlError:
            raise
        except urllib.error.HTTPError as error:  # only for redirects it refused to follow
            return HttpResponse(error.code, dict(error.headers.items()) if error.headers else {}, b"")
        except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError) as error:
            reason = getattr(error, "reason", error)
            raise HttpsError(f"request to {host_of(url)} failed: {type(reason).__name__}: {reason}") from None

    def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self.request("GET", url, headers=headers)

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self.request("POST", url, body=body, headers=headers)


# ----------------------------------------------------------------------------------------------- signing
def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``: the timestamp is covered by the signature."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def sign_body(secret: bytes, body: bytes, *, now: float | None = None) -> tuple[str, str]:
    """(timestamp, signature) for ``body`` signed at ``now`` (Unix seconds, default the current time)."""
    timestamp = str(int(time.time() if now is None else now))
    return timestamp, signature(secret, timestamp, body)


def verify_signature(
    secret: bytes, timestamp: str, body: bytes, presented: str, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """What a receiver does: constant-time compare, and reject timestamps further than ``tolerance`` seconds from
    ``now`` (replays of an old, validly signed body)."""
    try:
        skew = abs((time.time() if now is None else now) - int(timestamp))
    except (TypeError, ValueError):
        return False
    if skew > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), (presented or "").encode())


# ----------------------------------------------------------------------------------------------- retries
@dataclass(frozen=True)
class StatusPolicy:
    """2xx is success; ``retry_statuses`` (and network errors) are retried; every other status is a failure."""

    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset(DEFAULT_RETRY_STATUSES))

    @classmethod
    def of(cls, statuses: Iterable[int] | None) -> StatusPolicy:
        return cls(frozenset(DEFAULT_RETRY_STATUSES if statuses is None else (int(s) for s in statuses)))

    def classify(self, status: int) -> str:
        if 200 <= status < 300:
            return "SUCCESS"
        return "RETRY" if status in self.retry_statuses else "FAILURE"


@dataclass(frozen=True)
class DeliveryAttempts:
    """The end of a retried request: the last response (``None`` when none arrived), the attempts made, and
    ``outcome`` SUCCESS / FAILURE with a ``reason`` that names the status or error (never the body)."""

    outcome: str
    attempts: int
    response: HttpResponse | None
    reason: str | None = None


def _retry_after(response: HttpResponse) -> float | None:
    value = {k.lower(): v for k, v in response.headers.items()}.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # HTTP-date form: fall back to backoff


def send_with_retries(
    attempt: Callable[[], HttpResponse],
    *,
    policy: StatusPolicy,
    max_attempts: int,
    backoff_base: float = 0.2,
    backoff_cap: float = 5.0,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryAttempts:
    """Call ``attempt`` until the policy says SUCCESS or FAILURE, attempts run out, or the next wait would pass
    ``deadline`` (a value of ``clock``). ``attempt`` builds a fresh request each time (new signature timestamp)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    number = 0
    while True:
        number += 1
        response: HttpResponse | None = None
        try:
            response = attempt()
        except InsecureUrlError as error:
            return DeliveryAttempts("FAILURE", number, None, str(error))
        except HttpsError as error:
            reason: str | None
            verdict, reason, wait_hint = "RETRY", str(error), None
        else:
            verdict = policy.classify(response.status)
            reason = None if verdict == "SUCCESS" else f"HTTP {response.status}"
            wait_hint = _retry_after(response)
        if verdict == "SUCCESS":
            return DeliveryAttempts("SUCCESS", number, response)
        if verdict == "FAILURE":
            return DeliveryAttempts("FAILURE", number, response, reason)
        if number >= max_attempts:
            return DeliveryAttempts("FAILURE", number, response, f"{reason} after {number} attempts")
        pause = full_jitter_backoff(number, base=backoff_base, cap=backoff_cap)
        if wait_hint is not None:
            pause = max(pause, min(wait_hint, backoff_cap))
        if deadline is not None and clock() + pause > deadline:
            return DeliveryAttempts("FAILURE", number, response, f"{reason}; no time left to retry")
        sleep(pause)


__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "DeliveryAttempts",
    "HttpResponse",
    "HttpsClient",
    "HttpsError",
    "InsecureUrlError",
    "StatusPolicy",
    "host_of",
    "require_https",
    "send_with_retries",
    "sign_body",
    "signature",
    "verify_signature",
]

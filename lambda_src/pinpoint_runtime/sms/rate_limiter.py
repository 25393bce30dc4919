"""Rate-limited SMS sending: message parts per second (MPS) per origination identity.

End User Messaging SMS counts throughput in **message parts**: one part holds 160 GSM-7 characters or 70 UCS-2
characters; a longer message is split into parts of 153 GSM-7 / 67 UCS-2 characters (the rest of each part is
the concatenation header), and every part counts toward the identity's MPS (1 for US 10DLC by default, 3 for US
toll-free, 100 for short codes). Sending faster than that gets ``ThrottlingException``s, or, worse, carrier
filtering. This module is the one send-rate control of the library (the Adobe bridge's queue consumer, the
campaign engine):

* :func:`count_message_parts`: the encoding (``GSM`` when every character is in the GSM 03.38 basic set or its
  extension table, whose characters take two septets, else ``UCS2``) and the number of parts, packed as a
  handset does: an escape pair or a UTF-16 surrogate pair is never split between two parts;
* :class:`PartsRateLimiter`: paces one identity. Each send of ``n`` parts books ``n / rate`` seconds of the
  identity's schedule and starts no earlier than the previous booking ends, so over any interval the parts
  started never exceed ``rate`` x its length plus the parts of a single message (a message's parts leave
  together; nothing can pace inside one message). The limiter never lets a send start early: it waits;
* :class:`RateLimitedSmsSender`: wraps :class:`pinpoint_runtime.sms.sender.SmsSender`. It counts the parts,
  waits for the identity's slot, sends, and retries ``ThrottlingException`` with full-jitter backoff (every retry
  books a new slot, so retries never push the rate above the limit either). Other errors propagate unchanged
  (:class:`~pinpoint_runtime.sms.sender.RecipientOptedOut`, :class:`~pinpoint_runtime.sms.sender.SmsSendError`).
  With a ``deadline`` (e.g. the Lambda's remaining time) a send that would have to wait past it raises
  :class:`RateLimitDeadlineExceeded` (``retryable=True``) without booking anything, so the caller returns the
  message to its queue instead of timing out.

The limits are per process: when ``k`` workers send from one identity, give each ``rate / k`` (the
``AdobeSmsBridge`` consumer runs at most ``consumer_concurrency`` copies and divides the rate by it).

Standard library only; the clock and sleep are injectable for tests and simulations.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.sms.sender import SmsSendError

GSM7_SINGLE_PART = 160
GSM7_MULTIPART = 153
UCS2_SINGLE_PART = 70
UCS2_MULTIPART = 67

# GSM 03.38 default alphabet (the escape 0x1B itself is not a character one can send) and its extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

THROTTLING_CODE = "ThrottlingException"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_BASE_SECONDS = 0.2
DEFAULT_BACKOFF_CAP_SECONDS = 5.0
ACCOUNT_DEFAULT_IDENTITY = "<account default>"
"""Rate-limiter key of sends without an origination identity (the service picks one)."""


@dataclass(frozen=True)
class MessageParts:
    """How a body travels: ``encoding`` ``"GSM"`` or ``"UCS2"``, ``parts`` billed and rate-counted, ``units``
    (GSM-7 septets or UTF-16 code units)."""

    encoding: str
    parts: int
    units: int


def count_message_parts(body: str) -> MessageParts:
    """The encoding and number of parts of ``body`` (see the module docstring for the packing rules)."""
    if not isinstance(body, str):
        raise TypeError("body must be a str")
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body):
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in body]
        return MessageParts("GSM", _pack(sizes, GSM7_SINGLE_PART, GSM7_MULTIPART), sum(sizes))
    sizes = [2 if ord(c) > 0xFFFF else 1 for c in body]  # characters outside the BMP are surrogate pairs
    return MessageParts("UCS2", _pack(sizes, UCS2_SINGLE_PART, UCS2_MULTIPART), sum(sizes))


def _pack(sizes: list[int], single: int, multipart: int) -> int:
    total = sum(sizes)
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:  # greedy, a character's units stay in one part
        if used + size > multipart:
            parts += 1
            used = 0
        used += size
    return parts


class RateLimitDeadlineExceeded(SmsSendError):
    """The send would have to wait past the caller's deadline; nothing was sent or booked (retry later)."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(
            f"the origination identity's send rate allows the next send in {wait_seconds:.2f} s, past the deadline",
            code="RateLimitDeadlineExceeded",
            retryable=True,
        )
        self.wait_seconds = wait_seconds


class PartsRateLimiter:
    """Paces message parts at ``parts_per_second`` (see the module docstring). Thread-safe.

    ``clock`` is a monotonic clock in seconds, ``sleep`` waits; both default to :mod:`time`'s.
    """

    def __init__(
        self,
        parts_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(parts_per_second, bool) or not parts_per_second > 0 or math.isinf(parts_per_second):
            raise ValueError("parts_per_second must be a positive finite number")
        self.parts_per_second = float(parts_per_second)
        self._clock = clock
        self._sleep = sleep
        self._next_free = -math.inf
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Seconds until a send may start (0 when it may start now). Books nothing."""
        with self._lock:
            return max(0.0, self._next_free - self._clock())

    def acquire(self, parts: int, *, deadline: float | None = None) -> float:
        """Wait for the slot of a send of ``parts`` parts and book it; return the seconds waited.

        With ``deadline`` (a value of ``clock``), raise :class:`RateLimitDeadlineExceeded` instead when the
        send could not start before it (nothing is booked then).
        """
        if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
            raise ValueError("parts must be a positive int")
        with self._lock:
            now = self._clock()
            start = max(now, self._next_free)
            if deadline is not None and start > deadline:
                raise RateLimitDeadlineExceeded(start - now)
            self._next_free = start + parts / self.parts_per_second
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass(frozen=True)
class SendResult:
    """One rate-limited send: the service's ``message_id``, its ``parts`` and ``encoding``, the ``attempts``
    made (throttled attempts included) and the seconds ``waited`` for slots and backoff."""

    message_id: str
    parts: int
    encoding: str
    attempts: int
    waited: float


class RateLimitedSmsSender:
    """Send through ``sender`` (an :class:`~pinpoint_runtime.sms.sender.SmsSender`) at most
    ``parts_per_second`` message parts per second per origination identity.

    ``identity_rates`` overrides the rate of single identities (keyed by the identity string sends use).
    Throttled sends are retried up to ``max_attempts`` attempts in all, waiting
    ``full_jitter_backoff(attempt, base=backoff_base, cap=backoff_cap)`` between them; the last
    ``ThrottlingException`` is raised when they run out (``retryable=True``: the caller retries later).
    """

    def __init__(
        self,
        sender: Any,
        *,
        parts_per_second: float,
        identity_rates: Mapping[str, float] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = DEFAULT_BACKOFF_BASE_SECONDS,
        backoff_cap: float = DEFAULT_BACKOFF_CAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        PartsRateLimiter(parts_per_second)  # validates the rate
        for rate in (identity_rates or {}).values():
            PartsRateLimiter(rate)
        self.sender = sender
        self.parts_per_second = float(parts_per_second)
        self.identity_rates = dict(identity_rates or {})
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, PartsRateLimiter] = {}
        self._lock = threading.Lock()

    def limiter(self, origination_identity: str | None) -> PartsRateLimiter:
        """The limiter of one identity (``None``: the sender's default identity, or the account default)."""
        key = origination_identity or getattr(self.sender, "origination_identity", None) or ACCOUNT_DEFAULT_IDENTITY
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                rate = self.identity_rates.get(key, self.parts_per_second)
                limiter = self._limiters[key] = PartsRateLimiter(rate, clock=self._clock, sleep=self._sleep)
            return limiter

    def send_text(
        self,
        destination: str,
        body: str,
        *,
        origination_identity: str | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> SendResult:
        """Send one message at the identity's rate; ``kwargs`` are those of ``SmsSender.send_text``.

        ``deadline`` is a value of the clock (``time.monotonic`` by default) after which no attempt starts.
        """
        counted = count_message_parts(body)
        limiter = self.limiter(origination_identity)
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            waited += limiter.acquire(counted.parts, deadline=deadline)
            try:
                message_id = self.sender.send_text(
                    destination, body, origination_identity=origination_identity, **kwargs
                )
            except SmsSendError as error:
                if error.code != THROTTLING_CODE or attempt >= self.max_attempts:
                    raise
                pause = full_jitter_backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)
                if deadline is not None and self._clock() + pause > deadline:
                    raise
                self._sleep(pause)
                waited += pause
                continue
            return SendResult(message_id, counted.parts, counted.encoding, attempt, waited)


__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "MessageParts",
    "PartsRateLimiter",
    "RateLimitDeadlineExceeded",
    "RateLimitedSmsSender",
    "SendResult",
    "count_message_parts",
]

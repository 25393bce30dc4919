"""Email delivery of a campaign: SES v2 ``SendEmail`` (simple content, configuration set, ``EmailTags``
``campaign_id``, ``treatment_id``, ``endpoint_id``, through ``event_records.encode_ses_tag_value`` so the lake gets
them back exactly), paced per From address at the configured messages per second, ``TooManyRequestsException`` /
``LimitExceededException`` retried with full-jitter backoff. A connection error after the request may have reached
SES is a ``FAILURE``, not a retry (at most once). SES error messages, which can quote addresses, are reduced to
their error codes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.campaigns.delivery_checks import DeliveryItem
from pinpoint_runtime.campaigns.payloads import FAILURE, SUCCESS, THROTTLED, CampaignContext, Channel, Outcome
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.events.records import encode_ses_tag_value
from pinpoint_runtime.sms.rate_limiter import PartsRateLimiter, RateLimitDeadlineExceeded

EMAIL_THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"}
)


class EmailDelivery:
    """The email part of :class:`~pinpoint_runtime.campaigns.delivery.CampaignDelivery` (a base class: the
    delivery sets the attributes below)."""

    ses_client: Any
    email_configuration_set: str | None
    default_from_address: str | None
    email_messages_per_second: float
    email_identity_rates: dict[str, float]
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    _clock: Callable[[], float]
    _sleep: Callable[[float], None]
    _email_limiters: dict[str, PartsRateLimiter]
    _lock: threading.Lock

    def email_limiter(self, from_address: str) -> PartsRateLimiter:
        """The pacing limiter of one From address (``email_identity_rates`` or the common rate)."""
        with self._lock:
            limiter = self._email_limiters.get(from_address)
            if limiter is None:
                rate = self.email_identity_rates.get(from_address, self.email_messages_per_second)
                limiter = self._email_limiters[from_address] = PartsRateLimiter(
                    rate, clock=self._clock, sleep=self._sleep
                )
            return limiter

    def _send_email(self, context: CampaignContext, item: DeliveryItem, deadline: float | None) -> tuple[Outcome, bool]:
        from botocore import exceptions as botocore_errors  # noqa: PLC0415

        endpoint_id = item.endpoint_id
        rendered = item.rendered
        from_address = str(rendered.get("FromAddress") or self.default_from_address)
        request: dict[str, Any] = {
            "FromEmailAddress": from_address,
            "Destination": {"ToAddresses": [item.endpoint["Address"]]},
            "Content": {"Simple": _simple_content(rendered)},
            "EmailTags": [
                {"Name": "campaign_id", "Value": encode_ses_tag_value(context.campaign_id)},
                {"Name": "treatment_id", "Value": encode_ses_tag_value(context.treatment_id)},
                {"Name": "endpoint_id", "Value": encode_ses_tag_value(endpoint_id)},
            ],
        }
        if self.email_configuration_set:
            request["ConfigurationSetName"] = self.email_configuration_set
        limiter = self.email_limiter(from_address)
        attempt = 0
        while True:
            attempt += 1
            try:
                limiter.acquire(1, deadline=deadline)
            except RateLimitDeadlineExceeded as error:
                return Outcome(endpoint_id, Channel.EMAIL, THROTTLED, f"not attempted: {error}"), True
            try:
                response = self.ses_client.send_email(**request)
            except botocore_errors.ClientError as error:
                code = error_code(error, "Unknown")
                if code in EMAIL_THROTTLING_CODES:
                    if attempt >= self.max_attempts:
                        return Outcome(
                            endpoint_id,
                            Channel.EMAIL,
                            THROTTLED,
                            f"not sent: still throttled ({code}) after every attempt",
                        ), True
                    pause = full_jitter_backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)
                    if deadline is not None and self._clock() + pause > deadline:
                        return Outcome(
                            endpoint_id,
                            Channel.EMAIL,
                            THROTTLED,
                            f"not sent: throttled ({code}) and no time left to retry",
                        ), True
                    self._sleep(pause)
                    continue
                return Outcome(endpoint_id, Channel.EMAIL, FAILURE, f"SendEmail failed: {code}"), False
            except (botocore_errors.ConnectionError, botocore_errors.HTTPClientError) as error:
                # the request may have reached SES: at most once, so this is a failure, not a retry
                return Outcome(
                    endpoint_id,
                    Channel.EMAIL,
                    FAILURE,
                    f"SendEmail failed: {type(error).__name__} (may or may not have been sent)",
                ), False
            except botocore_errors.BotoCoreError as error:
                return Outcome(endpoint_id, Channel.EMAIL, FAILURE, f"SendEmail failed: {type(error).__name__}"), False
            return Outcome(endpoint_id, Channel.EMAIL, SUCCESS, None, response.get("MessageId")), False


def _simple_content(rendered: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if rendered.get("HtmlBody"):
        body["Html"] = {"Data": rendered["HtmlBody"], "Charset": "UTF-8"}
    if rendered.get("TextBody"):
        body["Text"] = {"Data": rendered["TextBody"], "Charset": "UTF-8"}
    return {"Subject": {"Data": rendered["Subject"], "Charset": "UTF-8"}, "Body": body}


__all__ = ["EMAIL_THROTTLING_CODES", "EmailDelivery"]

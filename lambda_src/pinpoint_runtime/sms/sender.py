"""Send text messages with AWS End User Messaging SMS (``pinpoint-sms-voice-v2`` ``SendTextMessage``).

:class:`SmsSender` is the one send path of the library's SMS features (two-way replies, keyword replies,
campaign sends): it validates the request locally (so a bad request fails with a clear ``ValueError`` instead of
a round trip), asks an optional ``may_send(destination, message_type)`` policy first (the self-managed opt-out
registry; ``False`` means no API call at all), calls ``SendTextMessage`` and maps the service's errors:

* ``ConflictException`` with reason ``DESTINATION_PHONE_NUMBER_OPTED_OUT`` -> :class:`RecipientOptedOut`;
* ``ThrottlingException``, ``InternalServerException`` and connection failures ->
  :class:`SmsSendError` with ``retryable=True`` (the caller retries later, e.g. through SQS);
* every other error -> :class:`SmsSendError` with ``retryable=False``.

Exception messages carry masked numbers only (``+*********01``), never a message body.

Settings (:class:`SmsSenderSettings`): ``SMS_ORIGINATION_IDENTITY`` (phone number id/ARN, pool id/ARN, or E.164
number sends come from) and ``SMS_CONFIGURATION_SET`` (configuration set name or ARN, carrying the event
destinations), both optional. boto3 is imported only when a client has to be created.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pinpoint_runtime.core.aws_clients import error_code, new_client
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.phone import is_e164, mask_phone_number
from pinpoint_runtime.sms.inbound import MAX_BODY_CHARACTERS
from pinpoint_runtime.sms.message_type import MESSAGE_TYPES, MessageType

if TYPE_CHECKING:
    from pinpoint_runtime.sms.inbound import InboundSms

ENV_ORIGINATION_IDENTITY = "SMS_ORIGINATION_IDENTITY"
ENV_CONFIGURATION_SET = "SMS_CONFIGURATION_SET"


MIN_TIME_TO_LIVE = 5
MAX_TIME_TO_LIVE = 259_200
"""``TimeToLive`` bounds in seconds (5 s to 72 h; the service default is 72 h)."""

MAX_CONTEXT_ENTRIES = 5
MAX_CONTEXT_KEY_CHARACTERS = 100
MAX_CONTEXT_VALUE_CHARACTERS = 800

OPTED_OUT_REASON = "DESTINATION_PHONE_NUMBER_OPTED_OUT"
RETRYABLE_ERROR_CODES = frozenset({"ThrottlingException", "InternalServerException"})

_ORIGINATION_IDENTITY = re.compile(r"[A-Za-z0-9_:/+-]{1,256}")
_CONFIGURATION_SET = re.compile(r"[A-Za-z0-9_:/-]{1,256}")
_CONTEXT_KEY = re.compile(r"\S+")
_BLANK = re.compile(r"\s*")


@dataclass(frozen=True, kw_only=True)
class SmsSenderSettings(FunctionSettings):
    """Where a function's text messages come from (``TwoWaySms`` writes them on its inbound function)."""

    construct: ClassVar[str] = "TwoWaySms"
    origination_identity: str | None = variable(
        ENV_ORIGINATION_IDENTITY, default=None, doc="phone number, pool or sender id (or ARN) sends come from"
    )
    configuration_set_name: str | None = variable(
        ENV_CONFIGURATION_SET, default=None, doc="configuration set of the sends (its event destinations)"
    )


class RecipientOptedOut(Exception):
    """The recipient opted out: the service refused the send, or the ``may_send`` policy said no.

    ``destination`` is the number (for programmatic use; do not log it), ``source`` is ``"service"`` or
    ``"policy"``. ``str()`` shows the masked number only.
    """

    def __init__(self, destination: str, *, source: str) -> None:
        super().__init__(f"recipient {mask_phone_number(destination)} has opted out ({source})")
        self.destination = destination
        self.source = source


class SmsSendError(Exception):
    """``SendTextMessage`` failed. ``code`` is the service error code (or the botocore error class name),
    ``reason`` the service's ``Reason`` when it gave one, ``retryable`` whether trying again later may succeed."""

    def __init__(self, message: str, *, code: str, retryable: bool, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.reason = reason


class SmsSender:
    """Send text messages through one origination identity and configuration set.

    ``origination_identity`` and ``configuration_set_name`` default to the function's :class:`SmsSenderSettings`
    (``SMS_ORIGINATION_IDENTITY``, ``SMS_CONFIGURATION_SET``); when neither is set the parameter is omitted (the
    account picks an identity, no event destination). ``client`` is a ``pinpoint-sms-voice-v2`` client (created
    lazily when omitted). ``may_send(destination, message_type)`` is consulted before every send; ``False`` raises
    :class:`RecipientOptedOut` without calling the API.
    """

    def __init__(
        self,
        *,
        origination_identity: str | None = None,
        configuration_set_name: str | None = None,
        client: Any = None,
        may_send: Callable[[str, str], bool] | None = None,
    ) -> None:
        if not (origination_identity and configuration_set_name):
            settings = SmsSenderSettings.from_environment()
            origination_identity = origination_identity or settings.origination_identity
            configuration_set_name = configuration_set_name or settings.configuration_set_name
        self.origination_identity = origination_identity or None
        self.configuration_set_name = configuration_set_name or None
        if self.origination_identity is not None:
            _check_origination_identity(self.origination_identity)
        if self.configuration_set_name is not None and not _CONFIGURATION_SET.fullmatch(self.configuration_set_name):
            raise ValueError("configuration_set_name must be a configuration set name or ARN")
        self.may_send = may_send
        self._client = client

    @property
    def client(self) -> Any:
        """The ``pinpoint-sms-voice-v2`` client (created on first use when none was passed)."""
        if self._client is None:
            from botocore.config import Config  # noqa: PLC0415 - deferred so importing the runtime stays cheap

            # Few, quick SDK retries: callers (SQS-driven functions) retry the whole message later.
            self._client = new_client(
                "pinpoint-sms-voice-v2", config=Config(retries={"mode": "standard", "max_attempts": 3})
            )
        return self._client

    def send_text(
        self,
        destination: str,
        body: str,
        *,
        message_type: MessageType | str = MessageType.TRANSACTIONAL,
        time_to_live: int | None = None,
        context: Mapping[str, str] | None = None,
        origination_identity: str | None = None,
        keyword: str | None = None,
        dry_run: bool = False,
    ) -> str:
        """Send one text message to ``destination`` (E.164); return the service's ``MessageId``.

        Validates locally first (``ValueError``): ``destination`` E.164; ``body`` 1-1,600 characters and not only
        whitespace; ``message_type`` ``TRANSACTIONAL`` or ``PROMOTIONAL``; ``time_to_live`` 5-259,200 seconds;
        ``context`` at most 5 str -> str entries (keys 1-100 characters without whitespace, values 1-800
        characters without leading or trailing whitespace). ``origination_identity`` overrides the sender's.
        ``keyword`` (1-30 characters) is the registered keyword of a US short code program (Pinpoint's
        ``SMSMessage.Keyword``). ``dry_run`` asks the service to validate without sending (not charged).

        Raises :class:`RecipientOptedOut` (policy or service) or :class:`SmsSendError`.
        """
        _check_destination(destination)
        _check_body(body)
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
        message_type = MessageType(message_type).value
        request: dict[str, Any] = {
            "DestinationPhoneNumber": destination,
            "MessageBody": body,
            "MessageType": message_type,
        }
        identity = origination_identity or self.origination_identity
        if identity is not None:
            _check_origination_identity(identity)
            request["OriginationIdentity"] = identity
        if self.configuration_set_name is not None:
            request["ConfigurationSetName"] = self.configuration_set_name
        if time_to_live is not None:
            _check_time_to_live(time_to_live)
            request["TimeToLive"] = time_to_live
        if context:
            request["Context"] = _checked_context(context)
        if keyword is not None:
            if not isinstance(keyword, str) or not 1 <= len(keyword) <= 30 or not keyword.strip():
                raise ValueError("keyword must be 1-30 characters")
            request["Keyword"] = keyword
        if dry_run:
            request["DryRun"] = True
        if self.may_send is not None and not self.may_send(destination, message_type):
            raise RecipientOptedOut(destination, source="policy")
        return self._send(request)

    def reply(self, inbound: InboundSms, text: str, **kwargs: Any) -> str:
        """Reply to an inbound message: to its ``origination_number``, from the configured origination identity
        (else from the number the message was sent to). ``kwargs`` are those of :meth:`send_text`."""
        if not kwargs.get("origination_identity"):
            kwargs["origination_identity"] = self.origination_identity or inbound.destination_number
        return self.send_text(inbound.origination_number, text, **kwargs)

    def _send(self, request: dict[str, Any]) -> str:
        from botocore import exceptions as botocore_errors  # noqa: PLC0415 - loaded with the client anyway

        destination = request["DestinationPhoneNumber"]
        try:
            response = self.client.send_text_message(**request)
        except botocore_errors.ClientError as error:
            code = error_code(error, "Unknown")
            reason = error.response.get("Reason")
            reason = reason if isinstance(reason, str) else None
            if code == "ConflictException" and reason == OPTED_OUT_REASON:
                raise RecipientOptedOut(destination, source="service") from None
            label = f"{code} ({reason})" if reason else code
            raise SmsSendError(
                f"SendTextMessage to {mask_phone_number(destination)} failed: {label}",
                code=code,
                reason=reason,
                retryable=code in RETRYABLE_ERROR_CODES,
            ) from None
        except (botocore_errors.ConnectionError, botocore_errors.HTTPClientError) as error:
            name = type(error).__name__
            raise SmsSendError(
                f"SendTextMessage to {mask_phone_number(destination)} failed: {name}", code=name, retryable=True
            ) from None
        except botocore_errors.BotoCoreError as error:
            name = type(error).__name__
            raise SmsSendError(
                f"SendTextMessage to {mask_phone_number(destination)} failed: {name}", code=name, retryable=False
            ) from None
        return response["MessageId"]


def _check_destination(destination: object) -> None:
    if not is_e164(destination):
        raise ValueError(f"destination must be an E.164 number (+ and 2-15 digits), got {_masked(destination)}")


def _check_body(body: object) -> None:
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    if not body or _BLANK.fullmatch(body):
        raise ValueError("body must not be empty or only whitespace")
    if len(body) > MAX_BODY_CHARACTERS:
        raise ValueError(f"body is {len(body)} characters; the limit is {MAX_BODY_CHARACTERS}")


def _check_origination_identity(identity: object) -> None:
    if not isinstance(identity, str) or not _ORIGINATION_IDENTITY.fullmatch(identity):
        raise ValueError("origination identity must be a phone number, sender id, pool id or ARN (1-256 characters)")


def _check_time_to_live(seconds: object) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValueError("time_to_live must be an int (seconds)")
    if not MIN_TIME_TO_LIVE <= seconds <= MAX_TIME_TO_LIVE:
        raise ValueError(f"time_to_live must be {MIN_TIME_TO_LIVE}-{MAX_TIME_TO_LIVE} seconds, got {seconds}")


def _checked_context(context: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(context, Mapping):
        raise ValueError("context must be a mapping of str to str")
    if len(context) > MAX_CONTEXT_ENTRIES:
        raise ValueError(f"context has {len(context)} entries; the limit is {MAX_CONTEXT_ENTRIES}")
    checked: dict[str, str] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("context must be a mapping of str to str")
        if len(key) > MAX_CONTEXT_KEY_CHARACTERS or not _CONTEXT_KEY.fullmatch(key):
            raise ValueError(f"context key {key!r} must be 1-{MAX_CONTEXT_KEY_CHARACTERS} characters, no whitespace")
        if not value or len(value) > MAX_CONTEXT_VALUE_CHARACTERS or value != value.strip():
            raise ValueError(
                f"context[{key!r}] must be 1-{MAX_CONTEXT_VALUE_CHARACTERS} characters without leading or "
                "trailing whitespace"
            )
        checked[key] = value
    return checked


def _masked(value: object) -> str:
    return mask_phone_number(value) if isinstance(value, str) else type(value).__name__


# ------------------------------------------------------------------------------------------- module level

_default_sender: SmsSender | None = None


def default_sender() -> SmsSender:
    """The module's shared :class:`SmsSender`, configured from the environment on first use."""
    global _default_sender  # noqa: PLW0603 - one lazily built sender per process (Lambda container)
    if _default_sender is None:
        _default_sender = SmsSender()
    return _default_sender


def send_text(destination: str, body: str, **kwargs: Any) -> str:
    """:meth:`SmsSender.send_text` on :func:`default_sender`."""
    return default_sender().send_text(destination, body, **kwargs)


def reply(inbound: InboundSms, text: str, **kwargs: Any) -> str:
    """:meth:`SmsSender.reply` on :func:`default_sender`."""
    return default_sender().reply(inbound, text, **kwargs)


__all__ = [
    "ENV_CONFIGURATION_SET",
    "ENV_ORIGINATION_IDENTITY",
    "MESSAGE_TYPES",
    "MessageType",
    "RecipientOptedOut",
    "SmsSendError",
    "SmsSender",
    "SmsSenderSettings",
    "default_sender",
    "reply",
    "send_text",
]

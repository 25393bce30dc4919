"""The two-way SMS pipeline of ``TwoWaySms`` (its inbound Lambda, ``lambda_src/two_way_inbound``): SQS batch in,
replies out, one reply per inbound message.

Event source: the SQS queue subscribed to the two-way SNS topic, with ``ReportBatchItemFailures``. Each record
is processed on its own (:func:`pinpoint_runtime.core.sqs_batch.process_sqs_batch`, the partial batch response
contract); only records that may succeed later are reported as batch item failures, so SQS retries them and
finally moves them to the queue's dead-letter queue.

Per record:

1. :func:`pinpoint_runtime.sms.inbound.parse_sqs_record` (SNS envelope or raw delivery). A malformed message is
   sent to ``DEAD_LETTER_QUEUE_URL`` unchanged, with message attributes ``reason`` (fixed text) and
   ``source_message_id``, and counts as handled (retrying cannot fix it). Without a DLQ URL it is a batch item
   failure, so the queue's redrive policy still keeps it.
2. Exactly once per ``inboundMessageId`` (Powertools idempotency, DynamoDB table ``IDEMPOTENCY_TABLE``, for
   ``IDEMPOTENCY_TTL_SECONDS``, 24 h by default):

   a. a lake event ``_sms.inbound`` when ``PINPOINT_EVENT_STREAM_NAME`` is set: numbers, keyword, message ids and
      the body *length* (never the body). A lake failure is logged and counted, it does not block the reply;
   b. when ``OPT_OUT_LIST_NAME`` is set (``SelfManagedOptOut`` attached):
      ``OptOutProcessor.from_environment().handle(inbound)``; a keyword it handled (STOP, START, HELP, ...)
      ends processing;
   c. ``PARTNER_HANDLER_ARN``: the partner Lambda is invoked synchronously with the inbound message in the AWS
      camelCase shape; a response ``{"reply": "<text>", "message_type": "TRANSACTIONAL"|"PROMOTIONAL"}``
      (``message_type`` optional, default ``REPLY_MESSAGE_TYPE``) is sent as the reply; ``null`` or an object
      without ``reply`` means no reply.
      A partner ``FunctionError`` or a failed invoke is a batch item failure (retried, then dead-lettered by SQS);
   d. otherwise ``AUTO_REPLY_TEXT`` (if set) is sent as the reply, as a ``REPLY_MESSAGE_TYPE`` message
      (TRANSACTIONAL by default).

   Replies go to the sender from ``SMS_ORIGINATION_IDENTITY`` (else from the number the message was sent to),
   with ``SMS_CONFIGURATION_SET``. A throttled or failed-for-now send is a batch item failure; a recipient who
   opted out is logged and done; a reply that can never be sent (invalid partner response, a non-retryable
   service error) is dead-lettered with its reason.

Phone numbers are logged masked (``+*********82``), bodies never. Metrics (namespace ``PinpointConstructs``):
``InboundMessages``, ``MalformedMessages``, ``DuplicateMessages``, ``KeywordMessages``, ``RepliesSent``,
``RepliesSuppressed`` (recipient opted out), ``RepliesDeadLettered``, ``LakeEventsFailed`` and ``RecordsFailed``
(batch item failures, to be retried; alarm on it: a batch whose records all fail is reported, not raised).

Delivery is at least once up to the idempotency record: a retry after a transient failure may write the lake
event again (same ``inbound_message_id`` attribute). Partner handlers should be idempotent on
``inboundMessageId`` too: a timeout after the partner answered re-invokes it on retry.

Settings: :class:`TwoWaySettings` and the attachments of :func:`inbound_settings`. boto3, the idempotency utility,
the lake writer and the opt-out runtime are imported on first use (the opt-out runtime only when
``SelfManagedOptOut`` is attached), so a cold import of this module stays cheap.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.core.aws_clients import new_client
from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.sqs_batch import DeadLetterQueue, describe_error, process_sqs_batch
from pinpoint_runtime.events.stream_settings import EventStreamSettings
from pinpoint_runtime.sms.inbound import MAX_BODY_CHARACTERS, InboundSms, MalformedInboundMessage, parse_sqs_record
from pinpoint_runtime.sms.inbound_lake import inbound_lake_event
from pinpoint_runtime.sms.opt_out_settings import OptOutProcessorSettings, OptOutRegistrySettings
from pinpoint_runtime.sms.partner_handler import InvalidPartnerResponse, PartnerHandlerError, invoke_partner
from pinpoint_runtime.sms.sender import MessageType, RecipientOptedOut, SmsSender, SmsSendError, SmsSenderSettings

SERVICE_NAME = "two-way-inbound"
METRICS_NAMESPACE = "PinpointConstructs"

ENV_AUTO_REPLY_TEXT = "AUTO_REPLY_TEXT"

IDEMPOTENCY_EXPIRY_SECONDS = 24 * 60 * 60
"""How long an ``inboundMessageId`` is remembered by default (SNS/SQS redeliveries arrive well within this)."""


@dataclass(frozen=True, kw_only=True)
class TwoWaySettings(FunctionSettings):
    """What the inbound function of ``TwoWaySms`` reads (the construct writes it)."""

    construct: ClassVar[str] = "TwoWaySms"
    idempotency_table: str | None = variable(
        "IDEMPOTENCY_TABLE", default=None, doc="DynamoDB table of the idempotency records (none: no deduplication)"
    )
    idempotency_ttl_seconds: int = variable(
        "IDEMPOTENCY_TTL_SECONDS", default=IDEMPOTENCY_EXPIRY_SECONDS, doc="how long an inboundMessageId is remembered"
    )
    dead_letter_queue_url: str | None = variable(
        "DEAD_LETTER_QUEUE_URL", default=None, doc="where malformed messages and undeliverable replies go"
    )
    reply_message_type: MessageType = variable(
        "REPLY_MESSAGE_TYPE",
        default=MessageType.TRANSACTIONAL,
        doc="message type of auto replies and of partner replies that name none",
    )
    partner_handler_arn: str | None = variable(
        "PARTNER_HANDLER_ARN", default=None, doc="the partner's Lambda function, invoked per message"
    )
    auto_reply_text: str | None = variable(
        ENV_AUTO_REPLY_TEXT, default=None, doc="the auto reply when there is no partner handler (none or empty: off)"
    )


def inbound_settings() -> tuple[type[FunctionSettings], ...]:
    """Every settings class the inbound function reads, its own first: sends (``TwoWaySms``), self-managed opt-outs
    (``SelfManagedOptOut``: processor, keywords, registry) and the event lake (``EventStreamToS3.add_producer``).

    A function, so that the opt-out and lake modules are imported only when asked for (the handler's ``SETTINGS``),
    not on the function's cold start."""
    from pinpoint_runtime.sms.keywords import KeywordSettings  # noqa: PLC0415 - see the docstring

    return (
        TwoWaySettings,
        SmsSenderSettings,
        OptOutProcessorSettings,
        KeywordSettings,
        OptOutRegistrySettings,
        EventStreamSettings,
    )


logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


class UndeliverableReply(RuntimeError):
    """A reply can never be sent and there is no ``DEAD_LETTER_QUEUE_URL``: fail the record so that SQS keeps it
    (its redrive policy moves it to the dead-letter queue)."""


class InboundMessageHandler:
    """What the Lambda does per SQS record; construct it directly to run the same path locally or in tests.

    Every collaborator is injectable; :meth:`from_environment` builds the deployed configuration. With
    ``idempotency_table`` set, :meth:`process` runs at most once per ``inbound_message_id`` (``dynamodb_client``
    is then the DynamoDB client to use, created from the default session when omitted).
    """

    def __init__(
        self,
        *,
        sender: SmsSender,
        dead_letter_queue_url: str | None = None,
        partner_handler_arn: str | None = None,
        auto_reply_text: str | None = None,
        event_writer: Any = None,
        opt_out_processor: Any = None,
        idempotency_table: str | None = None,
        idempotency_ttl_seconds: int = IDEMPOTENCY_EXPIRY_SECONDS,
        reply_message_type: MessageType | str = MessageType.TRANSACTIONAL,
        sqs_client: Any = None,
        lambda_client: Any = None,
        dynamodb_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sender = sender
        self.dead_letter_queue = DeadLetterQueue(dead_letter_queue_url, sqs_client=sqs_client)
        self.dead_letter_queue_url = self.dead_letter_queue.url
        self.partner_handler_arn = partner_handler_arn or None
        self.auto_reply_text = auto_reply_text or None
        if self.auto_reply_text is not None and (
            not self.auto_reply_text.strip() or len(self.auto_reply_text) > MAX_BODY_CHARACTERS
        ):
            raise ValueError(f"{ENV_AUTO_REPLY_TEXT} must be 1-{MAX_BODY_CHARACTERS} characters, not only whitespace")
        self.event_writer = event_writer
        self.opt_out_processor = opt_out_processor
        self.idempotency_table = idempotency_table or None
        if idempotency_ttl_seconds < 1:
            raise ValueError("idempotency_ttl_seconds must be at least 1")
        self.idempotency_ttl_seconds = idempotency_ttl_seconds
        self.reply_message_type = MessageType(reply_message_type)
        self.counts: Counter[str] = Counter()
        self._lambda = lambda_client
        self._clock = clock
        self._idempotency_config: Any = None
        self._process = self._process_once
        if self.idempotency_table is not None:
            self._process = self._idempotent(self._process_once, self.idempotency_table, dynamodb_client)

    @classmethod
    def from_environment(cls) -> InboundMessageHandler:
        """The deployed configuration, from the settings the ``TwoWaySms`` construct (and its attachments) write."""
        settings = TwoWaySettings.from_environment()
        may_send = None
        opt_out_processor = None
        if OptOutProcessorSettings.from_environment_if_set() is not None:  # SelfManagedOptOut is attached
            from pinpoint_runtime.sms.opt_out import may_send as registry_may_send  # noqa: PLC0415
            from pinpoint_runtime.sms.opt_out_processor import OptOutProcessor  # noqa: PLC0415

            opt_out_processor = OptOutProcessor.from_environment()
            may_send = registry_may_send
        from pinpoint_runtime.events.stream import EventStreamWriter  # noqa: PLC0415

        event_writer = EventStreamWriter() if EventStreamSettings.from_environment_if_set() is not None else None
        if settings.idempotency_table is None:
            logger.warning("IDEMPOTENCY_TABLE is not set: a redelivered inbound message may be answered twice")
        return cls(
            sender=SmsSender(may_send=may_send),
            dead_letter_queue_url=settings.dead_letter_queue_url,
            partner_handler_arn=settings.partner_handler_arn,
            auto_reply_text=settings.auto_reply_text,
            event_writer=event_writer,
            opt_out_processor=opt_out_processor,
            idempotency_table=settings.idempotency_table,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
            reply_message_type=settings.reply_message_type,
        )

    # ------------------------------------------------------------------------------------------ clients

    @property
    def lambda_client(self) -> Any:
        if self._lambda is None:
            from botocore.config import Config  # noqa: PLC0415 - deferred: keep the cold import cheap

            # No SDK retries: a retried synchronous invoke could run the partner twice; SQS retries the record.
            self._lambda = new_client(
                "lambda", config=Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=900)
            )
        return self._lambda

    def _idempotent(
        self, function: Callable[..., dict[str, Any]], table_name: str, dynamodb_client: Any
    ) -> Callable[..., Any]:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - imports boto3
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        def mark_duplicate(response: Any, idempotent_data: Any) -> Any:  # IdempotentHookFunction's signature
            self.counts["DuplicateMessages"] += 1
            return {**response, "duplicate": True} if isinstance(response, dict) else response

        persistence = DynamoDBPersistenceLayer(
            table_name=table_name,
            key_attr="id",
            expiry_attr=TTL_ATTRIBUTE,
            boto3_client=dynamodb_client,
        )
        self._idempotency_config = IdempotencyConfig(
            event_key_jmespath="inbound_message_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.idempotency_ttl_seconds,
            response_hook=mark_duplicate,
        )
        return idempotent_function(
            data_keyword_argument="inbound", config=self._idempotency_config, persistence_store=persistence
        )(function)

    def register_lambda_context(self, context: Any) -> None:
        """Let idempotency expire an in-progress record when the invocation times out."""
        if self._idempotency_config is not None and context is not None:
            self._idempotency_config.register_lambda_context(context)

    # ------------------------------------------------------------------------------------------ per record

    def handle_record(self, record: Mapping[str, Any] | Any) -> dict[str, Any]:
        """Process one SQS record (a dict or a Powertools ``SQSRecord``); returns the outcome.

        Raises for records that should be retried (:func:`process_sqs_batch` reports them as batch item failures).
        """
        raw = getattr(record, "raw_event", record)
        try:
            inbound = parse_sqs_record(raw)
        except MalformedInboundMessage as error:
            self.counts["MalformedMessages"] += 1
            source_id = raw.get("messageId") if isinstance(raw, Mapping) else None
            logger.warning("Malformed inbound message", extra={"source_message_id": source_id, "reason": error.reason})
            if self.dead_letter_queue_url is None:
                raise
            self._dead_letter(raw, error.reason)
            return {"outcome": "malformed", "reason": error.reason}
        self.counts["InboundMessages"] += 1
        try:
            outcome = self._process(inbound=inbound, raw_record=raw)
        except Exception as error:
            logger.warning(
                "Inbound message will be retried",
                extra={**inbound.log_fields(), "error": type(error).__name__, "detail": safe_detail(error)},
            )
            raise
        logger.info("Inbound message processed", extra={**inbound.log_fields(), **outcome})
        return outcome

    def process(self, inbound: InboundSms, raw_record: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Steps (a)-(d) of the module docstring for one parsed message (idempotent when configured)."""
        return self._process(inbound=inbound, raw_record=raw_record or {})

    def _process_once(self, *, inbound: InboundSms, raw_record: Mapping[str, Any]) -> dict[str, Any]:
        self._write_lake_event(inbound, raw_record)
        if self.opt_out_processor is not None:
            keyword = self.opt_out_processor.handle(inbound)
            if keyword.handled:
                self.counts["KeywordMessages"] += 1
                action = getattr(keyword.action, "value", keyword.action)
                return {"outcome": "keyword", "action": action, "replied": bool(keyword.replied)}
        if self.partner_handler_arn is not None:
            try:
                instruction = self._ask_partner(inbound)
            except InvalidPartnerResponse as error:
                return self._reply_failed(raw_record, f"partner handler response is invalid: {error}")
            if instruction is None:
                return {"outcome": "no-reply"}
            text, message_type = instruction
            return self._reply(inbound, raw_record, text, message_type)
        if self.auto_reply_text is not None:
            return self._reply(inbound, raw_record, self.auto_reply_text, self.reply_message_type.value)
        return {"outcome": "no-reply"}

    # ------------------------------------------------------------------------------------------ steps

    def _write_lake_event(self, inbound: InboundSms, raw_record: Mapping[str, Any]) -> None:
        if self.event_writer is None:
            return
        try:
            self.event_writer.put_delivery_events([inbound_lake_event(inbound, raw_record, now=self._clock())])
        except Exception as error:  # noqa: BLE001 - the lake is analytics: it must not block the reply
            self.counts["LakeEventsFailed"] += 1
            logger.error(
                "Inbound lake event not written",
                extra={"inbound_message_id": inbound.inbound_message_id, "error": type(error).__name__},
            )

    def _ask_partner(self, inbound: InboundSms) -> tuple[str, str] | None:
        """Invoke the partner Lambda; (reply text, message type), or None for no reply."""
        assert self.partner_handler_arn is not None
        return invoke_partner(
            self.lambda_client, self.partner_handler_arn, inbound, default_message_type=self.reply_message_type
        )

    def _reply(self, inbound: InboundSms, raw_record: Mapping[str, Any], text: str, message_type: str) -> dict:
        try:
            message_id = self.sender.reply(inbound, text, message_type=message_type)
        except RecipientOptedOut as error:
            self.counts["RepliesSuppressed"] += 1
            return {"outcome": "recipient-opted-out", "opted_out_by": error.source}
        except SmsSendError as error:
            if error.retryable:
                raise
            label = f"{error.code} ({error.reason})" if error.reason else error.code
            return self._reply_failed(raw_record, f"reply not sent: {label}")
        except ValueError as error:  # the reply itself is invalid (e.g. longer than 1,600 characters)
            return self._reply_failed(raw_record, f"reply not sent: {error}")
        self.counts["RepliesSent"] += 1
        return {"outcome": "replied", "message_id": message_id, "message_type": message_type}

    def _reply_failed(self, raw_record: Mapping[str, Any], reason: str) -> dict[str, Any]:
        """A reply that can never be sent: keep the message in the DLQ with the reason (or retry if none)."""
        if self.dead_letter_queue_url is None:
            raise UndeliverableReply(reason)
        self._dead_letter(raw_record, reason)
        self.counts["RepliesDeadLettered"] += 1
        return {"outcome": "dead-lettered", "reason": reason}

    def _dead_letter(self, raw_record: Any, reason: str) -> None:
        self.dead_letter_queue.send(raw_record, reason)


def safe_detail(error: BaseException) -> str:
    """Exception text that is safe to log: the library's own errors mask numbers; others give their code."""
    if isinstance(error, (SmsSendError, PartnerHandlerError, UndeliverableReply)):
        return str(error)
    return describe_error(error)


def handle_batch(current: InboundMessageHandler, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """One SQS event through ``current``: the partial batch response, with the batch's counts as metrics."""
    current.register_lambda_context(context)
    current.counts.clear()
    try:
        response = process_sqs_batch(event, current.handle_record, logger=logger, describe=safe_detail)
        current.counts["RecordsFailed"] += len(response["batchItemFailures"])
    finally:
        for name, value in sorted(current.counts.items()):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "Processed inbound SMS batch",
        extra={"records": len(event.get("Records", [])), "failures": current.counts["RecordsFailed"]},
    )
    return response


__all__ = [
    "IDEMPOTENCY_EXPIRY_SECONDS",
    "InboundMessageHandler",
    "TwoWaySettings",
    "UndeliverableReply",
    "handle_batch",
    "inbound_settings",
    "logger",
    "metrics",
    "safe_detail",
]

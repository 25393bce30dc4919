"""An SQS queue with a dead-letter queue, encryption, TLS-only policies and ready-made metrics."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .props import PropsValidation, consolidate_props

DEFAULT_MAX_RECEIVE_COUNT = 5


class QueueWithDeadLetterQueue(Construct):
    """An encrypted queue whose failed messages move to an encrypted dead-letter queue.

    Keyword-only props:
      queue_props: partial ``sqs.QueueProps`` over the defaults (SSE-SQS or SSE-KMS, TLS only, 4-day retention).
        Conflicts with ``existing_queue_obj``.
      existing_queue_obj: use this queue; no DLQ is created for it.
      dead_letter_queue_props: partial props of the DLQ (14-day retention).
      max_receive_count: receives before a message moves to the DLQ. @default 5.
      encryption_key: customer-managed key for both queues (needed when a service principal sends to the queue
        through an encrypted SNS topic or similar). @default SQS-managed encryption.

    Attributes: ``queue`` (``sqs.IQueue``), ``dead_letter_queue`` (``sqs.Queue`` or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        existing_queue_obj: sqs.IQueue | None = None,
        dead_letter_queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("queue_props", queue_props, "existing_queue_obj", existing_queue_obj)
        validation.require(
            existing_queue_obj is None or dead_letter_queue_props is None,
            "dead_letter_queue_props cannot be combined with existing_queue_obj (the existing queue keeps its own "
            "redrive policy).",
        )
        validation.require(1 <= max_receive_count <= 1000, "max_receive_count must be between 1 and 1000.")
        validation.raise_if_any()

        self.dead_letter_queue: sqs.Queue | None = None
        if existing_queue_obj is not None:
            self.queue: sqs.IQueue = existing_queue_obj
            return

        encryption = (
            {"encryption": sqs.QueueEncryption.KMS, "encryption_master_key": encryption_key}
            if encryption_key is not None
            else {"encryption": sqs.QueueEncryption.SQS_MANAGED}
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            **consolidate_props(
                self,
                {"enforce_ssl": True, "retention_period": cdk.Duration.days(14), **encryption},
                dead_letter_queue_props,
            ),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            **consolidate_props(
                self,
                {"enforce_ssl": True, "retention_period": cdk.Duration.days(4), **encryption},
                queue_props,
                {
                    "dead_letter_queue": sqs.DeadLetterQueue(
                        queue=self.dead_letter_queue, max_receive_count=max_receive_count
                    )
                },
            ),
        )

    def metric_dead_letter_messages(self, **options: Any) -> cloudwatch.Metric:
        """Messages waiting in the DLQ (alarm on > 0)."""
        if self.dead_letter_queue is None:
            raise ValueError("this queue was supplied by the caller; it has no dead-letter queue of ours")
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(**options)

    def metric_oldest_message_age(self, **options: Any) -> cloudwatch.Metric:
        """Age of the oldest message in the queue (alarm when consumers fall behind)."""
        return self.queue.metric_approximate_age_of_oldest_message(**options)

    def add_dead_letter_alarm(self, construct_id: str = "DeadLetterAlarm", threshold: int = 1) -> cloudwatch.Alarm:
        """An alarm raised when ``threshold`` or more messages wait in the DLQ."""
        return self.metric_dead_letter_messages(period=cdk.Duration.minutes(1), statistic="Maximum").create_alarm(
            self,
            construct_id,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="Messages are waiting in the dead-letter queue.",
        )

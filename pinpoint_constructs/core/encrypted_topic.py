"""An SNS topic encrypted with a customer-managed KMS key that named AWS services may publish to.

AWS-managed keys (``alias/aws/sns``) cannot be granted to service principals, so a service such as End User
Messaging SMS (``sms-voice.amazonaws.com``) could not publish to a topic encrypted with one: the reference
architecture's bug. This construct always uses a customer-managed key and grants each allowed service both
``sns:Publish`` on the topic and the KMS actions it needs on the key, scoped by ``aws:SourceAccount`` and, when
given, ``aws:SourceArn``.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .props import PropsValidation, consolidate_props


class EncryptedTopic(Construct):
    """A standard SNS topic, TLS-only, encrypted with a customer-managed key (rotation on).

    Keyword-only props:
      topic_props: partial ``sns.TopicProps`` merged over the defaults. Conflicts with ``existing_topic_obj``.
      existing_topic_obj: use this topic (its key must already allow the publishers).
      encryption_key: use this customer-managed key instead of creating one. Conflicts with existing_topic_obj.
      service_publishers: service principals (e.g. ``"sms-voice.amazonaws.com"``) allowed to publish, each
        limited to this account. Call :meth:`allow_service_publish` to add one with a source ARN.

    Attributes: ``topic`` (``sns.ITopic``), ``encryption_key`` (``kms.IKey`` or ``None`` for an existing topic).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_props: sns.TopicProps | dict[str, Any] | None = None,
        existing_topic_obj: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        service_publishers: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("topic_props", topic_props, "existing_topic_obj", existing_topic_obj)
        validation.require(
            existing_topic_obj is None or encryption_key is None,
            "encryption_key cannot be combined with existing_topic_obj.",
        )
        validation.require(
            existing_topic_obj is None or not service_publishers,
            "service_publishers needs a topic this construct creates (grant publishers on an existing topic "
            "yourself, including its KMS key policy).",
        )
        validation.raise_if_any()

        self.encryption_key: kms.IKey | None = None
        if existing_topic_obj is not None:
            self.topic: sns.ITopic = existing_topic_obj
            return
        self.encryption_key = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts the SNS topic {self.node.path}",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            **consolidate_props(self, {"enforce_ssl": True}, topic_props, {"master_key": self.encryption_key}),
        )
        for principal in service_publishers or []:
            self.allow_service_publish(principal)

    def allow_service_publish(self, service_principal: str, *, source_arn: str | None = None) -> None:
        """Let ``service_principal`` publish to the topic and use its key, from this account (and source ARN)."""
        if self.encryption_key is None:
            raise ValueError("allow_service_publish needs a topic created by this construct")
        conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}
        if source_arn is not None:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn}
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"AllowPublishFrom{_sid(service_principal)}",
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal(service_principal)],
                resources=[self.topic.topic_arn],
                conditions=conditions,
            )
        )
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"AllowEncryptFrom{_sid(service_principal)}",
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                principals=[iam.ServicePrincipal(service_principal)],
                resources=["*"],  # in a key policy "*" means this key
                conditions=conditions,
            )
        )

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish (including the KMS permissions)."""
        return self.topic.grant_publish(grantee)


def _sid(service_principal: str) -> str:
    return "".join(part.capitalize() for part in service_principal.split(".")[0].split("-"))

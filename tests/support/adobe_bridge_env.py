"""The Adobe bridge's AWS side for tests and the benchmark, inside moto's ``mock_aws``: the idempotency table, the
send queue and its DLQ, the API key secret, the opt-out registry table, and the faked SMS API
(tests/support/sms_voice_fake.py) with one origination number. :class:`BridgeEnv` builds the runtime objects the Lambda
handlers build from their environment, wired to these resources."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from pinpoint_runtime.bridge.api_keys import ApiKeyVerifier
from pinpoint_runtime.bridge.consumer import BridgeConsumer
from pinpoint_runtime.bridge.idempotency import IdempotencyStore
from pinpoint_runtime.bridge.send import BridgeSendSettings, BridgeService, DeliveryMode
from pinpoint_runtime.bridge.senders import ConfigurationSetSenders
from pinpoint_runtime.sms.opt_out import OptOutRegistry
from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender
from pinpoint_runtime.sms.sender import SmsSender
from tests.support.sms_voice_fake import FakeSmsVoiceV2

REGION = "us-east-1"
API_KEY = "k3yFromSecretsManager0123456789abcdefABCDEF0123"
CONFIGURATION_SET = "bridge-events"
OTHER_CONFIGURATION_SET = "bridge-other-events"
CUSTOMER = "+14255550182"
BODY = "Your order 1234 has shipped. Track it at example.com/t/1234"


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid custom-action payload (a ``None`` override leaves the field out)."""
    data = {
        "destinationNumber": "(425) 555-0182",
        "messageBody": BODY,
        "journeyId": "2f8a1b4c-journey",
        "actionId": "node-7",
        "profileId": "profile-42",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def call(service: Any, data: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict]:
    """``service.accept`` of ``data`` (JSON-encoded unless a string): status, body and headers."""
    body = data if isinstance(data, str) else json.dumps(data)
    outcome = service.accept(body, headers or {})
    return outcome.response.status, outcome.response.body, outcome.response.headers


def stored_items(env: BridgeEnv) -> list[dict[str, Any]]:
    """Every idempotency record (raw DynamoDB items)."""
    return env.dynamodb.scan(TableName=env.table_name)["Items"]


def accept_and_receive(env: BridgeEnv, data: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    """Accept ``data`` (default :func:`payload`) in queue mode and receive its one queued message."""
    status, _, _ = call(env.service(), data or payload(), headers)
    assert status == 202
    (message,) = env.queued()
    return message


@dataclass
class BridgeEnv:
    dynamodb: Any
    sqs: Any
    secrets: Any
    sms: FakeSmsVoiceV2
    table_name: str
    registry_table: str
    queue_url: str
    dead_letter_queue_url: str
    secret_id: str
    identity: str
    other_identity: str
    registry: OptOutRegistry = field(init=False)

    def __post_init__(self) -> None:
        self.registry = OptOutRegistry(self.registry_table, client=self.dynamodb)

    def settings(self, mode: DeliveryMode = DeliveryMode.QUEUE, **overrides: Any) -> BridgeSendSettings:
        values: dict[str, Any] = {
            "allowed_origination_identities": (self.identity, self.other_identity),
            "allowed_configuration_sets": (CONFIGURATION_SET, OTHER_CONFIGURATION_SET),
            "delivery_mode": mode,
            "queue_url": self.queue_url if mode == DeliveryMode.QUEUE else None,
        }
        values.update(overrides)
        return BridgeSendSettings(**values)

    def store(self, **kwargs: Any) -> IdempotencyStore:
        return IdempotencyStore(self.table_name, client=self.dynamodb, **kwargs)

    def sender(self, *, policy: bool = True) -> ConfigurationSetSenders:
        return ConfigurationSetSenders(
            SmsSender(
                origination_identity=self.identity,
                configuration_set_name=CONFIGURATION_SET,
                client=self.sms,
                may_send=self.registry.may_send if policy else None,
            )
        )

    def service(
        self, mode: DeliveryMode = DeliveryMode.QUEUE, *, policy: bool = True, **settings: Any
    ) -> BridgeService:
        return BridgeService(
            settings=self.settings(mode, **settings),
            store=self.store(),
            sqs_client=self.sqs,
            sender=self.sender(policy=policy),
            may_send=self.registry.may_send if policy else None,
        )

    def consumer(self, *, parts_per_second: float = 1000.0, **limiter: Any) -> BridgeConsumer:
        return BridgeConsumer(
            store=self.store(),
            rate_limited_sender=RateLimitedSmsSender(self.sender(), parts_per_second=parts_per_second, **limiter),
        )

    def verifier(self, **kwargs: Any) -> ApiKeyVerifier:
        return ApiKeyVerifier(self.secret_id, client=self.secrets, **kwargs)

    def queued(self, url: str | None = None) -> list[dict[str, Any]]:
        """Receive (and delete) every message waiting in the send queue (or ``url``)."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=url or self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                self.sqs.delete_message(QueueUrl=url or self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            messages.extend(batch)

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        """An SQS event record of a received message (what the consumer Lambda gets)."""
        return {"messageId": message["MessageId"], "body": message["Body"], "attributes": {}}


def make_env(*, secret_value: str | None = None) -> BridgeEnv:
    """Create the resources (call inside ``mock_aws``)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    dynamodb.create_table(
        TableName="bridge-idempotency",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName="opt-out-registry",
        KeySchema=[
            {"AttributeName": "phone_number", "KeyType": "HASH"},
            {"AttributeName": "record", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "phone_number", "AttributeType": "S"},
            {"AttributeName": "record", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq_url = sqs.create_queue(QueueName="bridge-dlq")["QueueUrl"]
    queue_url = sqs.create_queue(QueueName="bridge-send")["QueueUrl"]
    secret = secrets.create_secret(
        Name="adobe-bridge-api-key", SecretString=secret_value or json.dumps({"apiKey": API_KEY})
    )
    sms = FakeSmsVoiceV2()
    number = sms.add_phone_number("+12065550100")
    other = sms.add_phone_number("+12065550111")
    return BridgeEnv(
        dynamodb=dynamodb,
        sqs=sqs,
        secrets=secrets,
        sms=sms,
        table_name="bridge-idempotency",
        registry_table="opt-out-registry",
        queue_url=queue_url,
        dead_letter_queue_url=dlq_url,
        secret_id=secret["ARN"],
        identity=number["PhoneNumberArn"],
        other_identity=other["PhoneNumberArn"],
    )

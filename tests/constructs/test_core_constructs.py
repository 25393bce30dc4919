"""Fine-grained template assertions for the shared core: bucket, queue, topic, Python function and layer."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs.core import (
    EncryptedTopic,
    PropsConflictError,
    PythonFunction,
    QueueWithDeadLetterQueue,
    SecureBucket,
)
from pinpoint_constructs.core.lambda_sources import lambda_source_root
from pinpoint_constructs.core.python_function import layer_asset_hash, pip_platform_args
from tests.conftest import new_stack, only, resources_of


def _nag_findings(stack: cdk.Stack) -> list[tuple[str, list[str]]]:
    report = AwsSolutionsChecks().validate_scope(stack)
    return [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]


# ---------------------------------------------------------------------------------------------- SecureBucket
def test_secure_bucket_defaults() -> None:
    stack = new_stack()
    secure = SecureBucket(stack, "Data")
    template = Template.from_stack(stack)
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert len(buckets) == 2  # data + access logs
    data_id = stack.get_logical_id(secure.created_bucket.node.default_child)
    data = buckets[data_id]["Properties"]
    assert data["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert data["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert data["VersioningConfiguration"] == {"Status": "Enabled"}
    assert data["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    rule = data["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert data["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": stack.get_logical_id(secure.created_access_logs_bucket.node.default_child)
    }
    assert buckets[data_id]["DeletionPolicy"] == "Retain"
    # TLS only, and TLS 1.2 at least
    policy = only(
        {
            k: v
            for k, v in resources_of(template, "AWS::S3::BucketPolicy").items()
            if v["Properties"]["Bucket"] == {"Ref": data_id}
        }
    )
    conditions = [s.get("Condition", {}) for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    assert _nag_findings(stack) == []


def test_secure_bucket_with_kms_key_uses_sse_kms_and_bucket_key() -> None:
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    SecureBucket(stack, "Data", encryption_key=key, log_access=False)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]},
                        },
                    }
                ]
            }
        },
    )
    # turning access logs off is the caller's choice, acknowledged on that bucket with a reason
    assert _nag_findings(stack) == []


def test_secure_bucket_props_merge_over_defaults() -> None:
    stack = new_stack()
    SecureBucket(stack, "Data", bucket_props=s3.BucketProps(event_bridge_enabled=True), log_access=False)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::S3::Bucket", {"VersioningConfiguration": {"Status": "Enabled"}})
    template.has_resource_properties(
        "Custom::S3BucketNotifications", {"NotificationConfiguration": {"EventBridgeConfiguration": {}}}
    )


def test_secure_bucket_existing_bucket_creates_nothing() -> None:
    stack = new_stack()
    existing = s3.Bucket.from_bucket_name(stack, "Existing", "my-bucket")
    secure = SecureBucket(stack, "Data", existing_bucket_obj=existing)
    assert secure.bucket is existing and secure.created_bucket is None and secure.access_logs_bucket is None
    Template.from_stack(stack).resource_count_is("AWS::S3::Bucket", 0)


def test_secure_bucket_reports_all_conflicts_at_once() -> None:
    stack = new_stack()
    existing = s3.Bucket.from_bucket_name(stack, "Existing", "my-bucket")
    with pytest.raises(PropsConflictError) as caught:
        SecureBucket(
            stack,
            "Data",
            bucket_props={"versioned": True},
            existing_bucket_obj=existing,
            log_access=False,
            logging_bucket_props={"versioned": True},
        )
    assert caught.value.problems == [
        "Either provide bucket_props or existing_bucket_obj, but not both.",
        "If log_access is False then logging_bucket_props and existing_logging_bucket_obj cannot be specified.",
    ]


# ---------------------------------------------------------------------------------------------- queues
def test_queue_with_dead_letter_queue() -> None:
    stack = new_stack()
    queues = QueueWithDeadLetterQueue(stack, "Work", max_receive_count=3)
    alarm = queues.add_dead_letter_alarm()
    template = Template.from_stack(stack)
    dlq_id = stack.get_logical_id(queues.dead_letter_queue.node.default_child)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 3},
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 345600,
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}
    )
    policies = resources_of(template, "AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
        },
    )
    assert alarm is not None
    assert _nag_findings(stack) == []


def test_queue_with_customer_managed_key_encrypts_both_queues() -> None:
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    QueueWithDeadLetterQueue(stack, "Work", encryption_key=key)
    queues = resources_of(Template.from_stack(stack), "AWS::SQS::Queue")
    assert len(queues) == 2
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == {
            "Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]
        }


def test_queue_conflicts() -> None:
    stack = new_stack()
    existing = sqs.Queue.from_queue_arn(stack, "Q", "arn:aws:sqs:us-east-1:123456789012:q")
    with pytest.raises(PropsConflictError) as caught:
        QueueWithDeadLetterQueue(
            stack, "Work", queue_props={}, existing_queue_obj=existing, dead_letter_queue_props={}, max_receive_count=0
        )
    assert len(caught.value.problems) == 3


def test_existing_queue_has_no_dead_letter_metric() -> None:
    stack = new_stack()
    existing = sqs.Queue.from_queue_arn(stack, "Q", "arn:aws:sqs:us-east-1:123456789012:q")
    queues = QueueWithDeadLetterQueue(stack, "Work", existing_queue_obj=existing)
    assert queues.queue is existing and queues.dead_letter_queue is None
    with pytest.raises(ValueError, match="no dead-letter queue"):
        queues.metric_dead_letter_messages()


# ---------------------------------------------------------------------------------------------- topic
def test_encrypted_topic_lets_a_service_publish_through_a_customer_managed_key() -> None:
    stack = new_stack()
    topic = EncryptedTopic(stack, "Inbound", service_publishers=["sms-voice.amazonaws.com"])
    template = Template.from_stack(stack)
    key_id = stack.get_logical_id(topic.encryption_key.node.default_child)
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    key = template.find_resources("AWS::KMS::Key")[key_id]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    service_statement = next(s for s in statements if s.get("Sid") == "AllowEncryptFromSmsVoice")
    assert service_statement["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert service_statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"] or set(
        service_statement["Action"]
    ) == {
        "kms:Decrypt",
        "kms:GenerateDataKey*",
    }
    assert service_statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    topic_policy = only(resources_of(template, "AWS::SNS::TopicPolicy"))["Properties"]["PolicyDocument"]["Statement"]
    publish = next(s for s in topic_policy if s.get("Sid") == "AllowPublishFromSmsVoice")
    assert publish["Action"] == "sns:Publish" and publish["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    deny = next(s for s in topic_policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert _nag_findings(stack) == []


def test_encrypted_topic_source_arn_condition() -> None:
    stack = new_stack()
    topic = EncryptedTopic(stack, "Inbound")
    topic.allow_service_publish("sms-voice.amazonaws.com", source_arn="arn:aws:sms-voice:us-east-1:123456789012:*")
    statements = only(resources_of(Template.from_stack(stack), "AWS::SNS::TopicPolicy"))["Properties"][
        "PolicyDocument"
    ]["Statement"]
    publish = next(s for s in statements if s.get("Sid") == "AllowPublishFromSmsVoice")
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:sms-voice:us-east-1:123456789012:*"}


# ---------------------------------------------------------------------------------------------- function
def test_python_function_defaults_and_one_shared_layer() -> None:
    stack = new_stack()
    first = PythonFunction(
        stack, "First", function_folder="event_stream_normalizer", service_name="first", description="first"
    )
    PythonFunction(
        stack,
        "Second",
        function_folder="event_stream_normalizer",
        service_name="second",
        description="second",
        reserved_concurrent_executions=5,
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    layer_id = only(dict(resources_of(template, "AWS::Lambda::LayerVersion").items())) and next(
        iter(resources_of(template, "AWS::Lambda::LayerVersion"))
    )
    functions = resources_of(template, "AWS::Lambda::Function")
    assert len(functions) == 2
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["Layers"] == [{"Ref": layer_id}]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "PinpointConstructs"
        assert "TargetArn" in props["DeadLetterConfig"]
    assert sorted(f["Properties"].get("ReservedConcurrentExecutions", 0) for f in functions.values()) == [0, 5]
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 2, "Qualifier": "$LATEST"}
    )
    for role in resources_of(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]  # no AWS managed policies
    # logs only into its own log group
    log_group_id = stack.get_logical_id(first.log_group.node.default_child)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
                            }
                        )
                    ]
                )
            }
        },
    )
    assert _nag_findings(stack) == []


def test_python_function_rejects_unknown_folder_and_bad_props() -> None:
    stack = new_stack()
    with pytest.raises(FileNotFoundError, match="no Lambda function folder 'nope'"):
        PythonFunction(stack, "Fn", function_folder="nope", service_name="x", description="x")
    with pytest.raises(PropsConflictError) as caught:
        PythonFunction(
            stack,
            "Fn2",
            function_folder="event_stream_normalizer",
            service_name="x",
            description="x",
            deploy_async_dead_letter_queue=False,
            existing_async_dead_letter_queue=sqs.Queue(stack, "Q"),
            reserved_concurrent_executions=-1,
        )
    assert len(caught.value.problems) == 2


def test_pip_arguments_select_arm64_wheels_for_the_lambda_runtime() -> None:
    from aws_cdk import aws_lambda as lambda_

    args = pip_platform_args(lambda_.Runtime.PYTHON_3_14)
    assert args[args.index("--python-version") + 1] == "3.14"
    assert args[args.index("--abi") + 1] == "cp314"
    assert "manylinux2014_aarch64" in args and "--only-binary=:all:" in args and "--no-compile" in args


def test_layer_hash_changes_with_requirements_and_runtime(tmp_path) -> None:
    root = tmp_path / "src"
    (root / "pinpoint_runtime").mkdir(parents=True)
    (root / "pinpoint_runtime" / "__init__.py").write_text("x = 1\n")
    (root / "requirements.txt").write_text("a==1\n")
    first = layer_asset_hash(root, "python3.14")
    assert layer_asset_hash(root, "python3.13") != first
    root2 = tmp_path / "src2"
    (root2 / "pinpoint_runtime").mkdir(parents=True)
    (root2 / "pinpoint_runtime" / "__init__.py").write_text("x = 1\n")
    (root2 / "requirements.txt").write_text("a==2\n")
    assert layer_asset_hash(root2, "python3.14") != first
    assert layer_asset_hash(lambda_source_root(), "python3.14") == layer_asset_hash(lambda_source_root(), "python3.14")

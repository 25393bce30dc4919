"""An S3 bucket with the library's secure defaults, and its server access logs bucket."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .acknowledgments import acknowledge
from .props import PropsValidation, consolidate_props

_LOGS_BUCKET_POLICY_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def default_bucket_props(
    *,
    encryption_key: kms.IKey | None,
    access_logs_bucket: s3.IBucket | None,
    access_logs_prefix: str | None,
    lifecycle_rules: list[s3.LifecycleRule] | None = None,
) -> dict[str, Any]:
    """Secure defaults: encrypted (SSE-S3, or SSE-KMS with a bucket key when a key is given), TLS 1.2+ only,
    public access blocked, bucket-owner-enforced ownership, versioned, old versions and incomplete uploads
    expired, retained on stack deletion, server access logs when a logs bucket is given."""
    props: dict[str, Any] = {
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "enforce_ssl": True,
        "minimum_tls_version": 1.2,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "versioned": True,
        "removal_policy": cdk.RemovalPolicy.RETAIN,
        "lifecycle_rules": lifecycle_rules
        or [
            s3.LifecycleRule(
                id="expire-noncurrent-versions",
                noncurrent_version_expiration=cdk.Duration.days(90),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            )
        ],
    }
    if encryption_key is not None:
        props.update(encryption=s3.BucketEncryption.KMS, encryption_key=encryption_key, bucket_key_enabled=True)
    else:
        props.update(encryption=s3.BucketEncryption.S3_MANAGED)
    if access_logs_bucket is not None:
        props.update(server_access_logs_bucket=access_logs_bucket, server_access_logs_prefix=access_logs_prefix)
    return props


class SecureBucket(Construct):
    """A secure S3 bucket (see :func:`default_bucket_props`), optionally with a server access logs bucket.

    Keyword-only props:
      bucket_props: partial ``s3.BucketProps`` merged over the defaults. Conflicts with ``existing_bucket_obj``.
      existing_bucket_obj: use this bucket instead of creating one (nothing else is created).
      encryption_key: customer-managed KMS key for SSE-KMS. @default SSE-S3.
      log_access: create (or use) a server access logs bucket. @default True.
      logging_bucket_props: partial props for the logs bucket. Conflicts with ``existing_logging_bucket_obj``.
      existing_logging_bucket_obj: write access logs here.
      access_logs_prefix: key prefix of the access logs. @default ``"<construct id>/"``.
      lifecycle_rules: the bucket's lifecycle rules. @default expire noncurrent versions after 90 days and
        incomplete multipart uploads after 7 days.

    Attributes: ``bucket`` (``s3.IBucket``, always set), ``access_logs_bucket`` (``s3.IBucket`` or ``None``),
    ``created_bucket`` / ``created_access_logs_bucket`` (``s3.Bucket`` when this construct created them).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_bucket_obj: s3.IBucket | None = None,
        encryption_key: kms.IKey | None = None,
        log_access: bool = True,
        logging_bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_logging_bucket_obj: s3.IBucket | None = None,
        access_logs_prefix: str | None = None,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Access-log delivery through a bucket policy (not the LogDeliveryWrite ACL) keeps object ownership
        # "bucket owner enforced". Set here so that apps without this recommended feature flag work too.
        self.node.set_context(_LOGS_BUCKET_POLICY_FLAG, True)
        check_secure_bucket_props(
            PropsValidation(type(self).__name__),
            bucket_props=bucket_props,
            existing_bucket_obj=existing_bucket_obj,
            log_access=log_access,
            logging_bucket_props=logging_bucket_props,
            existing_logging_bucket_obj=existing_logging_bucket_obj,
            encryption_key=encryption_key,
        ).raise_if_any()

        self.created_bucket: s3.Bucket | None = None
        self.created_access_logs_bucket: s3.Bucket | None = None
        self.access_logs_bucket: s3.IBucket | None = None
        if existing_bucket_obj is not None:
            self.bucket: s3.IBucket = existing_bucket_obj
            return

        if log_access:
            if existing_logging_bucket_obj is not None:
                self.access_logs_bucket = existing_logging_bucket_obj
            else:
                self.created_access_logs_bucket = _access_logs_bucket(self, logging_bucket_props)
                self.access_logs_bucket = self.created_access_logs_bucket

        props = consolidate_props(
            self,
            default_bucket_props(
                encryption_key=encryption_key,
                access_logs_bucket=self.access_logs_bucket,
                access_logs_prefix=access_logs_prefix or f"{construct_id}/",
                lifecycle_rules=lifecycle_rules,
            ),
            bucket_props,
        )
        self.created_bucket = s3.Bucket(self, "Bucket", **props)
        self.bucket = self.created_bucket
        if not log_access:
            acknowledge(
                self.created_bucket,
                "AwsSolutions-S1",
                "Server access logging was turned off by the caller (log_access=False).",
            )


def check_secure_bucket_props(
    validation: PropsValidation,
    *,
    bucket_props: Any,
    existing_bucket_obj: Any,
    log_access: bool,
    logging_bucket_props: Any,
    existing_logging_bucket_obj: Any,
    encryption_key: Any = None,
    prefix: str = "",
) -> PropsValidation:
    """Record the bucket conflicts of one construct call (``prefix`` namespaces the prop names)."""
    validation.exclusive(f"{prefix}bucket_props", bucket_props, f"{prefix}existing_bucket_obj", existing_bucket_obj)
    validation.exclusive(
        f"{prefix}logging_bucket_props",
        logging_bucket_props,
        f"{prefix}existing_logging_bucket_obj",
        existing_logging_bucket_obj,
    )
    validation.require(
        log_access or (logging_bucket_props is None and existing_logging_bucket_obj is None),
        f"If {prefix}log_access is False then {prefix}logging_bucket_props and "
        f"{prefix}existing_logging_bucket_obj cannot be specified.",
    )
    validation.require(
        existing_bucket_obj is None or encryption_key is None,
        f"{prefix}encryption_key applies to a bucket the construct creates; it cannot be combined with "
        f"{prefix}existing_bucket_obj.",
    )
    return validation


def _access_logs_bucket(scope: Construct, logging_bucket_props: Any) -> s3.Bucket:
    # Server access log delivery supports SSE-S3 only, and a logs bucket does not log itself.
    defaults = default_bucket_props(encryption_key=None, access_logs_bucket=None, access_logs_prefix=None)
    defaults["lifecycle_rules"] = [
        s3.LifecycleRule(
            id="expire-access-logs",
            expiration=cdk.Duration.days(365),
            noncurrent_version_expiration=cdk.Duration.days(30),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
        )
    ]
    bucket = s3.Bucket(scope, "AccessLogsBucket", **consolidate_props(scope, defaults, logging_bucket_props))
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "This bucket receives the server access logs of the data bucket; logging it to itself would loop.",
    )
    return bucket

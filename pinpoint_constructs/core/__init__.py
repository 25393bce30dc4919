"""The shared core of pinpoint-constructs: what several constructs need.

Secure bucket, secure DynamoDB table, queue with dead-letter queue, encrypted SNS topic that AWS services may publish
to, Python Lambda
function with the shared dependencies layer (bundled without Docker), the props convention and cdk-nag
acknowledgments.
"""

from .acknowledgments import acknowledge
from .encrypted_topic import EncryptedTopic
from .lambda_sources import function_source_dir, lambda_source_root
from .props import PropsConflictError, PropsValidation, consolidate_props, deep_merge, props_to_dict
from .python_function import METRICS_NAMESPACE, PythonFunction, add_settings, library_runtime, runtime_layer
from .queue_with_dlq import QueueWithDeadLetterQueue
from .secure_bucket import SecureBucket
from .secure_table import TTL_ATTRIBUTE, TableData, secure_table

__all__ = [
    "METRICS_NAMESPACE",
    "TTL_ATTRIBUTE",
    "EncryptedTopic",
    "PropsConflictError",
    "PropsValidation",
    "PythonFunction",
    "QueueWithDeadLetterQueue",
    "SecureBucket",
    "TableData",
    "acknowledge",
    "add_settings",
    "consolidate_props",
    "deep_merge",
    "function_source_dir",
    "lambda_source_root",
    "library_runtime",
    "props_to_dict",
    "runtime_layer",
    "secure_table",
]

"""The shared core of pinpoint-constructs: what several constructs need.

Secure bucket, queue with dead-letter queue, encrypted SNS topic that AWS services may publish to, Python Lambda
function with the shared dependencies layer (bundled without Docker), the props convention and cdk-nag
acknowledgments.
"""

from .acknowledgments import acknowledge
from .encrypted_topic import EncryptedTopic
from .lambda_sources import function_source_dir, lambda_source_root
from .props import PropsConflictError, PropsValidation, consolidate_props, deep_merge, props_to_dict
from .python_function import METRICS_NAMESPACE, PythonFunction, library_runtime, runtime_layer
from .queue_with_dlq import QueueWithDeadLetterQueue
from .secure_bucket import SecureBucket

__all__ = [
    "METRICS_NAMESPACE",
    "EncryptedTopic",
    "PropsConflictError",
    "PropsValidation",
    "PythonFunction",
    "QueueWithDeadLetterQueue",
    "SecureBucket",
    "acknowledge",
    "consolidate_props",
    "deep_merge",
    "function_source_dir",
    "lambda_source_root",
    "library_runtime",
    "props_to_dict",
    "runtime_layer",
]

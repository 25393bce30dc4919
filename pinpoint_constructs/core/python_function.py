"""Python Lambda functions with the library's defaults, and the one dependencies layer they share.

* Newest Python runtime aws-cdk-lib knows, arm64, X-Ray tracing, JSON logs into a log group with retention.
* Powertools for AWS Lambda configured through its environment variables (service name, metrics namespace).
* A role of its own with only what it needs (logs on its own log group; no AWS managed policies).
* Asynchronous invocations that still fail after Lambda's retries land in an encrypted dead-letter queue.
* Third-party dependencies (pinned in ``lambda_src/requirements.txt``) and the shared runtime package
  ``pinpoint_runtime`` are one Lambda layer per stack, bundled **without Docker**: ``pip install --platform
  manylinux2014_aarch64 --only-binary=:all: --no-compile --target``. Docker is only the fallback when pip itself
  is unavailable. The layer's asset hash is computed once per process from the requirements and runtime sources,
  so synth does no repeated hashing, and unit tests skip bundling with the ``aws:cdk:bundling-stacks`` context.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from pinpoint_runtime.core.environment import FunctionSettings

from .acknowledgments import acknowledge
from .lambda_sources import REQUIREMENTS_FILE, RUNTIME_PACKAGE, function_source_dir, lambda_source_root
from .props import PropsValidation, consolidate_props

METRICS_NAMESPACE = "PinpointConstructs"
ARCHITECTURE = lambda_.Architecture.ARM_64
_LAYER_ID = "PinpointConstructsRuntimeLayer"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def library_runtime(scope: Construct) -> lambda_.Runtime:
    """The newest Python runtime this aws-cdk-lib knows (cdk-nag AwsSolutions-L1 asks for the latest).

    ``Runtime.determine_latest_python_runtime`` lags one release behind, so pick the highest ``PYTHON_3_x``.
    """
    versions = [
        (int(name.rsplit("_", 1)[1]), name) for name in dir(lambda_.Runtime) if re.fullmatch(r"PYTHON_3_\d+", name)
    ]
    return getattr(lambda_.Runtime, max(versions)[1])


def pip_platform_args(runtime: lambda_.Runtime, architecture: lambda_.Architecture = ARCHITECTURE) -> list[str]:
    """pip arguments that select wheels for ``runtime`` on ``architecture`` from any host."""
    version = runtime.name.removeprefix("python")
    machine = "aarch64" if architecture == ARCHITECTURE else "x86_64"
    return [
        "--implementation", "cp",
        "--python-version", version,
        "--abi", f"cp{version.replace('.', '')}",
        "--platform", f"manylinux2014_{machine}",
        "--platform", f"manylinux_2_28_{machine}",
        "--only-binary=:all:",
        "--no-compile",
    ]  # fmt: skip


@cache
def layer_asset_hash(source_root: Path, runtime_name: str) -> str:
    """Hash of what goes into the layer: requirements, runtime package sources, runtime and architecture."""
    digest = hashlib.sha256(f"{runtime_name}|{ARCHITECTURE.name}".encode())
    digest.update((source_root / REQUIREMENTS_FILE).read_bytes())
    package = source_root / RUNTIME_PACKAGE
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class PipLayerBundling:
    """Builds the layer on the host: ``python/`` = pip-installed requirements + the runtime package."""

    def __init__(self, source_root: Path, runtime: lambda_.Runtime) -> None:
        self._source_root = source_root
        self._runtime = runtime

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        target = Path(output_dir) / "python"
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--target", str(target), *pip_platform_args(self._runtime),
            "-r", str(self._source_root / REQUIREMENTS_FILE),
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except FileNotFoundError:
            return False  # no usable interpreter/pip: let CDK try Docker
        except subprocess.CalledProcessError as error:
            if "No module named pip" in (error.stderr or ""):
                return False
            raise RuntimeError(
                "Bundling the Lambda dependencies layer failed (pip install --only-binary for "
                f"{self._runtime.name}/arm64):\n{(error.stderr or '')[-2000:]}"
            ) from error
        shutil.copytree(self._source_root / RUNTIME_PACKAGE, target / RUNTIME_PACKAGE, ignore=_IGNORED)
        return True


def runtime_layer(scope: Construct) -> lambda_.LayerVersion:
    """The stack's one layer of Lambda dependencies and shared runtime code (created on first use)."""
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(_LAYER_ID)
    if existing is not None:
        return existing  # type: ignore[return-value]
    runtime = library_runtime(stack)
    source_root = lambda_source_root()
    docker_command = (
        f"pip install --no-compile -r {REQUIREMENTS_FILE} -t /asset-output/python "
        f"&& cp -r {RUNTIME_PACKAGE} /asset-output/python/"
    )
    return lambda_.LayerVersion(
        stack,
        _LAYER_ID,
        description="pinpoint-constructs: Powertools, phonenumberslite and the shared pinpoint_runtime package",
        compatible_runtimes=[runtime],
        compatible_architectures=[ARCHITECTURE],
        code=lambda_.Code.from_asset(
            str(source_root),
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            asset_hash=layer_asset_hash(source_root, runtime.name),
            bundling=cdk.BundlingOptions(
                image=runtime.bundling_image,
                platform="linux/arm64",
                command=["bash", "-c", docker_command],
                local=PipLayerBundling(source_root, runtime),
            ),
        ),
    )


def add_settings(function: lambda_.Function, settings: FunctionSettings) -> None:
    """Write ``settings`` into the environment of ``function`` (a library function or a partner's): how one
    construct configures a function that another construct created (e.g. the store's table on an importer)."""
    for name, value in settings.to_environment().items():
        function.add_environment(name, value)


class PythonFunction(Construct):
    """A Python Lambda function of the library (see the module docstring for its defaults).

    Keyword-only props:
      function_folder: the folder under ``lambda_src`` holding ``handler.py``. Conflicts with ``code``.
      code: the caller's own code (e.g. ``lambda_.Code.from_asset(...)``) instead of a library function folder;
        it still gets the shared layer (``pinpoint_runtime``, Powertools) and every default below.
      service_name: Powertools service name (logs and metrics dimension).
      description: the function description.
      settings: the function's settings objects (``pinpoint_runtime`` ``FunctionSettings``, the ones its handler
        declares in ``SETTINGS``), written into its environment; the only way the library configures its functions.
      environment: extra environment variables (for a partner's own ``code``).
      handler: entry point. @default ``"handler.handler"``.
      memory_size: MB. @default 256.
      timeout: @default 60 seconds.
      reserved_concurrent_executions: cap on concurrent executions. @default no reservation.
      log_retention: @default one year.
      deploy_async_dead_letter_queue: create a DLQ for failed asynchronous invocations. @default True.
      existing_async_dead_letter_queue: use this queue as the DLQ instead. Conflicts with the flag being False.
      function_props: partial ``lambda_.FunctionProps`` merged over the defaults.

    Attributes: ``lambda_function``, ``role``, ``log_group``, ``async_dead_letter_queue`` (or ``None``),
    ``function_folder``, ``settings``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_folder: str | None = None,
        code: lambda_.Code | None = None,
        service_name: str,
        description: str,
        settings: Sequence[FunctionSettings] = (),
        environment: dict[str, str] | None = None,
        handler: str = "handler.handler",
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        reserved_concurrent_executions: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        deploy_async_dead_letter_queue: bool = True,
        existing_async_dead_letter_queue: sqs.IQueue | None = None,
        function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validation = PropsValidation(type(self).__name__)
        validation.require(
            deploy_async_dead_letter_queue or existing_async_dead_letter_queue is None,
            "existing_async_dead_letter_queue cannot be combined with deploy_async_dead_letter_queue=False.",
        )
        validation.require(
            reserved_concurrent_executions is None or reserved_concurrent_executions >= 0,
            "reserved_concurrent_executions must be 0 or more.",
        )
        validation.require(
            (function_folder is None) != (code is None), "Provide exactly one of function_folder or code."
        )
        validation.raise_if_any()
        self.function_folder = function_folder
        if code is None:
            assert function_folder is not None  # validated above: exactly one of the two
            code = lambda_.Code.from_asset(
                str(function_source_dir(function_folder)),
                exclude=["__pycache__", "*.pyc"],
            )

        self.log_group = logs.LogGroup(
            self, "LogGroup", retention=log_retention, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        self.role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {self.node.path}",
        )
        self.log_group.grant_write(self.role)

        self.async_dead_letter_queue: sqs.IQueue | None = None
        if existing_async_dead_letter_queue is not None:
            self.async_dead_letter_queue = existing_async_dead_letter_queue
        elif deploy_async_dead_letter_queue:
            created = sqs.Queue(
                self,
                "AsyncDeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=cdk.Duration.days(14),
            )
            acknowledge(
                created,
                "AwsSolutions-SQS3",
                "This queue is itself the dead-letter queue of the function's asynchronous invocations.",
            )
            self.async_dead_letter_queue = created

        runtime = library_runtime(self)
        self.settings: tuple[FunctionSettings, ...] = tuple(settings)
        env = {
            "POWERTOOLS_SERVICE_NAME": service_name,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            **{name: value for item in self.settings for name, value in item.to_environment().items()},
            **(environment or {}),
        }
        defaults: dict[str, Any] = {
            "runtime": runtime,
            "architecture": ARCHITECTURE,
            "handler": handler,
            "code": code,
            "layers": [runtime_layer(self)],
            "memory_size": memory_size,
            "timeout": timeout or cdk.Duration.seconds(60),
            "tracing": lambda_.Tracing.ACTIVE,
            "logging_format": lambda_.LoggingFormat.JSON,
            "application_log_level_v2": lambda_.ApplicationLogLevel.INFO,
            "system_log_level_v2": lambda_.SystemLogLevel.WARN,
            "description": description,
            "environment": env,
            "reserved_concurrent_executions": reserved_concurrent_executions,
            "retry_attempts": 2,
        }
        required: dict[str, Any] = {"role": self.role, "log_group": self.log_group}
        if self.async_dead_letter_queue is not None:
            required["dead_letter_queue"] = self.async_dead_letter_queue
        self.lambda_function = lambda_.Function(
            self, "Function", **consolidate_props(self, defaults, function_props, required)
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "X-Ray trace segments and telemetry have no resource ARN; the actions are limited to xray:Put*.",
            applies_to="Resource::*",
        )

"""Shared fixtures: apps built with the sample app's context, bundling skipped, templates synthesized once."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from hypothesis import settings

# Property-based tests are reproducible by default: the same examples on every machine and every run, and no
# example database left in the checkout to change the next run. HYPOTHESIS_PROFILE=explore draws new examples.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

REPO = Path(__file__).resolve().parent.parent
#: Test data copied from the project's shared data: imports, event records as AWS documents them, payloads.
TEST_DATA = REPO / "tests" / "data"
#: Event records as AWS documents them: SES, SMS v2, Pinpoint-shaped.
SAMPLE_EVENTS_DIR = TEST_DATA / "events"
CDK_CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
ENV = cdk.Environment(account="123456789012", region="us-east-1")


def new_app(**extra_context: Any) -> cdk.App:
    """An app with cdk.json's feature flags, Lambda bundling skipped (unit tests stay fast and offline)."""
    return cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": [], **extra_context})


def new_stack(app: cdk.App | None = None, name: str = "TestStack") -> cdk.Stack:
    """A stack in a fixed account/region; it holds a wait-condition handle so that it is never empty (an empty
    template fails CloudFormation validation at synth)."""
    stack = cdk.Stack(app or new_app(), name, env=ENV)
    cdk.CfnWaitConditionHandle(stack, "NeverEmpty")
    return stack


def template_of(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def resources_of(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(resource_type)


def only(mapping: dict[str, Any]) -> Any:
    """The single value of ``mapping`` (fails the test when there is not exactly one)."""
    assert len(mapping) == 1, f"expected exactly one, found {sorted(mapping)}"
    return next(iter(mapping.values()))


_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalise_asset_hashes(template: dict[str, Any]) -> dict[str, Any]:
    """Asset hashes change with any Lambda source edit; snapshots compare the infrastructure, not the code."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template)))


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The sample app (app.py) synthesized once per test session (bundling skipped), with cdk-nag registered
    exactly as ``make synth`` does: synth fails on any unacknowledged finding, including findings that only
    appear once cross-stack references are resolved."""
    import app as sample_app_module

    outdir = tmp_path_factory.mktemp("sample-cdk-out")
    application = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    sample_app_module.build_sample_app(application)
    sample_app_module.check_with_cdk_nag(application)
    application.synth()
    return application


@pytest.fixture(scope="session")
def sample_assembly(sample_app: cdk.App) -> cdk.cx_api.CloudAssembly:
    return sample_app.synth()


@pytest.fixture(scope="session")
def sample_templates(sample_assembly: cdk.cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """Stack name → synthesized template of every sample stack."""
    return {stack.stack_name: stack.template for stack in sample_assembly.stacks}


@pytest.fixture(scope="session")
def variant_app() -> cdk.App:
    """Every construct-test prop variant (tests.support.variants) in a stack ``Variant<name>`` of one app,
    synthesized once per session."""
    from tests.support.variants import VARIANTS

    application = new_app()
    for name, build in VARIANTS.items():
        build(cdk.Stack(application, f"Variant{name}", env=ENV))
    application.synth()
    return application


@pytest.fixture(scope="session")
def variant_templates(variant_app: cdk.App) -> dict[str, dict[str, Any]]:
    """Stack name → synthesized template of every variant stack."""
    return {stack.stack_name: stack.template for stack in variant_app.synth().stacks}


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region for boto3 clients under moto or botocore's Stubber (never a real account)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def make_stack() -> Callable[..., cdk.Stack]:
    return new_stack


def synth_variants_with_nag(variants: dict[str, Callable[[cdk.Stack], Any]], prefix: str) -> dict[str, Template]:
    """Build each variant in its own stack of one app, synthesize with cdk-nag's AwsSolutions pack (synth fails on
    any unacknowledged finding) and return the templates by variant name."""
    from cdk_nag import AwsSolutionsChecks

    app = new_app()
    stacks = {}
    for name, build in variants.items():
        stack = cdk.Stack(app, f"{prefix}{name}", env=ENV)
        build(stack)
        stacks[name] = stack
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}

"""Static checks on every synthesized template: cfn-lint (0 errors), checkov (failures fixed or accepted with a
reason in tests/checks/checkov_accepted.yaml) and asl-validator on every Step Functions definition.

The templates are the sample app's stacks plus the prop variants of the construct tests (EventStreamToS3,
TwoWaySms / SelfManagedOptOut).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_lambda as lambda_

from tests.conftest import ENV, REPO, new_app

ACCEPTED_CHECKOV_FILE = REPO / "tests" / "checks" / "checkov_accepted.yaml"


def _tool(env_var: str, default: Path) -> Path:
    path = Path(os.environ.get(env_var, default))
    if not path.exists():
        pytest.fail(f"{path} is missing: run the suite with `make test`, which installs it")
    return path


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory, sample_templates, variant_templates) -> Path:
    """Every template to check, written as <stack>.template.json."""
    directory = tmp_path_factory.mktemp("templates")
    for name, template in {**sample_templates, **variant_templates}.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template, indent=1))
    return directory


def test_cfn_lint_finds_no_errors(template_dir: Path) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    files = sorted(str(p) for p in template_dir.glob("*.template.json"))
    assert len(files) >= 4
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--regions", "us-east-1", "--", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    errors = [line for line in findings if ":E" in line]
    assert errors == [], "\n".join(errors)
    assert result.returncode in (0, 4, 8, 12), result.stderr  # 2 = errors; 4 = warnings; 8 = informational


def _accepted_checks() -> dict[str, str]:
    accepted = yaml.safe_load(ACCEPTED_CHECKOV_FILE.read_text())
    for check_id, entry in accepted.items():
        assert isinstance(entry, dict) and len(entry.get("reason", "")) >= 30, f"{check_id} needs a real reason"
    return {check_id: entry["reason"] for check_id, entry in accepted.items()}


# checkov's CloudFormation parser stores each mapping's file path under the key ``__file__``, and CKV_AWS_45
# ("no hard-coded secrets in a Lambda environment") scans every string of ``Environment.Variables``, that key
# included, with a regex for AWS secret access keys: any run of exactly 40 characters of [A-Za-z0-9/+=]. A path
# such as ``.../pytest-0/templates0/VariantImportExistingBucket.template.json`` holds such a run
# (``0/templates0/VariantImportExistingBucket``), so the finding came and went with pytest's temporary directory
# number and the template's file name, not with the template. Each template is therefore checked on its own, in
# a directory of its own, under the fixed relative name below: the path checkov sees cannot form such a run, and no
# other template is in the same run.
CHECKOV_FILE_NAME = "template.json"


def checkov_failed_checks(template: dict[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """checkov's failed checks for one template, written to ``workdir/template.json`` and scanned from there."""
    checkov = _tool("PINPOINT_CONSTRUCTS_CHECKOV", REPO / ".venv-checkov" / "bin" / "checkov")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / CHECKOV_FILE_NAME).write_text(json.dumps(template, indent=1))
    result = subprocess.run(
        [
            str(checkov), "--file", CHECKOV_FILE_NAME, "--framework", "cloudformation",
            "--skip-download", "--output", "json", "--compact", "--soft-fail",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=workdir,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    passed = sum(r["summary"]["passed"] for r in reports)
    assert passed > 5, f"checkov ran (almost) no passing check in {workdir}: it did not read the template"
    return [check for r in reports for check in r["results"]["failed_checks"]]


def test_checkov_failures_are_fixed_or_accepted_with_a_reason(
    template_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    paths = sorted(template_dir.glob("*.template.json"))
    assert len(paths) >= 20
    root = tmp_path_factory.mktemp("checkov")

    def check(path: Path) -> tuple[str, list[dict[str, Any]]]:
        stack = path.name.removesuffix(".template.json")
        return stack, checkov_failed_checks(json.loads(path.read_text()), root / stack)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failed_by_stack = dict(pool.map(check, paths))
    accepted = _accepted_checks()
    unaccepted = sorted(
        (stack, c["check_id"], c["resource"], c["check_name"])
        for stack, failed in failed_by_stack.items()
        for c in failed
        if c["check_id"] not in accepted
    )
    assert unaccepted == [], (
        f"fix these or accept them with a reason in tests/checks/checkov_accepted.yaml: {unaccepted}"
    )
    failing_ids = {c["check_id"] for failed in failed_by_stack.values() for c in failed}
    stale = sorted(set(accepted) - failing_ids)
    assert stale == [], f"accepted checks that no longer fail (remove them): {stale}"


def _function_stack(environment: dict[str, str]) -> dict[str, Any]:
    app = new_app()
    stack = cdk.Stack(app, "SecretProbe", env=ENV)
    lambda_.Function(
        stack,
        "Probe",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        environment=environment,
    )
    return app.synth().get_stack_by_name("SecretProbe").template


def _secret_findings(failed: list[dict[str, Any]]) -> list[str]:
    return sorted(c["resource"] for c in failed if c["check_id"] == "CKV_AWS_45")


def test_checkov_still_finds_a_real_secret_in_a_lambda_environment(tmp_path: Path) -> None:
    # AWS's documented example secret access key: the check must keep failing on what it is there for.
    template = _function_stack({"TABLE_NAME": "orders", "SECRET_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    findings = _secret_findings(checkov_failed_checks(template, tmp_path / "probe"))
    assert len(findings) == 1 and findings[0].startswith("AWS::Lambda::Function.Probe"), findings


def test_checkov_results_do_not_depend_on_where_the_template_is_written(tmp_path: Path) -> None:
    template = _function_stack({"TABLE_NAME": "orders"})
    # A directory whose absolute path, followed by a file name, would end in a 40-character [A-Za-z0-9/+=] run:
    # scanned by absolute path, checkov reported CKV_AWS_45 for this clean function.
    run = "x" * (39 - len(CHECKOV_FILE_NAME.split(".")[0]))
    risky = tmp_path / f"a-{run}"
    assert len(f"{run}/{CHECKOV_FILE_NAME.split('.')[0]}") == 40
    assert _secret_findings(checkov_failed_checks(template, risky)) == []
    assert _secret_findings(checkov_failed_checks(template, tmp_path / "plain")) == []


def _resolve_definition(definition: Any) -> str:
    """A DefinitionString with its CloudFormation tokens replaced by placeholder ARNs."""
    if isinstance(definition, str):
        return definition
    if "Fn::Join" in definition:
        separator, parts = definition["Fn::Join"]
        return separator.join(_resolve_definition(part) for part in parts)
    pseudo = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
    if "Ref" in definition:  # a pseudo parameter, or a bucket/table name
        return pseudo.get(definition["Ref"], "resource-name-from-the-stack")
    return "arn:aws:lambda:us-east-1:123456789012:function:placeholder"


def _asl_validate(definition: str) -> subprocess.CompletedProcess[str]:
    validator = _tool("PINPOINT_CONSTRUCTS_ASL_VALIDATOR", REPO / ".tools" / "node_modules" / ".bin" / "asl-validator")
    return subprocess.run(
        [str(validator), "--json-definition", definition], capture_output=True, text=True, check=False
    )


def test_every_state_machine_definition_is_valid_asl(template_dir: Path) -> None:
    # The validator itself must tell a good definition from a broken one, or this check proves nothing.
    good = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    broken = {"StartAt": "Missing", "States": {"Done": {"Type": "Succeed"}}}
    assert _asl_validate(json.dumps(good)).returncode == 0
    assert _asl_validate(json.dumps(broken)).returncode != 0

    checked = 0
    for path in sorted(template_dir.glob("*.template.json")):
        for logical_id, resource in json.loads(path.read_text())["Resources"].items():
            if resource["Type"] != "AWS::StepFunctions::StateMachine":
                continue
            definition = _resolve_definition(resource["Properties"]["DefinitionString"])
            result = _asl_validate(definition)
            assert result.returncode == 0, f"{path.name} {logical_id}: {result.stdout}{result.stderr}"
            checked += 1
    assert checked >= 6, f"only {checked} state machine definition(s) found"  # sample app, import and runner variants

"""The settings contract between the constructs and their functions.

Every library function's handler declares the settings classes it reads (``SETTINGS``, its own first); the
construct writes them (``PythonFunction(settings=...)`` / ``add_settings``). For every library function in the
sample app and in every construct-test variant:

* every variable in its environment is one that a settings class of its handler declares (nothing written that
  nothing reads: this is how ``ledger_retention`` once reached nothing);
* its own settings (the first class) are complete, and so is every other class of which any variable is set;

and no runtime or handler code reads ``os.environ`` except through ``pinpoint_runtime.core.environment``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import aws_cdk as cdk
import pytest

from pinpoint_constructs.core import PythonFunction
from pinpoint_runtime.core.environment import FunctionSettings
from tests.conftest import REPO

LAMBDA_SRC = REPO / "lambda_src"
#: Written by every library function's construct for Powertools, read by Powertools itself.
POWERTOOLS = frozenset({"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"})
#: Where reading the process environment is allowed.
ENVIRONMENT_READERS = {"pinpoint_runtime/core/environment.py", "pinpoint_runtime/core/process_state.py"}


def _function_folders() -> list[str]:
    return sorted(p.parent.name for p in LAMBDA_SRC.glob("*/handler.py"))


def _declared_settings(folder: str) -> tuple[type[FunctionSettings], ...] | None:
    module = importlib.import_module(f"{folder}.handler")
    return getattr(module, "SETTINGS", None)


def _library_functions(app: cdk.App) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, function folder, environment in the synthesized template) of every library function of ``app``.

    The environment is read from the template, not from ``stack.resolve(cfn.environment)``: through jsii that
    returns an empty mapping, which would make every check below pass vacuously.
    """
    assembly = app.synth()
    found = []
    for node in app.node.find_all():
        if isinstance(node, PythonFunction) and node.function_folder:
            stack = cdk.Stack.of(node)
            cfn = node.lambda_function.node.default_child
            logical_id = stack.resolve(cfn.logical_id)  # type: ignore[union-attr]
            template = assembly.get_stack_artifact(stack.artifact_id).template
            properties = template["Resources"][logical_id]["Properties"]
            variables = properties.get("Environment", {}).get("Variables", {})
            found.append((node.node.path, node.function_folder, dict(variables)))
    return found


def test_every_function_declares_its_settings() -> None:
    folders = set(_function_folders())
    declared = {folder for folder in folders if _declared_settings(folder) is not None}
    assert folders == declared, f"no SETTINGS declared: {sorted(folders - declared)}"


def test_every_declared_settings_class_is_a_function_settings() -> None:
    for folder in _function_folders():
        declared = _declared_settings(folder)
        if declared is None:
            continue
        assert declared and all(isinstance(c, type) and issubclass(c, FunctionSettings) for c in declared), folder
        for settings_class in declared:
            settings_class.environment_variables()  # every field is declared with variable(), no name twice


@pytest.mark.parametrize("which", ["sample", "variants"])
def test_constructs_write_exactly_what_their_functions_read(which: str, sample_app, variant_app) -> None:
    app = sample_app if which == "sample" else variant_app
    functions = _library_functions(app)
    assert len(functions) >= (15 if which == "sample" else 30)
    problems = []
    checked = 0
    for path, folder, environment in functions:
        declared = _declared_settings(folder)
        if declared is None:
            problems.append(f"{path}: handler of {folder} declares no SETTINGS")
            continue
        checked += 1
        written = set(environment) - POWERTOOLS
        readable = {name for settings_class in declared for name in settings_class.environment_variables()}
        if written - readable:
            problems.append(f"{path} ({folder}) writes what its function never reads: {sorted(written - readable)}")
        own, *attachments = declared
        if own.required_variables() - written:
            problems.append(f"{path} ({folder}) lacks required {sorted(own.required_variables() - written)}")
        for attachment in attachments:
            names = set(attachment.environment_variables())
            if names & written and attachment.required_variables() - written:
                problems.append(
                    f"{path} ({folder}) sets {attachment.__name__} partly: lacks "
                    f"{sorted(attachment.required_variables() - written)}"
                )
    assert problems == []
    assert checked == len(functions)


_ENVIRONMENT_READ = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(")


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    for path in sorted(LAMBDA_SRC.rglob("*.py")):
        relative = path.relative_to(LAMBDA_SRC).as_posix()
        if relative in ENVIRONMENT_READERS:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _ENVIRONMENT_READ.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []

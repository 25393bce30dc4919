"""The Python tools of `make synth` / `make test` are exactly the committed locks (locks/*.txt): a fresh machine gets
what the last green run had, and a tool installed beside the lock (or a lock that no longer installs) fails here."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = _PIN.match(line.strip())
        assert match, f"{path.name}: not an exact pin: {line!r}"
        pins[_canonical(match[1])] = match[2]
    return pins


def _installed_here() -> dict[str, str]:
    return {
        _canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if _canonical(dist.metadata["Name"]) != "pinpoint-constructs"
    }


def test_the_test_environment_is_the_lock() -> None:
    lock = _lock(REPO / "locks" / "python.txt")
    installed = _installed_here()
    assert {"pytest", "moto", "hypothesis", "cfn-lint", "aws-cdk-lib", "cdk-nag", "pip", "setuptools"} <= set(lock)
    differing = {name: (version, lock.get(name)) for name, version in installed.items() if lock.get(name) != version}
    assert differing == {}, f"installed (version, locked version) that differ from locks/python.txt: {differing}"


def test_the_checkov_environment_is_the_lock() -> None:
    python = REPO / ".venv-checkov" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run the suite with `make test`, which installs it")
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout
    installed = {_canonical(m[1]): m[2] for line in freeze.splitlines() if (m := _PIN.match(line.strip()))}
    lock = _lock(REPO / "locks" / "checkov.txt")
    assert "checkov" in lock and len(lock) > 50
    assert installed == lock


def test_the_lambda_layer_pins_every_package_it_installs() -> None:
    """lambda_src/requirements.txt pins the layer's packages and what they require (no range left to resolve)."""
    pins = _lock(REPO / "lambda_src" / "requirements.txt")
    for name in pins:
        requires = importlib.metadata.requires(name) or []
        for requirement in requires:
            if ";" in requirement and "extra ==" in requirement:
                continue
            if ";" in requirement and "python_version <" in requirement:
                continue  # for Pythons older than the Lambda runtime
            dependency = _canonical(re.split(r"[<>=!~ ;\[(]", requirement, maxsplit=1)[0])
            assert dependency in pins, (
                f"{name} requires {requirement!r}, which lambda_src/requirements.txt does not pin"
            )

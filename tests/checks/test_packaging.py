"""The wheel as a partner gets it: built from the repository's files, installed into a fresh virtual environment
outside the repository, and used by a small consumer CDK app that synthesizes with REAL Lambda bundling.

This is the one test that bundles the Lambda dependencies layer for real (pip, manylinux2014_aarch64). It needs
PyPI (the fresh environment resolves aws-cdk-lib/constructs, the layer resolves Powertools/phonenumberslite);
pip's cache keeps reruns fast. It is skipped only when PyPI is unreachable, detected from pip's network error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.packaging

PYTHON_LOCK = REPO / "locks" / "python.txt"
RUNTIME_SOURCE = REPO / "lambda_src" / "pinpoint_runtime"


def _runtime_modules(package: Path) -> set[str]:
    """The runtime package's modules (and py.typed marker) as paths relative to the package."""
    return {
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and (p.suffix == ".py" or p.name == "py.typed") and "__pycache__" not in p.parts
    }


#: pip's output when the index cannot be reached at all (DNS, refused/unreachable, time-outs, proxy); a missing
#: version or a bad pin is NOT a network error and fails the test.
_NETWORK_ERROR = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
    r"|Name or service not known|Network is unreachable|No route to host|Connection refused"
    r"|ConnectTimeoutError|Read timed out|ProxyError|Max retries exceeded",
    re.IGNORECASE,
)

_CONSUMER_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    from pinpoint_constructs import EventStreamToS3

    app = cdk.App()
    stack = cdk.Stack(app, "PartnerStack")
    lake = EventStreamToS3(stack, "EventLake")
    lake.add_sms_configuration_set("SmsEvents")
    lake.add_ses_configuration_set("EmailEvents")
    producer = lambda_.Function(
        stack,
        "PartnerProducer",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return event\\n"),
    )
    lake.add_producer(producer)
    app.synth()
    """
)

_ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def _env() -> dict[str, str]:
    """The current PATH (``make test`` puts Node 22 first), jsii quiet on Node 20, nothing pointing at the repo."""
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CDK_OUTDIR", "CDK_CONTEXT_JSON"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    return env


def _run(
    command: list[str], *, cwd: Path, env: dict[str, str], what: str, installs_from_pypi: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; fail the test on a non-zero exit, except that a pip install from PyPI failing with a
    network error skips it."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if installs_from_pypi and _NETWORK_ERROR.search(output):
            pytest.skip(f"PyPI is unreachable ({what}: pip reported a network error): {output[-400:]}")
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{output[-4000:]}")
    return result


def _repo_files() -> list[str]:
    """The files git tracks, plus new files it would track (not ignored): never __pycache__, *.egg-info, build/."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listing.split("\0") if name and (REPO / name).is_file()]


def _elf_machine(path: Path) -> str | None:
    """``x86_64``/``aarch64``/``machine <n>`` for an ELF file, ``None`` for anything else."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    number = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return _ELF_MACHINES.get(number, f"machine {number}")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Wheel built from a clean copy of the repository, installed into a fresh venv, consumer app synthesized."""
    root = tmp_path_factory.mktemp("packaging")
    assert not root.resolve().is_relative_to(REPO), "the packaging test must run outside the repository"
    env = _env()

    # 1. the wheel, from a copy of the repository's files (no local junk), built in tmp
    source = root / "source"
    for name in _repo_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    dist = root / "dist"
    # --no-isolation: the build backend is the test environment's setuptools, which comes from the lock
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
         cwd=root, env=env, what="building the wheel")  # fmt: skip
    wheels = list(dist.glob("pinpoint_constructs-*.whl"))
    assert len(wheels) == 1, wheels

    # 2. a fresh virtual environment outside the repository, the wheel installed with its dependencies from PyPI
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env, what="creating the virtual environment")
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling all of aws-cdk-lib would take a minute; our own packages are compiled as a
    # normal install does, so that the bundling must leave the installed __pycache__ folders out of the assets.
    # The dependencies resolve within the wheel's own ranges, held to the versions of the lock (what the last green
    # run had), so that a new release on PyPI cannot change this test's result unannounced.
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "2",
          "--no-compile", "-c", str(PYTHON_LOCK), str(wheels[0])], cwd=root, env=env,
         what="pip install of the wheel", installs_from_pypi=True)  # fmt: skip
    site_packages = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
             cwd=root, env=env, what="locating site-packages").stdout.strip()
    )  # fmt: skip
    _run([str(python), "-m", "compileall", "-q", str(site_packages / "pinpoint_constructs"),
          str(site_packages / "pinpoint_runtime")],
         cwd=root, env=env, what="compiling the installed packages")  # fmt: skip
    assert list((site_packages / "pinpoint_constructs" / "lambda_src" / "pinpoint_runtime").glob("__pycache__/*.pyc"))

    # 3. the consumer app, run by that venv's python, outside the repository, real bundling
    consumer = root / "consumer"
    consumer.mkdir()
    (consumer / "app.py").write_text(_CONSUMER_APP)
    cdk_out = root / "cdk.out"
    # A partner app with no feature flags at all (the harshest case: the constructs must not rely on the
    # recommended flags of `cdk init`), real bundling (no aws:cdk:bundling-stacks context).
    synth_env = {**env, "CDK_OUTDIR": str(cdk_out)}
    synth = subprocess.run([str(python), "app.py"], cwd=consumer, env=synth_env, capture_output=True, text=True)
    return {"wheel": wheels[0], "venv": venv, "python": python, "cdk_out": cdk_out, "synth": synth,
            "consumer": consumer, "env": env}  # fmt: skip


def test_wheel_contents(workspace: dict[str, Any]) -> None:
    names = zipfile.ZipFile(workspace["wheel"]).namelist()
    for expected in (
        "pinpoint_constructs/__init__.py",
        "pinpoint_constructs/event_stream_to_s3.py",
        "pinpoint_constructs/core/lambda_sources.py",
        "pinpoint_constructs/lambda_src/event_stream_normalizer/handler.py",
        "pinpoint_constructs/lambda_src/requirements.txt",
        "pinpoint_constructs/lambda_src/pinpoint_runtime/events/records.py",
        "pinpoint_runtime/__init__.py",
        "pinpoint_runtime/events/records.py",
    ):
        assert expected in names, f"{expected} missing from {workspace['wheel'].name}"
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n], "compiled files in the wheel"
    source_modules = _runtime_modules(RUNTIME_SOURCE)
    for prefix in ("pinpoint_runtime/", "pinpoint_constructs/lambda_src/pinpoint_runtime/"):
        shipped = {n.removeprefix(prefix) for n in names if n.startswith(prefix) and n.endswith((".py", "py.typed"))}
        assert shipped == source_modules, (
            f"{prefix}: missing {source_modules - shipped}, extra {shipped - source_modules}"
        )
    assert "pinpoint_constructs/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "lambda_src/"))], names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert (
        "pinpoint-constructs = pinpoint_constructs.cli:main"
        in zipfile.ZipFile(workspace["wheel"]).read(entry_points).decode()
    )


def test_consumer_app_synthesizes_with_real_bundling(workspace: dict[str, Any]) -> None:
    synth = workspace["synth"]
    assert synth.returncode == 0, f"consumer app failed:\n{(synth.stdout + synth.stderr)[-4000:]}"
    cdk_out: Path = workspace["cdk_out"]
    template = json.loads((cdk_out / "PartnerStack.template.json").read_text())
    resources = template["Resources"]

    def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in resources.items() if v["Type"] == resource_type}

    assert len(of_type("AWS::KinesisFirehose::DeliveryStream")) == 1
    tables = of_type("AWS::Glue::Table").values()
    table_types = [t["Properties"]["TableInput"].get("TableType") for t in tables]
    assert table_types.count("EXTERNAL_TABLE") == 1, table_types
    assert table_types.count("VIRTUAL_VIEW") >= 1, table_types
    assert len(of_type("AWS::SMSVOICE::ConfigurationSet")) == 1
    assert len(of_type("AWS::SES::ConfigurationSetEventDestination")) == 1

    # the partner's function was made a producer: it knows the stream
    partner = next(v for k, v in of_type("AWS::Lambda::Function").items() if k.startswith("PartnerProducer"))
    assert "PINPOINT_EVENT_STREAM_NAME" in partner["Properties"]["Environment"]["Variables"]

    # the dependencies layer, bundled by pip on the host for arm64
    layers = of_type("AWS::Lambda::LayerVersion")
    assert len(layers) == 1
    file_assets = json.loads((cdk_out / "PartnerStack.assets.json").read_text())["files"]

    def asset_dir(s3_location: dict[str, Any]) -> Path:
        """The staged folder of the file asset a Lambda resource's S3Key (``<hash>.zip``) points at."""
        source = file_assets[s3_location["S3Key"].removesuffix(".zip")]["source"]
        assert source["packaging"] == "zip"
        return cdk_out / source["path"]

    layer_dir = asset_dir(next(iter(layers.values()))["Properties"]["Content"])
    python_dir = layer_dir / "python"
    assert (python_dir / "aws_lambda_powertools").is_dir()
    assert (python_dir / "phonenumbers").is_dir()
    # the whole runtime package, every subpackage included
    assert _runtime_modules(python_dir / "pinpoint_runtime") == _runtime_modules(RUNTIME_SOURCE)
    files = list(layer_dir.rglob("*"))
    assert not [p for p in files if p.suffix == ".pyc" or p.name == "__pycache__"], "compiled files in the layer"
    machines = {str(p.relative_to(layer_dir)): _elf_machine(p) for p in files if p.is_file() and _elf_machine(p)}
    assert all(machine == "aarch64" for machine in machines.values()), f"non-arm64 native code: {machines}"

    # the normaliser's code asset holds its handler
    function_dirs = [
        asset_dir(v["Properties"]["Code"])
        for v in of_type("AWS::Lambda::Function").values()
        if v["Properties"].get("Handler") == "handler.handler"
    ]
    assert function_dirs, "no function of the library in the template"
    for function_dir in function_dirs:
        assert (function_dir / "handler.py").is_file(), sorted(p.name for p in function_dir.iterdir())
        assert not list(function_dir.rglob("__pycache__")) and not list(function_dir.rglob("*.pyc"))


def test_partners_import_the_runtime_from_the_installed_wheel(workspace: dict[str, Any]) -> None:
    venv: Path = workspace["venv"]
    check = _run(
        [str(workspace["python"]), "-c",
         "import pinpoint_runtime.events.records, pinpoint_constructs; "
         "print(pinpoint_runtime.events.records.__file__); print(pinpoint_constructs.__file__)"],
        cwd=workspace["consumer"], env=workspace["env"], what="importing pinpoint_runtime",
    )  # fmt: skip
    paths = [Path(line) for line in check.stdout.split()]
    assert len(paths) == 2
    for path in paths:
        assert path.resolve().is_relative_to(venv.resolve()), f"{path} is not the installed copy"


def test_synth_summary_console_script(workspace: dict[str, Any]) -> None:
    assert workspace["synth"].returncode == 0, "the consumer app did not synthesize"
    summary = _run(
        [str(workspace["venv"] / "bin" / "pinpoint-constructs"), "synth-summary", str(workspace["cdk_out"])],
        cwd=workspace["consumer"], env=workspace["env"], what="pinpoint-constructs synth-summary",
    )  # fmt: skip
    assert "stack PartnerStack:" in summary.stdout, summary.stdout
    assert "total resources:" in summary.stdout


def test_validate_import_console_script(workspace: dict[str, Any], tmp_path: Path) -> None:
    """Partners check a file before they drop it, with nothing but the installed wheel."""
    sample = REPO / "tests" / "data" / "imports" / "sample_data_S3_triggered_import.csv"
    rejects = tmp_path / "rejects.csv"
    result = _run(
        [str(workspace["venv"] / "bin" / "pinpoint-constructs"), "validate-import", str(sample),
         "--default-country", "US", "--rejects", str(rejects)],
        cwd=workspace["consumer"], env=workspace["env"], what="pinpoint-constructs validate-import",
    )  # fmt: skip
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert {"rows: 5", "valid: 5", "rejected: 0", "channels: SMS 5"} <= set(lines), result.stdout
    assert rejects.exists()

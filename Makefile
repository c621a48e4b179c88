# One entry point for people and CI. Every target sets itself up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup run test unit integration infra e2e synth openapi lint clean bench chaos

setup: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@

run: $(STAMP)
	$(BIN)/belltower dev

# Two workers (pytest-xdist): the end-to-end tests mostly wait for fire times, so the suite takes
# about half as long on 2 cores as in one process. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

infra: setup
	$(BIN)/pytest tests/infrastructure

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

synth: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk synth --quiet
	$(BIN)/cfn-lint cdk.out/*.template.json

# Regenerate the committed API contract from the routes (a unit test fails when it drifts).
openapi: $(STAMP)
	$(BIN)/python -m handlers.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache

# Benchmarks (docs/benchmarks.md): dispatch lag (bursts of 1,000 then 10,000), API throughput, cold
# start, AWS calls and cost, package size. The lag runs `belltower dev --lambda-processes 2`, so the
# delivery function and the embedded AWS use both cores. LAG_COUNTS=1000 skips the 10,000 burst.
LAG_COUNTS ?= 1000,10000
LAMBDA_PROCESSES ?= 2
bench: setup
	$(BIN)/python -m bench all --lag-counts $(LAG_COUNTS) --lambda-processes $(LAMBDA_PROCESSES) --write docs/benchmarks.md

# The fault-injection run: 2,000 schedules under injected faults, then the no-loss checks
# (exits non-zero if one fails). About 8 minutes.
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos

# detente: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA := scripts/kafka-local
# Independent peers of the integration tests, from Debian: kcat, and Prometheus with promtool
# (both in the `prometheus` package; installed without starting its daemon); openssl makes the
# secured test broker's CA and certificates (`scripts/kafka-local start --secure`).
DEBIAN_TOOLS := scripts/ensure-debian-tools kcat prometheus promtool:prometheus openssl

.PHONY: help install lint typecheck check unit integration test demo train evaluate bench bench-pipeline bench-secured \
        countries-check \
        schemas dashboard kafka-start kafka-stop clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## create .venv and install detente with its dev tools

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy --strict on consumer/ and classifier/
	$(BIN)/mypy

check: lint typecheck ## lint and typecheck

unit: $(STAMP) ## fast tests, no network
	$(BIN)/pytest tests/unit

integration: $(STAMP) ## tests against a real local Kafka broker (started for the run)
	$(DEBIAN_TOOLS)
	$(BIN)/pytest tests/integration

test: check $(STAMP) ## install everything and run the whole suite (lint, types, unit, integration)
	$(DEBIAN_TOOLS)
	$(BIN)/pytest tests

demo: $(STAMP) ## local broker + service + sample articles; prints tagged results, then stops
	$(BIN)/python scripts/demo.py

train: $(STAMP) ## retrain the models from ../shared/datasets into models/
	$(BIN)/detente train

bench: $(STAMP) ## classifier, countries and size-check speed, then the end-to-end pipeline benchmark (JSON in bench/results/)
	$(BIN)/python -m bench.classify_speed
	$(BIN)/python -m bench.countries_speed
	$(BIN)/python -m bench.size_check_cost
	$(BIN)/python -m bench.pipeline_speed

countries-check: $(STAMP) ## score the countries step against the gold read by hand (bench/results/countries_check.json)
	$(BIN)/python -m bench.countries_check

bench-pipeline: $(STAMP) ## end to end on a private Kafka broker: rates, ratios, latency, RSS, startup
	$(BIN)/python -m bench.pipeline_speed

bench-secured: $(STAMP) ## one instance on a secured broker (TLS, SCRAM, ACLs) vs a plain one, same run
	$(BIN)/python -m bench.secured_speed

schemas: $(STAMP) ## write the topics' JSON Schemas to docs/schemas/
	$(BIN)/detente schemas --out docs/schemas

dashboard: $(STAMP) ## regenerate the Grafana dashboard JSON from scripts/build_dashboard.py
	$(BIN)/python scripts/build_dashboard.py

kafka-start: ## start the local Kafka broker (prints its address)
	$(KAFKA) start

kafka-stop: ## stop the local Kafka broker
	$(KAFKA) stop

clean: ## stop local brokers, remove caches (keeps downloaded Kafka jars)
	-$(KAFKA) stop
	-$(KAFKA) stop --secure
	rm -rf .pytest_cache .mypy_cache .ruff_cache

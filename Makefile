# Tandem — two commands on a fresh Debian/Ubuntu machine with Python 3.11:
#   make demo   run Tandem on http://127.0.0.1:8000 (private PostgreSQL under var/pg, demo data, demo logins)
#   make test   run the whole suite on a throwaway PostgreSQL cluster (ruff, migrations check, pytest)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo demo-smoke test install install-dev assets system-deps lint serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

demo: install assets
	TANDEM_BIN=$(BIN) TANDEM_SHARED=$(SHARED) HOST=$(HOST) PORT=$(PORT) scripts/demo.sh

# CI: the first run on a fresh virtualenv with requirements.lock alone, started as `make demo`, checked over HTTP.
demo-smoke: assets
	TANDEM_SHARED=$(SHARED) scripts/demo-smoke.sh

system-deps:
	@scripts/system-deps.sh test

test: install-dev assets system-deps
	TANDEM_SHARED=$(SHARED) scripts/with-throwaway-postgres.sh scripts/run-tests.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules var

# Tandem — two commands on a fresh Debian/Ubuntu machine with Python 3.11:
#   make demo   run Tandem on http://127.0.0.1:8000 (embedded SQLite, demo data, demo logins)
#   make test   run the whole suite on a throwaway PostgreSQL cluster (ruff, migrations check, pytest)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev assets system-deps lint serve clean

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

demo: export TANDEM_DEMO := 1
demo: export DEBUG := 1
demo: install assets
	mkdir -p var
	$(BIN)/tandem migrate --no-input -v 0
	$(BIN)/tandem load_geography $(if $(wildcard $(SHARED)/data/real/economy/zones_emploi),--zones-emploi $(SHARED)/data/real/economy/zones_emploi/zones_emploi_2020_communes_grand_est_cog2024.csv --zones-emploi-labels $(SHARED)/data/real/economy/zones_emploi/zones_emploi_2020_grand_est.csv)
	$(BIN)/tandem generate_demo --seed 1 --scale demo
	@echo "Tandem : http://$(HOST):$(PORT)/ (Ctrl+C pour arrêter)"
	$(BIN)/tandem runserver $(HOST):$(PORT)

system-deps:
	@scripts/system-deps.sh

test: install-dev assets system-deps
	TANDEM_SHARED=$(SHARED) scripts/with-throwaway-postgres.sh scripts/run-tests.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules var

#!/usr/bin/env bash
# The whole suite: lint, migrations check, pytest (unit, HTTP, API property-based and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.test
bin=.venv/bin
echo "== ruff"
$bin/ruff check .
echo "== makemigrations --check"
$bin/tandem makemigrations --check --dry-run
# One worker per core (TANDEM_TEST_WORKERS to change it); the databases are copied from one template that holds
# the migrations and the national geography (tests/template_db.py).
workers=${TANDEM_TEST_WORKERS:-$(nproc)}
echo "== bases de test ($workers)"
$bin/python -m tests.template_db "$workers"
echo "== pytest"
if [ "$workers" -gt 1 ]; then
  $bin/pytest -p no:cacheprovider --reuse-db -n "$workers" --durations=40 "$@"
else
  $bin/pytest -p no:cacheprovider --reuse-db --durations=40 "$@"
fi

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
echo "== pytest"
$bin/pytest -p no:cacheprovider "$@"

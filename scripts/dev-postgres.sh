#!/usr/bin/env bash
# A persistent local PostgreSQL for development (not used by make test): starts it if needed and prints the
# DATABASE_URL to use, e.g. DATABASE_URL=$(scripts/dev-postgres.sh)/tandem_me .venv/bin/pytest --reuse-db tests/land
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PG_CLUSTER_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
  exec "$here/pg-cluster.sh" start "${TANDEM_DEV_PG:-/tmp/tandem-dev-pg}" "${TANDEM_DEV_PG_PORT:-55432}"

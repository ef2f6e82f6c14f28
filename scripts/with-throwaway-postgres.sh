#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster (scripts/pg-cluster.sh in a temporary directory under
# /tmp, which the `postgres` account reaches when run as root; a free port), stopped and removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/tandem-pg.XXXXXX)
chmod 755 "$dir"
cleanup() {
  "$here/pg-cluster.sh" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
url=$(PG_CLUSTER_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
  "$here/pg-cluster.sh" start "$dir")
"$here/pg-cluster.sh" createdb "$dir" tandem
export DATABASE_URL="$url/tandem"
echo "PostgreSQL jetable : port ${url##*:} ($(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres)"
"$@"

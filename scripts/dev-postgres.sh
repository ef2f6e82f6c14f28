#!/usr/bin/env bash
# A persistent local PostgreSQL for development (not used by make test): starts it if needed and prints the
# DATABASE_URL to use, e.g. DATABASE_URL=$(scripts/dev-postgres.sh)/tandem_me .venv/bin/pytest --reuse-db tests/land
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
dir=${TANDEM_DEV_PG:-/tmp/tandem-dev-pg}
port=${TANDEM_DEV_PG_PORT:-55432}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
if [ ! -d "$dir/data" ]; then
  mkdir -p "$dir" && chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port"

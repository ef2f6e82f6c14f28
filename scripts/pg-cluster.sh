#!/usr/bin/env bash
# The one way Tandem starts a private PostgreSQL cluster (demo, tests, development), no system service:
#   scripts/pg-cluster.sh start DIR [PORT]   initdb DIR/data if needed, start it, print postgres://…:PORT
#   scripts/pg-cluster.sh createdb DIR NAME  create database NAME if missing
#   scripts/pg-cluster.sh stop DIR           stop it (fast shutdown; the data stays)
#   scripts/pg-cluster.sh status DIR         exit 0 when it runs
# The port is PORT, else the one stored in DIR/port, else a free one (stored in DIR/port so the next start,
# and the URL a user noted, stay the same; a new free one is taken if someone else holds it).
# initdb refuses root: as root the cluster runs as the `postgres` system account (runuser), DIR belongs to it
# and every parent directory is made traversable by it. Extra server settings: PG_CLUSTER_OPTS (e.g. fsync=off
# for throwaway clusters).
set -euo pipefail
cmd=${1:?usage: pg-cluster.sh start|stop|status|createdb DIR …}
dir=${2:?usage: pg-cluster.sh start|stop|status|createdb DIR …}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || {
  echo "PostgreSQL introuvable (/usr/lib/postgresql/*/bin) : lancez scripts/system-deps.sh" >&2
  exit 1
}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_pg=(runuser -u postgres --)
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_taken() {
  # SO_REUSEADDR as the server does: a port left in TIME_WAIT by our own last run is free.
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null && return 1
  return 0
}
running() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

make_reachable() {
  # The postgres account must reach DIR: chown it, and give the search (x) right on each parent it lacks
  # (an ACL for postgres alone when setfacl exists, else o+x — listing stays refused).
  chown postgres "$dir"
  local parent=$dir
  while [ "$parent" != "/" ]; do
    parent=$(dirname "$parent")
    if ! runuser -u postgres -- test -x "$parent"; then
      if command -v setfacl >/dev/null 2>&1; then
        setfacl -m u:postgres:x "$parent"
      else
        chmod o+x "$parent"
      fi
      echo "Accès en traversée donné au compte postgres : $parent" >&2
    fi
  done
}

case "$cmd" in
start)
  [ "$(id -u)" -eq 0 ] && make_reachable
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if running; then
    port=$(cat "$dir/port" 2>/dev/null || echo "${3:?cluster running on an unknown port}")
  else
    port=${3:-$(cat "$dir/port" 2>/dev/null || true)}
    if [ -z "$port" ] || port_taken "$port"; then port=$(free_port); fi
    echo "$port" >"$dir/port"
    # The socket goes in DIR when its path fits the 107-byte limit; clients use TCP on 127.0.0.1 anyway.
    sockets=$dir
    [ ${#dir} -gt 90 ] && sockets=""
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
      "-p $port -c unix_socket_directories='$sockets' -c listen_addresses=127.0.0.1 ${PG_CLUSTER_OPTS:-}" \
      start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  fi
  echo "postgres://postgres@127.0.0.1:$port"
  ;;
createdb)
  name=${3:?usage: pg-cluster.sh createdb DIR NAME}
  port=$(cat "$dir/port")
  exists=$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$name'")
  [ "$exists" = "1" ] || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$name"
  ;;
status)
  running
  ;;
stop)
  if running; then "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
  ;;
*)
  echo "usage: pg-cluster.sh start|stop|status|createdb DIR …" >&2
  exit 2
  ;;
esac

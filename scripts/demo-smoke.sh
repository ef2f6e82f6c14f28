#!/usr/bin/env bash
# `make demo-smoke` (run by CI): the README's first command on a fresh virtualenv holding requirements.lock
# ALONE (no dev package), started exactly as `make demo` starts it (scripts/demo.sh: its own PostgreSQL cluster,
# migrate, geography, demo data, web server and job worker), checked over HTTP (scripts/demo_smoke.py: login
# page, two demo roles logged in, one page per domain), then stopped like a Ctrl+C, and the cluster must be down.
# TANDEM_SMOKE_DIR (default /tmp/tandem-demo-smoke) holds the virtualenv and the demo's var/, both rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
root=${TANDEM_SMOKE_DIR:-/tmp/tandem-demo-smoke}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ -f "$root/var/pg/port" ]; then scripts/pg-cluster.sh stop "$root/var/pg" || true; fi
rm -rf "$root"
mkdir -p "$root"
chmod 755 "$root"
echo "== virtualenv neuf avec requirements.lock seul ($root/venv)"
"$python" -m venv "$root/venv"
"$root/venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.lock
venv_done=$(date +%s)
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "== démo (scripts/demo.sh) sur le port $port, journal : $root/demo.log"
TANDEM_BIN=$root/venv/bin TANDEM_VAR_DIR=$root/var HOST=127.0.0.1 PORT=$port \
  scripts/demo.sh >"$root/demo.log" 2>&1 &
demo=$!
stop_demo() {
  if kill -0 "$demo" 2>/dev/null; then
    kill -TERM "$demo"  # what Ctrl+C does (a background job ignores SIGINT, so TERM: same trap)
    wait "$demo" || true
  fi
}
trap 'stop_demo; tail -n 40 "$root/demo.log" >&2' ERR
trap stop_demo EXIT

# The demo prepares its database first (geography: about a minute); the check then waits for the login page.
until grep -q "^Tandem : http" "$root/demo.log"; do
  kill -0 "$demo" 2>/dev/null || { echo "La démo s'est arrêtée avant de servir :" >&2; false; }
  sleep 1
done
ready=$(date +%s)
"$root/venv/bin/python" scripts/demo_smoke.py "http://127.0.0.1:$port" 60

stop_demo
trap - EXIT
if scripts/pg-cluster.sh status "$root/var/pg"; then
  echo "ÉCHEC : la base de la démo tourne encore après l'arrêt de la démo" >&2
  scripts/pg-cluster.sh stop "$root/var/pg"
  exit 1
fi
grep -q "Base de démonstration arrêtée" "$root/demo.log"
echo "ok  démo arrêtée, sa base aussi"
echo "demo-smoke : $(($(date +%s) - started)) s (virtualenv $((venv_done - started)) s, démo prête en" \
  "$((ready - venv_done)) s, vérifications et arrêt $(($(date +%s) - ready)) s)"

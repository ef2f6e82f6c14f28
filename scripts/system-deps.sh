#!/usr/bin/env bash
# Installs the system packages the test suite needs (PostgreSQL server binaries, Chromium) when run as root;
# otherwise prints the exact command to run.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "Installation des paquets système manquants : ${missing[*]}"
  bash -c "$cmd"
else
  echo "Paquets système manquants : ${missing[*]}. Lancez en root :" >&2
  echo "  sudo bash -c '$cmd'" >&2
  exit 1
fi

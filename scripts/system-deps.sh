#!/usr/bin/env bash
# Installs the system packages the test suite needs (PostgreSQL server binaries, Chromium) when run as root;
# otherwise prints the exact command to run.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
# WeasyPrint (answer files in PDF) needs Pango.
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
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

#!/usr/bin/env bash
# Installs the Debian packages Tandem needs when run as root; otherwise prints the exact command and fails.
#   scripts/system-deps.sh demo   PostgreSQL server + PostGIS (matching the server's major version), the GDAL
#                                 and GEOS libraries GeoDjango loads, Pango for the PDFs, DejaVu fonts
#   scripts/system-deps.sh test   the same, plus Chromium for the browser tests (default)
# A fresh install creates no system cluster: Tandem runs its own (scripts/pg-cluster.sh), no system service.
set -euo pipefail
mode=${1:-test}
missing=()
pg_major() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 | awk -F/ '{print $5}'; }
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
# Debian names the runtime library packages after their soname (libgdal32, libgdal36, libgeos-c1v5, …).
lib_package() { apt-cache pkgnames "$1" 2>/dev/null | grep -E "$2" | sort -V | tail -n 1; }

major=$(pg_major)
if [ -z "$major" ]; then
  missing+=(postgresql)
  # The server version the `postgresql` metapackage brings, so PostGIS matches it.
  major=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]\+\)$/\1/p' | head -n 1)
  major=${major:-15}
fi
[ -f "/usr/share/postgresql/$major/extension/postgis.control" ] || missing+=("postgresql-$major-postgis-3")
has_lib 'libgdal\.so' || missing+=("$(lib_package libgdal '^libgdal[0-9]+$' || true)")
has_lib 'libgeos_c\.so' || missing+=("$(lib_package libgeos-c '^libgeos-c1' || true)")
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
# WeasyPrint (answer files in PDF) needs Pango.
has_lib 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ "$mode" = test ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
# An empty name means the package lists are not loaded yet (apt-get update); the root branch resolves it after.
names=()
for name in "${missing[@]}"; do [ -n "$name" ] && names+=("$name"); done
unresolved=$((${#missing[@]} - ${#names[@]}))
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  [ "$unresolved" -gt 0 ] && names+=(libgdal32 libgeos-c1v5)
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names[*]}"
  echo "Paquets système manquants : ${names[*]}. Lancez en root :" >&2
  echo "  sudo bash -c '$cmd'" >&2
  exit 1
fi
echo "Installation des paquets système manquants : ${names[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ "$unresolved" -gt 0 ]; then
  has_lib 'libgdal\.so' || names+=("$(lib_package libgdal '^libgdal[0-9]+$')")
  has_lib 'libgeos_c\.so' || names+=("$(lib_package libgeos-c '^libgeos-c1')")
fi
if [[ " ${names[*]} " == *" postgresql "* ]]; then
  # No `main` cluster nor system service: install postgresql-common first and switch cluster creation off.
  apt-get install -y -qq --no-install-recommends postgresql-common
  sed -i 's/^#\?\s*create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
fi
apt-get install -y -qq --no-install-recommends "${names[@]}"

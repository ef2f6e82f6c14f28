#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into the database of DATABASE_URL and the media folder MEDIA_ROOT:
#   DATABASE_URL=postgres://…/tandem_restored MEDIA_ROOT=/srv/tandem/media scripts/restore.sh DUMP [MEDIA.tar.gz]
# The database is created when missing and must otherwise be empty (no table in the public schema but those of extensions): a restore
# never mixes two instances. pg_restore runs in a single transaction and stops at the first error, so a
# failed restore leaves the database as it was. The media archive is unpacked into MEDIA_ROOT (created if
# missing). Then run `tandem migrate` (a no-op on the same release) and open /sante/.
set -euo pipefail
dump=${1:?usage: scripts/restore.sh DUMP [MEDIA.tar.gz]}
media_archive=${2:-}
url=${DATABASE_URL:?DATABASE_URL doit être défini (postgres://utilisateur@hôte:port/base)}
here=$(cd "$(dirname "$0")/.." && pwd)
media=${MEDIA_ROOT:-${TANDEM_VAR_DIR:-$here/var}/media}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bindir/pg_restore" ] || bindir=$(pg_config --bindir)
[ -f "$dump" ] || { echo "Sauvegarde introuvable : $dump" >&2; exit 1; }

# The database name is the URL's path; the maintenance connection is the same URL on the `postgres` database.
base=${url%%\?*}
name=${base##*/}
maintenance=${base%/*}/postgres
exists=$("$bindir/psql" -X -A -t -v ON_ERROR_STOP=1 -d "$maintenance" \
  -c "SELECT 1 FROM pg_database WHERE datname = '${name//\'/\'\'}'")
if [ -z "$exists" ]; then
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$maintenance" -c "CREATE DATABASE \"${name//\"/\"\"}\""
else
  tables=$("$bindir/psql" -X -A -t -v ON_ERROR_STOP=1 -d "$url" \
    -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')")
  if [ "$tables" != "0" ]; then
    echo "La base $name n'est pas vide ($tables tables) : restaurez dans une base neuve." >&2
    exit 1
  fi
fi
"$bindir/pg_restore" --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$url" "$dump"
echo "Base restaurée : $name"
if [ -n "$media_archive" ]; then
  [ -f "$media_archive" ] || { echo "Archive des fichiers introuvable : $media_archive" >&2; exit 1; }
  mkdir -p "$media"
  tar -C "$media" -xzf "$media_archive"
  echo "Fichiers restaurés dans $media"
fi

#!/usr/bin/env bash
# Back up one Tandem instance: the database (pg_dump custom format) and the media files (Django's default
# storage on disk: MEDIA_ROOT), into DEST (docs/deployment.md, « Backups and restore »).
#   DATABASE_URL=postgres://… MEDIA_ROOT=/srv/tandem/media scripts/backup.sh DEST
# Writes DEST/tandem-<UTC time>.dump and, when MEDIA_ROOT exists, DEST/tandem-<UTC time>-media.tar.gz; each is
# written under a temporary name and renamed once complete, so DEST never holds half a backup. Prints the
# paths written. PostgreSQL client binaries: PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else
# `pg_config --bindir` (pg_dump must be at least the server's major version).
set -euo pipefail
dest=${1:?usage: scripts/backup.sh DEST}
url=${DATABASE_URL:?DATABASE_URL doit être défini (postgres://utilisateur@hôte:port/base)}
here=$(cd "$(dirname "$0")/.." && pwd)
media=${MEDIA_ROOT:-${TANDEM_VAR_DIR:-$here/var}/media}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bindir/pg_dump" ] || bindir=$(pg_config --bindir)
mkdir -p "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump=$dest/tandem-$stamp.dump
trap 'rm -f "$dump.part" "$dest/tandem-$stamp-media.tar.gz.part"' EXIT
"$bindir/pg_dump" --format=custom --no-owner --no-privileges --file="$dump.part" "$url"
mv "$dump.part" "$dump"
echo "$dump"
if [ -d "$media" ]; then
  archive=$dest/tandem-$stamp-media.tar.gz
  tar -C "$media" -czf "$archive.part" .
  mv "$archive.part" "$archive"
  echo "$archive"
fi

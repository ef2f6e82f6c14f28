#!/usr/bin/env bash
# `make demo` and `make demo-smoke`: the demo's steps, in one place.
#   1. system packages (scripts/system-deps.sh demo: installs them as root, else prints the apt-get command);
#   2. unless DATABASE_URL is set, a private PostgreSQL cluster under $TANDEM_VAR_DIR/pg (scripts/pg-cluster.sh:
#      no system service, a port kept in var/pg/port), reused by the next run with its data;
#   3. migrate, the official geography, the demo data (each idempotent: a rerun changes nothing);
#   4. the web server and the job worker, until Ctrl+C (or SIGTERM), which stops them and the cluster.
# Tandem runs as `python -m tandem.manage` from this checkout. Environment: TANDEM_BIN (virtualenv bin/, default
# .venv/bin), TANDEM_VAR_DIR (default var), HOST, PORT,
# TANDEM_SHARED (the shared data folder, optional: zones d'emploi).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TANDEM_BIN:-.venv/bin}
var=${TANDEM_VAR_DIR:-$PWD/var}
mkdir -p "$var"
export TANDEM_VAR_DIR=$(cd "$var" && pwd)
export TANDEM_DEMO=1 DEBUG=${DEBUG:-1}
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
shared=${TANDEM_SHARED:-$(cd .. && pwd)/shared}
# Links in the e-mails the demo sends (a need routed to a partner…) lead to this server.
export TANDEM_SITE_URL=${TANDEM_SITE_URL:-http://$host:$port}

scripts/system-deps.sh demo

pids=()
cluster=""
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$cluster" ]; then
    scripts/pg-cluster.sh stop "$cluster" && echo "Base de démonstration arrêtée (données gardées dans $cluster)."
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  cluster=$TANDEM_VAR_DIR/pg
  url=$(scripts/pg-cluster.sh start "$cluster")
  scripts/pg-cluster.sh createdb "$cluster" tandem
  export DATABASE_URL=$url/tandem
  echo "PostgreSQL de démonstration : $DATABASE_URL (données dans $cluster)"
fi

"$bin/python" -m tandem.manage migrate --no-input -v 0
zones=$shared/data/real/economy/zones_emploi
geo_args=()
if [ -d "$zones" ]; then
  geo_args=(--zones-emploi "$zones/zones_emploi_2020_communes_grand_est_cog2024.csv"
    --zones-emploi-labels "$zones/zones_emploi_2020_grand_est.csv")
fi
"$bin/python" -m tandem.manage load_geography "${geo_args[@]}"
# EIT reference nomenclatures (EWC …) read in place from ../shared, never copied into the repository.
if [ -z "${TANDEM_EIT_REFERENCE_DIR:-}" ] && [ -d "$shared/data/real/eit" ]; then
  export TANDEM_EIT_REFERENCE_DIR=$shared/data/real/eit
fi
if [ -n "${TANDEM_EIT_REFERENCE_DIR:-}" ]; then
  "$bin/python" -m tandem.manage load_eit_reference
fi
# Jobs and skills reference data (France Travail's BMO survey, ROME, tensions), read in place from ../shared
# when present: without them the « Emplois et compétences » pages of the demo would be empty.
economy=$shared/data/real/economy
if [ -f "$economy/bmo_2024/bmo_2024_grand_est.csv" ]; then
  "$bin/python" -m tandem.manage import_bmo --bmo "$economy/bmo_2024/bmo_2024_grand_est.csv" \
    --bassins "$economy/bmo_2024/bassins_bmo_communes_grand_est.csv"
fi
if [ -f "$economy/rome/unix_referentiel_code_rome_v460_utf8.csv" ]; then
  "$bin/python" -m tandem.manage import_rome --codes "$economy/rome/unix_referentiel_code_rome_v460_utf8.csv" \
    --appellations "$economy/rome/unix_referentiel_appellation_v460_utf8.csv"
fi
if [ -f "$economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv" ]; then
  "$bin/python" -m tandem.manage import_tensions \
    --tensions "$economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv" \
    --bassins "$economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"
  if [ -f "$economy/tensions_metiers/demandeurs_emploi_secteur_bassin_grand_est.csv" ]; then
    # Job seekers by sector: after the tensions, whose commune table brings the bassins d'emploi 2019.
    "$bin/python" -m tandem.manage import_sector_seekers \
      "$economy/tensions_metiers/demandeurs_emploi_secteur_bassin_grand_est.csv"
  fi
fi
"$bin/python" -m tandem.manage generate_demo --seed 1 --scale demo

# The web server (no autoreloader: one process to stop) and the job worker, stopped together.
"$bin/python" -m tandem.manage runserver --noreload "$host:$port" &
pids+=($!)
"$bin/python" -m tandem.manage procrastinate worker --shutdown-graceful-timeout 5 &
pids+=($!)
echo "Tandem : http://$host:$port/ (Ctrl+C pour arrêter)"
# Either process ending ends the demo (and stops the other and the cluster).
wait -n "${pids[@]}"

"""Benchmark: validate-and-load of a national-scale CNIG Sites économiques inventory into PostgreSQL, side by
side with `frictionless validate` of the same files against the strict schemas.

Generates (tandem.land.generate, deterministic, clearly fictitious « [fictif] », standard-conforming) 30,000
sites, 150,000 terrains, 60,000 établissements and their poles (about 5 sites each, never across two EPCI), in
real communes of every EPCI of France,
writes the four CNIG CSV files, then measures:
- `total_s`: `land_import` (the service behind `tandem import_land`) — reading, validation of every cell
  against the strict schemas (types, required, enumerations, patterns, identifiers), the links between tables,
  communes and EPCI, coordinates (WGS84/Lambert-93, swapped) and points inside their commune, permissions,
  owners, diff against the stored data, then COPY into PostgreSQL in one transaction with vintages and history;
- `frictionless_s`: frictionless (the reference validator of the standard) on the same four files with the
  strict schemas — validation only: no links, no referential, no load.
Run: scripts/with-throwaway-postgres.sh .venv/bin/python bench/land_import.py — the last line is JSON.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
# The national terrain file (~55 MB) is an operator's load here, not a web upload.
os.environ.setdefault("TANDEM_IMPORT_MAX_UPLOAD_MB", "500")
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data"
SITES = int(os.environ.get("BENCH_SITES", "30000"))
TABLES = ("pole-eco", "site-eco", "terrain-eco", "etablissement")
TARGET_S = 60  # issue 10: the national inventory validated and loaded in under a minute


def load_geography():
    from django.core.management import call_command

    from tandem.territories.models import Commune

    if Commune.objects.filter(is_current=True).count() < 30_000:
        call_command("load_geography", verbosity=0)


def frictionless_validate(paths: dict[str, Path]) -> tuple[float, dict]:
    from frictionless import Resource, Schema

    started = time.perf_counter()
    valid = {}
    for table, path in paths.items():
        name = "schema.json" if table == "pole-eco" else "schema.strict.json"
        descriptor = json.loads((SHARED / f"standards/sites-economiques/{table}/{name}").read_text())
        report = Resource(
            path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(descriptor)
        ).validate()
        valid[table] = report.valid
    return time.perf_counter() - started, valid


def main():
    import django

    django.setup()
    from django.core.management import call_command

    from tandem.land.generate import generate_inventory, write_inventory_csv
    from tandem.land.models import Etablissement, Pole, Site, Terrain
    from tandem.land.selectors import commune_places
    from tandem.land.services import epci_organization, land_import
    from tandem.organizations.perms import Actor

    call_command("migrate", verbosity=0)
    load_geography()
    places = commune_places()
    # The producing EPCI's organisations exist before their inventories are imported (set-up, not timed).
    for siren in sorted({p.epci_siren for p in places}):
        epci_organization(siren)
    started = time.perf_counter()
    tables = generate_inventory(
        communes=places, n_sites=SITES, terrains_per_site=5, etablissements_per_site=2, extensions=False
    )
    generate_s = time.perf_counter() - started
    rows = sum(len(v) for v in tables.values())
    with tempfile.TemporaryDirectory() as folder:
        paths = write_inventory_csv(tables, Path(folder), extensions=False)
        size_mb = sum(p.stat().st_size for p in paths.values()) / 1e6
        print(
            f"generated {', '.join(f'{t}: {len(v)}' for t, v in tables.items())} ({size_mb:.0f} MB) in {generate_s:.1f} s"
        )

        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        report = land_import(paths=[paths[t] for t in TABLES], actor=Actor.system_actor())
        total_s = time.perf_counter() - started
        load_after = os.getloadavg()[0]
        print(f"counts {report.counts}, {len(report.errors)} errors, {len(report.warnings)} warnings")
        assert not report.errors, [str(p) for p in report.errors[:5]]
        loaded = (
            Pole.objects.unscoped().count(),
            Site.objects.unscoped().count(),
            Terrain.objects.unscoped().count(),
            Etablissement.objects.unscoped().count(),
        )
        print(f"validate-and-load: {total_s:.1f} s, stored {loaded}")

        started = time.perf_counter()
        again = land_import(paths=[paths[t] for t in TABLES], actor=Actor.system_actor())
        reimport_s = time.perf_counter() - started
        print(f"re-import of the same files: {reimport_s:.1f} s, status {again.run.status}")

        frictionless_s, valid = frictionless_validate(paths)
        print(f"frictionless validate (strict schemas): {frictionless_s:.1f} s, valid {valid}")

    print(
        json.dumps(
            {
                "sites": len(tables["site-eco"]),
                "terrains": len(tables["terrain-eco"]),
                "etablissements": len(tables["etablissement"]),
                "poles": len(tables["pole-eco"]),
                "rows": rows,
                "total_s": round(total_s, 2),
                "rows_per_s": round(rows / total_s),
                "frictionless_s": round(frictionless_s, 2),
                "frictionless_valid": all(valid.values()),
                "speedup_vs_frictionless": round(frictionless_s / total_s, 2),
                "target_total_s": TARGET_S,
                "targets_met": {
                    f"total_s < {TARGET_S}": total_s < TARGET_S,
                    "faster than frictionless": total_s < frictionless_s,
                },
                # A shared machine: the import's figure depends on the other processes (load average, 1 min).
                "load_average_import": [round(load_before, 1), round(load_after, 1)],
                "reimport_unchanged_s": round(reimport_s, 2),
                "reimport_status": again.run.status,
                "generate_s": round(generate_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

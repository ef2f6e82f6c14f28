"""Benchmark: land indicators at national scale, computed by aggregate SQL (what Tandem does) side by side with
the naive way (load every terrain into Python, classify it, add up per EPCI), on the same data, same results.

Generates and loads (not timed) the national-scale inventory of land A's generator: 30,000 sites and 150,000
terrains in real communes of every EPCI of France (clearly fictitious « [fictif] » data), then measures:
- `aggregate_s`: availability surfaces, vacancy and counts per EPCI for the whole country (one GROUP BY query,
  `tandem.land.indicators.terrain_figures_by`) plus the national totals;
- `naive_s`: the same figures from Python loops over the 150,000 terrains (`availability.classify` per terrain);
- `region_s`: every indicator of one region (Grand Est) through `territory_indicators` (sites, terrains,
  establishments, friches, land consumption per year, NAF trajectory) as the observatory page computes it;
- `dashboard_s`: the Grand Est dashboard (by EPCI and by département).
Run: scripts/with-throwaway-postgres.sh .venv/bin/python bench/land_indicators.py — the last line is JSON.
"""

import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
SITES = int(os.environ.get("BENCH_SITES", "30000"))
TODAY = dt.date(2026, 6, 1)


def setup_inventory():
    from django.core.management import call_command

    from tandem.land.generate import generate_inventory, write_inventory_csv
    from tandem.land.models import Terrain
    from tandem.land.selectors import commune_places
    from tandem.land.services import epci_organization, land_import
    from tandem.organizations.perms import Actor
    from tandem.territories.models import Commune

    call_command("migrate", verbosity=0)
    if Commune.objects.filter(is_current=True).count() < 30_000:
        call_command("load_geography", verbosity=0)
    if Terrain.objects.unscoped().count() >= SITES * 5:
        return
    places = commune_places()
    for siren in sorted({p.epci_siren for p in places}):
        epci_organization(siren)
    tables = generate_inventory(
        communes=places, n_sites=SITES, terrains_per_site=5, etablissements_per_site=2
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = write_inventory_csv(tables, Path(folder))
        report = land_import(paths=list(paths.values()), actor=Actor.system_actor())
    if report.errors:
        raise SystemExit(f"import refusé : {report.errors[:5]}")


def aggregate(actor):
    from tandem.land import indicators as ind
    from tandem.land.selectors import terrains_visible

    terrains = terrains_visible(actor)
    by_epci = ind.terrain_figures_by(terrains, "commune__epci_id", today=TODAY)
    total = ind.terrain_figures(terrains, today=TODAY)
    return by_epci, total


def naive(actor):
    """The way to avoid: every terrain into Python, classified one by one, summed in dictionaries."""
    from tandem.land import availability as av
    from tandem.land.selectors import terrains_visible

    fields = [
        "terr_utile",
        "terr_etat_occup",
        "terr_stade_comm",
        "terr_stade_amngt",
        "terr_usage",
        "terr_maitrise_fonc",
        "tdm_available_on",
        "terr_surf_brute",
        "area_ha",
        "commune__epci_id",
    ]
    by_epci = defaultdict(lambda: defaultdict(float))
    for terrain in terrains_visible(actor).select_related("commune").only(*fields).iterator(chunk_size=5000):
        key = terrain.commune.epci_id if terrain.commune else None
        surface = terrain.terr_surf_brute if terrain.terr_surf_brute is not None else (terrain.area_ha or 0.0)
        by_epci[key][f"{av.classify(terrain, today=TODAY)}_ha"] += surface
        by_epci[key]["terrains"] += 1
    return by_epci


def main():
    import django

    django.setup()
    from tandem.land import selectors as sel
    from tandem.land.models import Site, Terrain
    from tandem.organizations.perms import Actor

    setup_inventory()
    actor = Actor.system_actor()
    started = time.perf_counter()
    by_epci, total = aggregate(actor)
    aggregate_s = time.perf_counter() - started
    started = time.perf_counter()
    naive_by_epci = naive(actor)
    naive_s = time.perf_counter() - started
    same = all(
        abs(round(naive_by_epci[k]["now_ha"], 2) - v["now_ha"]) < 0.05
        and abs(round(naive_by_epci[k]["short_ha"], 2) - v["short_ha"]) < 0.05
        and naive_by_epci[k]["terrains"] == v["terrains"]
        for k, v in by_epci.items()
    ) and len(naive_by_epci) == len(by_epci)
    started = time.perf_counter()
    territory = sel.territory_resolve(actor, level="region", key="44")
    sel.territory_indicators(actor, territory, today=TODAY)
    region_s = time.perf_counter() - started
    started = time.perf_counter()
    board = sel.regional_dashboard(actor, region_code="44", today=TODAY)
    dashboard_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "sites": Site.objects.unscoped().count(),
                "terrains": Terrain.objects.unscoped().count(),
                "epcis": len(by_epci),
                "national_available_now_ha": total["now_ha"],
                "aggregate_s": round(aggregate_s, 3),
                "naive_s": round(naive_s, 3),
                "speedup": round(naive_s / aggregate_s, 1) if aggregate_s else None,
                "same_results": same,
                "region_s": round(region_s, 3),
                "dashboard_s": round(dashboard_s, 3),
                "dashboard_epcis": len(board["epci"]),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

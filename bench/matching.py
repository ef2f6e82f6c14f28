"""Benchmark: explained top 20 of the site matching, end to end through the API and engine vs row-wise pandas.

Loads the national geography, then BENCH_TERRAINS (default 100,000) clearly fictitious candidate terrains
(« [fictif] », 5 adjacent strips per site, spread over real communes of all of France, owned by their EPCI's
organisation, 80 % shared with the Région) into PostgreSQL, and for a series of prospects measures:
- `api_*`: `POST /api/v1/matching/` through Django's test client with a token, as a Région reader (visibility
  applied, candidates cached per land state and scope; the first, cold call is reported apart);
- `engine_*`: `tandem.prospects.matching.match` + the explained top 20, on the same visible candidates;
- `rowwise_*`: the straightforward pandas row-wise implementation of the same rules on the same rows.
`speedup` = row-wise p95 over engine p95; `agree` = prospects whose top 20 is identical both ways.
Run: scripts/with-throwaway-postgres.sh .venv/bin/python bench/matching.py — the last line is JSON.
"""

import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data"
TERRAINS = int(os.environ.get("BENCH_TERRAINS", "100000"))
PER_SITE = 5
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
TODAY = date.today()
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93"]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def load_geography():
    from django.core.management import call_command

    from tandem.territories.models import Commune

    if Commune.objects.filter(is_current=True).count() < 30_000:
        call_command(
            "load_geography",
            "--zones-emploi",
            str(SHARED / "real/economy/zones_emploi/zones_emploi_2020_communes_grand_est_cog2024.csv"),
            "--zones-emploi-labels",
            str(SHARED / "real/economy/zones_emploi/zones_emploi_2020_grand_est.csv"),
            verbosity=0,
        )


def generate_land(rng: random.Random):
    """Sites and terrains straight into the land tables (bulk), each site cut in PER_SITE touching strips."""
    from django.contrib.gis.geos import Polygon

    from tandem.land.models import Site, Terrain
    from tandem.organizations.models import Organization, Visibility
    from tandem.territories.models import Commune

    if Terrain.objects.unscoped().count() >= TERRAINS:
        return
    communes = list(
        Commune.objects.filter(is_current=True, epci__isnull=False, centroid_lat__isnull=False)
        .select_related("epci")
        .order_by("code")
        .values_list("code", "name", "epci_id", "epci__name", "centroid_lon", "centroid_lat")
    )
    n_sites = TERRAINS // PER_SITE
    chosen = [communes[rng.randrange(len(communes))] for _ in range(n_sites)]
    sirens = sorted({c[2] for c in chosen})
    existing = set(Organization.objects.filter(epci_id__in=sirens).values_list("epci_id", flat=True))
    Organization.objects.bulk_create(
        [
            Organization(
                name=f"[fictif] EPCI {s}", slug=f"bench-epci-{s}", kind="epci", epci_id=s, is_demo=True
            )
            for s in sirens
            if s not in existing
        ],
        batch_size=2000,
    )
    owners = dict(Organization.objects.filter(epci_id__in=sirens).values_list("epci_id", "pk"))
    sites = []
    for n, (code, name, siren, epci_name, lon, lat) in enumerate(chosen):
        sites.append(
            Site(
                owner_id=owners[siren],
                visibility=Visibility.REGION,
                commune_id=code,
                site_id=f"BENCH-SITE-{n:06d}",
                site_nom=f"[fictif] ZAE {name} {n}",
                site_type="zone d'activité économique",
                site_vocadomi="industrielle",
                site_etat="existant et actif",
                site_epci_nom=epci_name,
                site_epci_siren=siren,
                site_comm_nom=name,
                site_comm_insee=code,
                site_moa_type="epci",
                tdm_power_mw=rng.choice([None, 2, 5, 10, 20, 40, 60]),
                tdm_motorway_junction_km=round(rng.uniform(0.3, 45), 1),
                reseau_fret_ferroviaire=rng.random() < 0.2,
                tdm_icpe_max_regime=rng.choice(["", "déclaration", "enregistrement", "autorisation"]),
                tdm_seveso_max=rng.choice(["", "non Seveso", "Seveso seuil bas", "Seveso seuil haut"]),
                tdm_water_m3h=rng.choice([None, 10, 50, 200]),
                centroid_lon=lon,
                centroid_lat=lat,
            )
        )
    Site.objects.bulk_create(sites, batch_size=2000)
    site_rows = list(
        Site.objects.unscoped()
        .filter(site_id__startswith="BENCH-SITE-")
        .order_by("site_id")
        .values_list("pk", "owner_id", "commune_id", "centroid_lon", "centroid_lat")
    )
    stages = [
        ("en vente", "viabilisé non aménagé"),
        ("en vente", "viabilisé et aménagé"),
        ("en vente avec contraintes", "non aménagé, non viabilisé"),
        ("non commercialisé", "viabilisation en cours"),
    ]
    batch = []
    for site_pk, owner, commune, lon, lat in site_rows:
        # Strips 0.0012° wide side by side: neighbours share an edge, so they can be combined.
        x0 = lon - PER_SITE * 0.0006
        for k in range(PER_SITE):
            west, east = x0 + k * 0.0012, x0 + (k + 1) * 0.0012
            south, north = lat - 0.0015, lat + 0.0015
            stage, amngt = rng.choice(stages)
            future = rng.random()
            surface = round(rng.uniform(0.4, 14), 2)
            batch.append(
                Terrain(
                    owner_id=owner,
                    visibility=Visibility.REGION if rng.random() < 0.8 else Visibility.PRIVATE,
                    commune_id=commune,
                    site_eco_id=site_pk,
                    terr_id=f"BENCH-T-{site_pk}-{k}",
                    terr_surf_brute=surface,
                    terr_maitrise_fonc="structure intercommunale",
                    terr_stade_amngt=amngt,
                    terr_stade_comm=stage,
                    terr_etat_occup=rng.choice(["inoccupé", "inoccupé", "vacant", "friche"]),
                    terr_usage="espace agricole" if rng.random() < 0.2 else "autre",
                    terr_m2_prix=round(rng.uniform(8, 90), 1),
                    personal_shared=rng.random() < 0.5,
                    tdm_available_on=TODAY + timedelta(days=rng.randrange(30, 1500))
                    if future < 0.3
                    else None,
                    tdm_power_mw=rng.choice([30, 80]) if future > 0.9 else None,
                    tdm_power_available_on=TODAY + timedelta(days=rng.randrange(60, 900))
                    if future > 0.9
                    else None,
                    tdm_permit_months=rng.choice([None, 3, 6, 9, 12, 18, 24]),
                    tdm_study_fauna_flora_on=TODAY - timedelta(days=200) if rng.random() < 0.5 else None,
                    tdm_study_wetlands_on=TODAY - timedelta(days=300) if rng.random() < 0.5 else None,
                    tdm_study_geotechnics_on=TODAY - timedelta(days=100) if rng.random() < 0.4 else None,
                    geometry=Polygon.from_bbox((west, south, east, north)),
                    centroid_lon=(west + east) / 2,
                    centroid_lat=lat,
                    area_ha=surface,
                )
            )
            if len(batch) >= 5000:
                Terrain.objects.bulk_create(batch)
                batch = []
    Terrain.objects.bulk_create(batch)


PROSPECTS = [
    {"surface_min_ha": 5, "surface_ideal_ha": 8, "power_mw": 10, "needed_by": 540},
    {"surface_min_ha": 20, "power_mw": 30, "rail_required": True, "needed_by": 900},
    {"surface_min_ha": 2, "max_motorway_km": 5, "needed_by": 365},
    {"surface_min_ha": 10, "surface_ideal_ha": 15, "icpe_regime": "autorisation", "needed_by": 720},
    {"surface_min_ha": 3, "water_m3h": 40, "max_motorway_km": 15},
    {"surface_min_ha": 12, "power_mw": 5, "seveso": "Seveso seuil bas", "needed_by": 1000},
    {"surface_min_ha": 1, "weights": {"friche": 0.3, "foncier_agricole": 0.2}},
    {"surface_min_ha": 25, "surface_ideal_ha": 30, "needed_by": 1200},
    {"surface_min_ha": 6, "power_mw": 50, "needed_by": 600},
    {"surface_min_ha": 4, "rail_required": True, "max_motorway_km": 10},
    {"surface_min_ha": 8, "naf": "24.10Z", "needed_by": 800},
    {"surface_min_ha": 15, "water_m3h": 100, "power_mw": 20},
]


def body_of(spec: dict, region: str) -> dict:
    body = {k: v for k, v in spec.items() if k != "needed_by"} | {"region": region, "limit": 20}
    if "needed_by" in spec:
        body["needed_by"] = str(TODAY + timedelta(days=spec["needed_by"]))
    return body


def requirements_of(body: dict):
    from tandem.prospects.matching import ICPE_LEVELS, SEVESO_LEVELS, Requirements

    return Requirements(
        surface_min_ha=body["surface_min_ha"],
        surface_ideal_ha=body.get("surface_ideal_ha"),
        power_mw=body.get("power_mw", 0),
        water_m3h=body.get("water_m3h", 0),
        rail_required=body.get("rail_required", False),
        max_motorway_km=body.get("max_motorway_km"),
        icpe_regime=ICPE_LEVELS.index(body.get("icpe_regime", "aucun")),
        seveso=SEVESO_LEVELS.index(body.get("seveso", "non Seveso")),
        needed_by=date.fromisoformat(body["needed_by"]) if "needed_by" in body else None,
        naf=body.get("naf", ""),
        weights=body.get("weights", {}),
    )


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tandem.land.models import Terrain
    from tandem.organizations.models import Organization, Role
    from tandem.organizations.perms import Actor
    from tandem.organizations.services import membership_set
    from tandem.prospects.candidates import CACHE, visible_candidates
    from tandem.prospects.matching import match
    from tests.prospects.rowwise import match_rowwise

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_geography()
    rng = random.Random(2026)
    generate_land(rng)
    load_s = time.perf_counter() - started
    n_terrains = Terrain.objects.unscoped().count()
    print(f"{n_terrains} terrains chargés en {load_s:.0f} s", file=sys.stderr)

    from django.contrib.auth import get_user_model

    region, _ = Organization.objects.get_or_create(
        slug="bench-region", defaults={"name": "[fictif] Région", "kind": "region", "region_id": "44"}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-region")
    membership_set(organization=region, user=user, role=Role.LECTEUR)
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    series = [(spec, REGIONS[i % len(REGIONS)]) for i, spec in enumerate(PROSPECTS)]

    CACHE.clear()
    t0 = time.perf_counter()
    first = client.post("/api/v1/matching/", body_of(*series[0]), format="json")
    api_cold_ms = (time.perf_counter() - t0) * 1000
    assert first.status_code == 200, first.content

    api_ms = []
    for _ in range(REPEAT):
        for spec, code in series:
            t0 = time.perf_counter()
            response = client.post("/api/v1/matching/", body_of(spec, code), format="json")
            api_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content
            assert len(response.json()["results"]) <= 20

    actor = Actor.for_user(user)
    engine_ms, rowwise_ms, agree, sizes = [], [], 0, []
    for spec, code in series:
        body = body_of(spec, code)
        requirements = requirements_of(body)
        candidates = visible_candidates(actor, today=TODAY, region=code)
        sizes.append(len(candidates))
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            top = match(candidates, requirements, today=TODAY).results(limit=20)
            engine_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        frame = match_rowwise(candidates, requirements, today=TODAY)
        head = frame[~frame["excluded"]].head(20)
        rowwise_ms.append((time.perf_counter() - t0) * 1000)
        agree += [r["id"] for r in top] == list(head["key"])
        print(
            f"région {code} : {len(candidates)} candidats visibles, moteur {engine_ms[-1]:.1f} ms, "
            f"ligne à ligne {rowwise_ms[-1]:.0f} ms",
            file=sys.stderr,
        )

    engine_p95 = percentile(engine_ms, 95)
    rowwise_p95 = percentile(rowwise_ms, 95)
    print(
        json.dumps(
            {
                "terrains": n_terrains,
                "prospects": len(series),
                "requests": len(api_ms),
                "visible_candidates_median": statistics.median(sizes),
                "api_cold_ms": round(api_cold_ms, 1),
                "api_p50_ms": round(percentile(api_ms, 50), 1),
                "api_p95_ms": round(percentile(api_ms, 95), 1),
                "engine_p50_ms": round(percentile(engine_ms, 50), 2),
                "engine_p95_ms": round(engine_p95, 2),
                "rowwise_p50_ms": round(percentile(rowwise_ms, 50), 1),
                "rowwise_p95_ms": round(rowwise_p95, 1),
                "speedup": round(rowwise_p95 / engine_p95, 1),
                "agree": f"{agree}/{len(series)}",
                "load_s": round(load_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

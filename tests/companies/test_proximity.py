"""« Within N km » of SIRENE establishments: the PostGIS answer against a brute-force computation (pyproj,
Euclidean distance in Lambert-93) on generated establishments, and the matching score, the answer file and the
project value giving the same count for the same place."""

from datetime import date

import numpy as np
import pytest
from pyproj import Transformer

from tandem.companies.models import Company, Establishment
from tandem.companies.selectors import establishment_counts_within, establishment_names_nearest
from tandem.land.models import Site
from tandem.organizations.perms import Actor
from tandem.prospects.answer import ecosystem_near
from tandem.prospects.candidates import CACHE, ECOSYSTEM_RADIUS_KM, candidate_point, visible_candidates
from tandem.prospects.matching import KIND_TERRAIN
from tandem.prospects.value import _establishments
from tests.factories import epci_org
from tests.land.inventory_builders import make_site, make_terrain

pytestmark = pytest.mark.django_db

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
NAFS = ["24.10Z", "24.20Z", "25.62A", "25.62B", "10.71C"]
CENTRE = (6.18, 49.12)  # Metz


def make_registry(rng, n: int) -> list[tuple]:
    """`n` establishments scattered up to 60 km around the centre (Lambert-93), random NAF, state and
    diffusion; some without coordinates. Returns (x, y, naf, state, diffusion, name) per establishment."""
    cx, cy = TO_L93.transform(*CENTRE)
    company = Company.objects.create(siren="900000999", name="ENTREPRISE FICTIVE", state="A")
    rows, objects = [], []
    for k in range(n):
        radius, angle = rng.uniform(0, 60_000), rng.uniform(0, 2 * np.pi)
        x, y = (cx + radius * np.cos(angle), cy + radius * np.sin(angle)) if k % 17 else (None, None)
        naf, state = NAFS[k % len(NAFS)], "A" if rng.random() < 0.85 else "F"
        diffusion = "O" if rng.random() < 0.9 else "P"
        name = f"ETABLISSEMENT {k:04d}" if k % 5 else ""
        rows.append((x, y, naf, state, diffusion, name))
        objects.append(
            Establishment(
                siret=f"900000999{k:05d}",
                company=company,
                nic=f"{k:05d}",
                state=state,
                naf=naf,
                diffusion=diffusion,
                usual_name=name,
                lambert_x=x,
                lambert_y=y,
                created_on=date(2010, 1, 1),
            )
        )
    Establishment.objects.bulk_create(objects)
    return rows


def brute_force(rows, lon, lat, prefixes, radius_km):
    x0, y0 = TO_L93.transform(lon, lat)
    inside = [
        (np.hypot(x - x0, y - y0), k)
        for k, (x, y, naf, state, _d, _n) in enumerate(rows)
        if x is not None
        and state == "A"
        and any(naf.startswith(p) for p in prefixes)
        and np.hypot(x - x0, y - y0) <= radius_km * 1000
    ]
    return sorted(inside)


def test_counts_and_nearest_names_match_a_brute_force_computation():
    rng = np.random.default_rng(2)
    rows = make_registry(rng, 1500)
    lons = np.concatenate([CENTRE[0] + rng.uniform(-0.6, 0.6, 60), [np.nan, CENTRE[0]]])
    lats = np.concatenate([CENTRE[1] + rng.uniform(-0.4, 0.4, 60), [CENTRE[1], CENTRE[1]]])
    for prefixes, radius_km in ((["24"], 30), (["25.62", "10"], 12.5), (["24.10Z"], 45)):
        counts = establishment_counts_within(lons, lats, naf_prefixes=prefixes, radius_km=radius_km)
        expected = [
            0 if np.isnan(lon) else len(brute_force(rows, lon, lat, prefixes, radius_km))
            for lon, lat in zip(lons, lats, strict=True)
        ]
        assert counts.tolist() == expected
        assert 0 < min(e for e in expected if e) < max(expected)  # the places see different numbers
    names = establishment_names_nearest(CENTRE[0], CENTRE[1], naf_prefixes=["25"], radius_km=20, limit=10)
    nearest = [
        rows[k][5]
        for _d, k in brute_force(rows, CENTRE[0], CENTRE[1], ["25"], 20)
        if rows[k][4] == "O" and rows[k][5]
    ]
    assert names == nearest[:10] and len(names) == 10


def test_score_answer_file_and_project_value_count_the_same_establishments():
    rng = np.random.default_rng(4)
    make_registry(rng, 800)
    owner = epci_org("200039709")
    terrains = []
    for _ in range(6):
        site = make_site(owner, "57463")
        terrains.append(make_terrain(site, 2.0))
    # A terrain without geometry is measured from its site, by all three.
    bare = make_terrain(site, 1.0)
    bare.geometry = None
    bare.save()
    terrains.append(bare)
    # No cache clearing: the registry written above moved its version on (database trigger), so the counts
    # cached by earlier tests in this process are not served.
    candidates = visible_candidates(Actor.system_actor(), today=date.today(), naf_division="24")
    score = {
        int(pk): count
        for pk, kind, count in zip(candidates.id, candidates.kind, candidates.ecosystem["24"], strict=True)
        if kind == KIND_TERRAIN
    }
    for terrain in terrains:
        lon, lat = candidate_point(terrain)
        answer = ecosystem_near(lon=lon, lat=lat, naf="24.10Z")["count"]
        value = _establishments(lon, lat, ["24"])
        x0, y0 = TO_L93.transform(lon, lat)
        expected = sum(
            1
            for x, y in Establishment.objects.filter(
                state="A", naf__startswith="24", lambert_x__isnull=False
            ).values_list("lambert_x", "lambert_y")
            if np.hypot(x - x0, y - y0) <= ECOSYSTEM_RADIUS_KM * 1000
        )
        assert score[terrain.pk] == answer == value == expected > 0


def test_establishments_in_a_site_outline_match_a_brute_force_computation():
    import shapely

    from tandem.companies.selectors import establishments_in_outline
    from tests.land.test_spatial_rules import l93, random_polygon

    rng = np.random.default_rng(9)
    site = make_site(epci_org("200039709"), "57463")
    site.set_geometry(random_polygon(rng, CENTRE[0], CENTRE[1], 0.02))
    site.save()
    outline = l93(site.shape)
    company = Company.objects.create(siren="900000998", name="ENTREPRISE FICTIVE", state="A")
    west, south, east, north = outline.bounds
    expected, objects = set(), []
    for k in range(400):
        x, y = rng.uniform(west - 500, east + 500), rng.uniform(south - 500, north + 500)
        if abs(outline.exterior.distance(shapely.Point(x, y))) < 1:
            continue  # a metre from the boundary: projection round-offs may fall either side
        if outline.contains(shapely.Point(x, y)):
            expected.add(f"900000998{k:05d}")
        objects.append(
            Establishment(
                siret=f"900000998{k:05d}",
                company=company,
                nic=f"{k:05d}",
                state="A",
                lambert_x=x,
                lambert_y=y,
            )
        )
    Establishment.objects.bulk_create(objects)

    found = {e.siret for e in establishments_in_outline(Site.objects.unscoped().get(pk=site.pk).geometry)}

    assert found == expected and 0 < len(found) < len(objects)


def test_score_and_answer_file_agree_at_the_radius_boundary():
    """Establishments half a metre inside and outside the radius of a terrain's point: the matching score, the
    answer file and the project value count exactly those inside, as a brute-force computation does."""
    owner = epci_org("200039709")
    site = make_site(owner, "57463")
    terrain = make_terrain(site, 2.0)
    lon, lat = candidate_point(terrain)
    x0, y0 = TO_L93.transform(lon, lat)
    radius_m = ECOSYSTEM_RADIUS_KM * 1000
    rng = np.random.default_rng(12)
    company = Company.objects.create(siren="900000997", name="ENTREPRISE FICTIVE", state="A")
    objects, placed = [], []
    for k in range(60):
        angle = rng.uniform(0, 2 * np.pi)
        offset = 0.5 if k % 2 else -0.5
        x, y = x0 + (radius_m + offset) * np.cos(angle), y0 + (radius_m + offset) * np.sin(angle)
        placed.append((x, y))
        objects.append(
            Establishment(
                siret=f"900000997{k:05d}",
                company=company,
                nic=f"{k:05d}",
                state="A",
                naf="24.10Z",
                lambert_x=x,
                lambert_y=y,
            )
        )
    Establishment.objects.bulk_create(objects)
    expected = sum(1 for x, y in placed if np.hypot(x - x0, y - y0) <= radius_m)
    assert expected == 30

    CACHE.clear()
    candidates = visible_candidates(Actor.system_actor(), today=date.today(), naf_division="24")
    row = next(
        n
        for n, (i, k) in enumerate(zip(candidates.id, candidates.kind, strict=True))
        if k == KIND_TERRAIN and i == terrain.pk
    )
    score = candidates.ecosystem["24"][row]
    answer = ecosystem_near(lon=lon, lat=lat, naf="24.10Z")["count"]
    value = _establishments(lon, lat, ["24"])
    assert score == answer == value == expected

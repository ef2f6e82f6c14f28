"""Vector tiles of the maps beyond the land layers, decoded with GDAL's MVT driver: the base context (boundaries
and names of the loaded geography, by zoom), SIRENE establishments (the registry perimeter and INSEE's diffusion
rules: a protected establishment is never in a tile) and custom perimeters (the permission layer), with no cap."""

from datetime import date

import numpy as np
import pytest
import shapely
from django.test import Client
from pyproj import Transformer

from tandem.companies.models import Company, Establishment
from tandem.core.tiles import tile_bounds
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune, Departement, Region
from tandem.territories.perimeters import perimeter_create
from tests.factories import communes_of, epci_org, make_member, make_user, region_org
from tests.tiles import read_tile, tile_of

pytestmark = pytest.mark.django_db

METZ_EPCI, STRASBOURG = "200039865", "246700488"  # Metz Métropole, Eurométropole de Strasbourg
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
CONTEXT = "/carte/tuiles/contexte/{z}/{x}/{y}.pbf"
ESTABLISHMENTS = "/carte/tuiles/etablissements/{z}/{x}/{y}.pbf"
PERIMETERS = "/carte/tuiles/perimetres/{z}/{x}/{y}.pbf"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_context_tiles_carry_outlines_and_names_by_zoom(tmp_path):
    client = client_of(make_member(epci_org(METZ_EPCI)))
    metz = Commune.objects.get(pk="57463")
    # Zoomed out over the Grand Est: régions and départements, with their names; no commune.
    z, x, y = tile_of(metz.centroid_lon, metz.centroid_lat, 6)
    layers = read_tile(tmp_path, client, CONTEXT, z, x, y)
    assert {"regions", "departements", "etiquettes"} <= set(layers) and "communes" not in layers
    regions, _ = layers["regions"]
    assert "44" in {r["code"] for r in regions}
    names = set()
    for place in (Region.objects.get(pk="44"), Departement.objects.get(pk="57")):
        z, x, y = tile_of(place.centroid_lon, place.centroid_lat, 6)
        names |= {
            (r["niveau"], r["nom"]) for r in read_tile(tmp_path, client, CONTEXT, z, x, y)["etiquettes"][0]
        }
    assert ("regions", "Grand Est") in names and ("departements", "Moselle") in names
    assert not any(level == "communes" for level, _ in names)
    # Zoomed in on Metz: the communes' outlines and names, every property public reference data only.
    z, x, y = tile_of(metz.centroid_lon, metz.centroid_lat, 12)
    layers = read_tile(tmp_path, client, CONTEXT, z, x, y)
    communes, geoms = layers["communes"]
    assert set(communes[0]) - {"mvt_id"} == {"code", "nom", "niveau"}  # GDAL adds the (empty) feature id
    outline = dict(zip([r["code"] for r in communes], geoms, strict=True))["57463"]
    expected = shapely.transform(
        shapely.from_wkb(bytes(metz.geometry.wkb)),
        lambda xy: np.column_stack(TO_MERCATOR.transform(xy[:, 0], xy[:, 1])),
    )
    west, south, east, north = (
        *TO_MERCATOR.transform(*tile_bounds(z, x, y)[:2]),
        *TO_MERCATOR.transform(*tile_bounds(z, x, y)[2:]),
    )
    clipped = expected.intersection(shapely.box(west, south, east, north))
    # The tile's outline is the commune's, clipped to the tile, within its resolution (simplified to 1 unit).
    assert (
        abs(outline.intersection(shapely.box(west, south, east, north)).area - clipped.area)
        < 0.01 * clipped.area
    )
    assert ("communes", "Metz") in {(r["niveau"], r["nom"]) for r in layers["etiquettes"][0]}
    assert Client().get(CONTEXT.format(z=z, x=x, y=y)).status_code == 302  # signed-in users only
    for url in ("/carte/tuiles/prospects/1/0/0.pbf", "/carte/tuiles/contexte/1/2/0.pbf"):
        assert client.get(url).status_code == 404


@pytest.fixture
def registry():
    """Establishments of Metz (diffusible or not, active or closed) and one of Strasbourg."""
    company = Company.objects.create(siren="900000999", name="ENTREPRISE FICTIVE", state="A")
    metz = Commune.objects.get(pk="57463")
    stras = Commune.objects.get(pk="67482")
    specs = {
        "public": (metz, "O", "A", "ATELIER PUBLIC"),
        "protected": (metz, "P", "A", "PERSONNE PROTEGEE"),
        "closed": (metz, "O", "F", "ATELIER FERME"),
        "strasbourg": (stras, "O", "A", "ATELIER DE STRASBOURG"),
    }
    made = {}
    for k, (key, (commune, diffusion, state, name)) in enumerate(specs.items()):
        x, y = TO_L93.transform(commune.centroid_lon + 0.001 * k, commune.centroid_lat)
        made[key] = Establishment.objects.create(
            siret=f"900000999{k:05d}",
            company=company,
            nic=f"{k:05d}",
            state=state,
            naf="25.62A",
            diffusion=diffusion,
            usual_name=name,
            commune_code=commune.pk,
            commune=commune,
            lambert_x=x,
            lambert_y=y,
            created_on=date(2010, 1, 1),
        )
    return made


def establishments_seen(tmp_path, client, commune_code) -> dict:
    commune = Commune.objects.get(pk=commune_code)
    z, x, y = tile_of(commune.centroid_lon, commune.centroid_lat, 13)
    rows, _ = read_tile(tmp_path, client, ESTABLISHMENTS, z, x, y).get("etablissements", ([], []))
    return {
        r["siret"]: {k: v for k, v in r.items() if k != "mvt_id"} for r in rows
    }  # GDAL's empty feature id


def test_establishment_tiles_follow_the_registry_perimeter_and_the_diffusion_rules(tmp_path, registry):
    metz_user = client_of(make_member(epci_org(METZ_EPCI), Role.LECTEUR))
    seen = establishments_seen(tmp_path / "metz", metz_user, "57463")
    # The protected establishment (its location is protected) and the closed one are never drawn.
    assert set(seen) == {registry["public"].siret}
    assert seen[registry["public"].siret] == {
        "siret": registry["public"].siret,
        "siren": "900000999",
        "nom": "ATELIER PUBLIC",
        "naf": "25.62A",
    }
    # Strasbourg is outside the perimeter of Metz's EPCI; the Région sees its whole region.
    assert establishments_seen(tmp_path / "m2", metz_user, "67482") == {}
    region_user = client_of(make_member(region_org("44"), Role.LECTEUR))
    assert set(establishments_seen(tmp_path / "r", region_user, "67482")) == {registry["strasbourg"].siret}
    assert set(establishments_seen(tmp_path / "r2", region_user, "57463")) == {registry["public"].siret}
    # A user of no organisation does not read the registry.
    assert establishments_seen(tmp_path / "n", client_of(make_user()), "57463") == {}


def test_establishment_tiles_have_no_cap_at_low_zoom(tmp_path):
    company = Company.objects.create(siren="900000998", name="ENTREPRISE FICTIVE", state="A")
    rng = np.random.default_rng(1)
    metz = Commune.objects.get(pk="57463")
    cx, cy = TO_L93.transform(metz.centroid_lon, metz.centroid_lat)
    Establishment.objects.bulk_create(
        Establishment(
            siret=f"900000998{k:05d}",
            company=company,
            nic=f"{k:05d}",
            state="A",
            naf="25.62A",
            diffusion="O",
            commune_code="57463",
            lambert_x=cx + rng.uniform(-3000, 3000),
            lambert_y=cy + rng.uniform(-3000, 3000),
        )
        for k in range(6500)
    )
    client = client_of(make_member(epci_org(METZ_EPCI), Role.LECTEUR))
    z, x, y = tile_of(metz.centroid_lon, metz.centroid_lat, 7)
    rows, _ = read_tile(tmp_path, client, ESTABLISHMENTS, z, x, y)["etablissements"]
    assert len({r["siret"] for r in rows}) == 6500
    assert {r["nom"] for r in rows} == {"ENTREPRISE FICTIVE"}  # no own name: the company's


def test_perimeter_tiles_hold_the_visible_perimeters_as_the_union_of_their_communes(tmp_path):
    stras, metz = epci_org(STRASBOURG), epci_org(METZ_EPCI)
    owner = make_member(stras, Role.CONTRIBUTEUR)
    members = communes_of(STRASBOURG)[:4]
    private = perimeter_create(
        actor=Actor.for_user(owner),
        owner=stras,
        name="Zone privée",
        members=members,
        visibility=Visibility.PRIVATE,
    )
    shared = perimeter_create(
        actor=Actor.for_user(owner),
        owner=stras,
        name="Zone partagée",
        members=members[:2],
        visibility=Visibility.NETWORK,
    )
    commune = Commune.objects.get(pk=members[0])
    z, x, y = tile_of(commune.centroid_lon, commune.centroid_lat, 8)
    own = read_tile(tmp_path / "own", client_of(owner), PERIMETERS, z, x, y)["perimetres"]
    rows, geoms = own
    assert {r["id"] for r in rows} == {private.pk, shared.pk}
    assert set(rows[0]) == {"mvt_id", "id", "nom", "type"}
    # One outline per perimeter: the union of its communes (its internal limits dissolved).
    union = shapely.union_all(
        [shapely.from_wkb(bytes(c.geometry.wkb)) for c in Commune.objects.filter(pk__in=members)]
    )
    union = shapely.transform(union, lambda xy: np.column_stack(TO_MERCATOR.transform(xy[:, 0], xy[:, 1])))
    outline = dict(zip([r["id"] for r in rows], geoms, strict=True))[private.pk]
    assert abs(outline.area - union.area) < 0.02 * union.area
    other = client_of(make_member(metz, Role.LECTEUR))
    seen = read_tile(tmp_path / "other", other, PERIMETERS, z, x, y)
    assert {r["id"] for r in seen["perimetres"][0]} == {shared.pk}  # the private one is absent
    narrowed = read_tile(tmp_path / "one", client_of(owner), PERIMETERS + f"?id={shared.pk}", z, x, y)
    assert [r["id"] for r in narrowed["perimetres"][0]] == [shared.pk]
    assert client_of(owner).get(PERIMETERS.format(z=z, x=x, y=y) + "?id=abc").status_code == 404

"""The OGC API – Features answers what the conformance classes it declares require (Part 1 Core, GeoJSON,
OpenAPI 3.0; Part 2 CRS): links and their relations, media types, numberMatched/numberReturned, paging by
`next`/`prev`, `bbox`, `datetime`, 400 with a French message for a bad parameter, 404 for an unknown or
invisible item, 401 without credentials, and Lambert-93 coordinates equal to PostGIS's `ST_Transform` of the
stored geometry. Expected objects come from how the world was built, not from the permission layer."""

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import shapely
from django.db import connection
from django.test import Client
from jsonschema import FormatChecker

from tandem.land.models import Friche, Pole, Site, Terrain
from tandem.territories.models import Commune
from tests.conftest import shared_file
from tests.ogc.builders import BUYER, COLLECTION_KEYS, OWNER_NAME, VISIBLE, WOIPPY

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
DECLARED = {
    CORE,
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}
# Strasbourg and its neighbours, well away from Metz (CRS84, and the same box in Lambert-93).
ALSACE = "7.6,48.5,7.9,48.7"
ALSACE_L93 = "1030000,6820000,1060000,6850000"
CNIG_SCHEMAS = {
    "poles": "standards/sites-economiques/pole-eco/schema.json",
    "sites": "standards/sites-economiques/site-eco/schema.json",
    "terrains": "standards/sites-economiques/terrain-eco/schema.json",
    "friches": "standards/friches/schema.json",
}


def client_for(world, user: str) -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {world['metz_token' if user == 'metz_user' else 'strasbourg_token']}"
    )


def rels(document) -> dict:
    return {link["rel"]: link for link in document["links"]}


def local(href: str) -> str:
    return href.removeprefix("http://testserver")


def expected_ids(world, user, collection) -> set[int]:
    key = COLLECTION_KEYS[collection]
    return {world[key][name].pk for name in VISIBLE[user][key]}


def read_all(client, url) -> tuple[list[dict], list[dict]]:
    """Every page of `url`, following the `next` links; the features and the pages."""
    features, pages = [], []
    while url:
        response = client.get(local(url))
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/geo+json")
        page = response.json()
        assert page["type"] == "FeatureCollection"
        assert page["numberReturned"] == len(page["features"])
        pages.append(page)
        features += page["features"]
        url = rels(page).get("next", {}).get("href")
    return features, pages


def test_landing_page_conformance_and_service_description(world):
    client = client_for(world, "metz_user")
    landing = client.get("/ogc/")
    assert landing.status_code == 200 and landing["Content-Type"].startswith("application/json")
    links = rels(landing.json())
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    for link in landing.json()["links"]:
        assert client.get(local(link["href"])).status_code == 200, link
    conformance = client.get(local(links["conformance"]["href"])).json()
    assert set(conformance["conformsTo"]) == DECLARED
    api = client.get(local(links["service-desc"]["href"]))
    assert api["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    description = api.json()
    assert description["openapi"].startswith("3.0")
    # /req/oas30/completeness: every resource of the API is described.
    assert {
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    } <= set(description["paths"])
    limit = description["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 10_000, 100)
    # f=json is the one format; the Accept header is honoured.
    assert client.get("/ogc/", {"f": "json"}).status_code == 200
    assert client.get("/ogc/conformance", HTTP_ACCEPT="application/json").status_code == 200
    refused = client.get("/ogc/", HTTP_ACCEPT="text/html")
    assert refused.status_code == 406 and "JSON" in refused.json()["description"]
    bad_format = client.get("/ogc/", {"f": "html"})
    assert bad_format.status_code == 400 and "Paramètre f invalide" in bad_format.json()["description"]


def test_collections_describe_themselves_in_french_with_their_crs(world):
    client = client_for(world, "metz_user")
    response = client.get("/ogc/collections")
    assert response.status_code == 200
    body = response.json()
    assert "self" in rels(body)
    assert [c["id"] for c in body["collections"]] == list(COLLECTION_KEYS)
    titles = {c["id"]: c["title"] for c in body["collections"]}
    assert titles["friches"] == "Friches" and titles["perimetres"] == "Périmètres"
    for described in body["collections"]:
        assert described == client.get(f"/ogc/collections/{described['id']}").json()
        links = rels(described)
        assert links["items"]["type"] == "application/geo+json"
        assert local(links["items"]["href"]) == f"/ogc/collections/{described['id']}/items"
        assert described["crs"] == [CRS84, L93] and described["storageCrs"] in described["crs"]
        ((west, south, east, north),) = described["extent"]["spatial"]["bbox"]
        # The extent is what this user sees: Metz and Woippy (and Strasbourg for the shared site).
        assert 6.0 < west < east < 8.0 and 48.4 < south < north < 49.3
    assert client.get("/ogc/collections/prospects").status_code == 404


@pytest.mark.parametrize("user", ["metz_user", "strasbourg_user"])
def test_items_page_through_what_the_user_sees(world, user):
    client = client_for(world, user)
    for collection in COLLECTION_KEYS:
        want = expected_ids(world, user, collection)
        features, pages = read_all(client, f"/ogc/collections/{collection}/items?limit=1")
        assert sorted(f["id"] for f in features) == sorted(want)
        assert [p["numberMatched"] for p in pages] == [len(want)] * len(want)
        assert "next" not in rels(pages[-1]) and "prev" not in rels(pages[0])
        assert all("prev" in rels(p) for p in pages[1:])
        for feature in features:
            assert feature["type"] == "Feature" and feature["geometry"]["coordinates"]
            assert feature["properties"]["tdm_modifie_le"]
        # The default page holds them all, with a time stamp and a Content-Crs header.
        response = client.get(f"/ogc/collections/{collection}/items")
        page = response.json()
        assert response["Content-Crs"] == f"<{CRS84}>"
        assert page["numberReturned"] == page["numberMatched"] == len(want)
        assert dt.datetime.fromisoformat(page["timeStamp"].replace("Z", "+00:00"))
        second = client.get(f"/ogc/collections/{collection}/items", {"offset": 1, "limit": 1}).json()
        query = parse_qs(urlsplit(rels(second)["prev"]["href"]).query)
        assert (query["offset"], query["limit"]) == (["0"], ["1"])


def test_properties_carry_the_cnig_names(world):
    client = client_for(world, "metz_user")
    for collection, schema_path in CNIG_SCHEMAS.items():
        schema = json.loads(shared_file(schema_path).read_text())
        geometry = {f["name"] for f in schema["fields"] if "geom" in f["name"]}
        standard = {f["name"] for f in schema["fields"]} - geometry
        feature = client.get(f"/ogc/collections/{collection}/items").json()["features"][0]
        names = set(feature["properties"])
        assert standard <= names, standard - names
        assert {n for n in names - standard if not n.startswith("tdm_")} == set(), collection
    terrain = client.get(f"/ogc/collections/terrains/items/{world['terrains']['metz_network'].pk}").json()
    assert terrain["properties"]["site_id"] == world["sites"]["metz_network"].site_id  # the CNIG link column


def test_the_feature_schema_types_every_property(world):
    client = client_for(world, "metz_user")
    for collection in COLLECTION_KEYS:
        described = client.get(f"/ogc/collections/{collection}").json()
        link = rels(described)["describedby"]
        response = client.get(local(link["href"]))
        assert response.status_code == 200 and response["Content-Type"].startswith("application/schema+json")
        schema = response.json()
        jsonschema.Draft202012Validator.check_schema(schema)
        typed = schema["properties"]["properties"]["properties"]
        for feature in client.get(f"/ogc/collections/{collection}/items").json()["features"]:
            assert set(feature["properties"]) == set(typed), collection
            # Values may be null (an empty column): the types describe the values that are there.
            present = {k: v for k, v in feature["properties"].items() if v is not None}
            jsonschema.validate({**feature, "properties": present}, schema, format_checker=FormatChecker())
    typed = client.get("/ogc/collections/terrains/schema").json()["properties"]["properties"]["properties"]
    assert typed["terr_actu_date"] == {"type": "string", "format": "date", "title": "date d’actualisation"}
    assert typed["terr_m2_prix"]["type"] == "number" and typed["terr_utile"]["type"] == "boolean"


def test_personal_fields_only_where_the_owner_allows(world):
    terrains, friches = world["terrains"], world["friches"]
    for user, sees_own in (("metz_user", True), ("strasbourg_user", False)):
        client = client_for(world, user)
        items = {f["id"]: f for f in client.get("/ogc/collections/terrains/items").json()["features"]}
        private = items[terrains["metz_network"].pk]["properties"]
        assert private["terr_acquereur"] == (BUYER if sees_own else None)
        assert private["terr_vente_montant"] == (250_000 if sees_own else None)
        assert private["terr_m2_prix"] == (35 if sees_own else None)
        assert items[terrains["metz_network_shared_personal"].pk]["properties"]["terr_acquereur"] == BUYER
        friche = client.get(f"/ogc/collections/friches/items/{friches['metz_network'].pk}").json()
        assert friche["properties"]["proprio_nom"] == (OWNER_NAME if sees_own else None)
        if not sees_own:
            body = client.get("/ogc/collections/terrains/items").content.decode()
            assert body.count(BUYER) == 1  # only the terrain whose personal fields are shared


def test_one_item_and_what_is_not_found(world):
    client = client_for(world, "metz_user")
    site = world["sites"]["metz_network"]
    response = client.get(f"/ogc/collections/sites/items/{site.pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == site.pk
    assert feature["properties"]["site_nom"] == site.site_nom
    links = rels(feature)
    assert local(links["self"]["href"]) == f"/ogc/collections/sites/items/{site.pk}"
    assert local(links["collection"]["href"]) == "/ogc/collections/sites"
    hidden = world["sites"]["strasbourg_private"].pk
    missing = Site.objects.unscoped().order_by("-pk").first().pk + 1000
    answers = [
        client.get(url)
        for url in (
            f"/ogc/collections/sites/items/{hidden}",  # exists, not visible to Metz
            f"/ogc/collections/sites/items/{missing}",
            "/ogc/collections/sites/items/abc",
            f"/ogc/collections/friches/items/{world['friches']['strasbourg_private'].pk}",
            f"/ogc/collections/perimetres/items/{world['perimeters']['strasbourg_private'].pk}",
            "/ogc/collections/inconnue/items",
        )
    ]
    assert [a.status_code for a in answers] == [404] * 6
    assert answers[0].content == answers[1].content  # an invisible item says no more than a missing one


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"bbox": "1,2,3"}, "Paramètre bbox invalide"),
        ({"bbox": "a,b,c,d"}, "Paramètre bbox invalide"),
        ({"bbox": "8,49,7,48"}, "l'ouest doit être inférieur à l'est"),
        ({"bbox": "7,48,8,95"}, "latitudes entre -90 et 90"),
        ({"limit": "0"}, "Paramètre limit invalide"),
        ({"limit": "cent"}, "n'est pas un nombre entier"),
        ({"offset": "-1"}, "Paramètre offset invalide"),
        ({"crs": "EPSG:4326"}, "Paramètre crs invalide"),
        ({"bbox": ALSACE, "bbox-crs": "EPSG:2154"}, "Paramètre bbox-crs invalide"),
        ({"datetime": "hier"}, "Paramètre datetime invalide"),
        ({"datetime": "2025-01-01/2024-01-01"}, "le début est après la fin"),
        ({"filtre": "x"}, "Paramètre inconnu : filtre"),
    ],
)
def test_bad_parameters_answer_400_in_french(world, params, words):
    response = client_for(world, "metz_user").get("/ogc/collections/sites/items", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert words in response.json()["description"]


def test_a_limit_above_the_maximum_is_served_as_the_maximum(world):
    page = client_for(world, "metz_user").get("/ogc/collections/sites/items", {"limit": 50_000}).json()
    assert page["numberReturned"] == 3


def test_bbox_and_datetime_filter_the_items(world):
    client = client_for(world, "strasbourg_user")
    strasbourg = {world["sites"][k].pk for k in ("strasbourg_private", "strasbourg_shared")}
    in_alsace = client.get("/ogc/collections/sites/items", {"bbox": ALSACE}).json()
    assert {f["id"] for f in in_alsace["features"]} == strasbourg and in_alsace["numberMatched"] == 2
    in_l93 = client.get("/ogc/collections/sites/items", {"bbox": ALSACE_L93, "bbox-crs": L93}).json()
    assert {f["id"] for f in in_l93["features"]} == strasbourg
    perimeters = client.get("/ogc/collections/perimetres/items", {"bbox": ALSACE}).json()
    assert [f["id"] for f in perimeters["features"]] == [world["perimeters"]["strasbourg_private"].pk]
    # The bbox is kept in the paging links.
    first = client.get("/ogc/collections/sites/items", {"bbox": ALSACE, "limit": 1}).json()
    assert "bbox=7.6%2C48.5%2C7.9%2C48.7" in rels(first)["next"]["href"]

    old = world["sites"]["metz_network"]
    Site.objects.unscoped().filter(pk=old.pk).update(updated_at=dt.datetime(2020, 6, 15, 12, tzinfo=dt.UTC))
    for value, want in (
        ("2020-06-15", {old.pk}),
        ("2020-01-01T00:00:00Z/2020-12-31T23:59:59Z", {old.pk}),
        ("../2021-01-01", {old.pk}),
        ("2021-01-01/..", strasbourg),
        ("2019-01-01/2019-12-31", set()),
    ):
        page = client.get("/ogc/collections/sites/items", {"datetime": value}).json()
        assert {f["id"] for f in page["features"]} == want, value
        assert page["numberMatched"] == len(want)


def _stored_in_lambert93(model, pk) -> shapely.Geometry:
    """PostGIS's own transform of the stored WGS84 geometry (not the served column)."""
    table, key = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        sql = f"SELECT ST_AsBinary(ST_Transform(geometry, 2154)) FROM {table} WHERE {key} = %s"  # noqa: S608
        cursor.execute(sql, [pk])
        return shapely.from_wkb(bytes(cursor.fetchone()[0]))


def test_lambert93_coordinates_are_postgis_transform_of_the_stored_geometry(world):
    client = client_for(world, "metz_user")
    for collection, model in (("sites", Site), ("terrains", Terrain), ("friches", Friche), ("poles", Pole)):
        response = client.get(f"/ogc/collections/{collection}/items", {"crs": L93})
        assert response["Content-Crs"] == f"<{L93}>"
        features = response.json()["features"]
        assert {f["id"] for f in features} == expected_ids(world, "metz_user", collection)
        for feature in features:
            served = shapely.geometry.shape(feature["geometry"])
            stored = _stored_in_lambert93(model, feature["id"])
            assert served.geom_type == stored.geom_type
            assert shapely.hausdorff_distance(served, stored) < 0.01  # to the centimetre
            assert 900_000 < served.centroid.x < 1_100_000 and 6_700_000 < served.centroid.y < 6_950_000
        one = client.get(f"/ogc/collections/{collection}/items/{features[0]['id']}", {"crs": L93})
        assert one["Content-Crs"] == f"<{L93}>"
        assert one.json()["geometry"] == features[0]["geometry"]
    perimeter = world["perimeters"]["metz_private"]  # Woippy alone: its outline is the commune's
    served = client.get(f"/ogc/collections/perimetres/items/{perimeter.pk}", {"crs": L93}).json()
    woippy = _stored_in_lambert93(Commune, WOIPPY)
    assert shapely.hausdorff_distance(shapely.geometry.shape(served["geometry"]), woippy) < 0.01


def test_credentials(world):
    anonymous = Client().get("/ogc/collections/sites/items")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert "Authentification requise" in anonymous.json()["description"]
    forged = Client(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567").get("/ogc/")
    assert forged.status_code == 401
    # The token is read from the header only, never from the URL (it would end up in logs).
    in_url = Client().get("/ogc/collections", {"token": world["metz_token"]})
    assert in_url.status_code == 401
    session = Client()
    session.force_login(world["strasbourg_user"])
    page = session.get("/ogc/collections/sites/items").json()
    assert {f["id"] for f in page["features"]} == expected_ids(world, "strasbourg_user", "sites")
    assert session.post("/ogc/collections/sites/items").status_code == 405

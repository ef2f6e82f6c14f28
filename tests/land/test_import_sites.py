"""CNIG Sites économiques: the four linked tables through import, export, re-import and new vintages."""

import json

import pytest
import shapely
from frictionless import Resource, Schema

from tandem.core.geo import to_lambert93
from tandem.imports.models import ImportRun
from tandem.land.exports import land_export
from tandem.land.models import Etablissement, Pole, RecordVersion, Site, Terrain, Vintage
from tandem.land.selectors import record_history, vintage_diff_lines
from tandem.land.services import land_import
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org
from tests.land.conftest import ARDENNE_METROPOLE, inventory_paths, read_rows, write_rows

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()


def counts():
    return (
        Pole.objects.unscoped().count(),
        Site.objects.unscoped().count(),
        Terrain.objects.unscoped().count(),
        Etablissement.objects.unscoped().count(),
    )


def test_inventory_imported_with_links_and_reimport_changes_nothing(inventory_dir):
    report = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert counts() == (2, 6, 18, 12)
    owner = Organization.objects.get(epci_id=ARDENNE_METROPOLE)
    assert set(Site.objects.unscoped().values_list("owner", flat=True)) == {owner.pk}
    site = Site.objects.unscoped().get(site_id=read_rows(inventory_dir / "site-eco.csv")[0]["site_id"])
    assert site.pole_eco.pole_id == read_rows(inventory_dir / "site-eco.csv")[0]["pole_id"]
    assert site.terrains.unscoped().count() == 3 and site.commune_id == site.site_comm_insee
    assert site.tdm_power_mw in (2, 5, 12, 20, 36) and len(site.tdm_sector_priorities) == 2
    terrain = site.terrains.unscoped().order_by("terr_id").first()
    assert terrain.commune_id == site.commune_id and terrain.area_ha > 0
    assert Etablissement.objects.unscoped().filter(terrain_eco__site_eco=site).exists()
    vintage = Vintage.objects.get()
    assert vintage.number == 1 and vintage.scope == f"sites_economiques:{ARDENNE_METROPOLE}"
    assert vintage.diff["terrain-eco"]["added_count"] == 18
    assert RecordVersion.objects.filter(vintage=vintage, action="added").count() == 2 + 6 + 18 + 12

    again = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert again.run.status == ImportRun.Status.DONE and not again.written
    assert again.counts["terrain-eco"]["unchanged"] == 18
    assert Vintage.objects.count() == 1


def test_one_bad_row_among_good_ones_writes_nothing(inventory_dir):
    rows = read_rows(inventory_dir / "terrain-eco.csv")
    rows[7]["terr_stade_comm"] = "bradé"
    write_rows(inventory_dir / "terrain-eco.csv", rows)
    report = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert report.run.status == ImportRun.Status.REFUSED
    [error] = report.errors
    assert (error.file, error.line, error.field, error.value) == (
        "terrain-eco.csv",
        9,
        "terr_stade_comm",
        "bradé",
    )
    assert "hors de la liste du standard" in error.message
    assert counts() == (0, 0, 0, 0) and not Vintage.objects.exists()


def test_round_trip_export_then_import_gives_identical_records(inventory_dir, tmp_path):
    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    before = {
        t.terr_id: (t.terr_stade_comm, t.terr_vente_montant, t.geometry_digest)
        for t in Terrain.objects.unscoped().all()
    }
    exported = land_export(
        actor=SYSTEM, fmt="csv", output_dir=tmp_path / "export", epci_siren=ARDENNE_METROPOLE
    )
    assert [p.name for p in exported] == [
        "pole-eco.csv",
        "site-eco.csv",
        "terrain-eco.csv",
        "etablissement.csv",
        "friches.csv",
    ]
    again = land_import(paths=exported[:4], actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert again.errors == [] and again.run.status == ImportRun.Status.DONE
    after = {
        t.terr_id: (t.terr_stade_comm, t.terr_vente_montant, t.geometry_digest)
        for t in Terrain.objects.unscoped().all()
    }
    assert after == before and len(after) == 18


def test_strict_export_validates_against_the_strict_schemas_with_frictionless(inventory_dir, tmp_path):
    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    exported = land_export(
        actor=SYSTEM, fmt="csv", output_dir=tmp_path, epci_siren=ARDENNE_METROPOLE, strict=True
    )
    for path in exported[:4]:
        table = path.stem
        name = "schema.json" if table == "pole-eco" else "schema.strict.json"
        schema = Schema.from_descriptor(
            json.loads(shared_file(f"standards/sites-economiques/{table}/{name}").read_text())
        )
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [f.name for f in schema.fields]  # exact CNIG layout, no tdm_* column
        report = Resource(path=path.name, basepath=str(path.parent), schema=schema).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    tandem = land_export(
        actor=SYSTEM, fmt="csv", output_dir=tmp_path / "tandem", epci_siren=ARDENNE_METROPOLE
    )
    assert "tdm_power_mw" in (tmp_path / "tandem" / "site-eco.csv").read_text().splitlines()[0]
    assert tandem[1].name == "site-eco.csv"


def test_personal_fields_never_leave_the_owner_unless_shared(inventory_dir, tmp_path):
    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    owner = Organization.objects.get(epci_id=ARDENNE_METROPOLE)
    Site.objects.unscoped().update(visibility="region")
    Terrain.objects.unscoped().update(visibility="region")
    region = region_org()
    reader = Actor.for_user(make_member(region, role="lecteur"))
    member = Actor.for_user(make_member(owner, role="lecteur"))
    sold = Terrain.objects.unscoped().exclude(terr_acquereur="").count()
    assert sold > 0

    def exported_buyers(actor, folder):
        land_export(actor=actor, fmt="csv", output_dir=tmp_path / folder, epci_siren=ARDENNE_METROPOLE)
        rows = read_rows(tmp_path / folder / "terrain-eco.csv")
        assert len(rows) == 18
        return [r for r in rows if r["terr_acquereur"] or r["terr_vente_montant"] or r["terr_m2_prix"]]

    assert len(exported_buyers(member, "owner")) == sold
    assert exported_buyers(reader, "region") == []
    Terrain.objects.unscoped().update(personal_shared=True)
    assert len(exported_buyers(reader, "shared")) == sold


def test_newer_file_records_a_vintage_with_a_readable_diff_and_history(inventory_dir):
    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    terrains = read_rows(inventory_dir / "terrain-eco.csv")
    etabs = read_rows(inventory_dir / "etablissement.csv")
    changed = next(r for r in terrains if r["terr_stade_comm"] == "en vente")
    old_surface = changed["terr_surf_brute"]
    changed["terr_stade_comm"] = "vendu, commercialisation achevée"
    changed["terr_surf_brute"] = "1.5"
    removed = next(
        r for r in terrains if not any(e["terr_id"] == r["terr_id"] for e in etabs) and r is not changed
    )
    terrains.remove(removed)
    added = dict(terrains[0], terr_id="NOUVEAU_TERRAIN-ECO_001", terr_stade_comm="en vente")
    terrains.append(added)
    write_rows(inventory_dir / "terrain-eco.csv", terrains)

    report = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)

    assert report.errors == []
    [vintage] = report.vintages
    assert vintage.number == 2 and Vintage.objects.count() == 2
    diff = vintage.diff["terrain-eco"]
    assert (diff["added"], diff["removed"]) == (["NOUVEAU_TERRAIN-ECO_001"], [removed["terr_id"]])
    assert diff["changed"] == {
        changed["terr_id"]: {
            "terr_surf_brute": [old_surface, "1.5"],
            "terr_stade_comm": ["en vente", "vendu, commercialisation achevée"],
        }
    }
    assert set(vintage.diff) == {"terrain-eco"}
    lines = vintage_diff_lines(vintage)
    assert "  + NOUVEAU_TERRAIN-ECO_001" in lines and f"  - {removed['terr_id']}" in lines
    assert (
        f"  ~ {changed['terr_id']} : terr_stade_comm « en vente » → « vendu, commercialisation achevée »"
        in lines
    )
    assert Terrain.objects.unscoped().get(terr_id=changed["terr_id"]).terr_stade_comm.startswith("vendu")
    assert not Terrain.objects.unscoped().filter(terr_id=removed["terr_id"]).exists()
    owner = Organization.objects.get(epci_id=ARDENNE_METROPOLE)
    history = list(record_history(table="terrain-eco", record_key=changed["terr_id"], owner_id=owner.pk))
    assert [(h.vintage.number, h.action) for h in history] == [(1, "added"), (2, "changed")]
    assert history[1].changes["terr_stade_comm"] == ["en vente", "vendu, commercialisation achevée"]
    gone = list(record_history(table="terrain-eco", record_key=removed["terr_id"], owner_id=owner.pk))
    assert [h.action for h in gone] == ["added", "removed"] and gone[1].data["terr_id"] == removed["terr_id"]


def test_lambert93_geometries_recognised_and_swapped_coordinates_reported(inventory_dir):
    sites = read_rows(inventory_dir / "site-eco.csv")
    original = shapely.from_geojson(sites[0]["site_geomsurf"])
    sites[0]["site_geomsurf"] = shapely.to_geojson(to_lambert93(original))
    write_rows(inventory_dir / "site-eco.csv", sites)
    report = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert report.errors == []
    stored = Site.objects.unscoped().get(site_id=sites[0]["site_id"])
    assert stored.centroid_lon == pytest.approx(original.centroid.x, abs=1e-5)
    assert stored.centroid_lat == pytest.approx(original.centroid.y, abs=1e-5)
    assert (
        json.loads(sites[0]["site_geomsurf"])["coordinates"][0][0][1] > 6_000_000
    )  # it really was Lambert-93

    etabs = read_rows(inventory_dir / "etablissement.csv")
    lon, lat = json.loads(etabs[3]["etab_geompoint"])["coordinates"]
    etabs[3]["etab_geompoint"] = json.dumps({"type": "Point", "coordinates": [lat, lon]})
    write_rows(inventory_dir / "etablissement.csv", etabs)
    refused = land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    [error] = refused.errors
    assert (error.line, error.field) == (5, "etab_geompoint") and "inversées" in error.message
    assert Etablissement.objects.unscoped().get(siret=etabs[3]["SIRET"]).centroid_lon == pytest.approx(
        lon, abs=1e-5
    )


def test_a_contributor_of_another_epci_may_not_import_this_inventory(inventory_dir):
    other = epci_org("200043156")  # CC du Pays Rethélois
    actor = Actor.for_user(make_member(other))
    report = land_import(paths=inventory_paths(inventory_dir), actor=actor, epci_siren=ARDENNE_METROPOLE)
    assert report.run.status == ImportRun.Status.REFUSED
    assert any("pas le droit d'écrire" in p.message for p in report.errors)
    assert counts() == (0, 0, 0, 0)


def test_a_friche_is_linked_to_the_site_and_terrain_it_lies_in(inventory_dir, tmp_path):
    from tandem.land.models import Friche
    from tests.land.test_import_friches import SETS

    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    terrain = Terrain.objects.unscoped().select_related("site_eco").order_by("terr_id")[4]
    path = tmp_path / "friches.csv"
    write_rows(
        path,
        [
            {
                "site_id": f"{terrain.commune_id}_99",
                "site_nom": "[fictif] Ancienne scierie",
                "site_type": "friche industrielle",
                "comm_nom": terrain.site_eco.site_comm_nom,
                "comm_insee": terrain.commune_id,
                "geompoint": f"POINT ({terrain.centroid_lon} {terrain.centroid_lat})",
            },
            {
                "site_id": "08105_98",
                "site_nom": "[fictif] Hors zone",
                "site_type": "friche commerciale",
                "comm_nom": "Charleville-Mézières",
                "comm_insee": "08105",
                "geompoint": "POINT (4.6 49.6)",
            },
        ],
    )
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.errors == [], [str(p) for p in report.errors]
    inside = Friche.objects.unscoped().get(site_id=f"{terrain.commune_id}_99")
    assert (inside.site_eco_id, inside.terrain_eco_id) == (terrain.site_eco_id, terrain.pk)
    outside = Friche.objects.unscoped().get(site_id="08105_98")
    assert outside.site_eco_id is None and outside.terrain_eco_id is None

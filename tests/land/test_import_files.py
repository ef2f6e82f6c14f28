"""Defects, official examples, standard versions and file formats through the land importer."""

import csv
import zipfile

import numpy as np
import pyogrio
import pytest
import shapely

from tandem.imports.models import ImportRun
from tandem.land.exports import land_export
from tandem.land.models import Friche, Site, Terrain
from tandem.land.services import land_import
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.land.conftest import ARDENNE_METROPOLE, inventory_paths, read_rows, write_rows
from tests.land.test_import_friches import DDT08, SETS

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()


def ddt08_rows():
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_planted_defects_go_to_the_rejects_file_with_skip_invalid(tmp_path):
    rows = ddt08_rows()
    rows[4]["site_type"] = "friche imaginaire"  # line 6
    rows[9]["comm_insee"] = "99999"  # line 11
    rows[19]["site_id"] = rows[0]["site_id"]  # line 21: duplicate identifier
    lon, lat = rows[29]["longitude"], rows[29]["latitude"]
    rows[29]["geompoint"] = f"Point ({lat} {lon})"  # line 31: latitude and longitude swapped
    rows[39]["unite_fonciere_surface"] = "beaucoup"  # line 41
    # line 61: the point of another commune (Amagne, 08008), far from its own
    assert rows[59]["comm_insee"] != "08008"
    rows[59]["geompoint"] = rows[0]["geompoint"]
    path = tmp_path / "friches_defauts.csv"
    write_rows(path, rows)

    refused = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert refused.run.status == ImportRun.Status.REFUSED and not Friche.objects.unscoped().exists()
    assert sorted({p.line for p in refused.errors}) == [6, 11, 21, 31, 41]

    report = land_import(paths=[path], actor=SYSTEM, sets=SETS, skip_invalid=True)

    assert report.run.status == ImportRun.Status.DONE
    assert Friche.objects.unscoped().count() == 164 - 5
    rejects = list(csv.DictReader(report.rejects_csv.splitlines(), delimiter=";"))
    assert [(r["ligne"], r["site_id"]) for r in rejects] == [
        ("6", rows[4]["site_id"]),
        ("11", rows[9]["site_id"]),
        ("21", rows[0]["site_id"]),
        ("31", rows[29]["site_id"]),
        ("41", rows[39]["site_id"]),
    ]
    motifs = [r["motifs"] for r in rejects]
    assert "site_type : valeur hors de la liste du standard" in motifs[0] and "friche imaginaire" in motifs[0]
    assert "comm_insee : code INSEE de commune inconnu du COG" in motifs[1]
    assert "site_id : identifiant en double" in motifs[2]
    assert "geompoint : latitude et longitude semblent inversées" in motifs[3]
    assert "unite_fonciere_surface : nombre attendu" in motifs[4]
    assert all(r["fichier"] == "friches_defauts.csv" and r["table"] == "friches" for r in rejects)
    # The rejects file is kept in Django's storage with the run.
    stored = ImportRun.objects.get(pk=report.run.pk)
    assert stored.rejects.name and stored.rejects.read().decode() == report.rejects_csv
    assert stored.rejected == 5 and stored.created == 164 - 5
    [outside] = [p for p in report.warnings if "hors de sa commune" in p.message]
    assert outside.line == 61 and outside.field == "geompoint"
    assert f"déclarée {rows[59]['comm_nom']} ({rows[59]['comm_insee']})" in outside.value
    assert "trouvée dans Amagne (08008)" in outside.value


def test_import_land_command_writes_the_rejects_file(tmp_path):
    from django.core.management import call_command

    rows = ddt08_rows()[:10]
    rows[3]["site_statut"] = "friche oubliée"
    path = tmp_path / "extrait.csv"
    write_rows(path, rows)
    sets = [f"--set={k}={v}" for k, v in SETS.items()]
    call_command("import_land", str(path), *sets, "--skip-invalid", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    rejects = read_rows(tmp_path / "rejets.csv", delimiter=";")
    assert [r["ligne"] for r in rejects] == ["5"] and "site_statut" in rejects[0]["motifs"]
    assert Friche.objects.unscoped().count() == 9


def test_official_sites_economiques_examples_are_refused_where_the_readme_says_they_are_invalid():
    paths = [
        shared_file(f"standards/sites-economiques/{t}/exemple-valide.csv")
        for t in ("pole-eco", "site-eco", "terrain-eco", "etablissement")
    ]
    names = {p: f"{p.parent.name}/{p.name}" for p in paths}
    report = land_import(paths=paths, actor=SYSTEM, display_names=names)
    assert report.run.status == ImportRun.Status.REFUSED
    site = {p.field: p for p in report.problems if p.file == "site-eco/exemple-valide.csv" and p.line == 2}
    # The unquoted « entrepôts;logistique » shifts site_vocadomi and site_etat (README caveat 1)…
    assert (site["site_vocadomi"].value, site["site_etat"].value) == ("entrepôts", "logistique")
    assert site["site_vocadomi"].level == site["site_etat"].level == "error"
    # … « extension » is not an enumerated value, « EPCI » is a harmless case variant of « epci ».
    assert site["site_evol_urba"].value == "extension" and site["site_evol_urba"].level == "error"
    assert site["site_moa_type"].level == "warning" and site["site_moa_type"].value == "EPCI → epci"
    # Its Lambert-93 polygon's ring is not closed (656589.70 then 656589.707): not valid GeoJSON geometry.
    assert site["site_geomsurf"].message == "GeoJSON attendu"
    # etablissement: « Localisation au bâtiment » with a capital L is a harmless case variant.
    [case] = [p for p in report.warnings if p.field == "geocodage_qualite"]
    assert case.value == "Localisation au bâtiment → localisation au bâtiment"
    # Its terrains are not in the terrain file (one even has a space inside its identifier).
    [link] = [p for p in report.errors if p.field == "terr_id"]
    assert "lien vers terrain-eco" in link.message and "44003_TERRAIN-ECO_ 000131" in link.value
    assert not Site.objects.unscoped().exists() and not Terrain.objects.unscoped().exists()


def test_official_friches_example_writes_latitude_first_and_is_reported_not_fixed():
    report = land_import(paths=[shared_file("standards/friches/fichier-valide.csv")], actor=SYSTEM)
    assert report.run.status == ImportRun.Status.REFUSED
    swapped = [p for p in report.errors if p.field == "geompoint"]
    assert (
        len(swapped) == 1
        and "inversées" in swapped[0].message
        and swapped[0].value == "POINT(49.2527 3.9815)"
    )
    assert not Friche.objects.unscoped().exists()


def test_friches_v103_file_is_migrated_with_a_report_of_what_was_filled(tmp_path):
    rows = read_rows(shared_file("standards/friches/previous/v1.0.3_fichier-valide.csv"))
    for row in rows:  # the official example's latitude-first point, put in WKT order for this test
        x, y = row["geompoint"].replace("POINT(", "").rstrip(")").split()
        row["geompoint"] = f"POINT({y} {x})"
        row["geomsurf"] = ""
    path = tmp_path / "friches_v103.csv"
    write_rows(path, rows)
    report = land_import(paths=[path], actor=SYSTEM)
    assert report.errors == [], [str(p) for p in report.errors]
    assert report.migration == [
        f"friches_v103.csv : version 1.0.3 migrée en 1.0.6 ; « urba_zaer » (obligatoire depuis 1.0.6) rempli avec "
        f"« inconnu » pour {len(rows)} ligne(s)"
    ]
    friche = Friche.objects.unscoped().get(site_id=rows[0]["site_id"])
    assert friche.urba_zaer == "inconnu" and friche.site_reconv_type == ""
    vintage = report.vintages[0]
    assert (
        vintage.provenance["standard_version"] == ["1.0.3"]
        and vintage.provenance["migration"] == report.migration
    )


def test_geopackage_in_the_cnig_template_layout_round_trips(inventory_dir, tmp_path):
    land_import(paths=inventory_paths(inventory_dir), actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    paths = land_export(actor=SYSTEM, fmt="gpkg", output_dir=tmp_path, epci_siren=ARDENNE_METROPOLE)[:4]
    assert pyogrio.read_info(paths[1], layer="site_eco")["crs"] == "EPSG:2154"
    assert "siret" in pyogrio.read_info(paths[3], layer="etablissement")["fields"]
    before = {t.terr_id: t.shape for t in Terrain.objects.unscoped().all()}
    report = land_import(paths=paths, actor=SYSTEM, epci_siren=ARDENNE_METROPOLE)
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert report.counts["site-eco"]["unchanged"] == 6 and report.counts["etablissement"]["unchanged"] == 12
    # Through Lambert-93 and back, a few vertices land on the other side of the 1e-5° (~1 m) storage grid:
    # nothing added or removed, and every geometry within one grid step of what it was.
    terrains = report.counts["terrain-eco"]
    assert terrains["added"] == terrains["removed"] == 0 and terrains["changed"] + terrains["unchanged"] == 18
    for terrain in Terrain.objects.unscoped().all():
        assert shapely.hausdorff_distance(terrain.shape, before[terrain.terr_id]) <= 1.5e-5


def test_zipped_shapefile_is_read_with_its_truncated_column_names(tmp_path):
    rows = ddt08_rows()[:10]
    columns = {
        "site_id": "site_id",
        "site_nom": "site_nom",
        "site_type": "site_type",
        "comm_insee": "comm_insee",
        "comm_nom": "comm_nom",
        "site_adres": "site_adresse",
        "site_statu": "site_statut",
    }
    points = shapely.points([float(r["longitude"]) for r in rows], [float(r["latitude"]) for r in rows])
    shp = tmp_path / "friches.shp"
    pyogrio.raw.write(
        str(shp),
        shapely.to_wkb(points),
        [np.array([r[c] for r in rows], dtype=object) for c in columns.values()],
        list(columns),
        driver="ESRI Shapefile",
        geometry_type="Point",
        crs="EPSG:4326",
        encoding="UTF-8",
    )
    archive = tmp_path / "friches.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("friches.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    report = land_import(paths=[archive], actor=SYSTEM, sets=SETS)
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert Friche.objects.unscoped().count() == 10
    first = Friche.objects.unscoped().get(site_id=rows[0]["site_id"])
    assert (
        first.site_adresse == rows[0]["site_adresse"].strip() and first.site_statut == rows[0]["site_statut"]
    )
    assert first.geompoint_lon == pytest.approx(float(rows[0]["longitude"]))

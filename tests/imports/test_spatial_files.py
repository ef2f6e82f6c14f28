"""Hostile spatial files: every trick that made GDAL read another file, the database or a URL is refused with a
French message, and the target's content appears nowhere (report, rejects file, logs, web page, command)."""

import io
import logging
import sqlite3
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.urls import reverse

from tandem.core.errors import UserError
from tandem.imports import spatial
from tandem.imports.models import ImportRun
from tandem.land.models import Site
from tandem.land.services import land_import
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.sources import read_boundaries_file
from tandem.www.land import views as land_views
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
STRASBOURG = "246700488"
PASSWD_MARK = "root:x:0:0"


@pytest.fixture
def secret(tmp_path):
    """A file the attacker wants to read, with a value that must never come back."""
    value = f"SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "target" / "secret.csv"
    path.parent.mkdir()
    path.write_text(f"site_id,site_nom\n{value},{value}\n", encoding="utf-8")
    return path, value


def vrt(source: str, layer: str = "secret") -> bytes:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="site_eco"><SrcDataSource>{source}</SrcDataSource>'
        f"<SrcLayer>{layer}</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def zip_of(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def shapefile_parts(tmp_path) -> dict[str, bytes]:
    """The .shp, .shx, .dbf and .prj of a real one-polygon Shapefile written by GDAL."""
    folder = tmp_path / "real_shp"
    folder.mkdir()
    polygon = shapely.box(7.70, 48.55, 7.71, 48.56)
    pyogrio.raw.write(
        str(folder / "site_eco.shp"),
        shapely.to_wkb(np.array([polygon], dtype=object)),
        [np.array(["S1"], dtype=object)],
        ["site_id"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def assert_refused(report, secret_value: str, *words: str) -> str:
    run = ImportRun.objects.get(pk=report.run.pk)
    assert run.status == ImportRun.Status.REFUSED
    text = " ".join(p["message"] for p in run.problems)
    for word in words:
        assert word in text, text
    everything = f"{run.problems} {report.rejects_csv} {run.progress_label} {run.files}"
    assert secret_value not in everything and PASSWD_MARK not in everything
    assert not Site.objects.unscoped().exists()
    return text


def test_a_vrt_inside_a_zip_is_refused_and_never_read(tmp_path, secret, caplog):
    caplog.set_level(logging.DEBUG)
    path, value = secret
    archive = zip_of(tmp_path / "site_eco.zip", {"site_eco.vrt": vrt(f"CSV:{path}")})
    report = land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG)
    assert_refused(report, value, "site_eco.vrt", "refusé")
    # The same VRT beside a real Shapefile in the archive: refused too.
    parts = shapefile_parts(tmp_path)
    archive = zip_of(tmp_path / "mixte.zip", {**parts, "site_eco.vrt": vrt("CSV:/etc/passwd")})
    assert_refused(land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG), value, "refusé")
    assert value not in caplog.text and PASSWD_MARK not in caplog.text


def test_a_vrt_renamed_gpkg_or_shp_is_refused(tmp_path, secret, caplog):
    caplog.set_level(logging.DEBUG)
    path, value = secret
    gpkg = tmp_path / "site_eco.gpkg"
    gpkg.write_bytes(vrt(f"CSV:{path}"))
    assert_refused(
        land_import(paths=[gpkg], actor=SYSTEM, epci_siren=STRASBOURG), value, "n'est pas un GeoPackage"
    )
    # A .shp that is a VRT, with real .shx/.dbf beside it, given alone or zipped.
    parts = shapefile_parts(tmp_path)
    folder = tmp_path / "alone"
    folder.mkdir()
    for name, data in parts.items():
        (folder / name).write_bytes(data)
    (folder / "site_eco.shp").write_bytes(vrt(f"CSV:{path}"))
    assert_refused(
        land_import(paths=[folder / "site_eco.shp"], actor=SYSTEM, epci_siren=STRASBOURG),
        value,
        "n'est pas un Shapefile",
    )
    archive = zip_of(tmp_path / "site_eco.zip", {**parts, "site_eco.shp": vrt("CSV:/etc/passwd")})
    assert_refused(
        land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG), value, "n'est pas un Shapefile"
    )
    assert value not in caplog.text and PASSWD_MARK not in caplog.text


@pytest.mark.parametrize(
    "name",
    ["CSV:{secret}", "/vsicurl/http://127.0.0.1:9/site_eco.gpkg", "/vsizip/{secret}.zip/site_eco.shp"],
)
def test_virtual_and_driver_prefixed_names_are_refused(tmp_path, secret, name):
    path, value = secret
    name = name.format(secret=path)
    report = land_import(paths=[Path(name)], actor=SYSTEM, epci_siren=STRASBOURG)
    assert_refused(report, value, "nom de fichier refusé")
    # A real file whose upload name carries the prefix (the web form keeps the browser's file name).
    prefixed = tmp_path / "up" / "CSV:secret.csv"
    prefixed.parent.mkdir()
    prefixed.write_bytes(path.read_bytes())
    assert_refused(land_import(paths=[prefixed], actor=SYSTEM), value, "nom de fichier refusé")


def test_gdal_itself_no_longer_opens_vrt_csv_or_network_paths(tmp_path, secret):
    """Defence in depth: even a path that skipped the checks reaches no VRT, CSV or network driver."""
    path, value = secret
    spatial.harden_gdal()
    assert set(pyogrio.list_drivers()) <= set(spatial.ALLOWED_DRIVERS)
    evil = tmp_path / "evil.vrt"
    evil.write_bytes(vrt(f"CSV:{path}"))
    for target in (str(evil), f"CSV:{path}", "/vsicurl/http://127.0.0.1:9/x.geojson"):
        with pytest.raises(Exception) as caught:  # noqa: B017 — GDAL's own error types
            pyogrio.raw.read(target)
        assert value not in str(caught.value)


def make_gpkg(path: Path) -> Path:
    polygon = shapely.box(7.70, 48.55, 7.71, 48.56)
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array([polygon], dtype=object)),
        [np.array(["S1"], dtype=object)],
        ["site_id"],
        layer="site_eco",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    return path


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        (
            [
                "CREATE VIEW terrain_eco AS SELECT '{value}' AS terr_id",
                "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES ('terrain_eco', 'attributes', 'terrain_eco')",
            ],
            "vue",
        ),
        (
            [
                "CREATE TRIGGER copie AFTER INSERT ON site_eco BEGIN UPDATE site_eco SET site_id = '{value}'; END"
            ],
            "déclencheur",
        ),
        (["CREATE VIRTUAL TABLE recherche USING fts5(texte)"], "table virtuelle"),
    ],
)
def test_a_geopackage_with_a_view_trigger_or_virtual_table_is_refused(tmp_path, secret, sql, words):
    _path, value = secret
    gpkg = make_gpkg(tmp_path / "site_eco.gpkg")
    connection = sqlite3.connect(gpkg)
    for statement in sql:
        connection.execute(statement.format(value=value))
    connection.commit()
    connection.close()
    assert_refused(land_import(paths=[gpkg], actor=SYSTEM, epci_siren=STRASBOURG), value, words)


def test_a_plain_geopackage_and_a_zipped_shapefile_still_read(tmp_path):
    from tandem.land.io import read_files

    [table] = read_files([make_gpkg(tmp_path / "site_eco.gpkg")])
    assert table.table == "site-eco" and table.frame["site_id"].tolist() == ["S1"]
    archive = zip_of(
        tmp_path / "envoi.zip", {f"dossier/{k}": v for k, v in shapefile_parts(tmp_path).items()}
    )
    [table] = read_files([archive])
    assert table.table == "site-eco" and table.frame["site_id"].tolist() == ["S1"]


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ({"../../site_eco.shp": b"x", "site_eco.shx": b"x", "site_eco.dbf": b"x"}, "chemin interdit"),
        ({"/tmp/site_eco.shp": b"x"}, "chemin interdit"),
        ({"site_eco.csv": b"site_id\nS1\n"}, "refusé dans l'archive"),
    ],
)
def test_zip_path_tricks_and_foreign_entries_are_refused(tmp_path, secret, entries, words):
    _path, value = secret
    archive = zip_of(tmp_path / "envoi.zip", entries)
    assert_refused(land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG), value, words)
    assert not (tmp_path.parent / "site_eco.shp").exists()


def test_a_zip_without_dbf_is_refused_in_french(tmp_path, secret):
    _path, value = secret
    parts = {k: v for k, v in shapefile_parts(tmp_path).items() if not k.endswith(".dbf")}
    report = land_import(paths=[zip_of(tmp_path / "envoi.zip", parts)], actor=SYSTEM, epci_siren=STRASBOURG)
    assert_refused(report, value, "Shapefile incomplet, il manque .dbf")


def test_boundaries_of_the_geography_load_go_through_the_same_checks(tmp_path, secret):
    path, value = secret
    gpkg = tmp_path / "ADMIN-EXPRESS_COMMUNE.gpkg"
    gpkg.write_bytes(vrt(f"CSV:{path}"))
    with pytest.raises(UserError) as caught:
        read_boundaries_file(gpkg)
    assert "n'est pas un GeoPackage" in str(caught.value) and value not in str(caught.value)
    archive = zip_of(tmp_path / "COMMUNE.zip", {"COMMUNE.vrt": vrt(f"CSV:{path}")})
    with pytest.raises(UserError) as caught:
        read_boundaries_file(archive)
    assert "refusé dans l'archive" in str(caught.value)


def test_the_command_line_import_refuses_a_vrt_without_echoing_it(tmp_path):
    gpkg = tmp_path / "site_eco.gpkg"
    gpkg.write_bytes(vrt("CSV:/etc/passwd"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_land", str(gpkg), "--epci", STRASBOURG, stdout=out, stderr=err)
    text = f"{caught.value} {out.getvalue()} {err.getvalue()}"
    assert "Import refusé" in text and "n'est pas un GeoPackage" in text and PASSWD_MARK not in text


def test_the_web_upload_refuses_a_vrt_in_a_zip_and_the_page_shows_no_secret(
    client, tmp_path, secret, monkeypatch
):
    monkeypatch.setattr(land_views, "IMPORT_IN_BACKGROUND", False)
    path, value = secret
    contributor = make_member(epci_org(STRASBOURG), Role.CONTRIBUTEUR)
    client.force_login(contributor)
    archive = zip_of(tmp_path / "site_eco.zip", {"site_eco.vrt": vrt(f"CSV:{path}")})
    renamed = tmp_path / "terrain_eco.gpkg"
    renamed.write_bytes(vrt("CSV:/etc/passwd"))
    for upload in (archive, renamed):
        with open(upload, "rb") as handle:
            response = client.post(
                reverse("www:land:import"),
                {"files": [handle], "epci": STRASBOURG, "visibility": Visibility.PRIVATE, "sets": ""},
            )
        assert response.status_code == 302
        run = ImportRun.objects.latest("pk")
        assert run.status == ImportRun.Status.REFUSED
        page = client.get(response.url).content.decode()
        assert upload.name in page and ("refusé" in page or "n'est pas un GeoPackage" in page)
        assert value not in page and PASSWD_MARK not in page
        status = client.get(reverse("www:imports:status", args=[run.pk])).content.decode()
        assert value not in status and PASSWD_MARK not in status
    assert not Site.objects.unscoped().exists()

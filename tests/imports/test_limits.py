"""Import limits: upload size (web, before and after reading the body), zip expansion (declared sizes, and real
sizes while extracting for archives that lie), rows and fields (tests/imports/test_reader.py), in French."""

import zipfile

import pytest
from django.test import override_settings
from django.urls import reverse

from tandem.imports.models import ImportRun
from tandem.land.models import Site
from tandem.land.services import land_import
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.www.land import views as land_views
from tests.factories import epci_org, make_member
from tests.imports.test_spatial_files import shapefile_parts

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
STRASBOURG = "246700488"
MB = 1024 * 1024


def bomb(path, declared: int | None = None, size: int = 3 * MB):
    """A zip whose .shp entry expands to `size` bytes of zeros (a few kilobytes compressed); `declared`
    overwrites the uncompressed size written in the archive's headers (an archive that lies)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("site_eco.shp", b"\0" * size)
        archive.writestr("site_eco.shx", b"\0" * 100)
        archive.writestr("site_eco.dbf", b"\x03" + b"\0" * 100)
    if declared is not None:
        data = bytearray(path.read_bytes())
        local = data.index(b"PK\x03\x04")
        data[local + 22 : local + 26] = declared.to_bytes(4, "little")
        central = data.index(b"PK\x01\x02")
        data[central + 24 : central + 28] = declared.to_bytes(4, "little")
        path.write_bytes(bytes(data))
    return path


@override_settings(TANDEM_IMPORT_MAX_EXPANDED_BYTES=1 * MB)
def test_a_zip_declaring_more_than_the_expanded_limit_is_refused_before_extraction(tmp_path):
    archive = bomb(tmp_path / "site_eco.zip")
    assert archive.stat().st_size < 100_000
    report = land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG)
    assert report.run.status == ImportRun.Status.REFUSED
    assert "l'archive décompressée ferait 3,0 Mo (limite : 1,0 Mo)" in report.errors[0].message


@override_settings(TANDEM_IMPORT_MAX_EXPANDED_BYTES=1 * MB)
def test_a_zip_lying_about_its_sizes_is_stopped_while_extracting(tmp_path):
    archive = bomb(tmp_path / "site_eco.zip", declared=1000)
    with zipfile.ZipFile(archive) as check:
        assert sum(e.file_size for e in check.infolist()) < 2000
    report = land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG)
    assert report.run.status == ImportRun.Status.REFUSED
    assert "archive zip corrompue ou incohérente" in report.errors[0].message
    assert not Site.objects.unscoped().exists()


@override_settings(TANDEM_IMPORT_MAX_ZIP_ENTRIES=3)
def test_a_zip_with_too_many_entries_is_refused(tmp_path):
    archive = tmp_path / "site_eco.zip"
    parts = shapefile_parts(tmp_path)
    with zipfile.ZipFile(archive, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    report = land_import(paths=[archive], actor=SYSTEM, epci_siren=STRASBOURG)
    assert f"l'archive contient {len(parts)} fichiers (limite : 3)" in report.errors[0].message


@override_settings(TANDEM_IMPORT_MAX_UPLOAD_BYTES=20_000)
def test_the_command_line_and_the_web_refuse_a_file_over_the_upload_limit(client, tmp_path, monkeypatch):
    monkeypatch.setattr(land_views, "IMPORT_IN_BACKGROUND", False)
    path = tmp_path / "friches.csv"
    path.write_bytes(b"site_id,site_nom\n" + b"F1,friche\n" * 3000)  # 30 ko
    report = land_import(paths=[path], actor=SYSTEM)
    assert "friches.csv : fichier trop volumineux (29 ko ; limite : 20 ko)" in report.errors[0].message
    # The web form: refused in French, nothing started.
    client.force_login(make_member(epci_org(STRASBOURG), Role.CONTRIBUTEUR))
    with open(path, "rb") as handle:
        response = client.post(
            reverse("www:land:import"), {"files": [handle], "visibility": Visibility.PRIVATE, "sets": ""}
        )
    assert response.status_code == 200
    assert "friches.csv : fichier trop volumineux (29 ko ; limite : 20 ko)." in response.content.decode()
    assert ImportRun.objects.filter(kind__startswith="land").count() == 1  # the command-line run only
    # A request announcing a body over the limit is answered before the body is read.
    response = client.post(
        reverse("www:land:import"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200_000),
    )
    assert response.status_code == 413 and "Envoi trop volumineux" in response.content.decode()
    assert ImportRun.objects.filter(kind__startswith="land").count() == 1


@override_settings(TANDEM_IMPORT_MAX_UPLOAD_BYTES=20_000)
def test_the_perimeter_upload_obeys_the_same_limit(client, tmp_path):
    from tandem.territories.models import Perimeter

    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.ADMIN))
    path = tmp_path / "perimetres.csv"
    path.write_bytes(b"code;nom;epci_siren\n" + b"P1;Grand;246700488\n" * 2000)  # 37 ko
    with open(path, "rb") as handle:
        response = client.post(
            reverse("www:perimeter_import"),
            {"owner": org.pk, "kind": Perimeter.Kind.AUTRE, "visibility": Visibility.PRIVATE, "file": handle},
        )
    assert response.status_code == 200
    assert "perimetres.csv : fichier trop volumineux (37 ko ; limite : 20 ko)." in response.content.decode()
    assert not Perimeter.objects.unscoped().filter(owner=org).exists()

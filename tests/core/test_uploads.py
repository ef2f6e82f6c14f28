"""Uploads go to Django's storage (MEDIA_ROOT here), not to the web process's temporary folder, and leave it once
read."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import tandem.www
from tandem.core.uploads import upload_stored
from tandem.organizations.models import Role, Visibility
from tandem.territories.models import Perimeter
from tests.factories import epci_org, make_member

STRASBOURG = "246700488"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_upload_is_read_from_the_storage_and_deleted_after(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("Périmètres 2026.CSV", b"code;nom;epci_siren\r\nP1;Grand;246700488\r\n")
    with upload_stored(upload, folder="imports/perimeters", suffix=".csv") as path:
        assert path.is_relative_to(settings.MEDIA_ROOT / "imports" / "perimeters")
        assert path.suffix == ".csv" and path.read_bytes().startswith(b"code;nom;epci_siren")
        assert stored_files(settings.MEDIA_ROOT) == [path]
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_the_perimeter_import_page_reads_its_file_from_the_storage(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.ADMIN))
    upload = SimpleUploadedFile("perimetres.csv", b"code;nom;epci_siren\nP1;Grand Strasbourg;246700488\n")
    response = client.post(
        reverse("www:perimeter_import"),
        {"owner": org.pk, "kind": Perimeter.Kind.AUTRE, "visibility": Visibility.PRIVATE, "file": upload},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    perimeter = Perimeter.objects.unscoped().get(owner=org, code="P1")
    assert perimeter.communes.count() == 33  # Eurométropole de Strasbourg
    assert stored_files(settings.MEDIA_ROOT) == []


def test_web_code_writes_no_upload_to_the_temporary_folder():
    """Web views hand uploads to `tandem.core.uploads` (Django's storage); none opens a temporary folder."""
    www = Path(tandem.www.__file__).parent
    offenders = [str(p.relative_to(www)) for p in www.rglob("*.py") if "tempfile" in p.read_text()]
    assert offenders == []

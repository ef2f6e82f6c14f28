"""The registry in the Django admin: platform administrators consult it; nobody edits it there."""

import pytest

from tandem.companies.models import Establishment, RegistryImport
from tandem.companies.sirene_import import sirene_import
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.factories import make_member, make_user, region_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    sirene_import(
        path=shared_file("real/sirene/stock_etablissement_format_sample_2024.csv"), actor=Actor.system_actor()
    )
    return RegistryImport.objects.get()


def test_platform_administrators_consult_the_registry_read_only(client, registry):
    client.force_login(make_user(superuser=True))
    for path in ["registryimport", "company", "establishment", "bodaccannouncement"]:
        response = client.get(f"/admin/companies/{path}/")
        assert response.status_code == 200, path
    page = client.get(f"/admin/companies/registryimport/{registry.pk}/change/").content.decode()
    assert "stock_etablissement_format_sample_2024.csv" in page and "299" in page
    found = client.get("/admin/companies/establishment/", {"q": "00032517500016"}).content.decode()
    assert "00032517500016" in found and "00032517500024" not in found
    # No add, change or delete, even for them: the registry is written by its importers only.
    assert client.get("/admin/companies/establishment/add/").status_code == 403
    siret = "00032517500016"
    assert client.post(f"/admin/companies/establishment/{siret}/delete/", {"post": "yes"}).status_code == 403
    assert (
        client.post(f"/admin/companies/establishment/{siret}/change/", {"naf": "01.11Z"}).status_code == 403
    )
    assert Establishment.objects.get(siret=siret).naf == "32.12Z"


def test_organisation_administrators_are_sent_to_the_admin_login(client, registry):
    client.force_login(make_member(region_org("44"), Role.ADMIN))
    response = client.get("/admin/companies/establishment/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

"""Creating a pôle and a site on the web, validated exactly as a one-row import file: French labels, errors on
their fields, the permission layer's rules (a reader creates nothing, an EPCI only in its communes)."""

import json

import pytest
from django.urls import reverse

from tandem.core.models import AuditEvent
from tandem.land.models import Pole, Site
from tandem.organizations.models import Role
from tests.factories import communes_of, epci_org, make_member

pytestmark = pytest.mark.django_db
STRASBOURG, MULHOUSE = "246700488", "200066009"


def square(lon: float, lat: float, d: float = 0.002) -> str:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture
def stras():
    org = epci_org(STRASBOURG)
    return {
        "org": org,
        "contrib": make_member(org, Role.CONTRIBUTEUR),
        "reader": make_member(org, Role.LECTEUR),
    }


def test_pole_then_site_created_with_the_importer_validation(client, stras):
    client.force_login(stras["reader"])
    assert client.get(reverse("www:land:site_create")).status_code == 403
    client.force_login(stras["contrib"])
    form = client.get(reverse("www:land:pole_create"))
    labels = {name: f.label for name, f in form.context["form"].fields.items()}
    assert not any(label.endswith(f"({name})") or label == name for name, label in labels.items())
    bad = client.post(
        reverse("www:land:pole_create"),
        {
            "owner": stras["org"].pk,
            "pole_id": "P1",
            "pole_nom": "Pôle du Port",
            "pole_vocadomi": "agricole ?",
            "pole_surface": "douze",
            "pole_geompoint": "7.75, 48.58",
        },
    )
    errors = bad.context["form"].errors
    assert "pole_vocadomi" in errors and errors["pole_surface"][0].startswith("nombre attendu")
    assert not Pole.objects.unscoped().exists()
    ok = client.post(
        reverse("www:land:pole_create"),
        {
            "owner": stras["org"].pk,
            "pole_id": "P1",
            "pole_nom": "Pôle du Port",
            "pole_vocadomi": "industrielle",
            "pole_surface": "120",
            "pole_geompoint": "7.75, 48.58",
        },
    )
    assert ok.status_code == 302
    pole = Pole.objects.unscoped().get(pole_id="P1")
    assert pole.owner == stras["org"] and pole.pole_surface == 120

    commune = communes_of(STRASBOURG)[0]
    site_data = {
        "owner": stras["org"].pk,
        "site_id": "S1",
        "pole_id": "P1",
        "site_nom": "ZAE du Port",
        "site_type": "zone d'activité économique",
        "site_vocadomi": "industrielle",
        "site_etat": "existant et actif",
        "site_surf_brute": "12",
        "site_surf_utile": "10",
        "site_comm_insee": commune,
        "site_moa_type": "EPCI",
        "site_geomsurf": square(7.75, 48.58),
    }
    elsewhere = client.post(
        reverse("www:land:site_create"), {**site_data, "site_comm_insee": communes_of(MULHOUSE)[0]}
    )
    assert elsewhere.status_code == 200 and not Site.objects.unscoped().exists()
    assert "Vous ne pouvez pas créer" in elsewhere.content.decode()
    created = client.post(reverse("www:land:site_create"), site_data)
    assert created.status_code == 302, created.context["form"].errors
    site = Site.objects.unscoped().get(site_id="S1")
    assert site.pole_eco == pole and site.commune_id == commune and site.site_epci_siren == STRASBOURG
    assert site.geometry.geom_type == "Polygon" and site.area_ha > 0
    assert AuditEvent.objects.filter(
        action="create", object_type="land.site", object_id=str(site.pk)
    ).exists()
    again = client.post(reverse("www:land:site_create"), site_data)
    assert again.context["form"].errors["site_id"] == [
        "identifiant déjà utilisé par " + stras["org"].name + " (« S1 »)"
    ]

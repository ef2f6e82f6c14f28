import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.organizations.models import Role
from tests.factories import communes_of, epci_org, make_member, other_org, region_org

pytestmark = pytest.mark.django_db


def test_login_page_is_french(client):
    response = client.get("/connexion/")
    assert response.status_code == 200
    assert "Connexion à Tandem" in response.content.decode()
    assert client.get("/").status_code == 302


def test_epci_home_shows_its_perimeter_and_figures(client):
    org = epci_org("246700488")
    client.force_login(make_member(org, Role.LECTEUR))
    response = client.get("/")
    assert response.context["figures"]["communes"] == 33
    assert response.context["figures"]["epcis"] == 1
    layers = response.context["map"]["layers"]
    assert len(layers["communes"]["features"]) == 33
    assert [f["properties"]["siren"] for f in layers["epcis"]["features"]] == ["246700488"]
    # Every map carries the base context (boundaries and names) as vector tiles of the loaded geography.
    assert response.context["map"]["context"] == "/carte/tuiles/contexte/{z}/{x}/{y}.pbf"


def test_region_home_draws_epci_boundaries_only(client):
    client.force_login(make_member(region_org("44"), Role.LECTEUR))
    response = client.get("/")
    assert response.context["figures"]["communes"] == 5_115
    assert response.context["figures"]["departements"] == 10
    layers = response.context["map"]["layers"]
    # Too many to embed: the communes' outlines come from the context tiles, the EPCI ones are highlighted.
    assert layers["communes"]["features"] == []
    assert len(layers["epcis"]["features"]) == 150


def test_members_of_an_organisation_share_its_map_layers_until_its_perimeter_changes(client):
    """The outlines of an organisation's perimeter are read once for all its members (a second member's home
    reads no geometry), and a change of its communes shows at the next read."""
    agency = other_org("agence_investissement", commune_codes=communes_of("246700488")[:3])
    client.force_login(make_member(agency, Role.LECTEUR))
    assert len(client.get("/").context["map"]["layers"]["communes"]["features"]) == 3
    client.force_login(make_member(agency, Role.CONTRIBUTEUR))
    with CaptureQueriesContext(connection) as ctx:
        layers = client.get("/").context["map"]["layers"]
    assert len(layers["communes"]["features"]) == 3
    assert not [q for q in ctx.captured_queries if "ST_AsGeoJSON" in q["sql"]]
    agency.communes.add(*communes_of("246700488")[3:5])
    assert len(client.get("/").context["map"]["layers"]["communes"]["features"]) == 5


def test_territory_pages(client):
    client.force_login(make_member(epci_org("200066009"), Role.LECTEUR))
    epci = client.get("/territoires/epci/246700488/")
    assert epci.status_code == 200 and "Eurométropole de Strasbourg" in epci.content.decode()
    assert len(epci.context["communes"]) == 33
    commune = client.get("/territoires/communes/67482/")
    assert "Strasbourg" in commune.content.decode() and commune.context["commune"].zone_emploi_id
    search = client.get("/territoires/", {"q": "Strasbourg"})
    assert any(c.code == "67482" for c in search.context["communes"])
    assert client.get("/territoires/epci/000000000/").status_code == 404


def test_switching_organisation_only_to_ones_own(client):
    strasbourg, mulhouse, other = epci_org("246700488"), epci_org("200066009"), epci_org("200041630")
    user = make_member(strasbourg)
    from tandem.organizations.services import membership_set

    membership_set(organization=mulhouse, user=user, role=Role.LECTEUR)
    client.force_login(user)
    client.post("/organisation/choisir/", {"organization": mulhouse.pk})
    assert client.get("/").context["organization"] == mulhouse
    client.post("/organisation/choisir/", {"organization": other.pk})
    assert client.get("/").context["organization"] == mulhouse


def test_organisation_admin_manages_members(client):
    from tandem.core.models import AuditEvent
    from tandem.organizations.models import Membership
    from tests.factories import make_user

    org = epci_org("246700488")
    admin = make_member(org, Role.ADMIN)
    newcomer = make_user("nouvelle.recrue")
    newcomer.email = "nouvelle.recrue@example.fr"
    newcomer.save()
    client.force_login(admin)
    client.post("/organisation/membres/", {"email": "Nouvelle.Recrue@example.fr", "role": Role.CONTRIBUTEUR})
    assert AuditEvent.objects.filter(object_type="organizations.invitation", action="create").exists()
    client.force_login(newcomer)
    invitation = org.invitations.get()
    client.post(f"/organisation/invitations/{invitation.pk}/", {"answer": "accepter"})
    membership = Membership.objects.get(user=newcomer, organization=org)
    assert membership.role == invitation.role == Role.CONTRIBUTEUR
    assert AuditEvent.objects.filter(object_type="organizations.membership", action="create").exists()
    client.force_login(admin)
    client.post("/organisation/membres/", {"remove": membership.pk})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # The last administrator cannot be removed.
    own = Membership.objects.get(user=admin)
    response = client.post("/organisation/membres/", {"remove": own.pk}, follow=True)
    assert "au moins un administrateur" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_members_page_is_read_only_for_contributors(client):
    from tandem.organizations.models import Membership
    from tests.factories import make_user

    org = epci_org("246700488")
    client.force_login(make_member(org, Role.CONTRIBUTEUR))
    make_user("quelquun")
    client.post("/organisation/membres/", {"email": "quelquun@example.fr", "role": Role.ADMIN})
    assert not Membership.objects.filter(user__username="quelquun").exists()
    assert not org.invitations.exists()
    assert "Inviter un membre" not in client.get("/organisation/membres/").content.decode()

"""A partner to whom an EPCI routes a need finds it on its home page (« Besoins qui vous sont adressés »),
with a link to the routing it answers and to all the needs received; the block leaves once it is answered, and
is absent for an organisation that never receives needs."""

import re
from html import unescape

import pytest

from tandem.catalogue.models import Office, Operator, Subject
from tandem.catalogue.services import routing_close, routing_send
from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member, other_org

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"


def block(client, block_id: str) -> str | None:
    html = client.get("/").content.decode()
    match = re.search(rf'<section class="card" id="{block_id}".*?</section>', html, re.S)
    return " ".join(unescape(match.group(0)).split()) if match else None


def test_the_partner_finds_the_routed_need_on_its_home_page(client):
    partner_org = other_org(Organization.Kind.OPERATEUR)
    operator = Operator.objects.create(name="Opérateur fictif (démo)", slug="fictif-accueil", is_demo=True)
    operator.subjects.add(Subject.objects.create(slug="recruter", label="Recruter"))
    office = Office.objects.create(
        operator=operator, key="acc67", name="Antenne 67", organization=partner_org
    )
    office.departements.add("67")
    strasbourg = epci_org(STRASBOURG)
    referent, partner = make_member(strasbourg), make_member(partner_org)
    need = need_create(
        actor=Actor.for_user(referent, strasbourg.pk),
        owner=strasbourg,
        company=make_company("67482", name="ATELIERS FICTIFS DE L'ILL"),
        topic=Need.Topic.RECRUITMENT,
        title="Recruter trois soudeurs",
    )

    client.force_login(partner)
    assert block(client, "block-routings") is None  # nothing ever routed to this partner: no empty block

    routing = routing_send(actor=Actor.for_user(referent, strasbourg.pk), need=need, office=office)
    html = client.get("/").content.decode()
    inbox = block(client, "block-routings")
    assert inbox is not None and "Besoins qui vous sont adressés" in inbox
    assert "ATELIERS FICTIFS DE L'ILL : Recruter trois soudeurs" in inbox and "envoyé" in inbox
    assert f'href="/catalogue/orientations/{routing.pk}/"' in html
    assert 'href="/catalogue/orientations/"' in html

    routing_close(actor=Actor.for_user(partner, partner_org.pk), routing=routing, outcome="done")
    inbox = block(client, "block-routings")
    assert "Recruter trois soudeurs" not in inbox
    assert "Aucun besoin adressé à votre organisation n'attend de réponse." in inbox

    client.force_login(referent)  # the EPCI routes needs, it does not receive any
    assert block(client, "block-routings") is None

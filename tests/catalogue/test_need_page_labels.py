"""The need's schemes and partners page tells what Tandem knows of the company in words: the INSEE headcount
band and the NAF activity by their labels, never a bare nomenclature code (« tranche 31 »)."""

import re
from html import unescape

import pytest

from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"


def test_the_company_profile_reads_in_words(client):
    strasbourg = epci_org(STRASBOURG)
    referent = make_member(strasbourg)
    company = make_company("67482", name="CHARPENTES FICTIVES", naf="25.11Z", headcount_band="31")
    need = need_create(
        actor=Actor.for_user(referent, strasbourg.pk),
        owner=strasbourg,
        company=company,
        topic=Need.Topic.FINANCING,
        title="Bâtiment de 2 000 m²",
    )
    client.force_login(referent)
    html = client.get(f"/catalogue/besoins/{need.pk}/").content.decode()
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    profile = text.split("Ce que Tandem sait de l'entreprise (SIRENE) :")[1].split(";")[0]
    assert "200 à 249 salariés" in profile  # INSEE band 31
    assert "tranche 31" not in profile
    assert "25.11Z (Fabrication de structures métalliques et de parties de structures)" in profile

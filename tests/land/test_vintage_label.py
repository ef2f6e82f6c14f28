"""A site's sheet names its last vintage in words (the CNIG standard, its number, its date), never the
internal scope key (« sites_economiques:246700488 »)."""

import re
from html import unescape

import pytest
from django.utils import timezone

from tandem.land.models import Site, Vintage
from tandem.organizations.models import Role
from tests.factories import communes_of, epci_org, make_member
from tests.land.inventory_builders import make_site

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"


def test_the_site_sheet_names_its_vintage_in_words(client):
    owner = epci_org(STRASBOURG)
    site = make_site(owner, communes_of(STRASBOURG)[0])
    vintage = Vintage.objects.create(
        standard="sites_economiques", scope=f"sites_economiques:{STRASBOURG}", number=3, owner=owner
    )
    Site.objects.unscoped().filter(pk=site.pk).update(last_vintage=vintage)
    client.force_login(make_member(owner, Role.LECTEUR))
    html = client.get(f"/foncier/sites/{site.pk}/").content.decode()
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    day = timezone.localtime(vintage.created_at).strftime("%d/%m/%Y")
    assert f"Dernier millésime CNIG Sites économiques — millésime 3 du {day}" in text
    assert "sites_economiques:" not in text

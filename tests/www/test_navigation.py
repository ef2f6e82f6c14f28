"""Menus offer what the user may open; error pages are French and in the site's layout; pagination and
exports keep one `page` parameter at most; the journal names objects in French."""

import re

import pytest
from django.test import Client, RequestFactory

from tandem.core.audit import audit_record
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.www.views.errors import server_error
from tests.factories import epci_org, make_member, make_user

pytestmark = pytest.mark.django_db

LAYOUT = 'aria-label="Menu principal"'


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Menu principal".*?</nav>', html, re.S).group(0)


def test_journal_opens_for_contributors_read_only_and_is_not_offered_to_readers(client):
    org = epci_org("246700488")
    contributor = make_member(org, Role.CONTRIBUTEUR)
    reader = make_member(org, Role.LECTEUR)
    from tandem.companies.models import Need

    audit_record(actor=Actor.for_user(contributor), action="create", object_type=Need._meta.label_lower)
    client.force_login(contributor)
    home = client.get("/").content.decode()
    assert "/journal/" in _nav(home)
    journal = client.get("/journal/")
    assert journal.status_code == 200
    text = journal.content.decode()
    assert "companies.need" not in text and "Besoin" in text
    assert '<form method="post"' not in text.split("<main", 1)[1]  # read-only: nothing to submit

    client.force_login(reader)
    assert "/journal/" not in _nav(client.get("/").content.decode())
    assert client.get("/journal/").status_code == 404


def test_members_link_only_with_an_organisation(client):
    client.force_login(make_user("plateforme", superuser=True))
    html = client.get("/").content.decode()
    assert "/organisation/membres/" not in _nav(html) and "/journal/" in _nav(html)
    client.force_login(make_member(epci_org("200066009"), Role.LECTEUR))
    assert "/organisation/membres/" in _nav(client.get("/").content.decode())


def test_forbidden_import_is_a_french_page_in_the_layout_and_not_offered(client):
    client.force_login(make_member(epci_org("246700488"), Role.LECTEUR))
    inventory = client.get("/foncier/").content.decode()
    assert "/foncier/import/" not in inventory
    response = client.get("/foncier/import/")
    assert response.status_code == 403
    text = response.content.decode()
    assert LAYOUT in text and "Action non autorisée" in text
    assert "Vous ne pouvez pas importer de données foncières." in text


def test_csrf_failure_is_french_in_the_layout():
    user = make_member(epci_org("246700488"), Role.LECTEUR)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/organisation/choisir/", {"organization": "1"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Session expirée" in text and LAYOUT in text and "CSRF verification failed" not in text


def test_server_error_page_is_french_without_the_request_context():
    response = server_error(RequestFactory().get("/"))
    text = response.content.decode()
    assert response.status_code == 500 and "Erreur du serveur" in text and '<html lang="fr">' in text


def test_not_found_is_french(client):
    client.force_login(make_member(epci_org("246700488"), Role.LECTEUR))
    response = client.get("/nulle-part/")
    assert response.status_code == 404 and "Page introuvable" in response.content.decode()


def test_pagination_and_exports_keep_one_page_parameter(client):
    client.force_login(make_user("plateforme", superuser=True))
    # The territory search pages its 1,250+ EPCI.
    html = client.get("/territoires/?page=2&page=1&page=2").content.decode()
    links = re.findall(r'href="(\?[^"]*)"', html)
    pager = [link for link in links if "page=" in link]
    assert pager, "la page doit proposer des liens de pagination"
    for link in pager:
        assert link.replace("&amp;", "&").count("page=") == 1
    companies = client.get("/entreprises/?page=2&q=x").content.decode()
    exports = re.findall(r'href="(/entreprises/export[^"]*)"', companies)
    assert exports and all("page=" not in e and "q=x" in e for e in exports)

"""Registry API: establishments with a count (capped at 1,000), filters, the perimeter of each organisation, protected fields."""

import csv
import re
from collections import Counter

import pytest
from django.db.models import Q
from rest_framework.authtoken.models import Token

from tandem.companies.generate import GeneratedCommune, write_stock_etablissement, write_stock_unite_legale
from tandem.companies.models import Establishment
from tandem.companies.sirene_import import sirene_import
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tests.conftest import shared_file
from tests.factories import communes_of, epci_org, make_member, make_user, region_org

pytestmark = pytest.mark.django_db
EMS = "246700488"  # Eurométropole de Strasbourg (67)
SYSTEM = Actor.system_actor()


def api(client, user):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=user).key}"
    return client


@pytest.fixture
def registry(tmp_path):
    """3,000 generated establishments in Bas-Rhin, Haut-Rhin and Moselle, with their legal units."""
    rows = Commune.objects.filter(is_current=True).order_by("code")
    picked = [
        *rows.filter(epci_id=EMS),
        *rows.filter(departement_id="68")[:100],
        *rows.filter(departement_id="57")[:100],
    ]
    communes = [
        GeneratedCommune(c.code, c.name, (c.postal_codes or [""])[0], 1050000.0, 6840000.0) for c in picked
    ]
    etab, ul = tmp_path / "e.csv", tmp_path / "u.csv"
    write_stock_etablissement(etab, rows=3000, communes=communes, seed=3)
    write_stock_unite_legale(ul, rows=3000, seed=3)
    sirene_import(path=etab, actor=SYSTEM)
    sirene_import(path=ul, actor=SYSTEM)
    with etab.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_establishments_by_departement_and_naf_with_count(client, registry):
    region = region_org("44")
    client = api(client, make_member(region))
    naf = Counter(
        r["activitePrincipaleEtablissement"] for r in registry if r["codeCommuneEtablissement"][:2] == "67"
    )
    code, expected = naf.most_common(1)[0]
    body = client.get("/api/v1/establishments/", {"departement": "67", "naf": code}).json()
    assert body["count"] == expected
    assert {r["naf"] for r in body["results"]} == {code}
    assert all(r["departement_code"] == "67" for r in body["results"])
    assert body["results"][0]["naf_label"]
    assert body["count_capped"] is False
    # The Région sees the whole registry: 3,000 rows, counted up to 1,000 (`count_capped`), every page
    # reachable through `next`.
    whole = client.get("/api/v1/establishments/", {"page_size": 400}).json()
    assert whole["count"] == 1000 and whole["count_capped"] is True
    sirets = [r["siret"] for r in whole["results"]]
    while whole["next"]:
        whole = client.get(whole["next"]).json()
        sirets += [r["siret"] for r in whole["results"]]
    assert sorted(sirets) == sorted(r["siret"] for r in registry)
    assert client.get("/api/v1/establishments/", {"page_size": 400, "page": 9}).status_code == 404
    closed = sum(r["etatAdministratifEtablissement"] == "F" for r in registry)
    assert client.get("/api/v1/establishments/", {"etat": "F"}).json()["count"] == closed
    assert client.get("/api/v1/establishments/", {"etat": "X"}).status_code == 400
    ems_communes = set(communes_of(EMS))
    in_ems = sum(r["codeCommuneEtablissement"] in ems_communes for r in registry)
    assert client.get("/api/v1/establishments/", {"epci": EMS}).json()["count"] == in_ems
    siren = registry[0]["siren"]
    assert client.get("/api/v1/establishments/", {"siren": siren}).json()["count"] == sum(
        r["siren"] == siren for r in registry
    )


def test_an_epci_lists_the_establishments_of_its_perimeter_only(client, registry):
    ems = epci_org(EMS)
    client = api(client, make_member(ems, role="lecteur"))
    ems_communes = set(communes_of(EMS))
    expected = sum(r["codeCommuneEtablissement"] in ems_communes for r in registry)
    body = client.get("/api/v1/establishments/", {"page_size": 1000}).json()
    assert body["count"] == expected > 0
    assert {r["commune"] for r in body["results"]} <= ems_communes
    assert client.get("/api/v1/establishments/", {"departement": "68"}).json()["count"] == 0


def test_users_without_organisation_and_anonymous_get_nothing(client, registry):
    assert client.get("/api/v1/establishments/").status_code in (401, 403)
    client = api(client, make_user())
    assert client.get("/api/v1/establishments/").json()["count"] == 0
    assert client.get(f"/api/v1/companies/{registry[0]['siren']}/").status_code == 404


def test_company_detail_hides_protected_fields(client, registry):
    region = region_org("44")
    client = api(client, make_member(region))
    hidden = Establishment.objects.filter(diffusion="P").select_related("company").first()
    assert hidden is not None  # the generator marks every 53rd company « P »
    body = client.get(f"/api/v1/companies/{hidden.company_id}/").json()
    assert body["siren"] == hidden.company_id
    row = next(e for e in body["establishments"] if e["siret"] == hidden.siret)
    assert row["diffusion"] == "P"
    assert (row["street_name"], row["latitude"], row["lambert_x"], row["signboard"]) == (
        None,
        None,
        None,
        None,
    )
    assert row["commune_code"] == hidden.commune_code and row["postcode"] == hidden.postcode
    public = Establishment.objects.filter(diffusion="O", lambert_x__isnull=False).first()
    row = client.get(f"/api/v1/establishments/?q={public.siret}").json()["results"][0]
    assert row["street_name"] and row["latitude"] is not None
    assert client.get("/api/v1/companies/000000000/").status_code == 404


def test_real_sample_through_the_api(client):
    sirene_import(path=shared_file("real/sirene/stock_etablissement_format_sample_2024.csv"), actor=SYSTEM)
    client = api(client, make_user(superuser=True))
    body = client.get("/api/v1/establishments/", {"departement": "80"}).json()
    assert body["count"] == 115
    assert client.get("/api/v1/establishments/", {"naf": "68.20B"}).json()["count"] == 13


def named(word: str):
    """The search's rule written plainly (no accents in these words): company name or usual name, public
    signboard or usual name of the establishment, or its commune's name contains `word`."""
    return Establishment.objects.filter(
        Q(company__name__icontains=word)
        | Q(company__usual_name__icontains=word)
        | Q(diffusion="O", signboard__icontains=word)
        | Q(diffusion="O", usual_name__icontains=word)
        | Q(commune_code__in=Commune.objects.filter(name__icontains=word).values("code"))
    )


def test_the_region_s_registry_list_counts_up_to_a_thousand(client, registry):
    """The Région's search over the whole registry: a frequent word (every generated company is « ENTREPRISE
    FICTIVE n ») counts up to 1,000 and lists its first rows by SIRET; a rarer one is counted exactly and
    sorted by name, as before."""
    client.force_login(make_member(region_org("44")))
    html = client.get("/entreprises/", {"q": "fictive", "fermes": "1"}).content.decode()
    matching = named("fictive")
    assert matching.count() > 1000
    assert 'data-count-capped="1"' in html and "listés par numéro SIRET" in html
    shown = re.findall(r'data-siret="(\d+)"', html)
    assert shown == list(matching.order_by("siret").values_list("siret", flat=True)[:50])
    last = client.get("/entreprises/", {"q": "fictive", "fermes": "1", "page": 21}).content.decode()
    assert 'rel="next"' not in last and "Page 21<" in last  # no « / N » when the count stops at the cap

    html = client.get("/entreprises/", {"q": "fictive 12", "fermes": "1"}).content.decode()
    expected = named("fictive 12")
    assert 0 < expected.count() <= 1000
    assert f'data-count="{expected.count()}"' in html and "data-count-capped" not in html
    shown = re.findall(r'data-siret="(\d+)"', html)
    assert shown == list(expected.order_by("company__name", "siret").values_list("siret", flat=True)[:50])

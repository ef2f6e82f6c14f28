"""Search is accent- and case-insensitive for companies, establishments, sites and communes, and the trigram
indexes on `tandem_unaccent(column)` serve it."""

from datetime import date

import pytest
from django.db import connection

from tandem.companies.models import Company, Establishment
from tandem.companies.selectors import registry_establishments
from tandem.companies.selectors_followup import establishments_for
from tandem.land.selectors import site_list
from tandem.organizations.perms import Actor
from tandem.territories.selectors import commune_list
from tests.factories import epci_org, make_member
from tests.land.inventory_builders import make_site

pytestmark = pytest.mark.django_db
ADMIN = Actor.system_actor()


@pytest.fixture
def registry():
    steel = Company.objects.create(siren="900000101", name="ACIÉRIE DE LA MOSELLE", state="A")
    mechanics = Company.objects.create(siren="900000102", name="SARL DUPONT", state="A")
    other = Company.objects.create(siren="900000103", name="BOULANGERIE DU CENTRE", state="A")
    for company, nic, signboard in (
        (steel, "00011", ""),
        (mechanics, "00012", "Mécanique de Précision Œuvre"),
        (other, "00013", "Pains et gâteaux"),
    ):
        Establishment.objects.create(
            siret=company.siren + nic,
            company=company,
            nic=nic,
            state="A",
            diffusion="O",
            signboard=signboard,
            commune_label="MONTIGNY-LÈS-METZ",
            commune_code="57480",
            created_on=date(2010, 1, 1),
        )
    return steel, mechanics, other


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acierie", {"900000101"}),
        ("ACIERIE de la", {"900000101"}),
        ("Aciérie", {"900000101"}),
        ("mecanique", {"900000102"}),
        ("MÉCANIQUE DE PRECISION", {"900000102"}),
        ("oeuvre", {"900000102"}),  # « Œ » folds to « OE »
        ("pains", {"900000103"}),
        ("montigny-les-metz", {"900000101", "900000102", "900000103"}),
        ("100%", set()),  # LIKE wildcards in the query are literal characters
        ("_", set()),
    ],
)
def test_registry_search_ignores_accents_and_case(registry, q, expected):
    found = {e.company_id for e in registry_establishments(ADMIN, q=q)}
    assert found == expected
    listed = {e.company_id for e in establishments_for(ADMIN, q=q, whole_registry=True)}
    assert listed == expected


def test_site_and_commune_search_ignore_accents_and_case():
    owner = epci_org("200039709")
    steel = make_site(owner, "57463", site_nom="Zone de l'Aciérie")
    park = make_site(owner, "57463", site_nom="Parc d'activités Actypôle")
    assert [s.pk for s in site_list(ADMIN, q="acierie")] == [steel.pk]
    assert [s.pk for s in site_list(ADMIN, q="ACTYPOLE")] == [park.pk]
    assert {c.code for c in commune_list(q="montigny-les-metz")} == {"57480"}
    assert "57480" in {c.code for c in commune_list(q="MONTIGNY-LÈS")}


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("territories_commune", "name"),
        ("companies_company", "name"),
        ("companies_establishment", "signboard"),
        ("land_site", "site_nom"),
    ],
)
def test_trigram_indexes_serve_the_search(table, column):
    """With sequential and plain index scans disabled, the planner can only answer through a bitmap scan of
    the trigram index: proof that the index expression is the one the lookup writes."""
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    queryset = model._base_manager.filter(**{f"{column}__unaccent_icontains": "montigny-les"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"Bitmap Index Scan on {table}_{column}_trgm" in plan


COMMUNE_NAMES = {"57463": "Metz", "67482": "Strasbourg"}


def _fold(text: str) -> str:
    """Accents and case away, as a reader would compare: « Mécanique » → « mecanique » (the oracle)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


@pytest.fixture
def crowded_registry():
    """300 establishments in Metz and Strasbourg named from a few trade words, so that a
    word matches more rows than a page holds, through each searched field."""
    import random

    rng = random.Random(5)
    words = ["MÉCANIQUE", "LOGISTIQUE", "SCIERIE", "FONDERIE", "TRANSPORTS"]
    companies = Company.objects.bulk_create(
        Company(
            siren=f"{910000000 + k}",
            name=f"{rng.choice(words)} {rng.choice(['DU NORD', 'MOREAU', 'DE L EST'])} {k}",
            usual_name=rng.choice(["", "", "LA FONDERIE"]),
            state="A",
        )
        for k in range(150)
    )
    establishments = []
    for k in range(300):
        company = companies[rng.randrange(150)]
        establishments.append(
            Establishment(
                siret=f"{company.siren}{k:05d}",
                company=company,
                nic=f"{k:05d}",
                state="A",
                diffusion=rng.choice("OOOP"),
                signboard=rng.choice(["", "", "Scierie du coin", "Mécanique générale"]),
                usual_name=rng.choice(["", "", "Transports rapides"]),
                commune_code=(code := rng.choice(["57463", "67482"])),
                commune_id=code,
                commune_label="",
            )
        )
    return Establishment.objects.bulk_create(establishments)


@pytest.mark.parametrize("q", ["mecanique", "FONDERIE", "scierie", "transports", "moreau 1", "metz"])
def test_registry_search_pages_equal_a_brute_force_search(crowded_registry, q):
    """Every page of the registry search (the whole registry: each branch stops at the page's end; an EPCI:
    one pass over its establishments) holds the rows a brute-force reading of the establishments gives, in
    SIRET order, and the count is the number of matches; the follow-up's list holds the same rows."""
    from tandem.territories.models import Commune

    metz = make_member(epci_org(Commune.objects.get(pk="57463").epci_id))  # Metz's EPCI, not Strasbourg's
    for actor, communes in ((ADMIN, {"57463", "67482"}), (Actor.for_user(metz), {"57463"})):
        expected = sorted(
            e.siret
            for e in crowded_registry
            if e.commune_code in communes
            and (
                _fold(q) in _fold(e.company.name)
                or _fold(q) in _fold(e.company.usual_name)
                or (
                    e.diffusion == "O" and (_fold(q) in _fold(e.signboard) or _fold(q) in _fold(e.usual_name))
                )
                or _fold(q) in _fold(COMMUNE_NAMES[e.commune_code])
            )
        )
        results = registry_establishments(actor, q=q)
        assert results.count() == len(expected)
        for start, stop in ((0, 10), (10, 20), (5, 40), (0, 1000)):
            assert [e.siret for e in results[start:stop]] == expected[start:stop], (actor, start, stop)
        assert [e.siret for e in results] == expected
        # The follow-up's company list reads the same rule (sorted by company name).
        listed = establishments_for(actor, q=q, whole_registry=actor is ADMIN)
        assert sorted(e.siret for e in listed) == expected

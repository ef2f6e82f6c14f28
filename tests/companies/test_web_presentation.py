"""Company pages in words, not codes; review forms that refuse what they cannot save; the export of a whole
review; actions offered only where the permission layer accepts them; the Parcours target where it applies."""

import csv
import io
import re

import pytest
from django.utils import timezone

from tandem.companies.followup import advisor_assign
from tandem.companies.models import ProjectReview
from tandem.companies.reviews import review_create
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import PASSWORD, communes_of, epci_org, make_member, region_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    sxb, mul = epci_org("246700488"), epci_org("200066009")
    return {
        "sxb": sxb,
        "mul": mul,
        "company": make_company(communes_of("246700488")[0], name="ATELIERS FICTIFS", headcount_band="11"),
        "sxb_user": make_member(sxb, username="agent.sxb"),
        "mul_user": make_member(mul, username="agent.mul"),
    }


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_headcount_bands_are_the_insee_labels():
    from tandem.companies.nomenclatures import headcount_label

    with open(shared_file("real/sirene/tranches_effectifs_insee.csv"), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 16
    for row in rows:
        assert headcount_label(row["code"]), row["code"]
        if row["code"] not in ("NN", "00"):  # the two « no employee » bands are worded for units here
            assert headcount_label(row["code"]) == row["libelle"]


def test_company_pages_show_words_not_codes(client, ctx):
    _login(client, ctx["sxb_user"])
    html = client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()
    assert "10 à 19 salariés" in html
    assert not re.search(r"<td>11</td>", html)
    listing = client.get("/entreprises/").content.decode()
    assert "20 à 49 salariés" in listing and "<td>12</td>" not in listing  # the establishment's own band


def test_become_referent_is_offered_only_where_allowed(client, ctx):
    company = ctx["company"]
    advisor_assign(
        actor=Actor.for_user(ctx["sxb_user"]), company=company, user=ctx["sxb_user"], organization=ctx["sxb"]
    )
    _login(client, ctx["mul_user"])
    html = client.get(f"/entreprises/{company.siren}/").content.decode()
    assert 'id="become-referent"' not in html  # another EPCI's referent: the layer would refuse the handover
    other = make_member(ctx["sxb"], username="collegue.sxb")
    _login(client, other)
    assert 'id="become-referent"' in client.get(f"/entreprises/{company.siren}/").content.decode()
    _login(client, ctx["sxb_user"])  # already the referent
    assert 'id="become-referent"' not in client.get(f"/entreprises/{company.siren}/").content.decode()


def test_review_defaults_to_own_territory_refuses_a_name_as_siren_and_exports_everything(client, ctx):
    # « Test 200066009 » (Mulhouse) sorts first: Strasbourg's user must get its own territory, not that one.
    _login(client, ctx["sxb_user"])
    page = client.get("/entreprises/revues/").content.decode()
    area = re.search(r'<select name="area".*?</select>', page, re.S).group(0)
    selected = re.search(r'<option value="([^"]+)" selected>', area)
    assert selected and selected.group(1) == f"org:{ctx['sxb'].pk}"
    review = review_create(
        actor=Actor.for_user(ctx["sxb_user"]),
        owner=ctx["sxb"],
        organization=ctx["sxb"],
        held_on=timezone.localdate(),
    )
    detail = client.get(f"/entreprises/revues/{review.pk}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', detail)
    assert len(ids) == len(set(ids)), "identifiants en double"
    for field_id in re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', detail):
        assert f'for="{field_id}"' in detail, field_id
    response = client.post(
        f"/entreprises/revues/{review.pk}/action/",
        {"action-text": "Rappeler", "action-company": "ATELIERS FICTIFS"},
        follow=True,
    )
    assert (
        "n&#x27;est pas un SIREN" in response.content.decode()
        or "n'est pas un SIREN" in response.content.decode()
    )
    assert not review.actions.exists()
    client.post(f"/entreprises/revues/{review.pk}/compte-rendu/", {"minutes": "Tour de table"})
    client.post(
        f"/entreprises/revues/{review.pk}/decision/",
        {"decision-text": "Soutenir l'extension", "decision-company": ctx["company"].siren},
    )
    client.post(
        f"/entreprises/revues/{review.pk}/action/",
        {"action-text": "Rappeler", "action-company": ctx["company"].siren},
    )
    assert ProjectReview.objects.unscoped().get(pk=review.pk).actions.get().company == ctx["company"]
    text = client.get(f"/entreprises/revues/{review.pk}/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    sections = [r[0] for r in rows[1:]]
    assert {"compte rendu", "décision", "action"} <= set(sections)
    assert any(r[0] == "action" and r[1] == ctx["company"].siren and "Rappeler" in r[3] for r in rows)


def test_parcours_target_is_shown_to_the_region_only(client, ctx):
    _login(client, ctx["sxb_user"])
    html = client.get("/entreprises/parcours/").content.decode()
    assert "Entrées nécessaires par an" not in html and 'id="parcours-target"' in html
    region_user = make_member(region_org(), username="agent.region")
    _login(client, region_user)
    html = client.get("/entreprises/parcours/").content.decode()
    assert "Entrées nécessaires par an" in html


def test_legal_categories_are_named_in_words_on_the_real_registry_sample():
    """Every legal category of the real StockUniteLegale sample has words; the words agree with what the
    companies call themselves (« … SAS », « … SARL », « … SA » at the end of their name)."""
    from tandem.companies.nomenclatures import legal_category_label

    path = shared_file("real/sirene/stock_unite_legale_format_sample_2024_personnes_morales.csv")
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 526
    unnamed = {
        r["categorieJuridiqueUniteLegale"]
        for r in rows
        if not legal_category_label(r["categorieJuridiqueUniteLegale"])
    }
    assert not unnamed
    expected = {"SAS": "Société par actions simplifiée", "SARL": "Société à responsabilité limitée (SARL)"}
    checked = 0
    for r in rows:
        suffix = r["denominationUniteLegale"].split()[-1:]
        label = legal_category_label(r["categorieJuridiqueUniteLegale"])
        if suffix and suffix[0] in expected:
            assert label == expected[suffix[0]], r["denominationUniteLegale"]
            checked += 1
        elif suffix == ["SA"]:
            assert label.startswith("Société anonyme"), r["denominationUniteLegale"]
            checked += 1
    assert checked >= 5
    assert legal_category_label("") == "" and legal_category_label("0000") == ""


def test_company_page_names_the_legal_category(client, ctx):
    company = ctx["company"]
    company.legal_category = "5710"
    company.save(update_fields=["legal_category"])
    _login(client, ctx["sxb_user"])
    html = client.get(f"/entreprises/{company.siren}/").content.decode()
    assert "<dd>Société par actions simplifiée (5710)</dd>" in html

"""The BMO survey import on the real 2024 Grand Est files, and its use in matching, answer file and value."""

import csv
import math
from datetime import date

import pytest
from rest_framework.test import APIClient

from tandem.core.errors import UserError
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.prospects.labour import basin_figures, basin_market, bmo_import
from tandem.prospects.models import BmoBasin, BmoBasinCommune, BmoJob
from tests.conftest import shared_file
from tests.factories import epci_org, make_member
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db
BMO = "real/economy/bmo_2024/bmo_2024_grand_est.csv"
BASSINS = "real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"


def rows_of(relative):
    with open(shared_file(relative), encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def bmo():
    result = bmo_import(
        actor=Actor.system_actor(), bmo_path=shared_file(BMO), bassins_path=shared_file(BASSINS)
    )
    yield result


def test_real_file_imported_with_secrets_kept_missing_and_reimport_changes_nothing(bmo):
    rows = rows_of(BMO)
    assert (bmo.created, bmo.updated, bmo.unchanged) == (len(rows), 0, 0) == (5159, 0, 0)
    assert BmoBasin.objects.count() == len({r["BE24"] for r in rows}) == 43
    assert BmoBasinCommune.objects.count() == len({r["code_commune_insee"] for r in rows_of(BASSINS)})
    assert BmoJob.objects.filter(projects__isnull=True).count() == sum(r["met"] == "*" for r in rows)
    # Mulhouse's basin: published projects and the share of difficult ones, recomputed from the file itself.
    basin = BmoBasinCommune.objects.get(commune_code="68224").basin_id
    mine = [r for r in rows if r["BE24"] == basin and r["met"] != "*"]
    both = [r for r in mine if r["xmet"] != "*"]
    figures = basin_figures()[basin]
    assert figures["projects"] == sum(int(r["met"]) for r in mine)
    assert figures["difficult_share"] == pytest.approx(
        sum(int(r["xmet"]) for r in both) / sum(int(r["met"]) for r in both)
    )
    again = bmo_import(
        actor=Actor.system_actor(), bmo_path=shared_file(BMO), bassins_path=shared_file(BASSINS)
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5159)


def test_bad_rows_are_reported_in_french_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bmo.csv"
    lines = open(shared_file(BMO), encoding="utf-8-sig").read().splitlines()[:4]
    lines[2] = lines[2].replace(",4404,", ",44X4,")
    lines[3] = lines[3].rsplit(",", 3)[0] + ",12,abc,*"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(UserError) as error:
        bmo_import(actor=Actor.system_actor(), bmo_path=bad, bassins_path=shared_file(BASSINS))
    text = str(error.value)
    assert (
        "bmo.csv, ligne 3, champ « BE24 » : code de bassin à 4 chiffres attendu (valeur : « 44X4 »)" in text
    )
    assert "bmo.csv, ligne 4, champ « xmet » : nombre entier ou « * » (secret statistique) attendu" in text
    assert not BmoJob.objects.exists() and not BmoBasin.objects.exists()


def test_matching_and_answer_use_the_basin_of_each_candidate(bmo):
    mulhouse = epci_org("200066009")
    terrain = make_terrain(make_site(mulhouse, "68224"), 6)
    user = make_member(mulhouse, Role.LECTEUR)
    client = APIClient()
    client.force_authenticate(user)
    body = client.post(
        "/api/v1/matching/", {"surface_min_ha": 3, "epcis": ["200066009"]}, format="json"
    ).json()
    (result,) = body["results"]
    assert result["id"] == f"terrain:{terrain.pk}"
    figures = basin_figures()[BmoBasinCommune.objects.get(commune_code="68224").basin_id]
    # docs/matching.md: half the pool on a log scale from 500 to 20,000 projects, half the ease of recruiting.
    size = (math.log(figures["projects"]) - math.log(500)) / (math.log(20_000) - math.log(500))
    expected = 0.08 * (0.5 * min(max(size, 0), 1) + 0.5 * (1 - figures["difficult_share"]))
    assert result["contributions"]["emploi"] == pytest.approx(expected)
    market = basin_market(
        "68224", skills=["H2Z90"] if BmoJob.objects.filter(job_code="H2Z90").exists() else []
    )
    assert market["projects"] == figures["projects"] and len(market["top"]) == 5
    assert market["top"][0]["projects"] >= market["top"][-1]["projects"]
    assert market["year"] == 2024


def test_answer_file_shows_the_labour_market_of_each_site(bmo):
    from tandem.organizations.models import Organization
    from tandem.prospects import services
    from tandem.prospects.answer import answer_context, answer_html
    from tests.factories import other_org

    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    lead, dev = make_member(agency, Role.CONTRIBUTEUR), make_member(mulhouse, Role.CONTRIBUTEUR)
    terrain = make_terrain(make_site(mulhouse, "68224"), 6)
    lead_actor = Actor.for_user(lead)
    prospect = services.prospect_create(
        actor=lead_actor, owner=agency, code_name="Projet Pic", surface_min_ha=3, skills=["D1X30"]
    )
    services.prospect_share(actor=lead_actor, prospect=prospect, organizations=[mulhouse], members=[dev])
    proposal = services.proposal_create(
        actor=Actor.for_user(dev),
        prospect=prospect,
        organization=mulhouse,
        kind="terrain",
        object_id=terrain.pk,
    )
    services.proposal_shortlist(actor=lead_actor, proposal=proposal)
    context = answer_context(
        actor=lead_actor,
        prospect=prospect,
        requirements=services.requirements_of(prospect),
        today=date.today(),
    )
    html = answer_html(context)
    market = context["sheets"][0]["labour"]
    assert f"{market['projects']} projets de recrutement publiés" in html
    assert "Ouvriers en chaudronnerie et tôlerie</strong> (recherché par le projet)" in html
    assert "!!MISSING" not in html


def test_a_skill_asked_as_a_rome_code_reads_its_fap_family_in_force(bmo):
    """A job title resolved to ROME (H2913) joins the BMO figures through the crosswalk in force, as in the gaps:
    nothing before the Région's review, the reviewed family after."""
    from tandem.skills.models import RomeFapReview

    published = {j["code"] for j in basin_market("68224", top=500)["top"]}
    assert "D0X31" in published
    assert basin_market("68224", skills=["H2913", "soudeur tig"])["skills"] == []
    RomeFapReview.objects.create(rome_code="H2913", decision="changed", proposed_family="", family_code="D0X31")
    market = basin_market("68224", skills=["H2913", "soudeur tig"])
    assert [j["code"] for j in market["skills"]] == ["D0X31"]

"""The ROME ↔ FAP 2021 crosswalk stored in the database: the proposal computed on the real referentials, the
Région's review (accept, change, reject) kept across a new proposal, the precision on the pairs a person checked,
the official Dares table taking precedence, and who may review (access per role, through HTTP).

The checked pairs are the hand-fixed file `rome_fap_checked_pairs.csv` (79 industry ROME codes with their FAP
2021 family, fixed by hand from both nomenclatures); expected figures are recomputed here from that file and the
stored rows, with `csv`, not by the code under test."""

from __future__ import annotations

import csv
from html import unescape
from pathlib import Path

import pytest
from django.test import Client
from openpyxl import Workbook

from tandem.core.errors import UserError
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.skills import selectors
from tandem.skills.importers import rome_fap_official_import, rome_fap_propose, rome_import
from tandem.skills.models import FapPost, RomeCode, RomeFapPair, RomeFapReview
from tandem.skills.services import rome_fap_review
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, make_user, other_org, region_org

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
CHECKED = Path(__file__).with_name("rome_fap_checked_pairs.csv")
FAP = "real/economy/bmo_2024/nomenclature_fap2021.csv"


def checked_pairs() -> dict[str, str]:
    with CHECKED.open(encoding="utf-8", newline="") as handle:
        return {row["code_rome"]: row["code_fap228"] for row in csv.DictReader(handle)}


def load_rome():
    rome_import(
        actor=SYSTEM,
        codes_path=shared_file("real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"),
        titles_path=shared_file("real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"),
        version="4.60",
    )


def test_proposal_stored_reviewed_kept_across_reproposal_and_measured_on_checked_pairs(tmp_path):
    load_rome()
    result = rome_fap_propose(
        actor=SYSTEM,
        fap_path=shared_file(FAP),
        domains_path=shared_file("real/skills/certifinfo_rome/domaine_professionnel.csv"),
    )
    assert result.run.status == "done"
    # the nomenclature: 341 posts, as many as the file's data rows
    with shared_file(FAP).open(encoding="utf-8-sig", newline="") as handle:
        fap_rows = list(csv.DictReader(handle, delimiter=";"))
    assert FapPost.objects.count() == len(fap_rows) == 341
    families = {r["Code_FAP228"] for r in fap_rows}
    # every ROME code has a best family with a confidence in [0, 1], and alternatives
    best = {p.rome_code: p for p in RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED, rank=1)}
    assert set(best) == set(RomeCode.objects.values_list("code", flat=True))
    assert all(p.family_code in families and 0 <= p.confidence <= 1 for p in best.values())
    assert RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED, rank=2).count() == len(best)
    # nothing reviewed yet: no pair is in force
    assert selectors.rome_fap_in_force() == {}

    # a Région user reviews the hand-checked industry codes: accepts the right proposals, corrects the others
    checked = checked_pairs()
    assert len(checked) >= 50
    region = Actor.for_user(make_member(region_org("44"), Role.CONTRIBUTEUR))
    for code, expected in checked.items():
        if best[code].family_code == expected:
            rome_fap_review(actor=region, rome_code=code, decision="accepted")
        else:
            rome_fap_review(actor=region, rome_code=code, decision="changed", family_code=expected)
    right = sum(best[c].family_code == f for c, f in checked.items())
    figures = selectors.crosswalk_precision()
    assert figures["reviewed"] == len(checked)
    assert figures["accepted"] == right
    assert figures["precision"] == pytest.approx(right / len(checked))
    assert figures["precision"] >= 0.7  # a floor, the bench prints the figure

    # rejecting one: it maps to nothing; the in-force crosswalk is exactly the reviewed families
    rejected = next(iter(checked))
    rome_fap_review(actor=region, rome_code=rejected, decision="rejected")
    in_force = selectors.rome_fap_in_force()
    assert {c: [f for f, _ in v] for c, v in in_force.items()} == {
        c: [f] for c, f in checked.items() if c != rejected
    }
    assert "H2903" in selectors.fap_rome_in_force()[checked["H2903"]]

    # a new proposal replaces the proposed pairs but keeps every decision
    rome_fap_propose(actor=SYSTEM, fap_path=shared_file(FAP))
    assert RomeFapReview.objects.count() == len(checked)
    assert RomeFapReview.objects.get(rome_code=rejected).decision == "rejected"
    assert selectors.rome_fap_in_force().keys() == in_force.keys()

    # the official Dares table (published layout: title lines above the header) takes precedence
    book = Workbook()
    sheet = book.active
    sheet.append(["Table de correspondance ROME – FAP 2021"])
    sheet.append(["Source : Dares"])
    sheet.append([])
    sheet.append(["Code ROME", "Libellé ROME", "Code FAP 2021", "Intitulé FAP 2021"])
    sheet.append(["H2903", "Conduite d'équipement d'usinage", "D0X31", "Ouvriers qualifiés de l'usinage"])
    sheet.append(["A1407", "Élevage bovin ou équin", "A0X41a", "Eleveurs de bovins ou d'équins"])
    path = tmp_path / "rome_fap2021_dares.xlsx"
    book.save(path)
    rome_fap_official_import(actor=SYSTEM, path=path)
    in_force = selectors.rome_fap_in_force()
    assert in_force["H2903"] == [("D0X31", "officiel (Dares)")]
    family = FapPost.objects.get(code="A0X41a").family_code
    assert family == "A0X41" and in_force["A1407"] == [(family, "officiel (Dares)")]
    assert selectors.crosswalk_precision()["official_codes"] == 2


def test_a_wrong_dares_table_is_refused_in_french_naming_file_line_and_field(tmp_path):
    load_rome()
    rome_fap_propose(actor=SYSTEM, fap_path=shared_file(FAP))
    bad = tmp_path / "dares.csv"
    bad.write_text("Code ROME;Code FAP 2021\nH2903;D0X31\nH29O3;D0X31\nH2904;Z9Z99\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        rome_fap_official_import(actor=SYSTEM, path=bad)
    text = str(caught.value) + " ".join(str(p) for p in caught.value.problems)
    assert "dares.csv" in text and "ligne 3" in text and "Code ROME" in text
    assert "ligne 4" in text and "nomenclature FAP 2021" in text
    assert not RomeFapPair.objects.filter(source=RomeFapPair.Source.OFFICIAL).exists()


# --- access per role to the review screen --------------------------------------------------------------------
KINDS = ["region", "epci", "agence"]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
ACTORS = [(k, r) for k in KINDS for r in ROLES] + [("platform_admin", None), ("anonymous", None)]


def reviews(kind, role) -> bool:
    """Stated here: the Région's contributors and administrators, and a platform administrator."""
    return kind == "platform_admin" or (kind == "region" and role in (Role.CONTRIBUTEUR, Role.ADMIN))


@pytest.fixture
def small_crosswalk():
    RomeCode.objects.create(code="H2903", label="Conduite d'équipement d'usinage", parent="H2903")
    FapPost.objects.create(code="D0X31", label="Ouvriers qualifiés de l'usinage", family_code="D0X31",
                           family_label="Ouvriers qualifiés de l'usinage", domain_code="D0X",
                           domain_label="Ouvriers de la mécanique", sector_code="D", sector_label="Mécanique")  # fmt: skip
    RomeFapPair.objects.create(rome_code="H2903", family_code="D0X31", post_code="D0X31", rank=1,
                               source=RomeFapPair.Source.PROPOSED, score=0.4, confidence=0.8)  # fmt: skip


@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_review_screen_access_per_role(small_crosswalk, kind, role):
    client = Client()
    if kind == "platform_admin":
        client.force_login(make_user(superuser=True))
    elif kind != "anonymous":
        org = {
            "region": lambda: region_org("44"),
            "epci": lambda: epci_org("200066009"),
            "agence": lambda: other_org(Organization.Kind.AGENCE),
        }[kind]()
        client.force_login(make_member(org, role))
    page = client.get("/competences/correspondances/")
    response = client.post("/competences/correspondances/H2903/", {"decision": "accepted"})
    if kind == "anonymous":
        assert page.status_code == 302 and "/connexion/" in page["Location"]
        assert response.status_code == 302 and "/connexion/" in response["Location"]
        assert not RomeFapReview.objects.exists()
        return
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "Conduite d'équipement d'usinage" in text
    assert ('name="decision"' in text) == reviews(kind, role)
    if reviews(kind, role):
        assert response.status_code == 302
        assert RomeFapReview.objects.get().family_code == "D0X31"
        after = unescape(client.get("/competences/correspondances/?etat=revues").content.decode())
        assert "Acceptée : Ouvriers qualifiés de l'usinage" in after
        assert "100 %" in after.replace("\u202f", " ").replace("\xa0", " ")
    else:
        assert response.status_code == 403
        assert not RomeFapReview.objects.exists()


def test_import_rome_fap_command_reports_in_french_and_a_dry_run_writes_nothing():
    from io import StringIO

    from django.core.management import call_command

    load_rome()
    out = StringIO()
    call_command("import_rome_fap", "--nomenclature", str(shared_file(FAP)), "--dry-run", stdout=out)
    assert "341 poste(s) FAP 2021, 1584 code(s) ROME proposés" in out.getvalue()
    assert not FapPost.objects.exists() and not RomeFapPair.objects.exists()

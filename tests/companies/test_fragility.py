"""BODACC collective proceedings become fragility signals for the companies of the registry."""

import csv
from collections import Counter

import pytest
from django.core.management import call_command

from tandem.companies.fragility import bodacc_import, proceeding_kind, signal_create
from tandem.companies.models import BodaccAnnouncement, Company, Signal
from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.perms import Actor, scope_queryset
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db
BODACC = "real/bodacc/bodacc_pcl_entreprises_20_salaries_plus_2020_2021.csv"
SYSTEM = Actor.system_actor()


def bodacc_rows():
    with shared_file(BODACC).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bodacc_import_keeps_every_judgment_and_signals_known_companies():
    region_org("44")
    rows = bodacc_rows()
    # Five companies of the file are in the registry (the real sample has none of them).
    known = sorted({r["RCS"].zfill(9) for r in rows})[:5]
    for siren in known:
        Company.objects.create(siren=siren, name=f"ENTREPRISE {siren}")
    result = bodacc_import(path=shared_file(BODACC), actor=SYSTEM)

    assert BodaccAnnouncement.objects.count() == len(rows) == 544
    kinds = Counter(BodaccAnnouncement.objects.values_list("kind", flat=True))
    assert kinds == Counter(proceeding_kind(r["NATURE"]) for r in rows)
    assert kinds == Counter({"liquidation": 414, "cloture": 127, "redressement": 3})
    expected = sum(r["RCS"].zfill(9) in known for r in rows)
    assert len(result.signals) == expected == Signal.objects.unscoped().filter(source="bodacc").count()
    assert set(Signal.objects.unscoped().values_list("company_id", flat=True)) == set(known)
    signal = Signal.objects.unscoped().filter(source="bodacc").order_by("observed_on").first()
    assert signal.description.startswith("BODACC : jugement")
    assert signal.rule.startswith("bodacc.") and signal.category == "collective_proceeding"
    # The one SIREN that lost its leading zero is completed, with a warning naming its line.
    assert [(w.line, w.field) for w in result.warnings] == [
        (i + 2, "RCS") for i, r in enumerate(rows) if len(r["RCS"]) == 8
    ]
    assert BodaccAnnouncement.objects.filter(siren="094130994").exists()

    again = bodacc_import(path=shared_file(BODACC), actor=SYSTEM)
    assert (again.announcements_created, len(again.signals)) == (0, 0)
    assert Signal.objects.unscoped().count() == expected


def test_bodacc_signals_follow_companies_added_later():
    region_org("44")
    bodacc_import(path=shared_file(BODACC), actor=SYSTEM)
    assert not Signal.objects.unscoped().exists()
    siren = bodacc_rows()[0]["RCS"]
    Company.objects.create(siren=siren)
    result = bodacc_import(path=shared_file(BODACC), actor=SYSTEM)
    assert result.announcements_created == 0
    assert [s.company_id for s in result.signals] == [siren] * sum(r["RCS"] == siren for r in bodacc_rows())


def test_a_bad_bodacc_file_is_refused_with_line_and_field(tmp_path):
    path = tmp_path / "bodacc.csv"
    path.write_text(
        "RCS,DATE,EFFECTIFS,NATURE\n345086177,2021-04-14,51,jugement de conversion en liquidation judiciaire\n"
        "ABC,2021-13-01,77,\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as error:
        bodacc_import(path=path, actor=SYSTEM)
    message = str(error.value)
    assert "bodacc.csv, ligne 3, champ « RCS »" in message
    assert "ligne 3, champ « DATE »" in message and "ligne 3, champ « EFFECTIFS »" in message
    assert "ligne 3, champ « NATURE »" in message
    assert not BodaccAnnouncement.objects.exists()


def test_import_bodacc_command(capsys):
    region_org("44")
    call_command("import_bodacc", str(shared_file(BODACC)))
    out = capsys.readouterr().out
    # The one import report: counts, then the file's facts, then the grouped warnings.
    assert "Import terminé — BODACC — procédures collectives" in out
    assert "544 créé(s), 0 modifié(s), 0 inchangé(s), 0 rejeté(s)" in out
    assert "544 jugement(s) lu(s), 0 concernant des entreprises du répertoire, 0 signal(aux) créé(s)" in out


def test_advisor_signal_is_private_to_its_organisation_by_default():
    from tests.factories import communes_of

    epci = epci_org("246700488")  # Eurométropole de Strasbourg
    other = epci_org("200067106")
    commune = communes_of("246700488")[0]
    company = Company.objects.create(siren="990000010", name="ENTREPRISE FICTIVE")
    company.establishments.create(siret="99000001000013", nic="00013", state="A", is_head_office=True,
                                  commune_id=commune, commune_code=commune)  # fmt: skip
    author = make_member(epci)
    actor = Actor.for_user(author)
    signal = signal_create(actor=actor, owner=epci, company=company, category="succession",
                           observed_on="2026-01-05", description="Dirigeant proche de la retraite")  # fmt: skip
    assert (signal.source, signal.commune_id, signal.created_by) == ("advisor", commune, author)
    assert scope_queryset(actor, Signal.objects.unscoped().all()).count() == 1
    assert scope_queryset(Actor.for_user(make_member(other)), Signal.objects.unscoped().all()).count() == 0
    with pytest.raises(NotAllowed):
        signal_create(actor=Actor.for_user(make_member(other)), owner=epci, company=company,
                      category="financing", observed_on="2026-01-05", description="x")  # fmt: skip

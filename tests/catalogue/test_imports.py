"""Catalogue importers on the real files of ../shared/data/real (counts from their PROVENANCE.md and from the
files read here with the standard library), idempotence, dry runs and French refusals."""

import csv
import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tandem.catalogue.importers import aides_territoires_import, operators_import, tee_import
from tandem.catalogue.models import IdccOpco, Office, Operator, Scheme, SchemeVersion, Subject
from tandem.imports.models import ImportRun
from tandem.organizations.perms import Actor
from tests.conftest import shared_file

OPERATORS = shared_file("real/operators")
TEE = shared_file("real/catalogue/tee")
AIDES = shared_file("real/catalogue/aides-territoires/aides-territoires_periurbain.csv")
SYSTEM = Actor.system_actor()


def _raw(relative):
    return json.loads((OPERATORS / relative).read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_operators_import_real_counts_and_coverage():
    result = operators_import(folder=OPERATORS, actor=SYSTEM)
    assert result.run.status == ImportRun.Status.DONE
    assert Subject.objects.count() == 37
    assert IdccOpco.objects.count() == 330
    assert IdccOpco.objects.values("opco_siren").distinct().count() == 11
    assert Operator.objects.filter(kind=Operator.Kind.OPCO, source="Transitions collectives").count() == 11
    # 64 TEE operators by name; the programme holders by SIREN (39 distinct in the file: PROVENANCE.md says 40).
    assert Operator.objects.filter(source="Mission Transition Écologique").count() == 64
    with (OPERATORS / "tee/programme_porteurs.csv").open(encoding="utf-8", newline="") as handle:
        holders = list(csv.DictReader(handle))
    assert (
        Operator.objects.exclude(siren="").count() == len({r["porteur_siren"] for r in holders} - {""}) == 39
    )
    # Every (OPCO, département) pair of the file is covered by an office of that OPCO.
    offices = _raw("transitions-collectives/opco_offices.json")
    pairs = {(r["opco_type"], r["departement"].strip()) for r in offices if r["departement"]}
    no_departement = sum(not r["departement"] for r in offices)
    warned = [p for p in result.run.problems if "sans département" in p["message"]]
    assert len(warned) == no_departement == 7
    covered = set()
    for office in Office.objects.filter(operator__kind=Operator.Kind.OPCO).select_related("operator"):
        code = office.operator.slug.removeprefix("opco-")
        covered |= {(code, d) for d in office.departements.values_list("code", flat=True)}
    assert {(c.lower(), d) for c, d in pairs} == covered
    ddets = [r["departement"] for r in _raw("transitions-collectives/ddets.json")]
    # 100 rows, 99 départements: the Haute-Marne (52) twice, reported.
    assert Office.objects.filter(operator__slug="ddets").count() == len(set(ddets)) == len(ddets) - 1 == 99
    assert any(p["value"] == "52" and "second service" in p["message"] for p in result.run.problems)
    # The Grand Est DDETS of the Bas-Rhin covers 67 and only it.
    office = Office.objects.get(operator__slug="ddets", departements="67")
    assert list(office.departements.values_list("code", flat=True)) == ["67"]
    # No placeholder address is kept as a mailbox.
    assert not Office.objects.filter(email="contact@adresse-retiree.invalid").exists()
    assert Office.objects.exclude(email="").exists()
    assert Operator.objects.get(slug="opco-akto").subjects.filter(slug="former").exists()

    again = operators_import(folder=OPERATORS, actor=SYSTEM)
    assert (again.run.created, again.run.updated) == (0, 0)
    assert again.run.unchanged == result.run.created


@pytest.mark.django_db
def test_operators_import_refuses_a_bad_file_with_file_line_and_field(tmp_path):
    folder = tmp_path / "operators"
    shutil.copytree(OPERATORS, folder)
    idcc = folder / "conseillers-entreprises/idcc_to_opco.csv"
    idcc.chmod(0o644)
    lines = idcc.read_text(encoding="utf-8").splitlines()
    lines[3] = "12X,851240499"
    idcc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", "operators", str(folder))
    text = str(refused.value)
    assert "conseillers-entreprises/idcc_to_opco.csv" in text and "ligne 4" in text and "idcc" in text
    assert "code IDCC à 4 chiffres attendu" in text
    assert Operator.objects.count() == 0 and Subject.objects.count() == 0
    assert list(ImportRun.objects.filter(kind__startswith="catalogue").values_list("kind", "status")) == [
        ("catalogue_operators", "refused")
    ]


@pytest.mark.django_db
def test_tee_import_real_programmes_versions_and_yaml_only():
    yaml_files = sorted((TEE / "programs").glob("*.yaml"))
    published = json.loads((TEE / "programs.json").read_text(encoding="utf-8"))
    dry = tee_import(folder=TEE, actor=SYSTEM, dry_run=True)
    assert dry.run.created >= len(yaml_files) and Scheme.objects.count() == 0

    result = tee_import(folder=TEE, actor=SYSTEM)
    assert Scheme.objects.filter(source=Scheme.Source.TEE).count() == len(yaml_files) == 264
    assert Scheme.objects.filter(published=True).count() == len(published) == 260
    yaml_only = {"cheque-vert-grand-est", "visite-energie-cci", "visite-energie-cma", "ormat-2024"}
    assert set(result.yaml_only) == yaml_only
    warned = {p["file"] for p in result.run.problems if "seulement en YAML" in p["message"]}
    assert warned == {f"programs/{pid}.yaml" for pid in yaml_only}
    assert SchemeVersion.objects.count() == 264

    cheque = Scheme.objects.get(slug="cheque-vert-grand-est")
    assert cheque.regions == ["Grand Est"] and not cheque.national
    assert cheque.operator is not None and cheque.nature == Scheme.Nature.FINANCING
    # national programmes: the ones programs.json gives no allowed region
    national = {
        p["id"] for p in published if not p.get("eligibilityData", {}).get("company", {}).get("allowedRegion")
    }
    assert (
        set(Scheme.objects.filter(published=True, national=True).values_list("slug", flat=True)) == national
    )

    again = tee_import(folder=TEE, actor=SYSTEM)
    assert (again.run.created, again.run.updated) == (0, 0) and SchemeVersion.objects.count() == 264

    # A new version of one programme is kept beside the old one.
    Scheme.objects.filter(slug="cheque-vert-grand-est").update(fingerprint="ancienne", title="ancien titre")
    third = tee_import(folder=TEE, actor=SYSTEM)
    assert third.run.updated == 1
    assert Scheme.objects.get(slug="cheque-vert-grand-est").title != "ancien titre"


@pytest.mark.django_db
def test_tee_import_refuses_a_programme_breaking_the_schema(tmp_path):
    folder = tmp_path / "tee"
    shutil.copytree(TEE, folder)
    bad = folder / "programs/cheque-vert-grand-est.yaml"
    bad.chmod(0o644)
    bad.write_text(bad.read_text(encoding="utf-8").replace("titre:", "titre_inconnu:", 1), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", "tee", str(folder))
    assert "cheque-vert-grand-est.yaml" in str(refused.value) and "titre" in str(refused.value)
    assert Scheme.objects.count() == 0


@pytest.mark.django_db
def test_aides_territoires_import_real_export():
    with AIDES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = aides_territoires_import(path=AIDES, actor=SYSTEM)
    assert Scheme.objects.filter(source=Scheme.Source.AIDES_TERRITOIRES).count() == len(
        {r["Lien"] for r in rows}
    )
    companies = sum("Entreprises privées" in r["Bénéficiaire"] for r in rows)
    assert Scheme.objects.filter(beneficiaries__contains=["Entreprises privées"]).count() == companies
    assert result.run.created == len(rows)
    again = aides_territoires_import(path=AIDES, actor=SYSTEM)
    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, len(rows))


@pytest.mark.django_db
def test_aides_territoires_import_names_the_bad_line(tmp_path):
    text = AIDES.read_text(encoding="utf-8")
    head, first, *rest = text.split("\n", 2)
    bad = tmp_path / "aides.csv"
    bad.write_text(
        head
        + "\n"
        + first.replace("https://aides-territoires.beta.gouv.fr/aides/", "http://ailleurs/", 1)
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", "aides-territoires", str(bad))
    assert (
        "aides.csv" in str(refused.value) and "ligne 2" in str(refused.value) and "Lien" in str(refused.value)
    )
    assert Scheme.objects.count() == 0


GRAND_EST_MAPPING = shared_file("real/catalogue/aides-territoires")
# No real record of the Région Grand Est aids API is available (PROVENANCE.md): a FICTITIOUS sample written in
# the API layout that the real mapping files describe (post_title, post_content, url, pro_fin, post_type,
# gui_beneficiaire, gui_competence…).
FICTITIOUS_GRAND_EST = [
    {
        "ID": 9001,
        "post_title": "Aide fictive à l'investissement industriel (démo)",
        "post_content": "<p>Soutien <strong>fictif</strong> aux investissements.</p>",
        "url": "https://exemple.invalid/aides/9001",
        "post_type": "ge_projet",
        "post_date": "2026-01-15 09:00:00",
        "pro_fin": "2026-06-30",
        "gui_beneficiaire": [{"name": "Entreprise - Artisan - Société"}],
        "gui_tax_competence": [{"name": "Forêt – Bois"}],
    },
    {
        "ID": 9002,
        "post_title": "Guide fictif des aides à l'emploi (démo)",
        "post_content": "Texte fictif.",
        "url": "https://exemple.invalid/aides/9002",
        "post_type": "ge_guide",
        "gui_beneficiaire": [{"name": "Association"}, {"name": "Bénéficiaire inconnu"}],
    },
]


@pytest.mark.django_db
def test_grand_est_api_layout_read_through_the_real_mappings(tmp_path):
    records = tmp_path / "aides_grand_est.json"
    records.write_text(json.dumps(FICTITIOUS_GRAND_EST, ensure_ascii=False), encoding="utf-8")
    from tandem.catalogue.importers import grand_est_import

    result = grand_est_import(path=records, mapping_folder=GRAND_EST_MAPPING, actor=SYSTEM)
    assert result.run.created == 2
    call = Scheme.objects.get(slug="grand-est-9001")
    assert call.source == Scheme.Source.GRAND_EST and call.regions == ["Grand Est"]
    # « Entreprise - Artisan - Société » → Entreprises privées, Agriculteurs (grand_est_api_audiences_mapping.csv)
    assert call.beneficiaries == ["Entreprises privées", "Agriculteurs"]
    assert call.description == "Soutien fictif aux investissements."
    assert str(call.valid_from) == "2026-01-15" and str(call.valid_until) == "2026-06-30"
    assert "Nature / Environnement" in call.data["_thématiques"]
    guide = Scheme.objects.get(slug="grand-est-9002")
    assert guide.valid_from is None and guide.beneficiaries == ["Associations"]
    [warning] = [p for p in result.run.problems if p["value"] == "Bénéficiaire inconnu"]
    assert warning["line"] == 2 and warning["field"] == "gui_beneficiaire"
    again = grand_est_import(path=records, mapping_folder=GRAND_EST_MAPPING, actor=SYSTEM)
    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, 2)

    FICTITIOUS_GRAND_EST[1]["pro_fin"] = "31/02/2026"
    records.write_text(json.dumps(FICTITIOUS_GRAND_EST, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", "grand-est", str(records), "--mapping", str(GRAND_EST_MAPPING))
    assert "aides_grand_est.json" in str(refused.value) and "pro_fin" in str(refused.value)
    assert "31/02/2026" in str(refused.value)
    del FICTITIOUS_GRAND_EST[1]["pro_fin"]

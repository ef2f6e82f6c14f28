"""Schemes the Région writes in the TEE format: its version of « Chèque Vert Grand Est » carries the NAF exclusion
that the TEE rules only state in words (« hors codes NAF 35, 41, 47.91 à 53… »), so the tool answers « non
éligible » for NAF 47.91; the form writes a valid TEE record, keeps versions, is refused to other roles, and a TEE
re-import keeps the Région's version."""

import datetime as dt
import json
import re
from html import unescape

import pytest
import yaml
from django.test import Client
from jsonschema import Draft202012Validator

from tandem.catalogue.eligibility.authoring import (
    AuthoringError,
    build_rules,
    naf_allowed_conditions,
    parse_naf_exclusions,
    read_fields,
    tee_record,
)
from tandem.catalogue.eligibility.evaluate import evaluate_programme
from tandem.catalogue.eligibility.profile import CompanyProfile, company_situation, programme_situation
from tandem.catalogue.eligibility.publicodes import UNDEFINED
from tandem.catalogue.eligibility.tee import Programme
from tandem.catalogue.eligibility.wording import ELIGIBLE, FAILED, NOT_ELIGIBLE, UNDETERMINED, UNKNOWN
from tandem.catalogue.importers import tee_import
from tandem.catalogue.models import Scheme
from tandem.catalogue.selectors import schemes_for_company
from tandem.companies.nomenclatures import naf_codes
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tests.catalogue.reference import REFERENCE_UNDEFINED, run_reference
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import PASSWORD, epci_org, make_member, make_user, other_org, region_org

TODAY = dt.date(2026, 12, 3)
# The exclusion as the Région types it in the form, copied from the scheme's own condition in words.
EXCLUDED = "35, 41, 47.91 à 53, 64 à 70, 84 à 88, 94, 97 à 99"
CHEQUE = "cheque-vert-grand-est"


def excluded_by_text(code: str) -> bool:
    """The written condition read by hand, on numbers (independent of the string comparisons of the rules)."""
    division, klass = int(code[:2]), float(code[:5])
    return (
        division in (35, 41, 94)
        or 47.91 <= klass < 54
        or 64 <= division <= 70
        or 84 <= division <= 88
        or division >= 97
    )


def region_version(programme) -> tuple[dict, Programme]:
    own = {name: programme.rules[name] for name in programme.own_rule_names}
    fields = read_fields(own)
    assert fields is not None, "les règles TEE du Chèque Vert se lisent en champs"
    assert (fields.max_employees, fields.exclude_micro, fields.regions) == (19, True, ["Grand Est"])
    fields.naf_exclusions = EXCLUDED
    rules = build_rules(fields)
    interface = {k: v for k, v in programme.rules.items() if k not in own}
    record = tee_record(
        base=programme.data,
        title=programme.data["titre"],
        promise=programme.data["promesse"],
        description=programme.data["description"],
        operator=programme.data["opérateur de contact"],
        nature=programme.data["nature de l'aide"],
        amount=programme.data["montant du financement"],
        steps=[s["description"] for s in programme.data["objectifs"]],
        text_conditions=programme.data["conditions d'éligibilité"],
        own_rules=rules,
    )
    version = Programme(
        id=CHEQUE,
        data=record,
        rules={**interface, **rules},
        own_rule_names=tuple(rules),
        published=False,
        source_file="region.yaml",
    )
    return record, version


def company(**facts) -> CompanyProfile:
    base = dict(
        headcount=12,
        micro_enterprise=False,
        naf_code="25.62B",
        region="Grand Est",
        objectives=frozenset({"energy"}),
    )
    return CompanyProfile(**{**base, **facts})


def test_region_version_of_cheque_vert_answers_the_issue(tee_catalogue, tee_folder):
    record, version = region_version(tee_catalogue.programmes[CHEQUE])
    schema = json.loads((tee_folder / "schemas/program-with-publicodes-schema.json").read_text())
    assert list(Draft202012Validator(schema).iter_errors(record)) == []  # the TEE format, as published

    assert evaluate_programme(version, company(), today=TODAY).status == ELIGIBLE
    larger = evaluate_programme(version, company(headcount=30), today=TODAY)
    assert larger.status == NOT_ELIGIBLE
    assert [c.label for c in larger.criteria_with(FAILED)] == ["Effectif salarié"]
    for code in ("47.91A", "47.91B"):
        retail = evaluate_programme(version, company(naf_code=code), today=TODAY)
        assert retail.status == NOT_ELIGIBLE and retail.status_label == "Non éligible", code
        failed = retail.criteria_with(FAILED)
        assert [(c.label, c.requirement) for c in failed] == [("Code NAF", f"hors codes NAF {EXCLUDED}")]
    # Next to the bound: 47.89Z stays eligible.
    assert evaluate_programme(version, company(naf_code="47.89Z"), today=TODAY).status == ELIGIBLE
    unknown = evaluate_programme(version, company(naf_code=None, naf_section_code="C"), today=TODAY)
    assert unknown.status == UNDETERMINED
    code = next(c for c in unknown.criteria if c.label == "Code NAF")
    assert code.status == UNKNOWN and code.questions == (
        "Quel est le code NAF (activité principale) de l'entreprise ?",
    )


def test_every_naf_code_follows_the_written_exclusion(tee_catalogue):
    _record, version = region_version(tee_catalogue.programmes[CHEQUE])
    sections = set(read_fields({k: version.rules[k] for k in version.own_rule_names}).naf_sections)
    codes = naf_codes()
    assert len(codes) > 700
    for code in codes:
        status = evaluate_programme(version, company(naf_code=code), today=TODAY).status
        allowed = not excluded_by_text(code) and code[:2] != "84"  # section O is left out by the TEE rules
        assert (status == ELIGIBLE) == allowed, code
        assert status in (ELIGIBLE, NOT_ELIGIBLE), code
    assert "O" not in sections


def test_region_rules_equal_the_reference_engine_on_every_naf_code(tee_catalogue):
    _record, version = region_version(tee_catalogue.programmes[CHEQUE])
    profiles = [company(naf_code=code) for code in naf_codes()]
    profiles += [company(naf_code=None), company(naf_code=None, naf_section_code="G"), CompanyProfile()]
    profiles += [company(headcount=h, micro_enterprise=m) for h in (0, 19, 20) for m in (True, False)]
    situations = []
    for profile in profiles:
        situation = company_situation(profile)
        situation.update(programme_situation(valid_from=None, valid_until=None, today=TODAY))
        situations.append(situation)
    ruleset = version.ruleset
    names = list(version.own_rule_names)
    reference = run_reference(
        {
            "situations": situations,
            "programmes": [
                {
                    "id": CHEQUE,
                    "rules": version.rules,
                    "situation": {},
                    "evaluate": names,
                    "inputs": sorted(ruleset.reachable(names)),
                }
            ],
        }
    )["results"][CHEQUE]
    assert "error" not in reference
    outcomes = set()
    for i, situation in enumerate(situations):
        evaluator = ruleset.evaluator(situation)
        for j, name in enumerate(names):
            ours = evaluator.evaluate(name)
            theirs = reference["values"][i][j]
            value = REFERENCE_UNDEFINED if ours.value is UNDEFINED else ours.value
            assert value == theirs, (profiles[i], name)
            assert sorted(ours.missing) == reference["missing"][i][j], (profiles[i], name)
            outcomes.add(repr(value))
    assert {"True", "False", repr(REFERENCE_UNDEFINED)} <= outcomes


def test_naf_exclusions_are_read_or_refused_in_french():
    assert [r.text for r in parse_naf_exclusions("35 ; 47.91 à 53")] == ["35", "47.91 à 53"]
    assert naf_allowed_conditions(parse_naf_exclusions("01 à 99")) == ['code NAF < "01"']  # no code is below
    assert naf_allowed_conditions(parse_naf_exclusions("41, 35 à 36")) == [
        'code NAF < "35"',
        {"toutes ces conditions": ['code NAF >= "37"', 'code NAF < "41"']},
        'code NAF >= "42"',
    ]
    with pytest.raises(AuthoringError, match="Code NAF illisible : « 4791Z » \\(champ « codes NAF exclus »"):
        parse_naf_exclusions("35, 4791Z")
    with pytest.raises(AuthoringError, match="à l'envers : « 53 à 47.91 »"):
        parse_naf_exclusions("53 à 47.91")


# --- in the web, as the Région ------------------------------------------------------------------------------


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_data(client, url) -> dict:
    """The form as the page fills it (initial values), ready to post back."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, dt.date):
            data[name] = value.strftime("%d/%m/%Y")
        elif value is not None:
            data[name] = value
    return data


@pytest.fixture
def catalogue(db):
    tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())


def test_region_writes_its_version_of_cheque_vert_in_the_web(catalogue):
    region = client_for(make_member(region_org("44")))
    url = f"/catalogue/dispositifs/{CHEQUE}/modifier/"
    data = form_data(region, url)
    assert data["regles"] == "champs" and data["effectif_max"] == 19 and data["regions"] == ["Grand Est"]
    assert "O" not in data["sections"] and data["naf_exclus"] == ""

    refused = region.post(url, {**data, "naf_exclus": "35, 4791Z"})
    assert refused.status_code == 200 and "Code NAF illisible : « 4791Z »" in text(refused)
    assert Scheme.objects.get(slug=CHEQUE).source == Scheme.Source.TEE

    saved = region.post(url, {**data, "naf_exclus": EXCLUDED})
    assert saved.status_code == 302
    scheme = Scheme.objects.get(slug=CHEQUE)
    assert scheme.source == Scheme.Source.REGION and scheme.versions.count() == 2
    assert "entreprise . a un code NAF hors exclusions" in scheme.own_rules
    assert scheme.regions == ["Grand Est"] and scheme.data["conditions d'éligibilité"]["secteur d'activité"]

    sheet = text(region.get(f"/catalogue/dispositifs/{CHEQUE}/"))
    assert "Versions enregistrées" in sheet and "saisie dans Tandem (version en vigueur)" in sheet
    assert f"Code NAF (hors codes NAF {EXCLUDED})" in sheet
    download = region.get(f"/catalogue/dispositifs/{CHEQUE}/fiche.yaml")
    published = yaml.safe_load(download.content.decode())
    assert published["titre"] == "Chèque Vert Grand Est" and sorted(published["publicodes"]) == sorted(
        scheme.own_rules
    )

    fits = {
        f.scheme.slug
        for f in schemes_for_company(make_company("67482", naf="25.62B", headcount_band="11"), today=TODAY)
    }
    assert CHEQUE in fits
    retail = make_company("67482", name="COMMERCE FICTIF EN LIGNE", naf="47.91A", headcount_band="11")
    assert CHEQUE not in {f.scheme.slug for f in schemes_for_company(retail, today=TODAY)}

    again = tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())
    scheme.refresh_from_db()
    assert (
        scheme.source == Scheme.Source.REGION
        and "entreprise . a un code NAF hors exclusions" in scheme.own_rules
    )
    assert scheme.versions.count() == 2  # the TEE version was already kept
    assert any("version de la Région conservée" in str(p) for p in again.run.problems)


def test_region_creates_a_grand_est_scheme(catalogue):
    region = client_for(make_member(region_org("44")))
    data = form_data(region, "/catalogue/dispositifs/nouveau/")
    data.update(
        titre="Étape fictive Grand Est Transformation (démo)",
        promesse="Un diagnostic fictif",
        description="Dispositif fictif de démonstration.",
        operateur="Région Grand Est",
        nature="étude",
        montant="Pris en charge à 100 %",
        etapes="Prendre contact\nRecevoir le diagnostic",
        regions=["Grand Est"],
        effectif_min="10",
        fin="31/12/2027",
    )
    missing = region.post("/catalogue/dispositifs/nouveau/", data)
    assert "Indiquez la durée (champ « durée de l'accompagnement »)" in text(missing)
    data["duree"] = "3 jours"
    assert region.post("/catalogue/dispositifs/nouveau/", data).status_code == 302
    scheme = Scheme.objects.get(title="Étape fictive Grand Est Transformation (démo)")
    assert (scheme.source, scheme.valid_until, scheme.regions) == (
        Scheme.Source.REGION,
        dt.date(2027, 12, 31),
        ["Grand Est"],
    )
    assert scheme.data["durée de l'accompagnement"] == "3 jours" and scheme.versions.count() == 1


SCHEME_EDIT_EXPECTED = {  # GET the form, POST it (403 refused, 302 saved / login page)
    "region_contributor": (200, 302),
    "region_admin": (200, 302),
    "platform_admin": (200, 302),
    "region_reader": (403, 403),
    "epci_contributor": (403, 403),
    "partner": (403, 403),
    "anonymous": (302, 302),
}


def test_scheme_editing_by_role(catalogue):
    region = region_org("44")
    users = {
        "region_contributor": make_member(region),
        "region_admin": make_member(region, role=Role.ADMIN),
        "platform_admin": make_user(superuser=True),
        "region_reader": make_member(region, role=Role.LECTEUR),
        "epci_contributor": make_member(epci_org("246700488")),
        "partner": make_member(other_org(Organization.Kind.OPERATEUR)),
    }
    url = f"/catalogue/dispositifs/{CHEQUE}/modifier/"
    data = form_data(client_for(users["region_contributor"]), url)
    for role, expected in SCHEME_EDIT_EXPECTED.items():
        client = Client() if role == "anonymous" else client_for(users[role])
        got = (client.get(url).status_code, client.post(url, data).status_code)
        assert got == expected, role
    versions = Scheme.objects.get(slug=CHEQUE).versions.count()
    assert versions == 2  # saved by the allowed roles, the same record each time: one new version


def test_region_version_as_a_yaml_file_replaces_the_tee_file(db, tee_catalogue, tmp_path):
    record, _version = region_version(tee_catalogue.programmes[CHEQUE])
    path = tmp_path / f"{CHEQUE}.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = tee_import(
        folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor(), extra_yaml=[path]
    )
    assert CHEQUE not in result.yaml_only and len(result.yaml_only) == 3
    assert any("remplacé par la version de la Région" in str(p) for p in result.run.problems)
    scheme = Scheme.objects.get(slug=CHEQUE)
    assert (
        scheme.source == Scheme.Source.REGION
        and "entreprise . a un code NAF hors exclusions" in scheme.own_rules
    )
    retail = make_company("67482", name="COMMERCE FICTIF EN LIGNE", naf="47.91A", headcount_band="11")
    assert CHEQUE not in {f.scheme.slug for f in schemes_for_company(retail, today=TODAY)}

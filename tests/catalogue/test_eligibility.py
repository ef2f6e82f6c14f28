"""Eligibility of real TEE programmes for named company profiles, with the French wording of each criterion."""

import datetime as dt
import json

import pytest
import yaml

from tandem.catalogue.eligibility.evaluate import evaluate_catalogue, evaluate_programme
from tandem.catalogue.eligibility.profile import CompanyProfile, ProfileError, company_situation
from tandem.catalogue.eligibility.tee import read_tee_catalogue
from tandem.catalogue.eligibility.wording import (
    ELIGIBLE,
    FAILED,
    INVALID,
    MET,
    NOT_ELIGIBLE,
    UNDETERMINED,
    UNKNOWN,
)
from tests.catalogue import grid
from tests.catalogue.reference import run_reference

TODAY = dt.date(2026, 12, 3)
ENERGY = frozenset({"energy"})


def grand_est_company(**facts) -> CompanyProfile:
    base = {
        "headcount": 12,
        "micro_enterprise": False,
        "naf_code": "25.62B",
        "region": "Grand Est",
        "objectives": ENERGY,
    }
    return CompanyProfile(**{**base, **facts})


@pytest.fixture(scope="module")
def cheque_vert(tee_catalogue):
    return tee_catalogue.programmes["cheque-vert-grand-est"]


def by_label(result, label):
    return next(c for c in result.criteria if c.label == label)


def test_cheque_vert_rules_are_the_published_ones(cheque_vert, tee_folder):
    """What the data says (YAML-only programme): at most 19 employees, no micro-enterprise, Grand Est,
    NAF sections all but O, one of four objectives."""
    raw = yaml.safe_load((tee_folder / "programs/cheque-vert-grand-est.yaml").read_text())["publicodes"]
    assert raw["entreprise . a un effectif éligible"] == {"toutes ces conditions": ["effectif <= 19"]}
    sections = {
        s.rsplit(" ", 1)[1]
        for s in raw["entreprise . est dans un secteur d'activité ciblé"]["une de ces conditions"]
    }
    assert "G" in sections and "C" in sections and "O" not in sections


def test_cheque_vert_eligible_for_12_employees_non_micro_naf_2562b_in_grand_est(cheque_vert):
    result = evaluate_programme(cheque_vert, grand_est_company(), today=TODAY)
    assert result.status == ELIGIBLE and result.status_label == "Éligible"
    assert {c.status for c in result.criteria} == {MET}
    assert by_label(result, "Effectif salarié").sentence == "Effectif salarié (au plus 19 salariés) : rempli"
    assert by_label(result, "Zone géographique").requirement == "entreprise implantée en : Grand Est"


def test_cheque_vert_without_an_objective_asks_for_it(cheque_vert):
    result = evaluate_programme(cheque_vert, grand_est_company(objectives=None), today=TODAY)
    assert result.status == UNDETERMINED
    objective = by_label(result, "Objectif du projet")
    assert objective.status == UNKNOWN and objective.status_label == "non vérifiable (information manquante)"
    assert result.questions == objective.questions
    assert result.questions[0].startswith("Le projet vise-t-il l'un de ces objectifs : ")
    assert "améliorer la performance énergétique" in result.questions[0]


def test_cheque_vert_not_eligible_with_30_employees(cheque_vert):
    result = evaluate_programme(cheque_vert, grand_est_company(headcount=30), today=TODAY)
    assert result.status == NOT_ELIGIBLE
    assert [c.label for c in result.criteria_with(FAILED)] == ["Effectif salarié"]
    assert result.questions == ()


def test_cheque_vert_naf_4791_by_the_rules_and_by_the_text(cheque_vert):
    """The issue expects « not eligible » for NAF 47.91. The machine rules work at NAF section level and allow
    section G (47.91 is in G): they say eligible. The exclusion of 47.91 is only in the conditions written in
    words, which the result hands over to check by hand. The Région's version of the scheme carries the
    exclusion as a rule and answers « non éligible » (tests/catalogue/test_region_schemes.py)."""
    for code in ("47.91A", "47.91B"):
        result = evaluate_programme(cheque_vert, grand_est_company(naf_code=code), today=TODAY)
        assert result.status == ELIGIBLE
        assert any("47.91" in line and line.startswith("Secteur d'activité : ") for line in result.to_check)


def test_other_territories_and_micro_enterprises_fail(cheque_vert):
    elsewhere = evaluate_programme(cheque_vert, grand_est_company(region="Bretagne"), today=TODAY)
    assert elsewhere.status == NOT_ELIGIBLE
    assert [c.label for c in elsewhere.criteria_with(FAILED)] == ["Zone géographique"]
    micro = evaluate_programme(cheque_vert, grand_est_company(micro_enterprise=True), today=TODAY)
    assert [c.label for c in micro.criteria_with(FAILED)] == ["Forme de l'entreprise"]


def test_headcount_band_decides_only_when_both_ends_agree(cheque_vert):
    small = evaluate_programme(
        cheque_vert, grand_est_company(headcount=None, headcount_band="11"), today=TODAY
    )
    assert small.status == ELIGIBLE  # 10 to 19 employees: at most 19 either way
    larger = evaluate_programme(
        cheque_vert, grand_est_company(headcount=None, headcount_band="12"), today=TODAY
    )
    assert larger.status == NOT_ELIGIBLE  # 20 to 49
    unknown = evaluate_programme(cheque_vert, grand_est_company(headcount=None), today=TODAY)
    assert unknown.status == UNDETERMINED
    assert unknown.questions == ("Combien de salariés compte l'entreprise ?",)


def programme_with_headcount_rule(catalogue, rule_text):
    found = [
        p
        for p in catalogue.programmes.values()
        if p.ruleset and rule_text in str(p.rules.get("entreprise . a un effectif éligible"))
    ]
    assert found, f"aucun dispositif avec « {rule_text} » dans les données"
    return found[0]


def test_band_straddling_a_threshold_cannot_be_checked(tee_catalogue):
    """« 250 à 499 salariés » against « effectif <= 300 »: one end passes, the other fails, so the headcount
    criterion cannot be checked and the exact headcount is asked; with an exact number it decides."""
    programme = programme_with_headcount_rule(tee_catalogue, "effectif <= 300")
    straddling = evaluate_programme(programme, CompanyProfile(headcount_band="32"), today=TODAY)
    criterion = by_label(straddling, "Effectif salarié")
    assert criterion.status == UNKNOWN and criterion.requirement == "au plus 300 salariés"
    assert criterion.questions == ("Combien de salariés compte l'entreprise ?",)
    assert (
        by_label(
            evaluate_programme(programme, CompanyProfile(headcount=280), today=TODAY), "Effectif salarié"
        ).status
        == MET
    )
    assert (
        by_label(
            evaluate_programme(programme, CompanyProfile(headcount=320), today=TODAY), "Effectif salarié"
        ).status
        == FAILED
    )
    inside = evaluate_programme(programme, CompanyProfile(headcount_band="31"), today=TODAY)  # 200 to 249
    assert by_label(inside, "Effectif salarié").status == MET


def test_validity_window_is_a_criterion(tee_catalogue):
    programme = tee_catalogue.programmes["accelerateur-decarbonation"]  # 06/02/2023 – 31/12/2025
    facts = {
        "headcount": 80,
        "micro_enterprise": False,
        "naf_code": "25.62B",
        "objectives": frozenset({"environmental"}),
    }
    open_ = evaluate_programme(programme, CompanyProfile(**facts), today=dt.date(2024, 6, 1))
    closed = evaluate_programme(programme, CompanyProfile(**facts), today=dt.date(2026, 6, 1))
    assert open_.status == ELIGIBLE and closed.status == NOT_ELIGIBLE
    validity = by_label(closed, "Période d'ouverture du dispositif")
    assert validity.status == FAILED and validity.requirement == "ouvert du 06/02/2023 au 31/12/2025"


def test_rules_the_engine_refuses_are_reported_not_guessed(tee_catalogue):
    result = evaluate_programme(
        tee_catalogue.programmes["reduire-les-pollutions"], grand_est_company(), today=TODAY
    )
    assert result.status == INVALID
    assert "« Landes »" in result.error and result.status_label.startswith("Éligibilité non vérifiable")
    assert result.to_check  # the conditions in words are still shown


def test_catalogue_lists_eligible_schemes_first(tee_catalogue):
    results = evaluate_catalogue(tee_catalogue.programmes.values(), grand_est_company(), today=TODAY)
    assert len(results) == 264
    order = [r.status for r in results]
    assert order == sorted(order, key=[ELIGIBLE, UNDETERMINED, NOT_ELIGIBLE, INVALID].index)
    eligible = [r.programme_id for r in results if r.status == ELIGIBLE]
    assert "cheque-vert-grand-est" in eligible
    invalid = [r.programme_id for r in results if r.status == INVALID]
    assert sorted(invalid) == sorted(tee_catalogue.invalid)


def test_bad_profile_values_are_refused_in_french():
    with pytest.raises(ProfileError, match="Code NAF inconnu : « 2562B »"):
        CompanyProfile(naf_code="2562B")
    with pytest.raises(ProfileError, match="Tranche d'effectif inconnue"):
        CompanyProfile(headcount_band="99")
    with pytest.raises(ProfileError, match="Objectif inconnu"):
        CompanyProfile(objectives=frozenset({"solar"}))


def test_a_region_scheme_can_exclude_naf_codes_finer_than_sections(tee_folder, tmp_path):
    """The Region writes Chèque Vert's finer exclusion (47.91) with the interface's `entreprise . code NAF`;
    the Python evaluator and the reference engine agree on it."""
    record = yaml.safe_load((tee_folder / "programs/cheque-vert-grand-est.yaml").read_text())
    sector = "entreprise . est dans un secteur d'activité ciblé"
    record["publicodes"][sector] = {
        "toutes ces conditions": [
            "code NAF niveau 1 . est O = non",
            'code NAF != "47.91A"',
            'code NAF != "47.91B"',
        ]
    }
    path = tmp_path / "cheque-vert-grand-est-region.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    programme = read_tee_catalogue(tee_folder, extra_yaml=[path]).programmes["cheque-vert-grand-est-region"]
    verdicts = {
        code: evaluate_programme(programme, grand_est_company(naf_code=code), today=TODAY) for code in CODES
    }
    assert verdicts["25.62B"].status == ELIGIBLE
    assert verdicts["47.91A"].status == NOT_ELIGIBLE
    assert [c.label for c in verdicts["47.91B"].criteria_with(FAILED)] == ["Secteur d'activité"]

    situations = [
        {**company_situation(grand_est_company(naf_code=code)), "date du jour": "03/12/2026"}
        for code in CODES
    ]
    own = list(programme.own_rule_names)
    entry = {
        "id": programme.id,
        "rules": programme.rules,
        "situation": {},
        "evaluate": own,
        "inputs": sorted(programme.ruleset.reachable(own)),
    }
    reference = run_reference({"situations": situations, "programmes": [entry]})["results"][programme.id]
    for index, situation in enumerate(situations):
        evaluator = programme.ruleset.evaluator(situation)
        assert [evaluator.evaluate(rule).value for rule in own] == reference["values"][index]


CODES = ("25.62B", "47.91A", "47.91B")


def criterion_status(programme, profile, rule):
    result = evaluate_programme(programme, profile, today=TODAY)
    return next(c.status for c in result.criteria if c.rule == rule)


def test_criteria_agree_with_tee_parsed_eligibility_data(tee_catalogue, tee_folder):
    """TEE's generator parses each programme's rules into `eligibilityData` (an oracle independent of this
    code): at its limits, the criteria the evaluator reports are met just inside and fail just outside."""
    checked = 0
    regions = grid.regions(tee_catalogue)
    for record in json.loads((tee_folder / "programs.json").read_text()):
        programme = tee_catalogue.programmes[record["id"]]
        if programme.rules_error:
            continue
        company = record["eligibilityData"]["company"]
        if "maxEmployees" in company:
            limit = int(company["maxEmployees"])
            assert criterion_status(programme, CompanyProfile(headcount=limit), HEADCOUNT_RULE) == MET
            assert criterion_status(programme, CompanyProfile(headcount=limit + 1), HEADCOUNT_RULE) == FAILED
        if int(company.get("minEmployees", 0)) > 0:
            limit = int(company["minEmployees"])
            assert criterion_status(programme, CompanyProfile(headcount=limit), HEADCOUNT_RULE) == MET
            assert criterion_status(programme, CompanyProfile(headcount=limit - 1), HEADCOUNT_RULE) == FAILED
        if company.get("excludeMicroentrepreneur"):
            assert criterion_status(programme, CompanyProfile(micro_enterprise=True), LEGAL_RULE) == FAILED
            assert criterion_status(programme, CompanyProfile(micro_enterprise=False), LEGAL_RULE) == MET
        if company.get("allowedRegion"):
            for region in regions:
                expected = MET if region in company["allowedRegion"] else FAILED
                assert criterion_status(programme, CompanyProfile(region=region), ZONE_RULE) == expected
        for section in "ABCDEFGHIJKLMNOPQRSTU":
            expected = MET if section in company["allowedNafSections"] else FAILED
            assert (
                criterion_status(programme, CompanyProfile(naf_section_code=section), SECTOR_RULE) == expected
            )
        checked += 1
    assert checked == 252  # 260 published, less the 8 whose rules the reference engine refuses


HEADCOUNT_RULE = "entreprise . a un effectif éligible"
LEGAL_RULE = "entreprise . a une categorie legale eligible"
ZONE_RULE = "entreprise . est dans une zone géographique éligible"
SECTOR_RULE = "entreprise . est dans un secteur d'activité ciblé"

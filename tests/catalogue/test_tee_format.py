"""Reading the real TEE programme files as published (YAML + programs.json + JSON Schema)."""

import json
import subprocess
import sys

import pytest
import yaml

from tandem.catalogue.eligibility.profile import OBJECTIVE_BY_RULE
from tandem.catalogue.eligibility.tee import TeeFormatError, read_tee_catalogue
from tests.conftest import REPO


def test_real_programmes_are_read_and_the_yaml_only_ones_reported(tee_catalogue, tee_folder):
    published = json.loads((tee_folder / "programs.json").read_text())
    yaml_files = sorted(path.stem for path in (tee_folder / "programs").glob("*.yaml"))
    assert len(tee_catalogue.programmes) == len(yaml_files) == 264
    assert len(published) == 260
    assert tee_catalogue.yaml_only == sorted(set(yaml_files) - {p["id"] for p in published})
    assert tee_catalogue.yaml_only == [
        "cheque-vert-grand-est",
        "ormat-2024",
        "visite-energie-cci",
        "visite-energie-cma",
    ]
    for pid in tee_catalogue.yaml_only:
        programme = tee_catalogue.programmes[pid]
        assert not programme.published and programme.ruleset is not None  # evaluable with the interface rules
    assert tee_catalogue.rules_differing_from_json == []


def test_rules_are_the_published_ones_interface_included(tee_catalogue, tee_folder):
    for record in json.loads((tee_folder / "programs.json").read_text()):
        assert tee_catalogue.programmes[record["id"]].rules == record["publicodes"]
    cheque_vert = yaml.safe_load((tee_folder / "programs/cheque-vert-grand-est.yaml").read_text())
    programme = tee_catalogue.programmes["cheque-vert-grand-est"]
    assert programme.rules == {**tee_catalogue.interface, **cheque_vert["publicodes"]}
    assert programme.own_rule_names == tuple(cheque_vert["publicodes"])


def test_objective_table_matches_the_parsed_eligibility_data(tee_folder):
    """TEE's own parsed `priorityObjectives` name the same objectives as the publicodes rules, for every
    programme: the objective table of profile.py is the one the data uses."""
    for record in json.loads((tee_folder / "programs.json").read_text()):
        rules = record["publicodes"]["entreprise . a un objectif ciblé"]["une de ces conditions"]
        assert {OBJECTIVE_BY_RULE[rule] for rule in rules} == set(
            record["eligibilityData"]["priorityObjectives"]
        )


def test_a_file_outside_the_schema_is_refused_naming_file_and_field(tee_folder, tmp_path):
    record = yaml.safe_load((tee_folder / "programs/cheque-vert-grand-est.yaml").read_text())
    del record["titre"]
    record["nature de l'aide"] = "subvention"
    bad = tmp_path / "aide-region-incomplete.yaml"
    bad.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TeeFormatError) as refused:
        read_tee_catalogue(tee_folder, extra_yaml=[bad])
    message = str(refused.value)
    assert "aide-region-incomplete.yaml" in message
    assert "« nature de l'aide »" in message and "'titre' is a required property" in message


def test_a_region_scheme_in_the_same_format_is_added(tee_folder, tmp_path):
    """A Grand Est scheme written by the Region as a YAML file in the TEE format joins the catalogue."""
    record = yaml.safe_load((tee_folder / "programs/cheque-vert-grand-est.yaml").read_text())
    record["titre"] = "Étape Grand Est Transformation"
    record["publicodes"]["entreprise . a un effectif éligible"] = {
        "toutes ces conditions": ["effectif >= 10"]
    }
    path = tmp_path / "grand-est-transformation-etape.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    catalogue = read_tee_catalogue(tee_folder, extra_yaml=[path])
    programme = catalogue.programmes["grand-est-transformation-etape"]
    assert programme.title == "Étape Grand Est Transformation" and not programme.published
    evaluation = programme.ruleset.evaluator({"entreprise . effectif": 5}).evaluate(
        "entreprise . a un effectif éligible"
    )
    assert evaluation.value is False


def test_the_eligibility_package_imports_no_django():
    code = (
        "import sys, tandem.catalogue.eligibility as e, tandem.catalogue.eligibility.evaluate, "
        "tandem.catalogue.eligibility.wording, tandem.catalogue.eligibility.tee; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"

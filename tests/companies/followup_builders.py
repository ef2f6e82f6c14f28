"""Builders for the follow-up tests: fictitious companies and establishments placed in real communes."""

import itertools
from datetime import date

from tandem.companies.models import Company, Establishment
from tandem.territories.models import Commune

_sirens = itertools.count(900_000_001)


def make_company(
    commune_code: str,
    *,
    name: str | None = None,
    naf: str = "25.62B",
    created_on: date | None = None,
    closed_on: date | None = None,
    headcount_band: str = "12",
) -> Company:
    """A legal unit with its head office in `commune_code` (SIREN 9xx…: not a real company)."""
    siren = str(next(_sirens))
    company = Company.objects.create(
        siren=siren,
        legal_unit_loaded=True,
        name=name or f"ENTREPRISE FICTIVE {siren}",
        naf=naf,
        legal_category="5710",
        headcount_band=headcount_band,
        state="A",
        created_on=date(2010, 1, 1),
        head_office_nic="00011",
    )
    make_establishment(
        company, commune_code, nic="00011", head_office=True, created_on=created_on, closed_on=closed_on
    )
    return company


def make_establishment(
    company: Company,
    commune_code: str,
    *,
    nic: str,
    head_office: bool = False,
    created_on: date | None = None,
    closed_on: date | None = None,
    naf: str = "25.62B",
) -> Establishment:
    commune = Commune.objects.get(pk=commune_code)
    return Establishment.objects.create(
        siret=company.siren + nic,
        company=company,
        nic=nic,
        is_head_office=head_office,
        state="F" if closed_on else "A",
        closed_on=closed_on,
        created_on=created_on or date(2010, 1, 1),
        naf=naf,
        headcount_band="12",
        postcode=(commune.postal_codes or [""])[0],
        commune_label=commune.name.upper(),
        commune_code=commune.code,
        departement_code=commune.departement_id,
        commune=commune,
        street_name="RUE DE L'EXEMPLE",
    )

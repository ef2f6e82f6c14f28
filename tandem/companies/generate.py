"""Generate SIRENE stock files (StockEtablissement, StockUniteLegale) in INSEE's exact layout, at any size.

Deterministic for a given seed; clearly fictitious companies (« ENTREPRISE FICTIVE … », SIREN starting with 99 (98… past a million)
that pass the Luhn check), real NAF rév. 2 codes and real commune codes (given by the caller, so that the
files fall inside the instance's territory). Pure Python: usable from tests, benchmarks and the demo.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tandem.companies.nomenclatures import naf_codes
from tandem.companies.sirene_format import ETABLISSEMENT_COLUMNS, UNITE_LEGALE_COLUMNS


@dataclass(frozen=True)
class GeneratedCommune:
    code: str
    name: str
    postcode: str = ""
    lambert_x: float | None = None  # a point in the commune (Lambert-93), for plausible coordinates
    lambert_y: float | None = None


def luhn_complete(prefix: str) -> str:
    """`prefix` followed by the digit that makes it pass the Luhn check (as SIREN and SIRET do)."""
    total = 0
    for i, char in enumerate(reversed(prefix + "0")):
        digit = int(char)
        if i % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return prefix + str((10 - total % 10) % 10)


# Weights of headcount bands among establishments (roughly the national stock: most have no employee).
BANDS = ["", "NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51"]
BAND_WEIGHTS = [40, 25, 5, 10, 7, 5, 4, 2, 0.8, 0.5, 0.1, 0.2, 0.1, 0.05, 0.02]
LEGAL_CATEGORIES = ["5710", "5499", "5599", "9220", "5498", "6540", "1000"]
STREET_TYPES = ["RUE", "AV", "BD", "PL", "CHE", "RTE", "ZI"]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


@dataclass
class _Company:
    siren: str
    index: int
    establishments: int
    naf: str
    created: date
    band: str
    category: str


def _companies(rows: int, seed: int) -> Iterator[_Company]:
    rng = random.Random(seed)  # noqa: S311 (fictitious data, not security)
    codes = naf_codes()
    produced, index = 0, 0
    while produced < rows:
        count = min(rng.choice((1, 1, 1, 1, 2, 2, 3, 5)), rows - produced)
        index += 1
        yield _Company(
            # 99xxxxxx, then 98xxxxxx past a million companies…: always 8 digits before the key.
            siren=luhn_complete(f"{99 - index // 1_000_000}{index % 1_000_000:06d}"),
            index=index,
            establishments=count,
            naf=rng.choice(codes),
            created=_day(rng, date(1950, 1, 1), date(2025, 12, 31)),
            band=rng.choices(BANDS, BAND_WEIGHTS)[0],
            category=rng.choice(LEGAL_CATEGORIES),
        )
        produced += count


def write_stock_etablissement(
    path: Path,
    *,
    rows: int,
    communes: Sequence[GeneratedCommune],
    seed: int = 1,
    closed_share: float = 0.3,
    columns: Sequence[str] = ETABLISSEMENT_COLUMNS,
) -> int:
    """Write `rows` establishments; returns the number of companies (SIREN) they belong to."""
    if not communes:
        raise ValueError("at least one commune is needed")
    rng = random.Random(seed + 1)  # noqa: S311
    companies = 0
    position = {name: i for i, name in enumerate(ETABLISSEMENT_COLUMNS)}
    order = [position.get(name) for name in columns]
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for company in _companies(rows, seed):
            companies += 1
            for k in range(company.establishments):
                nic = f"{k + 1:04d}"
                siret = luhn_complete(company.siren + nic)
                commune = communes[rng.randrange(len(communes))]
                closed = rng.random() < closed_share
                created = _day(rng, company.created, date(2026, 6, 30))
                since = _day(rng, created, date(2026, 6, 30)) if closed else created
                band = company.band if k == 0 else rng.choices(BANDS, BAND_WEIGHTS)[0]
                x = y = ""
                if commune.lambert_x is not None:
                    x = f"{commune.lambert_x + rng.uniform(-800, 800):.1f}"
                    y = f"{commune.lambert_y + rng.uniform(-800, 800):.1f}"
                values = (
                    company.siren, siret[9:], siret, "P" if company.index % 53 == 0 else "O", created.isoformat(),
                    band, "2023" if band else "", "", "2026-01-15T03:12:45", "true" if k == 0 else "false",
                    str(2 if closed else 1), "", str(rng.randrange(1, 200)), "", "", "", rng.choice(STREET_TYPES),
                    f"DE L'EXEMPLE {rng.randrange(1, 90)}", commune.postcode, commune.name.upper(), "", "",
                    commune.code, "", "", "", "", "", x, y, "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                    since.isoformat(), "F" if closed else "A", f"ENSEIGNE FICTIVE {company.index}" if k else "", "",
                    "", "", company.naf if k == 0 else rng.choice((company.naf, company.naf, "46.69B", "70.10Z")),
                    "NAFRev2", "O" if band not in ("", "NN") else "N",
                )  # fmt: skip
                writer.writerow(["" if i is None else values[i] for i in order])
    return companies


def write_stock_unite_legale(
    path: Path, *, rows: int, seed: int = 1, columns: Sequence[str] = UNITE_LEGALE_COLUMNS
) -> None:
    """Write the legal units of the companies `write_stock_etablissement(rows=rows, seed=seed)` produces."""
    rng = random.Random(seed + 2)  # noqa: S311
    position = {name: i for i, name in enumerate(UNITE_LEGALE_COLUMNS)}
    order = [position.get(name) for name in columns]
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for company in _companies(rows, seed):
            person = company.category == "1000"
            ceased = rng.random() < 0.15
            values = (
                company.siren, "O", "", company.created.isoformat(), "" if person else f"EF{company.index}",
                "M" if person else "", "CAMILLE" if person else "", "", "", "", "CAMILLE" if person else "", "",
                f"W{company.index:09d}" if company.category == "9220" else "", company.band,
                "2023" if company.band else "", "2026-01-15T03:12:45", "1", "PME", "2023",
                company.created.isoformat(), "C" if ceased else "A", f"FICTIF{company.index}" if person else "", "",
                "" if person else f"ENTREPRISE FICTIVE {company.index}", "", "", "", company.category, company.naf,
                "NAFRev2", "00010", "O" if company.category == "9220" else "N",
                "O" if company.band not in ("", "NN") else "N",
            )  # fmt: skip
            writer.writerow(["" if i is None else values[i] for i in order])

"""A grid of company profiles for the equality test, built from the data (thresholds, regions, sections)
and a seeded random draw; no expected result is written here: the reference engine gives them."""

from __future__ import annotations

import datetime as dt
import random
import re

from tandem.catalogue.eligibility.profile import OBJECTIVES, CompanyProfile
from tandem.companies.nomenclatures import HEADCOUNT_BANDS, naf_codes, naf_section

DAYS = (dt.date(2023, 6, 1), dt.date(2025, 6, 15), dt.date(2026, 12, 3))  # before, during, after many windows


def headcounts(catalogue) -> list[int]:
    """Every threshold the rules compare `effectif` with, one below and one above, and the INSEE bands' bounds."""
    values = {0}
    for programme in catalogue.programmes.values():
        for name in programme.own_rule_names:
            for number in re.findall(r"effectif\s*[<>]=?\s*(\d+)", str(programme.rules[name])):
                values |= {int(number) - 1, int(number), int(number) + 1}
    for band in HEADCOUNT_BANDS.values():
        values |= {band.minimum or 0, band.maximum or band.minimum}
    return sorted(v for v in values if v >= 0)


def regions(catalogue) -> list[str]:
    """The region names the interface rules define (string constants at the root)."""
    return sorted(k for k, v in catalogue.interface.items() if isinstance(v, str) and v.startswith('"'))


def naf_samples() -> list[str]:
    """One NAF sub-class per section, plus the codes the issue names (25.62B, 47.91A)."""
    first = {}
    for code in naf_codes():
        first.setdefault(naf_section(code), code)
    return sorted({*first.values(), "25.62B", "47.91A"})


def objective_sets() -> list[frozenset]:
    singles = [frozenset({code}) for code in OBJECTIVES]
    return [
        frozenset(),
        *singles,
        frozenset({"energy", "building"}),
        frozenset({"waste", "eco-design", "water"}),
    ]


def profiles(catalogue, *, combinations: int = 60, seed: int = 15) -> list[tuple[CompanyProfile, dt.date]]:
    """All facts unknown; each fact alone; then random combinations, half of them with facts left unknown."""
    heads, regs, nafs, objs = headcounts(catalogue), regions(catalogue), naf_samples(), objective_sets()
    grid = [CompanyProfile()]
    grid += [CompanyProfile(headcount=h) for h in heads]
    grid += [CompanyProfile(micro_enterprise=m) for m in (True, False)]
    grid += [CompanyProfile(naf_code=code) for code in nafs]
    grid += [CompanyProfile(region=region) for region in regs]
    grid += [CompanyProfile(objectives=o) for o in objs]
    rng = random.Random(seed)
    for i in range(combinations):
        partial = i % 2 == 1

        def pick(values, partial=partial):
            return None if partial and rng.random() < 0.3 else rng.choice(values)

        grid.append(
            CompanyProfile(
                headcount=pick(heads),
                micro_enterprise=pick([True, False]),
                naf_code=pick(nafs),
                region=pick(regs),
                objectives=pick(objs),
            )
        )
    return [(profile, DAYS[i % len(DAYS)]) for i, profile in enumerate(grid)]

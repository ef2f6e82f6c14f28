"""Territories of the jobs-and-skills pages (zone d'emploi, EPCI, département) and the one commune-weighted
crosswalk from survey bassins to them.

The rule (docs/skills.md): a bassin's figures are split between territories in proportion to the population of
its communes (INSEE population of the COG) lying in each. A commune of the bassin table that no longer exists is
counted in the commune it merged into. The BMO survey publishes each bassin per département already, so a BMO
cell (bassin, département) is split over the bassin's communes of that département only. Shares of one cell sum
to 1 over any partition (EPCI, zones d'emploi, départements): a straddling bassin is never double counted.
When a cell's communes all have a population of 0 the split is by number of communes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.http import Http404

from tandem.territories.models import Commune, Departement, Epci, ZoneEmploi

KINDS = {
    "ze": (ZoneEmploi, "zone_emploi_id", "zone d'emploi"),
    "epci": (Epci, "epci_id", "EPCI"),
    "dep": (Departement, "departement_id", "département"),
}


@dataclass(frozen=True)
class Territory:
    kind: str
    code: str
    name: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind][2]

    @property
    def field(self) -> str:
        return KINDS[self.kind][1]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind_label})"


def territory_get(kind: str, code: str) -> Territory:
    """The territory of a page, or 404."""
    if kind not in KINDS:
        raise Http404
    model = KINDS[kind][0]
    obj = model.objects.filter(pk=code).first()
    if obj is None:
        raise Http404
    return Territory(kind, code, obj.name)


def territory_commune_codes(territory: Territory) -> list[str]:
    return list(
        Commune.objects.filter(is_current=True, **{territory.field: territory.code}).values_list(
            "code", flat=True
        )
    )


def cell_shares(links: list[tuple[str, str]], field: str, *, by_departement: bool) -> dict[str, dict]:
    """{territory code: {cell: share of the cell in it}} for every territory of one kind (`field`: the commune's
    column naming it) and `links` = (commune code, bassin) pairs; a cell is the bassin, or (bassin,
    département) when `by_departement`. Only shares > 0 are kept."""
    codes = {c for c, _ in links}
    columns = ("code", "is_current", "merged_into_id", "population", "departement_id", field)
    rows = {r[0]: r for r in Commune.objects.filter(code__in=codes).values_list(*columns)}
    targets = {r[2] for r in rows.values() if not r[1] and r[2]}
    current = {
        r[0]: r
        for r in Commune.objects.filter(code__in=targets | codes, is_current=True).values_list(*columns)
    }
    members: dict[object, set[str]] = defaultdict(set)
    for commune, basin in links:
        row = rows.get(commune)
        if row is None:
            continue
        code = commune if row[1] else row[2]
        target = current.get(code)
        if target is None:
            continue
        members[(basin, target[4]) if by_departement else basin].add(code)
    shares: dict[str, dict] = defaultdict(dict)
    for cell, communes in members.items():
        population = sum(current[c][3] for c in communes)
        inside: dict[str, list[str]] = defaultdict(list)
        for c in communes:
            if current[c][5]:
                inside[current[c][5]].append(c)
        for territory, found in inside.items():
            if population:
                share = sum(current[c][3] for c in found) / population
            else:
                share = len(found) / len(communes)
            if share > 0:
                shares[territory][cell] = share
    return shares


def cell_weights(links: list[tuple[str, str]], territory: Territory, *, by_departement: bool) -> dict:
    """{cell: share of the cell in `territory`} (see `cell_shares`)."""
    return cell_shares(links, territory.field, by_departement=by_departement).get(territory.code, {})

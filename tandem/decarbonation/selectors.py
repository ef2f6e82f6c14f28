"""Reads of the decarbonation module. Registry data (installations, emissions, flags, links) is public to
signed-in users; organisation-owned follow-up (projects) goes through `scope_queryset`."""

from __future__ import annotations

from collections.abc import Iterable

from tandem.decarbonation.models import Installation


def icpe_rubriques_by_siret(sirets: Iterable[str]) -> dict[str, set[str]]:
    """ICPE rubriques (nomenclature des installations classées, e.g. « 2760 », « 3510 ») of the installations
    whose declared SIRET (Géorisques `num_siret_site`/`num_siret`, or IREP's) is in `sirets`, as
    {siret: {rubrique, …}}. A SIRET with several installations gets the union of their rubriques; a SIRET with
    no installation, or whose installations list no rubrique (the WFS layer carries none), is absent.

    Public registry data (Géorisques, Licence Ouverte): no actor needed. Used by industrial ecology (e3) to
    check that a waste receiver is permitted for an operation."""
    wanted = {s for s in sirets if s}
    result: dict[str, set[str]] = {}
    for siret, rubriques in (
        Installation.objects.filter(siret__in=wanted).exclude(rubriques=[]).values_list("siret", "rubriques")
    ):
        result.setdefault(siret, set()).update(rubriques)
    return result

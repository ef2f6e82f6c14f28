"""Reads of the official geography and of map layers. Official geography is public reference data."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from tandem.core.geo import feature, feature_collection
from tandem.territories.models import Commune, Departement, Epci, Region

MAX_COMMUNES_DRAWN = 400


def commune_list(
    *,
    region: str | None = None,
    departement: str | None = None,
    epci: str | None = None,
    q: str | None = None,
    current: bool = True,
) -> QuerySet[Commune]:
    qs = Commune.objects.defer("geometry").select_related("departement", "epci")
    if current:
        qs = qs.filter(is_current=True)
    if region:
        qs = qs.filter(region_id=region)
    if departement:
        qs = qs.filter(departement_id=departement)
    if epci:
        qs = qs.filter(epci_id=epci)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def epci_list(
    *, region: str | None = None, departement: str | None = None, q: str | None = None
) -> QuerySet[Epci]:
    """EPCI currently in force; with `region`, those with at least one member commune in it."""
    qs = Epci.objects.defer("geometry").filter(is_current=True)
    if region:
        qs = qs.filter(pk__in=Commune.objects.filter(is_current=True, region_id=region).values("epci_id"))
    if departement:
        qs = qs.filter(
            pk__in=Commune.objects.filter(is_current=True, departement_id=departement).values("epci_id")
        )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(siren__startswith=q))
    return qs.order_by("name")


def epci_regions(epci: Epci) -> list[Region]:
    return list(
        Region.objects.filter(communes__epci=epci, communes__is_current=True).distinct().order_by("code")
    )


def territory_figures(communes: QuerySet[Commune]) -> dict:
    """Key figures of a set of communes: communes, population, area, EPCI, départements."""
    current = communes.filter(is_current=True)
    totals = current.aggregate(
        communes=Count("pk"),
        population=Sum("population"),
        area_ha=Sum("area_ha"),
        epcis=Count("epci", distinct=True),
        departements=Count("departement", distinct=True),
    )
    totals["population"] = totals["population"] or 0
    totals["area_km2"] = round((totals.pop("area_ha") or 0) / 100, 1)
    return totals


def communes_layer(communes: QuerySet[Commune]) -> dict:
    rows = communes.filter(is_current=True, geometry__isnull=False).values_list(
        "code", "name", "population", "geometry"
    )
    return feature_collection(
        [feature(g, {"code": c, "nom": n, "population": p, "type": "commune"}) for c, n, p, g in rows]
    )


def epcis_layer(epcis: QuerySet[Epci]) -> dict:
    rows = epcis.filter(geometry__isnull=False).values_list("siren", "name", "kind", "geometry")
    return feature_collection([feature(g, {"siren": s, "nom": n, "type": k}) for s, n, k, g in rows])


def perimeter_layers(communes: QuerySet[Commune]) -> dict:
    """Map layers for a perimeter: EPCI boundaries always; commune boundaries when not too many."""
    current = communes.filter(is_current=True)
    epcis = Epci.objects.filter(pk__in=current.values("epci_id"))
    count = current.count()
    return {
        "epcis": epcis_layer(epcis),
        "communes": communes_layer(current) if count <= MAX_COMMUNES_DRAWN else feature_collection([]),
        "communes_total": count,
    }


def departement_list(*, region: str | None = None) -> QuerySet[Departement]:
    qs = Departement.objects.defer("geometry").select_related("region")
    return qs.filter(region_id=region) if region else qs


def perimeter_search(perimeters: QuerySet, *, q: str | None = None) -> QuerySet:
    """Filter an already scoped queryset of perimeters by name or code."""
    if q:
        perimeters = perimeters.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return perimeters.order_by("name", "pk")

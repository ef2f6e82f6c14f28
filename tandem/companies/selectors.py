"""Reads of the SIRENE registry, under the permission layer.

Registry data is public (INSEE, Licence Ouverte), but each organisation works in its perimeter: lists show an
EPCI its communes, an agency what its delegations cover, the Région and platform administrators the whole
registry (`tandem.companies.perms.actor_commune_codes`). Protected fields of non-diffusible establishments
are never exposed (`public_establishment_fields`).
"""

from __future__ import annotations

import numpy as np
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404

from tandem.companies.models import (
    PROTECTED_COMPANY_FIELDS,
    PROTECTED_ESTABLISHMENT_FIELDS,
    Company,
    Establishment,
)
from tandem.companies.models.registry import Diffusion
from tandem.companies.perms import actor_commune_codes, can_read_registry
from tandem.core.search import search_results
from tandem.core.tiles import mvt_layer, tile_box, tile_check, tile_geometry
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tandem.territories.selectors import commune_codes_named


def registry_establishments(
    actor: Actor,
    *,
    departement: str | None = None,
    commune: str | None = None,
    epci: str | None = None,
    naf: str | None = None,
    siren: str | None = None,
    etat: str | None = None,
    q: str | None = None,
) -> QuerySet:
    """Establishments of `actor`'s perimeter, filtered (all filters optional, combined with AND).

    `naf` is a sub-class code (« 25.11Z ») or a prefix (« 25.1 »); `q` searches names, signboards (public
    ones only), SIRET and commune labels.
    """
    if not can_read_registry(actor):
        return Establishment.objects.none()
    qs = Establishment.objects.select_related("company")
    # Perimeters filter on the commune code of the file (indexed; equal to `commune_id` for a commune of the
    # loaded geography).
    codes = actor_commune_codes(actor)
    if codes is not None:
        qs = qs.filter(commune_code__in=codes)
    if departement:
        # The prefix lets the commune_code index serve (a département's communes share its code's start).
        qs = qs.filter(departement_code=departement, commune_code__startswith=departement)
    if commune:
        qs = qs.filter(commune_code=commune)
    if epci:
        qs = qs.filter(commune_code__in=Commune.objects.filter(epci_id=epci).values("code"))
    if naf:
        naf = naf.strip().upper()
        qs = qs.filter(naf=naf) if len(naf) == 6 else qs.filter(naf__startswith=naf)
    if siren:
        qs = qs.filter(company_id=siren)
    if etat:
        qs = qs.filter(state=etat)
    q = (q or "").strip()
    if q:
        digits = q.replace(" ", "")
        if digits.isdigit():
            qs = qs.filter(siret__startswith=digits)
        else:
            # An actor's perimeter (an EPCI: a few thousand establishments) is read whole by its index;
            # the whole registry through the search's branches, each stopping at its first rows.
            narrow = codes is not None or bool(commune)
            return search_results(
                qs, key="siret", branches=establishments_named(qs, q, narrow=narrow), narrow=narrow
            )
    return qs.order_by("siret")


def establishments_named(base: QuerySet, q: str, *, narrow: bool = False) -> list[QuerySet]:
    """The one rule of a name search in the registry, as index-served branches of `base` (see
    `tandem.core.search.search_results`): establishments whose company's name or usual name, public
    signboard or usual name (diffusible establishments only), or commune's name contains `q`, accents and
    case ignored. Each branch uses its trigram index (or the commune code index).

    With `narrow` (`base` is a perimeter's few thousand establishments, tested row by row), an empty name
    is skipped before its accents are removed: most signboards and usual names are empty, and removing
    accents is most of the cost of testing a row."""

    def named(field: str) -> Q:
        contains = Q(**{f"{field}__unaccent_icontains": q})
        return ~Q(**{field: ""}) & contains if narrow else contains

    return [
        base.filter(
            Exists(Company.objects.filter(named("name") | named("usual_name"), siren=OuterRef("company_id")))
        ),
        base.filter(named("signboard"), diffusion=Diffusion.DIFFUSIBLE),
        base.filter(named("usual_name"), diffusion=Diffusion.DIFFUSIBLE),
        base.filter(commune_code__in=commune_codes_named(q)),
    ]


def registry_company(actor: Actor, siren: str) -> Company:
    """A company of the registry with its establishments (public data: every member of the network may
    look a company up), or 404."""
    if not can_read_registry(actor):
        raise Http404
    try:
        return Company.objects.prefetch_related("establishments").get(siren=siren)
    except Company.DoesNotExist as exc:
        raise Http404 from exc


def establishments_in_outline(outline) -> QuerySet:
    """SIRENE establishments whose point lies in a WGS84 outline (a site's, boundary included), active first,
    by PostGIS over the GiST index of `point_l93` (the outline is projected to Lambert-93 by the query).
    Registry data: public, like the registry pages."""
    if outline is None:
        return Establishment.objects.none()
    return (
        Establishment.objects.filter(point_l93__intersects=outline)
        .select_related("company")
        .order_by("state", "company__name", "siret")
    )


def establishment_tile(actor: Actor, *, z: int, x: int, y: int) -> bytes:
    """The active SIRENE establishments of `actor`'s registry perimeter (`registry_establishments`) in one
    vector tile (layer `etablissements`: `siret`, `siren`, `nom`, `naf`), with no feature cap. Only
    diffusible establishments are drawn: the location of a protected one is itself protected
    (`PROTECTED_ESTABLISHMENT_FIELDS`), so it is never in a tile. The GiST index of `point_l93` selects the
    tile's points (PostGIS projects the tile's outline to Lambert-93)."""
    tile_check(z, x, y)
    qs = (
        registry_establishments(actor)
        .filter(
            diffusion=Diffusion.DIFFUSIBLE,
            state=Establishment.State.ACTIVE,
            point_l93__bboverlaps=tile_box(z, x, y),
        )
        .annotate(
            siren=F("company_id"),
            nom=Coalesce(
                NullIf("usual_name", Value("")),
                NullIf("signboard", Value("")),
                NullIf("company__name", Value("")),
                F("siret"),
                output_field=CharField(),
            ),
        )
    )
    return mvt_layer(
        qs,
        name="etablissements",
        columns=["siret", "siren", "nom", "naf"],
        geometry=tile_geometry(z, x, y, "point"),
        id_field=None,
    )


def public_establishment_fields(establishment: Establishment) -> set[str]:
    """The fields that may be shown for this establishment (INSEE's diffusion rules)."""
    names = {f.attname for f in Establishment._meta.concrete_fields}
    return names - set(PROTECTED_ESTABLISHMENT_FIELDS) if establishment.is_protected else names


def public_company_fields(company: Company) -> set[str]:
    names = {f.attname for f in Company._meta.concrete_fields}
    return names - set(PROTECTED_COMPANY_FIELDS) if company.is_protected else names


# --- "within N km": ONE rule for the matching score (ecosystem), the answer file and the project value -------
# Active establishments whose NAF code starts with one of the given prefixes and whose point lies within
# `radius_km` of a place's WGS84 inner point, both in Lambert-93 (metropolitan France), measured by PostGIS:
# ST_DWithin over the GiST index of `point_l93`, nearest first by KNN (`<->`).
_PLACES_SQL = """
    WITH p AS (
        SELECT i, ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 2154) AS pt
        FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS u(lon, lat, i)
    )
"""
_WITHIN_SQL = "e.state = 'A' AND e.naf LIKE ANY(%(prefixes)s) AND ST_DWithin(e.point_l93, p.pt, %(radius_m)s)"


def _like_prefixes(naf_prefixes) -> list[str]:
    codes = {c.strip() for c in naf_prefixes if c and c.strip()}
    return sorted(c.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for c in codes)


def establishment_counts_within(lons, lats, *, naf_prefixes, radius_km: float) -> np.ndarray:
    """For each WGS84 place, the number of active establishments of the NAF prefixes within `radius_km`
    (0 for a place without coordinates). Places sharing a point are counted once."""
    lons, lats = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
    counts = np.zeros(len(lons), dtype=np.float64)
    prefixes = _like_prefixes(naf_prefixes)
    known = np.isfinite(lons) & np.isfinite(lats)
    if not prefixes or not known.any():
        return counts
    points, inverse = np.unique(np.column_stack([lons[known], lats[known]]), axis=0, return_inverse=True)
    table = Establishment._meta.db_table
    sql = _PLACES_SQL + f"SELECT (SELECT count(*) FROM {table} e WHERE {_WITHIN_SQL}) FROM p ORDER BY p.i"  # noqa: S608
    params = {
        "lons": points[:, 0].tolist(),
        "lats": points[:, 1].tolist(),
        "prefixes": prefixes,
        "radius_m": float(radius_km) * 1000,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        unique_counts = np.array([row[0] for row in cursor.fetchall()], dtype=np.float64)
    counts[known] = unique_counts[inverse.ravel()]
    return counts


def establishment_names_nearest(
    lon: float, lat: float, *, naf_prefixes, radius_km: float, limit: int
) -> list[str]:
    """Usual names of the nearest active establishments of the NAF prefixes within `radius_km` of a WGS84
    place (the same rule as `establishment_counts_within`), nearest first; only diffusible ones with a name."""
    prefixes = _like_prefixes(naf_prefixes)
    if not prefixes or lon is None or lat is None:
        return []
    table = Establishment._meta.db_table
    named = "e.diffusion = 'O' AND e.usual_name <> ''"
    order = "ORDER BY e.point_l93 <-> p.pt, e.siret LIMIT %(limit)s"
    sql = _PLACES_SQL + f"SELECT e.usual_name FROM p, {table} e WHERE {_WITHIN_SQL} AND {named} {order}"  # noqa: S608
    params = {
        "lons": [float(lon)],
        "lats": [float(lat)],
        "prefixes": prefixes,
        "radius_m": float(radius_km) * 1000,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]

"""Reads of the land observatory: the inventory through the permission layer (lists, sheets, indicators, map
layers), vintages and record history, places for the generator.

Every inventory queryset here starts from `scope_queryset(actor, …)`: what an actor may not see is absent from
lists, counts, indicators, maps and downloads alike. Personal fields are removed by `terrain_public_values`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.contrib.gis.db.models import Extent
from django.contrib.gis.measure import D
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    DecimalField,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.http import Http404
from django.utils import timezone

from tandem.companies.selectors import establishments_in_outline
from tandem.core.geo import STORED_GEOMETRIES, feature, feature_collection
from tandem.core.ids import parse_id
from tandem.core.tiles import (
    TILE,
    TileLayer,
    compiled_layers,
    mvt_tile,
    tile_check,
    tile_envelope,
    tile_geometry,
    tile_layer,
)
from tandem.land import availability as av
from tandem.land import indicators as ind
from tandem.land.models import (
    DISTANCE_KINDS,
    Etablissement,
    Friche,
    LabelDecision,
    LayerKind,
    NafConsumption,
    RecordVersion,
    ReferenceLayer,
    Site,
    Terrain,
    Vintage,
)
from tandem.land.models.layers import distance_of
from tandem.land.perms import can_decide_label, can_see_personal_fields
from tandem.land.readiness import readiness_for_site, readiness_for_terrain
from tandem.organizations.perms import Actor, get_visible_or_404, scope_queryset
from tandem.organizations.versions import visibility_version
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi

if TYPE_CHECKING:
    from tandem.land.generate import CommunePlace

LEVELS = ("site", "epci", "departement", "region", "perimeter")
NEARBY_FRICHES_KM = 5.0
MAX_REGISTRY_IN_SITE = 200
PROVEN = "pollution avérée"
SUSPECTED = "pollution supposée"


def worst_pollution(values) -> str | None:
    """The most constraining soil pollution among friches (proven, then suspected), for the readiness score."""
    values = set(values)
    return PROVEN if PROVEN in values else (SUSPECTED if SUSPECTED in values else None)


def sites_visible(actor: Actor) -> QuerySet[Site]:
    return scope_queryset(actor, Site.objects.all())


def terrains_visible(actor: Actor) -> QuerySet[Terrain]:
    return scope_queryset(actor, Terrain.objects.all())


def etablissements_visible(actor: Actor) -> QuerySet[Etablissement]:
    return scope_queryset(actor, Etablissement.objects.all())


def friches_visible(actor: Actor) -> QuerySet[Friche]:
    return scope_queryset(actor, Friche.objects.all())


def label_decisions_visible(actor: Actor) -> QuerySet[LabelDecision]:
    """Label proposals and decisions about the sites `actor` sees, latest first."""
    return LabelDecision.objects.filter(site__in=sites_visible(actor).values("pk")).select_related(
        "site", "proposed_by_org"
    )


def labels_to_decide(actor: Actor) -> QuerySet[LabelDecision]:
    """The proposals waiting for a decision of `actor` (the Région's deciders; nobody else has any)."""
    if not can_decide_label(actor):
        return LabelDecision.objects.none()
    return label_decisions_visible(actor).filter(status=LabelDecision.Status.PROPOSED)


@dataclass(frozen=True)
class Territory:
    """The territory an indicator is computed for; `commune_q(prefix)` filters objects placed in it.

    Levels: « epci », « departement », « zone_emploi », « region » (official geography, public) and
    « perimeter » (a custom perimeter: its communes; `perimeter_kind` tells a Territoire d'industrie).
    The steering indicators (`tandem.steering`) take this same object."""

    level: str
    key: str
    name: str
    commune_codes: tuple[str, ...] | None = None  # for custom perimeters
    perimeter_kind: str = ""

    def commune_q(self, prefix: str = "") -> Q:
        if self.level == "epci":
            return Q(**{f"{prefix}commune__epci_id": self.key})
        if self.level == "departement":
            return Q(**{f"{prefix}commune__departement_id": self.key})
        if self.level == "zone_emploi":
            return Q(**{f"{prefix}commune__zone_emploi_id": self.key})
        if self.level == "region":
            return Q(**{f"{prefix}commune__region_id": self.key})
        return Q(**{f"{prefix}commune_id__in": self.commune_codes or ()})

    def communes(self) -> QuerySet[Commune]:
        """The communes of the territory (for selectors that take a list of commune codes)."""
        if self.level == "perimeter":
            return Commune.objects.filter(pk__in=self.commune_codes or ())
        field = {"epci": "epci_id", "departement": "departement_id", "zone_emploi": "zone_emploi_id"}.get(
            self.level, "region_id"
        )
        return Commune.objects.filter(**{field: self.key})


TERRITORY_MODELS = {"epci": Epci, "departement": Departement, "zone_emploi": ZoneEmploi, "region": Region}


def territory_resolve(actor: Actor, *, level: str, key: str) -> Territory:
    """The named territory (official geography is public; a custom perimeter must be visible) or 404."""
    if level in TERRITORY_MODELS:
        row = TERRITORY_MODELS[level].objects.filter(pk=key).only("name").first()
        if row:
            return Territory(level, key, row.name)
    elif level == "perimeter" and parse_id(key) is not None:
        perimeter = get_visible_or_404(actor, Perimeter.objects.all(), pk=parse_id(key))
        codes = tuple(perimeter.communes.values_list("pk", flat=True))
        return Territory(level, str(perimeter.pk), perimeter.name, codes, perimeter.kind)
    raise Http404


def territory_extent(territory: Territory) -> tuple[float, float, float, float] | None:
    """WGS84 (west, south, east, north) of a territory's outline (a perimeter's: of its communes), for a map."""
    if territory.level == "perimeter":
        qs = Commune.objects.filter(pk__in=territory.commune_codes or ())
    else:
        qs = TERRITORY_MODELS[territory.level].objects.filter(pk=territory.key)
    return qs.aggregate(extent=Extent("geometry"))["extent"]


def territory_indicators(actor: Actor, territory: Territory, *, today: dt.date | None = None) -> dict:
    """All indicators of a territory over what `actor` may see."""
    terrains = terrains_visible(actor).filter(territory.commune_q())
    figures = ind.terrain_figures(terrains, today=today)
    sites = ind.site_figures(sites_visible(actor).filter(territory.commune_q()))
    jobs = ind.establishment_figures(
        etablissements_visible(actor).filter(territory.commune_q()), usable_ha=figures["usable_ha"]
    )
    friches = ind.friche_figures(friches_visible(actor).filter(territory.commune_q()))
    naf = NafConsumption.objects.filter(
        **(
            {"commune_id__in": territory.commune_codes or ()}
            if territory.level == "perimeter"
            else {
                {
                    "epci": "commune__epci_id",
                    "departement": "commune__departement_id",
                    "zone_emploi": "commune__zone_emploi_id",
                    "region": "commune__region_id",
                }[territory.level]: territory.key
            }
        )
    )
    return {
        "territory": {"level": territory.level, "key": territory.key, "name": territory.name},
        "sites": sites,
        "terrains": figures,
        "availability": ind.surface_breakdown(figures),
        "establishments": jobs,
        "friches": friches,
        "consumption_by_year": ind.land_consumption_by_year(terrains),
        "naf": ind.naf_trajectory(naf),
    }


def site_indicators(actor: Actor, site: Site, *, today: dt.date | None = None) -> dict:
    """Indicators of one (visible) site."""
    terrains = terrains_visible(actor).filter(site_eco=site)
    figures = ind.terrain_figures(terrains, today=today)
    return {
        "sites": {
            "sites": 1,
            "gross_ha": site.site_surf_brute,
            "usable_declared_ha": site.site_surf_utile,
        },
        "terrains": figures,
        "availability": ind.surface_breakdown(figures),
        "establishments": ind.establishment_figures(
            etablissements_visible(actor).filter(terrain_eco__site_eco=site), usable_ha=figures["usable_ha"]
        ),
        "friches": ind.friche_figures(friches_visible(actor).filter(site_eco=site)),
        "consumption_by_year": ind.land_consumption_by_year(terrains),
    }


def regional_dashboard(actor: Actor, *, region_code: str, today: dt.date | None = None) -> dict:
    """Available land by EPCI and by département of a region: a few GROUP BY queries."""
    territory = Territory("region", region_code, "")
    terrains = terrains_visible(actor).filter(territory.commune_q())
    sites = sites_visible(actor).filter(territory.commune_q())
    etabs = etablissements_visible(actor).filter(territory.commune_q())
    total = ind.terrain_figures(terrains, today=today)
    groups = {}
    for level, key, model in (
        ("epci", "commune__epci_id", Epci),
        ("departement", "commune__departement_id", Departement),
    ):
        by_terrain = ind.terrain_figures_by(terrains, key, today=today)
        by_site = ind.site_figures_by(sites, key)
        by_etab = ind.establishment_figures_by(etabs, key)
        names = dict(model.objects.filter(pk__in=[k for k in by_terrain if k]).values_list("pk", "name"))
        rows = []
        for code, figures in by_terrain.items():
            if code is None:
                continue
            site = by_site.get(code, {})
            etab = by_etab.get(code, {})
            rows.append(
                {
                    "code": code,
                    "name": names.get(code, code),
                    **figures,
                    "sites": site.get("sites", 0),
                    "gross_ha": site.get("gross_ha", 0.0),
                    "establishments": etab.get("establishments", 0),
                    "jobs": etab.get("jobs", 0),
                }
            )
        rows.sort(key=lambda r: (-r["now_ha"], r["name"]))
        groups[level] = rows
    return {"total": total, "availability": ind.surface_breakdown(total), **groups}


# --- Lists, sheets and map layers ------------------------------------------------------------------------


def site_list(
    actor: Actor, *, min_readiness: int | None = None, today: dt.date | None = None, **filters
) -> list[Site]:
    """Visible sites matching the filters (the keywords of `sites_filtered`: epci, vocation, state,
    min_available_ha, label, cle_en_main, q), each with `available_ha`, `short_ha`, `readiness` attributes.

    Availability filters run in SQL; readiness (a pure function of the extensions) is computed in Python for
    every site (a list page computes it for its rows only: `site_rows` and `sites_readiness`)."""
    result = list(site_rows(actor, today=today, outlines=True, **filters))
    sites_readiness(result, today=today)
    if min_readiness is not None:
        result = [s for s in result if s.readiness.score >= min_readiness]
    return result


def site_rows(
    actor: Actor, *, today: dt.date | None = None, outlines: bool = False, **filters
) -> QuerySet[Site]:
    """The visible sites matching the filters of `site_list`, sorted by name, with `available_ha`, `short_ha`
    and their soil pollution (`polluted`, `suspected`) — as a query, so that a list page reads its count, its
    total and its 50 rows only (instantiating the Région's 3,000 sites with their outlines and computing
    every readiness took 7 s), then `sites_readiness` for the rows it shows. Outlines only with `outlines`."""
    visible = (
        sites_visible(actor)
        .select_related("commune")
        .defer(
            *(f"commune__{name}" for name in STORED_GEOMETRIES)  # a list shows the commune's name only
        )
    )
    if not outlines:
        visible = visible.defer(*STORED_GEOMETRIES)
    sites = sites_filtered(actor, visible, today=today, **filters)
    friches = friches_visible(actor)
    sites = sites.annotate(
        polluted=Exists(friches.filter(Q(site_eco=OuterRef("pk")), sol_pollution_existe=PROVEN)),
        suspected=Exists(friches.filter(Q(site_eco=OuterRef("pk")), sol_pollution_existe=SUSPECTED)),
    )
    return sites.order_by("site_nom", "pk")


def sites_readiness(sites, *, today: dt.date | None = None) -> None:
    """Set `readiness` on sites of `site_list` (their soil pollution annotated), where it is not set yet."""
    for site in sites:
        if getattr(site, "readiness", None) is None:
            pollution = PROVEN if site.polluted else (SUSPECTED if site.suspected else None)
            site.readiness = readiness_for_site(site, today=today, soil_pollution=pollution)


def sites_filtered(
    actor: Actor,
    sites: QuerySet[Site],
    *,
    epci: str | None = None,
    vocation: str | None = None,
    state: str | None = None,
    min_available_ha: float | None = None,
    label: str | None = None,
    cle_en_main: bool | None = None,
    q: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Site]:
    """`sites` (already visible to `actor`) narrowed by the site filters that run in SQL — every filter of
    `site_list` but the readiness — with `available_ha` and `short_ha`. A map tile narrows its own few sites
    with it, instead of the whole filtered list for each tile."""
    terrains = terrains_visible(actor)
    if epci:
        # The EPCI's communes as a subquery: a join to the communes made PostgreSQL read all of them.
        in_communes = Commune.objects.filter(epci_id=epci).values("code")
        sites = sites.filter(Q(site_epci_siren=epci) | Q(commune_id__in=in_communes))
    if vocation:
        sites = sites.filter(site_vocadomi=vocation)
    if state:
        sites = sites.filter(site_etat=state)
    if label:
        sites = sites.filter(ind.label_q(label))
    if q:
        sites = sites.filter(
            Q(site_nom__unaccent_icontains=q)
            | Q(site_id__icontains=q)
            | Q(site_comm_nom__unaccent_icontains=q)
        )
    if cle_en_main is not None:
        turnkey = terrains.filter(site_eco=OuterRef("pk"), terr_cle_en_main=True)
        sites = sites.filter(Exists(turnkey)) if cle_en_main else sites.exclude(Exists(turnkey))

    def surface_of(key):
        per_site = (
            terrains.filter(site_eco=OuterRef("pk"))
            .annotate(avail=av.availability_case(today=today), surf=av.surface_ha())
            .filter(avail=key)
            .order_by()
            .values("site_eco")
            .annotate(total=Sum("surf"))
            .values("total")
        )
        return Coalesce(Subquery(per_site, output_field=FloatField()), 0.0)

    sites = sites.annotate(available_ha=surface_of(av.NOW), short_ha=surface_of(av.SHORT))
    if min_available_ha is not None:
        sites = sites.filter(available_ha__gte=min_available_ha)
    return sites


def site_detail(actor: Actor, pk: int, *, today: dt.date | None = None) -> dict:
    """A visible site's sheet: the site, its terrains (classified, personal fields only for the owner),
    establishments, nearby friches, readiness and blocks, label decisions, and the history of vintages."""
    site = get_visible_or_404(actor, Site.objects.select_related("commune", "owner", "pole_eco"), pk=pk)
    terrains = list(terrains_visible(actor).filter(site_eco=site).order_by("terr_id"))
    personal = can_see_personal_fields(actor, site)
    linked = list(
        friches_visible(actor)
        .filter(Q(site_eco=site) | Q(terrain_eco__site_eco=site))
        .values_list("terrain_eco_id", "sol_pollution_existe")
    )
    site_pollution = worst_pollution(p for _, p in linked)
    for terrain in terrains:
        terrain.availability = av.classify(terrain, today=today)
        terrain.availability_label = av.CLASSES[terrain.availability]
        own = worst_pollution(p for t, p in linked if t == terrain.pk)
        terrain.readiness = readiness_for_terrain(
            terrain, site, today=today, soil_pollution=own or site_pollution
        )
        terrain.show_personal = personal and can_see_personal_fields(actor, terrain)
    etabs = list(
        etablissements_visible(actor).filter(terrain_eco__site_eco=site).order_by("etab_nom", "siret")
    )
    # The history of a visible site is visible: what each vintage of its producing organisation did to the site
    # and to its terrains (added, changed field by field, removed), newest first.
    history = (
        RecordVersion.objects.filter(vintage__owner_id=site.owner_id)
        .filter(
            Q(table="site-eco", record_key=site.site_id)
            | Q(table="terrain-eco", record_key__in=[t.terr_id for t in terrains])
        )
        .select_related("vintage")
        .order_by("-vintage__created_at", "-vintage__number", "table", "record_key")
    )
    return {
        "site": site,
        "terrains": terrains,
        "etablissements": etabs,
        "friches_nearby": friches_near(actor, site),
        "registry_establishments": list(establishments_in_outline(site.geometry)[:MAX_REGISTRY_IN_SITE]),
        "readiness": readiness_for_site(site, today=today, soil_pollution=site_pollution),
        "indicators": site_indicators(actor, site, today=today),
        "label_decisions": list(
            LabelDecision.objects.filter(site=site).select_related("proposed_by_org", "decided_by_org")
        ),
        "history": list(history[:200]),
        "distances": distance_rows(site),
        "personal_fields": Terrain.PERSONAL_FIELDS,
        "show_personal": personal,
    }


def distance_rows(obj: Site | Terrain) -> list[dict]:
    """The distances of a site or terrain to the networks, each with where it comes from (French): the value the
    producer typed, or the one computed from the loaded reference layer (`land.models.layers.distance_fields`,
    the rule the matching reads). Kinds with neither are left out."""
    layers = {layer.kind: layer for layer in ReferenceLayer.objects.all()}
    rows = []
    for kind, spec in DISTANCE_KINDS.items():
        km, typed = distance_of(obj, kind)
        if km is None:
            continue
        layer = layers.get(kind)
        computed = distance_of_computed(obj, kind)
        if typed:
            source = "saisie par le producteur"
        else:
            when = timezone.localtime(layer.loaded_at).strftime("%d/%m/%Y") if layer else "?"
            name = layer.source_name if layer else "?"
            source = f"calculée depuis la couche « {LayerKind(kind).label} » ({name}) du {when}"
        rows.append(
            {
                "kind": kind,
                "label": spec.label[:1].upper() + spec.label[1:],
                "km": km,
                "typed": bool(typed),
                "source": source,
                "computed_km": computed if typed else None,
            }
        )
    return rows


def distance_of_computed(obj: Site | Terrain, kind: str) -> float | None:
    """The distance computed from the layer alone (a terrain without geometry: its site's)."""
    column = DISTANCE_KINDS[kind].column
    value = getattr(obj, column, None)
    if value is None and isinstance(obj, Terrain) and obj.site_eco_id:
        value = getattr(obj.site_eco, column, None)
    return value


def friches_near(actor: Actor, site: Site, *, km: float = NEARBY_FRICHES_KM) -> list[Friche]:
    """Visible friches inside the site, or whose geometry lies within `km` of the site's (Lambert-93)."""
    friches = friches_visible(actor)
    inside = Q(site_eco=site) | Q(terrain_eco__site_eco=site)
    if site.geometry is None:
        return list(friches.filter(inside).order_by("site_nom")[:50])
    near = Q(geometry_l93__dwithin=(site.geometry, D(m=km * 1000)))  # PostGIS projects the site's outline
    return list(friches.filter(inside | near).order_by("site_nom")[:50])


def containing_sites_and_terrains(lons: np.ndarray, lats: np.ndarray) -> tuple[list, list]:
    """For each WGS84 point, the site and the terrain whose geometry contains it (boundary included; the
    lowest id when several do), or None. One PostGIS query over the GiST indexes."""
    if not len(lons):
        return [], []
    known = np.isfinite(lons) & np.isfinite(lats)
    sql = f"""
        SELECT (SELECT s.id FROM {Site._meta.db_table} s WHERE ST_Intersects(s.geometry, p.pt) ORDER BY s.id LIMIT 1),
               (SELECT t.id FROM {Terrain._meta.db_table} t WHERE ST_Intersects(t.geometry, p.pt) ORDER BY t.id LIMIT 1)
        FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt
              FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(lon, lat, i)) AS p
        ORDER BY p.i
    """  # noqa: S608 — table names come from the models
    with connection.cursor() as cursor:
        cursor.execute(sql, [np.where(known, lons, 0).tolist(), np.where(known, lats, 0).tolist()])
        rows = cursor.fetchall()
    sites = [row[0] if ok else None for row, ok in zip(rows, known.tolist(), strict=True)]
    terrains = [row[1] if ok else None for row, ok in zip(rows, known.tolist(), strict=True)]
    return sites, terrains


def friche_list(
    actor: Actor,
    *,
    q: str | None = None,
    epci: str | None = None,
    statut: str | None = None,
    site_type: str | None = None,
    pollution: str | None = None,
) -> QuerySet[Friche]:
    """Visible friches matching the filters, by name. `epci` is the EPCI of the friche's commune, whoever
    produced it (an EPCI, a State service, the Région)."""
    friches = friches_visible(actor).select_related("commune__epci", "owner")
    if q:
        friches = friches.filter(
            Q(site_nom__icontains=q) | Q(site_id__icontains=q) | Q(comm_nom__icontains=q)
        )
    if epci:
        friches = friches.filter(commune__epci_id=epci)
    if statut:
        friches = friches.filter(site_statut=statut)
    if site_type:
        friches = friches.filter(site_type=site_type)
    if pollution:
        friches = friches.filter(sol_pollution_existe=pollution)
    return friches.order_by("site_nom", "pk")


def friche_epci_choices(actor: Actor) -> list[tuple[str, str]]:
    """EPCI whose communes hold at least one visible friche (for the list's filter)."""
    sirens = friches_visible(actor).values_list("commune__epci_id", flat=True).distinct()
    return list(Epci.objects.filter(pk__in=list(sirens)).order_by("name").values_list("pk", "name"))


def cadastral_parcels(refcad: str) -> list[dict]:
    """The parcels of a friche's `unite_fonciere_refcad` (`|`-separated 14-character idpar: commune, prefix,
    section, number), split for display; an identifier of another shape is kept whole."""
    parcels = []
    for idpar in (part.strip() for part in (refcad or "").split("|")):
        if not idpar:
            continue
        if len(idpar) == 14:
            parcels.append(
                {
                    "idpar": idpar,
                    "commune": idpar[:5],
                    "prefix": idpar[5:8],
                    "section": idpar[8:10].lstrip("0") or "0",
                    "number": idpar[10:].lstrip("0") or "0",
                }
            )
        else:
            parcels.append({"idpar": idpar, "commune": "", "prefix": "", "section": "", "number": ""})
    return parcels


def friche_detail(actor: Actor, pk) -> dict:
    """A visible friche's sheet: the friche (personal fields only for its owner), its parcels, the site or
    terrain it lies in when visible, and the history of its vintages (oldest first)."""
    friche = get_visible_or_404(
        actor, Friche.objects.select_related("commune__epci", "owner", "last_vintage"), pk=pk
    )
    personal = can_see_personal_fields(actor, friche)
    site = sites_visible(actor).filter(pk=friche.site_eco_id).first() if friche.site_eco_id else None
    terrain = (
        terrains_visible(actor).select_related("site_eco").filter(pk=friche.terrain_eco_id).first()
        if friche.terrain_eco_id
        else None
    )
    return {
        "friche": friche,
        "show_personal": personal,
        "personal_fields": Friche.PERSONAL_FIELDS,
        "parcels": cadastral_parcels(friche.unite_fonciere_refcad),
        "site": site,
        "terrain": terrain,
        "history": list(record_history(table="friches", record_key=friche.site_id, owner_id=friche.owner_id)),
    }


def map_layers(
    actor: Actor,
    *,
    sites: QuerySet[Site] | None = None,
    territory: Territory | None = None,
    friches: QuerySet[Friche] | None = None,
    today=None,
) -> dict:
    """GeoJSON layers `sites`, `terrains` and `friches` (every visible object asked for, no cap), terrains
    coloured by availability, for the GeoJSON downloads and the API; the web maps read vector tiles
    (`land_tile`) and embed this only for a page's few objects.

    Properties are public fields only (never the personal ones)."""
    site_qs = sites_visible(actor) if sites is None else scope_queryset(actor, sites)
    terrain_qs = terrains_visible(actor).filter(site_eco__in=site_qs.values("pk"))
    friche_qs = friches_visible(actor) if friches is None else scope_queryset(actor, friches)
    if territory is not None:
        site_qs = site_qs.filter(territory.commune_q())
        terrain_qs = terrain_qs.filter(territory.commune_q())
        friche_qs = friche_qs.filter(territory.commune_q())
    site_features = [
        feature(
            s["geometry"],
            {"nom": s["site_nom"], "code": s["site_id"], "id": s["pk"], "vocation": s["site_vocadomi"]},
        )
        for s in site_qs.values("pk", "site_nom", "site_id", "site_vocadomi", "geometry")
    ]
    terrain_features = [
        feature(
            t["geometry"],
            {
                "nom": t["terr_id"],
                "site": t["site_eco_id"],
                "disponibilite": t["avail"],
                "libelle": av.CLASSES[t["avail"]],
                "couleur": av.COLOURS[t["avail"]],
                "surface_ha": round(t["surf"] or 0, 2),
            },
        )
        for t in terrain_qs.annotate(avail=av.availability_case(today=today), surf=av.surface_ha()).values(
            "terr_id", "site_eco_id", "geometry", "avail", "surf"
        )
    ]
    friche_features = [
        feature(
            f["geometry"],
            {
                "nom": f["site_nom"],
                "code": f["site_id"],
                "id": f["pk"],
                "statut": f["site_statut"],
                "type": f["site_type"],
            },
        )
        for f in friche_qs.values("pk", "site_nom", "site_id", "site_statut", "site_type", "geometry")
    ]
    return {
        "sites": feature_collection(site_features),
        "terrains": feature_collection(terrain_features),
        "friches": feature_collection(friche_features),
    }


# --- Vector tiles ------------------------------------------------------------------------------------------
TILE_LAYERS = ("sites", "terrains", "friches")
# Cartographic generalisation (docs/spatial-model.md, « What a map shows at each zoom »): terrains
# are drawn from this zoom on; below it a terrain (a hectare or so) is under a pixel and the site that holds
# it is drawn instead. The one home of the rule: the tiles omit the layer below it (`land_layers_at`), the
# map's style reads it (`tandem.www.maps.land_tiles`: the layer's `minzoom`), the benchmark asks by it.
TERRAINS_MIN_ZOOM = 10
LAYER_MIN_ZOOM = {"terrains": TERRAINS_MIN_ZOOM}


def land_layers_at(z: int, names=TILE_LAYERS) -> list[str]:
    """The land layers among `names` that a map draws at zoom `z` (`LAYER_MIN_ZOOM`; sites and friches at
    every zoom)."""
    return [name for name in names if z >= LAYER_MIN_ZOOM.get(name, 0)]


def land_tile_layers(layer: str) -> list[str]:
    """The land layers of a tile address: one name (`sites`) or several, comma-separated (`sites,terrains,
    friches`: one tile carrying each as its own MVT layer, so that a map asks one tile per place instead of one
    per layer). Anything else answers 404, like an unknown tile."""
    names = layer.split(",")
    if not names or any(n not in TILE_LAYERS for n in names) or len(set(names)) != len(names):
        raise Http404("Tuile inconnue.")
    return names


def land_tile(
    actor: Actor,
    *,
    layer: str,
    z: int,
    x: int,
    y: int,
    today=None,
    site_filters: dict | None = None,
    friches: QuerySet[Friche] | None = None,
) -> bytes:
    """One Mapbox vector tile (`ST_AsMVT`) of one or several land layers (`land_tile_layers`: `sites`,
    `terrains`, `friches`, each an MVT layer of that name), with every object `actor` may see in it and no
    other (each layer starts from `scope_queryset`), with the public properties of `map_layers` only (never a
    personal field), and no feature cap. The GiST index on `geometry_3857` selects the objects of the tile;
    one statement builds every layer (`mvt_tile`). Below its `LAYER_MIN_ZOOM` a layer is omitted
    (`land_layers_at`: no terrain below zoom 10), the tile of that layer alone being empty.

    `site_filters` (the keyword arguments of `site_list`) narrow the sites and terrains to a page's filtered
    objects (the land map's filters; the terrains follow their sites): the SQL filters apply to the tile's own
    objects (`sites_filtered`), the readiness one through `site_ids_ready` (computed once for all the tiles
    of a map). `friches` narrows the friches. An outline too small for the zoom is drawn as its inner point.

    The layers' SQL (the permission scope included) is the same for every tile of a map: unfiltered, it is
    compiled once per actor's scope (`Actor.scope_key`: the values the permission filters write into the SQL)
    and day (`compiled_layers`), not once a tile; what it reads is read when it runs."""
    names = land_layers_at(z, land_tile_layers(layer))
    tile_check(z, x, y)
    if not names:
        return b""  # an empty tile: its only layer is not drawn at this zoom
    day = today or dt.date.today()

    def build():
        return [_land_tile_layer(actor, name, day, site_filters, friches) for name in names]

    if site_filters and any(v is not None for v in site_filters.values()) or friches is not None:
        layers = build()  # a page's filters: compiled for this tile only
    else:
        key = ("land", tuple(names), actor.scope_key(), day)
        layers = compiled_layers(key, build)
    return mvt_tile(layers, tile=(z, x, y))


def land_tile_etag(actor: Actor, *, layer: str, z: int, x: int, y: int) -> str:
    """The version of an unfiltered land tile as `actor` sees it, for HTTP revalidation (a map panned back
    asks again with `If-None-Match` and gets « not modified » without the tile being built): who asks
    (`Actor.scope_key`), the tile, the day (availability classes) and the version of the land tables (moved on
    by every write to them, sharing changes included, and to the organisations: `visibility_version`)."""
    names = land_layers_at(z, land_tile_layers(layer))  # the layers the tile carries at this zoom
    key = (names, z, x, y, actor.scope_key(), dt.date.today(), visibility_version(Site, Terrain, Friche))
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


def _land_tile_layer(
    actor: Actor, layer: str, today, site_filters: dict | None, friches: QuerySet[Friche] | None
) -> TileLayer | None:
    """The SQL of one land layer of a tile (the statement's `TILE`)."""
    labels = None
    site_filters = {k: v for k, v in (site_filters or {}).items() if v is not None}
    min_readiness = site_filters.pop("min_readiness", None)

    def narrowed(sites: QuerySet[Site]) -> QuerySet[Site]:
        if site_filters:
            sites = sites_filtered(actor, sites, **site_filters, today=today)
        if min_readiness is not None:
            sites = sites.filter(pk__in=site_ids_ready(actor, min_readiness, site_filters, today=today))
        return sites

    if layer == "sites":
        qs = narrowed(sites_visible(actor)).annotate(
            nom=F("site_nom"), code=F("site_id"), vocation=F("site_vocadomi")
        )
        columns = ["id", "nom", "code", "vocation"]
    elif layer == "terrains":
        avail = av.availability_case(today=today)
        qs = terrains_visible(actor).annotate(
            nom=F("terr_id"),
            site=F("site_eco_id"),
            disponibilite=avail,
            # round(numeric, 2): PostgreSQL has no round(double precision, integer).
            surface_ha=Cast(
                Round(Cast(av.surface_ha(), DecimalField(max_digits=14, decimal_places=4)), 2), FloatField()
            ),
        )
        if site_filters or min_readiness is not None:
            qs = qs.filter(site_eco__in=narrowed(sites_visible(actor)).values("pk"))
        columns = ["id", "nom", "site", "disponibilite", "surface_ha"]
        labels = {"libelle": ("disponibilite", av.CLASSES), "couleur": ("disponibilite", av.COLOURS)}
    else:
        qs = friches_visible(actor).annotate(
            nom=F("site_nom"), code=F("site_id"), statut=F("site_statut"), type=F("site_type")
        )
        if friches is not None:
            qs = qs.filter(pk__in=friches.values("pk"))
        columns = ["id", "nom", "code", "statut", "type"]
    return tile_layer(
        qs.filter(geometry_3857__bboverlaps=tile_envelope(*TILE)),
        name=layer,
        columns=columns,
        geometry=tile_geometry(*TILE, point_fallback=("centroid_lon", "centroid_lat")),
        labels=labels,
    )


READY_CACHE_SECONDS = 600


def site_ids_ready(actor: Actor, min_readiness: int, site_filters: dict, *, today=None) -> list[int]:
    """Ids of the sites of `site_list(actor, min_readiness=…, **site_filters)`: the readiness is computed in
    Python over the whole filtered list, so a map's tiles share one computation, kept in the cache under the
    actor, the filters, the day and the visibility version of the land tables (any write to them, a sharing
    change included, makes a new key)."""
    day = today or dt.date.today()
    key = (
        "land:ready:"
        + hashlib.sha256(
            repr(
                (
                    actor.scope_key(),
                    actor.current_org_id,
                    sorted(site_filters.items()),
                    min_readiness,
                    day.isoformat(),
                    visibility_version(Site, Terrain, Friche),
                )
            ).encode()
        ).hexdigest()
    )
    ids = cache.get(key)
    if ids is None:
        ids = [s.pk for s in site_list(actor, min_readiness=min_readiness, today=today, **site_filters)]
        cache.set(key, ids, READY_CACHE_SECONDS)
    return ids


def land_extent(
    actor: Actor, *, sites: QuerySet[Site] | None = None, friches: QuerySet[Friche] | None = None
) -> tuple[float, float, float, float] | None:
    """WGS84 (west, south, east, north) of the visible sites and friches given (all visible ones by default),
    for a map to open on them; None when there is none."""
    boxes = []
    for qs in (
        sites_visible(actor) if sites is None else scope_queryset(actor, sites),
        friches_visible(actor) if friches is None else scope_queryset(actor, friches),
    ):
        extent = qs.aggregate(extent=Extent("geometry"))["extent"]
        if extent:
            boxes.append(extent)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def terrain_public_values(actor: Actor, terrain: Terrain) -> dict:
    """A terrain's standard columns for display or API, without the personal fields unless allowed."""
    hidden = set() if can_see_personal_fields(actor, terrain) else set(Terrain.PERSONAL_FIELDS)
    return {
        f.name: getattr(terrain, f.attname)
        for f in Terrain._meta.concrete_fields
        if f.name not in hidden and f.name not in STORED_GEOMETRIES
    }


def epci_choices(actor: Actor) -> list[tuple[str, str]]:
    """EPCI that have at least one visible site (for the list's filter)."""
    sirens = sites_visible(actor).values_list("site_epci_siren", flat=True).distinct()
    return list(Epci.objects.filter(pk__in=list(sirens)).order_by("name").values_list("pk", "name"))


# --- Vintages, history, generator places -----------------------------------------------------------------


def vintage_list(*, scope: str | None = None, owner_ids: set[int] | None = None) -> QuerySet[Vintage]:
    """Vintages, newest first; restrict to a scope (« sites_economiques:<SIREN> ») or to owners."""
    qs = Vintage.objects.select_related("epci", "owner")
    if scope:
        qs = qs.filter(scope=scope)
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=owner_ids)
    return qs.order_by("-created_at", "-number")


def record_history(*, table: str, record_key: str, owner_id: int) -> QuerySet[RecordVersion]:
    """What each vintage of `owner_id` did to one record (added, changed field by field, removed), oldest
    first. The caller has already checked that the record (or its owner's data) is visible."""
    return (
        RecordVersion.objects.filter(table=table, record_key=record_key, vintage__owner_id=owner_id)
        .select_related("vintage")
        .order_by("vintage__created_at", "vintage__number")
    )


def vintage_diff_lines(vintage: Vintage) -> list[str]:
    """The vintage's diff in French, one line per added / removed / changed record and field."""
    lines = []
    for table, diff in vintage.diff.items():
        lines.append(
            f"{table} : {diff['added_count']} ajout(s), {diff['changed_count']} modification(s), "
            f"{diff['removed_count']} suppression(s)"
        )
        lines += [f"  + {key}" for key in diff["added"]]
        lines += [f"  - {key}" for key in diff["removed"]]
        for key, fields in diff["changed"].items():
            for name, (old, new) in fields.items():
                lines.append(f"  ~ {key} : {name} « {old} » → « {new} »")
    return lines


def commune_places(*, epci_sirens: list[str] | None = None, region: str | None = None) -> list[CommunePlace]:
    """Real communes (with a point inside each) for the inventory generator, in code order."""
    from tandem.land.generate import CommunePlace  # the generator is pure; imported lazily

    qs = Commune.objects.filter(is_current=True, epci__isnull=False, centroid_lat__isnull=False)
    if epci_sirens:
        qs = qs.filter(epci_id__in=epci_sirens)
    if region:
        qs = qs.filter(region_id=region)
    return [
        CommunePlace(code, name, siren, epci_name, lon, lat)
        for code, name, siren, epci_name, lon, lat in qs.order_by("code").values_list(
            "code", "name", "epci_id", "epci__name", "centroid_lon", "centroid_lat"
        )
    ]


# Accent-insensitive search: letters folded to their unaccented form on both sides, then `icontains`. One place,
# so that it can switch to PostgreSQL's unaccent / pg_trgm once those extensions are installed.
_ACCENTED, _PLAIN = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ", "aaaaaaceeeeiiiinooooouuuuyy"
_FOLD = str.maketrans(_ACCENTED, _PLAIN)
_FOLD_SQL = list(zip(_ACCENTED, _PLAIN, strict=True))


def fold_text(text: str) -> str:
    """Lower case, no accents: « Saint-Étienne » → « saint-etienne »."""
    return (text or "").lower().translate(_FOLD)


def _folded(field: str):
    from django.db.models import TextField
    from django.db.models.functions import Cast, Lower, Replace

    expr = Lower(Cast(field, TextField()))
    for accented, plain in _FOLD_SQL:
        expr = Replace(expr, Value(accented), Value(plain), output_field=TextField())
    return expr


def land_search(actor: Actor, text: str, *, limit: int = 20) -> list[dict]:
    """Terrains, sites and friches `actor` may see whose CNIG identifier, name or commune contains `text`
    (accent- and case-insensitive), best matches first (identifier, then name): the search that replaces typing
    a database id."""
    words = fold_text(text).split()
    if not words:
        return []
    specs = (
        ("terrain", terrains_visible(actor), "terr_id", "site_eco__site_nom", "commune__name"),
        ("site", sites_visible(actor), "site_id", "site_nom", "commune__name"),
        ("friche", friches_visible(actor), "site_id", "site_nom", "comm_nom"),
    )
    found = []
    for kind, qs, ident, name, commune in specs:
        qs = qs.annotate(s_id=_folded(ident), s_name=_folded(name), s_commune=_folded(commune))
        for word in words:
            qs = qs.filter(Q(s_id__contains=word) | Q(s_name__contains=word) | Q(s_commune__contains=word))
        related = ("commune", "site_eco") if kind == "terrain" else ("commune",)
        for obj in qs.select_related(*related).order_by("pk")[:limit]:
            label_name = obj.site_eco.site_nom if kind == "terrain" else obj.site_nom
            ident_value = getattr(obj, ident)
            found.append(
                {
                    "kind": kind,
                    "object_id": obj.pk,
                    "identifier": ident_value,
                    "name": label_name,
                    "commune": obj.commune.name if obj.commune_id else getattr(obj, "comm_nom", ""),
                    "surface_ha": _surface_of(kind, obj),
                    "rank": (
                        fold_text(ident_value) != fold_text(text),
                        words[0] not in fold_text(label_name),
                    ),
                }
            )
    found.sort(key=lambda r: (r["rank"], r["kind"], r["identifier"]))
    for r in found:
        del r["rank"]
    return found[:limit]


def _surface_of(kind: str, obj) -> float | None:
    if kind == "terrain":
        return obj.terr_surf_brute if obj.terr_surf_brute is not None else obj.area_ha
    if kind == "site":
        return obj.site_surf_comm_dispo if obj.site_surf_comm_dispo is not None else obj.site_surf_brute
    return obj.unite_fonciere_surface / 10_000 if obj.unite_fonciere_surface else obj.area_ha

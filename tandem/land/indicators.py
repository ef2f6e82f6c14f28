"""Land indicators: surfaces, availability, vacancy, jobs, friches and land consumption.

Every figure is one aggregate query over querysets the caller has already scoped through the permission layer
(`tandem.land.selectors`): nothing here loops over terrains in Python, so a region of 150,000 terrains costs a
handful of queries. Surfaces are in hectares (the standard's unit), NAF consumption in m² as Cerema publishes it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear

from tandem.land import availability as av
from tandem.land.models import Etablissement, Friche, NafConsumption, Site, Terrain

# Midpoints of INSEE headcount bands (`etab_effectif_code`, tranches d'effectif salarié); « NN » and « 00 »
# (no employee, or unknown) count zero. The top band « 53 » (10,000 or more) counts 10,000.
HEADCOUNT_MIDPOINTS = {
    "01": 1.5,
    "02": 4,
    "03": 7.5,
    "11": 14.5,
    "12": 34.5,
    "21": 74.5,
    "22": 149.5,
    "31": 224.5,
    "32": 374.5,
    "41": 749.5,
    "42": 1499.5,
    "51": 3499.5,
    "52": 7499.5,
    "53": 10000,
}
# Climat et Résilience: NAF consumption over 2021–2030 must be at most half of 2011–2020.
REFERENCE_YEARS = range(2011, 2021)
TRAJECTORY_YEARS = range(2021, 2031)


def _round(value, digits=2):
    return round(float(value or 0), digits)


def label_q(label: str, prefix: str = "") -> Q:
    """Sites carrying `label` in their `tdm_labels` list (JSON containment)."""
    return Q(**{f"{prefix}tdm_labels__contains": [label]})


def jobs_expression():
    """Estimated jobs of an establishment from its headcount band (SQL)."""
    return Case(
        *[When(etab_effectif_code=code, then=Value(mid)) for code, mid in HEADCOUNT_MIDPOINTS.items()],
        default=Value(0.0),
        output_field=FloatField(),
    )


def _terrain_aggregates(today: dt.date) -> dict:
    counted = av.counted_q()
    aggregates = {
        "terrains": Count("pk"),
        "terrains_counted": Count("pk", filter=counted),
        "usable_ha": Coalesce(Sum("surf", filter=counted), 0.0),
        "built_units": Count("pk", filter=counted & Q(terr_etat_occup__in=av.BUILT_UNITS)),
        "vacant_units": Count("pk", filter=counted & Q(terr_etat_occup__in=av.VACANT)),
        "cle_en_main_ha": Coalesce(
            Sum("surf", filter=Q(avail__in=[av.NOW, av.SHORT], terr_cle_en_main=True)), 0.0
        ),
    }
    for key in av.CLASSES:
        aggregates[f"{key}_ha"] = Coalesce(Sum("surf", filter=Q(avail=key)), 0.0)
        aggregates[f"{key}_count"] = Count("pk", filter=Q(avail=key))
    return aggregates


def _annotated(terrains: QuerySet[Terrain], today: dt.date) -> QuerySet[Terrain]:
    return terrains.annotate(avail=av.availability_case(today=today), surf=av.surface_ha())


def _finish_terrain_figures(row: dict) -> dict:
    out = {k: (_round(v) if k.endswith("_ha") else v) for k, v in row.items()}
    out["available_ha"] = out["now_ha"]
    out["mobilisable_ha"] = _round(row["now_ha"] + row["short_ha"] + row["medium_ha"])
    built = row["built_units"]
    out["vacancy_rate"] = round(row["vacant_units"] / built, 4) if built else None
    return out


def terrain_figures(terrains: QuerySet[Terrain], *, today: dt.date | None = None) -> dict:
    """Surfaces (ha) and counts by availability class, usable surface and vacancy rate of these terrains.

    The vacancy rate is art. L318-8-2's ratio of vacant built units (`vacant`, `friche`) to built units.
    """
    today = today or dt.date.today()
    row = _annotated(terrains, today).aggregate(**_terrain_aggregates(today))
    return _finish_terrain_figures(row)


def terrain_figures_by(terrains: QuerySet[Terrain], key: str, *, today: dt.date | None = None) -> dict:
    """The same figures grouped by `key` (e.g. `commune__epci_id`), one GROUP BY query."""
    today = today or dt.date.today()
    rows = _annotated(terrains, today).values(key).order_by(key).annotate(**_terrain_aggregates(today))
    return {row.pop(key): _finish_terrain_figures(row) for row in rows}


def site_figures(sites: QuerySet[Site]) -> dict:
    """Number of sites, gross and usable surface (ha) as declared by the sites (`site_surf_brute/utile`)."""
    row = sites.aggregate(
        sites=Count("pk"),
        gross_ha=Coalesce(Sum("site_surf_brute"), 0.0),
        usable_declared_ha=Coalesce(Sum("site_surf_utile"), 0.0),
        labelled_starest=Count("pk", filter=label_q("STAR'EST")),
    )
    row["gross_ha"] = _round(row["gross_ha"])
    row["usable_declared_ha"] = _round(row["usable_declared_ha"])
    return row


def site_figures_by(sites: QuerySet[Site], key: str) -> dict:
    rows = (
        sites.values(key)
        .order_by(key)
        .annotate(
            sites=Count("pk"),
            gross_ha=Coalesce(Sum("site_surf_brute"), 0.0),
            usable_declared_ha=Coalesce(Sum("site_surf_utile"), 0.0),
        )
    )
    return {
        row[key]: {
            "sites": row["sites"],
            "gross_ha": _round(row["gross_ha"]),
            "usable_declared_ha": _round(row["usable_declared_ha"]),
        }
        for row in rows
    }


def establishment_figures(etablissements: QuerySet[Etablissement], *, usable_ha: float | None = None) -> dict:
    """Active establishments, estimated jobs (headcount band midpoints) and jobs per usable hectare."""
    row = etablissements.exclude(etab_actif=False).aggregate(
        establishments=Count("pk"), jobs=Coalesce(Sum(jobs_expression()), 0.0)
    )
    jobs = round(row["jobs"])
    return {
        "establishments": row["establishments"],
        "jobs": jobs,
        "jobs_per_ha": round(jobs / usable_ha, 1) if usable_ha else None,
    }


def establishment_figures_by(etablissements: QuerySet[Etablissement], key: str) -> dict:
    rows = (
        etablissements.exclude(etab_actif=False)
        .values(key)
        .order_by(key)
        .annotate(establishments=Count("pk"), jobs=Coalesce(Sum(jobs_expression()), 0.0))
    )
    return {row[key]: {"establishments": row["establishments"], "jobs": round(row["jobs"])} for row in rows}


def friche_figures(friches: QuerySet[Friche]) -> dict:
    """Friches by status, type and soil pollution, their surface (ha) and how many lie inside a ZAE."""

    def by(field):
        rows = friches.values(field).order_by(field).annotate(n=Count("pk"))
        return {(row[field] or "non renseigné"): row["n"] for row in rows}

    totals = friches.aggregate(
        friches=Count("pk"),
        surface_m2=Coalesce(Sum("unite_fonciere_surface"), 0),
        inside_zae=Count("pk", filter=Q(site_eco__isnull=False) | Q(terrain_eco__isnull=False)),
    )
    return {
        "friches": totals["friches"],
        "surface_ha": _round(totals["surface_m2"] / 10_000),
        "inside_zae": totals["inside_zae"],
        "by_status": by("site_statut"),
        "by_type": by("site_type"),
        "by_pollution": by("sol_pollution_existe"),
    }


def land_consumption_by_year(terrains: QuerySet[Terrain]) -> list[dict]:
    """Economic land consumed per year from the inventories: terrains sold or occupied, by the year of their
    sale (`terr_cession_date`), else the first creation year of an establishment on them; split by the site's
    type of urbanisation (extension urbaine / renouvellement urbain / other or unknown)."""
    first_establishment = (
        Etablissement.objects.filter(terrain_eco=OuterRef("pk"))
        .order_by()
        .values("terrain_eco")
        .annotate(first=Min("etab_creation_date"))
        .values("first")
    )
    rows = (
        terrains.filter(av.counted_q())
        .filter(Q(terr_etat_occup="occupé") | Q(terr_stade_comm__in=av.SOLD))
        .annotate(
            year=Coalesce(
                ExtractYear("terr_cession_date"),
                ExtractYear(Subquery(first_establishment)),
                output_field=IntegerField(),
            ),
            surf=av.surface_ha(),
        )
        .values("year")
        .order_by("year")
        .annotate(
            total_ha=Sum("surf"),
            extension_ha=Coalesce(Sum("surf", filter=Q(site_eco__site_evol_urba="extension urbaine")), 0.0),
            renewal_ha=Coalesce(Sum("surf", filter=Q(site_eco__site_evol_urba="renouvellement urbain")), 0.0),
            terrains=Count("pk"),
        )
    )
    return [
        {
            "year": row["year"],
            "terrains": row["terrains"],
            "total_ha": _round(row["total_ha"]),
            "extension_ha": _round(row["extension_ha"]),
            "renewal_ha": _round(row["renewal_ha"]),
            "other_ha": _round(row["total_ha"] - row["extension_ha"] - row["renewal_ha"]),
        }
        for row in rows
    ]


def naf_trajectory(consumption: QuerySet[NafConsumption]) -> dict:
    """NAF land consumption (Cerema, m²) of a territory by year, the activity share against the 2011–2020
    reference, and the Climat et Résilience halving trajectory for 2021–2030 (target reached in 2031)."""
    rows = list(
        consumption.values("year")
        .order_by("year")
        .annotate(total_m2=Sum("total_m2"), activity_m2=Sum("activity_m2"))
    )
    years = {row["year"]: row for row in rows}
    ref_total = sum(years[y]["total_m2"] for y in REFERENCE_YEARS if y in years)
    ref_activity = sum(years[y]["activity_m2"] for y in REFERENCE_YEARS if y in years)
    since = [years[y] for y in TRAJECTORY_YEARS if y in years]
    since_total = sum(r["total_m2"] for r in since)
    since_activity = sum(r["activity_m2"] for r in since)
    budget_total = ref_total / 2
    budget_activity = ref_activity / 2
    pace = since_activity / len(since) if since else None
    projected = pace * len(TRAJECTORY_YEARS) if pace is not None else None
    return {
        "by_year": [
            {
                "year": r["year"],
                "total_m2": r["total_m2"],
                "activity_m2": r["activity_m2"],
                "activity_share": round(r["activity_m2"] / r["total_m2"], 4) if r["total_m2"] else None,
            }
            for r in rows
        ],
        "reference_years": [REFERENCE_YEARS[0], REFERENCE_YEARS[-1]],
        "reference_complete": all(y in years for y in REFERENCE_YEARS),
        "reference_total_m2": ref_total,
        "reference_activity_m2": ref_activity,
        "reference_activity_share": round(ref_activity / ref_total, 4) if ref_total else None,
        "budget_2021_2030_total_m2": budget_total,
        "budget_2021_2030_activity_m2": budget_activity,
        "consumed_since_2021_total_m2": since_total,
        "consumed_since_2021_activity_m2": since_activity,
        "years_since_2021": len(since),
        "activity_share_since_2021": round(since_activity / since_total, 4) if since_total else None,
        "activity_pace_m2_per_year": round(pace) if pace is not None else None,
        "activity_projected_2021_2030_m2": round(projected) if projected is not None else None,
        "activity_on_track": (projected <= budget_activity)
        if projected is not None and ref_activity
        else None,
        "activity_remaining_m2": budget_activity - since_activity,
    }


def surface_breakdown(figures: dict) -> list[dict]:
    """The availability classes of `terrain_figures` as rows (label, colour, ha, count) for tables and charts."""
    return [
        {
            "key": key,
            "label": label,
            "colour": av.COLOURS[key],
            "ha": figures[f"{key}_ha"],
            "count": figures[f"{key}_count"],
        }
        for key, label in av.CLASSES.items()
    ]


# --- Steering indicators (declared for `tandem.steering.registry`; read the selectors above) ----------------

# Imported here, after the computing functions: `tandem.steering.registry` imports no model.
from tandem.steering.registry import ALL_KINDS, indicator, per_evaluation  # noqa: E402


@per_evaluation
def _visible_terrain_figures(actor, territory, period) -> dict:
    from tandem.land.selectors import terrains_visible

    today = min(period.end, dt.date.today())
    return terrain_figures(terrains_visible(actor).filter(territory.commune_q()), today=today)


@per_evaluation
def _naf(territory) -> dict:
    return naf_trajectory(NafConsumption.objects.filter(territory.commune_q()))


@indicator(
    code="land.available_now_ha",
    label="Foncier économique disponible immédiatement",
    unit="ha",
    definition="Surface des terrains des sites économiques disponibles dès aujourd'hui (classe « disponible » "
    "de l'inventaire CNIG), sur les terrains visibles.",
    source="land",
    kinds=ALL_KINDS,
)
def available_now_ha(actor, territory, period):
    return _visible_terrain_figures(actor, territory, period)["now_ha"]


@indicator(
    code="land.available_short_ha",
    label="Foncier économique disponible à court terme",
    unit="ha",
    definition="Surface des terrains disponibles à court terme (moins de deux ans) selon l'inventaire.",
    source="land",
)
def available_short_ha(actor, territory, period):
    return _visible_terrain_figures(actor, territory, period)["short_ha"]


@indicator(
    code="land.available_medium_ha",
    label="Foncier économique disponible à moyen terme",
    unit="ha",
    definition="Surface des terrains disponibles à moyen terme (deux à cinq ans) selon l'inventaire.",
    source="land",
)
def available_medium_ha(actor, territory, period):
    return _visible_terrain_figures(actor, territory, period)["medium_ha"]


@indicator(
    code="land.activity_consumed_since_2021_ha",
    label="Espaces consommés par l'activité depuis 2021",
    unit="ha",
    definition="Consommation d'espaces naturels, agricoles et forestiers à destination de l'activité depuis "
    "2021 (Cerema). Cible : l'enveloppe ZAN, moitié de la consommation d'activité de 2011–2020.",
    source="land",
    target=lambda territory: _naf(territory)["budget_2021_2030_activity_m2"] / 10_000 or None,
    target_note="Trajectoire ZAN : au plus la moitié de 2011–2020 sur 2021–2030",
    lower_is_better=True,
)
def activity_consumed_since_2021_ha(actor, territory, period):
    return _naf(territory)["consumed_since_2021_activity_m2"] / 10_000


@indicator(
    code="land.starest_sites",
    label="Sites labellisés STAR'EST",
    unit="count",
    definition="Nombre de sites économiques visibles portant le label STAR'EST.",
    source="land",
)
def starest_sites(actor, territory, period):
    from tandem.land.selectors import sites_visible

    return site_figures(sites_visible(actor).filter(territory.commune_q()))["labelled_starest"]


__all__ = [
    "establishment_figures",
    "establishment_figures_by",
    "friche_figures",
    "land_consumption_by_year",
    "naf_trajectory",
    "site_figures",
    "site_figures_by",
    "surface_breakdown",
    "terrain_figures",
    "terrain_figures_by",
]

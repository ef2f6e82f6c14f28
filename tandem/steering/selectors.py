"""Reads of the steering: the territories followed, dashboards (live values and frozen history)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import Http404

from tandem.core.memory import ProcessMemory
from tandem.land.selectors import Territory
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tandem.steering import registry
from tandem.steering.models import IndicatorSnapshot, LiveValues
from tandem.steering.registry import Period
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi


def followed_region_codes() -> list[str]:
    """The regions that have a Région organisation on the platform: their territories are snapshotted."""
    return sorted(
        Organization.objects.filter(kind=Organization.Kind.REGION, region__isnull=False)
        .values_list("region_id", flat=True)
        .distinct()
    )


def snapshot_territories(region_code: str) -> Iterator[Territory]:
    """Every territory of a region the periodic job freezes: the région, its départements, its EPCI, its zones
    d'emploi, and the Territoires d'industrie and Maisons de Région perimeters lying in it.

    Reads perimeters WITHOUT the permission layer (the job, as the system, covers every territory): the one
    unscoped read of this module."""
    region = Region.objects.get(pk=region_code)
    yield Territory("region", region.pk, region.name)
    for dep in Departement.objects.filter(region_id=region_code).order_by("code"):
        yield Territory("departement", dep.pk, dep.name)
    communes = Commune.objects.filter(region_id=region_code, is_current=True)
    for epci in Epci.objects.filter(pk__in=communes.values("epci_id")).order_by("name"):
        yield Territory("epci", epci.pk, epci.name)
    for zone in ZoneEmploi.objects.filter(pk__in=communes.values("zone_emploi_id")).order_by("name"):
        yield Territory("zone_emploi", zone.pk, zone.name)
    # Unscoped on purpose: the quarterly job covers every official perimeter of the region (docs/steering.md).
    perimeters = Perimeter.objects.unscoped().filter(
        kind__in=[Perimeter.Kind.TERRITOIRE_INDUSTRIE, Perimeter.Kind.MAISON_REGION],
        communes__region_id=region_code,
    ).distinct()
    for perimeter in perimeters.order_by("name"):
        codes = tuple(perimeter.communes.values_list("pk", flat=True))
        yield Territory("perimeter", str(perimeter.pk), perimeter.name, codes, perimeter.kind)


def snapshots_of(territory: Territory) -> QuerySet[IndicatorSnapshot]:
    """The current (last) version of every frozen value of a territory."""
    return IndicatorSnapshot.objects.filter(
        territory_level=territory.level, territory_key=territory.key, is_current=True
    )


def snapshot_versions(territory: Territory, *, code: str) -> QuerySet[IndicatorSnapshot]:
    """Every version of the frozen values of one indicator (corrections with their reasons)."""
    return IndicatorSnapshot.objects.filter(
        territory_level=territory.level, territory_key=territory.key, indicator=code
    ).order_by("-year", "-quarter", "-version")


def change_pct(value: float | None, before: float | None) -> float | None:
    """Relative change in % from `before` to `value` (None when either is missing or `before` is 0)."""
    if value is None or before in (None, 0):
        return None
    return round(100 * (value - before) / abs(before), 1)


def progress_pct(item: registry.Indicator, value: float | None, target: float | None) -> float | None:
    """Progress towards a target in % (for « lower is better » targets: the share of the budget used)."""
    if value is None or not target:
        return None
    return round(100 * value / target, 1)


# Live (« today ») values: the numbers of a territory are the same for every reader allowed to open its dashboard
# (issue 17: « the same numbers, computed once, per territory »), so they are computed ONCE per territory, quarter,
# day and data version — over the whole territory, as the system, like the frozen values — and shared:
# - across the web processes and the job worker through `LiveValues` (one row per territory and quarter; a
#   PostgreSQL advisory lock per territory makes a second reader arriving during the computation wait for it
#   instead of computing it again);
# - inside a process through `LIVE` (no row read at all while the data version has not moved on).
# Per reader only what truly depends on the reader: which territories they may open (`land.selectors.
# territory_resolve`, 404 for a custom perimeter they may not see) and the small-count rule
# (`registry.value_shown`), applied at each read. The key holds `data_version()`, the number every write to a
# versioned table moves on (whichever process made it: tests/core/test_process_caches.py);
# tests/steering/test_live_cache.py checks the figures read versioned tables only.
LIVE_CACHE_SIZE = 512
LIVE_LOCK_SPACE = 0x53544C56  # "STLV": the advisory-lock namespace of the live values (one key per territory)
LIVE_READ_TOUCH = dt.timedelta(minutes=10)  # `read_at` is written again at most this often per territory
LIVE_WARM_DAYS = 2  # the job worker keeps warm the territories read in the last two days
LIVE = ProcessMemory("steering live values", LIVE_CACHE_SIZE)


def _live_fresh(row, *, day: dt.date, version: int) -> bool:
    return row is not None and row.day == day and row.data_version == version


def territory_live_raw(
    territory: Territory, period: Period, *, touch: bool = True
) -> dict[str, float | None]:
    """The raw values (before the small-count rule) of every indicator applying to `territory` for `period`,
    over the whole territory, computed once per data version and day and shared by every reader and process
    (see above). `touch`: mark the territory as read (what the warming job keeps warm)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tandem.organizations.versions import data_version

    day, version = dt.date.today(), data_version()
    key = (territory.level, territory.key, period, day, version)
    remembered = LIVE.get(key)
    if remembered is not None:
        return remembered
    where = {
        "territory_level": territory.level,
        "territory_key": territory.key,
        "year": period.year,
        "quarter": period.quarter,
    }
    now = timezone.now()
    row = LiveValues.objects.filter(**where).first()
    if not _live_fresh(row, day=day, version=version):
        with transaction.atomic():
            with connection.cursor() as cursor:  # one computation at a time per territory, all processes
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                    [LIVE_LOCK_SPACE, f"{territory.level}:{territory.key}:{period.slug}"],
                )
            row = LiveValues.objects.filter(**where).first()  # computed by whoever held the lock?
            version = data_version()
            if not _live_fresh(row, day=day, version=version):
                started = time.perf_counter()
                raw = _live_compute_values(territory, period)
                row, _ = LiveValues.objects.update_or_create(
                    **where,
                    defaults={
                        "day": day,
                        "data_version": version,
                        "values": raw,
                        "computed_at": now,
                        "compute_ms": round(1000 * (time.perf_counter() - started)),
                        "read_at": now if touch or row is None else row.read_at,
                    },
                )
    elif touch and now - row.read_at > LIVE_READ_TOUCH:
        LiveValues.objects.filter(pk=row.pk).update(read_at=now)
    LIVE.put((territory.level, territory.key, period, row.day, row.data_version), row.values)
    return row.values


@registry.evaluation()
def _live_compute_values(territory: Territory, period: Period) -> dict[str, float | None]:
    """The computation itself: every applying indicator over the whole territory (the system actor)."""
    system = Actor.system_actor()
    return {
        item.code: registry.indicator_raw(item, actor=system, territory=territory, period=period)
        for item in registry.indicators(territory=territory)
    }


def live_values(territory: Territory, period: Period) -> dict[str, float | None]:
    """The « today » value of every indicator applying to `territory` for `period`, as a reader sees it: the
    territory's shared numbers (`territory_live_raw`) under the small-count rule."""
    raw = territory_live_raw(territory, period)
    return {
        item.code: registry.value_shown(item, raw.get(item.code))
        for item in registry.indicators(territory=territory)
    }


def live_values_warm(*, budget_s: float = 60.0) -> int:
    """Recompute the live values of the territories read in the last `LIVE_WARM_DAYS` days (most recently read
    first) whose data changed since, within about `budget_s` seconds: the job worker pays the first view after
    an import or any write, so a person rarely does. Returns the number of territories computed."""
    from django.utils import timezone

    from tandem.land.selectors import territory_resolve
    from tandem.organizations.versions import data_version

    day, version = dt.date.today(), data_version()
    since = timezone.now() - dt.timedelta(days=LIVE_WARM_DAYS)
    stale = (
        LiveValues.objects.filter(read_at__gte=since)
        .exclude(day=day, data_version=version)
        .order_by("-read_at")
        .values_list("territory_level", "territory_key", "year", "quarter")
    )
    system = Actor.system_actor()
    started, done = time.perf_counter(), 0
    for level, key, year, quarter in list(stale):
        if time.perf_counter() - started > budget_s:
            break
        try:
            territory = territory_resolve(system, level=level, key=key)
        except Http404:  # a perimeter deleted since: nothing to warm
            LiveValues.objects.filter(territory_level=level, territory_key=key).delete()
            continue
        territory_live_raw(territory, Period(year, quarter), touch=False)
        done += 1
    return done


def territory_dashboard(territory: Territory, *, period: Period | None = None, quarters: int = 8):
    """One row per indicator applying to the territory: its live value (the territory's shared numbers under the
    small-count rule, `live_values`) for the current quarter, the frozen values of the last `quarters` quarters
    (history), the change over one year (frozen value of the quarter against the same quarter a year before)
    and its target with progress."""
    period = period or Period.of(dt.date.today())
    periods = [period]
    for _ in range(quarters - 1):
        periods.insert(0, periods[0].previous())
    frozen = {}
    for snap in snapshots_of(territory).filter(year__gte=periods[0].year - 1):
        frozen[(snap.indicator, snap.year, snap.quarter)] = snap
    rows = []
    values = live_values(territory, period)
    for item in registry.indicators(territory=territory):
        live = values[item.code]
        history = []
        for p in periods:
            snap = frozen.get((item.code, p.year, p.quarter))
            history.append({"period": p, "value": snap.value if snap else None, "snapshot": snap})
        last = next((h for h in reversed(history) if h["snapshot"]), None)
        before = None
        if last:
            ago = last["period"].year_before()
            snap = frozen.get((item.code, ago.year, ago.quarter))
            before = snap.value if snap else None
        target = item.target_for(territory)
        rows.append(
            {
                "indicator": item,
                "live": live,
                "history": history,
                "last": last,
                "year_before": before,
                "change_pct": change_pct(last["value"], before) if last else None,
                "target": target,
                "progress_pct": progress_pct(item, live, target),
            }
        )
    return {"territory": territory, "period": period, "periods": periods, "rows": rows}


def _actor_region_codes(actor: Actor) -> list[str]:
    if actor.is_platform_admin:
        return followed_region_codes()
    orgs = Organization.objects.filter(pk__in=actor.org_ids)
    codes = set(orgs.exclude(region=None).values_list("region_id", flat=True))
    codes |= set(Commune.objects.filter(epci__organization__in=orgs).values_list("region_id", flat=True))
    codes |= set(Commune.objects.filter(organizations__in=orgs).values_list("region_id", flat=True))
    return sorted(codes) or followed_region_codes()


def territory_menu(actor: Actor) -> list[dict]:
    """The territories a reader picks a dashboard from: those of their regions (official geography, and the
    custom perimeters they may see)."""
    from tandem.organizations.perms import scope_queryset

    groups = []
    for code in _actor_region_codes(actor):
        region = Region.objects.filter(pk=code).first()
        if not region:
            continue
        communes = Commune.objects.filter(region_id=code, is_current=True)
        perimeters = scope_queryset(actor, Perimeter.objects.filter(communes__region_id=code).distinct())
        groups.append(
            {
                "region": region,
                "lists": [
                    (
                        "Départements",
                        "departement",
                        Departement.objects.filter(region_id=code).order_by("code"),
                    ),
                    ("EPCI", "epci", Epci.objects.filter(pk__in=communes.values("epci_id")).order_by("name")),
                    (
                        "Zones d'emploi",
                        "zone_emploi",
                        ZoneEmploi.objects.filter(pk__in=communes.values("zone_emploi_id")).order_by("name"),
                    ),
                    (
                        "Territoires d'industrie",
                        "perimeter",
                        perimeters.filter(kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE).order_by("name"),
                    ),
                    (
                        "Autres périmètres",
                        "perimeter",
                        perimeters.exclude(kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE).order_by("name"),
                    ),
                ],
            }
        )
    return groups


def dashboard_charts(board: dict) -> dict:
    """What the charts of a dashboard draw: bars of each indicator's history (heights in % of its largest
    frozen value), the stacked land availability and the funnel of prospects (live values)."""
    live = {row["indicator"].code: row["live"] for row in board["rows"]}
    for row in board["rows"]:
        values = [h["value"] for h in row["history"] if h["value"] is not None]
        top = max((abs(v) for v in values), default=0) or 1
        row["bars"] = []
        for i, h in enumerate(row["history"]):
            height = None if h["value"] is None else max(1, round(28 * abs(h["value"]) / top))
            row["bars"].append(
                {**h, "x": 15 * i, "height": height, "y": None if height is None else 30 - height}
            )
    land = [
        ("disponible immédiatement", "now", live.get("land.available_now_ha")),
        ("court terme", "short", live.get("land.available_short_ha")),
        ("moyen terme", "medium", live.get("land.available_medium_ha")),
    ]
    total = sum(v or 0 for _, _, v in land)
    funnel = [
        ("Prospects reçus", live.get("prospects.received")),
        ("Propositions faites", live.get("prospects.proposals")),
        ("Projets gagnés", live.get("prospects.won")),
    ]
    top = max((v or 0 for _, v in funnel), default=0) or 1
    segments, x = [], 0.0  # a stacked bar: each segment starts where the previous one ends
    for label, key, v in land:
        width = round(100 * (v or 0) / total, 1) if total else 0
        segments.append({"label": label, "key": key, "ha": v, "x": round(x, 1), "width_pct": width})
        x += width
    return {
        "land": segments,
        "land_total_ha": total,
        "funnel": [
            {"label": label, "value": v, "width_px": round(200 * (v or 0) / top) if v is not None else 0}
            for label, v in funnel
        ],
    }


COMPARED = ("land.available_now_ha", "companies.followed", "prospects.received", "companies.parcours")


def similar_territories(territory: Territory) -> dict:
    """The territory beside its peers (the EPCI of its département, the départements of its region), from
    their last frozen values — a few indicators, no object."""
    if territory.level == "epci":
        deps = Commune.objects.filter(epci_id=territory.key).values("departement_id")
        peers = list(
            Epci.objects.filter(communes__departement_id__in=deps)
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )
    elif territory.level == "departement":
        region = Departement.objects.filter(pk=territory.key).values("region_id")
        peers = list(
            Departement.objects.filter(region_id__in=region).order_by("code").values_list("pk", "name")
        )
    else:
        return {"columns": [], "rows": []}
    keys = [pk for pk, _ in peers]
    snaps = IndicatorSnapshot.objects.filter(
        territory_level=territory.level, territory_key__in=keys, indicator__in=COMPARED, is_current=True
    ).order_by("year", "quarter")
    latest: dict[tuple[str, str], float | None] = {}
    for snap in snaps:  # ordered: the last quarter wins
        latest[(snap.territory_key, snap.indicator)] = snap.value
    columns = [
        registry.indicator_get(code) for code in COMPARED if code in {i.code for i in registry.indicators()}
    ]
    rows = [
        {
            "key": pk,
            "name": name,
            "current": pk == territory.key,
            "values": [latest.get((pk, c.code)) for c in columns],
        }
        for pk, name in peers
    ]
    return {"columns": columns, "rows": rows}


# --- Conventions ---------------------------------------------------------------------------------------


def conventions_visible(actor: Actor) -> QuerySet:
    """Conventions `actor` may see (the Région that owns them, the partner they are shared with)."""
    from tandem.organizations.perms import scope_queryset
    from tandem.steering.models import Convention

    return scope_queryset(actor, Convention.objects.select_related("owner", "partner", "epci", "renews"))


def convention_get(actor: Actor, pk: int):
    from tandem.organizations.perms import get_visible_or_404

    return get_visible_or_404(actor, conventions_visible(actor), pk=pk)


def conventions_expiring(actor: Actor, *, on: dt.date | None = None) -> list:
    """Visible conventions ending within their alert delay (`alert_days`) and not renewed yet."""
    on = on or dt.date.today()
    rows = conventions_visible(actor).filter(ends_on__gte=on, renewals__isnull=True)
    return [c for c in rows if c.alert_due(on)]


def conventions_of_epci(actor: Actor, siren: str) -> QuerySet:
    """The visible conventions of an EPCI (its page lists them)."""
    return conventions_visible(actor).filter(epci_id=siren).order_by("-ends_on")


def convention_territory(convention) -> Territory:
    """The territory a convention follows (set by the Région; a perimeter is read whole, as the system)."""
    from tandem.land.selectors import territory_resolve

    return territory_resolve(
        Actor.system_actor(), level=convention.territory_level, key=convention.territory_key
    )


@registry.evaluation()
def objective_rows(actor: Actor, convention, period: Period) -> dict:
    """The objectives of `convention` for the year of `period` with their actual value for the quarter (frozen
    value, else the territory's live value, `live_values`), progress towards the target and the weighted score.
    `actor` reads the convention (checked by the caller)."""
    territory = convention_territory(convention)
    live = None
    frozen = {
        s.indicator: s for s in snapshots_of(territory).filter(year=period.year, quarter=period.quarter)
    }
    rows, score, weights = [], 0.0, 0
    for objective in convention.objectives.filter(year=period.year):
        item = registry.indicator_get(objective.indicator)
        snap = frozen.get(item.code)
        if snap:
            actual = snap.value
        else:
            live = live if live is not None else live_values(territory, period)
            actual = live.get(item.code)
        progress = progress_pct(item, actual, objective.target)
        rows.append(
            {
                "objective": objective,
                "label": item.label,
                "unit": item.unit_label,
                "target": objective.target,
                "weight": objective.weight,
                "actual": actual,
                "frozen": bool(snap),
                "progress_pct": progress,
            }
        )
        if progress is not None:
            score += objective.weight * min(progress, 100.0)
            weights += objective.weight
    return {
        "territory": territory,
        "rows": rows,
        "score_pct": round(score / weights, 1) if weights else None,
    }


def report_get(actor: Actor, pk: int):
    """A quarterly report whose convention `actor` may see, or 404."""
    from django.shortcuts import get_object_or_404

    from tandem.steering.models import QuarterlyReport

    return get_object_or_404(
        QuarterlyReport.objects.select_related("convention", "convention__partner", "convention__owner"),
        pk=pk,
        convention__in=conventions_visible(actor),
    )


# --- Map -----------------------------------------------------------------------------------------------

MAPPED = ("land.available_now_ha", "companies.followed", "companies.parcours")
# Five shades of the DSFR's blue, from the lowest fifth of the EPCI values to the highest.
MAP_COLOURS = ("#e3e3fd", "#cacafb", "#8585f6", "#6a6af4", "#000091")


def map_indicator(code: str | None) -> registry.Indicator:
    """The indicator an EPCI map shades (one of `MAPPED`; the first by default)."""
    known = {i.code for i in registry.indicators()}
    return registry.indicator_get(code if code in MAPPED and code in known else MAPPED[0])


def epci_indicator_tile(*, z: int, x: int, y: int, indicator: str | None = None) -> bytes:
    """The EPCI in a vector tile (layer `epcis`), shaded by the last frozen value of an indicator (`MAPPED`):
    `code`, `nom`, `libelle` (the value in French) and `couleur` (its fifth among the EPCI of the tile's
    regions). Frozen values are territories' aggregates under the small-count rule: no object, no actor."""
    from django.db.models import Case, CharField, F, Value, When

    from tandem.core.formats import fr_number
    from tandem.core.tiles import mvt_layer, tile_box, tile_check, tile_geometry

    tile_check(z, x, y)
    item = map_indicator(indicator)
    epcis = Epci.objects.filter(geometry__bboverlaps=tile_box(z, x, y), is_current=True)
    latest: dict[str, float | None] = {}
    snaps = IndicatorSnapshot.objects.filter(territory_level="epci", indicator=item.code, is_current=True)
    for key, value in snaps.order_by("year", "quarter").values_list("territory_key", "value"):
        latest[key] = value  # ordered: the last quarter wins
    values = sorted(v for v in latest.values() if v is not None)
    limits = [values[len(values) * k // 5] for k in range(1, 5)] if values else []
    labels, colours = [], []
    for key in epcis.values_list("siren", flat=True):
        value = latest.get(key)
        if key in latest:
            text = "non communiqué" if value is None else f"{fr_number(value)} {item.unit_label}".strip()
            labels.append(When(siren=key, then=Value(f"{item.label} : {text}")))
        if value is not None:
            rank = sum(value >= limit for limit in limits)
            colours.append(When(siren=key, then=Value(MAP_COLOURS[rank])))
    qs = epcis.annotate(
        code=F("siren"),
        nom=F("name"),
        libelle=Case(*labels, default=Value(f"{item.label} : non figé"), output_field=CharField()),
        couleur=Case(*colours, default=Value("#eeeeee"), output_field=CharField()),
    )
    return mvt_layer(
        qs, name="epcis", columns=["code", "nom", "libelle", "couleur"], geometry=tile_geometry(z, x, y),
        id_field=None,
    )  # fmt: skip

"""Reads of the decarbonation module. Registry data (installations, emissions, flags, links) is public to
signed-in users; organisation-owned follow-up (projects) goes through `scope_queryset`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Greatest, Least, Substr

from tandem.companies.nomenclatures import headcount_estimate
from tandem.core.memory import ProcessMemory
from tandem.core.problems import UserError
from tandem.decarbonation.models import EmissionRecord, EstablishmentLink, Installation, MajorEmitter, Project
from tandem.organizations.perms import Actor
from tandem.territories.selectors import instance_region_code


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


# --- territories --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Territory:
    """A territory of the dashboards: `kind` in TERRITORY_KINDS, `code` its INSEE code / SIREN / perimeter id."""

    kind: str
    code: str
    name: str
    region_code: str
    installations_q: Q  # filter of Installation
    communes: QuerySet  # its communes (for SIRENE establishments)


TERRITORY_KINDS = {
    "region": "région",
    "departement": "département",
    "epci": "EPCI",
    "zone_emploi": "zone d'emploi",
    "perimetre": "périmètre (Territoire d'industrie…)",
}


def territory_get(actor: Actor, kind: str, code: str) -> Territory:
    """The territory `kind`/`code`; a perimeter only if `actor` sees it (permission layer). Raises UserError
    (French) for an unknown one."""
    from tandem.organizations.perms import scope_queryset
    from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi

    current = Commune.objects.filter(is_current=True)
    try:
        if kind == "region":
            region = Region.objects.get(pk=code)
            departements = list(region.departements.values_list("code", flat=True))
            return Territory(
                kind,
                code,
                region.name,
                code,
                Q(departement_code__in=departements),
                current.filter(region_id=code),
            )
        if kind == "departement":
            dep = Departement.objects.get(pk=code)
            return Territory(
                kind,
                code,
                dep.name,
                dep.region_id,
                Q(departement_code=code),
                current.filter(departement_id=code),
            )
        if kind == "epci":
            epci = Epci.objects.get(pk=code)
            communes = current.filter(epci_id=code)
            region = communes.values_list("region_id", flat=True).first() or ""
            return Territory(kind, code, epci.name, region, Q(commune__epci_id=code), communes)
        if kind == "zone_emploi":
            zone = ZoneEmploi.objects.get(pk=code)
            communes = current.filter(zone_emploi_id=code)
            region = communes.values_list("region_id", flat=True).first() or ""
            return Territory(kind, code, zone.name, region, Q(commune__zone_emploi_id=code), communes)
        if kind == "perimetre" and code.isdigit():
            perimeter = scope_queryset(actor, Perimeter.objects.all()).get(pk=int(code))
            communes = perimeter.communes.all()
            region = communes.values_list("region_id", flat=True).first() or ""
            return Territory(
                kind, code, perimeter.name, region, Q(commune__in=communes.values("pk")), communes
            )
    except ObjectDoesNotExist:
        pass
    raise UserError(f"Territoire inconnu : {TERRITORY_KINDS.get(kind, kind)} « {code} ».")


def default_region_code(actor: Actor) -> str:
    """The region a user's dashboard opens on: their Région's, else the instance's."""
    return min(actor.region_codes) if actor.region_codes else instance_region_code()


# --- segments -----------------------------------------------------------------------------------------------
# Sources of verified emissions: the EUTL, and the fictitious values of the demo installations.
VERIFIED_SOURCES = (EmissionRecord.Source.EUTL, EmissionRecord.Source.DEMO)
MAJOR = "major"
ETS = "ets"
DIFFUSE = "diffuse"
SEGMENTS = {MAJOR: "15 plus gros émetteurs", ETS: "ETS (SEQE-UE)", DIFFUSE: "diffus"}
MAJOR_COUNT = 15


def last_verified_year() -> int | None:
    return (
        EmissionRecord.objects.filter(source__in=VERIFIED_SOURCES)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )


def major_emitters_proposal(region_code: str) -> list[int]:
    """The default proposal of the « 15 plus gros émetteurs » of a region: the 15 installations of its
    départements with the largest verified emissions of the last verified year."""
    from tandem.territories.models import Departement

    year = last_verified_year()
    if year is None:
        return []
    departements = Departement.objects.filter(region_id=region_code).values("code")
    return list(
        EmissionRecord.objects.filter(
            source__in=VERIFIED_SOURCES, year=year, installation__departement_code__in=departements
        )
        .order_by("-value_t", "installation_id")
        .values_list("installation_id", flat=True)[:MAJOR_COUNT]
    )


def major_emitters(region_code: str) -> tuple[list[int], bool]:
    """The region's list (installation ids) and whether it is the Région's own (True) or the proposal."""
    chosen = list(
        MajorEmitter.objects.filter(region_id=region_code).values_list("installation_id", flat=True)
    )
    if chosen:
        return chosen, True
    return major_emitters_proposal(region_code), False


def segment_of_installations(region_code: str, installation_ids) -> dict[int, str]:
    """Segment of each installation: on the region's major list, else ETS when it has verified emissions,
    else diffus."""
    major, _own = major_emitters(region_code)
    major = set(major)
    ets = set(
        EmissionRecord.objects.filter(installation_id__in=installation_ids, source__in=VERIFIED_SOURCES)
        .values_list("installation_id", flat=True)
        .distinct()
    )
    return {i: MAJOR if i in major else ETS if i in ets else DIFFUSE for i in installation_ids}


# --- diffuse industry: estimates from NAF and headcount -----------------------------------------------------
# tCO2e per employee per year by NAF division, with a confidence (0 to 1). Working assumptions (orders of
# magnitude, docs/decarbonation.md « Estimations du diffus »), to be replaced by factors the Région validates;
# every figure computed with them is labelled « estimation ».
DIFFUSE_FACTORS: dict[str, tuple[float, float]] = {
    "10": (8.0, 0.3),
    "11": (8.0, 0.3),
    "12": (2.0, 0.2),
    "13": (4.0, 0.2),
    "14": (1.0, 0.2),
    "15": (1.5, 0.2),
    "16": (6.0, 0.3),
    "17": (20.0, 0.3),
    "18": (2.0, 0.2),
    "19": (50.0, 0.2),
    "20": (25.0, 0.3),
    "21": (5.0, 0.2),
    "22": (5.0, 0.3),
    "23": (40.0, 0.3),
    "24": (30.0, 0.3),
    "25": (3.0, 0.3),
    "26": (1.0, 0.2),
    "27": (2.0, 0.2),
    "28": (2.0, 0.2),
    "29": (3.0, 0.2),
    "30": (2.0, 0.2),
    "31": (2.5, 0.2),
    "32": (1.5, 0.2),
    "33": (1.0, 0.2),
}


@dataclass
class DiffuseEstimate:
    tonnes: float
    establishments: int
    confidence: float  # weighted by tonnes
    by_division: list[tuple[str, int, float]]  # (division, establishments, tonnes)


# The region's diffuse estimate (every territory's trajectory reads it for its share of the target; it sums the
# region's whole SIRENE manufacturing): kept by each process until the next write to a versioned table — the
# key holds `organizations.versions.data_version()`, moved on by any process (tests/core/test_process_caches.py).
REGION_DIFFUSE = ProcessMemory("region's diffuse estimate", 32)


def diffuse_estimate(territory: Territory) -> DiffuseEstimate:
    """`_diffuse_estimate`, the region's remembered until the data changes (public registry figures: the same
    for every reader)."""
    if territory.kind != "region":
        return _diffuse_estimate(territory)
    from tandem.organizations.versions import data_version

    return REGION_DIFFUSE.remember((territory.code, data_version()), lambda: _diffuse_estimate(territory))


def _diffuse_estimate(territory: Territory) -> DiffuseEstimate:
    """Estimated emissions of the territory's diffuse industry: active SIRENE establishments of manufacturing
    (NAF divisions 10 to 33) with a known headcount band, not linked to an ETS installation, × the division's
    factor. An estimate, never a measure: every page shows it as such."""
    from tandem.companies.models import Establishment

    linked_ets = EstablishmentLink.objects.filter(
        status__in=[EstablishmentLink.Status.AUTO, EstablishmentLink.Status.CONFIRMED],
        installation__in_ets=True,
    ).values("establishment_id")
    rows = (
        Establishment.objects.filter(
            state=Establishment.State.ACTIVE,
            commune_code__in=territory.communes.values("code"),
            naf__regex=r"^(1[0-9]|2[0-9]|3[0-3])",
        )
        .exclude(siret__in=linked_ets)
        .annotate(division=Substr("naf", 1, 2))
        .values("division", "headcount_band")
        .annotate(n=Count("siret"))
    )
    by_division: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    total = weighted = 0.0
    count = 0
    for row in rows:
        factor = DIFFUSE_FACTORS.get(row["division"])
        people = headcount_estimate(row["headcount_band"])
        if factor is None or people is None:
            continue
        tonnes = factor[0] * people * row["n"]
        by_division[row["division"]][0] += row["n"]
        by_division[row["division"]][1] += tonnes
        total += tonnes
        weighted += tonnes * factor[1]
        count += row["n"]
    return DiffuseEstimate(
        tonnes=total,
        establishments=count,
        confidence=(weighted / total) if total else 0.0,
        by_division=sorted(((d, int(v[0]), v[1]) for d, v in by_division.items()), key=lambda r: -r[2]),
    )


# --- emissions and trajectory per territory -----------------------------------------------------------------


def emissions_by_year(territory: Territory) -> dict[int, dict[str, float]]:
    """{year: {segment: tCO2e}} of the territory's installations, from retained records only (one figure per
    site and year, never two sources added). Diffuse establishments' estimates are not in it
    (`diffuse_estimate`): declared IREP figures of non-ETS sites are."""
    records = list(
        EmissionRecord.objects.filter(retained=True)
        .filter(Q(installation__in=Installation.objects.filter(territory.installations_q)))
        .values_list("installation_id", "year", "value_t")
    )
    segments = segment_of_installations(territory.region_code, {r[0] for r in records})
    result: dict[int, dict[str, float]] = defaultdict(lambda: {MAJOR: 0.0, ETS: 0.0, DIFFUSE: 0.0})
    for inst, year, value in records:
        result[year][segments[inst]] += value
    return dict(sorted(result.items()))


def reference_year() -> int:
    return settings.TANDEM_DECARBONATION_REFERENCE_YEAR


def target_year() -> int:
    return settings.TANDEM_DECARBONATION_TARGET_YEAR


REGIONAL_TARGET_T = 5_300_000.0  # −5,300 ktCO2e: the industrial share of the Région's climate plan (GEREVE)


@dataclass
class Trajectory:
    territory: Territory
    reference_year: int
    target_year: int
    years: list[int]
    measured: dict[int, float]  # major + ETS (+ declared diffuse sites), retained records
    diffuse_estimate: DiffuseEstimate
    target: dict[int, float]  # straight line from the reference total to reference − target
    projected: dict[int, float]  # last measured − avoided by projects (realised, else expected) by start year
    segments: dict[str, dict]  # per segment: reference, last, change, target share, gap
    target_t: float
    avoided_planned_t: float


def trajectory(actor: Actor, territory: Territory) -> Trajectory:
    """The territory's emissions against the −5,300 ktCO2e regional target (for a smaller territory, its share
    of the target in proportion to its reference-year emissions), with the projected trajectory from the
    projects `actor` may see (realised avoidance where recorded, else expected, from their start year)."""
    by_year = emissions_by_year(territory)
    estimate = diffuse_estimate(territory)
    ref, goal = reference_year(), target_year()
    measured = {y: sum(v.values()) + estimate.tonnes for y, v in by_year.items()}
    ref_total = measured.get(ref, 0.0)
    if territory.kind == "region":
        target_t = REGIONAL_TARGET_T
    else:
        region = territory_get(actor, "region", territory.region_code) if territory.region_code else None
        region_ref = (
            sum(emissions_by_year(region).get(ref, {}).values()) + diffuse_estimate(region).tonnes
            if region
            else 0
        )
        target_t = REGIONAL_TARGET_T * (ref_total / region_ref) if region_ref else 0.0
    last_year = max(by_year) if by_year else ref
    years = list(range(min([ref, *by_year]) if by_year else ref, goal + 1))
    target = {y: ref_total - target_t * (y - ref) / (goal - ref) for y in years if y >= ref}
    projects = list(projects_for(actor, territory=territory).exclude(status=Project.Status.ABANDONED))
    projected = {}
    for y in years:
        if y < last_year:
            continue
        avoided = sum((p.realised_t_per_year or p.expected_t_per_year) for p in projects if p.start_year <= y)
        projected[y] = measured.get(last_year, ref_total) - avoided
    segments = {}
    last = by_year.get(last_year, {})
    reference = by_year.get(ref, {})
    reference_diffuse = reference.get(DIFFUSE, 0.0) + estimate.tonnes
    for key, label in SEGMENTS.items():
        ref_value = reference_diffuse if key == DIFFUSE else reference.get(key, 0.0)
        last_value = (last.get(DIFFUSE, 0.0) + estimate.tonnes) if key == DIFFUSE else last.get(key, 0.0)
        share = target_t * (ref_value / ref_total) if ref_total else 0.0
        avoided = sum(
            (p.realised_t_per_year or p.expected_t_per_year)
            for p in projects
            if segment_of_installations(territory.region_code, [p.installation_id])[p.installation_id] == key
        )
        segments[key] = {
            "label": label,
            "reference": ref_value,
            "last": last_value,
            "change": last_value - ref_value,
            "target": share,
            "planned": avoided,
            "gap": share - (ref_value - last_value) - avoided,
            "estimated": key == DIFFUSE,
        }
    return Trajectory(
        territory,
        ref,
        goal,
        years,
        measured,
        estimate,
        target,
        projected,
        segments,
        target_t,
        sum((p.realised_t_per_year or p.expected_t_per_year) for p in projects),
    )


def installations_for(territory: Territory, *, segment: str = "", q: str = ""):
    """The territory's installations with their last retained emissions, biggest first."""
    qs = Installation.objects.filter(territory.installations_q)
    if q:
        qs = qs.filter(
            Q(name__unaccent__icontains=q) | Q(operator_name__unaccent__icontains=q) | Q(aiot_code=q)
        )
    last = EmissionRecord.objects.filter(installation=OuterRef("pk"), retained=True).order_by("-year")
    qs = qs.annotate(last_t=Subquery(last.values("value_t")[:1]), last_year=Subquery(last.values("year")[:1]))
    qs = qs.order_by(F("last_t").desc(nulls_last=True), "name")
    if segment:
        ids = list(qs.values_list("pk", flat=True))
        segs = segment_of_installations(territory.region_code, ids)
        qs = qs.filter(pk__in=[i for i, s in segs.items() if s == segment])
    return qs


def projects_for(actor: Actor, *, territory: Territory | None = None, installation=None) -> QuerySet:
    """Decarbonation projects `actor` may see (permission layer), of a territory or an installation."""
    from tandem.organizations.perms import scope_queryset

    qs = scope_queryset(actor, Project.objects.all()).select_related("installation", "owner")
    if territory is not None:
        qs = qs.filter(installation__in=Installation.objects.filter(territory.installations_q))
    if installation is not None:
        qs = qs.filter(installation=installation)
    return qs


def links_to_review() -> QuerySet:
    """Installations with candidates waiting for a person, each with its candidates (review list)."""
    return (
        Installation.objects.filter(links__status=EstablishmentLink.Status.PROPOSED)
        .distinct()
        .prefetch_related("links__establishment__company")
        .order_by("departement_code", "name")
    )


def installation_tile(actor: Actor, *, z: int, x: int, y: int) -> bytes:
    """Installations with a retained emission in one vector tile (layer `installations`: `id`, `nom`,
    `emissions_t` of the last year, `rayon` for the circle size). Public registry data: every signed-in user."""
    from tandem.core.tiles import mvt_layer, tile_box, tile_check, tile_geometry

    tile_check(z, x, y)
    if not actor.is_authenticated:
        return b""
    last = EmissionRecord.objects.filter(installation=OuterRef("pk"), retained=True).order_by("-year")
    qs = (
        Installation.objects.filter(point__bboverlaps=tile_box(z, x, y))
        .annotate(nom=F("name"), emissions_t=Subquery(last.values("value_t")[:1]))
        .filter(emissions_t__isnull=False)
        .annotate(
            rayon=Greatest(
                Value(3.0),
                Least(
                    Value(24.0),
                    Func(F("emissions_t"), function="sqrt", output_field=FloatField()) / Value(60.0),
                ),
                output_field=FloatField(),
            )
        )
    )
    return mvt_layer(
        qs,
        name="installations",
        columns=["id", "nom", "emissions_t", "rayon"],
        geometry=tile_geometry(z, x, y, "point"),
    )


def company_project_events(actor: Actor, company) -> list:
    """The company's decarbonation projects `actor` may see, as timeline events (`company_timeline`)."""
    from tandem.companies.selectors_followup import TimelineEvent
    from tandem.core.formats import fr_number
    from tandem.organizations.perms import scope_queryset

    events = []
    for project in scope_queryset(actor, Project.objects.filter(company=company)).select_related(
        "owner", "installation"
    ):
        events.append(
            TimelineEvent(
                project.created_at.date(),
                "decarbonation",
                f"Projet de décarbonation : {project.title} — {project.get_lever_display()} "
                f"({project.get_status_display()}), {fr_number(project.expected_t_per_year, 0)} tCO2e/an évitées attendues",
                project.owner.name,
                f"Installation : {project.installation.name}",
            )
        )
    return events


EXPORT_HEADERS = [
    "identifiant Tandem",
    "code AIOT",
    "nom",
    "exploitant",
    "SIREN",
    "SIRET",
    "code postal",
    "commune",
    "département",
    "segment",
    "dernière année",
    "émissions de la dernière année (tCO2e)",
    "source",
    "SIRET de l'établissement lié",
    "état du lien",
    "signalements de qualité",
]


def installation_export_rows(territory: Territory, *, segment: str = "", q: str = "") -> list[list]:
    """Rows of the installations export (CSV/XLSX), public registry data: the same list as the page."""
    installations = list(
        installations_for(territory, segment=segment, q=q).prefetch_related("flags", "links")
    )
    segments = segment_of_installations(territory.region_code, [i.pk for i in installations])
    sources = dict(
        EmissionRecord.objects.filter(installation__in=installations, retained=True)
        .order_by("installation_id", "year")
        .values_list("installation_id", "source")
    )
    labels = dict(EmissionRecord.Source.choices)
    rows = []
    for inst in installations:
        link = next((link for link in inst.links.all() if link.status in ("auto", "confirmed")), None)
        rows.append(
            [
                inst.pk,
                inst.aiot_code,
                inst.name,
                inst.operator_name,
                inst.siren,
                inst.siret,
                inst.postcode,
                inst.city,
                inst.departement_code,
                SEGMENTS[segments[inst.pk]],
                inst.last_year,
                inst.last_t,
                labels.get(sources.get(inst.pk), ""),
                link.establishment_id if link else "",
                link.get_status_display() if link else "",
                " ; ".join(f"{f.get_kind_display()} ({f.year or '—'})" for f in inst.flags.all()),
            ]
        )
    return rows

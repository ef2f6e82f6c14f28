"""Reads of jobs and skills per territory (zone d'emploi, EPCI, département), taking an actor and a territory:
hiring needs (BMO), tensions, the needs of followed companies and prospects, the gaps that need action and the
actions recorded on them. Steering (tandem/steering) reads `territory_skill_figures`.

Survey figures are public statistics (no permission needed); needs and actions are organisation-owned and are
read through the permission layer (`scope_queryset`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Case, CharField, Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When

from tandem.companies.models import CompanyProject
from tandem.core.formats import fr_number, fr_percent
from tandem.core.memory import ProcessMemory
from tandem.core.tiles import mvt_layer, tile_box, tile_check, tile_geometry
from tandem.organizations.perms import Actor, scope_queryset
from tandem.prospects.models import BmoBasinCommune, BmoJob, Prospect
from tandem.skills.crosswalk.sources import ROME_CODE
from tandem.skills.jobs import FAP_CODE, UNRESOLVED_LABEL
from tandem.skills.models import (
    FapPost,
    RomeCode,
    RomeFapPair,
    RomeFapReview,
    SectorSeekers,
    SkillAction,
    Tension,
    TensionBasinCommune,
    TrainingSession,
)
from tandem.skills.territory import Territory, cell_shares, cell_weights, territory_commune_codes
from tandem.territories.models import Commune, ZoneEmploi

# A job with announced needs is flagged when recruiting it is judged difficult for at least this share of the
# BMO projects of the territory, when the needs reach this share of all BMO projects for the job, or when the
# survey gives no published figure for it (secret or absent).
DIFFICULT_SHARE_FLAG = 0.5
NEEDS_SHARE_FLAG = 0.2
OPEN_PROJECT_STATUSES = (CompanyProject.Status.OPEN, CompanyProject.Status.ANSWERED)
CLOSED_PROSPECT_STATUSES = (Prospect.Status.LOST, Prospect.Status.ABANDONED)


def bmo_year() -> int | None:
    return BmoJob.objects.order_by("-year").values_list("year", flat=True).first()


def hiring_needs(*, actor: Actor, territory: Territory, year: int | None = None) -> dict:
    """BMO hiring projects of a territory by job: published projects split by the commune-weighted rule, the
    share judged difficult (over the cells where both are published) and seasonal; cells under statistical
    secrecy are counted apart, never as 0."""
    year = year or bmo_year()
    out = {"year": year, "projects": 0.0, "difficult": 0.0, "base": 0.0, "secret_cells": 0, "jobs": [],
           "difficult_share": None}  # fmt: skip
    if year is None:
        return out
    jobs = BmoJob.objects.filter(year=year)
    if territory.kind == "dep":
        weights = {
            (b, territory.code): 1.0
            for b in jobs.filter(departement=territory.code).values_list("basin_id", flat=True).distinct()
        }
    else:
        links = list(BmoBasinCommune.objects.values_list("commune_code", "basin_id"))
        weights = cell_weights(links, territory, by_departement=True)
    basins = {b for b, _ in weights}
    per_job: dict[str, dict] = {}
    for job in jobs.filter(basin_id__in=basins).only(
        "basin_id", "departement", "job_code", "job_name", "projects", "difficult", "seasonal"
    ):
        share = weights.get((job.basin_id, job.departement))
        if not share:
            continue
        row = per_job.setdefault(
            job.job_code,
            {"code": job.job_code, "name": job.job_name, "projects": 0.0, "difficult": 0.0, "base": 0.0,
             "seasonal": 0.0, "secret_cells": 0, "published_cells": 0},
        )  # fmt: skip
        if job.projects is None:
            row["secret_cells"] += 1
            out["secret_cells"] += 1
            continue
        row["published_cells"] += 1
        row["projects"] += share * job.projects
        if job.seasonal is not None:
            row["seasonal"] += share * job.seasonal
        if job.difficult is not None:
            row["difficult"] += share * job.difficult
            row["base"] += share * job.projects
    for row in per_job.values():
        row["secret"] = row["published_cells"] == 0  # every cell secret: the figure is unknown, not 0
        row["difficult_share"] = row["difficult"] / row["base"] if row["base"] else None
        if row["secret"]:
            row["projects"] = None
        else:
            out["projects"] += row["projects"]
            out["difficult"] += row["difficult"]
            out["base"] += row["base"]
    out["difficult_share"] = out["difficult"] / out["base"] if out["base"] else None
    out["jobs"] = sorted(
        per_job.values(), key=lambda r: (r["projects"] is None, -(r["projects"] or 0), r["code"])
    )
    return out


def tensions(*, actor: Actor, territory: Territory, minimum: int = 1) -> dict:
    """Tension indicators by ROME code: the population-weighted mean of each 2019 bassin's quintile (1–5) over
    the bassins the territory overlaps, and offers / job seekers split by the commune-weighted rule."""
    year = Tension.objects.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return {"year": None, "jobs": []}
    links = list(TensionBasinCommune.objects.values_list("commune_code", "basin_id"))
    weights = cell_weights(links, territory, by_departement=False)
    acc: dict[str, dict] = {}
    for t in Tension.objects.filter(year=year, basin_id__in=list(weights)):
        w = weights[t.basin_id]
        row = acc.setdefault(
            t.rome_code, {"code": t.rome_code, "w": 0.0, "t": 0.0, "offers": 0.0, "seekers": 0.0}
        )
        if t.tension is not None:
            row["w"] += w
            row["t"] += w * t.tension
        row["offers"] += w * (t.offers or 0)
        row["seekers"] += w * (t.seekers or 0)
    labels = dict(RomeCode.objects.filter(code__in=list(acc)).values_list("code", "label"))
    in_force = rome_fap_in_force()
    families = family_labels()
    jobs = []
    for row in acc.values():
        if not row["w"]:
            continue
        tension = row["t"] / row["w"]
        if tension < minimum:
            continue
        jobs.append(
            {"code": row["code"], "label": labels.get(row["code"], ""), "tension": tension,
             "offers": row["offers"], "seekers": row["seekers"],
             "fap": [(f, families.get(f, f)) for f, _ in in_force.get(row["code"], [])]}
        )  # fmt: skip
    jobs.sort(key=lambda r: (-r["tension"], -r["offers"], r["code"]))
    return {"year": year, "jobs": jobs}


def seekers_by_sector(*, actor: Actor, territory: Territory) -> dict:
    """Job seekers by activity sector in the territory: each 2019 bassin's figure split by the commune-weighted
    rule (`territory.cell_weights`, the one used for tensions), largest sector first. Public statistics."""
    links = list(TensionBasinCommune.objects.values_list("commune_code", "basin_id"))
    weights = cell_weights(links, territory, by_departement=False)
    sectors: dict[str, float] = defaultdict(float)
    for basin, sector, seekers in SectorSeekers.objects.filter(basin_id__in=list(weights)).values_list(
        "basin_id", "sector", "seekers"
    ):
        sectors[sector] += weights[basin] * seekers
    rows = [{"sector": k, "seekers": v} for k, v in sectors.items()]
    rows.sort(key=lambda r: (-r["seekers"], r["sector"]))
    return {"total": sum(r["seekers"] for r in rows), "sectors": rows, "imported": SectorSeekers.objects.exists()}


def company_needs(*, actor: Actor, territory: Territory) -> QuerySet[CompanyProject]:
    """Open hiring needs of followed companies placed in the territory (a job code and jobs), as the actor
    sees them."""
    qs = CompanyProject.objects.filter(
        commune_id__in=territory_commune_codes(territory), status__in=OPEN_PROJECT_STATUSES
    ).exclude(job_code="", job_title="")
    return scope_queryset(actor, qs).select_related("company").order_by("expected_on", "id")


def prospect_needs(*, actor: Actor, territory: Territory) -> list[dict]:
    """Jobs announced by the prospects the actor sees whose wished territories meet this one: each listed job
    (FAP 2021) gets an even share of the jobs at three years (or at start), rounded up."""
    communes = territory_commune_codes(territory)
    qs = (
        scope_queryset(actor, Prospect.objects.all())
        .filter(preferred_epcis__communes__in=communes)
        .distinct()
    )
    out = []
    for prospect in qs.exclude(skills=[]).exclude(status__in=CLOSED_PROSPECT_STATUSES):
        jobs = prospect.jobs_at_three_years or prospect.jobs_at_start or 0
        codes = [c for c in prospect.skills if isinstance(c, str) and c]
        for code in codes:
            out.append(
                {"prospect": prospect, "job_code": code, "jobs": math.ceil(jobs / len(codes)) if jobs else 0}
            )
    return out


def actions_for(*, actor: Actor, territory: Territory) -> QuerySet[SkillAction]:
    return scope_queryset(
        actor, SkillAction.objects.filter(territory_kind=territory.kind, territory_code=territory.code)
    ).select_related("owner")


def gaps(*, actor: Actor, territory: Territory) -> list[dict]:
    """Per job (FAP 2021) with announced needs in the territory (company projects + prospects): the needs, the
    BMO figures behind them, whether the job is flagged and why, and the actions recorded on it. A need stated
    as a ROME code (H2903) joins its FAP family through the crosswalk in force (`rome_fap_in_force`); without
    one it stays apart under its ROME code, flagged for review."""
    in_force = rome_fap_in_force()
    needs: dict[str, dict] = defaultdict(lambda: {"needs": 0, "sources": [], "unmapped_rome": False})
    # Titles typed on a need that no ROME appellation matched (skills.jobs): kept apart, never dropped.
    unresolved: dict[str, dict] = {}

    def job_of(code: str) -> str:
        if ROME_CODE.match(code) and in_force.get(code):
            return in_force[code][0][0]
        return code

    def unresolved_row(title: str) -> dict:
        key = " ".join(title.lower().split())
        return unresolved.setdefault(key, {"title": title, "needs": 0, "sources": []})

    for project in company_needs(actor=actor, territory=territory):
        if not project.job_code:
            row = unresolved_row(project.job_title)
            row["needs"] += project.jobs or 0
            row["sources"].append(
                {"label": f"{project.company} — {project.title}", "jobs": project.jobs, "on": project.expected_on}
            )
            continue
        row = needs[job_of(project.job_code)]
        row["needs"] += project.jobs or 0
        row["sources"].append(
            {"label": f"{project.company} — {project.title}", "jobs": project.jobs, "on": project.expected_on}
        )
    for need in prospect_needs(actor=actor, territory=territory):
        if not FAP_CODE.match(need["job_code"]):  # a title kept as typed (skills.jobs)
            row = unresolved_row(need["job_code"])
        else:
            row = needs[job_of(need["job_code"])]
        row["needs"] += need["jobs"]
        row["sources"].append(
            {
                "label": f"Prospect {need['prospect'].code_name}",
                "jobs": need["jobs"],
                "on": need["prospect"].production_start_on,
            }
        )
    apart = [
        {"code": "", "unresolved": True, "name": f"{row['title']} ({UNRESOLVED_LABEL})", "needs": row["needs"],
         "sources": row["sources"], "bmo": None, "flagged": False,
         "reasons": ["intitulé saisi sans appellation ROME correspondante : rattachez le besoin à un métier pour le "
                     "comparer à l'enquête BMO, aux tensions et à l'offre de formation"],
         "actions": [], "rome_codes": [], "training_places": None, "tension": None, "seekers": None}
        for row in sorted(unresolved.values(), key=lambda r: (-r["needs"], r["title"]))
    ]  # fmt: skip
    if not needs:
        return apart
    bmo = {j["code"]: j for j in hiring_needs(actor=actor, territory=territory)["jobs"]}
    names = dict(
        BmoJob.objects.filter(job_code__in=list(needs)).values_list("job_code", "job_name").distinct()
    )
    by_family = fap_rome_in_force()
    rome_labels = dict(RomeCode.objects.filter(code__in=list(needs)).values_list("code", "label"))
    sessions = list(training_sessions(actor=actor, territory=territory))
    tension_by_rome = {t["code"]: t for t in tensions(actor=actor, territory=territory)["jobs"]}
    actions = defaultdict(list)
    for action in actions_for(actor=actor, territory=territory).filter(job_code__in=list(needs)):
        actions[action.job_code].append(action)
    out = []
    for code, row in needs.items():
        job = bmo.get(code)
        reasons = []
        if job is None or job["projects"] is None:
            reasons.append(
                "aucun chiffre publié par l'enquête BMO pour ce métier sur ce territoire (secret ou absent)"
            )
        else:
            if job["difficult_share"] is not None and job["difficult_share"] >= DIFFICULT_SHARE_FLAG:
                reasons.append(
                    f"recrutements jugés difficiles : {job['difficult_share']:.0%}".replace("%", " %")
                )
            if job["projects"] and row["needs"] >= NEEDS_SHARE_FLAG * job["projects"]:
                reasons.append(
                    f"besoins annoncés ({row['needs']}) ≥ {NEEDS_SHARE_FLAG:.0%} des projets de recrutement BMO ({job['projects']:.0f})".replace(
                        "%", " %"
                    )
                )
        romes = by_family.get(code, [])
        if code in rome_labels and ROME_CODE.match(code):  # a ROME need without a reviewed FAP family
            romes = [code]
            reasons = [
                "métier ROME sans famille FAP 2021 retenue : chiffres BMO non rapprochés (correspondance à revoir)"
            ]
        places = training_places(sessions, romes)
        found_tensions = [tension_by_rome[r]["tension"] for r in romes if r in tension_by_rome]
        tension = max(found_tensions) if found_tensions else None
        # Candidates: job seekers (categories A, B, C) of the job's ROME codes, from the tension file.
        seekers = sum(tension_by_rome[r]["seekers"] for r in romes if r in tension_by_rome) if found_tensions else None
        if places is not None and row["needs"] > places:
            reasons.append(
                f"besoins annoncés ({row['needs']}) supérieurs aux places de formation ouvertes dans les "
                f"{TRAINING_MONTHS} prochains mois ({places})"
            )
        if tension is not None and tension >= 4:
            reasons.append(f"métier en forte tension ({fr_number(tension, 1)} sur 5)")
        out.append(
            {"code": code, "name": names.get(code) or rome_labels.get(code, code), "needs": row["needs"],
             "sources": row["sources"],
             "bmo": job, "flagged": bool(reasons), "reasons": reasons, "actions": actions.get(code, []),
             "rome_codes": romes, "training_places": places, "tension": tension, "seekers": seekers,
             "unresolved": False}
        )  # fmt: skip
    out.sort(key=lambda r: (not r["flagged"], -r["needs"], r["code"]))
    return out + apart


def territory_skill_figures(*, actor: Actor, territory: Territory) -> dict:
    """The figures steering shows for a territory: BMO projects, share difficult, secret cells, jobs in
    strong tension (quintile ≥ 4), flagged gaps and actions by status."""
    bmo = hiring_needs(actor=actor, territory=territory)
    found = gaps(actor=actor, territory=territory)
    statuses = defaultdict(int)
    for status in actions_for(actor=actor, territory=territory).values_list("status", flat=True):
        statuses[SkillAction.Status(status).label] += 1
    return {
        "bmo_year": bmo["year"],
        "bmo_projects": round(bmo["projects"]),
        "bmo_difficult_share": bmo["difficult_share"],
        "bmo_secret_cells": bmo["secret_cells"],
        "jobs_in_strong_tension": len(tensions(actor=actor, territory=territory, minimum=4)["jobs"]),
        "flagged_gaps": sum(g["flagged"] for g in found),
        "training_places_12_months": sum(
            s.places_open for s in training_sessions(actor=actor, territory=territory)
        ),
        "actions_by_status": dict(statuses),
    }


# --- Jobs crosswalks -------------------------------------------------------------------------------------------
CONFIDENCE_THRESHOLD = 0.5  # the engine's Params.threshold: a proposal at or above it is « confiante »


def rome_fap_in_force() -> dict[str, list[tuple[str, str]]]:
    """ROME code -> [(FAP228 family, origin)] in force for putting ROME-based figures beside BMO (FAP) ones:
    the official Dares pairs where the table covers the code, else the Région's reviewed decision (accepted or
    changed). An unreviewed proposal is never used; a rejected one maps to nothing."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rome, family in (
        RomeFapPair.objects.filter(source=RomeFapPair.Source.OFFICIAL)
        .order_by("rome_code", "rank")
        .values_list("rome_code", "family_code")
    ):
        out[rome].append((family, "officiel (Dares)"))
    for review in RomeFapReview.objects.exclude(decision=RomeFapReview.Decision.REJECTED):
        if review.rome_code not in out and review.family_code:
            out[review.rome_code].append(
                (review.family_code, f"proposé, {review.get_decision_display()} par la Région")
            )
    return dict(out)


def fap_rome_in_force() -> dict[str, list[str]]:
    """FAP228 family -> the ROME codes in force for it (`rome_fap_in_force`)."""
    out: dict[str, list[str]] = defaultdict(list)
    for rome, families in rome_fap_in_force().items():
        for family, _ in families:
            out[family].append(rome)
    return {family: sorted(codes) for family, codes in out.items()}


def crosswalk_precision() -> dict:
    """How good the proposal is on the pairs a person checked: of the reviewed ROME codes, the share whose
    proposed family (as it stood at the review) the Région accepted; also among the confident proposals."""
    reviews = list(RomeFapReview.objects.exclude(proposed_family=""))
    confidence = dict(
        RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED, rank=1).values_list(
            "rome_code", "confidence"
        )
    )
    accepted = [r for r in reviews if r.decision == RomeFapReview.Decision.ACCEPTED]
    confident = [r for r in reviews if confidence.get(r.rome_code, 0) >= CONFIDENCE_THRESHOLD]
    return {
        "reviewed": len(reviews),
        "accepted": len(accepted),
        "changed": sum(r.decision == RomeFapReview.Decision.CHANGED for r in reviews),
        "rejected": sum(r.decision == RomeFapReview.Decision.REJECTED for r in reviews),
        "precision": len(accepted) / len(reviews) if reviews else None,
        "confident_reviewed": len(confident),
        "confident_precision": (
            sum(r.decision == RomeFapReview.Decision.ACCEPTED for r in confident) / len(confident)
            if confident
            else None
        ),
        "official_codes": RomeFapPair.objects.filter(source=RomeFapPair.Source.OFFICIAL)
        .values("rome_code")
        .distinct()
        .count(),
    }


REVIEW_STATES = {"a_revoir": "à revoir", "revues": "revues", "toutes": "toutes"}


def crosswalk_review_rows(*, state: str = "a_revoir", query: str = "", limit: int = 50) -> dict:
    """The ROME codes of the review screen with their proposed families (best first, with confidence), the
    official pairs and the Région's decision. `state`: « a_revoir » (no decision yet, least confident first),
    « revues », « toutes »; `query` filters on the ROME code or label."""
    codes = RomeCode.objects.all()
    if query:
        codes = codes.filter(Q(code__iexact=query.strip()) | Q(label__icontains=query.strip()))
    reviewed = RomeFapReview.objects.values("rome_code")
    if state == "a_revoir":
        codes = codes.exclude(code__in=reviewed)
    elif state == "revues":
        codes = codes.filter(code__in=reviewed)
    best = RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED, rank=1, rome_code=OuterRef("code"))
    codes = codes.annotate(confidence=Subquery(best.values("confidence")[:1])).order_by(
        F("confidence").asc(nulls_last=True) if state == "a_revoir" else "code", "code"
    )
    total = codes.count()
    page = list(codes[:limit])
    wanted = [c.code for c in page]
    pairs: dict[str, dict[str, list]] = defaultdict(lambda: {"proposed": [], "official": []})
    for pair in RomeFapPair.objects.filter(rome_code__in=wanted).order_by("rank"):
        pairs[pair.rome_code][
            "proposed" if pair.source == RomeFapPair.Source.PROPOSED else "official"
        ].append(pair)
    families = family_labels()
    reviews = RomeFapReview.objects.in_bulk(wanted)
    rows = []
    for code in page:
        found = pairs[code.code]
        rows.append(
            {
                "code": code.code,
                "label": code.label,
                "proposed": [{"family": p.family_code, "label": families.get(p.family_code, p.family_code),
                              "confidence": p.confidence} for p in found["proposed"]],
                "official": [{"family": p.family_code, "label": families.get(p.family_code, p.family_code),
                              "share": p.confidence} for p in found["official"]],
                "review": reviews.get(code.code),
                "review_label": families.get(reviews[code.code].family_code, "") if code.code in reviews else "",
            }
        )  # fmt: skip
    return {"rows": rows, "total": total}


def family_labels() -> dict[str, str]:
    """FAP228 family code -> label."""
    return dict(FapPost.objects.values_list("family_code", "family_label").distinct())


# --- Training offer ------------------------------------------------------------------------------------------
TRAINING_MONTHS = 12


def training_sessions(
    *, actor: Actor, territory: Territory, today: date | None = None, months: int = TRAINING_MONTHS
):
    """Training sessions held in the territory that start in the next `months` months (public offer)."""
    today = today or date.today()
    until = today + timedelta(days=round(months * 365.25 / 12))
    return TrainingSession.objects.filter(
        commune_code__in=territory_commune_codes(territory), start_on__gte=today, start_on__lt=until
    ).order_by("start_on", "session_id")


def training_places(sessions, rome_codes) -> int | None:
    """Open places (places − places filled) of the sessions leading to any of `rome_codes`; None when the job
    has no ROME code in force (the crosswalk is not reviewed for it)."""
    if not rome_codes:
        return None
    wanted = set(rome_codes)
    return sum(s.places_open for s in sessions if wanted & set(s.rome_codes))


def job_sheet(*, actor: Actor, job_code: str, today: date | None = None) -> dict:
    """One job (FAP 2021 family or post) across the zones d'emploi: BMO projects (commune-weighted rule, secret
    cells counted apart), the share judged difficult, the tension of its ROME codes in force (population-weighted
    quintile) and the open training places of the next 12 months. Public statistics only."""
    year = bmo_year()
    family = job_code[:5]
    romes = fap_rome_in_force_for(family)
    zones = dict(ZoneEmploi.objects.values_list("code", "name"))
    rows = {code: {"code": code, "name": name, "projects": 0.0, "difficult": 0.0, "base": 0.0, "published": 0,
                   "secret": 0, "tension": None, "places": None} for code, name in zones.items()}  # fmt: skip
    links = list(BmoBasinCommune.objects.values_list("commune_code", "basin_id"))
    shares = cell_shares(links, "zone_emploi_id", by_departement=True)
    jobs = BmoJob.objects.filter(year=year, job_code__startswith=family)
    name = jobs.filter(job_code=job_code).values_list("job_name", flat=True).first() or (
        FapPost.objects.filter(family_code=family).values_list("family_label", flat=True).first()
    )
    cells: dict[tuple, list] = defaultdict(list)
    for basin, dep, projects, difficult in jobs.values_list(
        "basin_id", "departement", "projects", "difficult"
    ):
        cells[(basin, dep)].append((projects, difficult))
    for zone, weights in shares.items():
        row = rows.get(zone)
        if row is None:
            continue
        for cell, share in weights.items():
            for p, d in cells.get(cell, ()):
                if p is None:
                    row["secret"] += 1
                    continue
                row["published"] += 1
                row["projects"] += share * p
                if d is not None:
                    row["difficult"] += share * d
                    row["base"] += share * p
    if romes:
        t_links = list(TensionBasinCommune.objects.values_list("commune_code", "basin_id"))
        t_shares = cell_shares(t_links, "zone_emploi_id", by_departement=False)
        t_year = Tension.objects.order_by("-year").values_list("year", flat=True).first()
        by_basin: dict[str, list[int]] = defaultdict(list)
        for basin, value in Tension.objects.filter(
            year=t_year, rome_code__in=romes, tension__isnull=False
        ).values_list("basin_id", "tension"):
            by_basin[basin].append(value)
        for zone, weights in t_shares.items():
            w = sum(share for basin, share in weights.items() if by_basin.get(basin))
            if zone in rows and w:
                rows[zone]["tension"] = (
                    sum(
                        share * max(by_basin[basin])
                        for basin, share in weights.items()
                        if by_basin.get(basin)
                    )
                    / w
                )
        today = today or date.today()
        until = today + timedelta(days=round(TRAINING_MONTHS * 365.25 / 12))
        communes = dict(Commune.objects.filter(is_current=True).values_list("code", "zone_emploi_id"))
        for zone in rows.values():
            zone["places"] = 0
        for session in TrainingSession.objects.filter(
            start_on__gte=today, start_on__lt=until, rome_codes__overlap=romes
        ):
            zone = communes.get(session.commune_code)
            if zone in rows:
                rows[zone]["places"] += session.places_open
    out = []
    for row in rows.values():
        row["secret_only"] = not row["published"] and bool(row["secret"])
        row["difficult_share"] = row["difficult"] / row["base"] if row["base"] else None
        out.append(row)
    out.sort(key=lambda r: (-r["projects"], r["name"]))
    return {
        "code": job_code,
        "name": name or job_code,
        "known": bool(name),
        "year": year,
        "rome_codes": romes,
        "zones": out,
    }


def fap_rome_in_force_for(family: str) -> list[str]:
    return fap_rome_in_force().get(family, [])


ZONE_FIGURES = ProcessMemory("BMO figures per zone d'emploi", 2)


def zone_figures() -> dict[str, dict]:
    """Per zone d'emploi: BMO projects of the latest year (published cells, commune-weighted rule) and the share
    judged difficult, in one pass; kept in memory until the BMO table changes."""
    year = bmo_year()
    state = BmoJob.objects.aggregate(n=Count("id"), last=Max("id"))
    key = (year, state["n"], state["last"])
    remembered = ZONE_FIGURES.get(key)
    if remembered is not None:
        return remembered
    links = list(BmoBasinCommune.objects.values_list("commune_code", "basin_id"))
    shares = cell_shares(links, "zone_emploi_id", by_departement=True)
    cells: dict[tuple, list] = defaultdict(list)
    for basin, dep, projects, difficult in BmoJob.objects.filter(year=year).values_list(
        "basin_id", "departement", "projects", "difficult"
    ):
        cells[(basin, dep)].append((projects, difficult))
    out = {}
    for zone, weights in shares.items():
        projects = difficult = base = 0.0
        for cell, share in weights.items():
            for p, d in cells.get(cell, ()):
                if p is None:
                    continue
                projects += share * p
                if d is not None:
                    difficult += share * d
                    base += share * p
        out[zone] = {
            "year": year,
            "projects": projects,
            "difficult_share": difficult / base if base else None,
        }
    ZONE_FIGURES.put(key, out)
    return out


# Fill of a zone by its share of difficult recruitments (light: below 40 %, dark: 70 % and more).
DIFFICULTY_COLOURS = [(0.4, "#fef4f2"), (0.55, "#fcbfb7"), (0.7, "#f95c5e"), (2.0, "#ce0500")]


def zone_tile(actor: Actor, *, z: int, x: int, y: int) -> bytes:
    """The zones d'emploi in a vector tile (layer `zones_emploi`): name, link to its skills page, its BMO
    projects and share judged difficult as a French label, and a colour by that share. Public statistics."""
    from django.urls import reverse

    tile_check(z, x, y)
    figures = zone_figures()
    labels, colours = [], []
    for code, f in figures.items():
        share = f["difficult_share"]
        text = f"{fr_number(f['projects'], 0)} projets de recrutement (BMO {f['year']})"
        if share is not None:
            text += f", dont {fr_percent(share, 0)} jugés difficiles"
            colours.append(
                When(code=code, then=Value(next(c for limit, c in DIFFICULTY_COLOURS if share < limit)))
            )
        labels.append(When(code=code, then=Value(text)))
    qs = ZoneEmploi.objects.filter(geometry_3857__bboverlaps=tile_box(z, x, y)).annotate(
        nom=F("name"),
        libelle=Case(*labels, default=Value("aucune donnée BMO"), output_field=CharField()),
        couleur=Case(*colours, default=Value("#eeeeee"), output_field=CharField()),
        lien=Case(
            *[When(code=c, then=Value(reverse("www:skills:territory", args=["ze", c]))) for c in
              ZoneEmploi.objects.values_list("code", flat=True)],
            default=Value(""),
            output_field=CharField(),
        ),
    )  # fmt: skip
    return mvt_layer(
        qs, name="zones_emploi", columns=["code", "nom", "libelle", "couleur", "lien"],
        geometry=tile_geometry(z, x, y), id_field=None,
    )  # fmt: skip


__all__ = [
    "seekers_by_sector",
    "zone_figures",
    "zone_tile",
    "actions_for",
    "company_needs",
    "gaps",
    "hiring_needs",
    "prospect_needs",
    "tensions",
    "territory_skill_figures",
]

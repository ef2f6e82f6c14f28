"""Reads of jobs and skills per territory (zone d'emploi, EPCI, département), taking an actor and a territory:
hiring needs (BMO), tensions, the needs of followed companies and prospects, the gaps that need action and the
actions recorded on them. Steering (tandem/steering) reads `territory_skill_figures`.

Survey figures are public statistics (no permission needed); needs and actions are organisation-owned and are
read through the permission layer (`scope_queryset`).
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db.models import Case, CharField, Count, F, Max, QuerySet, Value, When

from tandem.companies.models import CompanyProject
from tandem.core.formats import fr_number, fr_percent
from tandem.core.tiles import mvt_layer, tile_box, tile_check, tile_geometry
from tandem.organizations.perms import Actor, scope_queryset
from tandem.prospects.models import BmoBasinCommune, BmoJob, Prospect
from tandem.skills.models import RomeCode, SkillAction, Tension, TensionBasinCommune
from tandem.skills.territory import Territory, cell_shares, cell_weights, territory_commune_codes
from tandem.territories.models import ZoneEmploi

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
    jobs = []
    for row in acc.values():
        if not row["w"]:
            continue
        tension = row["t"] / row["w"]
        if tension < minimum:
            continue
        jobs.append(
            {"code": row["code"], "label": labels.get(row["code"], ""), "tension": tension,
             "offers": row["offers"], "seekers": row["seekers"]}
        )  # fmt: skip
    jobs.sort(key=lambda r: (-r["tension"], -r["offers"], r["code"]))
    return {"year": year, "jobs": jobs}


def company_needs(*, actor: Actor, territory: Territory) -> QuerySet[CompanyProject]:
    """Open hiring needs of followed companies placed in the territory (a job code and jobs), as the actor
    sees them."""
    qs = CompanyProject.objects.filter(
        commune_id__in=territory_commune_codes(territory), status__in=OPEN_PROJECT_STATUSES
    ).exclude(job_code="")
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
    BMO figures behind them, whether the job is flagged and why, and the actions recorded on it."""
    needs: dict[str, dict] = defaultdict(lambda: {"needs": 0, "sources": []})
    for project in company_needs(actor=actor, territory=territory):
        row = needs[project.job_code]
        row["needs"] += project.jobs or 0
        row["sources"].append(
            {"label": f"{project.company} — {project.title}", "jobs": project.jobs, "on": project.expected_on}
        )
    for need in prospect_needs(actor=actor, territory=territory):
        row = needs[need["job_code"]]
        row["needs"] += need["jobs"]
        row["sources"].append(
            {
                "label": f"Prospect {need['prospect'].code_name}",
                "jobs": need["jobs"],
                "on": need["prospect"].production_start_on,
            }
        )
    if not needs:
        return []
    bmo = {j["code"]: j for j in hiring_needs(actor=actor, territory=territory)["jobs"]}
    names = dict(
        BmoJob.objects.filter(job_code__in=list(needs)).values_list("job_code", "job_name").distinct()
    )
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
        out.append(
            {"code": code, "name": names.get(code, code), "needs": row["needs"], "sources": row["sources"],
             "bmo": job, "flagged": bool(reasons), "reasons": reasons, "actions": actions.get(code, [])}
        )  # fmt: skip
    out.sort(key=lambda r: (not r["flagged"], -r["needs"], r["code"]))
    return out


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
        "actions_by_status": dict(statuses),
    }


_ZONE_FIGURES: dict[tuple, dict] = {}


def zone_figures() -> dict[str, dict]:
    """Per zone d'emploi: BMO projects of the latest year (published cells, commune-weighted rule) and the share
    judged difficult, in one pass; kept in memory until the BMO table changes."""
    year = bmo_year()
    state = BmoJob.objects.aggregate(n=Count("id"), last=Max("id"))
    key = (year, state["n"], state["last"])
    if key in _ZONE_FIGURES:
        return _ZONE_FIGURES[key]
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
    _ZONE_FIGURES.clear()
    _ZONE_FIGURES[key] = out
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

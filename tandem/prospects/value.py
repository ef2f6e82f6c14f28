"""The project's value for the territory (the Région's side): each figure with its computation, in French.

Figures: jobs per hectare placed against the territory's own ZAE (percentile), jobs, investment and investment
per job, public aid per job, supply-chain links (local establishments of the upstream and downstream NAF codes
within 30 km, from the SIRENE registry), skills against recruitment difficulty (BMO, when loaded), and land
taken from farmland versus brownfield. Reads go through the permission layer: the ZAE distribution uses the
sites the actor may see.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from django.db import transaction

from tandem.companies.selectors import establishment_counts_within
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.models import Site
from tandem.organizations.perms import Actor, scope_queryset
from tandem.prospects import perms
from tandem.prospects.audit import audit_confidential
from tandem.prospects.candidates import ECOSYSTEM_RADIUS_KM, candidate_point
from tandem.prospects.labour import basin_market
from tandem.prospects.matching.text import fr_num
from tandem.prospects.models import Decision, Proposal, Prospect


def _figure(key: str, label: str, value, computation: str) -> dict:
    return {"key": key, "label": label, "value": value, "computation": computation}


def _surface_of(prospect: Prospect, proposal: Proposal | None) -> tuple[float, str]:
    if proposal is not None:
        c = proposal.candidate
        surface = getattr(c, "terr_surf_brute", None) or getattr(c, "site_surf_comm_dispo", None)
        if surface is None and getattr(c, "unite_fonciere_surface", None):
            surface = c.unite_fonciere_surface / 10_000
        surface = surface or getattr(c, "area_ha", None)
        if surface:
            return float(surface), f"surface du site retenu « {c} »"
    surface = prospect.surface_ideal_ha or prospect.surface_min_ha
    return float(surface), "surface demandée par le projet"


def zae_jobs_per_ha(actor: Actor, epci_sirens: list[str]) -> list[float]:
    """Jobs per hectare of the ZAE the actor may see in these EPCI (sites with both figures filled)."""
    sites = scope_queryset(actor, Site.objects.filter(site_epci_siren__in=epci_sirens)).filter(
        site_nb_emploi__gt=0, site_surf_brute__gt=0
    )
    return sorted(jobs / surface for jobs, surface in sites.values_list("site_nb_emploi", "site_surf_brute"))


def percentile_of(value: float, distribution: list[float]) -> float:
    """Share of the distribution at or below `value` (ties counted half), in %."""
    below, upto = bisect_left(distribution, value), bisect_right(distribution, value)
    return 100 * (below + (upto - below) / 2) / len(distribution)


def _establishments(lon, lat, codes: list[str]) -> int | None:
    """Active establishments of the NAF codes within the ecosystem radius (the matching score's rule)."""
    from tandem.companies.models import Establishment

    if not codes or lon is None or not Establishment.objects.exists():
        return None
    return int(
        establishment_counts_within([lon], [lat], naf_prefixes=codes, radius_km=ECOSYSTEM_RADIUS_KM)[0]
    )


def project_value(*, actor: Actor, prospect: Prospect, proposal: Proposal | None = None) -> dict:
    """Every figure of the project's value, each with the computation that produced it."""
    figures = []
    surface, surface_source = _surface_of(prospect, proposal)
    jobs = prospect.jobs_at_three_years or prospect.jobs_at_start
    figures.append(
        _figure(
            "jobs",
            "emplois créés",
            jobs,
            f"{prospect.jobs_at_start if prospect.jobs_at_start is not None else '?'} au démarrage, "
            f"{prospect.jobs_at_three_years if prospect.jobs_at_three_years is not None else '?'} à trois ans",
        )
    )
    jobs_per_ha = jobs / surface if jobs and surface else None
    figures.append(
        _figure(
            "jobs_per_ha",
            "emplois par hectare consommé",
            None if jobs_per_ha is None else round(jobs_per_ha, 1),
            f"{jobs if jobs else '?'} emplois ÷ {fr_num(surface)} ha ({surface_source})",
        )
    )
    if proposal is not None and proposal.kind == "terrain":
        epcis = [proposal.candidate.site_eco.site_epci_siren]
    else:
        epcis = list(prospect.preferred_epcis.values_list("pk", flat=True))
    distribution = zae_jobs_per_ha(actor, epcis) if epcis else []
    if jobs_per_ha is not None and distribution:
        pct = percentile_of(jobs_per_ha, distribution)
        median = distribution[len(distribution) // 2]
        figures.append(
            _figure(
                "jobs_per_ha_percentile",
                "rang parmi les zones d'activité du territoire",
                round(pct),
                f"{fr_num(jobs_per_ha)} emplois/ha face à {len(distribution)} ZAE de l'EPCI "
                f"({', '.join(epcis)}) : médiane {fr_num(median)} emplois/ha ; le projet dépasse "
                f"{fr_num(pct, 0)} % d'entre elles",
            )
        )
    else:
        figures.append(
            _figure(
                "jobs_per_ha_percentile",
                "rang parmi les zones d'activité du territoire",
                None,
                "pas de territoire désigné ou aucune ZAE visible avec emplois et surface renseignés",
            )
        )
    investment = float(prospect.investment_eur) if prospect.investment_eur is not None else None
    figures.append(
        _figure("investment", "investissement (€)", investment, "déclaré par le porteur de projet")
    )
    figures.append(
        _figure(
            "investment_per_job",
            "investissement par emploi (€)",
            round(investment / jobs) if investment and jobs else None,
            f"{fr_num(investment or 0, 0)} € ÷ {jobs or '?'} emplois",
        )
    )
    aid = float(prospect.public_aid_eur) if prospect.public_aid_eur is not None else None
    figures.append(
        _figure(
            "public_aid_per_job",
            "aides publiques par emploi (€)",
            round(aid / jobs) if aid is not None and jobs else None,
            f"{fr_num(aid, 0)} € ÷ {jobs or '?'} emplois"
            if aid is not None
            else "aides publiques non connues",
        )
    )
    place = proposal.candidate if proposal is not None else None
    lon, lat = candidate_point(place) if place is not None else (None, None)
    for key, label, codes in (
        ("suppliers", "établissements amont (fournisseurs) à moins de 30 km", prospect.upstream_naf),
        ("customers", "établissements aval (clients) à moins de 30 km", prospect.downstream_naf),
    ):
        n = _establishments(lon, lat, codes)
        figures.append(
            _figure(
                key,
                label,
                n,
                f"établissements actifs du registre SIRENE, codes NAF {', '.join(codes)}, "
                f"dans un rayon de {ECOSYSTEM_RADIUS_KM} km du site retenu"
                if n is not None
                else "codes NAF amont/aval non renseignés, site non retenu ou registre non chargé",
            )
        )
    market = basin_market(getattr(place, "commune_id", None), skills=prospect.skills) if place else None
    if market and market["skills"]:
        known = [j for j in market["skills"] if j["difficult_share"] is not None]
        share = (
            sum(j["difficult_share"] * j["projects"] for j in known) / sum(j["projects"] for j in known)
            if known
            else None
        )
        detail = " ; ".join(
            f"{j['name']} : {j['projects']} projets"
            + (
                f", {fr_num(100 * j['difficult_share'], 0)} % difficiles"
                if j["difficult_share"] is not None
                else ""
            )
            for j in market["skills"]
        )
        figures.append(
            _figure(
                "skills",
                "métiers recherchés : part des recrutements jugés difficiles (%)",
                None if share is None else round(100 * share),
                f"enquête BMO {market['year']}, bassin {market['basin']} : {detail}",
            )
        )
    else:
        figures.append(
            _figure(
                "skills",
                "métiers recherchés : part des recrutements jugés difficiles (%)",
                None,
                f"métiers (codes FAP 2021) : {', '.join(prospect.skills) or 'non renseignés'} ; "
                + (
                    "site non retenu"
                    if place is None
                    else "enquête BMO non chargée pour ce bassin ou métiers absents"
                ),
            )
        )
    farmland = brownfield = 0.0
    if place is not None:
        usage = getattr(place, "terr_usage", "")
        if proposal.kind == "friche" or getattr(place, "terr_etat_occup", "") == "friche":
            brownfield = surface
        elif usage == "espace agricole" or getattr(place, "tdm_plu_zone_type", "") == "A":
            farmland = surface
    figures.append(
        _figure(
            "land",
            "foncier pris aux terres agricoles / sur friche (ha)",
            {"agricole": farmland, "friche": brownfield},
            "d'après l'usage du terrain retenu (espace agricole, zone A du PLU) et son état (friche)"
            if place is not None
            else "aucun site retenu",
        )
    )
    return {"surface_ha": surface, "figures": figures}


@transaction.atomic
def decision_record(
    *, actor: Actor, prospect: Prospect, outcome: str, reason: str, proposal: Proposal | None = None
) -> Decision:
    """Record a decision on a prospect with the value figures it was taken on."""
    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas enregistrer de décision sur ce prospect.")
    if outcome not in Decision.Outcome.values:
        raise UserError(f"Décision inconnue : « {outcome} ».")
    if not reason.strip():
        raise UserError("Les motifs de la décision sont obligatoires.")
    snapshot = project_value(actor=actor, prospect=prospect, proposal=proposal)
    user = actor.user if getattr(actor.user, "pk", None) else None
    decision = Decision.objects.create(
        prospect=prospect, outcome=outcome, reason=reason.strip(), value_snapshot=snapshot, by=user
    )
    audit_confidential(
        actor=actor, action=AuditEvent.Action.CREATE, obj=decision, details={"outcome": outcome}
    )
    return decision

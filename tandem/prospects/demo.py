"""Demo prospects: two clearly fictitious investor projects of the demo investment agency, one shared with the
first demo EPCI, which proposes its two best-ranked terrains, one of them shortlisted. Registered in
`tandem.demo.services.DEMO_EXTENSIONS` after the land inventories; running it twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model

from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tandem.prospects import selectors, services
from tandem.prospects.models import Prospect

PROSPECTS = [
    {
        "code_name": "[fictif] Projet Héron",
        "naf": "27.20Z",
        "activity": "fabrication de cellules de batteries (projet fictif)",
        "surface_min_ha": 1,
        "surface_ideal_ha": 2.5,
        "power_mw": 5,
        "jobs_at_start": 80,
        "jobs_at_three_years": 220,
        "investment_eur": 120_000_000,
        "public_aid_eur": 9_000_000,
        "is_relocation": True,
        "plan_500": True,
        "upstream_naf": ["20.13", "24.45"],
        "downstream_naf": ["29.10", "29.32"],
    },
    {
        "code_name": "[fictif] Projet Grive",
        "naf": "10.89Z",
        "activity": "transformation agroalimentaire (projet fictif)",
        "surface_min_ha": 1.5,
        "water_m3h": 20,
        "jobs_at_start": 35,
        "jobs_at_three_years": 60,
        "investment_eur": 18_000_000,
    },
]


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def prospects_demo(*, rng, organizations: list[Organization], scale: str) -> dict:
    """Add the demo prospects (the agency's contributor leads, the first demo EPCI proposes); returns counts."""
    del rng, scale  # deterministic content, the same at every scale
    User = get_user_model()
    agency = Organization.objects.filter(slug="agence-investissement-demo").first()
    lead = User.objects.filter(username="investissement.contributeur").first()
    epci = organizations[0] if organizations else None
    epci_user = User.objects.filter(username="epci1.contributeur").first()
    if agency is None or lead is None or epci is None or epci_user is None:
        return {"prospects": 0}
    lead_actor, epci_actor = Actor.for_user(lead), Actor.for_user(epci_user)
    created = proposals = 0
    for n, spec in enumerate(PROSPECTS):
        if Prospect.objects.filter(code_name=spec["code_name"]).exists():
            continue
        year = date.today().year
        prospect = services.prospect_create(
            actor=lead_actor,
            owner=agency,
            production_start_on=date(year + 2, 9, 1),
            decision_on=date(year + 1, 3, 1),
            origin="Business France (fictif)",
            **spec,
        )
        created += 1
        if n:
            continue
        services.prospect_share(
            actor=lead_actor, prospect=prospect, organizations=[epci], members=[epci_user]
        )
        requirements = services.requirements_of(prospect, epcis=(epci.epci_id,))
        _, results = selectors.matching_results(actor=epci_actor, requirements=requirements, limit=10)
        terrains = [r for r in results if r["kind"] == "terrain"]
        for result in terrains[:2]:
            proposal = services.proposal_create(
                actor=epci_actor,
                prospect=prospect,
                organization=epci,
                kind="terrain",
                object_id=result["object_id"],
                comment="terrain viabilisé, maîtrise foncière publique (démo)",
            )
            proposals += 1
            if proposals == 1:
                services.proposal_shortlist(actor=lead_actor, proposal=proposal)
    return {"prospects": created, "proposals": proposals}

"""Demo steering: a CPOM of the demo development agency and a delegation convention with the first demo EPCI
(titles « (démo) », fictitious amounts), objectives on the registry's indicators, a quarterly report in
preparation, and the indicators of the demo région and of its départements and demo EPCI frozen for the last
four quarters. Registered in `tandem.demo.services.DEMO_EXTENSIONS`; running it twice changes nothing."""

from __future__ import annotations

import datetime as dt

from tandem.land.selectors import Territory
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tandem.steering.models import Convention
from tandem.steering.registry import Period
from tandem.steering.selectors import snapshot_territories
from tandem.steering.services import convention_create, objective_add, report_open, snapshot_take


# The demo generator writes fictitious conventions for every demo organisation: it sees them all.
@unscoped()
def steering_demo(*, rng, organizations, scale: str) -> dict:
    region = Organization.objects.filter(slug="region-demo").first()
    agency = Organization.objects.filter(slug="agence-demo").first()
    if region is None or agency is None or not organizations:
        return {"conventions": 0, "snapshots": 0}
    system = Actor.system_actor()
    today = dt.date.today()
    epci_org = organizations[0]
    if not Convention.objects.filter(owner=region).exists():
        cpom = convention_create(
            actor=system,
            owner=region,
            partner=agency,
            title="CPOM de l'agence de développement (démo)",
            kind=Convention.Kind.CPOM,
            territory=Territory("region", region.region_id, region.region.name),
            starts_on=dt.date(today.year, 1, 1),
            ends_on=dt.date(today.year + 2, 12, 31),
            signed_on=dt.date(today.year, 1, 15),
            region_amount_eur=450_000,
            aids="Animation économique, prospection d'investisseurs, suivi des entreprises (démo).",
        )
        for code, target, weight in (
            ("companies.followed", 200, 40),
            ("companies.exchanges", 120, 30),
            ("prospects.proposals", 30, 30),
        ):
            objective_add(
                actor=system, convention=cpom, indicator=code, year=today.year, target=target, weight=weight
            )
        report_open(actor=system, convention=cpom, period=Period.of(today).previous())
        convention_create(
            actor=system,
            owner=region,
            partner=epci_org,
            title=f"Délégation des aides aux entreprises — {epci_org.name}",
            kind=Convention.Kind.DELEGATION,
            territory=Territory("epci", epci_org.epci_id, epci_org.epci.name),
            epci=epci_org.epci,
            starts_on=dt.date(today.year - 2, 1, 1),
            ends_on=today + dt.timedelta(days=60),  # due soon: the list shows the alert
            signed_on=dt.date(today.year - 2, 2, 1),
            region_amount_eur=300_000,
            partner_amount_eur=100_000,
            aids="Aide à l'immobilier d'entreprise, aide à l'investissement productif (démo).",
        )
    demo_epcis = {org.epci_id for org in organizations}
    territories = [
        t
        for t in snapshot_territories(region.region_id)
        if t.level in ("region", "departement") or (t.level == "epci" and t.key in demo_epcis)
    ]
    frozen, period = 0, Period.of(today)
    for _ in range(4):
        period = period.previous()
        for territory in territories:
            frozen += snapshot_take(territory=territory, period=period)
    return {"conventions": Convention.objects.filter(owner=region).count(), "snapshots": frozen}

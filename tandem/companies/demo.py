"""Demo companies and their follow-up: clearly fictitious (SIREN 999…, names « (démo) »), deterministic,
placed in the real communes of the demo EPCIs, with real NAF codes.

Registered in `tandem.demo.services.DEMO_EXTENSIONS`; running it twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from tandem.companies.followup import advisor_assign, exchange_create, need_create, project_create
from tandem.companies.models import Company, Establishment, ProjectReview, Signal, SolutionProvider
from tandem.companies.parcours import parcours_step_move
from tandem.companies.reviews import review_create
from tandem.organizations.models import Membership, Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tandem.territories.models import Commune

# Real NAF rév. 2 sub-classes of industry and industrial services.
DEMO_NAF = [
    ("10.71C", "Boulangerie fictive"),
    ("16.23Z", "Menuiserie industrielle fictive"),
    ("20.59Z", "Chimie fictive"),
    ("22.29A", "Plasturgie fictive"),
    ("24.10Z", "Aciérie fictive"),
    ("25.11Z", "Charpente métallique fictive"),
    ("25.62B", "Mécanique de précision fictive"),
    ("26.51B", "Instruments fictifs"),
    ("28.29B", "Machines spéciales fictives"),
    ("29.32Z", "Équipementier fictif"),
    ("33.12Z", "Maintenance industrielle fictive"),
    ("71.12B", "Ingénierie fictive"),
]
HEADCOUNT = ["03", "11", "12", "21", "22", "31"]
PROVIDERS = [
    ("industrie", "Cabinet Lean Exemple (démo)", "Excellence opérationnelle, diagnostic 360°"),
    ("industrie", "Robotique Modèle (démo)", "Robotisation, cobotique"),
    ("environnement", "Énergie Spécimen (démo)", "Efficacité énergétique, décarbonation"),
    ("numerique", "Numérique Prototype (démo)", "ERP, cybersécurité, données industrielles"),
    ("sante", "Santé Maquette (démo)", "Dispositifs médicaux, réglementation"),
]
COMPANIES_PER_EPCI = {"demo": 30, "region": 6, "national": 1}
TOPICS = ["Projet d'extension", "Recrutement d'opérateurs", "Trésorerie", "Export", "Transmission", "Énergie"]
SIREN_PREFIX = "999"


def _people(org: Organization) -> list:
    return [
        m.user
        for m in Membership.objects.filter(organization=org, role__in=[Role.CONTRIBUTEUR, Role.ADMIN])
        .select_related("user")
        .order_by("user__username")
    ]


@transaction.atomic
# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def companies_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    """Add demo companies, establishments, référents, exchanges, needs, projects, Parcours journeys and
    signals to each demo EPCI."""
    # Own generator, so that other extensions drawing from `rng` do not change what is generated here.
    rng = random.Random(f"companies-{scale}")
    system = Actor.system_actor()
    today = date(2026, 6, 1)
    providers = [
        SolutionProvider.objects.get_or_create(
            name=name, domain=domain, defaults={"services": services, "is_demo": True}
        )[0]
        for domain, name, services in PROVIDERS
    ]
    created = {"companies": 0, "establishments": 0, "exchanges": 0, "journeys": 0, "signals": 0, "reviews": 0}
    per_epci = COMPANIES_PER_EPCI.get(scale, 1)
    for index, org in enumerate(organizations):
        communes = list(
            Commune.objects.filter(epci_id=org.epci_id, is_current=True).order_by("-population", "code")[:12]
        )
        if not communes:
            continue
        people = _people(org)
        for number in range(per_epci):
            siren = f"{SIREN_PREFIX}{index:03d}{number:03d}"
            if Company.objects.filter(pk=siren).exists():
                continue
            naf, label = DEMO_NAF[rng.randrange(len(DEMO_NAF))]
            commune = communes[rng.randrange(len(communes))]
            band = rng.choice(HEADCOUNT)
            company = Company.objects.create(
                siren=siren,
                legal_unit_loaded=True,
                name=f"{label} {number + 1} (démo)".upper(),
                naf=naf,
                naf_nomenclature="NAFRev2",
                legal_category="5710",
                headcount_band=band,
                state="A",
                created_on=date(1990 + rng.randrange(33), 1 + rng.randrange(12), 1),
                head_office_nic="00010",
                employer="O",
            )
            created["companies"] += 1
            for nic, head in (("00010", True), ("00028", False))[: 1 + rng.randrange(2)]:
                where = commune if head else communes[rng.randrange(len(communes))]
                recent = not head and rng.random() < 0.3
                Establishment.objects.create(
                    siret=siren + nic,
                    company=company,
                    nic=nic,
                    is_head_office=head,
                    state="A",
                    created_on=today - timedelta(days=rng.randrange(20, 80))
                    if recent
                    else company.created_on,
                    naf=naf,
                    naf_nomenclature="NAFRev2",
                    headcount_band=band,
                    employer="O",
                    street_number=str(1 + rng.randrange(80)),
                    street_type="RUE",
                    street_name="DE L'INDUSTRIE (DEMO)",
                    postcode=(where.postal_codes or [""])[0],
                    commune_label=where.name.upper(),
                    commune_code=where.code,
                    departement_code=where.departement_id,
                    commune=where,
                    latitude=where.centroid_lat,
                    longitude=where.centroid_lon,
                )
                created["establishments"] += 1
            if not people or rng.random() < 0.25:
                continue  # some companies have no référent yet
            advisor = people[rng.randrange(len(people))]
            advisor_assign(
                actor=system,
                company=company,
                user=advisor,
                organization=org,
                started_on=today - timedelta(days=rng.randrange(60, 900)),
            )
            for _ in range(rng.randrange(1, 4)):
                exchange_create(
                    actor=system,
                    owner=org,
                    company=company,
                    kind=rng.choice(["meeting", "call", "visit", "email"]),
                    happened_on=today - timedelta(days=rng.randrange(1, 400)),
                    topic=rng.choice(TOPICS),
                    notes="Compte rendu fictif de démonstration.",
                    visibility=rng.choice([Visibility.PRIVATE, Visibility.PRIVATE, Visibility.REGION]),
                )
                created["exchanges"] += 1
            if rng.random() < 0.5:
                need_create(
                    actor=system,
                    owner=org,
                    company=company,
                    topic=rng.choice(["financing", "recruitment", "land"]),
                    title=rng.choice(
                        ["Prêt de développement", "Recrutement de 5 techniciens", "Bâtiment de 2 000 m²"]
                    ),
                    assignee=advisor,
                    due_on=today + timedelta(days=rng.randrange(-60, 90)),
                    visibility=Visibility.REGION,
                )
            if rng.random() < 0.2:
                project_create(
                    actor=system,
                    owner=org,
                    company=company,
                    kind="land",
                    title="Terrain pour une nouvelle usine",
                    surface_needed_m2=10_000 * (1 + rng.randrange(5)),
                    visibility=Visibility.REGION,
                )
            if rng.random() < 0.6:
                entered = today - timedelta(days=rng.randrange(30, 1200))
                parcours_step_move(
                    actor=system,
                    company=company,
                    owner=org,
                    step="1_sensibilisation",
                    on=entered,
                    provider=providers[0],
                )
                on = entered
                for step in ("2_diagnostic", "3_modules", "4_mise_en_oeuvre"):
                    on = on + timedelta(days=rng.randrange(20, 200))
                    if on >= today or rng.random() < 0.4:
                        break
                    parcours_step_move(
                        actor=system,
                        company=company,
                        step=step,
                        on=on,
                        provider=rng.choice(providers),
                        aid_granted=step != "3_modules" or rng.random() < 0.5,
                        aid_label="Aide régionale (démo)",
                        aid_amount_eur=Decimal(5_000 * (1 + rng.randrange(10))),
                    )
                created["journeys"] += 1
            if rng.random() < 0.15:
                Signal.objects.create(
                    owner=org,
                    visibility=Visibility.NETWORK,
                    company=company,
                    commune=commune,
                    source=Signal.Source.ADVISOR,
                    rule="advisor",
                    category=rng.choice(
                        ["loss_of_activity", "financing", "supply", "hr_skills", "succession"]
                    ),
                    observed_on=today - timedelta(days=rng.randrange(1, 120)),
                    description="Signal fictif de démonstration.",
                    created_by=advisor,
                )
                created["signals"] += 1
    # One prepared project review per demo EPCI, its agenda built from the data above.
    if scale == "demo":
        for org in organizations:
            if not ProjectReview.objects.filter(owner=org, area_organization=org).exists():
                review_create(
                    actor=system,
                    owner=org,
                    organization=org,
                    held_on=today,
                    title=f"Revue de projets (démo) — {org.name}",
                )
                created["reviews"] += 1
    return created

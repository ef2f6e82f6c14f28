"""Fictitious jobs-and-skills demo: hiring needs on demo companies followed by the demo EPCIs (FAP 2021 jobs of
industry) and an action recorded on one of them. Every text says « démonstration »; nothing here is real."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyAdvisor, CompanyProject
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tandem.skills.models import SkillAction
from tandem.skills.services import skill_action_create
from tandem.skills.territory import Territory

# Industry jobs of the BMO survey (FAP 2021): machining, boilermaking, maintenance, logistics.
DEMO_JOBS = [
    ("D0X31", "Ouvriers qualifiés en conduite d'équipement d'usinage"),
    ("D1X30", "Ouvriers en chaudronnerie et tôlerie"),
    ("G1X72", "Techniciens et agents de maîtrise en maintenance générale et mécanique industrielle"),
    ("J0X34", "Magasiniers et préparateurs de commande qualifiés"),
]
TITLE = "Recrutement (démonstration) : {}"


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def skills_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    created = {"needs": 0, "actions": 0}
    system = Actor.system_actor()
    today = date.today()
    for index, org in enumerate(organizations[:3]):
        advisor = CompanyAdvisor.objects.filter(owner=org).select_related("company").order_by("id").first()
        if advisor is None:
            continue
        code, label = DEMO_JOBS[index % len(DEMO_JOBS)]
        title = TITLE.format(label.lower())
        project = CompanyProject.objects.filter(owner=org, title=title).first()
        if project is None:
            project = project_create(
                actor=system,
                owner=org,
                company=advisor.company,
                kind=CompanyProject.Kind.RECRUITMENT,
                title=title,
                description="Besoin fictif de démonstration.",
                jobs=15 + rng.randrange(30),
                job_code=code,
                expected_on=today + timedelta(days=90 + rng.randrange(200)),
                visibility=Visibility.REGION,
            )
            created["needs"] += 1
        ze = project.commune.zone_emploi if project.commune_id else None
        if ze is None or SkillAction.objects.filter(owner=org, job_code=code).exists():
            continue
        skill_action_create(
            actor=system,
            owner=org,
            territory=Territory("ze", ze.code, ze.name),
            job_code=code,
            job_label=label,
            kind=SkillAction.Kind.TRAINING,
            description="Action fictive de démonstration : session de formation demandée au Carif-Oref.",
            people=12,
            visibility=Visibility.NETWORK,
        )
        created["actions"] += 1
    return created

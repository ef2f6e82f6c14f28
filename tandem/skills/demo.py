"""Fictitious jobs-and-skills demo: hiring needs on demo companies followed by the demo EPCIs (FAP 2021 jobs of
industry) and an action recorded on one of them. Every text says « démonstration »; nothing here is real."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyAdvisor, CompanyProject, ParcoursStep
from tandem.companies.parcours import SKILLS_STEP, parcours_hiring_need
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
    created = {"needs": 0, "actions": 0, "parcours_needs": 0}
    system = Actor.system_actor()
    today = date.today()
    # The Parcours' skills step: a hiring need typed as a free title on the first demo journey that reached the
    # 360° diagnostic (resolved to ROME « Soudeur / Soudeuse — H2913 » when the ROME referential is imported,
    # else kept as typed, « métier non rattaché »).
    step = (
        ParcoursStep.objects.filter(journey__owner__in=organizations[:3], step=SKILLS_STEP)
        .select_related("journey")
        .order_by("journey_id")
        .first()
    )
    if step is not None and not CompanyProject.objects.filter(parcours_step=step).exists():
        parcours_hiring_need(
            actor=system,
            journey=step.journey,
            job="soudeur",
            jobs=4 + rng.randrange(6),
            expected_on=today + timedelta(days=120),
            description="Besoin fictif de démonstration (volet compétences du Parcours).",
        )
        created["parcours_needs"] += 1
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


# Real reference facts (not invented) the fictitious offer rests on: ROME v4.60 codes with their labels, the
# FAP 2021 posts of the demo jobs, and Certif Info certifications (code, title, RNCP, main Formacode, ROME).
DEMO_ROME = {
    "H2903": "Tourneur-fraiseur / Tourneuse-fraiseuse",
    "H2902": "Chaudronnier / Chaudronnière",
    "I1310": "Mécanicien / Mécanicienne de maintenance industrielle",
    "N1103": "Préparateur / Préparatrice de commandes",
}
DEMO_FAP = [
    ("D0X31", "Ouvriers qualifiés en conduite d'équipement d'usinage", "D0X31",
     "Ouvriers qualifiés en conduite d'équipement d'usinage", "D0X", "Ouvriers travaillant par enlèvement de métal",
     "D", "Mécanique, travail des métaux"),
    ("D1X30b", "Ouvriers qualifiés en chaudronnerie et tôlerie", "D1X30", "Ouvriers en chaudronnerie et tôlerie",
     "D1X", "Ouvriers travaillant par formage de métal", "D", "Mécanique, travail des métaux"),
    ("G1X72a", "Techniciens et agents de maîtrise en maintenance mécanique et entretien d'équipements industriels",
     "G1X72", "Techniciens et agents de maîtrise en maintenance générale et mécanique industrielle", "G1X",
     "Techniciens et agents de maîtrise de la maintenance", "G", "Maintenance"),
    ("J0X34", "Magasiniers et préparateurs de commande qualifiés", "J0X34",
     "Magasiniers et préparateurs de commande qualifiés", "J0X", "Ouvriers de la manutention", "J",
     "Transports, logistique et tourisme"),
]  # fmt: skip
DEMO_CERTIFICATIONS = [
    ("21309", "CAP décolletage : opérateur régleur en décolletage", "Certificat d'aptitude professionnelle", "557",
     "23089", "Décolletage", ["H2903"]),
    ("20312", "Bac pro technicien modeleur", "Baccalauréat professionnel", "38313", "23076", "Usinage", ["H2903"]),
    ("23158", "CQP opérateur en tôlerie", "Autre titre inscrit sur demande au RNCP (niveau 3)", "34301", "23094",
     "Tôlerie", ["H2902", "H2911"]),
    ("20641", "MC maintenance des installations oléohydrauliques et pneumatiques", "Mention complémentaire (de niveau 4)",
     "36332", "24447", "Automatisme hydraulique", ["I1310", "I1603"]),
    ("69402", "Bac pro logistique", "Baccalauréat professionnel", "38302", "31845", "Logistique", ["N1103", "N1303"]),
]  # fmt: skip
# The pairs a Région user « reviewed » in the demo (the right FAP family of each demo ROME code).
DEMO_REVIEWED = {"H2903": "D0X31", "H2902": "D1X30", "I1310": "G1X72", "N1103": "J0X34"}


@unscoped()
def training_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    """A fictitious training offer (sessions marked « démonstration », demo=True) on the real certifications
    above, in the zones d'emploi of the demo hiring needs; the ROME ↔ FAP proposal computed by the engine on the
    demo referential and reviewed (decisions marked « démonstration »)."""
    from tandem.skills.crosswalk import propose_rome_fap
    from tandem.skills.importers import fap_posts, rome_jobs
    from tandem.skills.models import (
        Certification,
        FapPost,
        RomeCode,
        RomeFapPair,
        RomeFapReview,
        TrainingSession,
    )

    created = {"sessions": 0, "reviews": 0}
    for code, label in DEMO_ROME.items():
        RomeCode.objects.get_or_create(
            code=code, defaults={"label": label, "parent": code, "version": "4.60"}
        )
    for row in DEMO_FAP:
        FapPost.objects.get_or_create(
            code=row[0],
            defaults=dict(zip(["label", "family_code", "family_label", "domain_code", "domain_label",
                               "sector_code", "sector_label"], row[1:], strict=True)),
        )  # fmt: skip
    for code, label, kind, rncp, formacode, formacode_label, romes in DEMO_CERTIFICATIONS:
        Certification.objects.get_or_create(
            code=code,
            defaults={"label": label, "kind_label": kind, "rncp": rncp, "formacode": formacode,
                      "formacode_label": formacode_label, "rome_codes": romes},
        )  # fmt: skip
    if not RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED).exists():
        crosswalk = propose_rome_fap(rome_jobs(), fap_posts())
        RomeFapPair.objects.bulk_create(
            RomeFapPair(rome_code=code, family_code=c.code_fap228, post_code=c.code_fap341, rank=rank,
                        source=RomeFapPair.Source.PROPOSED, score=c.score, confidence=c.confidence)
            for code, proposal in crosswalk.proposals.items()
            for rank, c in enumerate(proposal.candidates, start=1)
        )  # fmt: skip
    for code, family in list(DEMO_REVIEWED.items())[:3]:  # the last one stays « à revoir »
        best = RomeFapPair.objects.filter(rome_code=code, source=RomeFapPair.Source.PROPOSED, rank=1).first()
        proposed = best.family_code if best else ""
        _, made = RomeFapReview.objects.get_or_create(
            rome_code=code,
            defaults={"decision": "accepted" if proposed == family else "changed", "proposed_family": proposed,
                      "family_code": family, "comment": "Revue fictive de démonstration."},
        )  # fmt: skip
        created["reviews"] += made
    today = date.today()
    zones = []
    for org in organizations[:3]:
        project = CompanyProject.objects.filter(
            owner=org, title__startswith="Recrutement (démonstration)"
        ).first()
        if project and project.commune_id:
            zones.append(project.commune)
    certifications = {
        c.code: c for c in Certification.objects.filter(code__in=[c[0] for c in DEMO_CERTIFICATIONS])
    }
    for index, commune in enumerate(zones):
        for number, (code, *_rest) in enumerate(DEMO_CERTIFICATIONS[index : index + 2]):
            session_id = f"DEMO-{commune.code}-{code}"
            if TrainingSession.objects.filter(pk=session_id).exists():
                continue
            certification = certifications[code]
            start = today + timedelta(days=45 + 60 * number + rng.randrange(30))
            places = 8 + rng.randrange(8)
            TrainingSession.objects.create(
                session_id=session_id, certification_code=f"RNCP{certification.rncp}", certification=certification,
                formacode=certification.formacode, title=f"{certification.label} (session fictive de démonstration)",
                provider_name="Organisme de formation fictif (démonstration)", provider_siret="00000000000000",
                commune_code=commune.code, start_on=start, end_on=start + timedelta(days=240), places=places,
                places_filled=rng.randrange(places // 2), funding=TrainingSession.Funding.REGION,
                rome_codes=certification.rome_codes, demo=True,
            )  # fmt: skip
            created["sessions"] += 1
    return created

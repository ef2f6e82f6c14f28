"""Demo catalogue: a clearly fictitious operator (« (démo) ») answering through the demo « Opérateur public »
organisation, one office per département of the demo EPCIs, two fictitious Région schemes and one need routed
to it. The real catalogue comes from `tandem import_catalogue` on ../shared/data/real.

Registered in `tandem.demo.services.DEMO_EXTENSIONS`; running it twice changes nothing. Sees every row (a
generator, like an importer)."""

from __future__ import annotations

import random
from datetime import date

from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme, Subject
from tandem.catalogue.services import routing_send
from tandem.catalogue.subjects import SUBJECTS_BY_NEED_TOPIC, subject_label
from tandem.companies.models import Need
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped

DEMO_SCHEMES = [
    ("demo-aide-embauche", "Aide fictive au premier recrutement (démo)", Scheme.Nature.FINANCING, "recruter"),
    ("demo-diagnostic-energie", "Diagnostic énergie fictif (démo)", Scheme.Nature.STUDY, "energie"),
]


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def catalogue_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    partner = Organization.objects.filter(slug="operateur-demo").first()
    slugs = {s for topic in SUBJECTS_BY_NEED_TOPIC.values() for s in topic}
    subjects = [
        Subject.objects.get_or_create(slug=s, defaults={"label": subject_label(s)})[0] for s in sorted(slugs)
    ]
    operator, _ = Operator.objects.get_or_create(
        slug="demo-reseau-accompagnement",
        defaults={
            "name": "Réseau fictif d'accompagnement des entreprises (démo)",
            "kind": Operator.Kind.OTHER,
            "organization": partner,
            "source": "démonstration",
            "is_demo": True,
        },
    )
    operator.subjects.add(*subjects)
    departements = sorted(
        {d for org in organizations for d in org.communes.values_list("departement_id", flat=True)}
    )
    for code in departements:
        office, _ = Office.objects.get_or_create(
            key=f"demo-{code}",
            defaults={"operator": operator, "name": f"Antenne fictive du {code} (démo)", "is_demo": True},
        )
        office.departements.add(code)
    provider, _ = Operator.objects.get_or_create(
        slug="demo-offreur-solution",
        defaults={
            "name": "Bureau d'études fictif de l'industrie du futur (démo)",
            "kind": Operator.Kind.PROVIDER,
            "get_programme": "Grand Est Transformation (programme fictif de démonstration)",
            "skills": ["diagnostic de performance industrielle", "efficacité énergétique", "robotisation"],
            "source": "démonstration",
            "is_demo": True,
        },
    )
    provider.subjects.add(*[s for s in subjects if s.slug in ("energie", "projet-innovation")])
    if departements:
        office, _ = Office.objects.get_or_create(
            key="demo-offreur",
            defaults={"operator": provider, "name": "Bureau fictif du Grand Est (démo)", "is_demo": True},
        )
        office.departements.add(*departements)
    for slug, title, nature, subject in DEMO_SCHEMES:
        scheme, _ = Scheme.objects.get_or_create(
            slug=slug,
            defaults={
                "source": Scheme.Source.REGION,
                "title": title,
                "promise": "Dispositif inventé pour la démonstration : il n'existe pas.",
                "nature": nature,
                "operator": operator,
                "regions": ["Grand Est"],
                "is_demo": True,
            },
        )
        scheme.subjects.add(*[s for s in subjects if s.slug == subject])
    routed = 0
    if partner is not None and not NeedRouting.objects.filter(office__operator=operator).exists():
        need = (
            Need.objects.filter(
                owner__in=organizations, status__in=Need.OPEN_STATUSES, topic=Need.Topic.RECRUITMENT
            )
            .exclude(commune=None)
            .order_by("pk")
            .first()
        )
        office = (
            Office.objects.filter(operator=operator, departements__communes=need.commune_id).first()
            if need
            else None
        )
        if office is not None:
            routing_send(
                actor=Actor.system_actor(need.owner_id),
                need=need,
                office=office,
                message="Orientation fictive de démonstration.",
                on=date(2026, 6, 1),
            )
            routed = 1
    return {
        "operators": 2,
        "offices": len(departements) + bool(departements),
        "schemes": len(DEMO_SCHEMES),
        "routings": routed,
    }

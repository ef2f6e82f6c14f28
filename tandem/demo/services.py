"""Deterministic, clearly fictitious demo data laid over the real geography.

Organisation names carry « (démo) », people are invented, e-mail addresses use the reserved domain
example.org. Later domains add their own objects through `DEMO_EXTENSIONS`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from tandem.core.errors import UserError
from tandem.organizations.models import Delegation, Organization, Role
from tandem.organizations.services import membership_set, organization_create
from tandem.territories.models import Commune, Epci, Region

DEMO_PASSWORD = "tandem-demo"  # noqa: S105 — printed on screen, demo mode only
FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Claude",
    "Alix",
    "Sacha",
    "Maxime",
    "Lou",
    "Charlie",
    "Morgan",
    "Yannick",
]
LAST_NAMES = ["Fictif", "Exemple", "Démo", "Modèle", "Essai", "Prototype", "Maquette", "Spécimen"]

# Demo EPCI of Grand Est (real geography, fictitious organisations).
DEMO_EPCIS = [
    "246700488",
    "200041630",
    "200039865",
    "200066009",
]  # Strasbourg, Ardenne Métropole, Metz, Mulhouse
SCALES = ("demo", "region", "national")

# Later issues register functions `(rng, organizations, scale) -> dict` that add their objects.
DEMO_EXTENSIONS: list = []


@dataclass
class DemoResult:
    organizations: int = 0
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)  # username, password, org, role
    extensions: dict = field(default_factory=dict)


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _org(*, name, kind, slug, **kwargs) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    return org or organization_create(name=name, kind=kind, slug=slug, is_demo=True, **kwargs)


def _account(rng, result: DemoResult, org: Organization, role: str, username: str, superuser=False):
    User = get_user_model()
    first, last = _person(rng)
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": f"{last} (démo)",
            "email": f"{username}@example.org",
            "is_superuser": superuser,
            "is_staff": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if org is not None:
        membership_set(organization=org, user=user, role=role)
    result.accounts.append((username, DEMO_PASSWORD, org.name if org else "plateforme", role))
    return user


@transaction.atomic
def demo_generate(*, seed: int = 1, scale: str = "demo", region_code: str = "44") -> DemoResult:
    """Create demo organisations and accounts; running it twice with the same seed changes nothing."""
    if scale not in SCALES:
        raise UserError(f"Échelle inconnue « {scale} » (attendu : {', '.join(SCALES)}).")
    region = Region.objects.filter(pk=region_code).first()
    if region is None or not Commune.objects.filter(region=region).exists():
        raise UserError(
            "La géographie officielle n'est pas chargée : lancez d'abord « tandem load_geography »."
        )
    rng = random.Random(seed)
    result = DemoResult()
    region_org = _org(
        name=f"Région {region.name} (démo)", kind=Organization.Kind.REGION, slug="region-demo", region=region
    )
    if scale == "national":
        epcis = list(Epci.objects.filter(is_current=True).order_by("siren"))
    elif scale == "region":
        epcis = list(
            Epci.objects.filter(is_current=True, communes__region=region).distinct().order_by("siren")
        )
    else:
        epcis = list(Epci.objects.filter(pk__in=DEMO_EPCIS).order_by("siren"))
        if len(epcis) < len(DEMO_EPCIS):
            epcis = list(
                Epci.objects.filter(is_current=True, communes__region=region).distinct().order_by("siren")[:4]
            )
    epci_orgs = [
        _org(name=f"{e.name} (démo)", kind=Organization.Kind.EPCI, slug=f"epci-{e.siren}", epci=e)
        for e in epcis
    ]
    first_epci = epci_orgs[0]
    agence = _org(
        name="Agence de développement économique (démo)",
        kind=Organization.Kind.AGENCE,
        slug="agence-demo",
        commune_codes=list(first_epci.communes.values_list("pk", flat=True)),
    )
    maison = _org(
        name="Maison de Région (démo)",
        kind=Organization.Kind.MAISON_REGION,
        slug="maison-region-demo",
        commune_codes=list(first_epci.communes.values_list("pk", flat=True)),
    )
    invest = _org(
        name="Agence régionale d'investissement (démo)",
        kind=Organization.Kind.AGENCE_INVESTISSEMENT,
        slug="agence-investissement-demo",
        commune_codes=list(region_org.communes.values_list("pk", flat=True)),
    )
    operateur = _org(
        name="Opérateur public (démo)",
        kind=Organization.Kind.OPERATEUR,
        slug="operateur-demo",
        commune_codes=list(region_org.communes.values_list("pk", flat=True)),
    )
    # A State service producing the departmental friches inventory (its perimeter: its département).
    departement = region.departements.order_by("code").first()
    ddt = _org(
        name=f"Direction départementale des territoires {departement.code} (démo)",
        kind=Organization.Kind.ETAT,
        slug="ddt-demo",
        commune_codes=list(
            Commune.objects.filter(is_current=True, departement=departement).values_list("pk", flat=True)
        ),
    )
    if not Delegation.objects.filter(delegator=first_epci, delegate=agence).exists():
        Delegation.objects.create(delegator=first_epci, delegate=agence, scope=Delegation.Scope.WRITE)
    result.organizations = Organization.objects.filter(is_demo=True).count()

    _account(rng, result, None, "administrateur de la plateforme", "admin", superuser=True)
    _account(rng, result, region_org, Role.ADMIN, "region.admin")
    _account(rng, result, region_org, Role.CONTRIBUTEUR, "region.contributeur")
    _account(rng, result, region_org, Role.LECTEUR, "region.lecteur")
    for index, org in enumerate(epci_orgs[: len(DEMO_EPCIS)], start=1):
        _account(rng, result, org, Role.ADMIN, f"epci{index}.admin")
        _account(rng, result, org, Role.CONTRIBUTEUR, f"epci{index}.contributeur")
        _account(rng, result, org, Role.LECTEUR, f"epci{index}.lecteur")
    for org, prefix in (
        (agence, "agence"),
        (maison, "maison"),
        (invest, "investissement"),
        (operateur, "operateur"),
        (ddt, "ddt"),
    ):
        _account(rng, result, org, Role.CONTRIBUTEUR, f"{prefix}.contributeur")
    if scale != "demo":
        for org in epci_orgs[len(DEMO_EPCIS) :]:
            user = _account(rng, result, org, Role.CONTRIBUTEUR, f"{slugify(org.slug)}.contributeur")
            del user
        result.accounts = result.accounts[: 4 + 3 * len(DEMO_EPCIS) + 5 + 1]
    for extension in DEMO_EXTENSIONS:
        result.extensions[extension.__name__] = extension(rng=rng, organizations=epci_orgs, scale=scale)
    return result


# Domain extensions, imported here (not at the top) because they build on the names defined above.
from tandem.companies.demo import companies_demo  # noqa: E402

DEMO_EXTENSIONS.append(companies_demo)
from tandem.land.demo import land_demo  # noqa: E402

DEMO_EXTENSIONS.append(land_demo)
from tandem.prospects.demo import prospects_demo  # noqa: E402

DEMO_EXTENSIONS.append(prospects_demo)
from tandem.eit.demo import eit_demo  # noqa: E402

DEMO_EXTENSIONS.append(eit_demo)
from tandem.decarbonation.demo import decarbonation_demo  # noqa: E402

DEMO_EXTENSIONS.append(decarbonation_demo)
from tandem.catalogue.demo import catalogue_demo  # noqa: E402

DEMO_EXTENSIONS.append(catalogue_demo)
from tandem.skills.demo import skills_demo, training_demo  # noqa: E402

DEMO_EXTENSIONS.append(skills_demo)
DEMO_EXTENSIONS.append(training_demo)
from tandem.steering.demo import steering_demo  # noqa: E402

DEMO_EXTENSIONS.append(steering_demo)

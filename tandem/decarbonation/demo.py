"""Demo industrial decarbonation: everything is fictitious. In each demo EPCI (four at most), the fictitious
industrial park of the EIT demo (SIREN 998…) gets installations named « … (démo) », marked `is_demo`, with
fictitious yearly emissions (source « valeur fictive de démonstration », never shown as EUTL figures) and
fictitious projects (« (démo, fictif) »). No real installation ever carries an invented project.

Registered in `tandem.demo.services.DEMO_EXTENSIONS`; running it twice changes nothing. Skipped when the EIT
demo park does not exist (the waste list not loaded)."""

from __future__ import annotations

import random

from tandem.companies.models import Establishment
from tandem.decarbonation.models import EmissionRecord, EstablishmentLink, Installation, Project
from tandem.decarbonation.services import emissions_retain, flags_refresh, project_create
from tandem.eit.demo import PARK, SIREN_PREFIX
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped

# (EIT park key as its establishment name, installation name, emissions of 2015 in tCO2e, yearly change)
SITES = [
    ("Aciérie", "Aciérie — hauts fourneaux (démo)", 900_000, -0.02),
    ("Cimenterie", "Cimenterie — four (démo)", 420_000, -0.01),
    ("Papeterie", "Papeterie — chaufferie (démo)", 85_000, -0.03),
    ("Chimie fine", "Chimie fine — vapeur (démo)", 40_000, 0.01),
]
PROJECTS = [
    (
        "Aciérie",
        "Récupération de chaleur fatale (démo, fictif)",
        "heat_recovery",
        "works",
        45_000,
        2026,
        12_000_000,
        4_000_000,
    ),
    (
        "Cimenterie",
        "Combustibles de substitution (démo, fictif)",
        "fuel_switch",
        "aid_requested",
        60_000,
        2027,
        25_000_000,
        None,
    ),
    ("Papeterie", "Chaudière biomasse (démo, fictif)", "biomass", "done", 30_000, 2024, 9_000_000, 3_500_000),
]
YEARS = range(2015, 2023)


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def decarbonation_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    created = {"installations": 0, "projects": 0}
    system = Actor.system_actor()
    for index, org in enumerate(organizations[:4]):
        # The EIT demo park's establishments: SIREN 998 + EPCI index + position in its PARK list.
        park = {
            name: Establishment.objects.filter(siret=f"{SIREN_PREFIX}{index:03d}{n:03d}00010")
            .select_related("company")
            .first()
            for n, (_key, name, _naf, _north, _east) in enumerate(PARK)
        }
        sites = {}
        for key, name, base, change in SITES:
            est = park.get(key)
            if est is None:
                continue
            inst, new = Installation.objects.get_or_create(
                name=name,
                is_demo=True,
                commune_id=est.commune_id,
                defaults={
                    "operator_name": est.company.name,
                    "siren": est.company_id,
                    "siret": est.siret,
                    "departement_code": est.departement_code,
                    "postcode": est.postcode,
                    "city": est.commune_label,
                    "point": est.point,
                    "point_quality": Installation.PointQuality.SITE,
                    "sector": "Démonstration",
                },
            )
            created["installations"] += int(new)
            sites[key] = inst
            for year in YEARS:
                value = round(base * (1 + change) ** (year - YEARS[0]) * (1 + rng.uniform(-0.02, 0.02)))
                EmissionRecord.objects.get_or_create(
                    installation=inst,
                    year=year,
                    source=EmissionRecord.Source.DEMO,
                    variant=EmissionRecord.Variant.VERIFIED,
                    defaults={"value_t": value, "note": "valeur fictive (démo)"},
                )
            EstablishmentLink.objects.get_or_create(
                installation=inst,
                establishment=est,
                defaults={
                    "method": "siret",
                    "score": 1.0,
                    "status": "auto",
                    "reason": "démonstration (fictif)",
                },
            )
        emissions_retain(installation_ids=[i.pk for i in sites.values()])
        flags_refresh(installation_ids=[i.pk for i in sites.values()])
        for key, title, lever, status, avoided, start, investment, granted in PROJECTS:
            inst = sites.get(key)
            if inst is None or Project.objects.filter(installation=inst, title=title).exists():
                continue
            project = project_create(
                actor=system,
                owner=org,
                installation=inst,
                visibility=Visibility.REGION,
                title=title,
                lever=lever,
                status=status,
                expected_t_per_year=avoided,
                start_year=start,
                investment_eur=investment,
                aid_requested_eur=investment // 3,
                aid_granted_eur=granted,
                aid_scheme="Dispositif fictif (démo)",
                realised_t_per_year=avoided * 0.9 if status == "done" else None,
            )
            Project.objects.filter(pk=project.pk).update(is_demo=True)
            created["projects"] += 1
    return created

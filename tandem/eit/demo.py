"""Demo industrial ecology: a small fictitious park in each demo EPCI (SIREN 998…, names « (démo) », flows marked
« données fictives de démonstration »), with obvious synergies and traps:

- obvious: blast-furnace slag to a cement plant, 90 °C waste heat to greenhouses, cardboard to a paper mill,
  treated process water to a washing line; a shared need for cardboard collection (pooling);
- traps: a hazardous waste (spent solvents, 07 01 04*) wanted by a receiver without the permit to take it (never
  proposed, the reason is shown), and 30 °C heat for an 80 °C district heating network (only through a heat
  pump, and said so).

Never built from the documented exchanges of ../shared (MAESTRI, ISDATA): their licence is unverified.
Registered in `tandem.demo.services.DEMO_EXTENSIONS`; running it twice changes nothing. Skipped when the
European List of Waste is not loaded (`tandem load_eit_reference`).
"""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction

from tandem.companies.followup import advisor_assign
from tandem.companies.models import Company, CompanyAdvisor, Establishment
from tandem.core.geo import lambert93_xy
from tandem.eit.estimates import estimated_flows_refresh
from tandem.eit.models import Flow, Synergy, WasteCode
from tandem.eit.services import flow_create, synergy_create, synergy_stage_move, synergy_year_set
from tandem.organizations.models import Membership, Organization, Role
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tandem.territories.models import Commune

SIREN_PREFIX = "998"
SOURCE = "données fictives de démonstration"
# (key, name, NAF, offset north km, offset east km)
PARK = [
    ("steel", "Aciérie", "24.10Z", 0.0, 0.0),
    ("cement", "Cimenterie", "23.51Z", 1.5, 1.0),
    ("greenhouse", "Serres maraîchères", "01.13Z", 0.8, -1.2),
    ("chemistry", "Chimie fine", "20.14Z", -0.6, 0.7),
    ("heating", "Réseau de chaleur", "35.30Z", -1.0, -0.5),
    ("paper", "Papeterie", "17.12Z", 2.0, -0.3),
    ("laundry", "Blanchisserie industrielle", "96.01A", 0.3, 1.8),
]
# (establishment key, fields)
FLOWS = [
    (
        "steel",
        dict(
            direction="offer",
            kind="material",
            ewc_id="100202",
            label="Laitier de haut fourneau",
            quantity=1200,
            unit="t",
        ),
    ),
    (
        "steel",
        dict(
            direction="offer",
            kind="heat",
            resource="heat",
            label="Eau chaude de refroidissement",
            quantity=3000,
            unit="MWh",
            temperature_c=90,
        ),
    ),
    (
        "steel",
        dict(
            direction="need",
            kind="shared_service",
            resource="cardboard_collection",
            label="Collecte des cartons",
            quantity=12,
            unit="u",
        ),
    ),
    (
        "cement",
        dict(
            direction="need",
            kind="material",
            ewc_id="1002",
            label="Laitiers pour le cru",
            quantity=2000,
            unit="t",
        ),
    ),
    # Trap: the cement plant would take solvents as fuel but declares no hazardous-waste permit.
    (
        "cement",
        dict(
            direction="need",
            kind="material",
            ewc_id="0701",
            label="Solvants comme combustible",
            quantity=50,
            unit="t",
        ),
    ),
    (
        "greenhouse",
        dict(
            direction="need",
            kind="heat",
            resource="heat",
            label="Chauffage des serres",
            quantity=2500,
            unit="MWh",
            temperature_c=40,
        ),
    ),
    (
        "chemistry",
        dict(
            direction="offer",
            kind="material",
            ewc_id="070104",
            label="Solvants usagés",
            quantity=40,
            unit="t",
        ),
    ),
    (
        "chemistry",
        dict(
            direction="need",
            kind="shared_service",
            resource="cardboard_collection",
            label="Collecte des cartons",
            quantity=8,
            unit="u",
        ),
    ),
    # Trap: heat too cold for the district heating network (only through a heat pump).
    (
        "chemistry",
        dict(
            direction="offer",
            kind="heat",
            resource="heat",
            label="Rejets tièdes",
            quantity=800,
            unit="MWh",
            temperature_c=30,
        ),
    ),
    (
        "heating",
        dict(
            direction="need",
            kind="heat",
            resource="heat",
            label="Appoint du réseau",
            quantity=1500,
            unit="MWh",
            temperature_c=80,
        ),
    ),
    (
        "paper",
        dict(
            direction="need",
            kind="material",
            ewc_id="1501",
            label="Cartons et papiers",
            quantity=300,
            unit="t",
        ),
    ),
    (
        "paper",
        dict(
            direction="need",
            kind="shared_service",
            resource="cardboard_collection",
            label="Collecte des cartons",
            quantity=20,
            unit="u",
        ),
    ),
    (
        "laundry",
        dict(
            direction="offer",
            kind="material",
            ewc_id="150101",
            label="Emballages en carton",
            quantity=60,
            unit="t",
        ),
    ),
    (
        "laundry",
        dict(
            direction="offer",
            kind="water",
            resource="water",
            label="Eau de process traitée",
            quantity=5000,
            unit="m3",
            water_class="B",
        ),
    ),
    (
        "greenhouse",
        dict(
            direction="need",
            kind="water",
            resource="water",
            label="Irrigation",
            quantity=4000,
            unit="m3",
            water_class="C",
        ),
    ),
]


def _establishment(siren: str, name: str, naf: str, commune: Commune, north_km: float, east_km: float):
    company, _ = Company.objects.get_or_create(
        siren=siren,
        defaults={
            "legal_unit_loaded": True,
            "name": f"{name} fictive (démo)".upper(),
            "naf": naf,
            "legal_category": "5710",
            "headcount_band": "21",
            "state": "A",
            "created_on": date(2001, 1, 1),
            "head_office_nic": "00010",
        },
    )
    lat = commune.centroid_lat + north_km / 111.0
    lon = commune.centroid_lon + east_km / 73.0
    x, y = lambert93_xy(lon, lat)
    establishment, _ = Establishment.objects.get_or_create(
        siret=siren + "00010",
        defaults={
            "company": company,
            "nic": "00010",
            "is_head_office": True,
            "state": "A",
            "naf": naf,
            "headcount_band": "21",
            "street_name": "ZONE INDUSTRIELLE (DEMO)",
            "postcode": (commune.postal_codes or [""])[0],
            "commune_label": commune.name.upper(),
            "commune_code": commune.code,
            "departement_code": commune.departement_id,
            "commune": commune,
            "lambert_x": x,
            "lambert_y": y,
            "latitude": lat,
            "longitude": lon,
        },
    )
    return establishment


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
@transaction.atomic
def eit_demo(*, rng: random.Random, organizations: list[Organization], scale: str) -> dict:
    """A fictitious park per demo EPCI (four at most), its flows and a few synergies in the pipeline."""
    created = {"flows": 0, "synergies": 0}
    if not WasteCode.objects.exists():
        return {"skipped": "nomenclature des déchets non chargée (tandem load_eit_reference)"}
    system = Actor.system_actor()
    for index, org in enumerate(organizations[:4]):
        commune = (
            Commune.objects.filter(epci_id=org.epci_id, is_current=True)
            .order_by("-population", "code")
            .first()
        )
        if commune is None:
            continue
        # The EPCI's contributors are its « animateurs EIT » in the demo.
        Membership.objects.filter(organization=org, role=Role.CONTRIBUTEUR).update(is_eit_facilitator=True)
        sites = {
            key: _establishment(f"{SIREN_PREFIX}{index:03d}{n:03d}", name, naf, commune, north, east)
            for n, (key, name, naf, north, east) in enumerate(PARK)
        }
        flows = {}
        for key, fields in FLOWS:
            existing = Flow.objects.filter(owner=org, establishment=sites[key], label=fields["label"]).first()
            if existing is None:
                existing = flow_create(
                    actor=system,
                    owner=org,
                    establishment=sites[key],
                    origin="workshop",
                    confidence=0.8,
                    source=SOURCE,
                    **fields,
                )
                created["flows"] += 1
            flows[(key, fields["label"])] = existing
        referent = (
            Membership.objects.filter(organization=org, role=Role.CONTRIBUTEUR)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if referent:
            for key in ("steel", "cement"):
                if not CompanyAdvisor.objects.filter(
                    company_id=sites[key].company_id, ended_on=None, role="referent"
                ).exists():
                    advisor_assign(
                        actor=system,
                        company=sites[key].company,
                        user=referent.user,
                        organization=org,
                        started_on=date(2026, 1, 5),
                    )
        slag, cement = flows[("steel", "Laitier de haut fourneau")], flows[("cement", "Laitiers pour le cru")]
        if not Synergy.objects.filter(supplier_flow=slag, receiver_flow=cement).exists():
            synergy = synergy_create(
                actor=system,
                owner=org,
                supplier_flow=slag,
                receiver_flow=cement,
                notes="Synergie fictive (démo).",
            )
            synergy_stage_move(
                actor=system,
                synergy=synergy,
                stage="study",
                notes="Analyse du laitier (démo).",
            )
            synergy_stage_move(actor=system, synergy=synergy, stage="negotiation")
            synergy_stage_move(actor=system, synergy=synergy, stage="realised")
            synergy_year_set(actor=system, synergy=synergy, year=2025, quantity=900)
            created["synergies"] += 1
        heat, greenhouse = (
            flows[("steel", "Eau chaude de refroidissement")],
            flows[("greenhouse", "Chauffage des serres")],
        )
        if not Synergy.objects.filter(supplier_flow=heat, receiver_flow=greenhouse).exists():
            synergy_create(
                actor=system,
                owner=org,
                supplier_flow=heat,
                receiver_flow=greenhouse,
                notes="Synergie fictive (démo).",
            )
            created["synergies"] += 1
    # Estimated flows of the demo EPCIs' establishments (from their fictitious NAF codes and headcount bands).
    epcis = [org.epci_id for org in organizations[:4] if org.epci_id]
    if epcis:
        codes = list(Commune.objects.filter(epci_id__in=epcis, is_current=True).values_list("pk", flat=True))
        created["estimated_flows"] = estimated_flows_refresh(commune_codes=codes, reason="démonstration").created
    return created

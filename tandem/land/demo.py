"""Demo land inventories: plausible, clearly fictitious, standard-conforming Sites économiques inventories of the
demo EPCI (from land A's generator, loaded through the real importer so they pass its validation), a few
friches, and one STAR'EST decision and one pending proposal. Registered in `tandem.demo.services.DEMO_EXTENSIONS`.

Deterministic: the same seed gives the same files, so running the demo twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import shapely

from tandem.core.errors import UserError
from tandem.land.labels import LABEL_NAMES
from tandem.land.models import Friche, LabelDecision, Site
from tandem.land.sharing import inventory_visibility_set
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped

# Sites per EPCI, by scale; national reaches the benchmark's 30,000 sites, 150,000 terrains.
SITES_PER_EPCI = {"demo": 6, "region": 8}
NATIONAL_SITES = 30_000
FRICHES_PER_EPCI = 3
FRICHE_TYPES = ["friche industrielle", "friche commerciale", "friche logistique", "friche ferroviaire"]
FRICHE_STATUS = ["friche sans projet", "friche avec projet", "friche potentielle"]
POLLUTION = ["pollution supposée", "pollution avérée", "pollution peu probable", "inconnu"]


# Unscoped on purpose: the generator looks up what an earlier run created, for every organisation.
@unscoped()
def land_demo(*, rng, organizations: list[Organization], scale: str) -> dict:
    """Add the demo inventories of `organizations` (EPCI organisations); returns counts."""
    from tandem.land.generate import generate_inventory, write_inventory_csv
    from tandem.land.selectors import commune_places
    from tandem.land.services import land_import

    epci_orgs = [o for o in organizations if o.epci_id]
    if not epci_orgs:
        return {}
    places = commune_places(epci_sirens=[o.epci_id for o in epci_orgs])
    if scale == "national":
        n_sites = NATIONAL_SITES
    else:
        n_sites = SITES_PER_EPCI.get(scale, 6) * len(epci_orgs)
    # Spread sites evenly over the EPCI: the generator walks the communes in order, so take each EPCI's
    # first communes in turn.
    by_epci: dict[str, list] = {}
    for place in places:
        by_epci.setdefault(place.epci_siren, []).append(place)
    per_epci = max(1, math.ceil(n_sites / max(1, len(by_epci))))
    ordered = []
    for i in range(per_epci):
        for siren in sorted(by_epci):
            communes = by_epci[siren]
            ordered.append(communes[i % len(communes)])
    tables = generate_inventory(
        communes=ordered[:n_sites],
        n_sites=n_sites,
        terrains_per_site=5,
        etablissements_per_site=2,
        seed=rng.randint(1, 10**6),
    )
    # The labelled demo zone carries its label in the file itself, so that importing it again changes nothing.
    labelled = min(
        (r["site_id"] for r in tables["site-eco"] if r["site_epci_siren"] == epci_orgs[0].epci_id),
        default=None,
    )
    for row in tables["site-eco"]:
        if row["site_id"] == labelled:
            row["tdm_labels"] = LABEL_NAMES[LabelDecision.Label.STAREST]
            row["tdm_sector_priorities"] = "batteries|hydrogène"
    system = Actor.system_actor()
    with tempfile.TemporaryDirectory(prefix="tandem-demo-land-") as tmp:
        paths = write_inventory_csv(tables, Path(tmp))
        report = land_import(paths=list(paths.values()), actor=system)
    if report.errors:
        raise UserError("Inventaire de démonstration invalide (générateur) :", report.errors[:20])
    status = report.run.status
    for org in epci_orgs:
        inventory_visibility_set(actor=system, owner=org, visibility=Visibility.REGION)
    friches = _friches(rng, epci_orgs, by_epci)
    labels = _labels(epci_orgs)
    return {
        "sites": sum(1 for _ in tables["site-eco"]),
        "terrains": len(tables["terrain-eco"]),
        "etablissements": len(tables["etablissement"]),
        "friches": friches,
        "labels": labels,
        "import": status,
        "changes": report.run.created + report.run.updated,
    }


def _friches(rng, epci_orgs, by_epci) -> int:
    count = 0
    for org in epci_orgs:
        communes = by_epci.get(org.epci_id, [])
        for n in range(min(FRICHES_PER_EPCI, len(communes))):
            place = communes[-1 - n]
            site = Site.objects.filter(owner=org, site_comm_insee=place.code).order_by("site_id").first()
            point = shapely.Point(place.lon + 0.003, place.lat - 0.002)
            friche, _ = Friche.objects.get_or_create(
                owner=org,
                site_id=f"{place.code}_{n + 1:02d}",
                defaults={
                    "site_nom": f"[fictif] Ancienne usine {place.name}",
                    "site_type": FRICHE_TYPES[n % len(FRICHE_TYPES)],
                    "site_statut": FRICHE_STATUS[n % len(FRICHE_STATUS)],
                    "site_identif_date": dt.date(2024, 3, 1),
                    "site_actu_date": dt.date(2025, 9, 30),
                    "comm_nom": place.name,
                    "comm_insee": place.code,
                    "commune_id": place.code,
                    "urba_zaer": "non",
                    "source_nom": "[fictif] données de démonstration Tandem",
                    "sol_pollution_existe": POLLUTION[n % len(POLLUTION)],
                    "unite_fonciere_surface": 8_000 + 1_000 * rng.randint(0, 40),
                    "proprio_personne": "personne morale",
                    "proprio_nom": "[fictif] SCI Exemple",
                    "geompoint_lon": point.x,
                    "geompoint_lat": point.y,
                    "site_eco": site if n == 0 else None,
                    "visibility": Visibility.REGION,
                },
            )
            if friche.geometry is None:
                friche.set_geometry(point)
                friche.save()
            count += 1
    return count


def _labels(epci_orgs) -> int:
    """One labelled zone (first EPCI) and one pending proposal (second EPCI), as a demo of the workflow."""
    region = Organization.objects.filter(kind=Organization.Kind.REGION, is_demo=True).first()
    made = 0
    for i, org in enumerate(epci_orgs[:2]):
        site = Site.objects.filter(owner=org).order_by("site_id").first()  # the one labelled in the file
        if site is None or LabelDecision.objects.filter(site=site).exists():
            continue
        decision = LabelDecision.objects.create(
            site=site,
            proposed_by_org=org,
            proposed_on=dt.date(2025, 10, 6),
            proposal_text="[fictif] Zone viabilisée, raccordée au poste source, études réalisées.",
            sector_priorities=["batteries", "hydrogène"] if i == 0 else ["agroalimentaire"],
        )
        if i == 0 and region is not None:
            decision.status = LabelDecision.Status.LABELLED
            decision.decided_by_org = region
            decision.decided_on = dt.date(2025, 12, 1)
            decision.decision_text = "[fictif] Délibération de la commission permanente : label accordé."
            decision.valid_until = dt.date(2028, 12, 31)
            decision.save()
        made += 1
    return made

"""An agency acting under a delegation limited to some communes imports for the EPCI: it writes there, and
what its file does not list is removed there only — never the EPCI's records in other communes."""

import pytest

from tandem.land.models import Site, Terrain
from tandem.land.services import land_import
from tandem.organizations.models import Delegation, Organization, Role
from tandem.organizations.perms import Actor
from tests.factories import make_member, other_org
from tests.land.conftest import ARDENNE_METROPOLE, inventory_paths, read_rows, write_rows

pytestmark = pytest.mark.django_db


def test_partial_delegation_removes_only_within_its_communes(inventory_dir):
    land_import(
        paths=inventory_paths(inventory_dir), actor=Actor.system_actor(), epci_siren=ARDENNE_METROPOLE
    )
    sites = read_rows(inventory_dir / "site-eco.csv")
    communes = sorted({s["site_comm_insee"] for s in sites})
    assert len(communes) >= 3
    delegated = communes[:2]
    epci = Organization.objects.get(epci_id=ARDENNE_METROPOLE)
    agency = other_org(Organization.Kind.AGENCE)
    Delegation.objects.create(delegator=epci, delegate=agency).communes.set(delegated)
    agent = Actor.for_user(make_member(agency, Role.CONTRIBUTEUR))

    # The agency's file lists only the delegated commune's sites, minus one, and their terrains.
    kept = [s for s in sites if s["site_comm_insee"] in delegated]
    dropped_site = kept.pop()["site_id"]
    write_rows(inventory_dir / "site-eco.csv", kept)
    kept_ids = {s["site_id"] for s in kept}
    terrains = [t for t in read_rows(inventory_dir / "terrain-eco.csv") if t["site_id"] in kept_ids]
    write_rows(inventory_dir / "terrain-eco.csv", terrains)
    kept_terrains = {t["terr_id"] for t in terrains}
    etabs = [
        e
        for e in read_rows(inventory_dir / "etablissement.csv")
        if e["terr_id"].split("|")[0] in kept_terrains
    ]
    if etabs:
        write_rows(inventory_dir / "etablissement.csv", etabs)
    paths = [
        p
        for p in inventory_paths(inventory_dir)
        if "pole" not in p.name and (etabs or "etablissement" not in p.name)
    ]

    before_elsewhere = Site.objects.unscoped().exclude(commune_id__in=delegated).count()
    report = land_import(paths=paths, actor=agent, epci_siren=ARDENNE_METROPOLE)
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert not Site.objects.unscoped().filter(site_id=dropped_site).exists()  # removed inside the delegation
    assert before_elsewhere > 0
    assert (
        Site.objects.unscoped().exclude(commune_id__in=delegated).count() == before_elsewhere
    )  # untouched elsewhere
    assert Terrain.objects.unscoped().exclude(commune_id__in=delegated).exists()

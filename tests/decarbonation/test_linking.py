"""Links from installations to SIRENE establishments: ambiguous candidates, confirmation kept across re-imports,
the pure engine (the real EUTL keys against generated SIRENE rows are in test_france.py)."""

import csv

import pytest

from tandem.companies.models import Company, Establishment
from tandem.core.errors import NotAllowed
from tandem.decarbonation import linking
from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import Installation
from tandem.decarbonation.services import link_confirm, links_refresh
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tests.factories import epci_org, make_member, region_org

from .conftest import EUTL, read_csv


def _small_eutl(tmp_path, rows):
    path = tmp_path / "installations.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_ambiguous_link_waits_for_a_person_and_the_confirmed_link_is_kept(tmp_path):
    row = next(
        r
        for r in read_csv(EUTL)
        if r["MainActivityTypeCode"] != "10"
        and len(r["CompanyRegistrationNo"]) == 9
        and r["ZipCode"].startswith("67")
    )
    path = _small_eutl(tmp_path, [row])
    eutl_import(path=path)
    siren, postcode = row["CompanyRegistrationNo"], row["ZipCode"]
    Company.objects.create(siren=siren, name=row["AccountHolderName"])
    for nic in ("00011", "00022"):  # two establishments at the same postcode, same name: ambiguous
        Establishment.objects.create(
            siret=siren + nic, company_id=siren, nic=nic, state="A", postcode=postcode
        )
    links_refresh()
    inst = Installation.objects.get()
    proposed = list(inst.links.filter(status="proposed").order_by("establishment_id"))
    assert [p.establishment_id for p in proposed] == [siren + "00011", siren + "00022"]
    assert not inst.links.filter(status="auto").exists()

    region = region_org("44")
    epci_user = make_member(epci_org("246700488"), Role.CONTRIBUTEUR)
    with pytest.raises(NotAllowed):
        link_confirm(actor=Actor.for_user(epci_user), link=proposed[1])
    person = make_member(region, Role.CONTRIBUTEUR)
    link_confirm(actor=Actor.for_user(person), link=proposed[1])
    # re-import and re-link: the confirmed link stays, the other candidate is not proposed again
    eutl_import(path=path)
    links_refresh()
    statuses = dict(inst.links.values_list("establishment_id", "status"))
    assert statuses == {siren + "00022": "confirmed", siren + "00011": "rejected"}
    assert Organization.objects.filter(kind="region").count() == 1


def test_engine_place_then_name_decide():
    site = linking.Site("", "123456789", "67482", "67000", "67", ("Chaufferie Esplanade",))
    here = linking.Candidate("12345678900011", "67482", "67000", "67", ("CHAUFFERIE ESPLANADE",), True)
    there = linking.Candidate("12345678900029", "57463", "57000", "57", ("CHAUFFERIE ESPLANADE",), True)
    [sure] = linking.propose(site, {}, [there, here])
    assert sure.sure and sure.siret == here.siret and sure.score == pytest.approx(1.0)
    twin = linking.Candidate("12345678900037", "67482", "67000", "67", ("SIEGE",), True)
    proposals = linking.propose(site, {}, [here, twin])
    assert [p.siret for p in proposals] == [here.siret] and proposals[
        0
    ].sure  # name tells them apart (1.0 vs 0.6)
    closed_twin = linking.Candidate(
        "12345678900045", "67482", "67000", "67", ("CHAUFFERIE ESPLANADE",), False
    )
    assert linking.propose(site, {}, [here, closed_twin])[
        0
    ].sure  # 1.0 against 0.8: a closed twin is 0.2 behind
    assert (
        linking.propose(site, {}, [here, closed_twin], frozenset({here.siret}))[0].siret == closed_twin.siret
    )

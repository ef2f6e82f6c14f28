"""Links from installations to SIRENE establishments, with generated SIRENE rows for the real EUTL keys."""

import csv

import pytest

from tandem.companies.models import Company, Establishment
from tandem.core.errors import NotAllowed
from tandem.decarbonation import linking
from tandem.decarbonation.importers import eutl_import, icpe_import
from tandem.decarbonation.models import EstablishmentLink, Installation
from tandem.decarbonation.services import link_confirm, links_refresh
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org

from .conftest import EUTL, GEORISQUES_SAMPLE, KEYS, read_csv


def generated_registry(places: dict[tuple[str, str], str]) -> None:
    """Generated SIRENE rows: for each (SIREN, postcode) one active establishment named `name`, and for each
    SIREN a head office in Paris 8e (a second establishment the place must tell apart)."""
    sirens = {siren for siren, _ in places}
    Company.objects.bulk_create(
        [
            Company(siren=s, name=next(n for (x, _), n in places.items() if x == s), legal_unit_loaded=True)
            for s in sirens
        ]
    )
    rows = []
    for index, ((siren, postcode), name) in enumerate(sorted(places.items())):
        nic = f"{(index % 90000) + 10000:05d}"
        rows.append(
            Establishment(
                siret=siren + nic,
                company_id=siren,
                nic=nic,
                state="A",
                postcode=postcode,
                departement_code=postcode[:2],
                usual_name=name,
            )
        )
    for siren in sirens:
        rows.append(
            Establishment(
                siret=siren + "00001",
                company_id=siren,
                nic="00001",
                state="A",
                postcode="75008",
                departement_code="75",
                is_head_office=True,
            )
        )
    Establishment.objects.bulk_create(rows)


@pytest.mark.django_db
def test_every_eutl_key_with_siren_and_aiot_links_to_its_establishment(eutl_loaded):
    keys = [r for r in read_csv(KEYS) if r["siren"] and r["aiot_candidate"]]
    assert len(keys) > 1400
    generated_registry({(r["siren"], r["zip_code"]): r["account_holder"] for r in keys})
    counts = links_refresh()
    assert counts["auto"] >= len({r["aiot_candidate"] for r in keys})
    for aiot in {r["aiot_candidate"] for r in keys}:
        inst = Installation.objects.get(aiot_code=aiot)
        link = inst.links.get(status=EstablishmentLink.Status.AUTO)
        siren_zips = {(r["siren"], r["zip_code"]) for r in keys if r["aiot_candidate"] == aiot}
        assert (link.establishment.company_id, link.establishment.postcode) in siren_zips, aiot
    # never the head office: the place decides
    assert not EstablishmentLink.objects.filter(establishment__nic="00001", status="auto").exists()


@pytest.mark.django_db
def test_georisques_sample_links_on_both_keys(eutl_loaded):
    icpe_import(path=shared_file(GEORISQUES_SAMPLE))
    sample = read_csv(GEORISQUES_SAMPLE)
    Company.objects.bulk_create([Company(siren=r["num_siret"][:9], name=r["nom_ets"]) for r in sample])
    Establishment.objects.bulk_create(
        [
            Establishment(
                siret=r["num_siret"],
                company_id=r["num_siret"][:9],
                nic=r["num_siret"][9:],
                state="A",
                commune_code=r["cd_insee"],
            )
            for r in sample
        ]
        # a second establishment of each company in the same commune: only the SIRET tells them apart
        + [
            Establishment(
                siret=r["num_siret"][:9] + "99999",
                company_id=r["num_siret"][:9],
                nic="99999",
                state="A",
                commune_code=r["cd_insee"],
            )
            for r in sample
        ]
    )
    links_refresh()
    both = []
    for row in sample:
        inst = Installation.objects.get(aiot_code=row["code_aiot"])
        link = inst.links.get(status="auto")
        assert link.establishment_id == row["num_siret"] and link.method == "siret"
        if inst.in_ets and inst.siren == row["num_siret"][:9]:
            both.append(row["code_aiot"])
    # PROVENANCE: YARA Ambès, TotalEnergies Donges, EURENCO Sorgues and INEOS Sarralbe match on the AIOT code
    # and SIREN = SIRET[0:9]; ARKEMA Carling has no EUTL account.
    assert sorted(both) == ["0005200259", "0006207572", "0006301207", "0006402706"]
    assert not Installation.objects.get(aiot_code="0006201065").in_ets


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

"""The whole French EUTL extract (imported once for this module, `eutl_loaded`): counts and 2022 verified
emissions checked against figures computed here from the files with the csv module alone and against the
PROVENANCE.md figures; IREP on top of it; links to generated SIRENE rows for the real EUTL keys."""

import pytest

from tandem.companies.models import Company, Establishment
from tandem.decarbonation.importers import eutl_import, icpe_import, irep_import
from tandem.decarbonation.models import (
    EmissionRecord,
    EstablishmentLink,
    EtsAccount,
    EtsYear,
    Installation,
    QualityFlag,
)
from tandem.decarbonation.services import links_refresh
from tandem.imports.models import ImportRun
from tandem.territories.models import Departement
from tests.conftest import shared_file

from .conftest import EUTL, EUTL_GEO, GEORISQUES_SAMPLE, IREP_EMISSIONS, IREP_SITES, KEYS, read_csv


def retained_total(year, **filters):
    return sum(
        EmissionRecord.objects.filter(year=year, retained=True, **filters).values_list("value_t", flat=True)
    )


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
def test_eutl_counts_france_stationary_installations_and_2022(eutl_loaded):
    run = eutl_loaded
    assert run.status == ImportRun.Status.DONE
    accounts = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10"]
    assert len(accounts) == 1581  # PROVENANCE: 1,581 stationary installations, 360 aircraft operators
    assert EtsAccount.objects.count() == 1581
    # Sites: accounts sharing an AIOT code (the permit left-padded to 10 digits) are one site.
    keys = read_csv(KEYS)
    aiot = {r["aiot_candidate"] for r in keys if r["aiot_candidate"]}
    assert Installation.objects.filter(in_ets=True).count() == len(aiot) + sum(
        1 for r in keys if not r["aiot_candidate"]
    )
    assert EtsAccount.objects.values("installation").distinct().count() == Installation.objects.count()
    # 2022 verified emissions of France's stationary installations: 83,700,737 tCO2e, the sum of the
    # installations file's VerifiedEmissions_2022 and of the long extract's 2022 rows alike.
    expected = sum(
        float(r["VerifiedEmissions_2022"]) for r in accounts if r["VerifiedEmissions_2022"].isdigit()
    )
    long_2022 = sum(float(r["emissions"]) for r in read_csv(EUTL_GEO) if r["year"] == "2022")
    assert expected == long_2022 == 83_700_737
    assert retained_total(2022) == pytest.approx(83_700_737)
    assert retained_total(2022, source=EmissionRecord.Source.EUTL) == pytest.approx(83_700_737)
    # free allocations and compliance codes kept per account and year
    first = accounts[0]
    year = EtsYear.objects.get(account__eutl_id=first["InstallationOrAircraftOperatorID"], year=2008)
    assert year.compliance_code == first["ComplianceCode_2008"][:3]
    assert EtsYear.objects.filter(verified_status="exclue", year=2022).count() == sum(
        1 for r in accounts if r["VerifiedEmissions_2022"] == "Excluded"
    )


@pytest.mark.django_db
def test_eutl_grand_est_figure(eutl_loaded):
    """Grand Est: installations located in its ten départements — the département of the commune found from
    the EUTL postcode (else the postcode's first two digits) — 2022 verified emissions."""
    ge = list(Departement.objects.filter(region_id="44").values_list("code", flat=True))
    assert sorted(ge) == ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]
    accounts = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10" and r["ZipCode"][:2] in ge]
    assert len(accounts) == 243  # PROVENANCE: 243 installations (accounts) in Grand Est
    assert EtsAccount.objects.filter(installation__departement_code__in=ge).count() == 243
    expected = sum(
        float(r["VerifiedEmissions_2022"]) for r in accounts if r["VerifiedEmissions_2022"].isdigit()
    )
    assert expected == 12_236_033  # « about 12.2 Mt CO2e in 2022 » in PROVENANCE
    assert retained_total(2022, installation__departement_code__in=ge) == pytest.approx(12_236_033)


@pytest.mark.django_db
def test_eutl_reimport_changes_nothing_and_dry_run_writes_nothing(eutl_loaded):
    before = (Installation.objects.count(), EtsYear.objects.count(), EmissionRecord.objects.count())
    again = eutl_import(path=shared_file(EUTL), points_path=shared_file(EUTL_GEO))
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == Installation.objects.count()
    assert again.details["émissions modifiées"] == 0
    assert (Installation.objects.count(), EtsYear.objects.count(), EmissionRecord.objects.count()) == before


@pytest.mark.django_db
def test_irep_three_co2_variants_never_added(eutl_loaded):
    run = irep_import(sites_path=shared_file(IREP_SITES), emissions_path=shared_file(IREP_EMISSIONS))
    assert run.status == ImportRun.Status.DONE
    em = [r for r in read_csv(IREP_EMISSIONS) if r["Polluant"].startswith("CO2 Total")]
    by_site = {}
    for r in em:
        by_site.setdefault(r["Identifiant"], {})[r["Polluant"]] = float(r["quantite"])
    # One figure per site and year: each IREP site counts once in 2015, whatever the variants declared.
    for site in Installation.objects.filter(in_irep=True):
        assert EmissionRecord.objects.filter(installation=site, year=2015, retained=True).count() == 1
    assert EmissionRecord.objects.filter(source="irep").count() == len(em)
    # Bestfoods (067.00847): total and non-biomass both 7.73 Mt — one retained, flagged as a unit error.
    bestfoods = Installation.objects.get(irep_id="067.00847")
    assert bestfoods.aiot_code == "0006700847"
    assert EmissionRecord.objects.filter(installation=bestfoods, source="irep").count() == 2
    retained = EmissionRecord.objects.get(installation=bestfoods, retained=True)
    assert retained.variant == "non_biomass" and retained.value_t == pytest.approx(7_729_999.9)
    assert QualityFlag.objects.filter(installation=bestfoods, kind="unit_error", year=2015).exists()
    # Sites in both EUTL and IREP are read from EUTL (verified) in 2015; IREP fills the others.
    keys = {r["aiot_candidate"] for r in read_csv(KEYS) if r["aiot_candidate"]}
    irep_ids = {r["Identifiant"] for r in em}
    both = {i for i in irep_ids if i.replace(".", "").zfill(10) in keys}
    assert len(both) > 500
    assert Installation.objects.filter(in_irep=True, in_ets=True).count() == len(both)
    assert (
        EmissionRecord.objects.filter(
            retained=True, year=2015, source="irep", installation__in_ets=True
        ).count()
        < EmissionRecord.objects.filter(retained=True, year=2015, source="eutl").count()
    )
    again = irep_import(sites_path=shared_file(IREP_SITES), emissions_path=shared_file(IREP_EMISSIONS))
    assert (again.created, again.updated) == (0, 0)


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

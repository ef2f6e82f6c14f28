"""Importers on the real files (../shared/data/real/industry): counts checked against figures computed here
from the files with the csv module alone, and against the figures documented in the PROVENANCE.md files."""

import csv
from collections import Counter

import pytest

from tandem.core.problems import UserError
from tandem.decarbonation.importers import eutl_import, icpe_import, irep_import
from tandem.decarbonation.models import EmissionRecord, EtsAccount, EtsYear, Installation, QualityFlag
from tandem.decarbonation.selectors import icpe_rubriques_by_siret
from tandem.imports.models import ImportRun
from tandem.territories.models import Departement
from tests.conftest import shared_file

from .conftest import EUTL, EUTL_GEO, IREP_EMISSIONS, IREP_SITES, KEYS, SEVESO, WFS_93, read_csv


def retained_total(year, **filters):
    return sum(
        EmissionRecord.objects.filter(year=year, retained=True, **filters).values_list("value_t", flat=True)
    )


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
def test_eutl_dry_run_writes_nothing():
    runs = ImportRun.objects.count()  # the geography load of the session has one
    run = eutl_import(path=shared_file(EUTL), dry_run=True)
    assert run.status == ImportRun.Status.DONE and run.created > 1000
    assert Installation.objects.count() == 0 and EtsAccount.objects.count() == 0
    assert ImportRun.objects.count() == runs


@pytest.mark.django_db
def test_eutl_bad_value_refused_in_french_naming_line_and_field(tmp_path):
    rows = read_csv(EUTL)[:600]
    index = next(
        i for i, r in enumerate(rows) if r["MainActivityTypeCode"] != "10"
    )  # aircraft rows are skipped
    rows[index]["VerifiedEmissions_2010"] = "12x4"
    path = tmp_path / "installations.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(UserError) as error:
        eutl_import(path=path)
    text = str(error.value)
    assert (
        f"installations.csv, ligne {index + 2}, champ « VerifiedEmissions_2010 » : nombre attendu (valeur : « 12x4 »)"
        in text
    )
    assert Installation.objects.count() == 0
    assert ImportRun.objects.get(kind=ImportRun.Kind.EUTL).status == ImportRun.Status.REFUSED


@pytest.mark.django_db
def test_icpe_seveso_table_and_rubriques_by_siret():
    run = icpe_import(path=shared_file(SEVESO))
    rows = read_csv(SEVESO)
    assert run.status == ImportRun.Status.DONE and run.created == len(rows) == 264
    tavaux = next(r for r in rows if r["code_aiot"] == "0003300469")
    inst = Installation.objects.get(aiot_code="0003300469")
    assert inst.icpe_regime == "Autorisation" and inst.seveso == "Seveso seuil haut"
    expected = {r for r in tavaux["rubriques"].split("|") if r}
    assert set(inst.rubriques) == expected
    site_siret = tavaux["num_siret_site"]
    assert icpe_rubriques_by_siret([site_siret, "00000000000000"]) == {site_siret: expected}
    again = icpe_import(path=shared_file(SEVESO))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 264)


@pytest.mark.django_db
def test_icpe_wfs_layout_without_rubriques():
    run = icpe_import(path=shared_file(WFS_93))
    rows = read_csv(WFS_93)
    assert run.created == len(rows) == 1224
    regimes = Counter(Installation.objects.values_list("icpe_regime", flat=True))
    assert regimes == Counter(r["lib_regime"] for r in rows)
    assert Installation.objects.exclude(siret="").count() == sum(1 for r in rows if r["num_siret"].strip())


@pytest.mark.django_db
def test_icpe_refuses_a_bad_aiot_code(tmp_path):
    path = tmp_path / "icpe.csv"
    path.write_text("code_aiot;nom_ets;num_siret\n0006516611;A;\nABC;B;\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        icpe_import(path=path)
    assert (
        "icpe.csv, ligne 3, champ « code_aiot » : code AIOT (10 chiffres) attendu (valeur : « ABC »)"
        in str(error.value)
    )
    assert Installation.objects.count() == 0


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

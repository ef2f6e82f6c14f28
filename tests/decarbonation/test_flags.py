"""Quality flags on a planted file: a real EUTL account split into a closed account and its reopened successor
under the same permit (code AIOT), one year declared 1,000 times too high (kg as t)."""

import csv

import pytest

from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import EmissionRecord, EtsAccount, Installation, QualityFlag

from .conftest import EUTL, read_csv


@pytest.mark.django_db
def test_closed_and_reopened_account_aggregated_and_unit_error_flagged(tmp_path):
    rows = read_csv(EUTL)
    real = next(
        r
        for r in rows
        if r["MainActivityTypeCode"] != "10"
        and all(
            r[f"VerifiedEmissions_{y}"].isdigit() and int(r[f"VerifiedEmissions_{y}"]) > 1000
            for y in range(2013, 2023)
        )
    )
    closed, reopened = dict(real), dict(real)
    closed["InstallationOrAircraftOperatorID"], closed["AccountStatus"] = "990001", "closed"
    reopened["InstallationOrAircraftOperatorID"], reopened["AccountStatus"] = "990002", "open"
    for year in range(2005, 2023):
        # the closed account reports up to 2016, the reopened one from 2016 (both in 2016: a split year)
        if year > 2016:
            closed[f"VerifiedEmissions_{year}"] = "NA"
        if year < 2016:
            reopened[f"VerifiedEmissions_{year}"] = "NA"
    planted = int(real["VerifiedEmissions_2019"]) * 1000
    reopened["VerifiedEmissions_2019"] = str(planted)
    path = tmp_path / "installations.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(real))
        writer.writeheader()
        writer.writerows([closed, reopened])
    eutl_import(path=path)

    inst = Installation.objects.get()
    assert EtsAccount.objects.filter(installation=inst).count() == 2
    merged = QualityFlag.objects.get(installation=inst, kind=QualityFlag.Kind.MERGED_ACCOUNTS)
    assert "990001 (fermé)" in merged.reason and "990002 (ouvert)" in merged.reason
    value = {r.year: r.value_t for r in EmissionRecord.objects.filter(installation=inst, retained=True)}
    assert value[2015] == int(real["VerifiedEmissions_2015"])
    assert value[2016] == 2 * int(real["VerifiedEmissions_2016"])  # both accounts reported 2016: added
    assert value[2019] == planted
    unit = QualityFlag.objects.get(installation=inst, kind=QualityFlag.Kind.UNIT_ERROR)
    assert unit.year == 2019 and "kg / t" in unit.reason
    assert (
        not QualityFlag.objects.filter(installation=inst, kind=QualityFlag.Kind.UNIT_ERROR)
        .exclude(year=2019)
        .exists()
    )
    # the jump into and out of the planted year is the unit error, not reported twice as a jump
    assert not QualityFlag.objects.filter(
        installation=inst, kind=QualityFlag.Kind.JUMP, year__in=[2019, 2020]
    ).exists()

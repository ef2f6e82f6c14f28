import csv

import pytest

from tests.conftest import shared_file

EUTL = "real/industry/eu_ets/eutl_installations_france_2005_2022.csv"
EUTL_GEO = "real/industry/eu_ets/eutl_emissions_verifiees_france_2005_2022.csv"
KEYS = "real/industry/eutl_keys/eutl_fr_stationary_keys.csv"
GEORISQUES_SAMPLE = "real/industry/eutl_keys/georisques_sample/icpe_seveso_sample.csv"
SEVESO = "real/industry/icpe_seveso/icpe_seveso_seuil_haut_prioritaires_france_2025.csv"
WFS_93 = "real/industry/icpe_wfs_format_sample_93/georisques_installations_classees_wfs_seine_saint_denis.csv"
IREP_SITES = "real/industry/irep_2015/irep_etablissements_france_2015.csv"
IREP_EMISSIONS = "real/industry/irep_2015/irep_emissions_france_2015.csv"


def read_csv(relative: str) -> list[dict]:
    with open(shared_file(relative), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def _france_eutl(django_db_setup, django_db_blocker):
    """The whole French EUTL extract, imported once per test module and committed (each test still runs in
    its own rolled-back transaction on top of it); removed when the module's tests are done."""
    from tandem.decarbonation.importers import eutl_import
    from tandem.decarbonation.models import Installation
    from tandem.imports.models import ImportRun

    with django_db_blocker.unblock():
        run = eutl_import(path=shared_file(EUTL), points_path=shared_file(EUTL_GEO))
        try:
            yield run
        finally:
            Installation.objects.all().delete()  # cascades to accounts, years, emissions, flags, links
            ImportRun.objects.filter(pk=run.pk).delete()


@pytest.fixture
def eutl_loaded(_france_eutl, db):
    return _france_eutl

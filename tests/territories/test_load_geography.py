import gzip
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from tandem.organizations.models import Organization
from tandem.territories.models import Commune, Departement, Epci, GeographyLoad, Region, ZoneEmploi
from tandem.territories.selectors import epci_list
from tandem.territories.services import geography_load
from tandem.territories.sources import read_decoupage_administratif
from tests.conftest import ZE_ARGS, shared_file
from tests.factories import epci_org

pytestmark = pytest.mark.django_db


def test_france_2026_counts():
    assert Commune.objects.filter(is_current=True).count() == 34_969
    assert Epci.objects.filter(is_current=True).count() == 1_255
    assert Region.objects.count() == 26
    assert Departement.objects.count() == 109


def test_grand_est_counts():
    assert Departement.objects.filter(region_id="44").count() == 10
    assert Commune.objects.filter(region_id="44", is_current=True).count() == 5_115
    assert epci_list(region="44").count() == 150


def test_cc_des_savoir_faire_straddles_two_regions():
    epci = Epci.objects.get(name__icontains="Savoir-Faire")
    regions = set(epci.communes.filter(is_current=True).values_list("region_id", flat=True))
    assert "44" in regions and len(regions) == 2


def test_eurometropole_de_strasbourg():
    epci = Epci.objects.get(pk="246700488")
    assert epci.name == "Eurométropole de Strasbourg"
    assert epci.kind == Epci.Kind.METRO
    assert epci.communes.filter(is_current=True).count() == 33
    strasbourg = Commune.objects.get(pk="67482")
    assert strasbourg.epci_id == "246700488"
    assert strasbourg.zone_emploi.name == "Strasbourg"
    # Derived geometry columns: the centroid falls in Strasbourg, the EPCI boundary is about 340 km².
    assert 48.4 < epci.centroid_lat < 48.7 and 7.6 < epci.centroid_lon < 7.9
    assert 30_000 < epci.area_ha < 38_000
    assert epci.geometry["type"] in ("Polygon", "MultiPolygon")


def test_zones_emploi_grand_est():
    assert ZoneEmploi.objects.count() == 27
    assert Commune.objects.filter(region_id="44", zone_emploi__isnull=True, is_current=True).count() < 10


def test_loading_twice_changes_nothing():
    before = GeographyLoad.objects.count()
    snapshot = list(
        Commune.objects.filter(region_id="44").values_list("code", "name", "epci_id", "population")
    )
    call_command("load_geography", *ZE_ARGS, verbosity=0)
    assert GeographyLoad.objects.count() == before
    after = list(Commune.objects.filter(region_id="44").values_list("code", "name", "epci_id", "population"))
    assert after == snapshot


def _copy_package(tmp_path):
    from django.conf import settings

    source = settings.NODE_MODULES_DIR / "@etalab" / "decoupage-administratif" / "data"
    target = tmp_path / "data"
    shutil.copytree(source, target)
    return target


def test_newer_cog_merges_communes_without_breaking_references(tmp_path):
    """A newer COG where two communes merge: the old one is kept, not current, linked to the new one."""
    directory = _copy_package(tmp_path)
    communes = json.loads((directory / "communes.json").read_text())
    absorbed = next(c for c in communes if c["code"] == "67001")  # Achenheim
    host = next(c for c in communes if c["code"] == "67002")
    communes.remove(absorbed)
    host["nom"] = "Nouvelle-Commune-Test"
    host["anciensCodes"] = [*host.get("anciensCodes", []), "67001"]
    (directory / "communes.json").write_text(json.dumps(communes))
    epcis = json.loads((directory / "epci.json").read_text())
    for epci in epcis:
        epci["membres"] = [m for m in epci["membres"] if m["code"] != "67001"]
    (directory / "epci.json").write_text(json.dumps(epcis))
    org = epci_org(Commune.objects.get(pk="67001").epci_id)
    assert org.communes.filter(pk="67001").exists()

    geography = read_decoupage_administratif(directory, cog_year=2027)
    summary = geography_load(geography=geography)

    old = Commune.objects.get(pk="67001")
    assert not old.is_current and old.merged_into_id == "67002"
    assert Commune.objects.get(pk="67002").name == "Nouvelle-Commune-Test"
    assert summary.tables["communes"].retired == 1
    assert Commune.objects.filter(is_current=True).count() == 34_968
    # The EPCI organisation's perimeter follows the new membership.
    org.refresh_from_db()
    assert not org.communes.filter(pk="67001").exists()
    assert Organization.objects.filter(pk=org.pk).exists()


def test_truncated_file_is_refused_and_nothing_is_loaded(tmp_path):
    directory = _copy_package(tmp_path)
    text = (directory / "communes.json").read_text()
    (directory / "communes.json").write_text(text[: len(text) // 2])
    before = Commune.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("load_geography", "--decoupage", str(directory), "--no-boundaries", verbosity=0)
    message = str(error.value)
    assert "communes.json" in message and "ligne" in message and "tronqué" in message
    assert Commune.objects.count() == before


def test_malformed_row_names_file_line_and_field(tmp_path):
    directory = _copy_package(tmp_path)
    communes = json.loads((directory / "communes.json").read_text())
    communes[10]["departement"] = "ZZ"
    communes[20]["population"] = "beaucoup"
    (directory / "communes.json").write_text(json.dumps(communes))
    with pytest.raises(CommandError) as error:
        call_command("load_geography", "--decoupage", str(directory), "--no-boundaries", verbosity=0)
    message = str(error.value)
    assert "communes.json, ligne 11, champ « departement » : département inconnu (valeur : « ZZ »)" in message
    assert (
        "communes.json, ligne 21, champ « population » : nombre entier attendu (valeur : « beaucoup »)"
        in message
    )


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="regions.json introuvable"):
        call_command("load_geography", "--decoupage", str(tmp_path), "--no-boundaries", verbosity=0)


def test_gzip_package_files_are_read(tmp_path):
    """The raw package files in ../shared/data are gzip-compressed: the same reader takes them."""
    directory = shared_file("real/admin/raw_decoupage_administratif_6.0.0")
    geography = read_decoupage_administratif(directory)
    assert len(geography.communes) == 34_969
    assert len(geography.epcis) == 1_255
    broken = tmp_path / "communes.json.gz"
    broken.write_bytes(gzip.compress(b"[{")[:-4])
    for name in ("regions", "departements", "epci"):
        shutil.copy(directory / f"{name}.json.gz", tmp_path)
    with pytest.raises(Exception, match="communes.json"):
        read_decoupage_administratif(tmp_path)


def test_official_cog_csv_and_admin_express_boundaries_load_idempotently():
    """The files a region downloads: COG CSV with EPCI membership and IGN boundaries (GeoJSON)."""
    call_command(
        "load_geography",
        "--communes",
        str(shared_file("real/admin/communes_grand_est_cog2026.csv")),
        "--epci",
        str(shared_file("real/admin/epci_membres_france_2026.csv")),
        "--boundaries",
        str(shared_file("real/geo/communes_grand_est.geojson")),
        verbosity=0,
    )
    assert Commune.objects.filter(region_id="44", is_current=True).count() == 5_115
    assert (
        Commune.objects.filter(is_current=True).count() == 34_969
    )  # a regional file retires nothing elsewhere
    assert Epci.objects.get(pk="246700488").communes.count() == 33

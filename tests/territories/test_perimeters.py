import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tandem.core.errors import UserError
from tandem.organizations.perms import Actor
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import parse_perimeter_file, perimeters_export_csv, perimeters_import
from tests.conftest import shared_file
from tests.factories import region_org

pytestmark = pytest.mark.django_db
TI = "real/industry/territoires_industrie_anct/"


@pytest.fixture
def region():
    return region_org("44")


def test_official_territoires_d_industrie_geojson(region):
    path = shared_file(TI + "ti_2023_2027_perimetres_anct.geojson")
    parsed = parse_perimeter_file(path)
    assert len(parsed) == 183
    result = perimeters_import(
        actor=Actor.system_actor(),
        owner=region,
        path=path,
        kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE,
    )
    assert result.created == 183
    alsace_centrale = Perimeter.objects.unscoped().get(owner=region, code="ti-4401")
    assert alsace_centrale.name == "Alsace Centrale"
    # Expanded through the 2026 EPCI composition, as in the derived commune list of ../shared/data.
    with shared_file(TI + "ti_2023_2027_communes_grand_est_derive_cog2026.csv").open(
        encoding="utf-8"
    ) as handle:
        expected = {row["commune_code_insee"] for row in csv.DictReader(handle) if row["id_ti"] == "ti-4401"}
    assert set(alsace_centrale.communes.values_list("pk", flat=True)) == expected

    again = perimeters_import(
        actor=Actor.system_actor(),
        owner=region,
        path=path,
        kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE,
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 183)


def test_grand_est_only_from_the_long_csv(region):
    call_command(
        "import_perimeters",
        str(shared_file(TI + "ti_2023_2027_groupements.csv")),
        "--owner",
        region.slug,
        "--kind",
        "territoire_industrie",
        "--region",
        "44",
        stdout=io.StringIO(),
    )
    perimeters = Perimeter.objects.unscoped().filter(owner=region, kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE)
    assert perimeters.count() == 21
    with shared_file(TI + "ti_2023_2027_communes_grand_est_derive_cog2026.csv").open(
        encoding="utf-8"
    ) as handle:
        rows = list(csv.DictReader(handle))
    total_in_44 = {(r["id_ti"], r["commune_code_insee"]) for r in rows if r["departement"] not in ("70",)}
    imported = {(p.code, c) for p in perimeters for c in p.communes.values_list("pk", flat=True)}
    assert imported == total_in_44


def test_export_reads_back_identically(region, tmp_path):
    path = shared_file(TI + "ti_2023_2027_perimetres_anct.geojson")
    perimeters_import(
        actor=Actor.system_actor(), owner=region, path=path, kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE
    )
    exported = tmp_path / "export.csv"
    exported.write_text(
        perimeters_export_csv(Perimeter.objects.unscoped().filter(owner=region)), encoding="utf-8"
    )
    parsed = {p.code: set(p.members) for p in parse_perimeter_file(exported)}
    stored = {
        p.code: set(p.communes.values_list("pk", flat=True))
        for p in Perimeter.objects.unscoped().filter(owner=region)
    }
    assert parsed == {code: members for code, members in stored.items() if members}


def test_bad_member_is_named_with_line_and_column(region, tmp_path):
    path = tmp_path / "perimetres.csv"
    path.write_text("code;nom;epci_siren\nP1;Bon;246700488\nP2;Mauvais;24670048X\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        perimeters_import(actor=Actor.system_actor(), owner=region, path=path)
    assert "perimetres.csv, ligne 3, champ « epci_siren »" in str(error.value)
    assert "24670048X" in str(error.value)
    assert not Perimeter.objects.unscoped().filter(owner=region).exists()


def test_command_reports_unknown_owner(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("nom;epci_siren\nA;246700488\n", encoding="utf-8")
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_perimeters", str(path), "--owner", "personne")

"""The official files a region downloads: INSEE COG CSV (v_commune_AAAA layout), DGCL EPCI composition, and
IGN ADMIN EXPRESS outlines in a GeoPackage in Lambert-93. Built by the test from the real data in ../shared."""

import csv

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.management import CommandError, call_command

from tandem.core.geo import to_lambert93
from tandem.territories.models import Commune, Epci
from tandem.territories.sources import read_boundaries_file, read_cog_csv
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db
COG_HEADER = [
    "TYPECOM",
    "COM",
    "REG",
    "DEP",
    "CTCD",
    "ARR",
    "TNCC",
    "NCC",
    "NCCENR",
    "LIBELLE",
    "CAN",
    "COMPARENT",
]


def _grand_est_rows():
    with shared_file("real/admin/communes_grand_est_cog2026.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_official_cog(tmp_path, rows, *, rename=None):
    """v_commune_2026.csv, v_departement_2026.csv, v_region_2026.csv in INSEE's layout."""
    kinds = {
        "commune-actuelle": "COM",
        "commune-deleguee": "COMD",
        "commune-associee": "COMA",
        "arrondissement-municipal": "ARM",
    }
    path = tmp_path / "v_commune_2026.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COG_HEADER)
        for row in rows:
            name = (rename or {}).get(row["code_insee"], row["nom"])
            writer.writerow(
                [
                    kinds[row["type"]],
                    row["code_insee"],
                    row["region"],
                    row["departement"],
                    "",
                    row["arrondissement"],
                    "0",
                    name.upper(),
                    name,
                    name,
                    "",
                    row["chef_lieu_parent"],
                ]
            )
    deps = tmp_path / "v_departement_2026.csv"
    deps.write_text(
        "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n"
        + "".join(sorted({f"{r['departement']},44,,0,,,{r['departement_nom']}\n" for r in rows})),
        encoding="utf-8",
    )
    regions = tmp_path / "v_region_2026.csv"
    regions.write_text(
        "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n44,67482,0,GRAND EST,Grand Est,Grand Est\n", encoding="utf-8"
    )
    epci = tmp_path / "epcicom2026.csv"
    with epci.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            [
                "dept",
                "siren",
                "raison_sociale",
                "nature_juridique",
                "mode_financ",
                "insee",
                "siren_membre",
                "nom_membre",
            ]
        )
        for row in rows:
            if row["epci_siren"]:
                writer.writerow(
                    [
                        row["departement"],
                        row["epci_siren"],
                        row["epci_nom"],
                        row["epci_type"],
                        "FPU",
                        row["code_insee"],
                        row["siren_commune"],
                        row["nom"],
                    ]
                )
    return path, deps, regions, epci


def test_official_insee_cog_and_dgcl_files(tmp_path):
    rows = _grand_est_rows()
    communes, deps, regions, epci = _write_official_cog(
        tmp_path, rows, rename={"67482": "Strasbourg-Officiel"}
    )
    geography = read_cog_csv(communes, departements=deps, regions=regions, epci=epci)
    assert geography.cog_year == 2026
    assert len(geography.communes) == 5_115  # only TYPECOM = COM
    call_command(
        "load_geography",
        "--communes",
        str(communes),
        "--departements",
        str(deps),
        "--regions",
        str(regions),
        "--epci",
        str(epci),
        "--no-boundaries",
        verbosity=0,
    )
    strasbourg = Commune.objects.get(pk="67482")
    assert strasbourg.name == "Strasbourg-Officiel"
    assert (
        strasbourg.population > 290_000 and strasbourg.postal_codes
    )  # not in the COG file: kept as they were
    assert Epci.objects.get(pk="246700488").communes.filter(is_current=True).count() == 33
    assert Commune.objects.filter(region_id="44", is_current=True).count() == 5_115


def test_official_file_with_bad_department_names_line_and_field(tmp_path):
    rows = _grand_est_rows()
    _, deps, regions, epci = _write_official_cog(tmp_path, rows)
    rows[4]["departement"] = "99"
    (tmp_path / "bad").mkdir()
    communes, *_ = _write_official_cog(tmp_path / "bad", rows)
    with pytest.raises(CommandError) as error:
        call_command(
            "load_geography",
            "--communes",
            str(communes),
            "--departements",
            str(deps),
            "--regions",
            str(regions),
            "--epci",
            str(epci),
            "--no-boundaries",
            verbosity=0,
        )
    assert (
        "v_commune_2026.csv, ligne 6, champ « departement » : département inconnu (valeur : « 99 »)"
        in str(error.value)
    )


def test_admin_express_geopackage_in_lambert93(tmp_path):
    source, _ = read_boundaries_file(shared_file("real/geo/communes_grand_est.geojson"))
    codes = sorted(code for code in source if code.startswith("67"))
    geoms = [to_lambert93(source[code]) for code in codes]
    path = tmp_path / "ADMIN-EXPRESS_COMMUNE.gpkg"
    pyogrio.raw.write(
        str(path),
        geometry=shapely.to_wkb(geoms),
        field_data=[np.array(codes, dtype=object)],
        fields=["INSEE_COM"],
        crs="EPSG:2154",
        geometry_type="MultiPolygon",
        driver="GPKG",
        layer="commune",
    )
    outlines, meta = read_boundaries_file(path)
    assert meta["name"] == "IGN ADMIN EXPRESS"
    strasbourg = outlines["67482"]
    assert 7.6 < strasbourg.centroid.x < 7.9 and 48.5 < strasbourg.centroid.y < 48.7  # back in WGS84
    assert (
        strasbourg.equals_exact(source["67482"], tolerance=1e-6)
        or strasbourg.symmetric_difference(source["67482"]).area < 1e-9
    )

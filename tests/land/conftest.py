import csv

import pytest

from tandem.land.generate import generate_inventory, write_inventory_csv
from tandem.land.selectors import commune_places

ARDENNE_METROPOLE = "200041630"  # CA Ardenne Métropole (Charleville-Mézières)


@pytest.fixture
def inventory_dir(db, tmp_path):
    """A small fictitious inventory (6 sites, 18 terrains, 12 établissements, 2 poles) in real communes of
    CA Ardenne Métropole, as the four CNIG CSV files."""
    places = commune_places(epci_sirens=[ARDENNE_METROPOLE])
    tables = generate_inventory(
        communes=places, n_sites=6, terrains_per_site=3, etablissements_per_site=2, sites_per_pole=3, seed=8
    )
    write_inventory_csv(tables, tmp_path / "inventaire")
    return tmp_path / "inventaire"


def inventory_paths(directory):
    return [directory / f"{t}.csv" for t in ("pole-eco", "site-eco", "terrain-eco", "etablissement")]


def read_rows(path, delimiter=","):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def write_rows(path, rows, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

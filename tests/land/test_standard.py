"""The in-code registry of the CNIG standards matches the published schema files, and the models carry every
standard column and every documented extension."""

import json

import pytest

from tandem.land import models as land
from tandem.land.standard import TABLES
from tests.conftest import REPO, shared_file

SCHEMAS = {
    "pole-eco": "standards/sites-economiques/pole-eco/schema.json",
    "site-eco": "standards/sites-economiques/site-eco/schema.strict.json",
    "terrain-eco": "standards/sites-economiques/terrain-eco/schema.strict.json",
    "etablissement": "standards/sites-economiques/etablissement/schema.strict.json",
    "friches": "standards/friches/schema.json",
    "friches-1.0.3": "standards/friches/previous/v1.0.3_schema.json",
}
MODELS = {
    "pole-eco": land.Pole,
    "site-eco": land.Site,
    "terrain-eco": land.Terrain,
    "etablissement": land.Etablissement,
    "friches": land.Friche,
}
# Standard columns stored differently: links as foreign keys, geometries as GeometryFields.
STORED_AS = {
    "pole_id@site-eco": "pole_eco",
    "site_id@terrain-eco": "site_eco",
    "site_geomsurf": "geometry",
    "site_geompoint": "site_geompoint_lon",
    "terr_geomsurf": "geometry",
    "etab_geompoint": "geometry",
    "pole_geompoint": "geometry",
    "geomsurf": "geometry",
    "geompoint": "geompoint_lon",
}


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_registry_matches_published_schema(table):
    schema = json.loads(shared_file(SCHEMAS[table]).read_text())
    registry = TABLES[table]
    assert registry["primary_key"] == schema["primaryKey"]
    assert [c["name"] for c in registry["columns"]] == [f["name"] for f in schema["fields"]]
    for spec, field in zip(registry["columns"], schema["fields"], strict=True):
        constraints = field.get("constraints", {})
        assert spec["type"] == field["type"], spec["name"]
        assert spec.get("required", False) == constraints.get("required", False), spec["name"]
        assert spec.get("enum") == constraints.get("enum"), spec["name"]
        assert spec.get("pattern") == constraints.get("pattern"), spec["name"]


def test_eleven_enumerations_moved_by_the_strict_copies_are_in_the_registry():
    moved = ["site_type", "site_vocadomi", "site_etat", "site_evol_urba", "site_moa_type"]
    moved += ["terr_maitrise_fonc", "terr_stade_amngt", "terr_stade_comm", "terr_etat_occup", "terr_usage"]
    tables = {
        c["name"]: c for t in ("site-eco", "terrain-eco", "etablissement") for c in TABLES[t]["columns"]
    }
    assert all(tables[name].get("enum") for name in [*moved, "geocodage_qualite"])
    assert len(moved) + 1 == 11


@pytest.mark.parametrize("table", sorted(MODELS))
def test_models_store_every_standard_column(table):
    model = MODELS[table]
    field_names = {f.name for f in model._meta.get_fields()}
    for spec in TABLES[table]["columns"]:
        name = spec["name"]
        stored = STORED_AS.get(f"{name}@{table}") or STORED_AS.get(name) or name.lower().replace("-", "_")
        assert stored in field_names, f"{table}.{name}"
        if spec.get("enum") and spec["enum"] != ["oui", "non"] and stored == name:
            assert [v for v, _ in model._meta.get_field(stored).choices] == spec["enum"]


def test_extensions_are_model_fields_of_sites_and_terrains_and_documented():
    doc = (REPO / "docs" / "land-extensions.md").read_text()
    for name, *_ in land.EXTENSIONS:
        land.Site._meta.get_field(name)
        land.Terrain._meta.get_field(name)
        assert f"`{name}`" in doc, name
    declared = {f.name for f in land.SiteSelectionExtensions._meta.get_fields()}
    assert declared == {name for name, *_ in land.EXTENSIONS}


def test_generic_constraints_of_a_schema_are_enforced():
    """min/max, lengths and uniqueness: none of the CNIG tables uses them today, a future version may."""
    import numpy as np
    import pandas as pd

    from tandem.land.io import RawTable
    from tandem.land.validation import _TableChecker

    raw = RawTable(
        source="t.csv",
        frame=pd.DataFrame({"v": ["5", "-1", "5", "abcdef"]}),
        lines=np.arange(2, 6),
        format="csv",
    )
    checker = _TableChecker(raw, "pole-eco", {}, set(), referential=None)
    spec = {"name": "v", "type": "string", "minimum": 0, "maxLength": 3, "unique": True}
    checker.check_column(raw.frame["v"], spec)
    found = sorted((p.line, p.message) for p in checker.problems)
    assert found == [
        (3, "valeur hors des bornes du standard [0 ; inf]"),
        (4, "valeur en double (unicité exigée par le standard)"),
        (5, "longueur hors des bornes du standard"),
    ]

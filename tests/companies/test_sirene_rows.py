"""The SIRENE row checks and transforms (pure: Arrow and numpy, no database), rule by rule."""

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from tandem.companies import sirene_format as fmt
from tandem.companies import sirene_rows as rows
from tests.conftest import shared_file

ETAB = "real/sirene/stock_etablissement_format_sample_2024.csv"


def sample(**changes_by_line):
    """The real StockEtablissement sample as (header, bytes of its data lines), some values changed:
    `changes_by_line[n]` = {column: value} for the n-th data line (0-based)."""
    with shared_file(ETAB).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames)
        data = list(reader)
    for index, change in changes_by_line.items():
        data[int(index.removeprefix("row"))].update(change)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in data:
        writer.writerow([row[name] for name in header])
    return header, out.getvalue().encode()


def prepare(header, data, **rules):
    table = rows.parse_chunk(data, header, ",")
    assert table is not None
    lines = np.arange(2, 2 + table.num_rows)
    return rows.prepare(table, lines, rows.Rules(kind="etablissement", header=header, **rules))


def test_the_module_imports_no_django():
    code = "import sys, tandem.companies.sirene_rows; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_clean_chunk_becomes_registry_rows_with_their_types():
    header, data = sample()
    prepared = prepare(header, data)
    assert (prepared.rows.num_rows, prepared.in_territory, prepared.rejected, prepared.problems) == (
        299,
        299,
        0,
        [],
    )
    first = prepared.rows.slice(0, 1).to_pylist()[0]
    assert first["siret"] == "00032517500016" and first["siren"] == "000325175"
    assert first["state_since"] == date(2009, 5, 27) and first["closed_on"] == date(2009, 5, 27)
    # INSEE's timestamps are French local time: 15:40:57 in Paris on 22 March 2024 is 14:40:57 UTC.
    assert first["registry_processed_at"].astimezone(UTC) == datetime(2024, 3, 22, 14, 40, 57, tzinfo=UTC)
    assert first["departement_code"] == "987" and first["is_head_office"] is False
    assert prepared.rows.schema.field("headcount_year").type == pa.int16()


def test_each_broken_rule_is_named_with_its_line_and_value():
    header, data = sample(
        row0={"dateCreationEtablissement": "2021-02-30"},  # does not exist (Arrow's strptime would roll it)
        row1={"trancheEffectifsEtablissement": "99"},
        row2={"nic": "1234"},
        row3={"dateDernierTraitementEtablissement": "2024-03-22"},  # a date without its time
        row4={"coordonneeLambertAbscisseEtablissement": "1e999"},
        row5={"siret": "00032517500099"},  # 14 digits, but not SIREN + NIC
        row6={"libelleVoieEtablissement": "É" * 100},  # 200 bytes, 100 characters: allowed
    )
    prepared = prepare(header, data)
    assert [(line, column, value) for line, column, _message, value in prepared.problems] == [
        (2, "dateCreationEtablissement", "2021-02-30"),
        (3, "trancheEffectifsEtablissement", "99"),
        (4, "nic", "1234"),
        (5, "dateDernierTraitementEtablissement", "2024-03-22"),
        (6, "coordonneeLambertAbscisseEtablissement", "1e999"),
        (7, "siret", "00032517500099"),
    ]
    assert prepared.problems[0][2] == "date AAAA-MM-JJ attendue"
    assert prepared.problems[-1][2] == rows.SIRET_RULE
    assert (prepared.rows.num_rows, prepared.rejected) == (293, 6)
    assert 8 in prepared.lines  # the long UTF-8 street name is kept


def test_values_of_rows_outside_the_territory_are_not_checked():
    header, data = sample(row0={"trancheEffectifsEtablissement": "99"})  # line 2 is in Polynésie (987)
    prepared = prepare(header, data, departements=["80"])
    assert prepared.problems == [] and prepared.in_territory == prepared.rows.num_rows == 115


def test_protected_fields_are_blanked_unless_diffusible():
    header, data = sample(
        row0={"statutDiffusionEtablissement": "P", "libelleVoieEtablissement": "RUE DU SECRET"},
        row1={
            "statutDiffusionEtablissement": "O",
            "enseigne1Etablissement": "[ND]",
            "enseigne2Etablissement": "B",
        },
    )
    prepared = prepare(header, data)
    first, second = prepared.rows.slice(0, 2).to_pylist()
    assert (first["street_name"], first["latitude"], first["diffusion"]) == ("", None, "P")
    assert second["signboard"] == "B"


def test_a_key_twice_in_a_chunk_keeps_the_last_row():
    header, data = sample()
    last_line = data.splitlines(keepends=True)[0].replace(b",F,", b",A,")
    prepared = prepare(header, data + last_line)
    kept = prepared.rows.filter(pa.compute.equal(prepared.rows.column("siret"), "00032517500016"))
    assert kept.num_rows == 1 and kept.column("state")[0].as_py() == "A"
    assert prepared.rows.num_rows == 299 and prepared.lines[-1] == 301


@pytest.mark.parametrize(
    "data",
    [b"a,b\n1,2,3\n", b"a,b\n\xff\xfe,2\n", b'a,b\n"1,2\n', b"a,b\n\n1,2\n", b"a,b\n1\x00,2\n"],
    ids=["extra field", "not UTF-8", "stray quote", "blank line", "NUL byte"],
)
def test_a_chunk_arrow_refuses_is_handed_back(data):
    assert rows.parse_chunk(data.split(b"\n", 1)[1], ["a", "b"], ",") is None


def test_lambert_93_to_wgs84_agrees_with_pyproj():
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    x = np.array([652469.0, 1050000.0, 175000.0, 1240000.0])
    y = np.array([6862035.0, 6840000.0, 6780000.0, 6110000.0])
    lat, lon = rows.lambert93_to_wgs84(x, y)
    expected_lon, expected_lat = to_wgs84.transform(x, y)
    assert np.abs(lat - expected_lat).max() < 1e-7 and np.abs(lon - expected_lon).max() < 1e-7


def test_membership_by_numeric_key():
    known = np.array(sorted([5410949, 5420013, 999999999]), dtype=np.int64)
    keys = rows.numeric_keys(pa.array(["005410949", "12345678", "999999999", "00541094A"]), 9)
    assert keys.tolist() == [5410949, -1, 999999999, -1]
    assert rows.contains(known, keys).tolist() == [True, False, True, False]
    assert rows.contains(np.array([], np.int64), keys).tolist() == [False] * 4


def test_every_field_kind_has_a_french_message():
    kinds = {f.kind for fields, _required in fmt.KINDS.values() for f in fields}
    assert kinds <= set(rows.MESSAGES)
    assert all(rows.message(f) for fields, _required in fmt.KINDS.values() for f in fields)


def _field(target):
    return next(f for f in fmt.ETABLISSEMENT_FIELDS if f.target == target)


def test_values_must_have_the_dictionary_shape_and_exist():
    date_ok, _ = rows.check_and_cast(
        _field("created_on"), pa.array(["2024-02-29", "2023-02-29", "0000-01-01", ""])
    )
    assert date_ok.tolist() == [True, False, False, True]
    stamps = ["2024-03-22T15:40:57", "2024-03-22T15:40", "2024-03-22 15:40:57", "2024-03-22T15:40:57.1234567"]
    stamp_ok, values = rows.check_and_cast(_field("registry_processed_at"), pa.array(stamps))
    assert stamp_ok.tolist() == [True, False, False, True]
    assert values[3].as_py().astimezone(UTC) == datetime(2024, 3, 22, 14, 40, 57, 123456, tzinfo=UTC)
    numbers = ["652469.0", "-12.5", "6.5e5", "+5", ".5", "nan", "1234567890", "[ND]", ""]
    number_ok, _ = rows.check_and_cast(_field("lambert_x"), pa.array(numbers))
    assert number_ok.tolist() == [True, True, False, False, False, False, False, True, True]


def test_paris_times_around_the_clock_changes_are_read_as_postgresql_reads_them():
    local = pa.array(["2024-10-27T02:30:00", "2024-03-31T02:30:00", "2024-07-14T12:00:00"])
    utc = rows.paris_time(pa.compute.cast(local, pa.timestamp("us"))).cast(pa.timestamp("us", tz="UTC"))
    # Autumn's repeated hour is the later (winter) one; spring's missing hour takes the winter offset.
    assert [v.as_py().isoformat() for v in utc] == [
        "2024-10-27T01:30:00+00:00",
        "2024-03-31T01:30:00+00:00",
        "2024-07-14T10:00:00+00:00",
    ]

"""SIRENE rows parsed, checked and transformed outside the database, a column at a time.

Pure (pyarrow and numpy, no Django): the importer hands a chunk of the file (whole lines) to `prepare`, which
returns the rows of the territory that follow INSEE's rules, already in the registry's column names and types,
and the problems of the others (line, column, value). Every check is an Arrow compute kernel running over a
whole column in C++, so checking a row costs about as much as PostgreSQL's own COPY parsing it; the database
then only stores rows it does not need to look at again (see sirene_import.py).

The rules are those of `sirene_format` (one `Field` per target column): text lengths, digits, codes from a
list, INSEE commune codes, ISO dates and timestamps that must exist (2021-02-30 does not), years, integers,
booleans and coordinates. Values of rows outside the territory are not checked (their structure is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from pgpq import ArrowToPostgresBinaryEncoder

from tandem.companies import sirene_format as fmt

ND = fmt.NOT_DIFFUSED
OVERSEAS = ("971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988")
PARIS = "Europe/Paris"

# Lambert-93 (EPSG:2154, GRS80) to WGS84: inverse Lambert conformal conic, then the geodetic latitude from the
# conformal latitude by its series (error < 1e-9 rad; tests compare with pyproj).
_N = 0.7256077650532670
_C = 11754255.426096
_XS = 700000.0
_YS = 12655612.049876
_E2 = 0.0818191910428158**2
_SERIES = (
    _E2 / 2 + 5 * _E2**2 / 24 + _E2**3 / 12 + 13 * _E2**4 / 360,
    7 * _E2**2 / 48 + 29 * _E2**3 / 240 + 811 * _E2**4 / 11520,
    7 * _E2**3 / 120 + 81 * _E2**4 / 1120,
    4279 * _E2**4 / 161280,
)

MESSAGES = {
    "text": lambda f: f"texte de plus de {f.arg} caractères",
    "digits": lambda f: f"{f.arg} chiffres attendus",
    "choice": lambda f: "valeur attendue : " + ", ".join(f.arg),
    "commune": lambda f: "code commune INSEE attendu (5 caractères)",
    "date": lambda f: "date AAAA-MM-JJ attendue",
    "datetime": lambda f: "date et heure AAAA-MM-JJTHH:MM:SS attendues",
    "year": lambda f: "année à 4 chiffres attendue",
    "int": lambda f: "nombre entier attendu",
    "bool": lambda f: "valeur attendue : true ou false",
    "number": lambda f: "nombre attendu",
}
SIRET_RULE = "le SIRET doit être le SIREN suivi du NIC"

_TYPES = {
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "year": pa.int16(),
    "int": pa.int16(),
    "number": pa.float64(),
}


def message(f: fmt.Field) -> str:
    """The French rule a value of this field breaks."""
    return f.message or MESSAGES[f.kind](f)


def lambert93_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(latitude, longitude) in degrees of Lambert-93 coordinates (metropolitan France)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.hypot(x - _XS, y - _YS)
        chi = 2 * np.arctan(np.exp(-np.log(r / _C) / _N)) - np.pi / 2
        lat = chi + sum(k * np.sin(2 * (i + 1) * chi) for i, k in enumerate(_SERIES))
        lon = 3 + np.degrees(np.arctan((x - _XS) / (_YS - y)) / _N)
    return np.degrees(lat), lon


# --- parsing --------------------------------------------------------------------------------------------------


def parse_chunk(data: bytes, header: list[str], delimiter: str) -> pa.Table | None:
    """The chunk's rows as text columns named after the header, or None when Arrow refuses the chunk (a row
    with another number of fields, a stray quote, bytes that are not UTF-8, a NUL byte, a blank line): the
    caller then reads that chunk line by line to name the bad rows."""
    if b"\x00" in data or b"\n\n" in data or b"\n\r\n" in data or data.startswith((b"\n", b"\r\n")):
        return None  # Arrow would read a blank line as a row of empty values
    try:
        return pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(column_names=header, use_threads=False, block_size=1 << 20),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def copy_binary(table: pa.Table) -> list[bytes]:
    """A table in PostgreSQL's binary COPY format (header, rows, trailer): no text to parse on arrival."""
    encoder = ArrowToPostgresBinaryEncoder(table.schema)
    parts = [encoder.write_header()]
    parts += [encoder.write_batch(batch) for batch in table.to_batches()]
    parts.append(encoder.finish())
    return parts


def table_from_rows(rows: list[list[str]], header: list[str]) -> pa.Table:
    """Text columns from rows already split (the slow path of a refused chunk)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    return pa.table(
        {name: pa.array(column, pa.string()) for name, column in zip(header, columns, strict=True)}
    )


# --- the rules, a column at a time -------------------------------------------------------------------------


def _np(mask) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _castable(values: pa.Array, to: pa.DataType) -> np.ndarray:
    """Which values cast to `to`: one cast for the whole column; when it fails, halves until the bad values
    are found (a few casts per bad value instead of one per value)."""
    try:
        pc.cast(values, to)
        return np.ones(len(values), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if len(values) == 1:
            return np.zeros(1, dtype=bool)
        middle = len(values) // 2
        return np.concatenate([_castable(values[:middle], to), _castable(values[middle:], to)])


def _empty(f: fmt.Field, v: pa.Array) -> np.ndarray:
    empty = pc.equal(v, "")
    if f.protected:
        empty = pc.or_(empty, pc.equal(v, ND))
    return _np(empty)


def check_and_cast(f: fmt.Field, v: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(which values follow the field's rule, the values in the registry's type: null where empty or bad)."""
    if f.kind == "text":
        if f.protected:  # INSEE's placeholder for a protected value reads as empty
            v = pc.if_else(pc.equal(v, ND), "", v)
        ok = _np(pc.less_equal(pc.binary_length(v), f.arg))
        if not ok.all():  # a long UTF-8 value may still have few enough characters
            ok |= _np(pc.less_equal(pc.utf8_length(v), f.arg))
        return ok, v
    if f.kind == "bool":
        allowed = ["true", "false"] if f.required else ["", "true", "false"]
        return _np(pc.is_in(v, value_set=pa.array(allowed))), pc.equal(v, "true")
    empty = _empty(f, v)
    if f.kind == "digits":
        ok = _np(pc.and_(pc.ascii_is_decimal(v), pc.equal(pc.binary_length(v), f.arg)))
    elif f.kind == "choice":
        ok = _np(pc.is_in(v, value_set=pa.array(f.arg, pa.string())))
    elif f.kind == "commune":
        ok = _np(pc.match_substring_regex(v, "^[0-9AB]{5}$"))
    elif f.kind in ("year", "int"):
        length = pc.binary_length(v)
        size = pc.equal(length, 4) if f.kind == "year" else pc.less_equal(length, 4)
        ok = _np(pc.and_(pc.ascii_is_decimal(v), size))
    else:  # date, datetime, number: the dictionary's shape, then a value that exists (2021-02-30 does not)
        if f.kind == "number":
            shape = _np(pc.match_substring_regex(v, fmt.NUMBER_RE))  # refuses 1e5, +5, .5, nan…
        else:
            # Arrow's date parser takes exactly AAAA-MM-JJ; its timestamp parser also takes a bare date, a
            # space or no seconds, which INSEE never writes: AAAA-MM-JJTHH:MM:SS at least.
            shape = ~_np(pc.starts_with(v, "0000"))  # the calendar has no year 0 (nor has PostgreSQL)
            if f.kind == "datetime":
                shape &= _np(
                    pc.and_(
                        pc.greater_equal(pc.binary_length(v), 19),
                        pc.equal(pc.utf8_slice_codeunits(v, 10, 11), "T"),
                    )
                )
        if f.kind == "datetime":  # fractions of a second beyond the microsecond are dropped
            v = pc.utf8_slice_codeunits(v, 0, 26)
        candidates = pc.if_else(pa.array(empty | ~shape), pa.scalar(None, pa.string()), v)
        ok = shape & _castable(candidates, _TYPES[f.kind])
    ok = (ok | empty) if not f.required else (ok & ~empty)
    if f.kind in ("digits", "choice", "commune"):
        return ok, pc.if_else(pa.array(empty), "", v) if f.protected else v
    keep = ok & ~empty
    values = pc.cast(pc.if_else(pa.array(keep), v, pa.scalar(None, pa.string())), _TYPES[f.kind])
    if f.kind == "datetime":
        values = paris_time(values)
    return ok, values


def paris_time(local: pa.Array) -> pa.Array:
    """INSEE's timestamps are French local times, read as PostgreSQL reads them (`AT TIME ZONE`): an hour
    that happens twice in autumn is the later one (winter time); an hour that does not exist in spring (the
    clock jumps from 2:00 to 3:00) is read with the winter offset."""
    try:
        return pc.assume_timezone(local, PARIS, ambiguous="latest", nonexistent="raise")
    except pa.ArrowInvalid:
        after = pc.assume_timezone(local, PARIS, ambiguous="latest", nonexistent="latest")
        before = pc.assume_timezone(local, PARIS, ambiguous="latest", nonexistent="earliest")
        winter = pc.cast(pc.assume_timezone(local, "+01:00"), after.type)
        return pc.if_else(pc.equal(after, before), after, winter)


# --- a chunk ------------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A chunk once checked: the valid rows of the territory, ready to store, and what was wrong."""

    rows: pa.Table  # registry column names and types
    lines: np.ndarray  # the file line of each of `rows`
    in_territory: int = 0  # rows of the territory, valid or not
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, column, message, value)
    rejected: int = 0  # rows of the territory refused


@dataclass
class Rules:
    """How to read one file: its kind, header and territory."""

    kind: str
    header: list[str]
    departements: list[str] | None = None  # None: every département
    known_keys: np.ndarray | None = None  # sorted SIREN (legal units) or SIRET (geolocation) of the registry
    communes: pa.Array | None = None  # codes of the loaded geography

    @property
    def fields(self) -> tuple[fmt.Field, ...]:
        return fmt.KINDS[self.kind][0]

    @property
    def status_column(self) -> str | None:
        return {
            "etablissement": "statutDiffusionEtablissement",
            "unite_legale": "statutDiffusionUniteLegale",
        }.get(self.kind)


def departement_codes(communes: pa.Array) -> pa.Array:
    """The département of each INSEE commune code (three characters overseas)."""
    overseas = pc.is_in(pc.utf8_slice_codeunits(communes, 0, 2), value_set=pa.array(["97", "98"]))
    return pc.if_else(
        overseas, pc.utf8_slice_codeunits(communes, 0, 3), pc.utf8_slice_codeunits(communes, 0, 2)
    )


def numeric_keys(values: pa.Array, digits: int) -> np.ndarray:
    """SIREN/SIRET as integers (-1 where the value is not `digits` digits), to test membership quickly."""
    well_formed = pc.and_(pc.ascii_is_decimal(values), pc.equal(pc.binary_length(values), digits))
    return pc.cast(pc.if_else(well_formed, values, "-1"), pa.int64()).to_numpy(zero_copy_only=False)


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which `keys` are in `sorted_keys` (binary search)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    where = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return sorted_keys[where] == keys


def territory(table: pa.Table, rules: Rules) -> np.ndarray:
    """Which rows belong to the territory. Establishments by the département of their commune; legal units
    and coordinates by a key already in the registry (they have no address of their own)."""
    if rules.kind == "etablissement":
        if not rules.departements:
            return np.ones(table.num_rows, dtype=bool)
        communes = table.column("codeCommuneEtablissement").combine_chunks()
        return _np(pc.is_in(departement_codes(communes), value_set=pa.array(rules.departements)))
    if rules.kind == "unite_legale" and not rules.departements:
        return np.ones(table.num_rows, dtype=bool)
    key, digits = ("siren", 9) if rules.kind == "unite_legale" else ("siret", 14)
    keys = numeric_keys(table.column(key).combine_chunks(), digits)
    return contains(rules.known_keys if rules.known_keys is not None else np.array([], np.int64), keys)


def keep_last(rows: pa.Table, lines: np.ndarray, key: str) -> tuple[pa.Table, np.ndarray]:
    """One row per key, the last of the chunk (a key twice in a file: the later row wins)."""
    keys = rows.column(key)
    if pc.count_distinct(keys).as_py() == rows.num_rows:
        return rows, lines
    values = np.asarray(keys.to_pylist(), dtype=object)[::-1]
    _, first_from_end = np.unique(values, return_index=True)
    keep = np.sort(len(values) - 1 - first_from_end)
    return rows.take(pa.array(keep)), lines[keep]


def prepare(table: pa.Table, lines: np.ndarray, rules: Rules) -> Prepared:
    """Check a chunk's rows of the territory and turn the valid ones into registry rows."""
    mask = territory(table, rules)
    if not mask.all():
        table, lines = table.filter(pa.array(mask)), lines[mask]
    n = table.num_rows
    ok = np.ones(n, dtype=bool)
    bad_by_column: list[tuple[str, str, np.ndarray]] = []
    values: dict[str, pa.Array] = {}
    columns = set(table.column_names)
    for f in rules.fields:
        if f.source not in columns:
            values[f.target] = _absent(f, n)
            continue
        column = table.column(f.source).combine_chunks()
        good, values[f.target] = check_and_cast(f, column)
        if not good.all():
            ok &= good
            bad_by_column.append((f.source, message(f), ~good))
    if rules.kind == "etablissement":
        joined = pc.binary_join_element_wise(table.column("siren"), table.column("nic"), "")
        good = _np(pc.equal(table.column("siret"), joined))
        good |= ~ok  # only reported on its own when every field is right
        if not good.all():
            ok &= good
            bad_by_column.append(("siret", SIRET_RULE, ~good))
    prepared = Prepared(rows=pa.table({}), lines=lines, in_territory=n, rejected=int(n - ok.sum()))
    if bad_by_column:
        for column, text, bad in bad_by_column:
            raw = table.column(column).combine_chunks()
            for i in np.flatnonzero(bad):
                prepared.problems.append((int(lines[i]), column, text, raw[int(i)].as_py()))
        prepared.problems.sort(key=lambda p: p[0])
    rows = getattr(_Transform, rules.kind)(table, values, rules)
    if not ok.all():
        rows, prepared.lines = rows.filter(pa.array(ok)), lines[ok]
    prepared.rows, prepared.lines = keep_last(
        rows, prepared.lines, "siren" if rules.kind == "unite_legale" else "siret"
    )
    return prepared


def _absent(f: fmt.Field, n: int) -> pa.Array:
    """An optional column this release of the file does not have."""
    if f.kind in ("text", "digits", "choice", "commune"):
        return pa.array([""] * n, pa.string()) if n else pa.array([], pa.string())
    if f.kind == "bool":
        return pa.array(np.zeros(n, dtype=bool))
    kind = _TYPES[f.kind]
    if f.kind == "datetime":
        kind = pa.timestamp("us", tz=PARIS)
    return pa.nulls(n, kind)


def _protect(table: pa.Table, values: dict[str, pa.Array], rules: Rules) -> None:
    """Blank what INSEE protects unless the unit is diffusible (status O)."""
    if rules.status_column not in table.column_names:
        return
    diffusible = pc.equal(table.column(rules.status_column).combine_chunks(), "O")
    for f in rules.fields:
        if f.protected:
            v = values[f.target]
            blank = pa.scalar("", pa.string()) if pa.types.is_string(v.type) else pa.scalar(None, v.type)
            values[f.target] = pc.if_else(diffusible, v, blank)


def _join_non_empty(parts: list[pa.Array]) -> pa.Array:
    """The non-empty values of each row joined by a space (SQL's concat_ws over values made null when empty)."""
    joined = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(joined, part, " ")
        joined = pc.if_else(pc.equal(part, ""), joined, pc.if_else(pc.equal(joined, ""), part, both))
    return joined


class _Transform:
    """Registry rows of each kind of file, from checked values (`values`: target name → Arrow array)."""

    @staticmethod
    def etablissement(table: pa.Table, values: dict[str, pa.Array], rules: Rules) -> pa.Table:
        _protect(table, values, rules)
        n = table.num_rows
        commune = values["commune_code"]
        departement = departement_codes(commune)
        known = pc.is_in(commune, value_set=rules.communes) if rules.communes is not None else None
        signboard = _join_non_empty([values[f"signboard{i}"] for i in (1, 2, 3)])
        # Coordinates: those of the file (géo-SIRENE columns), else computed from Lambert-93 in metropolitan
        # France; overseas, INSEE uses local projections.
        x = values["lambert_x"].to_numpy(zero_copy_only=False)
        y = values["lambert_y"].to_numpy(zero_copy_only=False)
        metropolitan = (
            ~np.isnan(x) & ~np.isnan(y) & (x > 0) & (y > 0) & (y < 12655612)
            & ~_np(pc.is_in(departement, value_set=pa.array(OVERSEAS)))
        )  # fmt: skip
        lat, lon = lambert93_to_wgs84(np.where(metropolitan, x, _XS), np.where(metropolitan, y, 0.0))
        latitude = pc.coalesce(values["latitude"], pa.array(lat, mask=~metropolitan))
        longitude = pc.coalesce(values["longitude"], pa.array(lon, mask=~metropolitan))
        state = values["state"]
        return pa.table(
            {
                "siret": values["siret"],
                "siren": values["siren"],
                "nic": values["nic"],
                "diffusion": values["diffusion"],
                "is_head_office": values["is_head_office"],
                "state": state,
                "state_since": values["state_since"],
                "closed_on": pc.if_else(
                    pc.equal(state, "F"), values["state_since"], pa.scalar(None, pa.date32())
                ),
                "created_on": values["created_on"],
                "naf": values["naf"],
                "naf_nomenclature": values["naf_nomenclature"],
                "crafts_naf": values["crafts_naf"],
                "headcount_band": values["headcount_band"],
                "headcount_year": values["headcount_year"],
                "employer": values["employer"],
                "signboard": signboard,
                **{
                    name: values[name]
                    for name in (
                        "usual_name",
                        "address_complement",
                        "street_number",
                        "street_number_suffix",
                        "street_type",
                        "street_name",
                        "postcode",
                        "commune_label",
                        "special_distribution",
                        "cedex_code",
                        "cedex_label",
                        "foreign_country_code",
                        "foreign_country_label",
                        "address_id",
                        "commune_code",
                    )
                },  # fmt: skip
                "departement_code": departement,
                "commune_id": pc.if_else(known, commune, pa.scalar(None, pa.string()))
                if known is not None
                else pa.nulls(n, pa.string()),
                "lambert_x": values["lambert_x"],
                "lambert_y": values["lambert_y"],
                "latitude": latitude,
                "longitude": longitude,
                "geolocation_quality": pa.array([""] * n, pa.string()) if n else pa.array([], pa.string()),
                "periods_count": values["periods_count"],
                "registry_processed_at": values["registry_processed_at"],
            }
        )

    @staticmethod
    def unite_legale(table: pa.Table, values: dict[str, pa.Array], rules: Rules) -> pa.Table:
        _protect(table, values, rules)
        state = values["state"]
        names = (
            "siren", "diffusion", "purged", "name", "acronym", "usual_name", "last_name", "usage_name",
            "first_name", "pseudonym", "sex", "legal_category", "naf", "naf_nomenclature", "headcount_band",
            "headcount_year", "company_category", "company_category_year", "state", "state_since", "created_on",
            "ceased_on", "head_office_nic", "ess", "employer", "association_id", "periods_count",
            "registry_processed_at", "legal_unit_loaded",
        )  # fmt: skip
        special = {
            "first_name": pc.if_else(
                pc.equal(values["first_name"], ""), values["first_name1"], values["first_name"]
            ),
            "ceased_on": pc.if_else(
                pc.equal(state, "C"), values["state_since"], pa.scalar(None, pa.date32())
            ),
            "legal_unit_loaded": pa.array(np.ones(table.num_rows, dtype=bool)),
        }
        return pa.table({name: special[name] if name in special else values[name] for name in names})

    @staticmethod
    def geolocalisation(table: pa.Table, values: dict[str, pa.Array], rules: Rules) -> pa.Table:
        x = values["lambert_x"].to_numpy(zero_copy_only=False)
        y = values["lambert_y"].to_numpy(zero_copy_only=False)
        lambert = (
            _np(pc.equal(values["epsg"], "2154")) & ~np.isnan(x) & ~np.isnan(y) & (x > 0) & (y > 0)
            & (y < 12655612)
        )  # fmt: skip
        lat, lon = lambert93_to_wgs84(np.where(lambert, x, _XS), np.where(lambert, y, 0.0))
        return pa.table(
            {
                "siret": values["siret"],
                "lambert_x": values["lambert_x"],
                "lambert_y": values["lambert_y"],
                "geolocation_quality": values["geolocation_quality"],
                "latitude": pc.coalesce(values["latitude"], pa.array(lat, mask=~lambert)),
                "longitude": pc.coalesce(values["longitude"], pa.array(lon, mask=~lambert)),
            }
        )

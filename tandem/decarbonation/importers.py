"""Importers of installations and emissions, each through the one import framework (`tandem.imports`):
the EUTL extract (EU ETS accounts, verified emissions, free allocations, compliance codes), the Géorisques
installations classées (ICPE) table and the IREP/GEREP establishment and emission files.

Every file is read by the one reader (`tandem.imports.reader.read_table`), every row checked before anything is
written (French problems naming file, line and field), the writes done in one transaction (`import_writes`,
rolled back for a dry run). Re-importing the same file changes nothing. These importers read and write
registry data (public, not organisation-owned): they see every installation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import Point
from pyproj import Transformer

from tandem.core.problems import Report, UserError
from tandem.decarbonation.models import EmissionRecord, EtsAccount, EtsYear, Installation
from tandem.decarbonation.services import emissions_retain, flags_refresh, sync_rows
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import TextTable, read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.territories.models import Commune

MISSING = {"", "NA", "N/A", "-", "NULL", "None", "nan"}
AIRCRAFT_ACTIVITY = "10"  # EUTL main activity « Aircraft operator activities »: not a site
FIRST_EUTL_YEAR, LAST_EUTL_YEAR = 2005, 2022


def aiot_code(text: str | None) -> str:
    """The Géorisques code AIOT (10 digits) of an ICPE code as sources write it: « 0006202493 », the EUTL
    permit « 06202493 » (leading zeros dropped), the S3IC form of IREP « 062.02493 ». "" when not such a code."""
    digits = re.sub(r"[\s.]", "", text or "")
    if not digits.isdigit() or len(digits) > 10 or len(digits) < 8:
        return ""
    return digits.zfill(10)


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value in MISSING else value


def _digits(value: str | None) -> str:
    return re.sub(r"\s", "", _clean(value))


def _table(path: Path, name: str | None = None, *, multiline: bool = False) -> TextTable:
    name = name or Path(path).name
    table = read_table(Path(path), name, limits=import_limits(), multiline=multiline)
    if table.problems:
        raise UserError(f"{name} : lignes mal formées, rien n'a été importé.", table.problems)
    return table


def _require(
    table: TextTable, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, str]:
    """The file's column for each field (first alias present, case ignored); missing required ones refused."""
    lower = {c.lower(): c for c in table.header}
    found = {}
    for key, aliases in columns.items():
        column = next((lower[a.lower()] for a in aliases if a.lower() in lower), None)
        if column:
            found[key] = column
    missing = [columns[k][0] for k in required if k not in found]
    if missing:
        raise UserError(
            f"{table.name} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} ; rien n'a été importé.",
        )
    return found


@dataclass(frozen=True)
class CommuneRef:
    pk: str
    name: str
    departement_id: str
    centroid_lat: float | None
    centroid_lon: float | None


class CommuneIndex:
    """Communes of the loaded geography by INSEE code and by postcode (one query)."""

    def __init__(self):
        self.by_code: dict[str, CommuneRef] = {}
        self.by_postcode: dict[str, list[CommuneRef]] = defaultdict(list)
        # Tuples, not model instances: 35,000 communes are read by every import.
        for code, name, departement, postcodes, lat, lon in Commune.objects.filter(
            is_current=True
        ).values_list("code", "name", "departement_id", "postal_codes", "centroid_lat", "centroid_lon"):
            commune = CommuneRef(code, name, departement, lat, lon)
            self.by_code[code] = commune
            for postcode in postcodes or ():
                self.by_postcode[postcode].append(commune)

    def find(self, *, code: str = "", postcode: str = "", city: str = "") -> CommuneRef | None:
        if code and code in self.by_code:
            return self.by_code[code]
        candidates = self.by_postcode.get(postcode, [])
        if len(candidates) == 1:
            return candidates[0]
        folded = _fold(city)
        named = [c for c in candidates if _fold(c.name) == folded]
        return named[0] if len(named) == 1 else None


def _fold(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _departement(commune: CommuneRef | None, postcode: str) -> str:
    if commune is not None:
        return commune.departement_id
    if len(postcode) == 5 and postcode.isdigit():
        return postcode[:2] if postcode[:2] != "97" else postcode[:3]
    return ""


def _number(text: str, *, name: str, line: int, column: str, report: Report) -> float | None:
    text = _clean(text)
    if not text:
        return None
    try:
        return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        report.error(name, line, column, "nombre attendu", text)
        return None


# --- EUTL ---------------------------------------------------------------------------------------------------
EUTL_COLUMNS = {
    "eutl_id": ("InstallationOrAircraftOperatorID",),
    "holder": ("AccountHolderName",),
    "status": ("AccountStatus",),
    "registration_no": ("CompanyRegistrationNo",),
    "installation_name": ("InstallationNameOrAircraftOperatorCode",),
    "parent_company": ("ParentCompany",),
    "eprtr_id": ("EPRTRIdentification",),
    "first_year": ("FirstYearOfEmissions",),
    "last_year": ("LastYearOfEmissions",),
    "permit_id": ("PermitOrPlanID",),
    "latitude": ("Latitude",),
    "longitude": ("Longitude",),
    "address": ("Address1",),
    "city": ("City",),
    "postcode": ("ZipCode",),
    "activity_code": ("MainActivityTypeCode",),
    "activity_label": ("MainActivityTypeCodeLookup",),
}
EUTL_REQUIRED = ("eutl_id", "holder", "permit_id", "postcode", "activity_code")
VERIFIED_STATUSES = {"Excluded": "exclue", "Not Reported": "non déclarée"}
# EUTL main activity codes → French sector labels (the « kind » of the geocoded extract).
ETS_ACTIVITY_LABELS = {
    "1": "Combustion",
    "20": "Combustion",
    "2": "Raffinage",
    "21": "Raffinage",
    "3": "Cokeries",
    "22": "Cokeries",
    "4": "Métallurgie",
    "5": "Métallurgie",
    "23": "Métallurgie",
    "24": "Métallurgie",
    "25": "Métallurgie",
    "26": "Métallurgie",
    "27": "Métallurgie",
    "28": "Métallurgie",
    "6": "Ciment et chaux",
    "29": "Ciment et chaux",
    "30": "Ciment et chaux",
    "7": "Verre et céramique",
    "31": "Verre et céramique",
    "8": "Verre et céramique",
    "32": "Verre et céramique",
    "33": "Verre et céramique",
    "34": "Verre et céramique",
    "9": "Papier",
    "35": "Papier",
    "36": "Papier",
    "37": "Chimie",
    "38": "Chimie",
    "39": "Chimie",
    "40": "Chimie",
    "41": "Chimie",
    "42": "Chimie",
    "43": "Chimie",
    "44": "Chimie",
    "45": "Captage et stockage du carbone",
    "46": "Captage et stockage du carbone",
    "47": "Captage et stockage du carbone",
    "99": "Autres activités",
}


@dataclass
class EutlRow:
    line: int
    values: dict
    years: dict = field(
        default_factory=dict
    )  # year -> (verified_t, verified_status, free_allocation, compliance)


def _eutl_rows(table: TextTable, columns: dict[str, str], report: Report) -> list[EutlRow]:
    header = set(table.header)
    rows = []
    seen: dict[str, int] = {}
    for line, record in table.records():
        values = {key: _clean(record.get(column)) for key, column in columns.items()}
        if values["activity_code"] == AIRCRAFT_ACTIVITY:
            continue
        if not values["eutl_id"].isdigit():
            report.error(
                table.name, line, columns["eutl_id"], "identifiant EUTL numérique attendu", values["eutl_id"]
            )
            continue
        if values["eutl_id"] in seen:
            report.error(
                table.name,
                line,
                columns["eutl_id"],
                f"compte déjà présent ligne {seen[values['eutl_id']]}",
                values["eutl_id"],
            )
            continue
        seen[values["eutl_id"]] = line
        row = EutlRow(line, values)
        for year in range(FIRST_EUTL_YEAR, LAST_EUTL_YEAR + 1):
            verified_col, free_col, comp_col = (
                f"VerifiedEmissions_{year}",
                f"FreeAllocations_{year}",
                f"ComplianceCode_{year}",
            )
            if verified_col not in header:
                continue
            raw = (record.get(verified_col) or "").strip()
            status = VERIFIED_STATUSES.get(raw, "")
            verified = (
                None
                if status
                else _number(raw, name=table.name, line=line, column=verified_col, report=report)
            )
            free = _number(
                record.get(free_col, ""), name=table.name, line=line, column=free_col, report=report
            )
            compliance = _clean(record.get(comp_col))[:3]
            if verified is None and free is None and not status and not compliance:
                continue
            row.years[year] = (
                None if verified is None else round(verified),
                status,
                None if free is None else round(free),
                compliance,
            )
        rows.append(row)
    return rows


def _eutl_points(path: Path | None) -> dict[str, tuple[float, float]]:
    """Postcode-centroid positions of installations from the geocoded long extract (`emissions-FR-geo.csv`)."""
    if path is None:
        return {}
    table = _table(path)
    columns = _require(table, {"id": ("seqe_id",), "x": ("X",), "y": ("Y",)}, ("id", "x", "y"))
    points = {}
    for _line, record in table.records():
        try:
            points[record[columns["id"]].strip()] = (float(record[columns["x"]]), float(record[columns["y"]]))
        except ValueError:
            continue
    return points


def eutl_import(
    *,
    path: Path,
    points_path: Path | None = None,
    actor=None,
    dry_run: bool = False,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import the EUTL installations extract (`installations-FR.csv`: one row per account, per-year columns).
    Aircraft operators are left out. Accounts sharing a permit (code AIOT) form one installation, whose EUTL
    emissions are the sum of its accounts' verified emissions of each year (flagged « comptes agrégés »).
    `points_path`: the geocoded long extract, for postcode-centroid positions (flagged as approximate)."""
    paths = [Path(path)] + ([Path(points_path)] if points_path else [])
    run = import_run_start(kind=ImportRun.Kind.EUTL, actor=actor, paths=paths, dry_run=dry_run, run=run)
    with import_run_guard(run):
        table = _table(path)
        columns = _require(table, EUTL_COLUMNS, EUTL_REQUIRED)
        report = Report()
        rows = _eutl_rows(table, columns, report)
        report.raise_if_errors(f"{table.name} : fichier refusé, rien n'a été importé.")
        points = _eutl_points(points_path)
        communes = CommuneIndex()
        with import_writes(run):
            counts = _eutl_write(rows, points, communes, report, table.name)
        return import_run_finish(
            run=run,
            status=ImportRun.Status.DONE,
            problems=report.warnings,
            details=counts["details"],
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
        )


def _site_key(row: EutlRow) -> str:
    return aiot_code(row.values["permit_id"]) or f"eutl:{row.values['eutl_id']}"


def _eutl_write(rows: list[EutlRow], points, communes: CommuneIndex, report: Report, name: str) -> dict:
    by_site: dict[str, list[EutlRow]] = defaultdict(list)
    for row in rows:
        by_site[_site_key(row)].append(row)
    # Installations: one per AIOT code (or per account without a usable permit)
    accounts_by_id = {a.eutl_id: a for a in EtsAccount.objects.select_related("installation")}
    existing_by_aiot = {i.aiot_code: i for i in Installation.objects.exclude(aiot_code="")}
    site_rows, site_keys = [], []
    for key, group in by_site.items():
        # The open account (else the latest) describes the site.
        lead = max(
            group, key=lambda r: (r.values["status"] == "open", int(r.values["last_year"] or 0), r.line)
        )
        v = lead.values
        postcode = v["postcode"][:5]
        commune = communes.find(postcode=postcode, city=v["city"])
        # The lead account's SIREN, else another account's (a closed account may carry the only one).
        sirens = [re.sub(r"\s", "", r.values["registration_no"]) for r in [lead, *group]]
        siren = next((x for x in sirens if len(x) == 9 and x.isdigit()), "")
        lat, lon = _float(v["latitude"]), _float(v["longitude"])
        if lat and lon:
            point, quality = Point(lon, lat, srid=4326), Installation.PointQuality.SITE
        elif v["eutl_id"] in points:
            point, quality = Point(*points[v["eutl_id"]], srid=4326), Installation.PointQuality.POSTCODE
        elif commune is not None and commune.centroid_lat is not None:
            point = Point(commune.centroid_lon, commune.centroid_lat, srid=4326)
            quality = Installation.PointQuality.COMMUNE
        else:
            point, quality = None, Installation.PointQuality.NONE
        site_rows.append(
            {
                "aiot_code": key if not key.startswith("eutl:") else "",
                "name": (v["installation_name"] or v["holder"])[:255],
                "operator_name": v["holder"][:255],
                "parent_company": v["parent_company"][:255],
                "siren": siren if len(siren) == 9 and siren.isdigit() else "",
                "address": v["address"][:255],
                "postcode": postcode,
                "city": v["city"][:150],
                "commune_id": commune.pk if commune else None,
                "departement_code": _departement(commune, postcode),
                "activity_label": v["activity_label"][:255],
                "sector": ETS_ACTIVITY_LABELS.get(v["activity_code"], "Autres activités"),
                "point": point,
                "point_quality": quality,
                "in_ets": True,
            }
        )
        site_keys.append(key)
        if key.startswith("eutl:"):
            report.warning(
                name,
                lead.line,
                "PermitOrPlanID",
                "numéro d'autorisation qui n'est pas un code ICPE (AIOT) : installation isolée, non rapprochée",
                v["permit_id"],
            )
    # Match each site to its installation: by AIOT code, else through an account already imported.
    installations, created = [], 0
    updated = unchanged = 0
    to_create = []
    for key, values in zip(site_keys, site_rows, strict=True):
        inst = existing_by_aiot.get(key) if not key.startswith("eutl:") else None
        if inst is None:
            known = next(
                (
                    accounts_by_id[r.values["eutl_id"]]
                    for r in by_site[key]
                    if r.values["eutl_id"] in accounts_by_id
                ),
                None,
            )
            inst = known.installation if known else None
        if inst is None:
            inst = Installation(**values)
            to_create.append(inst)
        else:
            changed = [f for f, val in values.items() if _differs(getattr(inst, f), val)]
            if changed:
                for f in changed:
                    setattr(inst, f, values[f])
                inst.save(update_fields=[*changed, "updated_at"])
                updated += 1
            else:
                unchanged += 1
        installations.append(inst)
    Installation.objects.bulk_create(to_create)
    created = len(to_create)
    site_of = {key: inst for key, inst in zip(site_keys, installations, strict=True)}
    # Accounts
    account_rows = []
    for key, group in by_site.items():
        for row in group:
            v = row.values
            account_rows.append(
                {
                    "eutl_id": v["eutl_id"],
                    "installation_id": site_of[key].pk,
                    "holder": v["holder"][:255],
                    "installation_name": v["installation_name"][:255],
                    "status": v["status"][:30],
                    "permit_id": v["permit_id"][:40],
                    "registration_no": v["registration_no"][:40],
                    "eprtr_id": v["eprtr_id"][:20],
                    "activity_code": v["activity_code"][:5],
                    "activity_label": v["activity_label"][:200],
                    "first_year": _year(v["first_year"]),
                    "last_year": _year(v["last_year"]),
                }
            )
    account_counts = sync_rows(EtsAccount, ("eutl_id",), account_rows, EtsAccount.objects.all(), delete=False)
    account_ids = dict(EtsAccount.objects.values_list("eutl_id", "pk"))
    year_rows = [
        {
            "account_id": account_ids[row.values["eutl_id"]],
            "year": year,
            "verified_t": verified,
            "verified_status": status,
            "free_allocation": free,
            "compliance_code": compliance,
        }
        for group in by_site.values()
        for row in group
        for year, (verified, status, free, compliance) in row.years.items()
    ]
    year_counts = sync_rows(
        EtsYear,
        ("account_id", "year"),
        year_rows,
        EtsYear.objects.filter(account_id__in=[account_ids[r.values["eutl_id"]] for r in rows]),
    )
    # One EUTL record per installation and year: the sum of its accounts' verified emissions.
    totals: dict[tuple[int, int], float] = defaultdict(float)
    accounts_per: dict[tuple[int, int], int] = defaultdict(int)
    for key, group in by_site.items():
        for row in group:
            for year, (verified, _status, _free, _comp) in row.years.items():
                if verified is not None:
                    totals[(site_of[key].pk, year)] += verified
                    accounts_per[(site_of[key].pk, year)] += 1
    emission_rows = [
        {
            "installation_id": inst_id,
            "year": year,
            "source": EmissionRecord.Source.EUTL,
            "variant": EmissionRecord.Variant.VERIFIED,
            "value_t": value,
            "confidence": 1.0,
            "note": f"somme de {accounts_per[(inst_id, year)]} comptes"
            if accounts_per[(inst_id, year)] > 1
            else "",
        }
        for (inst_id, year), value in totals.items()
    ]
    site_ids = [i.pk for i in installations]
    emission_counts = sync_rows(
        EmissionRecord,
        ("installation_id", "year", "source", "variant"),
        emission_rows,
        EmissionRecord.objects.filter(installation_id__in=site_ids, source=EmissionRecord.Source.EUTL),
    )
    emissions_retain(installation_ids=site_ids)
    flags_refresh(installation_ids=site_ids)
    changed = (
        account_counts["created"]
        + account_counts["updated"]
        + year_counts["created"]
        + year_counts["updated"]
    )
    changed += (
        year_counts["removed"]
        + emission_counts["created"]
        + emission_counts["updated"]
        + emission_counts["removed"]
    )
    return {
        "created": created,
        # installations changed, and account rows and account years changed (created, modified or removed)
        "updated": updated
        + changed
        - emission_counts["created"]
        - emission_counts["updated"]
        - emission_counts["removed"],
        "unchanged": unchanged,
        "details": {
            "installations": len(installations),
            "comptes": len(account_rows),
            "comptes créés": account_counts["created"],
            "années de comptes": len(year_rows),
            "émissions annuelles": len(emission_rows),
            "émissions modifiées": emission_counts["created"]
            + emission_counts["updated"]
            + emission_counts["removed"],
            "années modifiées": year_counts["created"] + year_counts["updated"] + year_counts["removed"],
        },
    }


def _differs(current, new) -> bool:
    if isinstance(new, Point) or isinstance(current, Point):
        if current is None or new is None:
            return current is not new
        return abs(current.x - new.x) > 1e-7 or abs(current.y - new.y) > 1e-7
    return current != new


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value or None


def _year(text: str) -> int | None:
    return int(text) if text and text.isdigit() and 1900 < int(text) < 2100 else None


# --- ICPE (Géorisques) --------------------------------------------------------------------------------------
ICPE_COLUMNS = {
    "aiot": ("code_aiot", "code aiot", "aiot"),
    "name": ("nom_ets", "nom", "nom_etablissement", "raison_sociale"),
    "siret": ("num_siret_site", "num_siret", "siret"),
    "siret_alt": ("siret",),
    "commune_code": ("cd_insee", "code_insee"),
    "postcode": ("cd_postal", "code_postal"),
    "city": ("commune",),
    "address": ("adresse",),
    "naf": ("code_naf", "code_naf_division"),
    "naf_label": ("lib_naf",),
    "regime": ("lib_regime", "regime"),
    "seveso": ("lib_seveso", "seveso"),
    "rubriques": ("rubriques", "rubriques_icpe"),
    "lon": ("lon", "longitude"),
    "lat": ("lat", "latitude"),
    "url": ("url_fiche",),
}
ICPE_REQUIRED = ("aiot", "name")


def icpe_import(*, path: Path, actor=None, dry_run: bool = False, run: ImportRun | None = None) -> ImportRun:
    """Import a Géorisques installations classées table (WFS `InstallationsClassees` layout or the Seveso
    extract): code AIOT, SIRET, régime, Seveso status, rubriques, position. One installation per code AIOT;
    an installation already known by that code (an ETS site) gains its ICPE data."""
    run = import_run_start(
        kind=ImportRun.Kind.ICPE, actor=actor, paths=[Path(path)], dry_run=dry_run, run=run
    )
    with import_run_guard(run):
        table = _table(path)
        columns = _require(table, ICPE_COLUMNS, ICPE_REQUIRED)
        report = Report()
        communes = CommuneIndex()
        rows: dict[str, dict] = {}
        lines: dict[str, int] = {}
        for line, record in table.records():
            v = {key: _clean(record.get(column)) for key, column in columns.items()}
            code = aiot_code(v["aiot"])
            if not code:
                report.error(table.name, line, columns["aiot"], "code AIOT (10 chiffres) attendu", v["aiot"])
                continue
            if code in rows:
                report.error(
                    table.name, line, columns["aiot"], f"code AIOT déjà présent ligne {lines[code]}", code
                )
                continue
            siret = _digits(v.get("siret")) or _digits(v.get("siret_alt"))
            if siret and not (len(siret) == 14 and siret.isdigit()):
                report.warning(
                    table.name,
                    line,
                    columns["siret"],
                    "SIRET invalide (14 chiffres attendus) : ignoré",
                    siret,
                )
                siret = ""
            commune = communes.find(
                code=v.get("commune_code", ""), postcode=v.get("postcode", ""), city=v.get("city", "")
            )
            lon, lat = _float(v.get("lon", "")), _float(v.get("lat", ""))
            rubriques = sorted({r.strip() for r in v.get("rubriques", "").split("|") if r.strip()})
            bad = [r for r in rubriques if not re.fullmatch(r"\d{4}(-\d+)?[a-z]?", r)]
            if bad:
                report.error(
                    table.name,
                    line,
                    columns["rubriques"],
                    "rubrique ICPE non reconnue (4 chiffres attendus)",
                    bad[0],
                )
            naf = v.get("naf", "").replace(".", "")
            rows[code] = {
                "aiot_code": code,
                "name": v["name"][:255],
                "siret": siret,
                "siren": siret[:9] if siret else "",
                "address": v.get("address", "")[:255],
                "postcode": v.get("postcode", "")[:5],
                "city": v.get("city", "")[:150],
                "commune_id": commune.pk if commune else None,
                "departement_code": _departement(commune, v.get("postcode", "")),
                "naf": naf[:6],
                "activity_label": v.get("naf_label", "")[:255],
                "icpe_regime": v.get("regime", "")[:40],
                "seveso": v.get("seveso", "")[:40],
                "rubriques": rubriques,
                "icpe_url": v.get("url", "")[:200],
                "point": Point(lon, lat, srid=4326) if lon and lat else None,
                "point_quality": Installation.PointQuality.SITE
                if lon and lat
                else Installation.PointQuality.NONE,
                "in_icpe": True,
            }
            lines[code] = line
        report.raise_if_errors(f"{table.name} : fichier refusé, rien n'a été importé.")
        with import_writes(run):
            existing = {i.aiot_code: i for i in Installation.objects.filter(aiot_code__in=list(rows))}
            created = updated = unchanged = 0
            new = []
            for code, values in rows.items():
                inst = existing.get(code)
                if inst is None:
                    new.append(Installation(**values))
                    continue
                if inst.in_ets:
                    # The ETS site keeps its EUTL identity (name, operator, SIREN); ICPE adds what it knows.
                    values = {
                        k: val
                        for k, val in values.items()
                        if k not in ("name",) and (val or k == "rubriques")
                    }
                    if inst.point_quality == Installation.PointQuality.SITE or values.get("point") is None:
                        values.pop("point", None)
                        values.pop("point_quality", None)
                changed = [f for f, val in values.items() if _differs(getattr(inst, f), val)]
                if changed:
                    for f in changed:
                        setattr(inst, f, values[f])
                    inst.save(update_fields=[*changed, "updated_at"])
                    updated += 1
                else:
                    unchanged += 1
            Installation.objects.bulk_create(new)
            created = len(new)
            ids = [i.pk for i in new] + [i.pk for i in existing.values()]
            flags_refresh(installation_ids=ids)
        return import_run_finish(
            run=run,
            status=ImportRun.Status.DONE,
            problems=report.warnings,
            created=created,
            updated=updated,
            unchanged=unchanged,
            details={"installations": len(rows)},
        )


# --- IREP / GEREP -------------------------------------------------------------------------------------------
IREP_SITE_COLUMNS = {
    "id": ("identifiant",),
    "name": ("nom_etablissement",),
    "siret": ("numero_siret",),
    "commune_code": ("code_insee",),
    "postcode": ("code_postal",),
    "city": ("commune",),
    "address": ("adresse",),
    "x": ("coordonnees_x",),
    "y": ("coordonnees_y",),
    "epsg": ("code_epsg",),
    "naf": ("code_ape",),
    "naf_label": ("libelle_ape",),
}
IREP_EMISSION_COLUMNS = {
    "id": ("identifiant",),
    "year": ("annee_emission",),
    "medium": ("milieu",),
    "pollutant": ("polluant",),
    "quantity": ("quantite",),
    "unit": ("unite",),
}
# IREP's three CO2 variants: never added up (EmissionRecord.retained picks one).
IREP_CO2_VARIANTS = {
    "co2 total (co2 d'origine biomasse et non biomasse)": EmissionRecord.Variant.TOTAL,
    "co2 total d'origine non biomasse uniquement": EmissionRecord.Variant.NON_BIOMASS,
    "co2 total d'origine biomasse uniquement": EmissionRecord.Variant.BIOMASS,
}
UNIT_TONNES = {"t/an": 1.0, "kg/an": 0.001, "g/an": 1e-6}
# The 2015 national archive gives coordinates in Lambert II étendu without a code_epsg column.
IREP_DEFAULT_EPSG = 27572


def irep_import(
    *, sites_path: Path, emissions_path: Path, actor=None, dry_run: bool = False, run: ImportRun | None = None
) -> ImportRun:
    """Import an IREP/GEREP year: `etablissements.csv` (identifiant, nom, numero_siret, code_insee, coordinates,
    code_epsg) and `emissions.csv` (identifiant, annee_emission, milieu, polluant, quantite, unite). Only the
    CO2 air emissions are kept, each of the three variants as its own record (biomass, non-biomass, total).
    The identifiant is the ICPE code (S3IC form « 067.00847 »): a site already known by its code AIOT (an ETS
    site) gains its IREP records, which its EUTL figure outranks."""
    paths = [Path(sites_path), Path(emissions_path)]
    run = import_run_start(kind=ImportRun.Kind.IREP, actor=actor, paths=paths, dry_run=dry_run, run=run)
    with import_run_guard(run):
        sites_table = _table(sites_path, multiline=True)
        emissions_table = _table(emissions_path, multiline=True)
        site_cols = _require(sites_table, IREP_SITE_COLUMNS, ("id", "name"))
        em_cols = _require(
            emissions_table, IREP_EMISSION_COLUMNS, ("id", "year", "pollutant", "quantity", "unit")
        )
        report = Report()
        communes = CommuneIndex()
        transformers: dict[int, Transformer] = {}
        sites: dict[str, dict] = {}
        for line, record in sites_table.records():
            v = {key: _clean(record.get(column)) for key, column in site_cols.items()}
            if v["id"] in sites:
                report.error(sites_table.name, line, site_cols["id"], "identifiant déjà présent", v["id"])
                continue
            siret = _digits(v.get("siret"))
            if siret and not (len(siret) == 14 and siret.isdigit()):
                report.warning(sites_table.name, line, site_cols["siret"], "SIRET invalide : ignoré", siret)
                siret = ""
            point = None
            x, y = _float(v.get("x", "")), _float(v.get("y", ""))
            if x and y:
                epsg = v.get("epsg") or str(IREP_DEFAULT_EPSG)
                if not epsg.isdigit():
                    report.error(
                        sites_table.name,
                        line,
                        site_cols.get("epsg", "code_epsg"),
                        "code EPSG numérique attendu",
                        epsg,
                    )
                    continue
                if int(epsg) not in transformers:
                    transformers[int(epsg)] = Transformer.from_crs(
                        f"EPSG:{epsg}", "EPSG:4326", always_xy=True
                    )
                lon, lat = transformers[int(epsg)].transform(x, y)
                point = Point(round(lon, 6), round(lat, 6), srid=4326)
            commune = communes.find(
                code=v.get("commune_code", ""), postcode=v.get("postcode", ""), city=v.get("city", "")
            )
            sites[v["id"]] = {
                "line": line,
                "aiot_code": aiot_code(v["id"]),
                "irep_id": v["id"][:20],
                "name": v["name"][:255],
                "siret": siret,
                "siren": siret[:9],
                "address": v.get("address", "")[:255],
                "postcode": v.get("postcode", "")[:5],
                "city": v.get("city", "")[:150],
                "commune_id": commune.pk if commune else None,
                "departement_code": _departement(commune, v.get("postcode", "")),
                "naf": v.get("naf", "").replace(".", "")[:6],
                "activity_label": v.get("naf_label", "")[:255],
                "point": point,
                "point_quality": Installation.PointQuality.SITE if point else Installation.PointQuality.NONE,
                "in_irep": True,
            }
        values: dict[tuple[str, int, str], float] = {}
        for line, record in emissions_table.records():
            v = {key: _clean(record.get(column)) for key, column in em_cols.items()}
            variant = IREP_CO2_VARIANTS.get(v["pollutant"].lower())
            if variant is None or (v.get("medium") and v["medium"].lower() != "air"):
                continue
            if v["id"] not in sites:
                report.error(
                    emissions_table.name,
                    line,
                    em_cols["id"],
                    "établissement absent du fichier des établissements",
                    v["id"],
                )
                continue
            year = _year(v["year"])
            if year is None:
                report.error(emissions_table.name, line, em_cols["year"], "année attendue", v["year"])
                continue
            factor = UNIT_TONNES.get(v["unit"].lower().replace(" ", ""))
            if factor is None:
                report.error(
                    emissions_table.name,
                    line,
                    em_cols["unit"],
                    "unité inconnue (t/an, kg/an ou g/an attendue)",
                    v["unit"],
                )
                continue
            quantity = _number(
                v["quantity"], name=emissions_table.name, line=line, column=em_cols["quantity"], report=report
            )
            if quantity is None:
                continue
            key = (v["id"], year, variant)
            if key in values:
                report.error(
                    emissions_table.name,
                    line,
                    em_cols["pollutant"],
                    "valeur déjà donnée pour cet établissement et cette année",
                    v["pollutant"],
                )
                continue
            values[key] = quantity * factor
        report.raise_if_errors("Fichiers IREP refusés, rien n'a été importé.")
        with import_writes(run):
            counts = _irep_write(sites, values)
        return import_run_finish(
            run=run,
            status=ImportRun.Status.DONE,
            problems=report.warnings,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            details=counts["details"],
        )


def _irep_write(sites: dict[str, dict], values: dict) -> dict:
    with_co2 = {identifiant for identifiant, _y, _v in values}
    by_aiot = {
        i.aiot_code: i
        for i in Installation.objects.filter(
            aiot_code__in=[s["aiot_code"] for s in sites.values() if s["aiot_code"]]
        )
    }
    by_irep = {i.irep_id: i for i in Installation.objects.filter(irep_id__in=list(sites))}
    created = updated = unchanged = 0
    new, installation_of = [], {}
    for identifiant, site in sites.items():
        if identifiant not in with_co2:
            continue  # establishments without CO2 declarations are not decarbonation sites
        fields = {k: v for k, v in site.items() if k != "line"}
        inst = by_irep.get(identifiant) or (by_aiot.get(site["aiot_code"]) if site["aiot_code"] else None)
        if inst is None:
            inst = Installation(**fields)
            new.append(inst)
        else:
            if inst.in_ets or inst.in_icpe:
                keep = {"irep_id", "in_irep", "naf", "activity_label"} | (
                    {"siret", "siren"} if not inst.siret else set()
                )
                keep |= (
                    {"point", "point_quality"}
                    if inst.point_quality != Installation.PointQuality.SITE and site["point"]
                    else set()
                )
                fields = {k: v for k, v in fields.items() if k in keep and (v or k == "in_irep")}
            changed = [f for f, val in fields.items() if _differs(getattr(inst, f), val)]
            if changed:
                for f in changed:
                    setattr(inst, f, fields[f])
                inst.save(update_fields=[*changed, "updated_at"])
                updated += 1
            else:
                unchanged += 1
        installation_of[identifiant] = inst
    Installation.objects.bulk_create(new)
    created = len(new)
    rows = [
        {
            "installation_id": installation_of[identifiant].pk,
            "year": year,
            "source": EmissionRecord.Source.IREP,
            "variant": variant,
            "value_t": round(value, 3),
            "confidence": 0.9,
            "note": "",
        }
        for (identifiant, year, variant), value in values.items()
    ]
    ids = [i.pk for i in installation_of.values()]
    counts = sync_rows(
        EmissionRecord,
        ("installation_id", "year", "source", "variant"),
        rows,
        EmissionRecord.objects.filter(installation_id__in=ids, source=EmissionRecord.Source.IREP),
    )
    emissions_retain(installation_ids=ids)
    flags_refresh(installation_ids=ids)
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "details": {
            "établissements déclarant du CO2": len(installation_of),
            "valeurs CO2": len(rows),
            "émissions modifiées": counts["created"] + counts["updated"] + counts["removed"],
        },
    }

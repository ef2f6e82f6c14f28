"""Importers of the jobs-and-skills facts, through the one import framework (`tandem.imports`): every row is
checked first (French errors naming file, line and field), then written in one transaction; a refused import
or a dry run writes nothing; importing the same file again changes nothing.

- `rome_import`: France Travail's ROME referential (codes and job titles, v4.60 layout).
- `tension_import`: Dares / France Travail tension indicators by ROME × bassin d'emploi (`;`, comma decimals,
  quintiles 1–5) with the commune → bassin 2019 table.

Bassins 2019 and BMO bassins: the tension file uses the 2019 zoning (BE19), the BMO survey the 2024 one (BE24).
Both are attached to territories through their OWN commune table (never by matching bassin codes), so a
boundary change between 2019 and 2024 follows the communes. In Grand Est the 43 BE19 codes are the 43 BE24
codes (checked by tests/skills/test_importers.py).

The BMO survey itself is imported by `tandem.prospects.labour.bmo_import` (the one BMO model).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tandem.core.audit import audit_record
from tandem.core.errors import Report, UserError
from tandem.core.models import AuditEvent
from tandem.core.problems import Problem
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.skills.crosswalk import (
    derive_formacode_rome,
    propose_rome_fap,
    read_dares_table,
    read_fap,
    read_rome_domains,
)
from tandem.skills.crosswalk.sources import ROME_CODE, FapPost, RomeJob, xlsx_rows
from tandem.skills.crosswalk.sources import FormacodeRome as FormacodeRomeLink
from tandem.skills.crosswalk.text import fold
from tandem.skills.models import (
    INDICATORS,
    Certification,
    FormacodeRome,
    RomeCode,
    RomeFapPair,
    RomeFapReview,
    RomeTitle,
    SectorSeekers,
    Tension,
    TensionBasin,
    TensionBasinCommune,
    TrainingSession,
)
from tandem.skills.models import FapPost as FapPostModel
from tandem.territories.models import Commune

BASIN_CODE = re.compile(r"^\d{4}$")
COMMUNE_CODE = re.compile(r"^\d[\dAB]\d{3}$")
OGR_CODE = re.compile(r"^\d{1,10}$")
ROME_COLUMNS = ["code_rome", "libelle_rome", "code_rome_parent", "transition_eco", "emploi_cadre"]
TITLE_COLUMNS = ["code_ogr", "libelle_appellation_long", "code_rome"]
TENSION_COLUMNS = {
    "annee": "year",
    "ROME": "rome_code",
    "cbassin": "basin",
    "oee": "offers",
    "defm_abc": "seekers",
    "ind_tension_d": "tension",
    "ind_int_emb_d": "hiring_intensity",
    "ind_main_oeuvre_d": "labour_shortage",
    "ind_dur_empl_d": "lasting_jobs",
    "ind_cond_travail_d": "working_conditions",
    "ind_mismatch_geo_d": "geographic_mismatch",
    "ind_specif_form_empl_d": "training_specificity",
}
BASSIN_COMMUNE_COLUMNS = ["CODE_COMMUNE_INSEE", "BE19", "NOMBE19"]
SECTOR_COLUMNS = ["code_bassin", "demandeurs_emploi", "secteur_libelle"]
MISSING = {"", "NA", "N/A", "nd", "ND", "*"}


@dataclass
class SkillsImportResult:
    created: int
    updated: int
    unchanged: int
    notes: list[str]
    run: ImportRun | None = None


def _rows(path: Path, required: list[str], report: Report) -> list[tuple[int, dict]]:
    path = Path(path)
    table = read_table(path, path.name, limits=import_limits())
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    missing = [c for c in required if c not in table.header]
    if missing:
        report.error(path.name, 1, None, f"colonne(s) manquante(s) : {', '.join(missing)}")
        report.raise_if_errors(f"{path.name} : fichier refusé, rien n'a été écrit.")
    return table.records()


def _run(kind, actor, paths, dry_run, run, read, write, name) -> SkillsImportResult:
    run = import_run_start(kind=kind, actor=actor, paths=[Path(p) for p in paths], dry_run=dry_run, run=run)
    with import_run_guard(run):
        data, warnings = read()
        with import_writes(run):
            result = write(data)
            audit_record(
                actor=actor,
                action=AuditEvent.Action.IMPORT,
                object_type=name,
                details={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
    result.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=warnings,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        details={"notes": result.notes},
    )
    return result


def _sync(model, key: str, rows: dict[str, dict], fields: list[str]) -> tuple[int, int, int]:
    """Create what is new, update what changed, count what is the same (rows by primary key)."""
    before = model.objects.in_bulk(list(rows))
    create, update, same = [], [], 0
    for pk, values in rows.items():
        obj = before.get(pk)
        if obj is None:
            create.append(model(**{key: pk}, **values))
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            update.append(obj)
        else:
            same += 1
    model.objects.bulk_create(create, batch_size=2000)
    model.objects.bulk_update(update, fields, batch_size=2000)
    return len(create), len(update), same


# --- ROME ---------------------------------------------------------------------------------------------------
def rome_import(
    *, actor, codes_path: Path, titles_path: Path, version: str = "", dry_run: bool = False, run=None
) -> SkillsImportResult:
    """Import the ROME codes and their job titles (France Travail open-data layout)."""

    def read():
        report = Report()
        codes_name, titles_name = Path(codes_path).name, Path(titles_path).name
        codes: dict[str, dict] = {}
        for line, row in _rows(codes_path, ROME_COLUMNS, report):
            code = row["code_rome"].strip()
            if not ROME_CODE.match(code):
                report.error(
                    codes_name, line, "code_rome", "code ROME attendu (lettre A à N et 4 chiffres)", code
                )
                continue
            if code in codes:
                report.error(codes_name, line, "code_rome", "code ROME en double", code)
                continue
            parent = row["code_rome_parent"].strip() or code
            if not ROME_CODE.match(parent):
                report.error(codes_name, line, "code_rome_parent", "code ROME attendu", parent)
            label = row["libelle_rome"].strip()
            if not label:
                report.error(codes_name, line, "libelle_rome", "intitulé vide")
            codes[code] = {
                "label": label[:200],
                "parent": parent,
                "green": row["transition_eco"].strip()[:80],
                "executive": {"O": True, "N": False}.get(row["emploi_cadre"].strip().upper()),
                "version": version,
            }
        titles: dict[str, dict] = {}
        for line, row in _rows(titles_path, TITLE_COLUMNS, report):
            ogr, code = row["code_ogr"].strip(), row["code_rome"].strip()
            if not OGR_CODE.match(ogr):
                report.error(titles_name, line, "code_ogr", "code OGR numérique attendu", ogr)
                continue
            if code not in codes:
                report.error(titles_name, line, "code_rome", "code ROME absent du fichier des codes", code)
                continue
            if ogr in titles:
                report.error(titles_name, line, "code_ogr", "appellation en double", ogr)
                continue
            titles[ogr] = {"label": row["libelle_appellation_long"].strip()[:250], "rome_id": code}
        report.raise_if_errors("Import du référentiel ROME refusé : aucune ligne n'a été écrite.")
        return (codes, titles), report.warnings

    def write(data):
        codes, titles = data
        c = _sync(RomeCode, "code", codes, ["label", "parent", "green", "executive", "version"])
        t = _sync(RomeTitle, "code_ogr", titles, ["label", "rome_id"])
        return SkillsImportResult(
            c[0] + t[0],
            c[1] + t[1],
            c[2] + t[2],
            [f"{len(codes)} code(s) ROME, {len(titles)} appellation(s)"],
        )

    return _run(
        ImportRun.Kind.ROME, actor, [codes_path, titles_path], dry_run, run, read, write, "skills.romecode"
    )


# --- tension indicators -------------------------------------------------------------------------------------
def _decimal(report: Report, name: str, line: int, field: str, value: str) -> float | None:
    """A French decimal (« 16,95 ») or a dot decimal; missing stays missing."""
    value = (value or "").strip()
    if value in MISSING:
        return None
    try:
        number = float(value.replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        report.error(name, line, field, "nombre attendu (décimales avec une virgule)", value)
        return None
    if number < 0:
        report.error(name, line, field, "nombre positif attendu", value)
        return None
    return number


def _quintile(report: Report, name: str, line: int, field: str, value: str) -> int | None:
    value = (value or "").strip()
    if value in MISSING:
        return None
    if value not in {"1", "2", "3", "4", "5"}:
        report.error(name, line, field, "indicateur de 1 à 5 attendu (quintile)", value)
        return None
    return int(value)


def tension_import(
    *, actor, tensions_path: Path, bassins_path: Path, dry_run: bool = False, run=None
) -> SkillsImportResult:
    """Import the tension indicators by ROME × bassin d'emploi 2019 and the commune → bassin 2019 table."""

    def read():
        report = Report()
        t_name, b_name = Path(tensions_path).name, Path(bassins_path).name
        basins: dict[str, dict] = {}
        communes: dict[str, dict] = {}
        for line, row in _rows(bassins_path, BASSIN_COMMUNE_COLUMNS, report):
            commune, basin = row["CODE_COMMUNE_INSEE"].strip(), row["BE19"].strip()
            if not COMMUNE_CODE.match(commune):
                report.error(b_name, line, "CODE_COMMUNE_INSEE", "code INSEE de commune attendu", commune)
                continue
            if not BASIN_CODE.match(basin):
                report.error(b_name, line, "BE19", "code de bassin à 4 chiffres attendu", basin)
                continue
            basins[basin] = {"name": row["NOMBE19"].strip()[:100]}
            communes[commune] = {"basin_id": basin}
        cells: dict[tuple, dict] = {}
        for line, row in _rows(tensions_path, list(TENSION_COLUMNS), report):
            year, code, basin = row["annee"].strip(), row["ROME"].strip(), row["cbassin"].strip()
            if not (year.isdigit() and 2000 <= int(year) <= 2100):
                report.error(t_name, line, "annee", "année invalide", year)
                continue
            if not ROME_CODE.match(code):
                report.error(t_name, line, "ROME", "code ROME attendu (lettre A à N et 4 chiffres)", code)
                continue
            if basin not in basins:
                report.error(
                    t_name, line, "cbassin", "bassin absent de la table des communes (bassins 2019)", basin
                )
                continue
            key = (int(year), basin, code)
            if key in cells:
                report.error(t_name, line, "ROME", "métier en double pour ce bassin et cette année", code)
                continue
            values = {
                "offers": _decimal(report, t_name, line, "oee", row["oee"]),
                "seekers": _decimal(report, t_name, line, "defm_abc", row["defm_abc"]),
            }
            for column, field in TENSION_COLUMNS.items():
                if field in INDICATORS:
                    values[field] = _quintile(report, t_name, line, column, row[column])
            cells[key] = values
        report.raise_if_errors("Import des indicateurs de tension refusé : aucune ligne n'a été écrite.")
        return (basins, communes, cells), report.warnings

    def write(data):
        basins, communes, cells = data
        b = _sync(TensionBasin, "code", basins, ["name"])
        c = _sync(TensionBasinCommune, "commune_code", communes, ["basin_id"])
        fields = ["offers", "seekers", *INDICATORS]
        years = {key[0] for key in cells}
        before = {(t.year, t.basin_id, t.rome_code): t for t in Tension.objects.filter(year__in=years)}
        create, update, same = [], [], 0
        for (year, basin, code), values in cells.items():
            obj = before.get((year, basin, code))
            if obj is None:
                create.append(Tension(year=year, basin_id=basin, rome_code=code, **values))
            elif any(getattr(obj, f) != values[f] for f in fields):
                for f in fields:
                    setattr(obj, f, values[f])
                update.append(obj)
            else:
                same += 1
        Tension.objects.bulk_create(create, batch_size=2000)
        Tension.objects.bulk_update(update, fields, batch_size=2000)
        return SkillsImportResult(
            b[0] + c[0] + len(create),
            b[1] + c[1] + len(update),
            b[2] + c[2] + same,
            [f"{len(cells)} indicateur(s), {len(basins)} bassin(s) 2019, {len(communes)} commune(s)"],
        )

    return _run(
        ImportRun.Kind.TENSIONS,
        actor,
        [tensions_path, bassins_path],
        dry_run,
        run,
        read,
        write,
        "skills.tension",
    )


# --- ROME ↔ FAP 2021: the proposal and the official Dares table ---------------------------------------------
def rome_jobs() -> dict[str, RomeJob]:
    """The ROME referential in the database, as the crosswalk engine reads it."""
    titles: dict[str, list[str]] = defaultdict(list)
    for rome_id, label in RomeTitle.objects.order_by("code_ogr").values_list("rome_id", "label"):
        titles[rome_id].append(label)
    return {
        c.code: RomeJob(c.code, c.label, c.parent, c.executive, titles[c.code])
        for c in RomeCode.objects.all()
    }


def fap_posts() -> list[FapPost]:
    """The FAP 2021 nomenclature in the database, as the crosswalk engine reads it."""
    return [
        FapPost(p.code, p.label, p.family_code, p.family_label, p.domain_code, p.domain_label, p.sector_code,
                p.sector_label)
        for p in FapPostModel.objects.order_by("code")
    ]  # fmt: skip


def _formacode_crosswalk(rome: dict[str, RomeJob]):
    links = [
        FormacodeRomeLink(f.formacode, f.formacode_label, f.rome_code, f.certifications)
        for f in FormacodeRome.objects.all()
    ]
    return derive_formacode_rome(links, rome) if links else None


def rome_fap_propose(
    *, actor, fap_path: Path, domains_path: Path | None = None, dry_run: bool = False, run=None
) -> SkillsImportResult:
    """Load the FAP 2021 nomenclature and store the PROPOSED ROME ↔ FAP families of every ROME code (engine:
    `tandem.skills.crosswalk`, labels and job titles, with the Formacodes derived from Certif Info when they are
    imported), each with its confidence and alternatives. The previous proposal is replaced; the reviews
    (`RomeFapReview`, keyed by ROME code) and the official pairs are kept."""
    paths = [fap_path] + ([domains_path] if domains_path else [])

    def read():
        rome = rome_jobs()
        if not rome:
            raise UserError(
                "Importez d'abord le référentiel ROME (tandem import_rome) : aucun code ROME en base."
            )
        fap = read_fap(Path(fap_path), limits=import_limits())
        domains = read_rome_domains(Path(domains_path), limits=import_limits()) if domains_path else {}
        crosswalk = propose_rome_fap(rome, fap, domains=domains, formacodes=_formacode_crosswalk(rome))
        return (fap, crosswalk), []

    def write(data):
        fap, crosswalk = data
        posts = {
            p.code341: {"label": p.label341[:250], "family_code": p.code228, "family_label": p.label228[:250],
                        "domain_code": p.code86, "domain_label": p.label86[:250], "sector_code": p.code22,
                        "sector_label": p.label22[:250]}
            for p in fap
        }  # fmt: skip
        f = _sync(FapPostModel, "code", posts, list(next(iter(posts.values()))))
        removed, _ = RomeFapPair.objects.filter(source=RomeFapPair.Source.PROPOSED).delete()
        pairs = [
            RomeFapPair(rome_code=code, family_code=c.code_fap228, post_code=c.code_fap341,
                        source=RomeFapPair.Source.PROPOSED, rank=rank, score=c.score, confidence=c.confidence)
            for code, proposal in crosswalk.proposals.items()
            for rank, c in enumerate(proposal.candidates, start=1)
        ]  # fmt: skip
        RomeFapPair.objects.bulk_create(pairs, batch_size=2000)
        covered = sum(p.confidence >= crosswalk.threshold for p in crosswalk.proposals.values())
        return SkillsImportResult(
            f[0] + len(pairs),
            f[1],
            f[2],
            [
                f"{len(posts)} poste(s) FAP 2021, {len(crosswalk.proposals)} code(s) ROME proposés "
                f"({len(pairs)} paire(s) avec leurs alternatives, {removed} paire(s) de la proposition précédente "
                f"remplacée(s)), {covered} proposition(s) de confiance ≥ {crosswalk.threshold:.0%}".replace(
                    "%", " %"
                ),
                f"{RomeFapReview.objects.count()} revue(s) conservée(s)",
            ],
        )

    return _run(ImportRun.Kind.ROME_FAP, actor, paths, dry_run, run, read, write, "skills.romefappair")


def rome_fap_official_import(*, actor, path: Path, dry_run: bool = False, run=None) -> SkillsImportResult:
    """Load the official Dares ROME ↔ FAP 2021 table (XLSX or CSV, layout in `crosswalk/sources.py` and
    docs/skills.md). It replaces the previous official pairs; for the ROME codes it covers it takes precedence
    over the proposal and the reviews (`selectors.rome_fap_in_force`)."""

    def read():
        fap = fap_posts()
        if not fap:
            raise UserError(
                "Importez d'abord la nomenclature FAP 2021 (tandem import_rome_fap --nomenclature …)."
            )
        pairs = read_dares_table(Path(path), fap=fap, limits=import_limits())
        by_rome: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for pair in pairs:
            by_rome[pair.code_rome][pair.code_fap228].append(pair.code_fap)
        unknown = sorted(set(by_rome) - set(RomeCode.objects.values_list("code", flat=True)))
        warnings = []
        if unknown:
            warnings.append(
                Problem(Path(path).name, None, "Code ROME",
                        f"{len(unknown)} code(s) ROME absents du référentiel importé (gardés)",
                        ", ".join(unknown[:10]))
            )  # fmt: skip
        return by_rome, warnings

    def write(by_rome):
        removed, _ = RomeFapPair.objects.filter(source=RomeFapPair.Source.OFFICIAL).delete()
        pairs = []
        for code, families in by_rome.items():
            total = sum(len(v) for v in families.values())
            ranked = sorted(families.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            for rank, (family, posts) in enumerate(ranked, start=1):
                post = posts[0] if len(posts[0]) > 5 else ""
                pairs.append(
                    RomeFapPair(rome_code=code, family_code=family, post_code=post, rank=rank, score=1.0,
                                source=RomeFapPair.Source.OFFICIAL, confidence=len(posts) / total)
                )  # fmt: skip
        RomeFapPair.objects.bulk_create(pairs, batch_size=2000)
        return SkillsImportResult(
            len(pairs), 0, 0,
            [f"{len(by_rome)} code(s) ROME, {len(pairs)} paire(s) officielle(s) ; "
             f"{removed} paire(s) officielle(s) précédente(s) remplacée(s)"],
        )  # fmt: skip

    return _run(ImportRun.Kind.ROME_FAP, actor, [path], dry_run, run, read, write, "skills.romefappair")


# --- Certif Info: certifications and the derived Formacode ↔ ROME --------------------------------------------
CERTIFINFO_COLUMNS = ["Code_Diplome", "Libelle_Diplome", "Libelle_Type_Diplome", "Code_FormaCode",
                      "Libelle_FormaCode", "Code_RNCP", *[f"Code_Rome_{i}" for i in range(1, 6)]]  # fmt: skip
FORMACODE = re.compile(r"^\d{5}$")


def certifinfo_import(*, actor, path: Path, dry_run: bool = False, run=None) -> SkillsImportResult:
    """Import Certif Info's certifications (main Formacode, up to five ROME codes, RNCP) and store the Formacode
    ↔ ROME pairs DERIVED from them (co-occurrence, marked « dérivé (Certif Info) »)."""

    def read():
        report = Report()
        name = Path(path).name
        certifications: dict[str, dict] = {}
        repeated = 0
        for line, row in _rows(path, CERTIFINFO_COLUMNS, report):
            code = row["Code_Diplome"].strip()
            if not code.isdigit():
                report.error(name, line, "Code_Diplome", "code Certif Info numérique attendu", code)
                continue
            formacode = row["Code_FormaCode"].strip()
            if formacode and not FORMACODE.match(formacode):
                report.error(name, line, "Code_FormaCode", "Formacode à 5 chiffres attendu", formacode)
            romes = []
            for i in range(1, 6):
                value = row[f"Code_Rome_{i}"].strip().upper()
                if value and not ROME_CODE.match(value):
                    report.error(
                        name, line, f"Code_Rome_{i}", "code ROME attendu (lettre A à N et 4 chiffres)", value
                    )
                elif value and value not in romes:
                    romes.append(value)
            rncp = row["Code_RNCP"].strip().upper().removeprefix("RNCP")
            if (
                code in certifications
            ):  # Certif Info repeats a certification once per ONISEP sheet (codeIdeo2)
                repeated += 1
                known = certifications[code]["rome_codes"]
                known.extend(r for r in romes if r not in known)
                continue
            certifications[code] = {
                "label": row["Libelle_Diplome"].strip()[:400],
                "kind_label": row["Libelle_Type_Diplome"].strip()[:250],
                "rncp": rncp[:10],
                "formacode": formacode,
                "formacode_label": row["Libelle_FormaCode"].strip()[:250],
                "rome_codes": romes,
            }
        report.raise_if_errors("Import des certifications Certif Info refusé : aucune ligne n'a été écrite.")
        counts: dict[tuple, int] = defaultdict(int)
        labels = {}
        for c in certifications.values():
            for rome in c["rome_codes"]:
                if c["formacode"]:
                    counts[(c["formacode"], rome)] += 1
                    labels[c["formacode"]] = c["formacode_label"]
        links = [FormacodeRomeLink(f, labels[f], r, n) for (f, r), n in counts.items()]
        derived = derive_formacode_rome(links, rome_jobs()) if RomeCode.objects.exists() else None
        warnings = []
        if derived is None:
            warnings.append(Problem(name, None, None, "référentiel ROME non importé : correspondances Formacode ↔ "
                                    "ROME non calculées (importez le ROME puis réimportez ce fichier)"))  # fmt: skip
        elif derived.unknown_rome_codes:
            warnings.append(
                Problem(name, None, "Code_Rome_1…5",
                        f"{len(derived.unknown_rome_codes)} code(s) ROME absents du référentiel ROME v4 (codes de "
                        "domaine) : ignorés dans la correspondance Formacode ↔ ROME",
                        ", ".join(derived.unknown_rome_codes[:10]))
            )  # fmt: skip
        return (certifications, derived, repeated), warnings

    def write(data):
        certifications, derived, repeated = data
        c = _sync(Certification, "code", certifications, list(next(iter(certifications.values()))))
        links = 0
        if derived is not None:
            FormacodeRome.objects.all().delete()
            objs = [
                FormacodeRome(formacode=d.formacode, formacode_label=d.formacode_label, rome_code=d.code_rome,
                              certifications=d.certifications, share_of_rome=round(d.share_of_rome, 4))
                for group in derived.by_rome.values() for d in group
            ]  # fmt: skip
            FormacodeRome.objects.bulk_create(objs, batch_size=2000)
            links = len(objs)
        return SkillsImportResult(
            c[0], c[1], c[2],
            [f"{len(certifications)} certification(s) ({repeated} ligne(s) répétée(s) fusionnée(s)), {links} "
             "correspondance(s) Formacode ↔ ROME dérivée(s)"],
        )  # fmt: skip

    return _run(ImportRun.Kind.CERTIFINFO, actor, [path], dry_run, run, read, write, "skills.certification")


# --- training offer (Carif-Oref layout) ----------------------------------------------------------------------
# The layout (docs/skills.md « Offre de formation ») : one row per session, CSV (`;` or `,`) or XLSX.
TRAINING_COLUMNS = {
    "identifiant_session": "session_id",
    "code_certification": "certification_code",
    "formacode": "formacode",
    "intitule": "title",
    "organisme": "provider_name",
    "siret_organisme": "provider_siret",
    "code_commune": "commune_code",
    "date_debut": "start_on",
    "date_fin": "end_on",
    "places": "places",
    "places_pourvues": "places_filled",
    "financement": "funding",
}
TRAINING_REQUIRED = [c for c in TRAINING_COLUMNS if c not in ("formacode", "places_pourvues")]
FUNDING = {
    "region": "region", "conseil regional": "region", "opco": "opco", "cpf": "cpf",
    "apprentissage": "apprentissage", "alternance apprentissage": "apprentissage", "autre": "autre",
}  # fmt: skip
SIRET = re.compile(r"^\d{14}$")


def _training_table(path: Path, report: Report) -> list[tuple[int, dict]]:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = xlsx_rows(path, import_limits(), is_header=lambda r: "identifiant_session" in r)
        start = next((i for i, (_, r) in enumerate(rows) if "identifiant_session" in r), None)
        if start is None:
            report.error(path.name, 1, None, "ligne d'en-tête introuvable (colonne « identifiant_session »)")
            report.raise_if_errors(f"{path.name} : fichier refusé, rien n'a été écrit.")
        header = [h.strip() for h in rows[start][1]]
        records = [
            (line, dict(zip(header, values + [""] * (len(header) - len(values)), strict=False)))
            for line, values in rows[start + 1 :]
            if any(values)
        ]
        missing = [c for c in TRAINING_REQUIRED if c not in header]
        if missing:
            report.error(path.name, rows[start][0], None, f"colonne(s) manquante(s) : {', '.join(missing)}")
            report.raise_if_errors(f"{path.name} : fichier refusé, rien n'a été écrit.")
        return records
    return _rows(path, TRAINING_REQUIRED, report)


def _date(report: Report, name: str, line: int, field: str, value: str):
    value = (value or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    report.error(name, line, field, "date attendue (JJ/MM/AAAA)", value)
    return None


def _count_field(report: Report, name: str, line: int, field: str, value: str, *, required: bool):
    value = (value or "").strip().removesuffix(".0")
    if not value:
        if required:
            report.error(name, line, field, "nombre entier attendu", value)
        return None
    if not value.isdigit():
        report.error(name, line, field, "nombre entier positif attendu", value)
        return None
    return int(value)


def training_import(*, actor, path: Path, dry_run: bool = False, run=None) -> SkillsImportResult:
    """Import training sessions (Carif-Oref-like layout, CSV or XLSX). Every row is checked first (French errors
    naming file, line and field); each session is linked to ROME jobs through its certification (RNCP or Certif
    Info code), else through its Formacode (derived Formacode ↔ ROME). Sessions are keyed by their identifier:
    importing the same file again changes nothing."""

    def read():
        report = Report()
        name = Path(path).name
        communes = set(Commune.objects.values_list("code", flat=True))
        by_code = {c.code: c for c in Certification.objects.only("code", "rncp", "rome_codes")}
        by_rncp: dict[str, Certification] = {}
        for c in sorted(by_code.values(), key=lambda c: c.code):
            if c.rncp:
                by_rncp.setdefault(c.rncp, c)
        by_formacode: dict[str, list[str]] = defaultdict(list)
        for formacode, rome in FormacodeRome.objects.values_list("formacode", "rome_code"):
            by_formacode[formacode].append(rome)
        sessions: dict[str, dict] = {}
        unlinked = 0
        for line, row in _training_table(path, report):
            sid = row.get("identifiant_session", "").strip()
            if not sid:
                report.error(name, line, "identifiant_session", "identifiant de session vide")
                continue
            if sid in sessions:
                report.error(name, line, "identifiant_session", "session en double dans le fichier", sid)
                continue
            cert_code = row["code_certification"].strip().upper().replace(" ", "")
            cert = None
            if cert_code.startswith("RNCP"):
                cert = by_rncp.get(cert_code.removeprefix("RNCP"))
            elif cert_code.isdigit():
                cert = by_code.get(cert_code)
            else:
                report.error(name, line, "code_certification", "code RNCP (« RNCP37297 ») ou Certif Info attendu",
                             cert_code)  # fmt: skip
            formacode = (row.get("formacode") or "").strip()
            if formacode and not FORMACODE.match(formacode):
                report.error(name, line, "formacode", "Formacode à 5 chiffres attendu", formacode)
            siret = row["siret_organisme"].strip().replace(" ", "")
            if not SIRET.match(siret):
                report.error(name, line, "siret_organisme", "SIRET à 14 chiffres attendu", siret)
            commune = row["code_commune"].strip().zfill(5)
            if commune not in communes:
                report.error(name, line, "code_commune", "code INSEE de commune inconnu", commune)
            title, provider = row["intitule"].strip(), row["organisme"].strip()
            if not title:
                report.error(name, line, "intitule", "intitulé vide")
            if not provider:
                report.error(name, line, "organisme", "nom de l'organisme vide")
            start = _date(report, name, line, "date_debut", row["date_debut"])
            end = _date(report, name, line, "date_fin", row["date_fin"])
            if start and end and end < start:
                report.error(name, line, "date_fin", "la fin précède le début", row["date_fin"].strip())
            places = _count_field(report, name, line, "places", row["places"], required=True)
            filled = _count_field(
                report, name, line, "places_pourvues", row.get("places_pourvues"), required=False
            )
            if places is not None and filled is not None and filled > places:
                report.error(name, line, "places_pourvues", f"plus de places pourvues que de places ({places})",
                             str(filled))  # fmt: skip
            funding = FUNDING.get(fold(row["financement"]).strip())
            if funding is None:
                report.error(name, line, "financement", "attendu : Région, OPCO, CPF, apprentissage ou autre",
                             row["financement"].strip())  # fmt: skip
            romes = list(cert.rome_codes) if cert else sorted(set(by_formacode.get(formacode, [])))
            if cert is None and cert_code and not any(p.line == line for p in report.errors):
                unlinked += 1
                report.warning(name, line, "code_certification",
                               "certification absente de Certif Info : session reliée aux métiers par son Formacode"
                               if romes else "certification absente de Certif Info : session sans métier ROME",
                               cert_code)  # fmt: skip
            sessions[sid] = {
                "certification_code": cert_code[:12], "certification_id": cert.code if cert else None,
                "formacode": formacode, "title": title[:300], "provider_name": provider[:200],
                "provider_siret": siret[:14], "commune_code": commune, "start_on": start, "end_on": end,
                "places": places, "places_filled": filled, "funding": funding, "rome_codes": romes,
                "demo": False,
            }  # fmt: skip
        report.raise_if_errors(f"{name} : offre de formation refusée, aucune ligne n'a été écrite.")
        if not sessions:
            raise UserError(f"{name} : aucune session de formation dans le fichier.")
        return sessions, report.warnings

    def write(sessions):
        c = _sync(TrainingSession, "session_id", sessions, list(next(iter(sessions.values()))))
        linked = sum(bool(s["rome_codes"]) for s in sessions.values())
        return SkillsImportResult(
            c[0],
            c[1],
            c[2],
            [f"{len(sessions)} session(s) de formation, dont {linked} reliée(s) à des métiers ROME"],
        )

    return _run(ImportRun.Kind.TRAINING, actor, [path], dry_run, run, read, write, "skills.trainingsession")


# --- job seekers by sector and bassin 2019 -------------------------------------------------------------------
def sector_seekers_import(*, actor, path: Path, dry_run: bool = False, run=None) -> SkillsImportResult:
    """Import the job seekers by activity sector and bassin d'emploi 2019 (`code_bassin;demandeurs_emploi;
    secteur_libelle`). The bassins are those of the tension indicators' commune table (import them first).
    Keyed by (bassin, sector): importing the same file again changes nothing."""

    def read():
        report = Report()
        name = Path(path).name
        basins = set(TensionBasin.objects.values_list("code", flat=True))
        if not basins:
            raise UserError(
                f"{name} : bassins d'emploi 2019 absents : importez d'abord les indicateurs de tension et leur "
                "table communes → bassins (import_tensions)."
            )
        cells: dict[tuple, dict] = {}
        for line, row in _rows(path, SECTOR_COLUMNS, report):
            basin, sector = row["code_bassin"].strip(), " ".join(row["secteur_libelle"].split())
            if not BASIN_CODE.match(basin):
                report.error(name, line, "code_bassin", "code de bassin à 4 chiffres attendu", basin)
                continue
            if basin not in basins:
                report.error(name, line, "code_bassin", "bassin absent de la table des bassins 2019", basin)
                continue
            if not sector:
                report.error(name, line, "secteur_libelle", "secteur vide")
                continue
            value = row["demandeurs_emploi"].strip().replace("\u202f", "").replace(" ", "")
            if not value.isdigit():
                report.error(name, line, "demandeurs_emploi", "nombre entier positif attendu", value)
                continue
            if (basin, sector[:150]) in cells:
                report.error(name, line, "secteur_libelle", "secteur en double pour ce bassin", sector)
                continue
            cells[(basin, sector[:150])] = {"seekers": int(value)}
        report.raise_if_errors(f"{name} : demandeurs d'emploi par secteur refusés, aucune ligne n'a été écrite.")
        if not cells:
            raise UserError(f"{name} : aucune ligne de données.")
        return cells, report.warnings

    def write(cells):
        before = {(s.basin_id, s.sector): s for s in SectorSeekers.objects.all()}
        create, update, same = [], [], 0
        for (basin, sector), values in cells.items():
            obj = before.get((basin, sector))
            if obj is None:
                create.append(SectorSeekers(basin_id=basin, sector=sector, **values))
            elif obj.seekers != values["seekers"]:
                obj.seekers = values["seekers"]
                update.append(obj)
            else:
                same += 1
        SectorSeekers.objects.bulk_create(create, batch_size=2000)
        SectorSeekers.objects.bulk_update(update, ["seekers"], batch_size=2000)
        total = sum(v["seekers"] for v in cells.values())
        return SkillsImportResult(
            len(create), len(update), same,
            [f"{len(cells)} ligne(s), {len({b for b, _ in cells})} bassin(s), {total} demandeur(s) d'emploi"],
        )  # fmt: skip

    return _run(ImportRun.Kind.SECTOR_SEEKERS, actor, [path], dry_run, run, read, write, "skills.sectorseekers")

"""Importers of the catalogue, through the one import framework (`tandem.imports`): operators and their offices
(Conseillers-Entreprises' subjects, OPCO / DDETS / Transitions Pro offices per département, IDCC → OPCO, TEE
programme operators and holders with SIREN), TEE programmes (YAML + programs.json, versions kept) and the
Aides-territoires export. Every file is read and checked before anything is written (French errors naming
file, line and field); re-importing the same files changes nothing; a dry run writes nothing.

Importers see every catalogue row: the catalogue is reference data of the instance, not organisation-owned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from tandem.catalogue.eligibility.profile import OBJECTIVE_BY_RULE
from tandem.catalogue.eligibility.tee import TeeFormatError, read_tee_catalogue, record_fingerprint
from tandem.catalogue.models import IdccOpco, Office, Operator, Scheme, SchemeVersion, Subject
from tandem.catalogue.subjects import SUBJECTS_BY_OPERATOR, subject_label, subjects_for_objectives
from tandem.core.errors import Report, UserError
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.territories.models import Departement

SUBJECTS_FILE = "conseillers-entreprises/landing_subjects.csv"
EXAMPLES_FILE = "conseillers-entreprises/institution_subject_examples.csv"
IDCC_FILE = "conseillers-entreprises/idcc_to_opco.csv"
OPCO_TYPES_FILE = "transitions-collectives/opco_types.json"
OPCO_OFFICES_FILE = "transitions-collectives/opco_offices.json"
DDETS_FILE = "transitions-collectives/ddets.json"
ATPRO_FILE = "transitions-collectives/transitions_pro.json"
TEE_OPERATORS_FILE = "tee/operators.json"
PORTEURS_FILE = "tee/programme_porteurs.csv"

SIREN = re.compile(r"^\d{9}$")
IDCC = re.compile(r"^\d{4}$")
DEPARTEMENT = re.compile(r"^(\d{2}|2[AB]|97\d)$")
TEE_SOURCE = "Mission Transition Écologique"
PLACEHOLDER_EMAIL = "contact@adresse-retiree.invalid"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)

TEE_CATEGORY_KINDS = {
    "Régions": Operator.Kind.REGION,
    "OPCO": Operator.Kind.OPCO,
    "Opérateurs nationaux": Operator.Kind.AGENCY,
    "CMA": Operator.Kind.CHAMBER,
    "CCI": Operator.Kind.CHAMBER,
    "Agence de l'eau": Operator.Kind.WATER,
    "État": Operator.Kind.STATE,
    "ADEME": Operator.Kind.AGENCY,
    "Bpifrance": Operator.Kind.BANK,
    "OFB/ARB": Operator.Kind.AGENCY,
}
TEE_NATURES = {
    "étude": Scheme.Nature.STUDY,
    "financement": Scheme.Nature.FINANCING,
    "prêt": Scheme.Nature.LOAN,
    "avantage fiscal": Scheme.Nature.TAX,
    "formation": Scheme.Nature.TRAINING,
}
AT_COLUMNS = [
    "Nom",
    "Lien",
    "Financeurs",
    "Bénéficiaire",
    "Types d'aides",
    "AAP/AMI",
    "Récurrence",
    "Descriptif",
    "Date Clôture",
]
AT_NATURES = [  # first type found wins
    ("Subvention", Scheme.Nature.FINANCING),
    ("Prêt", Scheme.Nature.LOAN),
    ("Avance récupérable", Scheme.Nature.LOAN),
    ("Autre aide financière", Scheme.Nature.FINANCING),
    ("Certificat d'économie d'énergie (CEE)", Scheme.Nature.FINANCING),
    ("Ingénierie", Scheme.Nature.ENGINEERING),
]
FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    tables: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.tables[table] = self.tables.get(table, 0) + 1


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _upsert(model, counts: Counts, table: str, lookup: dict, values: dict):
    """Create or update one row; counts whether anything changed."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        counts.add(table, "created")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        counts.add(table, "updated")
    else:
        counts.add(table, "unchanged")
    return obj


def scheme_version_keep(scheme: Scheme, *, fingerprint: str = "", data=None, run=None) -> None:
    """Keep a record of the scheme as one of its versions, once per fingerprint (the scheme's current record
    unless another is given), with the import run that brought it (none for a Région's entry)."""
    SchemeVersion.objects.get_or_create(
        scheme=scheme,
        fingerprint=fingerprint or scheme.fingerprint,
        defaults={
            "data": scheme.data if data is None else data,
            "run": run if run is not None and run.pk else None,
        },
    )


def _set_m2m(manager, ids, counts: Counts | None = None, created: bool = False) -> bool:
    """Set a many-to-many relation; True when it changed (an unchanged row whose links changed is counted as
    updated)."""
    current = set(manager.values_list("pk", flat=True))
    if current == set(ids):
        return False
    manager.set(ids)
    if counts is not None and not created:
        counts.unchanged -= 1
        counts.updated += 1
    return True


def _json_list(folder: Path, relative: str) -> list[dict]:
    path = folder / relative
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UserError(f"{relative} : fichier introuvable dans {folder}.") from error
    except ValueError as error:
        raise UserError(f"{relative} : JSON illisible ({error}).") from error
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UserError(f"{relative} : une liste d'objets JSON est attendue.")
    return data


def _csv(
    folder: Path, relative: str, columns: list[str], *, multiline: bool = False
) -> list[tuple[int, dict]]:
    path = folder / relative
    if not path.is_file():
        raise UserError(f"{relative} : fichier introuvable dans {folder}.")
    table = read_table(path, relative, limits=import_limits(), multiline=multiline)
    if table.problems:
        raise UserError(f"{relative} : lignes mal formées.", table.problems)
    missing = [c for c in columns if c not in table.header]
    if missing:
        raise UserError(f"{relative}, ligne 1 : colonne(s) manquante(s) : {', '.join(missing)}.")
    return table.records()


def _email(report: Report, name: str, line: int, value) -> str:
    value = (value or "").strip()
    if not value or value == PLACEHOLDER_EMAIL:
        return ""
    if not EMAIL.match(value):
        report.warning(name, line, "email", "adresse de courriel invalide, ignorée", value)
        return ""
    return value


# --- operators -------------------------------------------------------------------------------------------


@dataclass
class OperatorsResult:
    run: ImportRun
    counts: Counts


def operators_import(
    *, folder: Path, actor, dry_run: bool = False, run: ImportRun | None = None
) -> OperatorsResult:
    """Import the operators folder of ../shared/data/real/operators (layout in its PROVENANCE.md)."""
    folder = Path(folder)
    paths = [
        folder / f
        for f in (
            SUBJECTS_FILE,
            IDCC_FILE,
            OPCO_TYPES_FILE,
            OPCO_OFFICES_FILE,
            DDETS_FILE,
            ATPRO_FILE,
            TEE_OPERATORS_FILE,
            PORTEURS_FILE,
        )
    ]
    run = import_run_start(
        kind=ImportRun.Kind.CATALOGUE_OPERATORS,
        actor=actor,
        paths=paths,
        dry_run=dry_run,
        run=run,
        display_names={p: str(p.relative_to(folder)) for p in paths},
    )
    with import_run_guard(run):
        data, report = _operators_read(folder)
        with import_writes(run):
            counts = _operators_write(data)
    run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        details={"tables": counts.tables},
    )
    return OperatorsResult(run, counts)


def _operators_read(folder: Path):
    report = Report()
    departements = set(Departement.objects.values_list("code", flat=True))

    subjects = []
    for line, row in _csv(folder, SUBJECTS_FILE, ["landing_subject_slug", "subtitle"]):
        slug = row["landing_subject_slug"].strip()
        if not re.match(r"^[a-z0-9-]+$", slug):
            report.error(SUBJECTS_FILE, line, "landing_subject_slug", "identifiant de sujet invalide", slug)
            continue
        subtitle = row["subtitle"].strip()
        subjects.append(
            {
                "slug": slug,
                "label": subject_label(slug),
                "description": f"Accompagnement {subtitle}" if subtitle else "",
            }
        )
    subject_slugs = {s["slug"] for s in subjects}

    examples = []
    for line, row in _csv(folder, EXAMPLES_FILE, ["institution_slug", "landing_subject_slug"]):
        if row["landing_subject_slug"] not in subject_slugs:
            report.warning(
                EXAMPLES_FILE,
                line,
                "landing_subject_slug",
                "sujet absent de la liste des sujets : lien ignoré",
                row["landing_subject_slug"],
            )
            continue
        examples.append((row["institution_slug"].strip(), row["landing_subject_slug"]))

    idcc = {}
    for line, row in _csv(folder, IDCC_FILE, ["idcc", "opco_siren"]):
        code, siren = row["idcc"].strip(), row["opco_siren"].strip()
        if not IDCC.match(code):
            report.error(IDCC_FILE, line, "idcc", "code IDCC à 4 chiffres attendu", code)
        elif not SIREN.match(siren):
            report.error(IDCC_FILE, line, "opco_siren", "SIREN à 9 chiffres attendu", siren)
        elif code in idcc:
            report.error(IDCC_FILE, line, "idcc", "convention collective en double", code)
        else:
            idcc[code] = siren

    operators: dict[str, dict] = {}  # slug -> values (+ subjects)
    offices: dict[str, dict] = {}  # key -> values (+ departements)

    def office(operator_slug, key_text, name, line_file, line, dep, **values):
        if not dep:
            report.warning(line_file, line, "departement", "antenne sans département couvert : ignorée")
            return
        if not DEPARTEMENT.match(dep):
            report.error(line_file, line, "departement", "code de département attendu", dep)
            return
        if dep not in departements:
            report.warning(line_file, line, "departement", "département absent de la géographie chargée", dep)
            return
        key = _key(operator_slug, key_text)
        entry = offices.setdefault(
            key, {"operator": operator_slug, "name": name[:200], "departements": set(), **values}
        )
        entry["departements"].add(dep)

    opco_codes = {}
    for index, row in enumerate(_json_list(folder, OPCO_TYPES_FILE), start=1):
        code, label = (row.get("value") or "").strip(), (row.get("label") or "").strip()
        if not code or not label:
            report.error(OPCO_TYPES_FILE, index, "value", "code et libellé de l'OPCO attendus", code)
            continue
        slug = f"opco-{slugify(code)}"
        opco_codes[code] = (slug, label.split(" - ")[0].strip())
        operators[slug] = {
            "name": label,
            "kind": Operator.Kind.OPCO,
            "category": "OPCO",
            "website": row.get("website") or "",
            "source": "Transitions collectives",
            "subjects": SUBJECTS_BY_OPERATOR["opco"],
        }
    for index, row in enumerate(_json_list(folder, OPCO_OFFICES_FILE), start=1):
        code = (row.get("opco_type") or "").strip()
        if code not in opco_codes:
            report.error(
                OPCO_OFFICES_FILE, index, "opco_type", "OPCO inconnu (absent de opco_types.json)", code
            )
            continue
        slug, short = opco_codes[code]
        dep = str(row.get("departement") or "").strip()
        name, city, address = (row.get(k) or "" for k in ("name", "city", "address"))
        address = " ".join(str(address).split())
        place = (name or city or "").strip()
        identity = place or address or f"département {dep}"
        title = (
            f"{short} — {place}"
            if place
            else (f"{short} — {address[:80]}" if address else f"{short} — département {dep}")
        )
        office(
            slug,
            identity.lower(),
            title,
            OPCO_OFFICES_FILE,
            index,
            dep,
            address=address[:300],
            email=_email(report, OPCO_OFFICES_FILE, index, row.get("email")),
        )

    operators["ddets"] = {
        "name": "Directions départementales de l'emploi, du travail et des solidarités (DDETS)",
        "kind": Operator.Kind.STATE,
        "category": "État",
        "website": "",
        "source": "Transitions collectives",
        "subjects": SUBJECTS_BY_OPERATOR["ddets"],
    }
    for index, row in enumerate(_json_list(folder, DDETS_FILE), start=1):
        dep = str(row.get("departement") or "").strip()
        structure = (row.get("structure") or "DDETS").strip()
        if _key("ddets", f"département {dep}") in offices:
            report.warning(
                DDETS_FILE,
                index,
                "departement",
                "second service pour ce département : la première adresse est gardée",
                dep,
            )
            continue
        office(
            "ddets",
            f"département {dep}",
            f"{structure} — département {dep}",
            DDETS_FILE,
            index,
            dep,
            address=" ".join(str(row.get("address") or "").split())[:300],
            email=_email(report, DDETS_FILE, index, row.get("email")),
        )

    operators["transitions-pro"] = {
        "name": "Transitions Pro (associations Transitions professionnelles)",
        "kind": Operator.Kind.STATE,
        "category": "État",
        "website": "",
        "source": "Transitions collectives",
        "subjects": SUBJECTS_BY_OPERATOR["transitions-pro"],
    }
    for index, row in enumerate(_json_list(folder, ATPRO_FILE), start=1):
        dep = str(row.get("departement") or "").strip()
        address = " ".join(str(row.get("address") or "").split())
        office(
            "transitions-pro",
            (address or f"département {dep}").lower(),
            f"Transitions Pro — {address.rsplit(',', 1)[-1].strip() or 'département ' + dep}"[:200],
            ATPRO_FILE,
            index,
            dep,
            address=address[:300],
            email=_email(report, ATPRO_FILE, index, row.get("email")),
            website=(row.get("website") or "")[:300],
        )

    for index, row in enumerate(_json_list(folder, TEE_OPERATORS_FILE), start=1):
        name = (row.get("operator") or "").strip()
        if not name:
            report.error(TEE_OPERATORS_FILE, index, "operator", "nom de l'opérateur manquant")
            continue
        categories = row.get("filterCategories") or []
        kind = next(
            (TEE_CATEGORY_KINDS[c] for c in categories if c in TEE_CATEGORY_KINDS), Operator.Kind.OTHER
        )
        slug = f"tee-{slugify(name)}"[:120]
        if slug in operators:
            report.error(TEE_OPERATORS_FILE, index, "operator", "opérateur en double", name)
            continue
        operators[slug] = {
            "name": name[:200],
            "kind": kind,
            "category": ", ".join(categories)[:120],
            "source": TEE_SOURCE,
            "website": "",
            "subjects": SUBJECTS_BY_OPERATOR["opco"] if kind == Operator.Kind.OPCO else (),
        }

    porteurs: dict[str, str] = {}
    for line, row in _csv(folder, PORTEURS_FILE, ["porteur_nom", "porteur_siren"]):
        siren, name = row["porteur_siren"].strip(), row["porteur_nom"].strip()
        if not siren:
            report.warning(PORTEURS_FILE, line, "porteur_siren", "porteur sans SIREN, ignoré", name)
            continue
        if not SIREN.match(siren):
            report.error(PORTEURS_FILE, line, "porteur_siren", "SIREN à 9 chiffres attendu", siren)
            continue
        porteurs.setdefault(siren, name)
    for siren, name in porteurs.items():
        operators[f"siren-{siren}"] = {
            "name": name[:200],
            "kind": Operator.Kind.OTHER,
            "category": "porteur de programme TEE",
            "website": "",
            "source": "Mission Transition Écologique (porteurs)",
            "siren": siren,
            "subjects": (),
        }
    for institution, subject in examples:
        if institution in operators:
            operators[institution]["subjects"] = (*operators[institution]["subjects"], subject)
    report.raise_if_errors("Fichiers des opérateurs invalides : rien n'a été importé.")
    return {"subjects": subjects, "idcc": idcc, "operators": operators, "offices": offices}, report


def _operators_write(data) -> Counts:
    counts = Counts()
    subjects = {}
    for values in data["subjects"]:
        subjects[values["slug"]] = _upsert(
            Subject,
            counts,
            "sujets",
            {"slug": values["slug"]},
            {"label": values["label"], "description": values["description"]},
        )
    for code, siren in data["idcc"].items():
        _upsert(IdccOpco, counts, "conventions collectives", {"idcc": code}, {"opco_siren": siren})
    operators = {}
    for slug, values in data["operators"].items():
        wanted = values.pop("subjects", ())
        values.setdefault("siren", "")
        operator = _upsert(Operator, counts, "opérateurs", {"slug": slug}, values)
        if wanted and not operator.subjects.exists():  # the Région's later choices are kept
            operator.subjects.set([subjects[s].pk for s in wanted if s in subjects])
        operators[slug] = operator
    departements = {d.code: d for d in Departement.objects.all()}
    for key, values in data["offices"].items():
        deps = values.pop("departements")
        operator = operators[values.pop("operator")]
        before = counts.unchanged
        office = _upsert(Office, counts, "antennes", {"key": key}, {"operator": operator, **values})
        _set_m2m(
            office.departements,
            [departements[d].pk for d in deps],
            counts if counts.unchanged > before else None,
        )
    return counts


# --- TEE programmes --------------------------------------------------------------------------------------

REGION_RULE = re.compile(r"région = ([^\"'\]\n,]+)")


@dataclass
class SchemesResult:
    run: ImportRun
    counts: Counts
    yaml_only: list[str] = field(default_factory=list)


def scheme_values_from_programme(programme, operators: dict[str, Operator]) -> dict:
    record = programme.data
    own = {name: programme.rules[name] for name in programme.own_rule_names}
    text = json.dumps(own, ensure_ascii=False)
    regions = sorted({m.strip().strip('"') for m in REGION_RULE.findall(text)})
    objectives = sorted(
        {
            code
            for rule, code in OBJECTIVE_BY_RULE.items()
            if rule.removeprefix("questionnaire . ") in text or rule in text
        }
    )
    amount = next(
        (
            record[k]
            for k in (
                "montant du financement",
                "montant du prêt",
                "montant de l'avantage fiscal",
                "coût de l'accompagnement",
            )
            if record.get(k)
        ),
        "",
    )
    return {
        "source": Scheme.Source.TEE,
        "title": programme.title[:400],
        "promise": record.get("promesse", ""),
        "description": record.get("description", ""),
        "nature": TEE_NATURES.get(programme.nature, Scheme.Nature.OTHER),
        "operator": operators.get(programme.operator),
        "amount": str(amount),
        "valid_from": programme.valid_from,
        "valid_until": programme.valid_until,
        "national": not regions,
        "regions": regions,
        "objectives": objectives,
        "url": (record.get("url") or "")[:500],
        "data": json.loads(json.dumps(record, default=str)),
        "rules": programme.rules,
        "own_rules": list(programme.own_rule_names),
        "fingerprint": programme.fingerprint,
        "published": programme.published,
    }


def tee_import(
    *, folder: Path, actor, extra_yaml=(), dry_run: bool = False, run: ImportRun | None = None
) -> SchemesResult:
    """Import TEE programmes (a TEE data folder: programs/*.yaml, programs.json, schemas/), plus programmes in the
    same format written elsewhere (`extra_yaml`: Grand Est schemes of the Région). Each new version of a
    programme's record is kept (`SchemeVersion`)."""
    folder = Path(folder)
    run = import_run_start(
        kind=ImportRun.Kind.CATALOGUE_TEE,
        actor=actor,
        paths=[folder / "programs.json", *map(Path, extra_yaml)],
        dry_run=dry_run,
        run=run,
    )
    with import_run_guard(run):
        try:
            catalogue = read_tee_catalogue(folder, extra_yaml=list(extra_yaml))
        except TeeFormatError as error:
            raise UserError(f"Programmes TEE refusés : {error}") from error
        report = Report()
        for pid in catalogue.yaml_only:
            report.warning(
                f"programs/{pid}.yaml",
                None,
                None,
                "programme publié seulement en YAML (absent de programs.json) : importé depuis le YAML",
            )
        for pid in catalogue.rules_differing_from_json:
            report.warning(
                f"programs/{pid}.yaml",
                None,
                "publicodes",
                "règles différentes de programs.json : celles du YAML sont retenues",
            )
        for pid in catalogue.replaced:
            report.warning(
                f"programs/{pid}.yaml",
                None,
                None,
                "remplacé par la version de la Région (fichier en plus portant le même identifiant)",
            )
        for pid, error in catalogue.invalid.items():
            report.warning(
                f"programs/{pid}.yaml",
                None,
                "publicodes",
                f"règles inutilisables, éligibilité non vérifiable ({error})",
            )
        with import_writes(run):
            counts = Counts()
            operators = {o.name: o for o in Operator.objects.filter(source=TEE_SOURCE)}
            for pid, programme in sorted(catalogue.programmes.items()):
                for name in (programme.operator, *programme.other_operators):
                    if name and name not in operators:
                        operators[name] = _upsert(
                            Operator,
                            counts,
                            "opérateurs",
                            {"slug": f"tee-{slugify(name)}"[:120]},
                            {"name": name[:200], "source": TEE_SOURCE},
                        )
                values = scheme_values_from_programme(programme, operators)
                if pid in catalogue.extra:
                    values["source"] = Scheme.Source.REGION
                else:
                    kept = Scheme.objects.filter(slug=pid, source=Scheme.Source.REGION).first()
                    if kept is not None:
                        # The Région wrote its own version of this TEE programme: the TEE record joins the
                        # scheme's versions but does not replace the Région's.
                        scheme_version_keep(
                            kept, fingerprint=programme.fingerprint, data=values["data"], run=run
                        )
                        counts.add("dispositifs", "unchanged")
                        report.warning(
                            f"programs/{pid}.yaml",
                            None,
                            None,
                            "version de la Région conservée ; la version TEE est gardée dans l'historique",
                        )
                        continue
                before = counts.unchanged
                scheme = _upsert(Scheme, counts, "dispositifs", {"slug": pid}, values)
                others = [operators[n].pk for n in programme.other_operators if n]
                _set_m2m(scheme.other_operators, others, counts if counts.unchanged > before else None)
                scheme_subjects_refresh(scheme)
                scheme_version_keep(scheme, run=run)
    run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        details={
            "tables": counts.tables,
            "notes": [
                f"{len(catalogue.programmes)} programme(s), dont {len(catalogue.yaml_only)} seulement en YAML : {', '.join(catalogue.yaml_only)}"
            ],
        },
    )
    return SchemesResult(run, counts, catalogue.yaml_only)


def scheme_subjects_refresh(scheme: Scheme) -> None:
    slugs = subjects_for_objectives(scheme.objectives)
    _set_m2m(scheme.subjects, list(Subject.objects.filter(slug__in=slugs).values_list("pk", flat=True)))


# --- Aides-territoires -----------------------------------------------------------------------------------


def aides_territoires_import(
    *, path: Path, actor, dry_run: bool = False, run: ImportRun | None = None
) -> SchemesResult:
    """Import an Aides-territoires export (CSV: Nom, Lien, Financeurs, Bénéficiaire, Types d'aides, AAP/AMI,
    Récurrence, Descriptif, Date Clôture). An aid is identified by its Aides-territoires link."""
    path = Path(path)
    run = import_run_start(
        kind=ImportRun.Kind.CATALOGUE_AIDES, actor=actor, paths=[path], dry_run=dry_run, run=run
    )
    with import_run_guard(run):
        report = Report()
        rows = _csv(path.parent, path.name, AT_COLUMNS, multiline=True)
        aids: dict[str, dict] = {}
        for line, row in rows:
            link = row["Lien"].strip()
            match = re.match(r"^https://aides-territoires\.beta\.gouv\.fr/aides/([\w-]+)/?$", link)
            if not match:
                report.error(path.name, line, "Lien", "lien vers une aide d'Aides-territoires attendu", link)
                continue
            slug = f"at-{match.group(1)}"[:200]
            if slug in aids:
                report.error(path.name, line, "Lien", "aide en double", link)
                continue
            name = row["Nom"].strip()
            if not name:
                report.error(path.name, line, "Nom", "nom de l'aide manquant")
                continue
            closing = row["Date Clôture"].strip()
            until = None
            if closing:
                date = FR_DATE.match(closing)
                if not date:
                    report.error(path.name, line, "Date Clôture", "date JJ/MM/AAAA attendue", closing)
                    continue
                try:
                    until = dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1)))
                except ValueError:
                    report.error(path.name, line, "Date Clôture", "date inexistante", closing)
                    continue
            types = [t.strip() for t in row["Types d'aides"].split(";") if t.strip()]
            nature = next(
                (n for prefix, n in AT_NATURES if any(t.startswith(prefix) for t in types)),
                Scheme.Nature.OTHER,
            )
            aids[slug] = {
                "source": Scheme.Source.AIDES_TERRITOIRES,
                "title": name[:400],
                "description": row["Descriptif"].strip(),
                "nature": nature,
                "financers": row["Financeurs"].strip()[:400],
                "valid_until": until,
                "beneficiaries": [b.strip()[:120] for b in row["Bénéficiaire"].split(";") if b.strip()],
                "url": link,
                "national": False,
                "data": {**row, "_ligne": line},
            }
        report.raise_if_errors(f"{path.name} : aides refusées, rien n'a été importé.")
        with import_writes(run):
            counts = Counts()
            for slug, values in aids.items():
                values["data"] = {k: v for k, v in values["data"].items() if k != "_ligne"}
                values["fingerprint"] = record_fingerprint(values["data"])
                scheme_version_keep(_upsert(Scheme, counts, "dispositifs", {"slug": slug}, values), run=run)
    run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        details={"tables": counts.tables},
    )
    return SchemesResult(run, counts)


# --- Région Grand Est aids API ---------------------------------------------------------------------------

GE_FIELDS_FILE = "grand_est_api_fields_mapping.csv"
GE_CATEGORIES_FILE = "grand_est_api_categories_mapping.csv"
GE_AUDIENCES_FILE = "grand_est_api_audiences_mapping.csv"
# The destinations (Aides-territoires' fields) Tandem reads, each from the source field the mapping names.
GE_DESTINATIONS = (
    "import_uniqueid",
    "name",
    "description",
    "origin_url",
    "application_url",
    "targeted_audiences",
    "start_date",
    "submission_deadline",
    "is_call_for_project",
    "categories",
)
GE_REQUIRED = ("import_uniqueid", "name")
HTML_TAG = re.compile(r"<[^>]+>")


@dataclass
class GrandEstMapping:
    fields: dict[str, str]  # destination -> source field of the Grand Est API
    audiences: dict[str, list[str]]  # Grand Est beneficiary -> Aides-territoires audiences
    categories: dict[str, list[str]]  # Grand Est sub-theme (or theme) -> Aides-territoires themes


def read_grand_est_mapping(folder: Path) -> GrandEstMapping:
    """The three mapping files of the Région Grand Est aids API (Aides-territoires' importer)."""
    fields = {}
    for _line, row in _csv(folder, GE_FIELDS_FILE, ["destination_field", "source_field"]):
        destination, source = row["destination_field"].strip(), row["source_field"].strip()
        if destination in GE_DESTINATIONS and source:
            fields[destination] = source.split("/")[0].strip()
    missing = [d for d in GE_REQUIRED if d not in fields]
    if missing:
        raise UserError(f"{GE_FIELDS_FILE} : aucune source pour le(s) champ(s) {', '.join(missing)}.")
    audiences = {}
    for _line, row in _csv(folder, GE_AUDIENCES_FILE, ["Bénéficiaires Grand Est"]):
        targets = [v.strip() for k, v in row.items() if k.startswith("Bénéficiaires AT") and v and v.strip()]
        audiences[row["Bénéficiaires Grand Est"].strip()] = targets
    categories: dict[str, list[str]] = {}
    for _line, row in _csv(
        folder, GE_CATEGORIES_FILE, ["Thématiques Grand Est", "Sous-thématiques Grand Est"]
    ):
        targets = [v.strip() for k, v in row.items() if k.startswith("Thématiques AT") and v and v.strip()]
        for key in (row["Sous-thématiques Grand Est"].strip(), row["Thématiques Grand Est"].strip()):
            if key:
                categories.setdefault(key, [])
                categories[key] += [t for t in targets if t not in categories[key]]
    return GrandEstMapping(fields, audiences, categories)


def _names(value) -> list[str]:
    """A Grand Est « liste d'objets » (objects with a name or label) or a list of strings."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("label") or item.get("nom") or ""
        if str(item).strip():
            names.append(str(item).strip())
    return names


def _ge_date(report: Report, name: str, index: int, field_name: str, value) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text) or None
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        french = FR_DATE.match(text)
        if french:
            return dt.date(int(french.group(3)), int(french.group(2)), int(french.group(1)))
    except ValueError:
        pass
    report.error(name, index, field_name, "date AAAA-MM-JJ ou JJ/MM/AAAA attendue", text)
    return None


def grand_est_import(
    *, path: Path, mapping_folder: Path, actor, dry_run: bool = False, run: ImportRun | None = None
) -> SchemesResult:
    """Import aids in the layout of the Région Grand Est aids API (a JSON list of records), read through the
    field, beneficiary and theme mappings of Aides-territoires. Each record is a scheme « grand-est-<ID> »."""
    path, mapping_folder = Path(path), Path(mapping_folder)
    run = import_run_start(
        kind=ImportRun.Kind.CATALOGUE_GRAND_EST,
        actor=actor,
        paths=[path, *(mapping_folder / f for f in (GE_FIELDS_FILE, GE_CATEGORIES_FILE, GE_AUDIENCES_FILE))],
        dry_run=dry_run,
        run=run,
    )
    with import_run_guard(run):
        mapping = read_grand_est_mapping(mapping_folder)
        records = _json_list(path.parent, path.name)
        report, aids = Report(), {}
        src = mapping.fields
        for index, record in enumerate(records, start=1):
            uid = str(record.get(src["import_uniqueid"]) or "").strip()
            title = " ".join(str(record.get(src["name"]) or "").split())
            if not uid:
                report.error(path.name, index, src["import_uniqueid"], "identifiant de l'aide manquant")
                continue
            if not title:
                report.error(path.name, index, src["name"], "titre de l'aide manquant")
                continue
            slug = f"grand-est-{slugify(uid)}"[:200]
            if slug in aids:
                report.error(path.name, index, src["import_uniqueid"], "aide en double", uid)
                continue
            beneficiaries = []
            for name in _names(record.get(src.get("targeted_audiences", ""))):
                if name not in mapping.audiences:
                    report.warning(
                        path.name,
                        index,
                        src["targeted_audiences"],
                        "bénéficiaire absent de la table de correspondance",
                        name,
                    )
                    continue
                beneficiaries += [b for b in mapping.audiences[name] if b not in beneficiaries]
            themes = []
            for name in _names(record.get(src.get("categories", ""))):
                if name not in mapping.categories:
                    report.warning(
                        path.name,
                        index,
                        src["categories"],
                        "thématique absente de la table de correspondance",
                        name,
                    )
                    continue
                themes += [t for t in mapping.categories[name] if t not in themes]
            description = HTML_TAG.sub(" ", str(record.get(src.get("description", "")) or ""))
            is_call = str(record.get(src.get("is_call_for_project", "")) or "") == "ge_projet"
            aids[slug] = {
                "source": Scheme.Source.GRAND_EST,
                "title": title[:400],
                "description": " ".join(description.split()),
                "nature": Scheme.Nature.OTHER,
                "operator": None,
                "financers": "Région Grand Est",
                "valid_from": _ge_date(
                    report, path.name, index, src.get("start_date"), record.get(src.get("start_date", ""))
                )
                if is_call
                else None,
                "valid_until": _ge_date(
                    report,
                    path.name,
                    index,
                    src.get("submission_deadline"),
                    record.get(src.get("submission_deadline", "")),
                ),
                "regions": ["Grand Est"],
                "national": False,
                "beneficiaries": [b[:120] for b in beneficiaries],
                "url": str(record.get(src.get("origin_url", "")) or "")[:500],
                "data": {**record, "_thématiques": themes, "_appel_à_projets": is_call},
            }
        report.raise_if_errors(f"{path.name} : aides de la Région Grand Est refusées, rien n'a été importé.")
        with import_writes(run):
            counts = Counts()
            for slug, values in aids.items():
                values["data"] = json.loads(json.dumps(values["data"], default=str))
                values["fingerprint"] = record_fingerprint(values["data"])
                scheme_version_keep(_upsert(Scheme, counts, "dispositifs", {"slug": slug}, values), run=run)
    run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        details={"tables": counts.tables},
    )
    return SchemesResult(run, counts)

"""Fragility signals from open data (BODACC collective proceedings, SIRENE vintage changes) and from advisors.

The rules are deliberately simple and explainable; each signal names its rule (`rule`, versioned) and keeps
its evidence, so that a statistical model added later (`Signal.Source.MODEL`) can be measured against them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db.models import Q

from tandem.companies.models import (
    BodaccAnnouncement,
    Company,
    Establishment,
    ProceedingKind,
    RegistryChange,
    RegistryImport,
    Signal,
)
from tandem.companies.nomenclatures import EMPLOYER_BANDS, HEADCOUNT_BANDS, headcount_label, is_headcount_drop
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, Report, UserError
from tandem.core.models import AuditEvent
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import can_create, can_share, sharing_requested

BODACC_SOURCE = "DILA, BODACC A — procédures collectives (via PlansDe/bodacc)"
BODACC_LICENCE = "Licence Ouverte / Etalab 2.0"
BODACC_COLUMNS = ("RCS", "DATE", "EFFECTIFS", "NATURE")


def signal_owner() -> Organization:
    """Signals derived from public data belong to the Region organisation and are visible to the network."""
    owner = Organization.objects.filter(kind=Organization.Kind.REGION).order_by("pk").first()
    if owner is None:
        raise UserError(
            "Aucune organisation Région n'existe pour porter les signaux issus des données publiques : "
            "créez-la d'abord (ou importez sans signaux)."
        )
    return owner


def _head_office_communes(sirens) -> dict[str, str]:
    rows = Establishment.objects.filter(company_id__in=sirens, is_head_office=True, commune__isnull=False)
    return dict(rows.values_list("company_id", "commune_id"))


def _create_new(signals: list[Signal]) -> list[Signal]:
    """Insert the signals whose (source, dedup_key) is not already there: imports stay idempotent."""
    keys = {(s.source, s.dedup_key) for s in signals}
    existing = set(
        # Unscoped on purpose: deduplication against every signal already raised, whoever owns it.
        Signal.objects.unscoped()
        .filter(dedup_key__in={k for _s, k in keys})
        .values_list("source", "dedup_key")
    )
    fresh, seen = [], set()
    for signal in signals:
        key = (signal.source, signal.dedup_key)
        if key not in existing and key not in seen:
            seen.add(key)
            fresh.append(signal)
    return Signal.objects.bulk_create(fresh)


# --- SIRENE vintage changes ---------------------------------------------------------------------------------


def registry_signals_create(*, run: RegistryImport, owner: Organization | None = None) -> list[Signal]:
    """Signals for the closures and headcount-band drops recorded by one SIRENE import run.

    Rules (v1): the closure of an establishment with employees (an employer headcount band or the employer
    flag), the cessation of a company with employees, and a drop of at least one headcount band from a band
    with employees (establishment or company). Closures of non-employer establishments stay recorded as
    registry changes (project reviews list them) but raise no alert.
    """
    changes = (
        RegistryChange.objects.filter(run=run)
        .filter(
            Q(kind__in=[RegistryChange.Kind.CLOSURE, RegistryChange.Kind.CESSATION])
            | Q(kind=RegistryChange.Kind.HEADCOUNT)
        )
        .select_related("establishment", "company")
    )
    candidates: list[Signal] = []
    vintage = run.vintage or date.today()
    company_communes = None
    for change in changes.iterator():
        unit = change.establishment or change.company
        employer = unit.headcount_band in EMPLOYER_BANDS or unit.employer == "O"
        where = f"l'établissement {change.establishment_id}" if change.establishment_id else "l'entreprise"
        if change.kind in (RegistryChange.Kind.CLOSURE, RegistryChange.Kind.CESSATION):
            if not employer:
                continue
            source, category = Signal.Source.SIRENE_CLOSURE, Signal.Category.CLOSURE
            rule = f"sirene.{change.kind}/v1"
            verb = "fermé" if change.establishment_id else "cessée"
            description = (
                f"SIRENE : {where} est {verb} le {change.effective_on or vintage:%d/%m/%Y} "
                f"(tranche d'effectif : {headcount_label(unit.headcount_band) or 'inconnue'})."
            )
        elif is_headcount_drop(change.old_value, change.new_value):
            source, category = Signal.Source.HEADCOUNT_DROP, Signal.Category.HEADCOUNT_DROP
            rule = "sirene.headcount_drop/v1"
            description = (
                f"SIRENE : la tranche d'effectif de {where} passe de « {headcount_label(change.old_value)} » "
                f"à « {headcount_label(change.new_value)} »."
            )
        else:
            continue
        if change.establishment_id:
            commune_id = change.establishment.commune_id
        else:
            if company_communes is None:
                sirens = changes.filter(establishment__isnull=True).values("company_id")
                company_communes = _head_office_communes(sirens)
            commune_id = company_communes.get(change.company_id)
        candidates.append(
            Signal(
                company_id=change.company_id,
                establishment_id=change.establishment_id,
                commune_id=commune_id,
                source=source,
                rule=rule,
                category=category,
                observed_on=change.effective_on or vintage,
                description=description,
                evidence={
                    "registry_change": change.pk,
                    "run": run.pk,
                    "file": ", ".join(f["name"] for f in run.run.files),
                    "old": change.old_value,
                    "new": change.new_value,
                },
                dedup_key=(
                    f"{change.establishment_id or change.company_id}:{change.kind}:{change.old_value}>"
                    f"{change.new_value}:{change.effective_on or vintage}"
                ),
                registry_change=change,
                visibility=Visibility.NETWORK,
            )
        )
    if not candidates:
        return []
    owner = owner or signal_owner()
    for signal in candidates:
        signal.owner = owner
    return _create_new(candidates)


# --- BODACC -----------------------------------------------------------------------------------------------


def proceeding_kind(nature: str) -> str:
    """The proceeding a BODACC judgment belongs to, from its wording (conversion to liquidation: liquidation)."""
    text = nature.lower()
    if "clôture" in text or "cloture" in text:
        return ProceedingKind.CLOTURE
    if "liquidation" in text:
        return ProceedingKind.LIQUIDATION
    if "redressement" in text:
        return ProceedingKind.REDRESSEMENT
    if "sauvegarde" in text:
        return ProceedingKind.SAUVEGARDE
    return ProceedingKind.AUTRE


@dataclass
class BodaccResult:
    run: ImportRun
    registry: RegistryImport
    announcements_created: int
    signals: list[Signal]
    warnings: list


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bodacc_import(
    *,
    path: Path,
    actor,
    owner: Organization | None = None,
    dry_run: bool = False,
    run: ImportRun | None = None,
) -> BodaccResult:
    """Import BODACC collective-proceeding judgments (columns RCS, DATE, EFFECTIFS, NATURE; extra columns
    such as TRIBUNAL are read when present). Every row is validated first; then announcements are kept (all
    of them) and a signal is created for each one about a company of the registry, in one transaction.
    A refused file leaves only its refused run; a dry run writes nothing at all.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"Fichier introuvable : {path}")
    run = import_run_start(kind=ImportRun.Kind.BODACC, actor=actor, paths=[path], dry_run=dry_run, run=run)
    stored_before = run.pk is not None  # a web or background run: it keeps its record, dry run or not
    with import_run_guard(run):
        rows, report = _bodacc_rows(path)
        with import_writes(run):
            if run.pk is None:
                run.save()  # a dry run: saved inside the transaction rolled back at its end
            registry, fresh, signals = _bodacc_write(path, rows, actor, owner, run)
    if dry_run:
        registry.pk = None
        if not stored_before:
            run.pk = None
    import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=len(fresh),
        unchanged=len(rows) - len(fresh),
        details={
            "notes": [
                f"{registry.rows_read} jugement(s) lu(s), {registry.rows_in_territory} concernant des "
                f"entreprises du répertoire, {len(signals)} signal(aux) créé(s)"
            ]
        },
    )
    return BodaccResult(
        run=run,
        registry=registry,
        announcements_created=len(fresh),
        signals=signals,
        warnings=report.warnings,
    )


def _bodacc_rows(path: Path) -> tuple[list[tuple], Report]:
    report = Report()
    rows = []
    table = read_table(path, path.name, limits=import_limits(), delimiters=(",", ";"))
    missing = [c for c in ("RCS", "DATE", "NATURE") if c not in table.header]
    if missing:
        raise UserError(f"{path.name}, ligne 1 : colonne(s) absente(s) : {', '.join(missing)}.")
    for problem in table.problems:
        report.error(problem.file, problem.line, problem.field, problem.message, problem.value)
    for line, row in table.records():
        siren = (row.get("RCS") or "").strip().replace(" ", "")
        if re.fullmatch(r"\d{8}", siren):
            # A spreadsheet dropped the leading zero (documented in the source's PROVENANCE).
            report.warning(path.name, line, "RCS", "SIREN de 8 chiffres complété par un zéro initial", siren)
            siren = siren.zfill(9)
        elif not re.fullmatch(r"\d{9}", siren):
            report.error(path.name, line, "RCS", "SIREN à 9 chiffres attendu", siren)
        raw_date = (row.get("DATE") or "").strip()
        judgment_on = None
        if _DATE.match(raw_date):
            try:
                judgment_on = date.fromisoformat(raw_date)
            except ValueError:
                pass
        if judgment_on is None:
            report.error(path.name, line, "DATE", "date AAAA-MM-JJ attendue", raw_date)
        band = (row.get("EFFECTIFS") or "").strip()
        if band and band not in HEADCOUNT_BANDS:
            report.error(path.name, line, "EFFECTIFS", "tranche d'effectif INSEE inconnue", band)
        nature = (row.get("NATURE") or "").strip()
        if not nature:
            report.error(path.name, line, "NATURE", "nature du jugement manquante")
        elif len(nature) > 255:
            report.error(path.name, line, "NATURE", "texte de plus de 255 caractères")
        rows.append((line, siren, judgment_on, band, nature, (row.get("TRIBUNAL") or "").strip()[:200]))
    report.raise_if_errors(f"Le fichier BODACC {path.name} contient des erreurs ; rien n'a été importé.")
    return rows, report


def _bodacc_write(path: Path, rows: list[tuple], actor, owner, run: ImportRun):
    registry = RegistryImport.objects.create(
        run=run, source=BODACC_SOURCE, licence=BODACC_LICENCE, rows_read=len(rows)
    )
    known = set(Company.objects.filter(siren__in={r[1] for r in rows}).values_list("siren", flat=True))
    existing = {
        (a.siren, a.judgment_on, a.nature): a
        for a in BodaccAnnouncement.objects.filter(siren__in={r[1] for r in rows})
    }
    fresh = []
    for line, siren, judgment_on, band, nature, tribunal in rows:
        key = (siren, judgment_on, nature)
        if key in existing:
            announcement = existing[key]
            if announcement.company_id is None and siren in known:
                announcement.company_id = siren
                announcement.save(update_fields=["company"])
            continue
        existing[key] = BodaccAnnouncement(
            siren=siren,
            company_id=siren if siren in known else None,
            judgment_on=judgment_on,
            kind=proceeding_kind(nature),
            nature=nature,
            tribunal=tribunal,
            headcount_band=band,
            source=path.name,
            source_line=line,
            run=registry,
        )
        fresh.append(existing[key])
    BodaccAnnouncement.objects.bulk_create(fresh)
    signals = bodacc_signals_create(announcements=[a for a in existing.values() if a.company_id], owner=owner)
    registry.rows_in_territory = sum(1 for r in rows if r[1] in known)
    registry.signals_created = len(signals)
    registry.save()
    if not run.dry_run:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            obj=registry,
            details={"file": path.name, "announcements": len(fresh), "signals": len(signals)},
        )
    return registry, fresh, signals


def bodacc_signals_create(*, announcements, owner: Organization | None = None) -> list[Signal]:
    """One signal per BODACC judgment about a company of the registry (idempotent)."""
    if not announcements:
        return []
    owner = owner or signal_owner()
    communes = _head_office_communes({a.company_id for a in announcements})
    candidates = [
        Signal(
            owner=owner,
            visibility=Visibility.NETWORK,
            company_id=a.company_id,
            commune_id=communes.get(a.company_id),
            source=Signal.Source.BODACC,
            rule=f"bodacc.{a.kind}/v1",
            category=Signal.Category.COLLECTIVE_PROCEEDING,
            observed_on=a.judgment_on,
            description=f"BODACC : {a.nature} ({a.get_kind_display()}), le {a.judgment_on:%d/%m/%Y}.",
            evidence={"siren": a.siren, "nature": a.nature, "source": a.source, "line": a.source_line},
            dedup_key=f"{a.siren}:{a.judgment_on}:{hashlib.sha256(a.nature.encode()).hexdigest()[:12]}",
            bodacc_announcement=a,
        )
        for a in announcements
    ]
    return _create_new(candidates)


# --- advisors -----------------------------------------------------------------------------------------------


def signal_create(
    *,
    actor,
    owner: Organization,
    company: Company,
    category: str,
    observed_on: date,
    description: str,
    establishment: Establishment | None = None,
    visibility: str = Visibility.PRIVATE,
) -> Signal:
    """An advisor records a fragility signal (loss of activity, financing, supply, HR, succession…)."""
    if category not in Signal.Category.values:
        raise UserError(f"Catégorie de signal inconnue : « {category} ».")
    commune_id = (
        establishment.commune_id if establishment else _head_office_communes([company.pk]).get(company.pk)
    )
    if not can_create(actor, Signal, owner=owner, commune_code=commune_id):
        raise NotAllowed("Vous ne pouvez pas enregistrer de signal pour cette organisation ou ce territoire.")
    if sharing_requested(visibility) and not can_share(actor, owner=owner):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({owner}) décide avec qui ce signal est partagé."
        )
    signal = Signal.objects.create(
        owner=owner,
        visibility=visibility,
        company=company,
        establishment=establishment,
        commune_id=commune_id,
        source=Signal.Source.ADVISOR,
        rule="advisor",
        category=category,
        observed_on=observed_on,
        description=description,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=signal)
    return signal

"""Writes of industrial ecology: flows (one by one or from a workshop sheet) and synergies through their pipeline.

Every write checks the permission layer (`can_create`/`can_change`) and is audited. Flows and synergies are
commercially sensitive: their visibility is fixed by the domain (the owner, the company's référent organisation
and the territory's facilitators, see `tandem.organizations.perms`), never widened by a user."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from tandem.companies.models import Establishment
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.eit.engine import model as engine
from tandem.eit.estimates import estimates_supersede
from tandem.eit.models import FLOW_FIELDS, Flow, Synergy, SynergyStageChange, SynergyYear, WasteCode
from tandem.eit.perms import can_record_flow, synergy_commune_for
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor, can_change, scope_queryset


def _user_of(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _check_flow_fields(fields: dict) -> None:
    """The engine's own check (`engine.Flow.check`), so that nothing the engine would refuse is stored."""
    ewc = fields.get("ewc_id") or ""
    if ewc and not WasteCode.objects.filter(pk=ewc).exists():
        raise UserError(f"Code déchet inconnu de la nomenclature européenne : « {ewc} ».")
    if fields.get("direction") == engine.OFFER and ewc and len(ewc) != 6:
        raise UserError("Une offre porte un code déchet à 6 chiffres.")
    engine.Flow(
        id="nouveau",
        actor_id="",
        direction=fields.get("direction", ""),
        kind=fields.get("kind", ""),
        ewc=ewc,
        resource=fields.get("resource", ""),
        quantity=fields.get("quantity"),
        unit=fields.get("unit", "t"),
        period=fields.get("period", "year"),
        months=fields.get("months", engine.ALL_MONTHS),
        quality=engine.Quality(water_class=fields.get("water_class") or None),
        legal_status=fields.get("legal_status", engine.WASTE),
        origin=fields.get("origin", engine.DECLARED),
        confidence=fields.get("confidence", 1.0),
        valid_from=fields.get("valid_from"),
        valid_until=fields.get("valid_until"),
    ).check()


@transaction.atomic
def flow_create(*, actor: Actor, owner: Organization, establishment: Establishment, **fields) -> Flow:
    """Record a flow of `establishment` for `owner` (contributors of the owner within its perimeter)."""
    unknown = set(fields) - set(FLOW_FIELDS) - {"source", "import_key"}
    if unknown:
        raise UserError(f"Champ(s) inconnu(s) : {', '.join(sorted(unknown))}.")
    if not can_record_flow(actor, owner=owner, commune_code=establishment.commune_id):
        raise NotAllowed(
            f"Vous ne pouvez pas enregistrer de flux pour {owner} sur le territoire de cet établissement."
        )
    _check_flow_fields(fields)
    flow = Flow.objects.create(
        owner=owner,
        visibility=Visibility.PRIVATE,
        establishment=establishment,
        commune_id=establishment.commune_id,
        created_by=_user_of(actor),
        **fields,
    )
    estimates_supersede(flow)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=flow, details={"siret": establishment.siret}
    )
    return flow


@transaction.atomic
def flow_update(*, actor: Actor, flow: Flow, **fields) -> Flow:
    """Change a flow's fields (not its establishment nor its owner)."""
    if not can_change(actor, flow):
        raise NotAllowed("Vous ne pouvez pas modifier ce flux.")
    unknown = set(fields) - set(FLOW_FIELDS)
    if unknown:
        raise UserError(f"Champ(s) non modifiable(s) : {', '.join(sorted(unknown))}.")
    merged = {name: getattr(flow, name) for name in FLOW_FIELDS} | fields
    _check_flow_fields(merged)
    for name, value in fields.items():
        setattr(flow, name, value)
    flow.save()
    estimates_supersede(flow)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=flow, details={"fields": sorted(fields)})
    return flow


@transaction.atomic
def flow_delete(*, actor: Actor, flow: Flow) -> None:
    """Delete a flow that no synergy uses (a synergy keeps its history: abandon it instead)."""
    if not can_change(actor, flow):
        raise NotAllowed("Vous ne pouvez pas supprimer ce flux.")
    # Integrity: a synergy of any organisation that uses this flow forbids deleting it.
    synergies = Synergy.objects.unscoped()
    if synergies.filter(supplier_flow=flow).exists() or synergies.filter(receiver_flow=flow).exists():
        raise UserError(
            "Ce flux fait partie d'une synergie : il ne peut pas être supprimé (abandonnez la synergie)."
        )
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=flow)
    flow.delete()


# --- workshop sheets ---------------------------------------------------------------------------------------


@dataclass
class FlowImportResult:
    file_name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        verb = "seraient" if self.dry_run else "ont été"
        if not self.created and not self.updated:
            return f"{self.file_name} : flux déjà à jour ({self.unchanged} inchangé(s)) ; rien n'a changé."
        return (
            f"{self.file_name} : {self.created} flux {verb} créé(s), {self.updated} {verb} modifié(s), "
            f"{self.unchanged} inchangé(s)"
            + (" (simulation : rien n'a été enregistré)." if self.dry_run else ".")
        )


def flows_import(
    *, actor: Actor, owner: Organization, path: Path, name: str | None = None, dry_run: bool = False
) -> FlowImportResult:
    """Import a workshop sheet (CSV or XLSX, one row per flow) for `owner`. Every row is checked first (file,
    row, field named in French); any error refuses the whole sheet. A row already imported (same establishment,
    sense, nature, code or resource and description) is updated only if a field changed: re-importing the
    same sheet changes nothing. A dry run checks and counts, and writes nothing."""
    from tandem.eit.workshop import read_sheet

    sheet = read_sheet(Path(path), name)
    report_refused = []
    for row in sheet.rows:
        if not can_record_flow(actor, owner=owner, commune_code=row.establishment.commune_id):
            report_refused.append(
                f"{sheet.name}, ligne {row.line}, champ « siret » : établissement {row.establishment.siret} hors du "
                f"territoire sur lequel vous pouvez enregistrer des flux pour {owner}"
            )
    if report_refused:
        raise NotAllowed("Fiche atelier refusée, rien n'a été importé : " + " ; ".join(report_refused[:10]))
    result = FlowImportResult(sheet.name, dry_run=dry_run, warnings=sheet.warnings)
    with transaction.atomic():
        existing = {
            f.import_key: f
            # The owner's own flows, matched by import key (the owner was checked above).
            for f in Flow.objects.unscoped()
            .select_for_update()
            .filter(owner=owner, import_key__in=[r.import_key for r in sheet.rows])
        }
        for row in sheet.rows:
            flow = existing.get(row.import_key)
            if flow is None:
                result.created += 1
                if not dry_run:
                    _check_flow_fields(row.fields)
                    created = Flow.objects.create(
                        owner=owner,
                        visibility=Visibility.PRIVATE,
                        establishment=row.establishment,
                        commune_id=row.establishment.commune_id,
                        created_by=_user_of(actor),
                        import_key=row.import_key,
                        source=sheet.name[:255],
                        **row.fields,
                    )
                    estimates_supersede(created)
                continue
            changed = [k for k, v in row.fields.items() if getattr(flow, k) != v]
            if not changed:
                result.unchanged += 1
                continue
            result.updated += 1
            if not dry_run:
                for k in changed:
                    setattr(flow, k, row.fields[k])
                flow.source = sheet.name[:255]
                flow.save()
                estimates_supersede(flow)
        if not dry_run and (result.created or result.updated):
            audit_record(
                actor=actor,
                action=AuditEvent.Action.IMPORT,
                object_type="eit.flow",
                details={"file": sheet.name, "created": result.created, "updated": result.updated},
            )
    return result


# --- synergies ---------------------------------------------------------------------------------------------


def committed_quantity(flow: Flow, *, exclude: Synergy | None = None) -> float:
    """What the flow already promises (offer) or receives (need) in synergies still alive, per year, in the
    kind's unit."""
    # Capacity is physical: every organisation's live synergies count, whoever may see them.
    related = Synergy.objects.unscoped().filter(stage__in=Synergy.ACTIVE_STAGES)
    related = (
        related.filter(supplier_flow=flow)
        if flow.direction == engine.OFFER
        else related.filter(receiver_flow=flow)
    )
    if exclude is not None:
        related = related.exclude(pk=exclude.pk)
    return float(related.aggregate(total=Sum("quantity"))["total"] or 0.0)


@transaction.atomic
def synergy_create(
    *, actor: Actor, owner: Organization, supplier_flow: Flow, receiver_flow: Flow, notes: str = ""
) -> Synergy:
    """Open a synergy (stage « idée ») between an offer and a need the actor sees. The engine evaluates the pair
    on what is still free of both flows (capacities already promised to other synergies are taken off, so an
    offer is never promised twice); a pair the engine refuses (hazardous waste to an unauthorised receiver, heat
    too cold, incompatible materials…) is refused with its reason."""
    from tandem.eit.detection import evaluate_pair

    visible = scope_queryset(actor, Flow.objects.filter(pk__in=[supplier_flow.pk, receiver_flow.pk]))
    if visible.count() != 2:
        raise UserError("Flux introuvable.")
    if supplier_flow.direction != engine.OFFER or receiver_flow.direction != engine.NEED:
        raise UserError("Une synergie relie une offre (fournisseur) à un besoin (receveur).")
    if supplier_flow.establishment_id == receiver_flow.establishment_id:
        raise UserError("Le fournisseur et le receveur sont le même établissement.")
    commune = synergy_commune_for(actor, owner, supplier_flow.commune_id, receiver_flow.commune_id)
    if commune is None and not actor.is_platform_admin:
        raise NotAllowed(f"Vous ne pouvez pas ouvrir de synergie pour {owner} sur ce territoire.")
    # Lock the two flows already checked visible above; a pair is unique across organisations (integrity).
    Flow.objects.unscoped().select_for_update().filter(pk__in=[supplier_flow.pk, receiver_flow.pk]).first()
    if Synergy.objects.unscoped().filter(supplier_flow=supplier_flow, receiver_flow=receiver_flow).exists():
        raise UserError("Cette synergie existe déjà.")
    found, refusal = evaluate_pair(supplier_flow, receiver_flow)
    if found is None:
        raise UserError(f"Synergie non retenue par le moteur : {refusal}")
    if found.quantity is not None and found.quantity <= 0:
        raise UserError(
            "Capacité déjà entièrement promise à d'autres synergies : cette offre n'a plus rien à proposer."
        )
    today = timezone.localdate()
    try:
        with transaction.atomic():
            synergy = Synergy.objects.create(
                owner=owner,
                visibility=Visibility.PRIVATE,
                supplier_flow=supplier_flow,
                receiver_flow=receiver_flow,
                commune_id=supplier_flow.commune_id,
                receiver_commune_id=receiver_flow.commune_id,
                kind=supplier_flow.kind,
                title=f"{supplier_flow.what[:100]} : {_name(supplier_flow.establishment)} → {_name(receiver_flow.establishment)}"[
                    :255
                ],
                stage=Synergy.Stage.IDEA,
                stage_since=today,
                score=found.score,
                quantity=found.quantity,
                unit=found.unit,
                road_km=found.road_km,
                co2e_t=found.co2e_t,
                money_eur=found.money_eur,
                reasons=list(found.reasons),
                notes=notes,
                created_by=_user_of(actor),
            )
    except IntegrityError as exc:
        raise UserError("Cette synergie existe déjà.") from exc
    SynergyStageChange.objects.create(
        synergy=synergy,
        from_stage="",
        to_stage=Synergy.Stage.IDEA,
        on=today,
        by=_user_of(actor),
        organization_id=actor.current_org_id,
        notes=notes,
    )
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=synergy)
    return synergy


def _name(establishment: Establishment) -> str:
    return establishment.company.display_name if establishment.company_id else establishment.siret


@transaction.atomic
def synergy_stage_move(
    *, actor: Actor, synergy: Synergy, stage: str, on: date | None = None, notes: str = ""
) -> Synergy:
    """Move a synergy to another stage, with who, when and notes in its history. Reopening an abandoned
    synergy takes its capacity back: refused if the offer has been promised elsewhere meanwhile."""
    if not can_change(actor, synergy):
        raise NotAllowed("Vous ne pouvez pas faire avancer cette synergie.")
    if stage not in Synergy.Stage.values:
        raise UserError(f"Étape inconnue : « {stage} ».")
    synergy = Synergy.objects.unscoped().select_for_update().get(pk=synergy.pk)  # the object in hand, locked
    if stage == synergy.stage:
        raise UserError(f"La synergie est déjà à l'étape « {synergy.get_stage_display()} ».")
    on = on or timezone.localdate()
    if on < synergy.stage_since:
        raise UserError("La date du changement d'étape précède celle de l'étape en cours.")
    if synergy.stage == Synergy.Stage.ABANDONED and synergy.quantity:
        offer = synergy.supplier_flow
        free = _yearly(offer) - committed_quantity(offer, exclude=synergy)
        if not math.isnan(free) and free + 1e-9 < synergy.quantity:
            raise UserError(
                "L'offre a été promise à d'autres synergies entre-temps : la capacité n'est plus libre."
            )
    SynergyStageChange.objects.create(
        synergy=synergy,
        from_stage=synergy.stage,
        to_stage=stage,
        on=on,
        by=_user_of(actor),
        organization_id=actor.current_org_id,
        notes=notes,
    )
    synergy.stage, synergy.stage_since = stage, on
    synergy.save(update_fields=["stage", "stage_since", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=synergy, details={"stage": stage})
    return synergy


def _yearly(flow: Flow) -> float:
    if flow.quantity is None:
        return math.nan
    return flow.quantity * engine.UNITS[flow.unit][1] * engine.PERIODS[flow.period]


@transaction.atomic
def synergy_agreement_set(*, actor: Actor, synergy: Synergy, side: str, on: date | None) -> Synergy:
    """Record (or clear, `on=None`) the agreement of the supplier or the receiver company."""
    if not can_change(actor, synergy):
        raise NotAllowed("Vous ne pouvez pas modifier cette synergie.")
    if side not in ("supplier", "receiver"):
        raise UserError("Côté inconnu : « fournisseur » ou « receveur » attendu.")
    setattr(synergy, f"{side}_agreed_on", on)
    synergy.save(update_fields=[f"{side}_agreed_on", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=synergy, details={"agreement": side})
    return synergy


@transaction.atomic
def synergy_year_set(
    *, actor: Actor, synergy: Synergy, year: int, quantity: float, co2e_t: float | None = None
) -> SynergyYear:
    """Record what a realised synergy exchanged in `year`. Without a measured CO2e, the detection's estimate per
    unit exchanged (CO2e estimated / quantity envisaged) is applied and stated as such in the audit log."""
    if not can_change(actor, synergy):
        raise NotAllowed("Vous ne pouvez pas modifier cette synergie.")
    synergy = Synergy.objects.unscoped().get(pk=synergy.pk)  # the object in hand, read again
    if synergy.stage != Synergy.Stage.REALISED:
        raise UserError("Les quantités échangées se saisissent pour une synergie réalisée.")
    if quantity is None or quantity < 0 or not math.isfinite(quantity):
        raise UserError("Quantité échangée : nombre positif attendu.")
    if not 1990 <= year <= timezone.localdate().year:
        raise UserError(f"Année invalide : {year}.")
    estimated = co2e_t is None
    if estimated and synergy.co2e_t is not None and synergy.quantity:
        co2e_t = quantity * synergy.co2e_t / synergy.quantity
    row, _ = SynergyYear.objects.update_or_create(
        synergy=synergy,
        year=year,
        defaults={
            "quantity": quantity,
            "unit": synergy.unit or engine.CANONICAL_UNIT[synergy.kind],
            "co2e_t": co2e_t,
        },
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=synergy,
        details={"year": year, "quantity": quantity, "co2e_estimated": estimated},
    )
    return row


@transaction.atomic
def synergy_delete(*, actor: Actor, synergy: Synergy) -> None:
    """Delete a synergy still at the « idée » stage (later ones keep their history: abandon them)."""
    if not can_change(actor, synergy):
        raise NotAllowed("Vous ne pouvez pas supprimer cette synergie.")
    if synergy.stage != Synergy.Stage.IDEA:
        raise UserError("Seule une synergie au stade « idée » peut être supprimée ; abandonnez-la.")
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=synergy)
    synergy.delete()

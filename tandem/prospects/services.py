"""Writes on prospects: creation, changes, sharing with territories, status, proposals, shortlist.

Every write checks `tandem.prospects.perms`, runs in one transaction and is audited.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tandem.companies.nomenclatures import naf_label
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.models import Friche, Site, Terrain
from tandem.organizations.models import Membership, Organization, Visibility
from tandem.organizations.perms import Actor, can_share, scope_queryset
from tandem.prospects import perms
from tandem.prospects.audit import audit_confidential
from tandem.prospects.matching import MatchingInputError, Requirements
from tandem.prospects.models import Proposal, Prospect, StatusChange
from tandem.skills.jobs import job_resolve

# Fields a prospect's form or API may set (members, territories and status have their own services).
EDITABLE_FIELDS = (
    "code_name",
    "naf",
    "activity",
    "surface_min_ha",
    "surface_ideal_ha",
    "single_piece",
    "extension_margin_ha",
    "premises",
    "power_mw",
    "gas",
    "water_m3h",
    "water_m3d",
    "wastewater_m3d",
    "rail_required",
    "waterway_required",
    "port_required",
    "max_motorway_km",
    "max_station_km",
    "max_airport_km",
    "icpe_regime",
    "seveso",
    "continuous_operation",
    "jobs_at_start",
    "jobs_at_three_years",
    "investment_eur",
    "decision_on",
    "works_start_on",
    "production_start_on",
    "origin",
    "is_relocation",
    "plan_500",
    "weights",
    "public_aid_eur",
    "upstream_naf",
    "downstream_naf",
    "skills",
)
CANDIDATE_MODELS = {"terrain": Terrain, "site": Site, "friche": Friche}
PROPOSALS_OPEN = (Prospect.Status.RECEIVED, Prospect.Status.SHARED)


def requirements_of(prospect: Prospect, **overrides) -> Requirements:
    """The engine's view of a prospect's requirements (production start = the date the site is needed)."""
    values = {
        "surface_min_ha": prospect.surface_min_ha,
        "surface_ideal_ha": prospect.surface_ideal_ha,
        "extension_margin_ha": prospect.extension_margin_ha or 0,
        "power_mw": prospect.power_mw or 0,
        # A daily need is met by a continuous hourly flow of a 24th of it.
        "water_m3h": max(prospect.water_m3h or 0, (prospect.water_m3d or 0) / 24),
        "gas_required": prospect.gas,
        "wastewater_m3d": prospect.wastewater_m3d or 0,
        "rail_required": prospect.rail_required,
        "waterway_required": prospect.waterway_required or prospect.port_required,
        "max_motorway_km": prospect.max_motorway_km,
        "max_station_km": prospect.max_station_km,
        "max_airport_km": prospect.max_airport_km,
        "icpe_regime": prospect.icpe_regime,
        "seveso": prospect.seveso,
        "needed_by": prospect.production_start_on or prospect.works_start_on,
        "naf": prospect.naf,
        "excluded_epcis": tuple(prospect.excluded_epcis.values_list("pk", flat=True)) if prospect.pk else (),
        "weights": dict(prospect.weights or {}),
    }
    values.update(overrides)
    try:
        return Requirements(**values)
    except MatchingInputError as exc:
        raise UserError(str(exc)) from exc


NON_NEGATIVE = (
    "surface_ideal_ha",
    "extension_margin_ha",
    "power_mw",
    "water_m3h",
    "water_m3d",
    "wastewater_m3d",
    "max_motorway_km",
    "max_station_km",
    "max_airport_km",
    "investment_eur",
    "public_aid_eur",
)


def field_label(name: str) -> str:
    """The French label of a prospect's field, as the form shows it."""
    return str(Prospect._meta.get_field(name).verbose_name)


def normalise_naf(code: str) -> str:
    """« 2410z », « 24.10Z » → « 24.10Z » (the NAF rév. 2 sub-class form)."""
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) == 5 and code[:4].isdigit():
        code = f"{code[:2]}.{code[2:]}"
    return code


def prospect_field_errors(values: dict) -> dict[str, list[str]]:
    """Every problem of a prospect's values at once, per field, in French with the field's label: the form shows
    them next to their fields, the services refuse with all of them."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    minimum = values.get("surface_min_ha")
    if minimum is not None and minimum <= 0:
        add("surface_min_ha", f"« {field_label('surface_min_ha')} » doit être positive.")
    for name in NON_NEGATIVE:
        value = values.get(name)
        if value is not None and value < 0:
            add(name, f"« {field_label(name)} » ne peut pas être négatif.")
    ideal = values.get("surface_ideal_ha")
    if ideal is not None and minimum is not None and 0 <= ideal < minimum:
        add(
            "surface_ideal_ha",
            f"« {field_label('surface_ideal_ha')} » ({ideal:g} ha) est inférieure à la « "
            f"{field_label('surface_min_ha')} » ({minimum:g} ha).",
        )
    naf = values.get("naf")
    if naf and not naf_label(normalise_naf(naf)):
        add(
            "naf",
            f"« {field_label('naf')} » : « {naf} » n'est pas un code de la nomenclature NAF rév. 2 "
            "(forme attendue : 24.10Z).",
        )
    production = values.get("production_start_on")
    for name in ("decision_on", "works_start_on"):
        day = values.get(name)
        if day and production and day > production:
            add(
                name,
                f"« {field_label(name)} » ({day:%d/%m/%Y}) est postérieure au « "
                f"{field_label('production_start_on')} » ({production:%d/%m/%Y}).",
            )
    return errors


def _check_fields(fields: dict, current: Prospect | None = None) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise UserError(f"Champs inconnus : {', '.join(sorted(unknown))}.")
    values = {name: getattr(current, name) for name in EDITABLE_FIELDS} if current else {}
    values.update(fields)
    errors = prospect_field_errors(values)
    if errors:
        raise UserError(" ".join(m for messages in errors.values() for m in messages))
    if fields.get("naf"):
        fields["naf"] = normalise_naf(fields["naf"])
    if fields.get("skills"):
        # Each job typed as a title is resolved to its ROME code; a title with no match stays as typed
        # (« métier non rattaché »), so the gaps still count it.
        fields["skills"] = list(
            dict.fromkeys(m.code or m.title for m in map(job_resolve, fields["skills"]) if m.title)
        )


def _members_of(organizations, users) -> list:
    """Task-force members must belong to the owner or to an organisation the prospect is shared with."""
    org_ids = {o.pk for o in organizations}
    users = list(users)
    ok = set(
        Membership.objects.filter(user__in=users, organization_id__in=org_ids).values_list(
            "user_id", flat=True
        )
    )
    outsiders = [u for u in users if u.pk not in ok]
    if outsiders:
        names = ", ".join(sorted(u.username for u in outsiders))
        raise UserError(
            f"Membres de la task force hors des organisations concernées : {names}. Chaque membre doit "
            "appartenir à l'organisation propriétaire ou à une organisation avec laquelle le prospect est partagé."
        )
    return users


@transaction.atomic
def prospect_create(
    *,
    actor: Actor,
    owner: Organization,
    members=(),
    preferred_epcis=(),
    excluded_epcis=(),
    **fields,
) -> Prospect:
    """Record a prospect, confidential to its task force (the creator and `members` of the owner)."""
    if not perms.can_create_prospect(actor, owner):
        raise NotAllowed("Vous ne pouvez pas créer de prospect pour cette organisation.")
    _check_fields(fields)
    if not str(fields.get("code_name", "")).strip():
        raise UserError("Le nom de code est obligatoire.")
    prospect = Prospect(owner=owner, visibility=Visibility.PRIVATE, **fields)
    requirements_of(prospect)  # validates the requirements, in French
    prospect.save()
    team = _members_of([owner], members)
    if actor.user is not None and getattr(actor.user, "pk", None):
        team.append(actor.user)
    prospect.members.add(*team)
    prospect.preferred_epcis.set(preferred_epcis)
    prospect.excluded_epcis.set(excluded_epcis)
    StatusChange.objects.create(prospect=prospect, status=prospect.status, by=_user(actor))
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=prospect,
        details={"members": sorted(u.username for u in team)},
    )
    return prospect


@transaction.atomic
def prospect_update(*, actor: Actor, prospect: Prospect, **fields) -> Prospect:
    """Change a prospect's requirements or figures."""
    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas modifier ce prospect.")
    _check_fields(fields, prospect)
    for name, value in fields.items():
        setattr(prospect, name, value)
    requirements_of(prospect)
    prospect.save()
    audit_confidential(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=prospect, details={"fields": sorted(fields)}
    )
    return prospect


@transaction.atomic
def prospect_share(*, actor: Actor, prospect: Prospect, organizations, members) -> Prospect:
    """Share a prospect with territories: their organisations and the named people who join the task force."""
    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas partager ce prospect.")
    organizations = list(organizations)
    if not organizations:
        raise UserError("Choisissez au moins une organisation avec laquelle partager le prospect.")
    members = _members_of(organizations, members)
    if not members:
        raise UserError("Désignez au moins une personne de ces organisations pour la task force.")
    prospect.shared_with.add(*organizations)
    prospect.members.add(*members)
    if prospect.status == Prospect.Status.RECEIVED:
        _set_status(actor, prospect, Prospect.Status.SHARED, "partage avec les territoires")
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=prospect,
        details={
            "shared_with": sorted(o.name for o in organizations),
            "members_added": sorted(u.username for u in members),
        },
    )
    return prospect


def _user(actor: Actor):
    user = getattr(actor, "user", None)
    return user if getattr(user, "pk", None) else None


def _set_status(actor: Actor, prospect: Prospect, status: str, comment: str = "") -> None:
    prospect.status = status
    prospect.save(update_fields=["status", "updated_at"])
    StatusChange.objects.create(prospect=prospect, status=status, by=_user(actor), comment=comment)


@transaction.atomic
def prospect_set_status(*, actor: Actor, prospect: Prospect, status: str, comment: str = "") -> Prospect:
    """Move a prospect along its pipeline; the history keeps who, when and why."""
    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas changer le statut de ce prospect.")
    if status not in Prospect.Status.values:
        raise UserError(f"Statut inconnu : « {status} ».")
    _set_status(actor, prospect, status, comment)
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=prospect,
        details={"status": status, "comment": comment},
    )
    return prospect


@transaction.atomic
def proposal_create(
    *,
    actor: Actor,
    prospect: Prospect,
    organization: Organization,
    kind: str,
    object_id: int,
    comment: str = "",
    conditions: str = "",
) -> Proposal:
    """A territory proposes one of the terrains, sites or friches it may see for a prospect."""
    if not perms.can_propose(actor, prospect, organization):
        raise NotAllowed(
            "Vous ne pouvez pas proposer de candidat pour ce prospect au nom de cette organisation."
        )
    model = CANDIDATE_MODELS.get(kind)
    if model is None:
        raise UserError(f"Type de candidat inconnu : « {kind} » (terrain, site ou friche).")
    candidate = scope_queryset(actor, model.objects.filter(pk=object_id)).first()
    if candidate is None:
        raise UserError(f"{kind.capitalize()} introuvable : {object_id}.")
    if Proposal.objects.filter(prospect=prospect, **{kind: candidate}).exists():
        raise UserError(f"Ce {kind} est déjà proposé pour ce prospect.")
    proposal = Proposal.objects.create(
        prospect=prospect,
        organization=organization,
        kind=kind,
        comment=comment,
        conditions=conditions,
        proposed_by=_user(actor),
        **{kind: candidate},
    )
    # Proposing shares the candidate with the prospect's owner, so that the task force can build the answer.
    # The candidate's own event says what changed on it, never why: the prospect stays confidential (the
    # reason is in the proposal's event, which only the task force reads).
    if can_share(actor, candidate) and not candidate.shared_with.filter(pk=prospect.owner_id).exists():
        candidate.shared_with.add(prospect.owner)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=candidate,
            details={"shared_with_added": prospect.owner.name},
        )
    if prospect.status in PROPOSALS_OPEN:
        _set_status(actor, prospect, Prospect.Status.PROPOSALS, f"proposition de {organization}")
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=proposal,
        details={"prospect": prospect.pk, "kind": kind, "object_id": object_id},
    )
    return proposal


@transaction.atomic
def proposal_shortlist(*, actor: Actor, proposal: Proposal, shortlisted: bool = True) -> Proposal:
    """The task force keeps (or drops) a proposal in the shortlist."""
    prospect = proposal.prospect
    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas établir la liste restreinte de ce prospect.")
    proposal.shortlisted = shortlisted
    proposal.shortlisted_at = timezone.now() if shortlisted else None
    proposal.shortlisted_by = _user(actor) if shortlisted else None
    proposal.save()
    if shortlisted and prospect.status in (*PROPOSALS_OPEN, Prospect.Status.PROPOSALS):
        _set_status(actor, prospect, Prospect.Status.SHORTLISTED, "liste restreinte")
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=proposal,
        details={"prospect": prospect.pk, "shortlisted": shortlisted},
    )
    return proposal


def users_by_username(usernames) -> list:
    """Users named in a form or a request (unknown names are a French error)."""
    usernames = list(dict.fromkeys(usernames))
    users = list(get_user_model().objects.filter(username__in=usernames))
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise UserError(f"Utilisateurs inconnus : {', '.join(sorted(missing))}.")
    return users

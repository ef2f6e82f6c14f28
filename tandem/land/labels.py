"""Label workflow: the EPCI proposes a zone, the Région labels it STAR'EST (or refuses), with a decision record.

Proposals and decisions are `LabelDecision` rows (dates, who, texts, sector priorities); a labelled site also
carries the label in its `tdm_labels` extension so lists, filters and exports see it. Every step is audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.models import LabelDecision, Site
from tandem.land.models.labels import PENDING_PROPOSAL_MESSAGE
from tandem.land.perms import can_decide_label, can_propose_label, region_decider_org_ids
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor

# The label's name as it appears in `tdm_labels` (the extension's enumeration).
LABEL_NAMES = {
    LabelDecision.Label.STAREST: "STAR'EST",
    LabelDecision.Label.CLE_EN_MAIN_F2030: "site clé en main France 2030",
}


def _clean_sectors(sector_priorities) -> list[str]:
    return [s.strip() for s in (sector_priorities or []) if s and s.strip()]


@transaction.atomic
def label_propose(
    *,
    actor: Actor,
    site: Site,
    label: str = LabelDecision.Label.STAREST,
    proposal_text: str = "",
    sector_priorities: list[str] | None = None,
    on: dt.date | None = None,
) -> LabelDecision:
    """The EPCI proposes `site` for `label`. A private site becomes visible to the Région, which must read
    the proposal to decide."""
    if not can_propose_label(actor, site):
        raise NotAllowed(
            "Vous ne pouvez pas proposer ce site : seule l'intercommunalité qui le gère le peut."
        )
    if label not in LABEL_NAMES:
        raise UserError(f"Label inconnu « {label} ».")
    # Concurrent proposals for one site queue on the site's row, so the next one sees the first one pending;
    # the partial unique index `land_label_one_pending_proposal` holds the rule whatever the path.
    # The site in hand, which the actor may change (`can_propose_label` above).
    site = Site.objects.unscoped().select_for_update().get(pk=site.pk)
    pending = LabelDecision.objects.filter(site=site, label=label, status=LabelDecision.Status.PROPOSED)
    if pending.exists():
        raise UserError(PENDING_PROPOSAL_MESSAGE)
    if LABEL_NAMES[label] in (site.tdm_labels or []):
        raise UserError(f"Ce site est déjà labellisé {LABEL_NAMES[label]}.")
    current_org = actor.current_org_id if actor.current_org_id in actor.org_ids else site.owner_id
    try:
        with transaction.atomic():
            decision = LabelDecision.objects.create(
                site=site,
                label=label,
                proposed_by_org_id=current_org or site.owner_id,
                proposed_by=actor.user if getattr(actor.user, "pk", None) else None,
                proposed_on=on or dt.date.today(),
                proposal_text=proposal_text.strip(),
                sector_priorities=_clean_sectors(sector_priorities),
            )
    except IntegrityError as exc:
        raise UserError(PENDING_PROPOSAL_MESSAGE) from exc
    if site.visibility in (Visibility.PRIVATE, Visibility.SHARED):
        site.visibility = Visibility.REGION
        site.save(update_fields=["visibility", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=decision,
        details={"site": site.site_id, "label": label, "step": "proposition"},
    )
    return decision


@transaction.atomic
def label_decide(
    *,
    actor: Actor,
    decision: LabelDecision,
    accept: bool,
    decision_text: str,
    valid_until: dt.date | None = None,
    sector_priorities: list[str] | None = None,
    on: dt.date | None = None,
) -> LabelDecision:
    """The Région labels the proposed site (`accept`) or refuses, with a written decision."""
    if not can_decide_label(actor):
        raise NotAllowed(
            "Vous ne pouvez pas décider : seule la Région (contributeurs, administrateurs) labellise."
        )
    decision = LabelDecision.objects.select_for_update().select_related("site").get(pk=decision.pk)
    if decision.status != LabelDecision.Status.PROPOSED:
        raise UserError(f"Cette proposition a déjà été traitée ({decision.get_status_display()}).")
    if not decision_text.strip():
        raise UserError("Le texte de la décision est obligatoire (champ « décision »).")
    orgs = region_decider_org_ids(actor)
    decision.status = LabelDecision.Status.LABELLED if accept else LabelDecision.Status.REFUSED
    decision.decided_by_org_id = actor.current_org_id if actor.current_org_id in orgs else min(orgs)
    decision.decided_by = actor.user
    decision.decided_on = on or dt.date.today()
    decision.decision_text = decision_text.strip()
    decision.valid_until = valid_until if accept else None
    if sector_priorities is not None:
        decision.sector_priorities = _clean_sectors(sector_priorities)
    decision.save()
    site = decision.site
    if accept:
        name = LABEL_NAMES[decision.label]
        site.tdm_labels = [*[x for x in site.tdm_labels or [] if x != name], name]
        site.tdm_sector_priorities = list(decision.sector_priorities) or list(
            site.tdm_sector_priorities or []
        )
        site.save(update_fields=["tdm_labels", "tdm_sector_priorities", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=decision,
        details={
            "site": site.site_id,
            "label": decision.label,
            "step": "décision",
            "status": decision.status,
        },
    )
    return decision


@transaction.atomic
def label_withdraw(*, actor: Actor, decision: LabelDecision, reason: str) -> LabelDecision:
    """The Région withdraws a label it granted (the site loses it from `tdm_labels`)."""
    if not can_decide_label(actor):
        raise NotAllowed("Vous ne pouvez pas retirer un label : seule la Région le peut.")
    if decision.status != LabelDecision.Status.LABELLED:
        raise UserError("Seul un label accordé peut être retiré.")
    decision.status = LabelDecision.Status.WITHDRAWN
    decision.decision_text = f"{decision.decision_text}\nRetrait : {reason.strip()}".strip()
    decision.save()
    site = decision.site
    site.tdm_labels = [x for x in site.tdm_labels or [] if x != LABEL_NAMES[decision.label]]
    site.save(update_fields=["tdm_labels", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=decision, details={"step": "retrait"})
    return decision


def site_sector_priorities_set(*, actor: Actor, site: Site, sectors: list[str]) -> Site:
    """Sector priorities of a zone, set by the EPCI that manages it."""
    if not can_propose_label(actor, site):
        raise NotAllowed("Vous ne pouvez pas modifier ce site.")
    before = list(site.tdm_sector_priorities or [])
    site.tdm_sector_priorities = _clean_sectors(sectors)
    site.save(update_fields=["tdm_sector_priorities", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=site,
        details={"tdm_sector_priorities": [before, site.tdm_sector_priorities]},
    )
    return site

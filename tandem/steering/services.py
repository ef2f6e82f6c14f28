"""Writes of the steering: snapshots of the indicators (taken by the periodic job, corrected as new versions)."""

from __future__ import annotations

from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.perms import Actor
from tandem.steering import registry
from tandem.steering.models import Convention, ConventionObjective, IndicatorSnapshot, QuarterlyReport
from tandem.steering.perms import can_correct_snapshot
from tandem.steering.registry import Period


@registry.evaluation()
def snapshot_take(*, territory, period: Period, codes: list[str] | None = None) -> int:
    """Freeze every applicable indicator of `territory` for `period`, computed over the whole territory
    (the system actor: steering figures are the territory's, shown under the small-count rule). An indicator
    already frozen for that quarter is left as it is: history never changes when data is edited later.
    Returns the number of values frozen now."""
    actor = Actor.system_actor()
    done = set(
        IndicatorSnapshot.objects.filter(
            territory_level=territory.level,
            territory_key=territory.key,
            year=period.year,
            quarter=period.quarter,
        ).values_list("indicator", flat=True)
    )
    rows = []
    for item in registry.indicators(territory=territory):
        if item.code in done or (codes is not None and item.code not in codes):
            continue
        rows.append(
            IndicatorSnapshot(
                indicator=item.code,
                territory_level=territory.level,
                territory_key=territory.key,
                territory_name=territory.name[:200],
                year=period.year,
                quarter=period.quarter,
                value=registry.indicator_value(item, actor=actor, territory=territory, period=period),
                target=item.target_for(territory),
            )
        )
    IndicatorSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def snapshot_correct(*, actor: Actor, snapshot: IndicatorSnapshot, reason: str) -> IndicatorSnapshot:
    """Recompute a frozen value now, as a new version carrying `reason`; the former version is kept."""
    if not can_correct_snapshot(actor):
        raise NotAllowed("Seuls les administrateurs de la Région corrigent une valeur figée.")
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Indiquez le motif de la correction.")
    current = (
        IndicatorSnapshot.objects.select_for_update()
        .filter(
            indicator=snapshot.indicator,
            territory_level=snapshot.territory_level,
            territory_key=snapshot.territory_key,
            year=snapshot.year,
            quarter=snapshot.quarter,
            is_current=True,
        )
        .get()
    )
    from tandem.land.selectors import territory_resolve

    territory = territory_resolve(
        Actor.system_actor(), level=current.territory_level, key=current.territory_key
    )
    item = registry.indicator_get(current.indicator)
    period = Period(current.year, current.quarter)
    current.is_current = False
    current.save(update_fields=["is_current"])
    corrected = IndicatorSnapshot.objects.create(
        indicator=current.indicator,
        territory_level=current.territory_level,
        territory_key=current.territory_key,
        territory_name=current.territory_name,
        year=current.year,
        quarter=current.quarter,
        version=current.version + 1,
        value=registry.indicator_value(item, actor=Actor.system_actor(), territory=territory, period=period),
        target=item.target_for(territory),
        reason=reason[:300],
        taken_by=actor.user,
    )
    audit_record(actor=actor, action="update", obj=corrected, details={"motif": reason[:200]})
    return corrected


# --- Conventions and quarterly reports ------------------------------------------------------------------


def convention_create(
    *,
    actor: Actor,
    owner,
    partner,
    title: str,
    kind: str,
    territory,
    starts_on,
    ends_on,
    epci=None,
    signed_on=None,
    region_amount_eur=None,
    partner_amount_eur=None,
    aids: str = "",
    document=None,
    renews=None,
    alert_days: int = 90,
    delegations=(),
) -> Convention:
    """Record a convention of the Région `owner` with `partner`, shared with the partner."""
    from tandem.steering.perms import can_manage_conventions

    if not can_manage_conventions(actor) or not (actor.is_platform_admin or owner.pk in actor.org_ids):
        raise NotAllowed("Seule la Région enregistre une convention.")
    if kind not in Convention.Kind.values:
        raise UserError(f"Type de convention inconnu : « {kind} ».")
    if ends_on < starts_on:
        raise UserError("La date de fin de la convention précède sa date de début.")
    if document is not None and not document.name.lower().endswith(".pdf"):
        raise UserError(f"Le document « {document.name} » doit être un PDF.")
    convention = Convention.objects.create(
        owner=owner,
        partner=partner,
        title=title.strip(),
        kind=kind,
        epci=epci,
        territory_level=territory.level,
        territory_key=territory.key,
        territory_name=territory.name[:200],
        starts_on=starts_on,
        ends_on=ends_on,
        signed_on=signed_on,
        region_amount_eur=region_amount_eur,
        partner_amount_eur=partner_amount_eur,
        aids=aids,
        renews=renews,
        alert_days=alert_days,
        **({"document": document} if document is not None else {}),
    )
    convention.shared_with.add(partner)
    convention.delegations.set(delegations)
    audit_record(actor=actor, action="create", obj=convention)
    return convention


def objective_add(
    *, actor: Actor, convention: Convention, indicator: str, year: int, target: float, weight: int = 100
):
    """Add (or replace) the objective of `convention` on `indicator` for `year`."""
    from tandem.steering.perms import can_change_convention

    if not can_change_convention(actor, convention):
        raise NotAllowed("Seule la Région fixe les objectifs de la convention.")
    try:
        registry.indicator_get(indicator)
    except KeyError as exc:
        raise UserError(f"Indicateur inconnu : « {indicator} ».") from exc
    if not 0 <= weight <= 100:
        raise UserError("La pondération est un pourcentage entre 0 et 100.")
    objective, _ = ConventionObjective.objects.update_or_create(
        convention=convention, indicator=indicator, year=year, defaults={"target": target, "weight": weight}
    )
    audit_record(actor=actor, action="update", obj=convention, details={"objectif": indicator, "année": year})
    return objective


def report_open(*, actor: Actor, convention: Convention, period: Period) -> QuarterlyReport:
    """The quarterly report of `convention` for `period` (created in preparation if new)."""
    from tandem.steering.perms import can_open_report

    if not can_open_report(actor, convention):
        raise NotAllowed("Seuls le partenaire et la Région ouvrent un rapport trimestriel.")
    report, created = QuarterlyReport.objects.get_or_create(
        convention=convention, year=period.year, quarter=period.quarter
    )
    if created:
        audit_record(actor=actor, action="create", obj=report)
    return report


def report_comment(*, actor: Actor, report: QuarterlyReport, comment: str) -> QuarterlyReport:
    from tandem.steering.perms import can_write_report

    if not can_write_report(actor, report):
        raise NotAllowed("Ce rapport ne peut plus être modifié par votre organisation.")
    report.comment = comment.strip()
    report.save(update_fields=["comment", "updated_at"])
    audit_record(actor=actor, action="update", obj=report)
    return report


def report_submit(*, actor: Actor, report: QuarterlyReport) -> QuarterlyReport:
    from django.utils import timezone

    from tandem.steering.perms import can_write_report

    if not can_write_report(actor, report):
        raise NotAllowed("Seul le partenaire transmet un rapport en préparation.")
    report.status = QuarterlyReport.Status.SUBMITTED
    report.submitted_at, report.submitted_by = timezone.now(), actor.user
    report.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    audit_record(actor=actor, action="update", obj=report, details={"état": "transmis"})
    return report


def report_validate(*, actor: Actor, report: QuarterlyReport) -> QuarterlyReport:
    from django.utils import timezone

    from tandem.steering.perms import can_validate_report

    if not can_validate_report(actor, report):
        raise NotAllowed("Seule la Région valide un rapport transmis.")
    report.status = QuarterlyReport.Status.VALIDATED
    report.validated_at, report.validated_by = timezone.now(), actor.user
    report.save(update_fields=["status", "validated_at", "validated_by", "updated_at"])
    audit_record(actor=actor, action="update", obj=report, details={"état": "validé"})
    return report


def conventions_alert(*, on) -> int:
    """E-mail, once, the people who act on each convention reaching its alert delay (`alert_days` before its
    end) and not renewed: the contributors and administrators of the Région that owns it and of its partner
    (`perms.can_open_report`), each reading it through the permission layer. The daily periodic job
    `steering.conventions_alert`; returns the messages sent. A convention is marked alerted once its messages
    have gone, so a retried job sends nothing twice."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.utils import timezone

    from tandem.core.formats import fr_date
    from tandem.organizations.models import Membership
    from tandem.steering.perms import can_open_report
    from tandem.steering.selectors import conventions_visible

    # The job, as the system, looks at every convention due; each message is then read for its recipient.
    due = [
        c
        for c in Convention.objects.unscoped()
        .filter(alert_sent_at=None, ends_on__gte=on, renewals__isnull=True)
        .select_related("owner", "partner")
        .order_by("ends_on", "pk")
        if c.alert_due(on)
    ]
    site = settings.TANDEM_SITE_URL.rstrip("/")
    sent = 0
    for convention in due:
        users = (
            get_user_model()
            .objects.filter(
                is_active=True,
                pk__in=Membership.objects.filter(
                    organization__in=[convention.owner_id, convention.partner_id]
                ).values("user"),
            )
            .exclude(email="")
            .order_by("pk")
        )
        for user in users:
            actor = Actor.for_user(user)
            seen = conventions_visible(actor).filter(pk=convention.pk).first()
            if seen is None or not can_open_report(actor, seen):
                continue
            days = (seen.ends_on - on).days
            link = f"\n{site}/pilotage/conventions/{seen.pk}/\n" if site else ""
            send_mail(
                subject=f"Tandem : la convention « {seen.title} » arrive à échéance le {fr_date(seen.ends_on)}",
                message=(
                    "Bonjour,\n\n"
                    f"La convention « {seen.title} » ({seen.get_kind_display()}) entre {seen.owner.name} et "
                    f"{seen.partner.name} prend fin le {fr_date(seen.ends_on)}, dans {days} jour"
                    f"{'s' if days > 1 else ''}, et n'est pas encore renouvelée.\n{link}\n"
                    "Préparez son renouvellement ou sa clôture avec votre partenaire.\n"
                ),
                from_email=None,
                recipient_list=[user.email],
            )
            sent += 1
        Convention.objects.unscoped().filter(pk=convention.pk).update(alert_sent_at=timezone.now())
    return sent

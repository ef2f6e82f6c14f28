"""Writes of the steering: snapshots of the indicators (taken by the periodic job, corrected as new versions)."""

from __future__ import annotations

from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.perms import Actor
from tandem.steering import registry
from tandem.steering.models import IndicatorSnapshot
from tandem.steering.perms import can_correct_snapshot
from tandem.steering.registry import Period


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

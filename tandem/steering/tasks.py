"""Periodic jobs of the steering: on the first day of each quarter, freeze the indicators of the quarter that
just ended for every territory of the regions followed (`selectors.snapshot_territories`); every minute, warm
the live values of the territories read lately whose data changed (after an import, or any write)."""

from __future__ import annotations

import datetime as dt

from procrastinate.contrib.django import app

from tandem.steering.registry import Period


def snapshots_take_all(*, period: Period, region_codes: list[str] | None = None) -> int:
    """Freeze `period` for every territory of the regions (all followed regions when None)."""
    from tandem.steering.selectors import followed_region_codes, snapshot_territories
    from tandem.steering.services import snapshot_take

    total = 0
    for code in region_codes or followed_region_codes():
        for territory in snapshot_territories(code):
            total += snapshot_take(territory=territory, period=period)
    return total


@app.periodic(cron="15 3 1 1,4,7,10 *", periodic_id="steering-snapshots")
@app.task(name="steering.snapshots_take", queue="maintenance", queueing_lock="steering-snapshots")
def snapshots_take_job(timestamp: int) -> None:
    """First day of each quarter, 03:15: the quarter that just ended is frozen."""
    day = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).date()
    snapshots_take_all(period=Period.of(day).previous())


@app.periodic(cron="30 6 * * *", periodic_id="conventions-alert")
@app.task(name="steering.conventions_alert", queue="maintenance", queueing_lock="conventions-alert")
def conventions_alert_job(timestamp: int) -> int:
    """Every morning (06:30 UTC): conventions reaching their alert delay before expiry, e-mailed once."""
    from django.utils import timezone

    from tandem.steering.services import conventions_alert

    return conventions_alert(on=timezone.localdate())


@app.periodic(cron="* * * * *", periodic_id="steering-live-warm")
@app.task(name="steering.live_values_warm", queue="maintenance", queueing_lock="steering-live-warm")
def live_values_warm_job(timestamp: int) -> int:
    """Every minute: the territories read in the last two days whose data changed since their live values were
    computed are computed again by the worker (`selectors.live_values_warm`; one query when nothing changed),
    so the first reader after an import or an edit is served the shared numbers at once. At most 20 s of each
    minute (most recently read territories first): on a machine that also serves the pages, the warming must
    not take a core away from the readers when writes never stop."""
    from tandem.steering.selectors import live_values_warm

    return live_values_warm(budget_s=20.0)

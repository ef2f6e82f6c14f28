"""Periodic work of industrial ecology (Procrastinate; the worker `make demo` starts runs it)."""

from procrastinate.contrib.django import app

from tandem.eit.estimates import estimated_flows_refresh_if_registry_changed


@app.periodic(cron="30 3 * * *", periodic_id="eit-estimates-refresh")
@app.task(name="eit.estimated_flows_refresh", queue="maintenance", queueing_lock="eit-estimates-refresh")
def estimated_flows_refresh_job(timestamp: int) -> int | None:
    """Every night (03:30 UTC): when a registry (SIRENE) import finished since the last refresh, the estimated
    flows are made again for the establishments whose activity or headcount band changed. Returns the number
    of estimates created (None: the registry did not change)."""
    refresh = estimated_flows_refresh_if_registry_changed()
    return refresh.created if refresh else None

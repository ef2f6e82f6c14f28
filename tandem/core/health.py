"""What the load balancer's health check reads (GET /sante/): the database answers, the job queue's tables
answer, and how many job workers sent a heartbeat recently (0 means imports wait)."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection


def health_status() -> tuple[bool, dict]:
    """(healthy, details). Healthy means the database and the queue answer; workers are reported, since a web
    node stays able to serve pages while the workers restart."""
    details: dict = {"base": "ok", "file_de_taches": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return False, {"base": f"indisponible : {exc.__class__.__name__}"}
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM procrastinate_workers "
                "        WHERE last_heartbeat > now() - make_interval(secs => %s)),"
                "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'),"
                "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing')",
                [settings.TANDEM_JOBS_STALLED_SECONDS],
            )
            workers, waiting, running = cursor.fetchone()
    except DatabaseError as exc:
        return False, {**details, "file_de_taches": f"indisponible : {exc.__class__.__name__}"}
    details.update({"workers_actifs": workers, "taches_en_attente": waiting, "taches_en_cours": running})
    return True, details

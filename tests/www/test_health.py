"""GET /sante/: the load balancer's check, without login, reads the database and the job queue."""

from django.db import connection


def test_health_answers_without_login_and_counts_live_workers(client, db):
    first = client.get("/sante/")
    assert first.status_code == 200 and first["Cache-Control"].startswith("max-age=0")
    body = first.json()
    assert body["etat"] == "ok" and body["base"] == "ok" and body["file_de_taches"] == "ok"
    before = body["workers_actifs"]
    with connection.cursor() as cursor:
        # One worker with a fresh heartbeat, one whose heartbeat is too old to count (a dead worker).
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()), (now() - interval '1 hour')"
        )
    assert client.get("/sante/").json()["workers_actifs"] == before + 1
    assert client.post("/sante/").status_code == 405


def test_health_answers_503_when_the_job_queue_does_not_answer(client, db):
    """The queue's tables unreachable (here renamed inside the test's transaction, rolled back at its end):
    the load balancer reads 503 and which part failed, in French."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE procrastinate_workers RENAME TO procrastinate_workers_away")
    response = client.get("/sante/")
    assert response.status_code == 503
    body = response.json()
    assert body["etat"] == "indisponible" and body["base"] == "ok"
    assert body["file_de_taches"].startswith("indisponible")

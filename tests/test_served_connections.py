"""The served app under concurrent requests keeps its PostgreSQL connections bounded (issue 9: with the old
per-thread persistent connections, ~500 requests to the demo's server used up the server's connections and
login answered 500). Real server processes with the production settings (config.settings.base: one psycopg
pool per process), the demo's threaded server and gunicorn with threads."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.conftest import REPO, database_url_for_processes

POOL = 4
APP_NAME = "tandem-served-test"
REQUESTS = 400
CONCURRENCY = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 — http://127.0.0.1 only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.parametrize(
    ("server", "processes"),
    [
        (["-m", "tandem.manage", "runserver", "--noreload", "127.0.0.1:{port}"], 1),
        (
            [
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "-b",
                "127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "16",
            ],
            2,
        ),
    ],
    ids=["demo-server", "gunicorn"],
)
def test_concurrent_requests_never_exhaust_postgresql(db, tmp_path, server, processes):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url_for_processes(),
        "DATABASE_POOL_MAX_SIZE": str(POOL),
        "SECRET_KEY": "served-test-secret-key",
        "DEBUG": "0",
        "TANDEM_DEMO": "0",
        "PGAPPNAME": APP_NAME,
    }
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, *[a.format(port=port) for a in server]], cwd=REPO, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/sante/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "server.log"
            ).read_text()
            time.sleep(0.3)

        peak, done = 0, threading.Event()

        def watch():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, server_connections())
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                urls = [base + ("/sante/" if i % 2 else "/connexion/") for i in range(REQUESTS)]
                answers = list(pool.map(get, urls))
        finally:
            done.set()
            watcher.join()
        statuses = [status for status, _ in answers]
        assert statuses.count(200) == REQUESTS, {s: statuses.count(s) for s in set(statuses)}
        assert not any("too many clients" in body for _, body in answers)
        # At most one pool per process, whatever the number of threads and requests.
        assert 1 <= peak <= processes * POOL
        assert "too many clients" not in (tmp_path / "server.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()

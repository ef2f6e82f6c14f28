"""The demo's first-run check, over HTTP against a running `make demo` (standard library only).

    python scripts/demo_smoke.py http://127.0.0.1:PORT

Waits for the login page and for the health check (/sante/) to count the demo's job worker, then for two demo
roles: logs in through the login form (CSRF token and cookie as a
browser sends them), opens one page per domain (land, prospects, companies) and checks that each answers 200 as
that user (not the login page), then logs out. Prints one line per check; exits non-zero at the first failure.
"""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "tandem-demo"  # noqa: S105 — the demo password, printed by `make demo`
ROLES = ["region.contributeur", "epci1.admin"]
PAGES = ["/foncier/", "/prospects/", "/entreprises/"]
LOGIN = "/connexion/"


class Failure(Exception):
    pass


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def fetch(open_, url, data=None, referer=None):
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise Failure(f"adresse non HTTP : {url}")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)  # noqa: S310 — the scheme is checked above
    if referer:
        request.add_header("Referer", referer)
    try:
        with open_.open(request, timeout=60) as response:
            return response.status, response.geturl(), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode("utf-8", "replace")


def wait_for_login(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    open_, _ = opener()
    while True:
        try:
            status, _, html = fetch(open_, base + LOGIN)
            if status == 200 and 'name="csrfmiddlewaretoken"' in html:
                print(f"ok  page de connexion ({base}{LOGIN})")
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise Failure(f"la page de connexion ne répond pas après {seconds:.0f} s")
        time.sleep(1)


def wait_for_worker(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    open_, _ = opener()
    while True:
        status, _, body = fetch(open_, base + "/sante/")
        details = json.loads(body) if status in (200, 503) else {}
        if status == 200 and details.get("workers_actifs", 0) >= 1:
            print(f"ok  /sante/ : base et file de tâches disponibles, {details['workers_actifs']} worker(s)")
            return
        if time.monotonic() > deadline:
            raise Failure(f"/sante/ : HTTP {status}, {details} après {seconds:.0f} s (worker absent ?)")
        time.sleep(1)


def check_role(base: str, username: str) -> None:
    open_, jar = opener()
    status, _, html = fetch(open_, base + LOGIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if status != 200 or not token or not any(c.name == "csrftoken" for c in jar):
        raise Failure(f"{username} : formulaire de connexion sans jeton CSRF (HTTP {status})")
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD}
    status, url, html = fetch(open_, base + LOGIN, form, referer=base + LOGIN)
    if status != 200 or urllib.parse.urlsplit(url).path == LOGIN or "sessionid" not in {c.name for c in jar}:
        raise Failure(f"{username} : connexion refusée (HTTP {status}, {url})")
    print(f"ok  connexion {username}")
    for page in PAGES:
        status, url, html = fetch(open_, base + page)
        path = urllib.parse.urlsplit(url).path
        if status != 200 or path != page or "/deconnexion/" not in html:
            raise Failure(f"{username} : {page} répond HTTP {status} ({path})")
        print(f"ok  {username} {page}")


def main() -> int:
    base = sys.argv[1].rstrip("/")
    wait_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    try:
        wait_for_login(base, wait_seconds)
        wait_for_worker(base, 30)
        for username in ROLES:
            check_role(base, username)
    except Failure as failure:
        print(f"ÉCHEC  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

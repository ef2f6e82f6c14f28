"""A crawl of the site as every demo role: from each home page, every same-origin link reachable by GET
(bounded), no 4xx/5xx and no English status, raw code or placeholder in what the user reads.

Links are followed breadth-first; URLs that differ only by an identifier count as one pattern, visited at most
PER_PATTERN times per role, so the crawl sees every kind of page without opening all 120 company files."""

import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tandem.prospects.candidates import CACHE

pytestmark = pytest.mark.django_db

MAX_PAGES_PER_ROLE = 150
PER_PATTERN = 2
SHARDS = 4  # the roles are split in four tests, which the test workers share
# Not pages: downloads (exports, answer files, GeoJSON), the API, Django's admin (its own UI), logging out.
SKIP = re.compile(
    r"^/(api/|admin/|static/|deconnexion/)|export|telecharger|download|\.(csv|xlsx|geojson|pdf|json)\b|/dossier"
)
# What a user must never read: English statuses, raw model codes, Python/pandas placeholders, missing labels.
FORBIDDEN = [
    re.compile(r"\beligible\b", re.I),
    re.compile(r"\bconditional\b", re.I),
    re.compile(r"\bpending\b", re.I),
    re.compile(r"\bexcluded\b", re.I),
    re.compile(r"\b(companies|land|prospects|organizations|territories|core|accounts)\.[a-z_]+\b"),
    re.compile(r"\b(advisor|referent|shortlisted|proposals|received|shared)\b"),  # model choice codes
    re.compile(
        r"\((tdm|terr|site|pole)_[a-z0-9_]+\)"
    ),  # a column name as a label (« Surface (terr_surf_brute) »)
    re.compile(r"--(set|rename|epci)\b"),  # command-line wording on a web page
    re.compile(r"SRID=|\b(MULTI)?(POINT|POLYGON) \("),  # a geometry printed as WKT
    re.compile(r"\bNone\b"),
    re.compile(r"\bnan\b", re.I),
    re.compile(r"!!MISSING"),
]

MULTI_SELECT = re.compile(r"<select\b[^>]*\bmultiple\b", re.I)


def visible_text(html: str) -> str:
    """What a reader sees: no scripts, styles, embedded data, tags or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<[^>]+>", " ", html)
    return unescape(html)


def pattern(path: str) -> str:
    return re.sub(r"/[0-9][0-9A-Za-z-]*", "/<id>", path)


def links(html: str, base: str) -> list[str]:
    out = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', html):
        url = urlsplit(urljoin(base, unescape(href)))
        if url.scheme in ("http", "https") and url.netloc not in ("", "testserver"):
            continue  # another site
        path = url.path + (f"?{url.query}" if url.query else "")
        if path.startswith("/") and not SKIP.search(path):
            out.append(path)
    return out


def crawl(client: Client) -> tuple[list[str], list[str]]:
    seen, per_pattern, problems, visited = set(), {}, [], []
    queue = deque(["/"])
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        key = pattern(urlsplit(path).path) + ("?" if "?" in path else "")
        if per_pattern.get(key, 0) >= PER_PATTERN:
            continue
        per_pattern[key] = per_pattern.get(key, 0) + 1
        response = client.get(path)
        visited.append(path)
        if response.status_code in (301, 302):
            location = response["Location"]
            if "/connexion/" in location:
                problems.append(f"{path}: renvoie à la connexion")
            elif location not in seen:
                queue.append(location)
            continue
        if response.status_code >= 400:
            problems.append(f"{path}: erreur {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        if MULTI_SELECT.search(html):  # a list needing Ctrl-click: checkbox lists instead
            problems.append(f"{path}: liste à choix multiples (Ctrl-clic)")
        text = visible_text(html)
        for rule in FORBIDDEN:
            if match := rule.search(text):
                around = text[max(match.start() - 60, 0) : match.end() + 60]
                problems.append(f"{path}: « {match.group(0)} » dans « {' '.join(around.split())} »")
        queue.extend(link for link in links(html, path) if link not in seen)
    return visited, problems


def test_the_checker_reads_text_not_markup():
    html = '<td data-status="eligible">sous condition</td><script>{"statut": "eligible"}</script><p>None</p>'
    found = [rule.search(visible_text(html)) for rule in FORBIDDEN]
    assert [m.group(0) for m in found if m] == ["None"]
    assert MULTI_SELECT.search('<select name="orgs" multiple>') and not MULTI_SELECT.search(
        "<select name='a'>"
    )
    raw = "Source : conseiller advisor ; Puissance (tdm_power_mw) ; utilisez --set ; SRID=2154;POINT (1 2)"
    assert sum(1 for rule in FORBIDDEN if rule.search(raw)) == 4
    assert not any(
        rule.search("référent de proximité ; partagé avec la Région ; 12 terr. ; Point (longitude)")
        for rule in FORBIDDEN
    )
    assert pattern("/entreprises/900000001/echanges/12/") == "/entreprises/<id>/echanges/<id>/"
    assert links('<a href="/foncier/?page=2">x</a><a href="/entreprises/export.csv">y</a>', "/") == [
        "/foncier/?page=2"
    ]


def demo_roles(accounts) -> list[tuple[str, str]]:
    """One account per role of each kind of organisation (the four demo EPCIs share their pages)."""
    roles, chosen = set(), []
    for username, password, _org_name, role in accounts:
        role_key = (re.sub(r"\d+", "", username.split(".")[0]), role)
        if role_key not in roles:
            roles.add(role_key)
            chosen.append((username, password))
    return chosen


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_demo_role_crawls_its_site_without_errors_or_raw_labels(demo, shard):
    """Each shard crawls every SHARDS-th role, so the test workers share the crawl."""
    CACHE.clear()
    report = {}
    roles = demo_roles(demo.accounts)
    assert len(roles) >= 2 * SHARDS
    for username, password in roles[shard::SHARDS]:
        client = Client()
        assert client.login(username=username, password=password), username
        visited, problems = crawl(client)
        assert len(visited) > 5, (username, visited)
        if problems:
            report[username] = problems[:10]
    CACHE.clear()
    assert not report, "\n".join(f"{user}:\n  " + "\n  ".join(p) for user, p in report.items())

"""Benchmark: the server's cost of one request of each non-dashboard scenario of `bench/load.py`, one at a time.

Runs Django's test client (middleware, session, permission layer, view, template) with the served settings
(`config.settings.base`, DEBUG off) against a database filled by `bench/load.py --scale 1` (region scale:
150 EPCI inventories, 3,000 sites, 15,000 terrains, 200,000 SIRENE establishments, 2,000 prospects, 20,000
followed companies), as the bench's people: the Région (`bench.region`), the investment agency
(`bench.agence`) and EPCI users (`bench.epci.N`). The URLs are the ones each scenario of `bench/load.py`
requests:
- `foncier`: `/foncier/?epci=…` (the land site list of an EPCI), `foncier_region` the same as the Région,
  `foncier_region_tout` the Région's whole list (`/foncier/`, not in the load bench; 5 requests at most);
- `recherche`: `/entreprises/?q=…` (the registry search of the bench's words), `recherche_region` the Région's;
- `registre_api`: `/api/v1/establishments/?q=…` (the registry API's first page, its count), as the Région;
- `tuile`: `/foncier/tuiles/{sites,terrains}/10/x/y.pbf`;
- `prospects`: `/prospects/` (the list, EPCI users), `matching`: `/prospects/<pk>/` (the agency, matching);
  `matching_after_import`: the prospect page right after the data version moved (what a web process paid
  after every land import when it rebuilt the matching's candidate arrays);
- `export`: `/foncier/export/sites.csv?epci=…` and `/entreprises/export.csv?q=mecanique` (the second is
  queued as a job at region scale: the figure is the request that queues it).

Before/after side by side in one run: `--before-code DIR --before-database URL` runs the same measures in a
subprocess on another checkout (main's code, e.g. `git archive main | tar -x -C DIR`) against its own copy of
the data (main's migrations), so that an index a branch adds does not flatter main's code.

Usage (region data copied from the load bench's database):
    createdb -T tandem_t2_region tandem_r4_region
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/tandem_r4_region \
        .venv/bin/python bench/request_cost.py [--repeat 20] [--before-code DIR --before-database URL]
        [--profile SCENARIO]
The last printed line is JSON: per scenario p50/p95/max server ms, the load average before and after.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--repeat", type=int, default=20)
ARGS.add_argument("--database", default=os.environ.get("DATABASE_URL", ""))
ARGS.add_argument("--before-code", default="")
ARGS.add_argument("--before-database", default="")
ARGS.add_argument(
    "--profile", default="", help="a scenario to run under cProfile (top 40 by cumulative time)"
)
ARGS.add_argument("--only", default="", help="comma-separated scenarios")
ARGS.add_argument("--code", default="", help=argparse.SUPPRESS)  # the checkout to import (subprocess)
ARGS.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

SLOW = {"foncier_region_tout"}  # scenarios measured 5 times at most
WORDS = ["mecanique", "acierie", "transports", "plasturgie", "menuiserie 12"]


def _quantile(values, q):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 1)


def _setup(code: str, database: str):
    os.environ["DATABASE_URL"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-request-cost-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("TANDEM_SHARED", str(Path(__file__).resolve().parent.parent.parent / "shared"))
    sys.path.insert(0, code)
    os.chdir(code)
    import django

    django.setup()


def _state() -> dict:
    from tandem.prospects.models import Prospect

    epcis = [
        "200000545",
        "200005957",
        "200006716",
        "200013050",
        "200027308",
        "200030526",
        "200033025",
        "200033868",
        "200034270",
        "200034635",
    ]  # fmt: skip — the first EPCIs of bench/load.py's set-up (sorted SIREN), the ones its users belong to
    prospects = list(Prospect.objects.unscoped().order_by("pk").values_list("pk", flat=True)[:50])
    return {"epcis": epcis, "prospects": prospects}


def _client(username: str):
    from django.test import Client

    from tandem.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(
        "/sante/"
    )  # the client's handler loads the middleware once (WhiteNoise lists the static files)
    return client


def _scenarios(state: dict, rng: random.Random):
    """(name, username, a function giving the next URL)."""
    epci_users = [f"bench.epci.{i}" for i in range(len(state["epcis"]))]
    x0, y0 = 528, 350

    def epci_url(fmt):
        return lambda i: fmt.format(epci=state["epcis"][i % len(state["epcis"])])

    return [
        ("foncier", epci_users, epci_url("/foncier/?epci={epci}")),
        ("foncier_region", ["bench.region"], epci_url("/foncier/?epci={epci}")),
        # Not in the load bench: the Région's whole list (3,000 sites), `--repeat` capped at 5 (7 s each before).
        ("foncier_region_tout", ["bench.region"], lambda i: "/foncier/"),
        ("recherche", epci_users, lambda i: f"/entreprises/?q={WORDS[i % len(WORDS)]}"),
        ("recherche_region", ["bench.region"], lambda i: f"/entreprises/?q={WORDS[i % len(WORDS)]}"),
        ("registre_api", ["bench.region"], lambda i: f"/api/v1/establishments/?q={WORDS[i % len(WORDS)]}"),
        (
            "tuile",
            epci_users,
            lambda i: (
                f"/foncier/tuiles/{['sites', 'terrains'][i % 2]}/10/{x0 + i % 4}/{y0 + (i // 4) % 4}.pbf"
            ),
        ),
        ("prospects", epci_users, lambda i: "/prospects/"),
        (
            "matching",
            ["bench.agence"],
            lambda i: f"/prospects/{state['prospects'][i % len(state['prospects'])]}/",
        ),
        ("export_foncier", epci_users, epci_url("/foncier/export/sites.csv?epci={epci}")),
        ("export_registre", epci_users, lambda i: "/entreprises/export.csv?q=mecanique"),
    ]


def _bump_data_version():
    """What a land import does to the caches keyed on the visibility/data version (tandem.organizations.
    versions): a statement on the sites' table fires its trigger and the version moves on (no row changes).
    Where the code has it, the job worker's step after an import follows, in a process of its own
    (`candidate_arrays_prepare`: the arrays built once and stored for every web process)."""
    from django.db import connection

    from tandem.prospects import candidates

    with connection.cursor() as cursor:
        cursor.execute("UPDATE land_site SET id = id WHERE false")
    if hasattr(candidates, "candidate_arrays_prepare"):
        code = "from tandem.prospects.candidates import candidate_arrays_prepare; candidate_arrays_prepare()"
        subprocess.run([sys.executable, "-m", "tandem.manage", "shell", "-c", code], check=True)  # noqa: S603


def measure(repeat: int, only: set[str], profile: str) -> dict:
    from django.db import connection

    state = _state()
    rng = random.Random(17)
    clients: dict[str, object] = {}
    results = {}
    for name, users, url_of in _scenarios(state, rng):
        if only and name not in only:
            continue
        times, statuses = [], set()
        for i in range((min(repeat, 5) if name in SLOW else repeat) + 1):
            username = users[i % len(users)]
            client = clients.get(username) or clients.setdefault(username, _client(username))
            url = url_of(i)
            if name == profile and i == (min(repeat, 5) if name in SLOW else repeat):
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
                client.get(url)
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
                continue
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
            statuses.add(response.status_code)
            if i:  # the first request of a scenario warms the process (imports, templates): not counted
                times.append(elapsed)
        results[name] = {
            "p50_ms": _quantile(times, 0.5),
            "p95_ms": _quantile(times, 0.95),
            "max_ms": round(max(times), 1),
            "status": sorted(statuses),
        }
    if not only or "matching_after_import" in only:
        client = clients.get("bench.agence") or _client("bench.agence")
        client.get(f"/prospects/{state['prospects'][0]}/")
        times = []
        for i in range(min(repeat, 5)):
            _bump_data_version()
            connection.close()
            started = time.perf_counter()
            client.get(f"/prospects/{state['prospects'][i + 1]}/")
            times.append((time.perf_counter() - started) * 1000)
        results["matching_after_import"] = {"p50_ms": _quantile(times, 0.5), "max_ms": round(max(times), 1)}
    return results


def main() -> None:
    args = ARGS.parse_args()
    repo = str(Path(__file__).resolve().parent.parent)
    if args.child:
        _setup(args.code or repo, args.database)
        out = measure(args.repeat, set(filter(None, args.only.split(","))), args.profile)
        print(json.dumps(out))
        return
    load_before = os.getloadavg()

    def run(code, database):
        cmd = [sys.executable, __file__, "--child", "--code", code, "--database", database]
        cmd += ["--repeat", str(args.repeat), "--only", args.only, "--profile", args.profile]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        sys.stderr.write(done.stderr[-20000:])
        if done.returncode:
            raise SystemExit(f"run failed for {code}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    figures = {}
    if args.before_code:
        figures["before"] = run(args.before_code, args.before_database or args.database)
    figures["after"] = run(repo, args.database)
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["repeat"] = args.repeat
    if "before" in figures:
        print(
            "\n".join(
                f"{name:24s} before p50 {figures['before'][name].get('p50_ms')} p95 {figures['before'][name].get('p95_ms')}"
                f"  after p50 {row.get('p50_ms')} p95 {row.get('p95_ms')}"
                for name, row in figures["after"].items()
                if name in figures["before"]
            )
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

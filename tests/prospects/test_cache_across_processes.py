"""The matching's caches live in each process and are keyed on versions the database holds: a second, long-lived
process (as a second gunicorn worker is) sees a sharing change and a registry change made elsewhere at its next
call, and serves from its cache while nothing changed."""

import json
import os
import subprocess
import sys

import pytest
from pyproj import Transformer

from tandem.companies.models import Establishment
from tandem.land.sharing import inventory_visibility_set
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects.candidates import candidate_point
from tests.companies.followup_builders import make_company, make_establishment
from tests.conftest import REPO, database_url_for_processes
from tests.factories import epci_org, make_member, region_org
from tests.prospects.builders import make_site, make_terrain

MULHOUSE, STRASBOURG = "200066009", "246700488"
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)

# The second process: one query per line read, answered with what it sees and how many times it built the
# candidate arrays (a count that stays put shows the cache is used).
SERVER = """
import json, sys
from datetime import date
from django.contrib.auth import get_user_model
import tandem.prospects.candidates as candidates
from tandem.organizations.perms import Actor
from tandem.prospects.candidates import candidate_point

builds = [0]
build = candidates.build_bundle
def counted(today):
    builds[0] += 1
    return build(today)
candidates.build_bundle = counted
for line in sys.stdin:
    user_id, division = json.loads(line)
    seen = candidates.visible_candidates(
        Actor.for_user(get_user_model().objects.get(pk=user_id)), today=date.today(), naf_division=division
    )
    ecosystem = (seen.ecosystem or {}).get(division)
    print(json.dumps({
        "ids": sorted(int(i) for i in seen.id),
        "ecosystem": {int(i): float(n) for i, n in zip(seen.id, ecosystem)} if ecosystem is not None else None,
        "builds": builds[0],
    }), flush=True)
"""


class SecondProcess:
    def __init__(self):
        env = {**os.environ, "DATABASE_URL": database_url_for_processes()}
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "tandem.manage", "shell", "--no-imports", "-c", SERVER],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, user, division: str = "") -> dict:
        self.process.stdin.write(json.dumps([user.pk, division]) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the second process stopped"
        return json.loads(line)

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def steelworks_near(terrain, k: int) -> None:
    x, y = TO_L93.transform(*candidate_point(terrain))
    company = make_company("68224")
    siret = make_establishment(company, "68224", nic=f"{k + 40:05d}", naf="24.10Z").siret
    Establishment.objects.filter(siret=siret).update(lambert_x=x + 2_000, lambert_y=y)


@pytest.mark.django_db(transaction=True)
def test_a_second_process_sees_sharing_and_registry_changes_at_its_next_call(grand_est_geography):
    mulhouse, strasbourg = epci_org(MULHOUSE), epci_org(STRASBOURG)
    mulhouse_terrain = make_terrain(
        make_site(mulhouse, "68224"), 5, cell=(0, 0), visibility=Visibility.REGION
    )
    strasbourg_terrain = make_terrain(make_site(strasbourg, "67482"), 8)  # owner only
    reader = make_member(region_org(), Role.LECTEUR)
    steelworks_near(mulhouse_terrain, 1)
    steelworks_near(mulhouse_terrain, 2)

    second = SecondProcess()
    try:
        first = second.ask(reader, "24")
        assert first["ids"] == [mulhouse_terrain.pk] and first["builds"] == 1
        assert first["ecosystem"] == {str(mulhouse_terrain.pk): 2.0}  # JSON keys
        again = second.ask(reader, "24")
        assert again == first  # nothing changed: served from the second process's cache

        # This process shares Strasbourg's inventory with the Région (a bulk `.update()`)…
        owner = Actor.for_user(make_member(strasbourg, Role.CONTRIBUTEUR))
        inventory_visibility_set(actor=owner, owner=strasbourg, visibility=Visibility.REGION)
        shared = second.ask(reader, "24")
        assert shared["ids"] == sorted([mulhouse_terrain.pk, strasbourg_terrain.pk])
        assert shared["builds"] == 2

        # …and adds a steelworks to the registry without any import run: the counts follow.
        steelworks_near(mulhouse_terrain, 3)
        counted = second.ask(reader, "24")
        assert counted["ecosystem"][str(mulhouse_terrain.pk)] == 3.0
        assert second.ask(reader, "24") == counted
    finally:
        second.stop()


@pytest.mark.django_db(transaction=True)
def test_arrays_prepared_after_an_import_are_read_not_rebuilt_by_another_process(grand_est_geography):
    """The job worker (or the import command) builds the arrays of the new land data once and stores them: a web
    process then reads them — the new rows included — without building them itself."""
    from tandem.prospects.candidates import CACHE, candidate_arrays_prepare
    from tandem.prospects.models import CandidateArrays

    mulhouse = epci_org(MULHOUSE)
    first_terrain = make_terrain(make_site(mulhouse, "68224"), 5, cell=(0, 0), visibility=Visibility.REGION)
    reader = make_member(region_org(), Role.LECTEUR)
    second = SecondProcess()
    try:
        assert second.ask(reader)["ids"] == [first_terrain.pk]
        assert second.ask(reader)["builds"] == 1
        # An « import »: a new terrain; the worker's step after it, in this process.
        new_terrain = make_terrain(make_site(mulhouse, "68224"), 7, cell=(3, 0), visibility=Visibility.REGION)
        CACHE.clear()
        candidate_arrays_prepare()
        assert CandidateArrays.objects.count() >= 1
        after = second.ask(reader)
        assert after["ids"] == sorted([first_terrain.pk, new_terrain.pk])
        assert after["builds"] == 1  # read from the store, not rebuilt
    finally:
        second.stop()

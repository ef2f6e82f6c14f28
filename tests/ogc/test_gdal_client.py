"""QGIS's own client reads Tandem: GDAL's OGC API – Features driver (`OAPIF:`) against the live test server,
with each user's token in the `Authorization` header, as a land officer's QGIS does. Every collection is read
whole (the driver follows the `next` links) and holds exactly what that user may see — by construction of the
world, not by asking the permission layer — with the personal fields only where they belong."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.conftest import ZE_ARGS
from tests.ogc.builders import (
    BUYER,
    COLLECTION_KEYS,
    METZ,
    METZ_EPCI,
    OWNER_NAME,
    STRASBOURG,
    STRASBOURG_EPCI,
    VISIBLE,
    WOIPPY,
    build_world,
)

pytestmark = pytest.mark.django_db(transaction=True)

# In a process of its own, with a clean environment: the importers restrict this process's GDAL to the
# upload drivers and switch HTTP off (tandem.imports.spatial.harden_gdal).
READ_COLLECTION = """
import json, sys
import pyogrio
url, layer, page_size = sys.argv[1], sys.argv[2], sys.argv[3]
layers = [name for name, _ in pyogrio.list_layers(url)]
# A small page: the driver must follow the `next` links to read the whole collection.
meta, fids, geometries, fields = pyogrio.raw.read(url, layer=layer, return_fids=True, PAGE_SIZE=page_size)
names = list(meta["fields"])
rows = [
    dict(zip(names, [v.tolist() if hasattr(v, "tolist") else v for v in values]))
    for values in zip(*fields)
]
print(json.dumps({
    "layers": layers,
    "crs": meta["crs"],
    "fids": [int(f) for f in fids],
    "dtypes": dict(zip(names, [str(d) for d in meta["dtypes"]])),
    "rows": rows,
    "geometries": [g is not None for g in geometries],
}, default=str))
"""


def read_with_gdal(live_server, tmp_path, token: str, layer: str, page_size: int = 2) -> dict:
    # GDAL's OAPIF driver sends its own Accept header, which replaces GDAL_HTTP_HEADERS (GDAL 3.12): the token
    # goes in a header file, as GDAL_HTTP_HEADER_FILE documents.
    headers = tmp_path / f"headers-{token[:8]}"
    headers.write_text(f"Authorization: Token {token}\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GDAL_HTTP_HEADER_FILE": str(headers),
        "CPL_DEBUG": "ON",  # logs each URL fetched: the test sees the driver follow the `next` links
    }
    args = [sys.executable, "-c", READ_COLLECTION, f"OAPIF:{live_server.url}/ogc/", layer, str(page_size)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    result["fetched"] = [
        line.split("Fetch(", 1)[1].rstrip(")") for line in done.stderr.splitlines() if "HTTP: Fetch(" in line
    ]
    return result


@pytest.fixture
def live_world(transactional_db):
    from tandem.territories.models import Commune, Epci

    # A transactional test flushes the database after it: an earlier one may have taken the national geography
    # (or left another geography behind).
    if (
        Commune.objects.filter(pk__in=[METZ, WOIPPY, STRASBOURG]).count() < 3
        or Epci.objects.filter(pk__in=[METZ_EPCI, STRASBOURG_EPCI]).count() < 2
    ):
        # The national geography again (the world's EPCI codes are those of the national packages).
        call_command("load_geography", *ZE_ARGS, verbosity=0, stdout=io.StringIO())
    return build_world()


def test_qgis_driver_reads_every_collection_as_two_users(live_server, live_world, tmp_path):
    for user in ("metz_user", "strasbourg_user"):
        token = live_world["metz_token" if user == "metz_user" else "strasbourg_token"]
        for collection, key in COLLECTION_KEYS.items():
            result = read_with_gdal(live_server, tmp_path, token, collection)
            assert result["layers"] == list(COLLECTION_KEYS)
            assert "4326" in (result["crs"] or "") or "CRS84" in (result["crs"] or "")
            expected_ids = {live_world[key][name].pk for name in VISIBLE[user][key]}
            got = result["fids"]
            assert sorted(got) == sorted(expected_ids), (user, collection)
            hidden = {o.pk for o in live_world[key].values()} - expected_ids
            assert hidden and not hidden & set(got)  # objects outside the user's rights are absent
            assert all(result["geometries"])
            items = [url for url in result["fetched"] if f"/collections/{collection}/items" in url]
            if len(expected_ids) > 2:  # more than a page of 2: the driver followed the `next` link
                assert any("offset=2" in url for url in items), result["fetched"]
            if collection == "terrains":
                # Typed from the collection's schema (`describedby`), not guessed from the first, empty values.
                assert result["dtypes"]["terr_actu_date"].startswith("datetime64"), result["dtypes"]
                assert result["dtypes"]["terr_m2_prix"] == "float64"
                buyers = {fid: row["terr_acquereur"] for fid, row in zip(got, result["rows"], strict=True)}
                terrains = live_world["terrains"]
                assert buyers[terrains["metz_network_shared_personal"].pk] == BUYER  # shared by its owner
                assert buyers[terrains["metz_network"].pk] == (BUYER if user == "metz_user" else None)
            if collection == "friches":
                owners = {fid: row["proprio_nom"] for fid, row in zip(got, result["rows"], strict=True)}
                metz_friche = live_world["friches"]["metz_network"].pk
                assert owners[metz_friche] == (OWNER_NAME if user == "metz_user" else None)

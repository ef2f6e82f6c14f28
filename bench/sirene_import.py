"""Benchmark: SIRENE StockEtablissement import into PostgreSQL, next to `psql \\copy` and pandas.

Generates BENCH_ROWS (default 2,000,000) establishment rows in INSEE's official 53-column layout, located in
real Grand Est communes (with Lambert-93 coordinates), then measures in one run:
- `rows_per_s`: `tandem.companies.sirene_import.sirene_import` (COPY into a staging table, validation and
  territory filter in SQL, upsert with change detection) into an empty registry;
- `reimport_rows_per_s`: the same file again (every row compared, nothing changes);
- `copy_rows_per_s`: `psql \\copy` of the same file into a plain 53-text-column table (no validation);
- `pandas_rows_per_s`: pandas `read_csv` + `to_sql` on the first PANDAS_ROWS rows (default 200,000: the
  full file takes too long that way), into PostgreSQL through SQLAlchemy.
The three ways read the same generated file. The machine load (1-minute average) is reported before the
import and at the end: on a shared machine, compare runs at similar load.
Run: scripts/with-throwaway-postgres.sh .venv/bin/python bench/sirene_import.py [--rows N] — the last line is
JSON.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data"
_ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_ARGS.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "2000000")))
ROWS = _ARGS.parse_args().rows
PANDAS_ROWS = min(int(os.environ.get("PANDAS_ROWS", "200000")), ROWS)


def main() -> None:
    import django

    django.setup()
    # pyarrow imports pandas on its first conversion when pandas is installed. It is here (for the pandas
    # baseline below) but not in production, where `pyproject.toml` does not install it: import it before the
    # clock starts so that its one-second import is not counted as the importer's.
    import pandas  # noqa: F401
    from django.core.management import call_command
    from django.db import connection
    from pyproj import Transformer

    from tandem.companies.generate import GeneratedCommune, write_stock_etablissement
    from tandem.companies.models import Establishment
    from tandem.companies.sirene_format import ETABLISSEMENT_COLUMNS
    from tandem.companies.sirene_import import sirene_import
    from tandem.organizations.perms import Actor
    from tandem.territories.models import Commune
    from tandem.territories.services import geography_load
    from tandem.territories.sources import read_boundaries_file, read_cog_csv

    url = os.environ["DATABASE_URL"]
    call_command("migrate", verbosity=0)
    if not Commune.objects.filter(region_id="44").exists():
        geography = read_cog_csv(SHARED / "real/admin/communes_grand_est_cog2026.csv")
        geography.outlines, _ = read_boundaries_file(SHARED / "real/geo/communes_grand_est.geojson")
        geography_load(geography=geography)
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    communes = []
    for code, name, postcodes, lat, lon in Commune.objects.filter(
        region_id="44", is_current=True
    ).values_list("code", "name", "postal_codes", "centroid_lat", "centroid_lon"):
        x, y = to_l93.transform(lon, lat) if lat is not None else (None, None)
        communes.append(GeneratedCommune(code, name, (postcodes or [""])[0], x, y))
    departements = sorted({c.code[:2] for c in communes})

    work = Path(tempfile.mkdtemp(prefix="bench-sirene-"))
    path = work / "StockEtablissement_bench.csv"
    started = time.perf_counter()
    write_stock_etablissement(path, rows=ROWS, communes=communes, seed=2026)
    generate_s = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6
    print(f"généré : {ROWS} lignes, {size_mb:.0f} Mo, {generate_s:.1f} s", flush=True)

    actor = Actor.system_actor()
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    run = sirene_import(path=path, actor=actor, departements=departements).run
    import_s = time.perf_counter() - started
    print(f"import Tandem : {import_s:.1f} s, {run.created} créés, {run.rows_rejected} rejetés", flush=True)
    assert run.created == ROWS == Establishment.objects.count(), (run.created, ROWS, run.problems[:3])

    started = time.perf_counter()
    again = sirene_import(path=path, actor=actor, departements=departements).run
    reimport_s = time.perf_counter() - started
    assert again.created == again.updated == 0 and again.unchanged == ROWS
    print(f"réimport (rien ne change) : {reimport_s:.1f} s", flush=True)
    import_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    columns = ", ".join(f'"{name}" text' for name in ETABLISSEMENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"drop table if exists bench_copy; create table bench_copy ({columns})")
    connection.close()
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [
            "/usr/bin/psql",
            url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\copy bench_copy from '{path}' csv header",
        ],
        check=True,
    )
    copy_s = time.perf_counter() - started
    print(f"psql \\copy : {copy_s:.1f} s", flush=True)

    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    started = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, nrows=PANDAS_ROWS, keep_default_na=False)
    frame.to_sql("bench_pandas", engine, if_exists="replace", index=False, chunksize=10_000)
    pandas_s = time.perf_counter() - started
    engine.dispose()
    print(f"pandas read_csv + to_sql ({PANDAS_ROWS} lignes) : {pandas_s:.1f} s", flush=True)
    path.unlink()

    figures = {
        "rows": ROWS,
        "file_mb": round(size_mb, 1),
        "rows_per_s": round(ROWS / import_s),
        "reimport_rows_per_s": round(ROWS / reimport_s),
        "copy_rows_per_s": round(ROWS / copy_s),
        "pandas_rows_per_s": round(PANDAS_ROWS / pandas_s),
        "pandas_rows_measured": PANDAS_ROWS,
        "import_s": round(import_s, 2),
        "copy_s": round(copy_s, 2),
        "ratio_to_copy": round(import_s / copy_s, 2),
        "target_rows_per_s": 100_000,
        "target_ratio_to_copy": 3,
        "import_max_rss_mb": round(import_rss_mb),
        "load_average_1m_at_start": round(load_at_start, 2),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "note": "pandas measured on a slice of the same file (first pandas_rows_measured rows); the machine is "
        "shared, see load_average_1m_at_end",
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

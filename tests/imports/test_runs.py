"""One run model and one report for every importer: a dry run and a refused import write nothing (table counts
of every Tandem table before and after, organisations included), repeated warnings are grouped, the command
line and the web page print the same report, re-importing the same file changes nothing, the run's SHA-256."""

import csv
import hashlib
import html
import io
import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from tandem.companies.sirene_import import sirene_import
from tandem.core.errors import UserError
from tandem.imports.models import ImportRun
from tandem.land.services import land_import
from tandem.organizations.models import Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import perimeters_import
from tandem.territories.services import geography_load
from tandem.territories.sources import Geography
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, make_user, region_org
from tests.land.inventory_builders import write_inventory_files

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system_actor()
DDT08 = "real/land/ddt08_ardennes_friches.csv"
SETS = {
    "site_identif_date": "2025-12-15",
    "site_actu_date": "2025-12-15",
    "urba_zaer": "inconnu",
    "source_nom": "DDT des Ardennes, observatoire des friches",
}
ETAB = "real/sirene/stock_etablissement_format_sample_2024.csv"
TI = "real/industry/territoires_industrie_anct/ti_2023_2027_perimetres_anct.geojson"
STRASBOURG = "246700488"
RUNS = ImportRun._meta.db_table


def table_counts() -> dict[str, int]:
    """Rows of every table of Tandem's apps (many-to-many tables included), read by SQL."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model.__module__.startswith("tandem.") or model._meta.app_label in ("accounts",):
            tables.add(model._meta.db_table)
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(tables):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 — names from the app registry
            counts[table] = cursor.fetchone()[0]
    return counts


def assert_nothing_written(before: dict[str, int], *, runs_added: int = 0) -> None:
    after = table_counts()
    assert after[RUNS] == before[RUNS] + runs_added
    changed = {t: (before[t], after[t]) for t in before if t != RUNS and before[t] != after[t]}
    assert changed == {}
    assert "organizations_organization" in before  # organisations are among the tables compared


def friches_file(tmp_path, *, date_columns: dict[str, str], bad_commune_line: int | None = None):
    """The real DDT 08 file with extra date columns filled the French way (JJ/MM/AAAA) on every row."""
    with shared_file(DDT08).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(date_columns)
    if bad_commune_line is not None:
        rows[bad_commune_line - 2]["comm_insee"] = "99999"
    path = tmp_path / "friches_dates.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, len(rows)


# --- a dry run and a refused import write nothing -------------------------------------------------------


def test_land_sites_dry_run_and_refused_import_write_nothing(tmp_path):
    # No organisation exists for Strasbourg: a real import would create it.
    assert not Organization.objects.filter(epci_id=STRASBOURG).exists()
    paths = write_inventory_files(tmp_path, STRASBOURG, [{"terr_surf_brute": "4"}, {"terr_surf_brute": "2"}])
    before = table_counts()
    dry = land_import(paths=paths, actor=SYSTEM, epci_siren=STRASBOURG, dry_run=True)
    assert dry.errors == [] and dry.run.status == ImportRun.Status.DONE and dry.run.pk is None
    assert dry.run.created > 0  # what the import would create, counted
    assert_nothing_written(before)

    bad = write_inventory_files(tmp_path / "bad", STRASBOURG, [{"terr_surf_brute": "quatre"}])
    refused = land_import(paths=bad, actor=SYSTEM, epci_siren=STRASBOURG)
    assert refused.run.status == ImportRun.Status.REFUSED and refused.errors
    # The refused run is the one row written: the run log, with its report.
    assert_nothing_written(before, runs_added=1)
    stored = ImportRun.objects.get(pk=refused.run.pk)
    assert stored.errors_count == len(refused.errors) and stored.problems[0]["level"] == "error"


def test_friches_dry_run_and_refused_import_create_no_organisation(tmp_path):
    before = table_counts()
    dry = land_import(paths=[shared_file(DDT08)], actor=SYSTEM, sets=SETS, dry_run=True)
    assert dry.errors == [] and dry.run.created == 164
    assert_nothing_written(before)
    # Without the four mandatory columns the file is refused: it would otherwise create the organisations of
    # its 8 EPCI.
    refused = land_import(paths=[shared_file(DDT08)], actor=SYSTEM)
    assert refused.run.status == ImportRun.Status.REFUSED
    assert_nothing_written(before, runs_added=1)


def test_sirene_dry_run_and_refused_import_write_nothing(tmp_path):
    before = table_counts()
    dry = sirene_import(path=shared_file(ETAB), actor=SYSTEM, dry_run=True)
    assert dry.run.pk is None and dry.run.created > 0 and dry.run.status == ImportRun.Status.DONE
    assert_nothing_written(before)

    bad = tmp_path / "StockEtablissement_faux.csv"
    bad.write_text("siren,nom\n123456789,Exemple\n", encoding="utf-8")
    with pytest.raises(UserError, match="en-tête non reconnu") as refusal:
        sirene_import(path=bad, actor=SYSTEM)
    assert refusal.value.run.status == ImportRun.Status.REFUSED
    assert_nothing_written(before, runs_added=1)


def test_geography_and_perimeters_dry_run_and_refused_import_write_nothing(tmp_path):
    owner = region_org("44")
    before = table_counts()
    new = Geography(cog_year=2099, regions={"99": "Région d'essai"}, departements={"999": ("Essai", "99")})
    summary = geography_load(geography=new, dry_run=True)
    assert summary.changed and summary.run.pk is None and summary.run.created == 2
    result = perimeters_import(actor=SYSTEM, owner=owner, path=shared_file(TI), dry_run=True)
    assert result.created == 183 and result.run.pk is None
    assert_nothing_written(before)

    unknown_region = Geography(cog_year=2099, departements={"998": ("Essai", "98")})
    with pytest.raises(UserError, match="références inconnues"):
        geography_load(geography=unknown_region)
    bad = tmp_path / "perimetres.csv"
    bad.write_bytes(b"code,nom\x00\n")
    with pytest.raises(UserError):
        perimeters_import(actor=SYSTEM, owner=owner, path=bad)
    assert_nothing_written(before, runs_added=2)
    assert not Perimeter.objects.unscoped().filter(owner=owner).exists()


# --- the grouped report, the same on the command line and on the web ------------------------------------


def test_repeated_warnings_are_grouped_errors_first_identically_on_the_cli_and_the_web(tmp_path, client):
    columns = {"site_identif_date": "15/12/2025", "site_actu_date": "16/12/2025"}
    path, rows = friches_file(tmp_path, date_columns=columns, bad_commune_line=40)
    sets = [f"{k}={v}" for k, v in SETS.items() if k not in columns]
    out = io.StringIO()
    call_command(
        "import_land", str(path), "--skip-invalid", *sum((["--set", s] for s in sets), []), stdout=out
    )
    printed = out.getvalue()
    run = ImportRun.objects.latest("pk")
    assert (
        run.status == ImportRun.Status.DONE and run.warnings_count >= 2 * rows
    )  # 328 date warnings at least

    # One line per (rule, column): its count and its first five lines; the error comes first.
    for column in columns:
        line = (
            f"friches_dates.csv : date JJ/MM/AAAA convertie au format AAAA-MM-JJ — colonne {column} — "
            f"{rows} lignes (lignes 2, 3, 4, 5, 6…)"
        )
        assert printed.count(line) == 1
    assert printed.count("date JJ/MM/AAAA convertie") == 2
    assert printed.index("Erreurs :") < printed.index("Avertissements :")
    assert "ligne 40" in printed[printed.index("Erreurs :") : printed.index("Avertissements :")]

    # The run page shows the very same lines in the same order.
    client.force_login(make_user(superuser=True))
    page = client.get(reverse("www:imports:detail", args=[run.pk])).content.decode()
    shown = [
        html.unescape(re.sub(r"<[^>]+>", "", item))
        for block in re.findall(r'<ul id="import-(?:errors|warnings)">(.*?)</ul>', page, re.S)
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    ]
    cli = [line[4:] for line in printed.splitlines() if line.startswith("  - ")]
    assert shown == cli and len(shown) < 40


# --- re-import, SHA-256 ---------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_and_the_run_records_its_sha256():
    first = land_import(paths=[shared_file(DDT08)], actor=SYSTEM, sets=SETS)
    assert first.run.status == ImportRun.Status.DONE and first.run.created == 164
    data = shared_file(DDT08).read_bytes()
    [entry] = ImportRun.objects.get(pk=first.run.pk).files
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    before = table_counts()
    again = land_import(paths=[shared_file(DDT08)], actor=SYSTEM, sets=SETS)
    assert again.run.status == ImportRun.Status.DONE and not again.written
    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, 164)
    assert_nothing_written(before, runs_added=1)


# --- who sees which runs --------------------------------------------------------------------------------


def test_the_runs_page_lists_the_runs_of_the_users_organisation_only(client, tmp_path):
    strasbourg = epci_org(STRASBOURG)
    member = make_member(strasbourg)
    outsider = make_member(epci_org("200041630"))
    own = land_import(
        paths=write_inventory_files(tmp_path, STRASBOURG, [{"terr_surf_brute": "3"}]),
        actor=Actor.for_user(member, strasbourg.pk),
        epci_siren=STRASBOURG,
    ).run
    assert own.organization_id == strasbourg.pk and own.created_by_id == member.pk
    cli = land_import(paths=[shared_file(DDT08)], actor=SYSTEM).run  # command line: no organisation

    client.force_login(member)
    listing = client.get(reverse("www:imports:list")).content.decode()
    assert reverse("www:imports:detail", args=[own.pk]) in listing
    assert reverse("www:imports:detail", args=[cli.pk]) not in listing
    assert client.get(reverse("www:imports:detail", args=[cli.pk])).status_code == 404
    page = client.get(reverse("www:imports:detail", args=[own.pk])).content.decode()
    assert "Import terminé — foncier — CNIG Sites économiques" in page

    client.force_login(outsider)
    assert (
        reverse("www:imports:detail", args=[own.pk])
        not in client.get(reverse("www:imports:list")).content.decode()
    )
    assert client.get(reverse("www:imports:detail", args=[own.pk])).status_code == 404

    client.force_login(make_user(superuser=True))
    listing = client.get(reverse("www:imports:list")).content.decode()
    assert reverse("www:imports:detail", args=[own.pk]) in listing
    assert reverse("www:imports:detail", args=[cli.pk]) in listing


def test_a_refused_command_prints_the_report_and_fails():
    with pytest.raises(CommandError) as refusal:
        call_command("import_land", str(shared_file(DDT08)))
    text = str(refusal.value)
    assert text.startswith("Import refusé — foncier — CNIG Friches")
    assert "colonne obligatoire absente" in text and "Rien n'a été écrit." in text


def test_a_web_dry_run_shows_the_report_and_stores_nothing(client):
    owner = region_org("44")
    client.force_login(make_member(owner, Role.ADMIN))
    before = table_counts()
    with shared_file(TI).open("rb") as handle:
        response = client.post(
            reverse("www:perimeter_import"),
            {
                "owner": owner.pk,
                "kind": Perimeter.Kind.TERRITOIRE_INDUSTRIE,
                "visibility": Visibility.PRIVATE,
                "file": handle,
                "dry_run": "on",
            },
        )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="import-report"' in page
    assert "Import terminé (simulation) — périmètres" in page and "183 créé(s)" in page
    assert "Simulation : rien n&#x27;a été écrit." in page or "Simulation : rien n'a été écrit." in page
    assert_nothing_written(before)

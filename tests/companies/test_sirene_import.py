"""The SIRENE importer on INSEE's real stock samples and on generated files in the official layout."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime

import pytest

from tandem.companies.models import Company, Establishment, RegistryChange
from tandem.companies.sirene_format import ETABLISSEMENT_COLUMNS, UNITE_LEGALE_COLUMNS, departement_of
from tandem.companies.sirene_import import sirene_import
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.factories import region_org

pytestmark = pytest.mark.django_db

ETAB = "real/sirene/stock_etablissement_format_sample_2024.csv"
UL = "real/sirene/stock_unite_legale_format_sample_2024_personnes_morales.csv"
SYSTEM = Actor.system_actor()


def raw_rows(relative):
    with shared_file(relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_real_stock_etablissement_sample_imports_with_its_53_columns():
    path = shared_file(ETAB)
    rows = raw_rows(ETAB)
    assert tuple(rows[0].keys()) == ETABLISSEMENT_COLUMNS
    assert len(ETABLISSEMENT_COLUMNS) == 53

    result = sirene_import(path=path, actor=SYSTEM)

    run = result.run
    assert result.problems == []
    assert (
        run.registry.rows_read,
        run.registry.rows_in_territory,
        run.created,
        run.updated,
        run.rejected,
    ) == (
        299,
        299,
        299,
        0,
        0,
    )
    assert Establishment.objects.count() == 299
    # Counts by département, NAF and headcount band, computed independently from the raw file…
    by_dep = Counter(departement_of(r["codeCommuneEtablissement"]) for r in rows)
    by_naf = Counter(r["activitePrincipaleEtablissement"] for r in rows)
    by_band = Counter(r["trancheEffectifsEtablissement"] for r in rows)
    db_dep = Counter(Establishment.objects.values_list("departement_code", flat=True))
    db_naf = Counter(Establishment.objects.values_list("naf", flat=True))
    db_band = Counter(Establishment.objects.values_list("headcount_band", flat=True))
    assert db_dep == by_dep
    assert db_naf == by_naf
    assert db_band == by_band
    # … and as literal numbers (PROVENANCE.md: 284 closed / 15 active, 6 rows with a band).
    assert (db_dep["80"], db_dep["04"], db_dep["44"], db_dep["13"], db_dep["75"], db_dep["987"]) == (
        115,
        84,
        73,
        4,
        4,
        1,
    )
    assert (db_naf[""], db_naf["00.97"], db_naf["68.20B"]) == (44, 22, 13)
    assert db_band == Counter({"": 293, "12": 4, "02": 1, "03": 1})
    assert Establishment.objects.filter(state="F").count() == 284
    assert Establishment.objects.filter(state="A").count() == 15
    # A closure is dated by the start of its closed period.
    closed = Establishment.objects.get(siret="00032517500016")
    assert (closed.state, str(closed.closed_on), closed.commune_code, closed.commune_id) == (
        "F",
        "2009-05-27",
        "98727",
        "98727",
    )
    # INSEE's timestamps are French local time (2024-03-22T15:40:57 in Paris is 14:40:57 UTC).
    assert closed.registry_processed_at.astimezone(UTC) == datetime(2024, 3, 22, 14, 40, 57, tzinfo=UTC)
    # Companies exist for every SIREN (legal unit not yet loaded), with their defaults.
    assert Company.objects.count() == len({r["siren"] for r in rows})
    assert not Company.objects.filter(legal_unit_loaded=True).exists()
    bare = Company.objects.get(siren="000325175")
    assert (bare.name, bare.diffusion, bare.purged, bare.display_name) == ("", "O", False, "000325175")


def test_reimporting_the_same_file_changes_nothing():
    path = shared_file(ETAB)
    sirene_import(path=path, actor=SYSTEM)
    before = list(Establishment.objects.order_by("siret").values())
    again = sirene_import(path=path, actor=SYSTEM).run
    assert (again.created, again.updated, again.unchanged, again.registry.changes_recorded) == (0, 0, 299, 0)
    assert list(Establishment.objects.order_by("siret").values()) == before
    assert not RegistryChange.objects.exists()


def test_real_stock_unite_legale_sample_after_establishments():
    sirene_import(path=shared_file(ETAB), actor=SYSTEM)
    rows = raw_rows(UL)
    assert tuple(rows[0].keys()) == UNITE_LEGALE_COLUMNS
    run = sirene_import(path=shared_file(UL), actor=SYSTEM).run
    # No territory filter (no Region organisation, no départements): every legal unit is kept.
    assert (run.registry.rows_read, run.rejected) == (526, 0)
    assert Company.objects.filter(legal_unit_loaded=True).count() == 526
    company = Company.objects.get(siren="005420013")
    assert (company.name, company.state, company.legal_category, company.naf) == (
        "SOCIETE D'APPROVISIONNEMENT REGIONAL",
        "C",
        "5599",
        "62.21",
    )
    assert (
        Company.objects.filter(state="C").count()
        == sum(r["etatAdministratifUniteLegale"] == "C" for r in rows)
        == 392
    )


# --- helpers ------------------------------------------------------------------------------------------------


def rewrite(relative, tmp_path, *, changes=None, columns=None, extra_lines=(), name="stock.csv"):
    """A copy of a real sample with some values changed (by SIRET or SIREN), columns reordered or added."""
    rows = raw_rows(relative)
    key = "siret" if "siret" in rows[0] else "siren"
    for row in rows:
        row.update((changes or {}).get(row[key], {}))
    columns = columns or list(rows[0].keys())
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with path.open("ab") as handle:
        for line in extra_lines:
            handle.write(line)
    return path


def snapshot():
    return list(Establishment.objects.order_by("siret").values_list(*ESTABLISHMENT_DATA))


ESTABLISHMENT_DATA = [
    f.attname
    for f in Establishment._meta.concrete_fields
    if f.attname not in ("imported_at", "updated_at", "last_import_id")
]


# --- layout, territory, protected fields --------------------------------------------------------------------


def test_extra_and_reordered_columns_still_import(tmp_path):
    original = sirene_import(path=shared_file(ETAB), actor=SYSTEM).run
    expected = snapshot()
    Establishment.objects.all().delete()
    Company.objects.all().delete()
    # Newer INSEE releases add columns (e.g. the NAF 2025 code); columns are matched by name.
    rows = raw_rows(ETAB)
    columns = ["activitePrincipaleNAF25Etablissement", *reversed(list(rows[0].keys()))]
    changes = {r["siret"]: {"activitePrincipaleNAF25Etablissement": "25.11Y"} for r in rows}
    path = rewrite(ETAB, tmp_path, changes=changes, columns=columns)
    run = sirene_import(path=path, actor=SYSTEM).run
    assert (run.created, run.rejected) == (original.created, 0) == (299, 0)
    assert snapshot() == expected


def test_territory_filter_keeps_the_given_departements():
    run = sirene_import(path=shared_file(ETAB), actor=SYSTEM, departements=["51", "54"]).run
    expected = [r["siret"] for r in raw_rows(ETAB) if r["codeCommuneEtablissement"][:2] in ("51", "54")]
    assert (run.registry.rows_read, run.registry.rows_in_territory, run.created) == (299, 2, 2)
    assert sorted(Establishment.objects.values_list("siret", flat=True)) == sorted(expected)
    # Legal units are then kept only for the companies of those establishments.
    ul = sirene_import(path=shared_file(UL), actor=SYSTEM, departements=["51", "54"]).run
    sirens = {s[:9] for s in expected}
    assert ul.registry.rows_in_territory == sum(r["siren"] in sirens for r in raw_rows(UL))
    assert Company.objects.count() == len(sirens)


def test_territory_defaults_to_the_region_organisations():
    region_org("44")  # Grand Est: 08, 10, 51, 52, 54, 55, 57, 67, 68, 88
    run = sirene_import(path=shared_file(ETAB), actor=SYSTEM).run
    assert run.registry.departements == ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]
    assert run.created == 2


def test_protected_fields_of_partially_diffusible_establishments_are_not_kept(tmp_path):
    siret = "00552017600016"
    changes = {siret: {"statutDiffusionEtablissement": "P", "coordonneeLambertAbscisseEtablissement": "652000.5",
                       "coordonneeLambertOrdonneeEtablissement": "6862000.5", "enseigne1Etablissement": "M. DUPONT"}}  # fmt: skip
    sirene_import(path=rewrite(ETAB, tmp_path, changes=changes), actor=SYSTEM)
    hidden = Establishment.objects.get(siret=siret)
    assert hidden.diffusion == "P"
    assert (hidden.street_name, hidden.signboard, hidden.lambert_x, hidden.latitude) == ("", "", None, None)
    raw = next(r for r in raw_rows(ETAB) if r["siret"] == siret)
    assert raw["libelleVoieEtablissement"] != ""
    # The commune, postcode and activity stay public.
    assert (hidden.commune_code, hidden.postcode, hidden.naf) == (
        "80308",
        raw["codePostalEtablissement"],
        raw["activitePrincipaleEtablissement"],
    )
    public = Establishment.objects.get(siret="00552017600032")
    assert public.street_name != ""


def test_a_value_the_database_refuses_stops_the_import_naming_its_line(tmp_path, monkeypatch):
    """The checks mirror the columns, so this should not happen; if a rule and a column ever disagree, the
    import stops in French (file, line, field) and writes nothing."""
    from dataclasses import replace

    from tandem.companies import sirene_format as fmt
    from tandem.core.errors import UserError

    fields, required = fmt.KINDS["etablissement"]
    loose = tuple(replace(f, arg=60) if f.target == "naf" else f for f in fields)  # the column holds 6
    monkeypatch.setitem(fmt.KINDS, "etablissement", (loose, required))
    path = rewrite(
        ETAB, tmp_path, changes={"00552017600016": {"activitePrincipaleEtablissement": "TROP.LONG"}}
    )
    line = 2 + [r["siret"] for r in raw_rows(ETAB)].index("00552017600016")
    with pytest.raises(UserError) as error:
        sirene_import(path=path, actor=SYSTEM)
    assert f"stock.csv, ligne {line}, champ « naf » : valeur refusée par la base" in str(error.value)
    assert not Establishment.objects.exists() and not Company.objects.exists()


def test_three_full_signboards_fit(tmp_path):
    signboards = {f"enseigne{i}Etablissement": str(i) * 50 for i in (1, 2, 3)}
    sirene_import(path=rewrite(ETAB, tmp_path, changes={"00552017600016": signboards}), actor=SYSTEM)
    assert Establishment.objects.get(siret="00552017600016").signboard == " ".join(signboards.values())


def test_lambert_93_coordinates_are_converted_like_pyproj(tmp_path):
    from pyproj import Transformer

    points = {"00552017600016": (652469.0, 6862035.0), "00552017600032": (1050000.0, 6840000.0),
              "00542012000015": (175000.0, 6780000.0)}  # fmt: skip
    changes = {
        s: {
            "coordonneeLambertAbscisseEtablissement": str(x),
            "coordonneeLambertOrdonneeEtablissement": str(y),
        }
        for s, (x, y) in points.items()
    }
    sirene_import(path=rewrite(ETAB, tmp_path, changes=changes), actor=SYSTEM)
    to_wgs84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    for siret, (x, y) in points.items():
        lon, lat = to_wgs84.transform(x, y)
        row = Establishment.objects.get(siret=siret)
        assert abs(row.latitude - lat) < 1e-7 and abs(row.longitude - lon) < 1e-7, siret
    assert Establishment.objects.filter(latitude__isnull=False).count() == 3


# --- vintages: changes, closures, signals -------------------------------------------------------------------


def test_a_changed_row_updates_and_a_closure_is_dated(tmp_path):
    from tandem.companies.fragility import registry_signals_create
    from tandem.companies.models import Signal

    sirene_import(path=shared_file(ETAB), actor=SYSTEM)
    changes = {
        # An employer establishment (20-49 employees) closes on 31 March 2026.
        "00552017600016": {"etatAdministratifEtablissement": "F", "dateDebut": "2026-03-31"},
        # Another one drops from 20-49 to 6-9 employees.
        "00552017600032": {"trancheEffectifsEtablissement": "03"},
        # A non-employer establishment closes: recorded, but no alert.
        "00552007700016": {"etatAdministratifEtablissement": "F", "dateDebut": "2026-02-01"},
        # A change of activity.
        "00542012000015": {"activitePrincipaleEtablissement": "25.11Z"},
    }
    run = sirene_import(path=rewrite(ETAB, tmp_path, changes=changes), actor=SYSTEM).run
    assert (run.created, run.updated, run.unchanged, run.rejected) == (0, 4, 295, 0)
    closed = Establishment.objects.get(siret="00552017600016")
    assert (closed.state, str(closed.closed_on), str(closed.state_since)) == ("F", "2026-03-31", "2026-03-31")
    assert Establishment.objects.get(siret="00552017600032").headcount_band == "03"
    recorded = sorted(
        RegistryChange.objects.filter(run=run.registry).values_list(
            "establishment_id", "kind", "old_value", "new_value"
        )
    )
    old_naf = next(r for r in raw_rows(ETAB) if r["siret"] == "00542012000015")[
        "activitePrincipaleEtablissement"
    ]
    assert recorded == [
        ("00542012000015", "naf", old_naf, "25.11Z"),
        ("00552007700016", "closure", "A", "F"),
        ("00552017600016", "closure", "A", "F"),
        ("00552017600032", "headcount", "12", "03"),
    ]
    assert str(RegistryChange.objects.get(establishment_id="00552017600016").effective_on) == "2026-03-31"

    region_org("44")
    signals = registry_signals_create(run=run.registry)
    assert sorted((s.establishment_id, s.source, str(s.observed_on)) for s in signals) == [
        ("00552017600016", Signal.Source.SIRENE_CLOSURE, "2026-03-31"),
        ("00552017600032", Signal.Source.HEADCOUNT_DROP, str(run.registry.vintage)),
    ]
    drop = next(s for s in signals if s.source == Signal.Source.HEADCOUNT_DROP)
    assert "20 à 49 salariés" in drop.description and "6 à 9 salariés" in drop.description
    assert all(s.visibility == "network" and s.owner.kind == "region" for s in signals)
    # Signals are idempotent: creating them again adds nothing.
    assert registry_signals_create(run=run.registry) == []
    assert Signal.objects.unscoped().count() == 2


# --- malformed input ----------------------------------------------------------------------------------------


def test_a_malformed_row_is_reported_with_its_line_and_nothing_else_is_lost(tmp_path, chunks):
    rows = raw_rows(ETAB)
    changes = {
        rows[9]["siret"]: {"dateCreationEtablissement": "2021-02-30"},  # line 11: not a date
        rows[19]["siret"]: {"trancheEffectifsEtablissement": "99"},  # line 21: unknown band
        rows[29]["siret"]: {"nic": "1234"},  # line 31: 4-digit NIC
    }
    header_width = len(rows[0])
    extra = [
        ("000000001,00001," + ",".join([""] * (header_width - 3)) + "\n").encode(),  # line 301: 52 fields
        b"\xff\xfe broken bytes\n",  # line 302: not UTF-8
        ('000000002,"00002,' + ",".join([""] * (header_width - 2)) + "\n").encode(),  # line 303: stray quote
    ]
    path = rewrite(ETAB, tmp_path, changes=changes, extra_lines=extra)
    result = sirene_import(path=path, actor=SYSTEM)
    run = result.run
    where = sorted((p.line, p.field or "") for p in result.problems)
    assert where == [
        (11, "dateCreationEtablissement"),
        (21, "trancheEffectifsEtablissement"),
        (31, "nic"),
        (301, ""),
        (302, ""),
        (303, ""),
    ]
    assert "stock.csv, ligne 11, champ « dateCreationEtablissement » : date AAAA-MM-JJ attendue" in str(
        next(p for p in result.problems if p.line == 11)
    )
    assert (run.registry.rows_read, run.rejected, run.created) == (302, 6, 296)
    bad = {rows[i]["siret"] for i in (9, 19, 29)}
    assert set(Establishment.objects.values_list("siret", flat=True)) == {r["siret"] for r in rows} - bad
    assert run.problems[0]["line"] == 11


@pytest.fixture(params=["one chunk", "4 KB chunks"])
def chunks(request, monkeypatch):
    """Run a test with the file in one chunk, then cut into many small chunks (as a national file is)."""
    if request.param == "4 KB chunks":
        monkeypatch.setattr("tandem.companies.sirene_import.CHUNK_BYTES", 4096)


def test_a_siret_twice_in_a_file_keeps_its_last_row(tmp_path, chunks):
    rows = raw_rows(ETAB)
    row = dict(next(r for r in rows if r["siret"] == "00552017600016"))
    row.update(etatAdministratifEtablissement="F", dateDebut="2026-04-30")
    duplicate = io.StringIO()
    csv.writer(duplicate, lineterminator="\n").writerow(row.values())
    path = rewrite(ETAB, tmp_path, extra_lines=[duplicate.getvalue().encode()])
    run = sirene_import(path=path, actor=SYSTEM).run
    assert (run.registry.rows_read, run.created, run.rejected) == (300, 299, 0)
    assert str(Establishment.objects.get(siret="00552017600016").closed_on) == "2026-04-30"


def test_geolocated_stock_sets_coordinates_of_diffusible_establishments(tmp_path):
    sirene_import(path=shared_file(ETAB), actor=SYSTEM)
    path = tmp_path / "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.csv"
    path.write_text(
        "siret;x;y;qualite_xy;epsg;plg_qp;plg_iris;plg_zus;plg_qva;plg_code_commune;distance_precision;"
        "qualite_qp;qualite_iris;qualite_zus;qualite_qva;y_latitude;x_longitude\n"
        "00552017600016;652469.0;6862035.0;11;2154;;;;;80308;;;;;;;\n"
        "00552017600032;651000.0;6860000.0;22;2154;;;;;80190;;;;;;49.91;2.30\n"
        "99999999999999;651000.0;6860000.0;22;2154;;;;;80190;;;;;;49.91;2.30\n",
        encoding="utf-8",
    )
    run = sirene_import(path=path, actor=SYSTEM).run
    assert (run.kind, run.registry.rows_read, run.registry.rows_in_territory, run.updated) == (
        "geolocalisation",
        3,
        2,
        2,
    )
    first = Establishment.objects.get(siret="00552017600016")
    assert (first.lambert_x, first.geolocation_quality) == (652469.0, "11")
    assert 48.85 < first.latitude < 48.86 and 2.34 < first.longitude < 2.36  # central Paris
    second = Establishment.objects.get(siret="00552017600032")
    assert (second.latitude, second.longitude) == (49.91, 2.30)
    assert sirene_import(path=path, actor=SYSTEM).run.updated == 0


def test_protected_identity_of_a_natural_person(tmp_path):
    siren = raw_rows(UL)[0]["siren"]
    changes = {siren: {"categorieJuridiqueUniteLegale": "1000", "statutDiffusionUniteLegale": "P",
                       "nomUniteLegale": "DUPONT", "prenom1UniteLegale": "JEANNE", "sexeUniteLegale": "F",
                       "denominationUniteLegale": ""}}  # fmt: skip
    sirene_import(path=rewrite(UL, tmp_path, changes=changes), actor=SYSTEM)
    company = Company.objects.get(siren=siren)
    assert (company.last_name, company.first_name, company.sex, company.diffusion) == ("", "", "", "P")
    assert company.display_name == "[non diffusible]"


def test_a_company_cessation_between_two_vintages(tmp_path):
    rows = raw_rows(UL)
    active = next(r for r in rows if r["etatAdministratifUniteLegale"] == "A")
    sirene_import(path=shared_file(UL), actor=SYSTEM)
    changes = {active["siren"]: {"etatAdministratifUniteLegale": "C", "dateDebut": "2026-05-31"}}
    run = sirene_import(path=rewrite(UL, tmp_path, changes=changes), actor=SYSTEM).run
    assert (run.updated, run.registry.changes_recorded) == (1, 1)
    change = RegistryChange.objects.get(run=run.registry)
    assert (change.company_id, change.kind, str(change.effective_on)) == (
        active["siren"],
        "cessation",
        "2026-05-31",
    )
    assert str(Company.objects.get(siren=active["siren"]).ceased_on) == "2026-05-31"


def test_a_first_load_rebuilds_the_indexes_it_deferred():
    from django.db import connection

    def indexes():
        """Indexes of the two registry tables and the constraints that lean on them."""
        with connection.cursor() as cursor:
            cursor.execute(
                "select tablename, indexdef from pg_indexes where tablename in"
                " ('companies_establishment', 'companies_company') order by 1, 2"
            )
            found = cursor.fetchall()
            cursor.execute(
                "select conname, conrelid::regclass::text, pg_get_constraintdef(oid) from pg_constraint"
                " where confrelid in ('companies_establishment'::regclass, 'companies_company'::regclass)"
                " or conrelid in ('companies_establishment'::regclass, 'companies_company'::regclass) order by 1"
            )
            return found + cursor.fetchall()

    before = indexes()
    assert len(before) >= 6 + 16  # 6 indexes; primary keys, checks and foreign keys
    sirene_import(path=shared_file(ETAB), actor=SYSTEM)  # empty tables: indexes dropped, then rebuilt
    assert indexes() == before
    sirene_import(path=shared_file(UL), actor=SYSTEM)  # companies already there: nothing dropped
    assert indexes() == before


def test_a_company_headcount_drop_signal_is_placed_at_its_head_office(tmp_path):
    from tandem.companies.fragility import registry_signals_create

    # 005520176: 50-99 employees; its establishment 00552017600016 (commune 80308) is made its head office.
    sirene_import(path=shared_file(ETAB), actor=SYSTEM)
    Establishment.objects.filter(siret="00552017600016").update(is_head_office=True)
    sirene_import(path=shared_file(UL), actor=SYSTEM)
    run = sirene_import(
        path=rewrite(UL, tmp_path, changes={"005520176": {"trancheEffectifsUniteLegale": "11"}}), actor=SYSTEM
    ).run
    assert run.registry.changes_recorded == 1
    region_org("44")
    [signal] = registry_signals_create(run=run.registry)
    assert (signal.company_id, signal.establishment_id, signal.source) == (
        "005520176",
        None,
        "headcount_drop",
    )
    assert signal.commune_id == "80308"
    assert "50 à 99 salariés" in signal.description and "10 à 19 salariés" in signal.description

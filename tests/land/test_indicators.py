"""Land indicators on a planted inventory: every availability class, vacancy, jobs, friches, consumption,
territory levels, the permission layer, and the Cerema NAF consumption importer."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.core.errors import UserError
from tandem.land import availability as av
from tandem.land import indicators as ind
from tandem.land.consumption import naf_consumption_import
from tandem.land.models import NafConsumption, Terrain
from tandem.land.selectors import regional_dashboard, territory_indicators, territory_resolve
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.factories import communes_of, epci_org, make_member, region_org
from tests.land.inventory_builders import make_etablissement, make_friche, make_site, make_terrain

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)
STRASBOURG, MULHOUSE = "246700488", "200066009"


@pytest.fixture
def inventory():
    stras = epci_org(STRASBOURG)
    mulh = epci_org(MULHOUSE)
    region = region_org()
    c1, c2 = communes_of(STRASBOURG)[:2]
    site = make_site(stras, c1, site_evol_urba="extension urbaine", visibility=Visibility.REGION)
    other = make_site(stras, c2, site_evol_urba="renouvellement urbain", visibility=Visibility.REGION)
    t = {
        "now": make_terrain(site, 5.0),
        "later": make_terrain(site, 3.0, tdm_available_on=TODAY + dt.timedelta(days=200)),
        "servicing": make_terrain(
            site, 4.0, terr_stade_comm="non commercialisé", terr_stade_amngt="viabilisation en cours"
        ),
        "private": make_terrain(
            site, 6.0, terr_stade_amngt="non aménagé, non viabilisé", terr_maitrise_fonc="personne physique"
        ),
        "occupied": make_terrain(
            site,
            2.0,
            terr_etat_occup="occupé",
            terr_stade_comm="vendu, commercialisation achevée",
            terr_cession_date=dt.date(2022, 3, 1),
        ),
        "sold": make_terrain(
            other,
            1.0,
            terr_stade_comm="vendu, commercialisation achevée",
            terr_cession_date=dt.date(2023, 5, 2),
        ),
        "occupied_old": make_terrain(
            other, 0.75, terr_etat_occup="occupé", terr_stade_comm="non commercialisé"
        ),
        "reserved": make_terrain(site, 1.5, terr_stade_comm="réservé par option de réservation"),
        "road": make_terrain(site, 0.5, terr_usage="voirie ou infrastructure"),
        "green": make_terrain(other, 0.25, terr_usage="espace vert", terr_stade_comm="non commercialisé"),
        "not_counted": make_terrain(site, 2.0, terr_utile=False),
        "vacant": make_terrain(other, 1.0, terr_etat_occup="vacant"),
        "friche": make_terrain(
            other,
            2.5,
            terr_etat_occup="friche",
            terr_stade_comm="non commercialisé",
            terr_stade_amngt="viabilisé non aménagé",
        ),
    }
    make_etablissement(t["occupied"], "12")  # 34.5 jobs
    make_etablissement(t["occupied"], "03")  # 7.5
    make_etablissement(t["occupied"], "21", etab_actif=False)  # closed: not counted
    make_etablissement(t["occupied_old"], "NN", etab_creation_date=dt.date(2019, 9, 1))
    make_friche(
        stras, c1, site_eco=site, sol_pollution_existe="pollution avérée", visibility=Visibility.REGION
    )
    make_friche(stras, c2, site_statut="friche avec projet", visibility=Visibility.REGION)
    make_friche(stras, c2, site_type="friche commerciale", visibility=Visibility.REGION)
    # Another EPCI's private zone: invisible to Strasbourg and to the Region.
    hidden = make_site(mulh, communes_of(MULHOUSE)[0])
    make_terrain(hidden, 10.0)
    return {"stras": stras, "mulh": mulh, "region": region, "site": site, "other": other, "t": t}


def test_each_planted_terrain_gets_its_class_in_sql_and_in_python(inventory):
    expected = {
        "now": av.NOW,
        "vacant": av.NOW,
        "later": av.SHORT,
        "servicing": av.SHORT,
        "friche": av.SHORT,
        "private": av.MEDIUM,
        "occupied": av.TAKEN,
        "sold": av.TAKEN,
        "occupied_old": av.TAKEN,
        "reserved": av.RESERVED,
        "road": av.EXCLUDED,
        "green": av.EXCLUDED,
        "not_counted": av.EXCLUDED,
    }
    ids = {t.pk: name for name, t in inventory["t"].items()}
    sql = dict(
        Terrain.objects.unscoped()
        .filter(pk__in=ids)
        .annotate(c=av.availability_case(today=TODAY))
        .values_list("pk", "c")
    )
    assert {ids[pk]: c for pk, c in sql.items()} == expected
    assert {name: av.classify(t, today=TODAY) for name, t in inventory["t"].items()} == expected
    # After its availability date, the "later" terrain is available now; beyond two years, medium term.
    assert av.classify(inventory["t"]["later"], today=TODAY + dt.timedelta(days=201)) == av.NOW
    # A lot on sale that is grass today is available; the zone's landscaped areas are not.
    assert av.classify(make_terrain(inventory["site"], 1.0, terr_usage="espace vert"), today=TODAY) == av.NOW
    far = make_terrain(inventory["site"], 1.0, tdm_available_on=TODAY + dt.timedelta(days=3 * 365))
    assert av.classify(far, today=TODAY) == av.MEDIUM


def test_epci_indicators_of_the_owner(inventory):
    actor = Actor.for_user(make_member(inventory["stras"]))
    figures = territory_indicators(actor, territory_resolve(actor, level="epci", key=STRASBOURG), today=TODAY)
    terrains = figures["terrains"]
    assert terrains["terrains"] == 13
    assert terrains["now_ha"] == 6.0  # 5 + 1 (vacant)
    assert terrains["available_ha"] == 6.0
    assert terrains["short_ha"] == 9.5  # 3 + 4 + 2.5
    assert terrains["medium_ha"] == 6.0
    assert terrains["taken_ha"] == 3.75
    assert terrains["reserved_ha"] == 1.5
    assert terrains["excluded_ha"] == 2.75  # road 0.5 + green space 0.25 + not counted 2
    assert terrains["usable_ha"] == 27.5  # all but the terrain « terr_utile = non »
    assert terrains["mobilisable_ha"] == 21.5
    # Built units: occupied ×2, vacant, friche → 2 vacant of 4.
    assert terrains["vacancy_rate"] == 0.5
    assert figures["sites"] == {
        "sites": 2,
        "gross_ha": 40.0,
        "usable_declared_ha": 30.0,
        "labelled_starest": 0,
    }
    assert figures["establishments"] == {"establishments": 3, "jobs": 42, "jobs_per_ha": 1.5}
    friches = figures["friches"]
    assert friches["friches"] == 3 and friches["inside_zae"] == 1 and friches["surface_ha"] == 3.0
    assert friches["by_status"] == {"friche avec projet": 1, "friche sans projet": 2}
    assert friches["by_type"] == {"friche commerciale": 1, "friche industrielle": 2}
    assert friches["by_pollution"] == {"non renseigné": 2, "pollution avérée": 1}
    assert figures["consumption_by_year"] == [
        {
            "year": 2019,
            "terrains": 1,
            "total_ha": 0.75,
            "extension_ha": 0.0,
            "renewal_ha": 0.75,
            "other_ha": 0.0,
        },
        {
            "year": 2022,
            "terrains": 1,
            "total_ha": 2.0,
            "extension_ha": 2.0,
            "renewal_ha": 0.0,
            "other_ha": 0.0,
        },
        {
            "year": 2023,
            "terrains": 1,
            "total_ha": 1.0,
            "extension_ha": 0.0,
            "renewal_ha": 1.0,
            "other_ha": 0.0,
        },
    ]


def test_levels_and_permissions(inventory):
    stras_actor = Actor.for_user(make_member(inventory["stras"]))
    region_actor = Actor.for_user(make_member(inventory["region"]))
    mulh_actor = Actor.for_user(make_member(inventory["mulh"]))

    def now_ha(actor, level, key):
        return territory_indicators(actor, territory_resolve(actor, level=level, key=key), today=TODAY)[
            "terrains"
        ]["now_ha"]

    # The Region sees Strasbourg's shared zones, not Mulhouse's private one.
    assert now_ha(region_actor, "region", "44") == 6.0
    assert now_ha(region_actor, "departement", "67") == 6.0
    assert now_ha(region_actor, "departement", "68") == 0.0
    assert now_ha(mulh_actor, "departement", "68") == 10.0
    # « Partagé avec la Région » is not « tout le réseau »: another EPCI only counts its own zone.
    assert now_ha(mulh_actor, "region", "44") == 10.0
    perimeter = perimeter_create(
        actor=stras_actor,
        owner=inventory["stras"],
        name="Deux communes",
        members=communes_of(STRASBOURG)[1:2],
    )
    assert now_ha(stras_actor, "perimeter", str(perimeter.pk)) == 1.0  # only the vacant terrain of c2
    from django.http import Http404

    with pytest.raises(Http404):
        territory_resolve(mulh_actor, level="perimeter", key=str(perimeter.pk))


def test_dashboard_groups_by_epci_and_departement_in_a_few_queries(inventory):
    region_actor = Actor.for_user(make_member(inventory["region"]))
    with CaptureQueriesContext(connection) as queries:
        board = regional_dashboard(region_actor, region_code="44", today=TODAY)
    assert len(queries) <= 14
    assert [(r["code"], r["now_ha"], r["sites"], r["jobs"]) for r in board["epci"]] == [
        (STRASBOURG, 6.0, 2, 42)
    ]
    assert [(r["code"], r["now_ha"]) for r in board["departement"]] == [("67", 6.0)]
    assert board["total"]["now_ha"] == 6.0


CEREMA_HEADER = (
    "idcom;idcomtxt;idreg;idregtxt;iddep;iddeptxt;epci23;epci23txt;"
    + ";".join(f"naf{y:02d}art{y + 1:02d}" for y in range(9, 23))
    + ";"
    + ";".join(
        f"art{y:02d}{k}{y + 1:02d}" for y in range(9, 23) for k in ("act", "hab", "mix", "rou", "fer", "inc")
    )
    + ";naf09art23;art09act23"
)


def cerema_row(code, name, total, activity):
    totals = [str(total)] * 14
    splits = []
    for _ in range(9, 23):
        splits += [str(activity), str(total - activity), "0", "0", "0", "0"]
    return ";".join([code, name, "44", "Grand Est", code[:2], "", STRASBOURG, "", *totals, *splits, "1", "1"])


def test_cerema_naf_consumption_import_and_trajectory(tmp_path):
    """No real Cerema file is in ../shared/data (real/land/PROVENANCE.md): the test writes one in the exact
    Cerema column layout (idcom, nafYYartZZ and artYYactZZ… in m², cumulated columns ignored)."""
    codes = communes_of(STRASBOURG)[:2]
    path = tmp_path / "conso2009_2023_cerema.csv"
    path.write_text(
        "\n".join(
            [CEREMA_HEADER, cerema_row(codes[0], "A", 10_000, 4_000), cerema_row(codes[1], "B", 6_000, 1_000)]
        )
        + "\n",
        encoding="utf-8",
    )
    result = naf_consumption_import(path=path)
    assert (result.created, result.updated, result.unchanged) == (28, 0, 0)
    assert result.years == list(range(2009, 2023))
    out = io.StringIO()
    call_command("import_naf_consumption", str(path), stdout=out)
    assert "0 créé(s), 0 modifié(s), 28 inchangé(s), 0 rejeté(s)" in out.getvalue()
    assert "2 commune(s), années 2009–2022" in out.getvalue()
    row = NafConsumption.objects.get(commune_code=codes[0], year=2015)
    assert (row.total_m2, row.activity_m2, row.housing_m2) == (10_000, 4_000, 6_000)

    naf = ind.naf_trajectory(NafConsumption.objects.filter(commune__epci_id=STRASBOURG))
    assert naf["reference_total_m2"] == 160_000 and naf["reference_activity_m2"] == 50_000
    assert naf["reference_activity_share"] == 0.3125
    assert naf["budget_2021_2030_activity_m2"] == 25_000
    assert naf["years_since_2021"] == 2 and naf["consumed_since_2021_activity_m2"] == 10_000
    assert naf["activity_projected_2021_2030_m2"] == 50_000 and naf["activity_on_track"] is False


def test_cerema_import_refuses_a_bad_file_and_writes_nothing(tmp_path):
    codes = communes_of(STRASBOURG)[:2]
    bad = cerema_row(codes[1], "B", 6_000, 1_000).replace(";6000;", ";beaucoup;", 1)
    path = tmp_path / "conso.csv"
    path.write_text(
        "\n".join([CEREMA_HEADER, cerema_row(codes[0], "A", 10_000, 4_000), bad]), encoding="utf-8"
    )
    with pytest.raises(UserError) as exc:
        naf_consumption_import(path=path)
    assert "conso.csv, ligne 3, champ « naf09art10 »" in str(exc.value)
    assert "beaucoup" in str(exc.value)
    assert not NafConsumption.objects.exists()
    missing = tmp_path / "autre.csv"
    missing.write_text("code;surface\n67482;12\n", encoding="utf-8")
    with pytest.raises(UserError, match="« idcom » absente"):
        naf_consumption_import(path=missing)

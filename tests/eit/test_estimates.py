"""Estimated flows stored apart from the recorded ones: made from the registry's NAF code and headcount band
(the companies module's one headcount rule), marked « estimé » with their factor source and confidence,
replaced by a recorded flow of the same kind, refreshed when the registry changes, visible to the territory's
facilitators only, and used by the detection only when asked (its reasons say which side is estimated)."""

import pytest
from django.utils import timezone

from tandem.companies.followup import advisor_assign
from tandem.companies.nomenclatures import headcount_estimate
from tandem.eit.detection import run_detection, territory_for_epci
from tandem.eit.estimates import estimated_flows_refresh, estimated_flows_refresh_if_registry_changed
from tandem.eit.models import EstimatedFlow
from tandem.eit.selectors import estimated_flows_for
from tandem.imports.models import ImportRun
from tandem.organizations.models import Organization
from tests.eit.builders import SCHILTIGHEIM, STRASBOURG, actor_of, add_flow, facilitator, located_company
from tests.factories import epci_org, make_member, make_user, other_org, region_org

pytestmark = pytest.mark.django_db
SXB = "246700488"


def test_headcount_estimate_is_the_middle_of_the_band():
    # INSEE bands: « 10 à 19 salariés », « 100 à 199 salariés », open band, no employee, unknown.
    assert headcount_estimate("11") == 14.5
    assert headcount_estimate("22") == 149.5
    assert headcount_estimate("53") == 10000
    assert headcount_estimate("NN") == 0
    assert headcount_estimate("") is None and headcount_estimate("99") is None


@pytest.fixture
def territory(ewc):
    org = epci_org(SXB)
    user = facilitator(org, make_member(org))
    steel_co, steel = located_company(STRASBOURG, name="ACIERIE ESTIMEE", lat=48.580, lon=7.750)
    steel.headcount_band = "22"  # 100 to 199 employees
    steel.save()
    _, small = located_company(STRASBOURG, name="PETITE ACIERIE", lat=48.581, lon=7.751)
    small.headcount_band = "01"  # 1 or 2 employees: below the scope
    small.save()
    _, cement = located_company(SCHILTIGHEIM, name="CIMENTERIE DECLAREE", naf="23.51Z", lat=48.61, lon=7.72)
    return {"org": org, "user": user, "steel": steel, "small": small, "cement": cement}


def test_refresh_stores_marked_estimates_and_is_idempotent(territory):
    steel, small = territory["steel"], territory["small"]
    first = estimated_flows_refresh(reason="test")
    estimates = EstimatedFlow.objects.filter(establishment=steel)
    assert estimates.exists() and not EstimatedFlow.objects.filter(establishment=small).exists()
    slag = estimates.get(direction="offer", ewc_id="1002")  # iron and steel slags: what a steelworks emits
    assert slag.origin == "estimated" and 0 < slag.confidence < 1
    assert "INSEE" in slag.factor_source and slag.headcount_band == "22" and slag.naf == steel.naf
    # Material offers share headcount × 15 t per employee (metallurgy, docs/eit-engine.md).
    offered = sum(e.quantity for e in estimates.filter(direction="offer", kind="material", resource=""))
    assert offered == pytest.approx(15 * (100 + 199) / 2, rel=0.01)
    again = estimated_flows_refresh(reason="test")
    assert (again.created, again.deleted) == (0, 0) and again.unchanged == first.establishments
    assert EstimatedFlow.objects.count() == first.created


def test_recorded_flow_replaces_the_estimate_of_its_kind_and_registry_change_redoes(territory):
    steel = territory["steel"]
    estimated_flows_refresh()
    before = set(EstimatedFlow.objects.filter(establishment=steel).values_list("direction", "kind", "ewc_id"))
    assert ("offer", "material", "1002") in before
    add_flow(
        territory["user"], territory["org"], steel, direction="offer", kind="material", ewc_id="100202", quantity=5
    )
    after = set(EstimatedFlow.objects.filter(establishment=steel).values_list("direction", "kind", "ewc_id"))
    assert before - after == {("offer", "material", "1002")}
    kept = EstimatedFlow.objects.filter(establishment=steel).count()
    # The registry changes (headcount band): the establishment is estimated again, the covered one is not.
    steel.headcount_band = "32"
    steel.save()
    refresh = estimated_flows_refresh()
    assert refresh.deleted == kept and refresh.created == kept
    redone = EstimatedFlow.objects.filter(establishment=steel)
    assert not redone.filter(direction="offer", ewc_id="1002").exists()
    assert set(redone.values_list("headcount_band", flat=True)) == {"32"}
    # Closed: its estimates go.
    steel.state = "F"
    steel.save()
    estimated_flows_refresh()
    assert not EstimatedFlow.objects.filter(establishment=steel).exists()


def test_only_the_territorys_facilitators_see_estimates(territory):
    estimated_flows_refresh()
    assert estimated_flows_for(actor_of(territory["user"]), siren=territory["steel"].company_id).exists()
    colleague = make_member(territory["org"])  # same EPCI, not « animateur EIT »
    assert not estimated_flows_for(actor_of(colleague)).exists()
    metz = epci_org("200039865")
    stranger = facilitator(metz, make_member(metz))
    assert not estimated_flows_for(actor_of(stranger)).exists()
    assert not estimated_flows_for(actor_of(make_member(region_org()))).exists()  # the Région: no estimate
    assert estimated_flows_for(actor_of(make_user(superuser=True))).count() == EstimatedFlow.objects.count()
    # The organisation of the company's référent (here an agency) sees that company's estimates, not others'.
    agency = other_org(Organization.Kind.AGENCE)
    referent = make_member(agency)
    steel_co = territory["steel"].company
    advisor_assign(actor=actor_of(referent), company=steel_co, user=referent, organization=agency)
    seen = set(estimated_flows_for(actor_of(referent)).values_list("establishment__company_id", flat=True))
    assert seen == {steel_co.pk}


def test_detection_uses_estimates_only_when_asked_and_says_so(territory):
    actor = actor_of(territory["user"])
    need = add_flow(
        territory["user"],
        territory["org"],
        territory["cement"],
        direction="need",
        kind="material",
        ewc_id="1002",
        quantity=10_000,
    )
    estimated_flows_refresh()
    plain = run_detection(actor, territory_for_epci(SXB))
    assert not [s for s in plain.suggestions if s.need_id == str(need.pk)]
    with_estimates = run_detection(actor, territory_for_epci(SXB), with_estimates=True)
    slag = EstimatedFlow.objects.get(establishment=territory["steel"], direction="offer", ewc_id="1002")
    found = [s for s in with_estimates.suggestions if s.need_id == str(need.pk) and s.offer_id == f"e{slag.pk}"]
    assert found, "the estimated slag of the steelworks is proposed to the cement plant"
    assert any("offre estimée" in r for r in found[0].reasons)
    assert found[0].quantity <= slag.quantity + 1e-6  # never more than the estimate


def test_periodic_job_refreshes_only_when_the_registry_changed(territory):
    from tandem.eit.tasks import estimated_flows_refresh_job

    created = estimated_flows_refresh_job(int(timezone.now().timestamp()))  # never estimated yet
    assert created == EstimatedFlow.objects.count() > 0
    assert estimated_flows_refresh_if_registry_changed() is None  # nothing changed since
    ImportRun.objects.create(
        kind=ImportRun.Kind.SIRENE_ETABLISSEMENT, status=ImportRun.Status.DONE, finished_at=timezone.now()
    )
    refresh = estimated_flows_refresh_if_registry_changed()
    assert refresh is not None and "import du répertoire" in refresh.reason


def test_pages_and_api_show_estimates_apart_from_recorded_flows(territory, client):
    from tests.factories import PASSWORD

    need = add_flow(
        territory["user"],
        territory["org"],
        territory["cement"],
        direction="need",
        kind="material",
        ewc_id="1002",
        quantity=10_000,
    )
    estimated_flows_refresh()
    assert client.login(username=territory["user"].username, password=PASSWORD)
    listing = client.get(f"/eit/?epci={SXB}").content.decode()
    assert "Flux estimés (d'après l'activité et l'effectif)" in listing and "ACIERIE ESTIMEE" in listing
    assert "enquêtes INSEE" in listing
    company = client.get(f"/eit/entreprises/{territory['steel'].company_id}/").content.decode()
    assert 'id="estimated-flows"' in company and "10 02" in company
    api = client.get("/api/v1/eit/estimated-flows/", {"siren": territory["steel"].company_id}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert rows and {r["origin"] for r in rows} == {"estimated"}
    recorded = client.get("/api/v1/eit/flows/").json()
    recorded = recorded["results"] if isinstance(recorded, dict) else recorded
    assert [r["id"] for r in recorded] == [need.pk]  # estimates never listed as flows
    detected = client.post(
        "/api/v1/eit/detect/", {"epci": SXB, "with_estimates": True}, content_type="application/json"
    ).json()
    estimated = [s for s in detected["suggestions"] if s["supplier_estimated"]]
    assert estimated and all(str(s["supplier_flow"]).startswith("e") for s in estimated)
    page = client.get(f"/eit/detection/?epci={SXB}&estimes=1").content.decode()
    assert "flux estimé</strong> : à confirmer" in page
    metz = epci_org("200039865")
    stranger = facilitator(metz, make_member(metz))
    client.logout()
    assert client.login(username=stranger.username, password=PASSWORD)
    other = client.get("/api/v1/eit/estimated-flows/").json()
    assert (other["results"] if isinstance(other, dict) else other) == []


def test_admin_shows_reference_and_estimates_read_only(territory, client):
    from tests.factories import make_user

    estimated_flows_refresh()
    client.force_login(make_user(superuser=True))
    for path in ("wastecode", "estimatedflow", "estimaterefresh"):
        assert client.get(f"/admin/eit/{path}/").status_code == 200, path
    assert client.get("/admin/eit/estimatedflow/add/").status_code == 403
    # Recorded flows and synergies belong to organisations: not in the admin.
    assert client.get("/admin/eit/flow/").status_code == 404


def test_estimated_potential_per_territory_for_steering(territory):
    from collections import defaultdict

    from tandem.eit.selectors import estimated_potential
    from tandem.territories.models import Commune

    estimated_flows_refresh()
    codes = list(Commune.objects.filter(epci_id=SXB).values_list("pk", flat=True))
    potential = estimated_potential(actor_of(territory["user"]), commune_codes=codes)
    expected, who = defaultdict(float), defaultdict(set)
    for e in EstimatedFlow.objects.filter(direction="offer", kind="material").exclude(ewc=None):
        expected[e.ewc_id[:2]] += e.quantity or 0.0
        who[e.ewc_id[:2]].add(e.establishment_id)
    got = {c["chapter"]: (pytest.approx(c["tonnes"]), c["establishments"]) for c in potential["chapters"]}
    assert got == {ch: (expected[ch], len(who[ch])) for ch in expected}
    assert potential["tonnes"] == pytest.approx(sum(expected.values())) and potential["tonnes"] > 0
    assert potential["chapters"][0]["label"]  # a French chapter heading
    outsider = make_member(epci_org("200039865"))
    assert estimated_potential(actor_of(outsider), commune_codes=codes)["tonnes"] == 0

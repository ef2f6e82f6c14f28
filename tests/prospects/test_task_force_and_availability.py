"""Issue 12, investor answer and matching: a proposed site is evaluated for the task force whatever the viewer's
inventory visibility; the Région's bodies see the regional inventory; one availability rule for the
observatory and the matching, whose `include_excluded` says why a site is not a candidate."""

import re

import pytest
from rest_framework.test import APIClient

from tandem.land import availability as av
from tandem.land.models import Site, Terrain
from tandem.land.sharing import inventory_visibility_set
from tandem.organizations.models import Organization, Role, Visibility
from tandem.organizations.perms import Actor, scope_queryset
from tandem.prospects import selectors, services
from tests.factories import communes_of, epci_org, make_member, other_org, region_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db
MULHOUSE = "200066009"


@pytest.fixture
def proposed():
    """A prospect of the investment agency shared with Mulhouse, whose private terrain is proposed and
    shortlisted; Mulhouse then withdraws the sharing the proposal made (as when a delegate proposes)."""
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT, commune_codes=communes_of(MULHOUSE))
    mulhouse = epci_org(MULHOUSE)
    lead = make_member(agency, Role.CONTRIBUTEUR, "lead")
    colleague = make_member(agency, Role.CONTRIBUTEUR, "collegue")  # not in the task force
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev")
    zae = make_site(mulhouse, "68224", tdm_power_mw=20)
    ready = make_terrain(zae, 12, cell=(0, 0))
    sold = make_terrain(zae, 15, cell=(6, 0), terr_stade_comm="vendu, commercialisation achevée")
    lead_actor, dev_actor = Actor.for_user(lead), Actor.for_user(dev)
    prospect = services.prospect_create(
        actor=lead_actor, owner=agency, code_name="Projet Héron", surface_min_ha=8, power_mw=10
    )
    services.prospect_share(actor=lead_actor, prospect=prospect, organizations=[mulhouse], members=[dev])
    for terrain in (ready, sold):
        proposal = services.proposal_create(
            actor=dev_actor, prospect=prospect, organization=mulhouse, kind="terrain", object_id=terrain.pk
        )
        services.proposal_shortlist(actor=lead_actor, proposal=proposal)
    for terrain in (ready, sold):
        terrain.shared_with.clear()
    assert Terrain.objects.unscoped().get(pk=ready.pk).visibility == Visibility.PRIVATE
    return {"prospect": prospect, "lead": lead, "colleague": colleague, "ready": ready, "sold": sold}


def matrix_cells(html: str, label: str) -> list[str]:
    """The cells of the matrix row whose header starts with `label` (text only)."""

    row = re.search(r'<th scope="row">' + re.escape(label) + r"[^<]*</th>(.*?)</tr>", html, re.S)
    assert row, f"no matrix row « {label} »"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>.*?</td>", row.group(1))]


def test_a_shortlisted_available_terrain_reads_respecte_whatever_the_inventory_visibility(client, proposed):
    client.force_login(proposed["lead"])
    response = client.get(f"/prospects/{proposed['prospect'].pk}/reponse/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "n'est plus disponible" not in html
    ready_cells = [cells[0] for cells in (matrix_cells(html, "surface"), matrix_cells(html, "puissance"))]
    assert ready_cells == ["respecté", "respecté"]
    assert matrix_cells(html, "foncier commercialisable")[0] == "respecté"
    # The sold terrain is shown with its real status and the field that says so.
    sold_cell = matrix_cells(html, "foncier commercialisable")[1]
    assert sold_cell.startswith("terrain occupé ou vendu")
    assert "vendu, commercialisation achevée" in sold_cell


def test_a_proposal_puts_its_site_before_the_task_force_only(proposed):
    ready = proposed["ready"]
    lead, colleague = Actor.for_user(proposed["lead"]), Actor.for_user(proposed["colleague"])
    assert scope_queryset(lead, Terrain.objects.unscoped().filter(pk=ready.pk)).exists()
    assert not scope_queryset(colleague, Terrain.objects.unscoped().filter(pk=ready.pk)).exists()
    # And the task force's ranking holds it (the cache is keyed by what each viewer sees).
    requirements = services.requirements_of(proposed["prospect"])
    _, mine = selectors.matching_results(actor=lead, requirements=requirements, region="44")
    _, theirs = selectors.matching_results(actor=colleague, requirements=requirements, region="44")
    assert f"terrain:{ready.pk}" in {r["id"] for r in mine}
    assert f"terrain:{ready.pk}" not in {r["id"] for r in theirs}


@pytest.fixture
def regional():
    """Mulhouse's inventory, shared « avec la Région » as the demo does."""
    mulhouse = epci_org(MULHOUSE)
    zae = make_site(mulhouse, "68224", tdm_power_mw=20, site_nom="ZAE du Rhin régionale")
    terrains = [make_terrain(zae, 10, cell=(0, 0), terr_m2_prix=25), make_terrain(zae, 9, cell=(6, 0))]
    inventory_visibility_set(actor=Actor.system_actor(), owner=mulhouse, visibility=Visibility.REGION)
    return {"mulhouse": mulhouse, "site": Site.objects.unscoped().get(pk=zae.pk), "terrains": terrains}


@pytest.mark.parametrize(
    ("kind", "sees"),
    [
        (Organization.Kind.AGENCE_INVESTISSEMENT, True),
        (Organization.Kind.MAISON_REGION, True),
        ("region", True),
        (Organization.Kind.OPERATEUR, False),
        (Organization.Kind.AGENCE, False),
    ],
)
def test_the_regions_bodies_see_the_regional_inventory(client, regional, kind, sees):
    org = region_org() if kind == "region" else other_org(kind, commune_codes=communes_of(MULHOUSE))
    client.force_login(make_member(org, Role.LECTEUR))
    listing = client.get("/foncier/").content.decode()
    assert ("ZAE du Rhin régionale" in listing) is sees
    assert client.get(f"/foncier/sites/{regional['site'].pk}/").status_code == (200 if sees else 404)


def test_the_agency_ranks_what_the_epci_ranks_with_the_price_hidden(regional):
    agency = Actor.for_user(make_member(other_org(Organization.Kind.AGENCE_INVESTISSEMENT, commune_codes=communes_of(MULHOUSE))))
    epci = Actor.for_user(make_member(regional["mulhouse"]))
    requirements = services.requirements_of(
        services.Prospect(code_name="x", surface_min_ha=5, power_mw=0, owner=regional["mulhouse"])
    )
    ranking_a, results_a = selectors.matching_results(actor=agency, requirements=requirements, region="44")
    ranking_e, results_e = selectors.matching_results(actor=epci, requirements=requirements, region="44")
    assert ranking_a.count() == ranking_e.count() == 2
    assert {r["id"] for r in results_a} == {r["id"] for r in results_e}
    # The price is personal data of Mulhouse: known to the EPCI's ranking only.
    priced = f"terrain:{regional['terrains'][0].pk}"
    price_of = {r["id"]: r["contributions"]["prix"] for r in results_e}
    assert price_of[priced] != {r["id"]: r["contributions"]["prix"] for r in results_a}[priced]


# --- one availability rule -----------------------------------------------------------------------------------

CASES = {
    # name: (fields, expected availability class, expected in the matching)
    "lawn_on_sale": ({"terr_usage": "espace vert"}, av.NOW, True),
    "landscaping": (
        {"terr_usage": "espace vert", "terr_stade_comm": "non commercialisable"},
        av.EXCLUDED,
        False,
    ),
    "sold": ({"terr_stade_comm": "vendu, commercialisation achevée"}, av.TAKEN, False),
    "reserved": ({"terr_stade_comm": "réservé par option de réservation"}, av.RESERVED, False),
    "occupied": ({"terr_etat_occup": "occupé"}, av.TAKEN, False),
    "unbuildable": ({"terr_stade_amngt": "non aménageable"}, av.EXCLUDED, False),
    "road": ({"terr_usage": "voirie ou infrastructure"}, av.EXCLUDED, False),
}


def test_the_observatory_and_the_matching_share_one_availability_rule():
    mulhouse = epci_org(MULHOUSE)
    zae = make_site(mulhouse, "68224", tdm_power_mw=20)
    terrains = {
        name: make_terrain(zae, 10, cell=(3 * k, 0), **f) for k, (name, (f, _, _)) in enumerate(CASES.items())
    }
    classes = dict(
        Terrain.objects.unscoped().annotate(a=av.availability_case()).values_list("pk", "a")
    )  # the indicators' and the map's expression
    assert {n: classes[t.pk] for n, t in terrains.items()} == {n: c for n, (_, c, _) in CASES.items()}

    user = make_member(mulhouse, Role.LECTEUR)
    client = APIClient()
    client.force_authenticate(user)
    body = client.post(
        "/api/v1/matching/", {"surface_min_ha": 5, "region": "44", "include_excluded": True}, format="json"
    ).json()
    by_id = {r["id"]: r for r in body["results"]}
    for name, (_, cls, candidate) in CASES.items():
        row = by_id[f"terrain:{terrains[name].pk}"]
        assert (row["status"] != "excluded") is candidate, name
        if not candidate:
            assert row["reasons"][0].startswith(f"terrain {av.CLASSES[cls]}"), (name, row["reasons"])
    assert "« vendu, commercialisation achevée »" in by_id[f"terrain:{terrains['sold'].pk}"]["reasons"][0]
    without = client.post("/api/v1/matching/", {"surface_min_ha": 5, "region": "44"}, format="json").json()
    assert {r["id"] for r in without["results"]} == {
        f"terrain:{terrains[n].pk}" for n, (_, _, candidate) in CASES.items() if candidate
    }


# --- what the ranking page shows -------------------------------------------------------------------------------


@pytest.fixture
def agency_prospect():
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT, commune_codes=communes_of(MULHOUSE))
    mulhouse = epci_org(MULHOUSE)
    lead = make_member(agency, Role.CONTRIBUTEUR, "pilote")
    zae = make_site(mulhouse, "68224", tdm_power_mw=20)

    def prospect(**fields):
        # Mulhouse shares its inventory with the Région once the test has built it.
        inventory_visibility_set(actor=Actor.system_actor(), owner=mulhouse, visibility=Visibility.REGION)
        return services.prospect_create(
            actor=Actor.for_user(lead),
            owner=agency,
            code_name=f"Projet {fields.get('surface_min_ha')}",
            **({"surface_min_ha": 5, "power_mw": 0} | fields),
        )

    return {"lead": lead, "zae": zae, "mulhouse": mulhouse, "prospect": prospect}


def ranking_rows(html: str) -> list[str]:
    body = re.search(r'<table id="ranking">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_friches_with_a_project_or_a_proven_pollution_carry_a_condition_and_a_penalty(agency_prospect):
    from tandem.land.models import Friche

    zae, mulhouse = agency_prospect["zae"], agency_prospect["mulhouse"]
    ready = make_terrain(zae, 10, cell=(0, 0), tdm_permit_months=3)
    friches = {}
    for name, fields in {
        "projet": {"site_statut": "friche avec projet"},
        "pollution": {"site_statut": "friche sans projet", "sol_pollution_existe": "pollution avérée"},
        "propre": {"site_statut": "friche sans projet", "sol_pollution_existe": "pollution inexistante"},
    }.items():
        friches[name] = Friche.objects.create(
            owner=mulhouse,
            commune_id="68224",
            site_id=f"F-{name}",
            site_nom=f"Friche {name}",
            site_type="friche industrielle",
            comm_nom="Mulhouse",
            comm_insee="68224",
            unite_fonciere_surface=100_000,
            visibility=Visibility.REGION,
            **fields,
        )
    agency = Actor.for_user(agency_prospect["lead"])
    requirements = services.requirements_of(agency_prospect["prospect"]())
    _, results = selectors.matching_results(actor=agency, requirements=requirements, region="44")
    by_id = {r["id"]: r for r in results}
    ready_row = by_id[f"terrain:{ready.pk}"]
    for name, text in (("projet", "friche avec projet"), ("pollution", "pollution avérée du sol")):
        row = by_id[f"friche:{friches[name].pk}"]
        assert row["status"] == "conditional"
        assert any(c["text"].startswith(text) for c in row["conditions"])
        assert row["contributions"]["friche"] < 0
        assert row["score"] < ready_row["score"]
        assert results.index(row) > results.index(ready_row)
    clean = by_id[f"friche:{friches['propre'].pk}"]
    assert clean["contributions"]["friche"] > 0 and not clean["conditions"]


def test_penalties_show_their_sign_and_every_candidate_can_be_reached(client, agency_prospect):
    zae = agency_prospect["zae"]
    farm = make_terrain(zae, 30, terr_usage="espace agricole")
    for k in range(24):
        make_terrain(zae, 6 + k / 10)
    prospect = agency_prospect["prospect"]()
    client.force_login(agency_prospect["lead"])
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    assert "25 candidats visibles" in html
    rows = ranking_rows(html)
    assert len(rows) == 20
    assert "Candidats 1 à 20 sur 25" in html and "Page suivante" in html
    second = client.get(f"/prospects/{prospect.pk}/?page=2").content.decode()
    assert len(ranking_rows(second)) == 5 and "Candidats 21 à 25 sur 25" in second
    everything = client.get(f"/prospects/{prospect.pk}/?tout=1").content.decode()
    farm_row = next(r for r in ranking_rows(everything) if f"{farm.terr_id} " in r)
    assert "malus foncier agricole (ZAN) −0,060" in farm_row
    assert "+0,060" not in farm_row
    names = {re.search(r"TEST-T-\d+", r).group(0) for r in ranking_rows(everything)}
    assert len(names) == 25
    assert names == {re.search(r"TEST-T-\d+", r).group(0) for r in ranking_rows(html) + ranking_rows(second)}


def test_zero_candidates_says_which_constraints_excluded_the_sites(client, agency_prospect):
    zae = agency_prospect["zae"]
    for k in range(3):
        make_terrain(zae, 4 + k)
    make_terrain(zae, 60, terr_stade_comm="réservé par option de réservation")
    prospect = agency_prospect["prospect"](surface_min_ha=50, power_mw=30)
    client.force_login(agency_prospect["lead"])
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    assert "Stabilité" not in html
    block = re.sub(r"<[^>]+>", " ", re.search(r'<div id="no-candidate">(.*?)</div>', html, re.S).group(1))
    block = " ".join(block.split())
    assert "parmi les 4 candidats examinés" in block
    assert "surface ≥ 50 ha d'un seul tenant : 3 sites exclus" in block.replace("&#x27;", "'")
    assert "puissance électrique ≥ 30 MW : 4 sites exclus" in block
    assert "foncier commercialisable : 1 site exclu" in block


# --- proposing and sharing by what users know ------------------------------------------------------------------


def test_propose_another_site_by_cnig_id_name_or_commune_accents_ignored(client, agency_prospect):
    zae, mulhouse = agency_prospect["zae"], agency_prospect["mulhouse"]
    zae.site_nom = "ZAE de l'Île Napoléon"
    zae.save()
    terrain = make_terrain(zae, 7, terr_id="TERR-ÉCO-68224-0042")
    strasbourg = epci_org("246700488")
    hidden = make_terrain(make_site(strasbourg, "67482", site_nom="ZAE Napoléon secrète"), 9)
    prospect = agency_prospect["prospect"]()
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev.mulhouse")
    services.prospect_share(
        actor=Actor.for_user(agency_prospect["lead"]),
        prospect=prospect,
        organizations=[mulhouse],
        members=[dev],
    )
    client.force_login(dev)
    for text in ("eco-68224-0042", "ile napoleon", "MULHOUSE", "napoléon mulhouse"):
        html = client.get(f"/prospects/{prospect.pk}/", {"site": text}).content.decode()
        table = re.search(r'<table id="site-search-results">(.*?)</table>', html, re.S).group(1)
        assert f'data-candidate="terrain:{terrain.pk}"' in table, text
        assert f"terrain:{hidden.pk}" not in table and "secrète" not in table
    suggestions = client.get(f"/prospects/{prospect.pk}/sites-proposables.json", {"q": "île"}).json()[
        "results"
    ]
    assert {"kind": "terrain", "object_id": terrain.pk} in [
        {"kind": s["kind"], "object_id": s["object_id"]} for s in suggestions
    ]
    assert any(
        s["label"].startswith("TERR-ÉCO-68224-0042 — ZAE de l'Île Napoléon (Mulhouse)") for s in suggestions
    )
    # Proposing from the search, then the proposals table says what it is.
    client.post(
        f"/prospects/{prospect.pk}/proposer/",
        {"kind": "terrain", "object_id": terrain.pk, "organization": mulhouse.pk},
    )
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    row = re.search(r'<table id="proposals">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    assert f'<a href="/foncier/sites/{zae.pk}/">TERR-ÉCO-68224-0042 — ZAE de l&#x27;Île Napoléon</a>' in row
    assert "Mulhouse" in row and "7 ha" in row


def test_share_picks_members_by_name_and_organisation(client, agency_prospect):
    mulhouse = agency_prospect["mulhouse"]
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dmartin")
    dev.first_name, dev.last_name = "Denise", "Martin"
    dev.save()
    operator = make_member(other_org(Organization.Kind.OPERATEUR), Role.CONTRIBUTEUR, "operateur")
    prospect = agency_prospect["prospect"]()
    client.force_login(agency_prospect["lead"])
    html = client.get(f"/prospects/{prospect.pk}/partager/").content.decode()
    assert f"Denise Martin — {mulhouse.name}" in html
    offered = set(re.findall(r'name="members" value="(\d+)"', html))
    assert str(dev.pk) in offered
    lead_pk = str(agency_prospect["lead"].pk)
    assert str(operator.pk) not in offered and lead_pk not in offered  # other kinds; the task force already
    response = client.post(
        f"/prospects/{prospect.pk}/partager/", {"organizations": [mulhouse.pk], "members": [dev.pk]}
    )
    assert response.status_code == 302
    assert set(prospect.members.values_list("username", flat=True)) == {"pilote", "dmartin"}
    refused = client.post(
        f"/prospects/{prospect.pk}/partager/", {"organizations": [mulhouse.pk], "members": [operator.pk]}
    )
    assert refused.status_code == 200 and "operateur" not in set(
        prospect.members.values_list("username", flat=True)
    )


# --- the prospect form -----------------------------------------------------------------------------------------


def test_prospect_form_shows_every_error_at_once_with_french_labels(client):
    from tandem.prospects.models import Prospect
    from tandem.www.prospects.forms import ProspectForm

    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT, commune_codes=communes_of(MULHOUSE))
    client.force_login(make_member(agency, Role.CONTRIBUTEUR, "saisie"))
    page = client.get("/prospects/nouveau/").content.decode()
    assert f'<option value="{agency.pk}" selected>' in page  # the only possible owner, preselected
    assert page.count("<fieldset>") == len(ProspectForm.GROUPS) >= 6
    grouped = [name for _, names in ProspectForm.GROUPS for name in names]
    assert sorted(grouped) == sorted(ProspectForm(owners=Organization.objects.none()).fields)
    response = client.post(
        "/prospects/nouveau/",
        {
            "owner": agency.pk,
            "code_name": "Projet Sterne",
            "naf": "99.99Q",
            "surface_min_ha": "5",
            "premises": "terrain",
            "icpe_regime": "0",
            "seveso": "0",
            "power_mw": "-3",
            "water_m3h": "0",
            "water_m3d": "0",
            "wastewater_m3d": "0",
            "extension_margin_ha": "0",
            "investment_eur": "-1000000",
            "decision_on": "2028-06-01",
            "production_start_on": "2027-01-01",
        },
    )
    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    summary = re.search(r'<div class="error" role="alert" id="form-errors">(.*?)</div>', html, re.S).group(1)
    assert "4 champs à corriger" in summary
    assert "« puissance électrique (MW) » ne peut pas être négatif." in summary
    assert "« investissement (€) » ne peut pas être négatif." in summary
    assert "« 99.99Q » n'est pas un code de la nomenclature NAF rév. 2" in summary
    assert (
        "« date de décision » (01/06/2028) est postérieure au « début de production » (01/01/2027)."
        in summary
    )
    assert "power_mw" not in re.sub(r"<[^>]+>", "", summary)
    assert not Prospect.objects.unscoped().filter(code_name="Projet Sterne").exists()
    # The services refuse the same values, all of them in one message (API, command line).
    with pytest.raises(services.UserError) as refused:
        services.prospect_create(
            actor=Actor.for_user(agency.memberships.get().user),
            owner=agency,
            code_name="Projet Sterne",
            surface_min_ha=5,
            power_mw=-3,
            naf="99.99Q",
        )
    assert "puissance électrique (MW)" in refused.value.message and "99.99Q" in refused.value.message
    ok = services.prospect_create(
        actor=Actor.for_user(agency.memberships.get().user),
        owner=agency,
        code_name="Projet Sterne",
        surface_min_ha=5,
        naf="2410z",
    )
    assert ok.naf == "24.10Z"


def test_a_conditional_candidate_shows_its_date_the_french_way(client, agency_prospect):
    from datetime import date, timedelta

    later = date.today() + timedelta(days=120)
    make_terrain(agency_prospect["zae"], 9, tdm_available_on=later)
    prospect = agency_prospect["prospect"]()
    client.force_login(agency_prospect["lead"])
    (row,) = ranking_rows(client.get(f"/prospects/{prospect.pk}/").content.decode())
    assert f"sous condition (au {later:%d/%m/%Y})" in row and later.isoformat() not in row


def test_who_proposes_land_is_a_rule_of_the_permission_layer():
    """`prospects.perms.proposes_land`: contributors of EPCIs, agencies and Maisons de Région answer
    prospects with land; readers, operators and the Région do not."""
    from tandem.prospects.perms import proposes_land

    sxb = epci_org("246700488")
    agency = other_org(Organization.Kind.AGENCE)
    operator = other_org(Organization.Kind.OPERATEUR)
    region = region_org()
    assert proposes_land(Actor.for_user(make_member(sxb, Role.CONTRIBUTEUR)))
    assert proposes_land(Actor.for_user(make_member(agency, Role.ADMIN)))
    assert not proposes_land(Actor.for_user(make_member(sxb, Role.LECTEUR)))
    assert not proposes_land(Actor.for_user(make_member(operator, Role.CONTRIBUTEUR)))
    assert not proposes_land(Actor.for_user(make_member(region, Role.CONTRIBUTEUR)))

"""A State service (DDT) loads its departmental friches file: each friche stays its own, placed in the EPCI of
its commune; the Région does the same for its region. No organisation is created by a dry run or a refused
import (they are created only when a file is written)."""

import csv
import re

import pytest
from django.urls import reverse

from tandem.imports.models import ImportRun
from tandem.land.models import Friche, Vintage
from tandem.land.services import land_import
from tandem.organizations.models import Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tandem.www.land import views as land_views
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, other_org, region_org
from tests.land.test_import_friches import DDT08, SETS

pytestmark = pytest.mark.django_db
ARDENNE_METROPOLE = "200041630"


def ddt08_rows():
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def state_service(departement: str = "08") -> Organization:
    codes = list(
        Commune.objects.filter(departement_id=departement, is_current=True).values_list("pk", flat=True)
    )
    return other_org(Organization.Kind.ETAT, commune_codes=codes)


def actor_of(user, org) -> Actor:
    return Actor.for_user(user, org.pk)


def test_ddt08_loads_through_the_web_for_a_state_service(client, tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(land_views, "IMPORT_IN_BACKGROUND", False)
    ddt = state_service()
    user = make_member(ddt, Role.CONTRIBUTEUR)
    organisations_before = Organization.objects.count()
    client.force_login(user)
    page = client.get(reverse("www:land:import"))
    # The State service imports as itself by default.
    assert page.context["form"]["producer"].value() == ddt.pk
    with open(shared_file(DDT08), "rb") as upload:
        response = client.post(
            reverse("www:land:import"),
            {
                "files": upload,
                "producer": str(ddt.pk),
                "sets": "\n".join(f"{k}={v}" for k, v in SETS.items()),
                "visibility": Visibility.NETWORK,
            },
        )
    run = ImportRun.objects.latest("pk")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert run.status == ImportRun.Status.DONE, [p for p in run.problems if p["level"] == "error"][:5]
    rows = ddt08_rows()
    assert Friche.objects.unscoped().count() == len(rows) == 164
    # Every friche stays owned by its producer, under the EPCI of its commune (the file's own epci_siren).
    assert set(Friche.objects.unscoped().values_list("owner_id", flat=True)) == {ddt.pk}
    placed = dict(Friche.objects.unscoped().values_list("site_id", "commune__epci_id"))
    assert {row["site_id"]: row["epci_siren"] for row in rows} == placed
    assert len(set(placed.values())) == 8
    # One vintage, the producer's; no EPCI organisation was created for it.
    vintage = Vintage.objects.get()
    assert vintage.owner == ddt and vintage.scope == f"friches:{ddt.slug}"
    assert Organization.objects.count() == organisations_before
    # The report offers to read the unknown column as the standard one, in the page's own words.
    detail = client.get(reverse("www:imports:detail", args=[run.pk]))
    assert "proprio_type(catpro3)=proprio_type" in detail.context["suggested_renames"]
    assert "--rename" not in detail.content.decode()
    # The network sees them, under each EPCI.
    reader = make_member(epci_org(ARDENNE_METROPOLE), Role.LECTEUR)
    client.force_login(reader)
    listed = client.get(reverse("www:land:friche_list"), {"epci": ARDENNE_METROPOLE})
    expected = sum(1 for row in rows if row["epci_siren"] == ARDENNE_METROPOLE)
    assert listed.context["count"] == expected > 0


def test_refused_import_and_dry_run_create_no_organisation():
    before = Organization.objects.count()
    refused = land_import(paths=[shared_file(DDT08)], actor=Actor.system_actor())
    assert refused.run.status == ImportRun.Status.REFUSED
    assert Organization.objects.count() == before
    dry = land_import(paths=[shared_file(DDT08)], actor=Actor.system_actor(), sets=SETS, dry_run=True)
    assert dry.run.status == ImportRun.Status.DONE and dry.errors == []
    assert Organization.objects.count() == before and not Friche.objects.unscoped().exists()
    # Written for real (no producer: each friche to the EPCI of its commune): the 8 organisations now.
    written = land_import(paths=[shared_file(DDT08)], actor=Actor.system_actor(), sets=SETS)
    assert written.run.status == ImportRun.Status.DONE
    created = [p for p in written.warnings if p.message.startswith("organisation créée")]
    assert len(created) == Organization.objects.count() - before == 8
    assert Friche.objects.unscoped().filter(owner__kind=Organization.Kind.EPCI).count() == 164


def test_region_imports_its_region_a_state_service_only_its_departement():
    region = region_org()
    admin = make_member(region, Role.ADMIN)
    report = land_import(
        paths=[shared_file(DDT08)], actor=actor_of(admin, region), sets=SETS, producer_id=region.pk
    )
    assert report.errors == [] and report.run.status == ImportRun.Status.DONE
    assert Friche.objects.unscoped().filter(owner=region).count() == 164

    marne = state_service("51")
    agent = make_member(marne, Role.CONTRIBUTEUR)
    outside = land_import(
        paths=[shared_file(DDT08)], actor=actor_of(agent, marne), sets=SETS, producer_id=marne.pk
    )
    assert outside.run.status == ImportRun.Status.REFUSED
    refused = [p for p in outside.errors if "hors du périmètre" in p.message]
    assert len(refused) == 164 and refused[0].field == "comm_insee"
    assert not Friche.objects.unscoped().filter(owner=marne).exists()

    # A member of an EPCI cannot import for a State service, nor make an EPCI a departmental producer.
    epci = epci_org(ARDENNE_METROPOLE)
    epci_user = make_member(epci, Role.CONTRIBUTEUR)
    ardennes = state_service()
    foreign = land_import(
        paths=[shared_file(DDT08)], actor=actor_of(epci_user, epci), sets=SETS, producer_id=ardennes.pk
    )
    assert foreign.run.status == ImportRun.Status.REFUSED
    assert any("pas le droit d'écrire pour" in p.message for p in foreign.errors)
    not_producer = land_import(
        paths=[shared_file(DDT08)], actor=actor_of(epci_user, epci), sets=SETS, producer_id=epci.pk
    )
    assert not_producer.run.status == ImportRun.Status.REFUSED
    assert not_producer.errors[0].file == "--producteur"


def test_rename_reads_an_unknown_column_as_a_standard_one():
    report = land_import(
        paths=[shared_file(DDT08)],
        actor=Actor.system_actor(),
        sets=SETS,
        renames={"proprio_type(catpro3)": "proprio_type"},
        dry_run=True,
    )
    assert not any(p.field == "proprio_type(catpro3)" and "inconnue" in p.message for p in report.problems)
    assert any(
        p.field == "proprio_type(catpro3)" and "association demandée" in p.message for p in report.warnings
    )
    # Its values are now checked as the standard's: the ones separated by spaces instead of « | » are refused.
    expected = [
        n
        for n, row in enumerate(ddt08_rows(), start=2)
        if row["proprio_type(catpro3)"].strip()
        and not re.fullmatch(r"[A-Z]\d[a-z](\|[A-Z]\d[a-z])*", row["proprio_type(catpro3)"].strip())
    ]
    assert [p.line for p in report.errors if p.field == "proprio_type"] == expected
    assert len(expected) > 0 and 5 in expected

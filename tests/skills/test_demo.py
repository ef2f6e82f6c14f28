"""The demo's jobs and skills: fictitious hiring needs marked as such on demo companies, one action each,
shown as a gap on the zone d'emploi's page; a second run changes nothing."""

import pytest

from tandem.companies.models import CompanyProject
from tandem.demo.services import demo_generate
from tandem.organizations.perms import Actor
from tandem.skills.models import Certification, RomeFapPair, SkillAction, TrainingSession
from tandem.skills.selectors import gaps
from tandem.skills.territory import territory_get

pytestmark = pytest.mark.django_db


def test_demo_needs_and_actions_are_fictitious_and_marked(demo):
    created = demo.extensions["skills_demo"]
    assert created == {"needs": 3, "actions": 3, "parcours_needs": 1}
    needs = CompanyProject.objects.unscoped().exclude(job_code="").filter(parcours_step=None)
    assert needs.count() == 3
    # The Parcours' skills step feeds a need typed as a free title (no ROME referential in this set-up: kept
    # as typed, « métier non rattaché »), marked as fictitious.
    parcours = CompanyProject.objects.unscoped().get(parcours_step__isnull=False)
    assert (parcours.parcours_step.step, parcours.job_title) == ("2_diagnostic", "soudeur")
    assert "démonstration" in parcours.description
    zone = territory_get("ze", parcours.commune.zone_emploi_id)
    apart = [g for g in gaps(actor=Actor.system_actor(), territory=zone) if g["unresolved"]]
    assert [(g["name"], g["needs"]) for g in apart] == [("soudeur (métier non rattaché)", parcours.jobs)]
    assert all("démonstration" in p.title and "démonstration" in p.description for p in needs)
    actions = SkillAction.objects.unscoped()
    assert all("démonstration" in a.description for a in actions)
    action = actions.first()
    found = gaps(actor=Actor.system_actor(), territory=territory_get("ze", action.territory_code))
    gap = next(g for g in found if g["code"] == action.job_code)
    assert gap["needs"] > 0 and [a.pk for a in gap["actions"]] == [action.pk]
    assert demo_generate(scale="demo").extensions["skills_demo"] == {"needs": 0, "actions": 0, "parcours_needs": 0}


def test_demo_training_offer_is_fictitious_on_real_certifications_and_feeds_the_gaps(demo):
    created = demo.extensions["training_demo"]
    assert created["sessions"] > 0 and created["reviews"] == 3
    sessions = TrainingSession.objects.all()
    assert all(s.demo and "démonstration" in s.title and "démonstration" in s.provider_name for s in sessions)
    # real Certif Info certifications (code, RNCP and ROME codes as published)
    assert {
        (c.code, c.rncp, tuple(c.rome_codes))
        for c in Certification.objects.filter(code__in=["21309", "69402"])
    } == {
        ("21309", "557", ("H2903",)),
        ("69402", "38302", ("N1103", "N1303")),
    }
    assert RomeFapPair.objects.filter(source="proposed").values("rome_code").distinct().count() == 4
    # a demo gap whose ROME code the demo Région reviewed shows the training places of its zone
    system = Actor.system_actor()
    shown = []
    for action in SkillAction.objects.unscoped():
        territory = territory_get("ze", action.territory_code)
        for gap in gaps(actor=system, territory=territory):
            if gap["training_places"] is not None:
                shown.append(gap["training_places"])
    assert shown and any(p > 0 for p in shown)
    assert demo_generate(scale="demo").extensions["training_demo"] == {"sessions": 0, "reviews": 0}

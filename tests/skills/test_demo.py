"""The demo's jobs and skills: fictitious hiring needs marked as such on demo companies, one action each,
shown as a gap on the zone d'emploi's page; a second run changes nothing."""

import pytest

from tandem.companies.models import CompanyProject
from tandem.demo.services import demo_generate
from tandem.organizations.perms import Actor
from tandem.skills.models import SkillAction
from tandem.skills.selectors import gaps
from tandem.skills.territory import territory_get

pytestmark = pytest.mark.django_db


def test_demo_needs_and_actions_are_fictitious_and_marked(demo):
    created = demo.extensions["skills_demo"]
    assert created == {"needs": 3, "actions": 3}
    needs = CompanyProject.objects.unscoped().exclude(job_code="")
    assert needs.count() == 3
    assert all("démonstration" in p.title and "démonstration" in p.description for p in needs)
    actions = SkillAction.objects.unscoped()
    assert all("démonstration" in a.description for a in actions)
    action = actions.first()
    found = gaps(actor=Actor.system_actor(), territory=territory_get("ze", action.territory_code))
    gap = next(g for g in found if g["code"] == action.job_code)
    assert gap["needs"] > 0 and [a.pk for a in gap["actions"]] == [action.pk]
    assert demo_generate(scale="demo").extensions["skills_demo"] == {"needs": 0, "actions": 0}

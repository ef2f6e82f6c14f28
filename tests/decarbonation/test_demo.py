"""The demo's decarbonation data: all fictitious and marked so; a second run changes nothing."""

import pytest

from tandem.decarbonation.models import EmissionRecord, Installation, Project
from tandem.demo.services import demo_generate

pytestmark = pytest.mark.django_db


def test_demo_installations_and_projects_are_fictitious_and_marked(demo):
    created = demo.extensions["decarbonation_demo"]
    assert created["installations"] == Installation.objects.count() > 0
    assert created["projects"] == Project.objects.unscoped().count() > 0
    assert all(i.is_demo and i.name.endswith("(démo)") for i in Installation.objects.all())
    assert set(EmissionRecord.objects.values_list("source", flat=True)) == {EmissionRecord.Source.DEMO}
    assert all(p.is_demo and "(démo, fictif)" in p.title for p in Project.objects.unscoped())
    # projects sit on demo installations only, never on a real one
    assert not Project.objects.unscoped().filter(installation__is_demo=False).exists()
    again = demo_generate(scale="demo").extensions["decarbonation_demo"]
    assert again == {"installations": 0, "projects": 0}

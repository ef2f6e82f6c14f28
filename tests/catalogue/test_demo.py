"""The demo catalogue is fictitious and marked, routes one demo need to the demo operator, and a second run
changes nothing."""

import pytest

from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme
from tandem.demo.services import demo_generate


@pytest.mark.django_db
def test_demo_catalogue_is_marked_and_idempotent(demo):
    first = demo.extensions["catalogue_demo"]
    assert first["routings"] == 1 and first["offices"] >= 1
    for model in (Operator, Office, Scheme):
        rows = model.objects.all()
        assert rows.exists() and all(
            r.is_demo and "(démo)" in (r.name if hasattr(r, "name") else r.title) for r in rows
        )
    routing = NeedRouting.objects.unscoped().get()
    assert routing.partner.slug == "operateur-demo" and routing.office.is_demo
    assert routing.commune.departement_id in set(routing.office.departements.values_list("code", flat=True))
    counts = (Operator.objects.count(), Office.objects.count(), Scheme.objects.count())
    again = demo_generate(scale="demo").extensions["catalogue_demo"]
    assert again["routings"] == 0 and NeedRouting.objects.unscoped().count() == 1
    assert (Operator.objects.count(), Office.objects.count(), Scheme.objects.count()) == counts

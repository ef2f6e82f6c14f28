"""A reader is not offered forms that can only fail for them: the EIT workshop-sheet import and the preparation
of a project review show a French sentence saying why instead of a form whose « Au nom de » list is empty;
a contributor still gets the form."""

import pytest

from tandem.organizations.models import Role
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"


@pytest.mark.parametrize(
    ("url", "form_id", "refusal"),
    [
        ("/eit/flux/import/", "import-form", "Votre rôle ne permet pas d'importer une fiche atelier"),
        ("/entreprises/revues/", "review-form", "Votre rôle ne permet pas de préparer une revue"),
    ],
)
def test_readers_get_an_explanation_contributors_the_form(client, url, form_id, refusal):
    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.LECTEUR))
    html = client.get(url).content.decode()
    assert f'id="{form_id}"' not in html
    assert refusal in html

    client.force_login(make_member(org, Role.CONTRIBUTEUR))
    html = client.get(url).content.decode()
    assert f'id="{form_id}"' in html
    assert refusal not in html

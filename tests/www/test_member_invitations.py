"""Organisation administrators invite by e-mail; nothing they see tells whether an account has the address
(no account enumeration); the invited person accepts or declines when signed in."""

import pytest

from tandem.core.models import AuditEvent
from tandem.organizations.models import Invitation, Membership, Role
from tests.factories import epci_org, make_member, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return epci_org("246700488")


@pytest.fixture
def admin(org):
    return make_member(org, Role.ADMIN)


def _invite(client, email, role=Role.CONTRIBUTEUR):
    """The message the administrator gets back."""
    response = client.post("/organisation/membres/", {"email": email, "role": role}, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_the_answer_is_the_same_whether_an_account_exists_or_not(client, org, admin):
    existing = make_user("nouvelle.recrue")
    existing.email = "recrue@example.fr"
    existing.save()
    client.force_login(admin)
    members_before = client.get("/organisation/membres/").content.decode()
    with_account = _invite(client, "Recrue@Example.fr")
    without_account = _invite(client, "personne@example.fr")
    # Same message, address aside; no membership appears in either case.
    assert [m.replace("recrue@example.fr", "X") for m in with_account] == [
        m.replace("personne@example.fr", "X") for m in without_account
    ]
    assert with_account[0].startswith("Invitation enregistrée pour recrue@example.fr (contributeur)")
    assert not Membership.objects.filter(user=existing, organization=org).exists()
    page = client.get("/organisation/membres/").content.decode()
    assert page.count("<tr data-member=") == members_before.count("<tr data-member=")
    assert "nouvelle.recrue" not in page
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "personne@example.fr",
        "recrue@example.fr",
    ]


def test_a_username_no_longer_adds_an_account(client, org, admin):
    make_user("quelquun")
    client.force_login(admin)
    response = client.post(
        "/organisation/membres/", {"username": "quelquun", "role": Role.ADMIN}, follow=True
    )
    assert "Adresse électronique invalide" in response.content.decode()
    assert not Membership.objects.filter(user__username="quelquun").exists()


def test_the_invited_person_accepts_and_joins_with_the_role(client, org, admin):
    invited = make_user("invitee")
    invited.email = "invitee@example.fr"
    invited.save()
    client.force_login(admin)
    _invite(client, "invitee@example.fr", Role.CONTRIBUTEUR)
    invitation = Invitation.objects.get()

    # Someone else cannot answer it: it is not addressed to them.
    client.force_login(make_user("autre"))
    assert "Invitations" not in client.get("/").content.decode()
    url = f"/organisation/invitations/{invitation.pk}/"
    assert client.post(url, {"answer": "accepter"}).status_code == 404

    client.force_login(invited)
    home = client.get("/").content.decode()
    assert f"{org.name} vous invite comme contributeur" in home
    response = client.post(url, {"answer": "accepter"}, follow=True)
    assert f"Vous avez rejoint {org.name}" in response.content.decode()
    assert Membership.objects.get(user=invited, organization=org).role == Role.CONTRIBUTEUR
    assert not Invitation.objects.exists()
    event = AuditEvent.objects.get(object_type="organizations.membership", action="create")
    assert event.organization_id == org.pk and event.username == "invitee"


def test_declining_and_cancelling_leave_no_membership(client, org, admin):
    invited = make_user("hesitant")
    invited.email = "hesitant@example.fr"
    invited.save()
    client.force_login(admin)
    _invite(client, "hesitant@example.fr")
    _invite(client, "annulee@example.fr")
    cancelled = Invitation.objects.get(email="annulee@example.fr")
    client.post("/organisation/membres/", {"cancel": cancelled.pk})
    assert not Invitation.objects.filter(pk=cancelled.pk).exists()
    client.force_login(invited)
    invitation = Invitation.objects.get(email="hesitant@example.fr")
    client.post(f"/organisation/invitations/{invitation.pk}/", {"answer": "refuser"})
    assert not Membership.objects.filter(user=invited).exists() and not Invitation.objects.exists()


def test_administrators_change_a_members_role_by_membership(client, org, admin):
    member = make_member(org, Role.LECTEUR)
    membership = Membership.objects.get(user=member)
    client.force_login(admin)
    client.post("/organisation/membres/", {"membership": membership.pk, "role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN

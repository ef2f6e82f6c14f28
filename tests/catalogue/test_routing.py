"""Need routing: the office covering the company's commune for the need's subject is proposed; a routing is
sent, reminded at D+9 and D+21 and returned at D+45 exactly once each by the periodic job (clock moved by the
test), e-mails read back from a real SMTP server; the partner takes and closes it; figures count it."""

import datetime as dt
import time
from decimal import Decimal

import pytest

from tandem.catalogue import tasks
from tandem.catalogue.models import NeedRouting, Office, Operator, Subject
from tandem.catalogue.selectors import need_subjects, partner_inbox, partners_for, routing_figures
from tandem.catalogue.services import routing_close, routing_send, routing_take, routings_follow_up
from tandem.companies.followup import company_commune_for, need_create
from tandem.companies.models import Need
from tandem.companies.selectors_followup import company_timeline
from tandem.core.errors import NotAllowed
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor, scope_queryset
from tandem.territories.models import Commune
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member, other_org
from tests.test_periodic_jobs import smtp_inbox  # noqa: F401 — the real SMTP server fixture

STRASBOURG = "246700488"
STRASBOURG_COMMUNE = "67482"
MULHOUSE_COMMUNE = "68224"


def _generated_offices():
    """A fictitious operator with one office per Alsace département, each answering through its organisation."""
    recruit = Subject.objects.create(slug="recruter", label="Recruter")
    Subject.objects.create(slug="energie", label="Énergie")
    operator = Operator.objects.create(
        name="Opérateur fictif de l'emploi", slug="fictif-emploi", is_demo=True
    )
    operator.subjects.add(recruit)
    offices = {}
    for dep in ("67", "68"):
        org = other_org(Organization.Kind.OPERATEUR)
        office = Office.objects.create(
            operator=operator,
            key=f"fictif-{dep}",
            name=f"Antenne fictive {dep}",
            organization=org,
            is_demo=True,
        )
        office.departements.add(dep)
        offices[dep] = office
    return offices


@pytest.mark.django_db
def test_need_goes_to_the_office_covering_the_commune_reminders_and_return_once_each(smtp_inbox):  # noqa: F811
    offices = _generated_offices()
    strasbourg = epci_org(STRASBOURG)
    referent = make_member(strasbourg, username="referente")
    referent.email = "referente@example.fr"
    referent.save()
    admin = make_member(strasbourg, role=Role.ADMIN, username="admin-ems")
    admin.email = "admin@example.fr"
    admin.save()
    partner = make_member(offices["67"].organization, username="partenaire67")
    partner.email = "antenne67@example.fr"
    partner.save()
    make_member(offices["68"].organization, username="partenaire68")

    company = make_company(STRASBOURG_COMMUNE, name="ATELIERS FICTIFS DU RHIN")
    actor = Actor.for_user(referent, strasbourg.pk)
    need = need_create(
        actor=actor,
        owner=strasbourg,
        company=company,
        topic=Need.Topic.RECRUITMENT,
        title="Recruter deux soudeurs",
    )
    commune = company_commune_for(company, strasbourg)
    assert Commune.objects.get(pk=commune).departement_id == "67"

    # The office covering Strasbourg for « recruter »; not the Haut-Rhin's, nor anyone for another subject.
    assert partners_for(company, commune_code=commune, subjects=need_subjects(need)) == [offices["67"]]
    assert partners_for(company, commune_code=commune, subjects=Subject.objects.filter(slug="energie")) == []
    mulhouse_company = make_company(MULHOUSE_COMMUNE)
    assert partners_for(mulhouse_company, commune_code=MULHOUSE_COMMUNE, subjects=need_subjects(need)) == [
        offices["68"]
    ]

    sent_on = dt.date(2026, 10, 1)
    routing = routing_send(actor=actor, need=need, office=offices["67"], message="Urgent", on=sent_on)
    assert routing.partner == offices["67"].organization
    [first] = smtp_inbox.messages
    assert first["To"] == "antenne67@example.fr"
    assert (
        "Recruter deux soudeurs" in first.get_content()
        and f"/catalogue/orientations/{routing.pk}/" in first.get_content()
    )

    # The partner sees the routing and the need; the other office's people see neither.
    partner_actor = Actor.for_user(partner, offices["67"].organization_id)
    other_actor = Actor.for_user(
        offices["68"].organization.memberships.get().user, offices["68"].organization_id
    )
    assert list(partner_inbox(partner_actor)) == [routing]
    assert scope_queryset(partner_actor, Need.objects.filter(pk=need.pk)).exists()
    assert not partner_inbox(other_actor).exists()
    assert not scope_queryset(other_actor, Need.objects.filter(pk=need.pk)).exists()

    def run(day):
        before = len(smtp_inbox.messages)
        result = routings_follow_up(today=sent_on + dt.timedelta(days=day))
        return result, smtp_inbox.messages[before:]

    assert run(8) == ({"reminders_9": 0, "reminders_21": 0, "returned": 0}, [])
    result, [reminder] = run(9)
    assert result["reminders_9"] == 1 and reminder["To"] == "antenne67@example.fr"
    assert reminder["Subject"].startswith("Tandem : relance")
    assert "15/11/2026" in reminder.get_content()  # D+45
    assert run(9)[1] == [] and run(20)[1] == []
    result, [second] = run(21)
    assert result["reminders_21"] == 1 and "Deuxième relance" in second.get_content()
    assert run(22)[1] == [] and run(44)[1] == []
    result, [returned] = run(45)
    assert result["returned"] == 1
    assert set(returned["To"].split(", ")) == {"admin@example.fr", "referente@example.fr"}
    assert (
        "sans réponse" in returned["Subject"]
        and "https://tandem.example.fr/entreprises/" in returned.get_content()
    )
    assert run(46) == ({"reminders_9": 0, "reminders_21": 0, "returned": 0}, [])
    routing.refresh_from_db()
    assert routing.status == NeedRouting.Status.UNANSWERED

    # The periodic job itself runs the same follow-up (today's date: nothing pending any more).
    assert tasks.routings_follow_up_job(int(time.time())) == {
        "reminders_9": 0,
        "reminders_21": 0,
        "returned": 0,
    }

    # Sent again: taken on D+3 and closed with an aid; timeline and figures show it.
    again = routing_send(actor=actor, need=need, office=offices["67"], on=dt.date(2026, 11, 20))
    with pytest.raises(NotAllowed):
        routing_take(actor=other_actor, routing=again)
    with pytest.raises(NotAllowed):
        routing_take(actor=actor, routing=again)  # the sender does not answer for the partner
    routing_take(actor=partner_actor, routing=again, on=dt.date(2026, 11, 23))
    routing_close(
        actor=partner_actor,
        routing=again,
        outcome=NeedRouting.Outcome.GRANTED,
        amount_eur=Decimal("15000"),
        on=dt.date(2026, 12, 1),
    )
    assert "aide accordée (15\u202f000\xa0€)" in smtp_inbox.messages[-1].get_content()
    texts = [e.title for e in company_timeline(actor, company)]
    assert any("aide accordée" in t and "15\u202f000\xa0€" in t for t in texts)
    figures = routing_figures(actor, region="44")
    assert figures["sent"] == 2 and figures["needs"] == 1 and figures["taken_in_time"] == 1
    assert (
        figures["unanswered"] == 1
        and figures["granted"] == 1
        and figures["amount_granted"] == Decimal("15000")
    )
    assert routing_figures(actor, departement="68")["sent"] == 0


@pytest.mark.django_db
def test_a_partner_outside_tandem_answers_through_the_secure_link_of_its_e_mail(smtp_inbox):  # noqa: F811
    import re

    from django.test import Client

    from tandem.catalogue.services import routing_token

    offices = _generated_offices()
    outside = Office.objects.create(
        operator=offices["67"].operator,
        key="dehors",
        name="Antenne hors Tandem (démo)",
        email="antenne@exemple.fr",
    )
    outside.departements.add("67")
    strasbourg = epci_org(STRASBOURG)
    referent = make_member(strasbourg)
    actor = Actor.for_user(referent, strasbourg.pk)
    company = make_company(STRASBOURG_COMMUNE)
    need = need_create(
        actor=actor, owner=strasbourg, company=company, topic=Need.Topic.RECRUITMENT, title="Former"
    )
    routing = routing_send(actor=actor, need=need, office=outside)
    [message] = smtp_inbox.messages
    assert message["To"] == "antenne@exemple.fr"
    [link] = re.findall(r"https://tandem\.example\.fr(/catalogue/reponse/[^/\s]+/)", message.get_content())

    anonymous = Client()
    assert "Former" in anonymous.get(link).content.decode()
    assert anonymous.get(link[:-3] + "xx/").status_code == 404  # tampered
    inside = routing_send(actor=actor, need=need, office=offices["67"])
    assert (
        anonymous.get(f"/catalogue/reponse/{routing_token(inside)}/").status_code == 404
    )  # a Tandem partner's
    anonymous.post(link, {"action": "prendre"})
    anonymous.post(link, {"action": "cloturer", "resultat": "not_relevant", "reponse": "Hors de notre champ"})
    routing.refresh_from_db()
    assert routing.status == NeedRouting.Status.CLOSED and routing.outcome == "not_relevant"
    assert routing.answered_on is not None and routing.answer == "Hors de notre champ"
    assert anonymous.post(link, {"action": "prendre"}).status_code == 403  # the link no longer answers

"""Writes of need routing: a need sent to a partner (an organisation of the instance, or an office's mailbox
outside Tandem), taken, refused or closed by the partner, and the periodic follow-up of deadlines (reminders
at D+9 and D+21 to the partner, at D+45 the need returns to its organisation « sans réponse » and its
administrators are told). Every notification is a French plain-text e-mail with a link back to Tandem."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from tandem.accounts.services import email_notify
from tandem.catalogue.eligibility.tee import ROOT_RULE, Programme
from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme
from tandem.catalogue.perms import can_answer_routing, can_route_need
from tandem.catalogue.selectors import (
    FIRST_REMINDER_DAYS,
    RETURN_DAYS,
    SECOND_REMINDER_DAYS,
    office_partner,
    tee_interface,
)
from tandem.companies.models import Need
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.formats import fr_amount, fr_date
from tandem.core.models import AuditEvent
from tandem.organizations.models import ROLE_RANK, Organization, Role, Visibility
from tandem.organizations.perms import Actor


def _site() -> str:
    return settings.TANDEM_SITE_URL.rstrip("/")


def _emails(org_id: int, *, min_role: str = Role.CONTRIBUTEUR) -> list[str]:
    roles = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[min_role]]
    users = (
        get_user_model()
        .objects.filter(is_active=True, memberships__organization_id=org_id, memberships__role__in=roles)
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def _recipients(routing: NeedRouting) -> list[str]:
    """Who reads a routing on the partner's side: its contributors in Tandem, else the office's mailbox."""
    if routing.partner_id:
        return _emails(routing.partner_id)
    return [routing.office.email] if routing.office_id and routing.office.email else []


def _mail(subject: str, lines: list[str], recipients: list[str]) -> int:
    """At once, or in the daily digest of the users who chose it (`tandem.accounts.services.email_notify`)."""
    if not recipients:
        return 0
    body = "Bonjour,\n\n" + "\n".join(lines) + "\n\n— Tandem\n"
    return email_notify(subject=f"Tandem : {subject}", body=body, recipients=recipients)


def _company_line(routing: NeedRouting) -> str:
    return f"{routing.company.display_name} ({routing.company_id})"


def _partner_link(routing: NeedRouting) -> str:
    return f"{_site()}/catalogue/orientations/{routing.pk}/"


@transaction.atomic
def routing_send(
    *,
    actor: Actor,
    need: Need,
    office: Office | None = None,
    partner: Organization | None = None,
    scheme: Scheme | None = None,
    message: str = "",
    on: dt.date | None = None,
) -> NeedRouting:
    """Send `need` to a partner: the organisation answering for `office` (or `partner` named directly). The
    partner sees the routing and the need from then on; a partner outside Tandem gets an e-mail at the office's
    mailbox."""
    if not can_route_need(actor, need):
        raise NotAllowed("Vous ne pouvez pas orienter ce besoin : il appartient à une autre organisation.")
    if need.status not in Need.OPEN_STATUSES:
        raise UserError("Ce besoin est clos : rouvrez-le avant de l'orienter vers un partenaire.")
    if partner is None and office is not None:
        partner = office_partner(office)
    if partner is None and not (office and office.email):
        raise UserError(
            "Ce partenaire n'est ni une organisation de Tandem ni joignable par une boîte fonctionnelle : "
            "choisissez une autre antenne."
        )
    if partner is not None and partner.pk == need.owner_id:
        raise UserError("Le besoin appartient déjà à cette organisation.")
    # Unscoped on purpose: an integrity check (the need is already open with this partner, whoever routed it),
    # answered yes or no, never a routing's detail; the need itself was checked by `can_route_need`.
    open_same = NeedRouting.objects.unscoped().filter(need=need, status__in=NeedRouting.OPEN_STATUSES)
    if (partner and open_same.filter(partner=partner).exists()) or (
        partner is None and open_same.filter(office=office, partner=None).exists()
    ):
        raise UserError("Ce besoin est déjà en cours auprès de ce partenaire.")
    routing = NeedRouting.objects.create(
        owner_id=need.owner_id,
        visibility=Visibility.REGION,  # the Région coordinates the network and counts the routings
        need=need,
        company=need.company,
        commune_id=need.commune_id,
        partner=partner,
        office=office,
        scheme=scheme,
        message=message,
        sent_on=on or timezone.localdate(),
        sent_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    if partner is not None:
        routing.shared_with.add(partner)
        need.shared_with.add(partner)  # the partner reads the need it was sent
    if need.status == Need.Status.OPEN:
        need.status = Need.Status.IN_PROGRESS
        need.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=routing, details={"partner": routing.partner_name}
    )
    sender = need.owner.name
    lines = [
        f"{sender} vous adresse un besoin de l'entreprise {_company_line(routing)} : « {need.title} ».",
        f"Thème : {need.get_topic_display()}.",
    ]
    if scheme is not None:
        lines.append(f"Dispositif proposé : {scheme.title}.")
    if message:
        lines += ["", message]
    deadline = routing.sent_on + dt.timedelta(days=FIRST_REMINDER_DAYS)
    if partner is not None:
        lines += [
            "",
            f"Merci de le prendre en charge ou de le refuser avant le {fr_date(deadline)} :",
            _partner_link(routing),
        ]
    else:
        lines += [
            "",
            f"Merci de le prendre en charge ou de le refuser avant le {fr_date(deadline)}, sans compte Tandem, "
            "par ce lien personnel (ne le transférez pas) :",
            f"{_site()}/catalogue/reponse/{routing_token(routing)}/",
        ]
    _mail(f"un besoin vous est adressé — {need.title}", lines, _recipients(routing))
    return routing


ANSWER_LINK_SALT = "tandem.catalogue.routing-answer"
ANSWER_LINK_MAX_AGE_DAYS = RETURN_DAYS + 30


def routing_token(routing: NeedRouting) -> str:
    """The secure link's key given to a partner outside Tandem (signed with SECRET_KEY, valid 75 days)."""
    return signing.dumps(routing.pk, salt=ANSWER_LINK_SALT)


def routing_id_from_token(token: str) -> int | None:
    try:
        value = signing.loads(
            token, salt=ANSWER_LINK_SALT, max_age=dt.timedelta(days=ANSWER_LINK_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _require_answer(actor: Actor, routing: NeedRouting, token: str = "") -> None:
    """The partner organisation answers in Tandem; a partner outside Tandem (no organisation) answers through
    the secure link of its e-mail, while the routing is open."""
    if token:
        if (
            routing_id_from_token(token) != routing.pk
            or routing.partner_id is not None
            or routing.status not in NeedRouting.OPEN_STATUSES
        ):
            raise NotAllowed("Ce lien de réponse n'est pas (ou plus) valable pour ce besoin.")
        return
    if not can_answer_routing(actor, routing):
        raise NotAllowed(
            "Seul le partenaire destinataire peut répondre à cette orientation tant qu'elle est ouverte."
        )


def _tell_sender(routing: NeedRouting, subject: str, lines: list[str]) -> None:
    recipients = set(_emails(routing.owner_id, min_role=Role.ADMIN))
    for user in (routing.sent_by, routing.need.assignee):
        if user is not None and user.email:
            recipients.add(user.email)
    link = f"{_site()}/entreprises/{routing.company_id}/"
    _mail(subject, [*lines, "", link], sorted(recipients))


def routing_take(
    *, actor: Actor, routing: NeedRouting, on: dt.date | None = None, token: str = ""
) -> NeedRouting:
    """The partner takes the need in charge (`token`: through the secure link of a partner outside Tandem)."""
    _require_answer(actor, routing, token)
    if routing.status != NeedRouting.Status.SENT:
        raise UserError("Cette orientation est déjà prise en charge.")
    routing.status, routing.answered_on = NeedRouting.Status.TAKEN, on or timezone.localdate()
    routing.answered_by = actor.user if getattr(actor.user, "pk", None) else None
    routing.save(update_fields=["status", "answered_on", "answered_by", "updated_at"])
    audit_record(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=routing, details={"status": routing.status}
    )
    _tell_sender(
        routing,
        f"besoin pris en charge — {routing.need.title}",
        [
            f"{routing.partner_name} a pris en charge le besoin « {routing.need.title} » de {_company_line(routing)}."
        ],
    )
    return routing


def routing_refuse(
    *, actor: Actor, routing: NeedRouting, answer: str, on: dt.date | None = None, token: str = ""
) -> NeedRouting:
    """The partner declines the need (with its reason): it goes back to the sender."""
    _require_answer(actor, routing, token)
    if not answer.strip():
        raise UserError("Indiquez pourquoi vous refusez ce besoin (champ « motif du refus »).")
    day = on or timezone.localdate()
    routing.status, routing.answer, routing.closed_on = NeedRouting.Status.REFUSED, answer.strip(), day
    routing.answered_on = routing.answered_on or day
    routing.answered_by = actor.user if getattr(actor.user, "pk", None) else None
    routing.save(update_fields=["status", "answer", "closed_on", "answered_on", "answered_by", "updated_at"])
    audit_record(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=routing, details={"status": routing.status}
    )
    _tell_sender(
        routing,
        f"besoin refusé — {routing.need.title}",
        [
            f"{routing.partner_name} a refusé le besoin « {routing.need.title} » de {_company_line(routing)} :",
            answer.strip(),
        ],
    )
    return routing


def routing_close(
    *,
    actor: Actor,
    routing: NeedRouting,
    outcome: str,
    amount_eur: Decimal | None = None,
    answer: str = "",
    on: dt.date | None = None,
    token: str = "",
) -> NeedRouting:
    """The partner closes the need with its outcome (aid granted with its amount, refused, not relevant…)."""
    _require_answer(actor, routing, token)
    if outcome not in NeedRouting.Outcome.values:
        raise UserError(f"Résultat inconnu : « {outcome} » (champ « résultat »).")
    if outcome == NeedRouting.Outcome.GRANTED and amount_eur is None:
        raise UserError("Indiquez le montant de l'aide accordée (champ « montant accordé »).")
    if amount_eur is not None and amount_eur < 0:
        raise UserError("Le montant accordé ne peut pas être négatif (champ « montant accordé »).")
    day = on or timezone.localdate()
    routing.status, routing.outcome, routing.closed_on = NeedRouting.Status.CLOSED, outcome, day
    routing.amount_eur = amount_eur if outcome == NeedRouting.Outcome.GRANTED else None
    routing.answer = answer.strip()
    routing.answered_on = routing.answered_on or day
    routing.answered_by = actor.user if getattr(actor.user, "pk", None) else None
    routing.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=routing,
        details={"status": routing.status, "outcome": outcome},
    )
    result = routing.get_outcome_display()
    if routing.amount_eur is not None:
        result += f" ({fr_amount(routing.amount_eur)})"
    _tell_sender(
        routing,
        f"besoin clôturé — {routing.need.title}",
        [
            f"{routing.partner_name} a clôturé le besoin « {routing.need.title} » de {_company_line(routing)} : {result}."
        ],
    )
    return routing


def routings_follow_up(*, today: dt.date) -> dict[str, int]:
    """The daily follow-up of routings nobody has answered (periodic job `catalogue.routings_follow_up`):
    reminder at D+9, second reminder at D+21, at D+45 the routing is « sans réponse » and the need's
    organisation administrators are told. Each step happens once (its date is recorded); a routing found late
    gets only the step it has reached. Background job: it sees every routing."""
    done = {"reminders_9": 0, "reminders_21": 0, "returned": 0}
    # Unscoped on purpose: a periodic job, not a read for a user; it follows up every pending routing.
    pending = (
        NeedRouting.objects.unscoped()
        .filter(status=NeedRouting.Status.SENT)
        .select_related(
            "company", "need", "partner", "office__operator", "owner", "sent_by", "need__assignee"
        )
    )
    for routing in pending.order_by("pk"):
        days = (today - routing.sent_on).days
        now = timezone.now()
        if days >= RETURN_DAYS:
            routing.status, routing.returned_at = NeedRouting.Status.UNANSWERED, now
            routing.save(update_fields=["status", "returned_at", "updated_at"])
            _tell_sender(
                routing,
                f"besoin sans réponse — {routing.need.title}",
                [
                    f"{routing.partner_name} n'a pas répondu en {RETURN_DAYS} jours au besoin « {routing.need.title} » "
                    f"de {_company_line(routing)}, envoyé le {fr_date(routing.sent_on)}.",
                    "Le besoin revient à votre organisation : orientez-le vers un autre partenaire ou traitez-le.",
                ],
            )
            done["returned"] += 1
        elif days >= SECOND_REMINDER_DAYS and routing.reminded_21_at is None:
            routing.reminded_21_at = now
            routing.reminded_9_at = routing.reminded_9_at or now
            routing.save(update_fields=["reminded_9_at", "reminded_21_at", "updated_at"])
            _remind(routing, second=True)
            done["reminders_21"] += 1
        elif FIRST_REMINDER_DAYS <= days < SECOND_REMINDER_DAYS and routing.reminded_9_at is None:
            routing.reminded_9_at = now
            routing.save(update_fields=["reminded_9_at", "updated_at"])
            _remind(routing, second=False)
            done["reminders_9"] += 1
    return done


def _remind(routing: NeedRouting, *, second: bool) -> None:
    deadline = routing.sent_on + dt.timedelta(days=RETURN_DAYS)
    lines = [
        f"{'Deuxième relance' if second else 'Relance'} : le besoin « {routing.need.title} » de {_company_line(routing)}, "
        f"adressé par {routing.owner.name} le {fr_date(routing.sent_on)}, attend votre réponse.",
        f"Sans réponse le {fr_date(deadline)}, il reviendra à {routing.owner.name}.",
    ]
    link = (
        _partner_link(routing)
        if routing.partner_id
        else f"{_site()}/catalogue/reponse/{routing_token(routing)}/"
    )
    lines += ["", link]
    _mail(
        f"{'deuxième relance' if second else 'relance'} — {routing.need.title}", lines, _recipients(routing)
    )


# --- the Région's editing of the catalogue ----------------------------------------------------------------

OPERATOR_FIELDS = (
    "name",
    "siren",
    "kind",
    "category",
    "website",
    "email",
    "organization",
    "min_employees",
    "max_employees",
    "naf_sections",
    "min_age_years",
    "get_programme",
    "skills",
)


def _require_catalogue_editor(actor: Actor) -> None:
    from tandem.catalogue.perms import can_edit_catalogue

    if not can_edit_catalogue(actor):
        raise NotAllowed("Le catalogue des opérateurs et des dispositifs est tenu par la Région.")


def _check_operator(values: dict) -> None:
    siren = values.get("siren") or ""
    if siren and not (len(siren) == 9 and siren.isdigit()):
        raise UserError(f"SIREN invalide : « {siren} » (9 chiffres attendus, champ « SIREN »).")
    low, high = values.get("min_employees"), values.get("max_employees")
    if low is not None and high is not None and low > high:
        raise UserError(
            "L'effectif minimum dépasse l'effectif maximum (champs « effectif minimum / maximum »)."
        )
    bad = [s for s in values.get("naf_sections") or () if s not in "ABCDEFGHIJKLMNOPQRSTU" or len(s) != 1]
    if bad:
        raise UserError(
            f"Section NAF inconnue : « {bad[0]} » (lettres A à U, champ « sections NAF servies »)."
        )


@transaction.atomic
def operator_save(*, actor: Actor, operator: Operator | None = None, subjects=(), **values) -> Operator:
    """Create or update an operator (the Région): its identity, role mailbox, Tandem organisation, subjects and
    the filters of the companies it serves."""
    _require_catalogue_editor(actor)
    unknown = set(values) - set(OPERATOR_FIELDS)
    if unknown:
        raise UserError(f"Champ inconnu : « {sorted(unknown)[0]} ».")
    _check_operator(values)
    created = operator is None
    if created:
        base = slugify(values.get("name") or "")[:100] or "operateur"
        slug, n = base, 1
        while Operator.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        operator = Operator(slug=slug, source="saisi par la Région")
    for name, value in values.items():
        setattr(operator, name, value)
    operator.save()
    operator.subjects.set(subjects)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, obj=operator
    )
    return operator


@transaction.atomic
def office_save(
    *,
    actor: Actor,
    office: Office | None = None,
    operator: Operator | None = None,
    organization=None,
    email: str = "",
    subjects=(),
    territories: dict | None = None,
    **values,
) -> Office:
    """The Région creates an office (antenne) of an operator or edits one: its name, address, role mailbox, Tandem
    organisation, the subjects it handles (none: those of its operator) and, when `territories` is given, the
    territories it covers (`regions`, `departements`, `epcis`, `communes`: lists of codes)."""
    _require_catalogue_editor(actor)
    unknown = set(values) - {"name", "address", "website"}
    if unknown:
        raise UserError(f"Champ inconnu : « {sorted(unknown)[0]} ».")
    created = office is None
    if created:
        if operator is None:
            raise UserError("Une antenne appartient à un opérateur (champ « opérateur »).")
        if not (values.get("name") or "").strip():
            raise UserError("Indiquez le nom de l'antenne (champ « nom »).")
        office = Office(operator=operator, key=f"region-{get_random_string(24).lower()}")
    for name, value in values.items():
        setattr(office, name, (value or "").strip())
    office.organization, office.email = organization, email
    office.save()
    office.subjects.set(subjects)
    if territories is not None:
        office.regions.set(territories.get("regions") or [])
        office.departements.set(territories.get("departements") or [])
        office.epcis.set(territories.get("epcis") or [])
        office.communes.set(territories.get("communes") or [])
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, obj=office
    )
    return office


def _unique_slug(model, text: str, fallback: str) -> str:
    base = slugify(text)[:100] or fallback
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def scheme_save(*, actor: Actor, record: dict, scheme: Scheme | None = None) -> Scheme:
    """The Région writes a scheme in the TEE programme format (a new Grand Est scheme, or its own version of a
    TEE programme): its rules are checked on the TEE interface inputs, the record becomes the scheme's current
    one and is kept as a new version. A later TEE import keeps the Région's version (see `tee_import`)."""
    from tandem.catalogue.importers import (
        scheme_subjects_refresh,
        scheme_values_from_programme,
        scheme_version_keep,
    )

    _require_catalogue_editor(actor)
    interface = tee_interface()
    if not interface:
        raise UserError(
            "Importez d'abord les programmes TEE : leurs règles d'interface (effectif, NAF, région…) servent "
            "aussi aux dispositifs de la Région."
        )
    own = dict(record.get("publicodes") or {})
    if ROOT_RULE not in own:
        raise UserError(
            f"Règles d'éligibilité : la règle « {ROOT_RULE} » manque (champ « règles publicodes »)."
        )
    clashes = sorted(set(own) & set(interface))
    if clashes:
        raise UserError(
            f"Règles d'éligibilité : la règle « {clashes[0]} » redéfinit une donnée d'entrée (champ « règles "
            "publicodes »)."
        )
    slug = scheme.slug if scheme is not None else _unique_slug(Scheme, record.get("titre", ""), "dispositif")
    programme = Programme(
        id=slug,
        data=record,
        rules={**interface, **own},
        own_rule_names=tuple(own),
        published=True,
        source_file=f"{slug}.yaml",
    )
    if programme.rules_error:
        raise UserError(
            f"Règles d'éligibilité inutilisables : {programme.rules_error} (champ « règles publicodes »)."
        )
    try:
        programme.valid_from, programme.valid_until  # noqa: B018 — dates are read now to refuse bad ones
    except ValueError as error:
        raise UserError("Date illisible (champs « début / fin de validité », format jj/mm/aaaa).") from error
    operators = {o.name: o for o in Operator.objects.filter(name=programme.operator).order_by("pk")[:1]}
    values = scheme_values_from_programme(programme, operators)
    values.update(source=Scheme.Source.REGION, published=True)
    created = scheme is None
    if created:
        scheme = Scheme.objects.create(slug=slug, **values)
    else:
        for name, value in values.items():
            setattr(scheme, name, value)
        scheme.save()
    scheme_subjects_refresh(scheme)
    scheme_version_keep(scheme)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, obj=scheme
    )
    return scheme

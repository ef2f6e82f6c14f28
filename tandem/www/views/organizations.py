from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.errors import UserError
from tandem.core.ids import id_or_404
from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Invitation, Membership, Organization, Role
from tandem.organizations.perms import (
    audit_events_visible_q,
    can_read_audit_log,
    delegation_admin_epcis,
    delegations_visible_q,
)
from tandem.organizations.selectors import invitations_for
from tandem.organizations.services import (
    delegation_create,
    delegation_revoke,
    invitation_answer,
    invitation_cancel,
    invitation_create,
    membership_remove,
    membership_set,
)
from tandem.steering.selectors import conventions_visible
from tandem.www.forms import DelegationForm, split_codes


@login_required
def delegation_list(request):
    actor = request.actor
    delegations = (
        Delegation.objects.filter(delegations_visible_q(actor))
        .select_related("delegator", "delegate")
        .prefetch_related(
            "communes",
            # The conventions grounding each delegation, those the reader may see (steering's register).
            Prefetch("conventions", queryset=conventions_visible(actor), to_attr="visible_conventions"),
        )
    )
    admin_epcis = delegation_admin_epcis(actor)
    form = DelegationForm(request.POST or None, delegators=admin_epcis)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation_create(
                actor=actor,
                delegator=data["delegator"],
                delegate=data["delegate"],
                scope=data["scope"],
                commune_codes=split_codes(data["communes"]),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Délégation créée.")
            return redirect("www:delegation_list")
    return render(
        request,
        "www/organizations/delegations.html",
        {"delegations": delegations, "form": form if admin_epcis.exists() else None},
    )


@require_POST
@login_required
def delegation_revoke_view(request, pk):
    delegation = Delegation.objects.filter(delegations_visible_q(request.actor)).filter(pk=pk).first()
    if delegation is None:
        raise Http404
    try:
        delegation_revoke(actor=request.actor, delegation=delegation)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Délégation révoquée.")
    return redirect("www:delegation_list")


def object_type_label(object_type: str) -> str:
    """« companies.need » -> « besoin »: the model's French name, never its code."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return "objet"


@login_required
def audit_log(request):
    """The journal of the user's organisations, read-only (contributors and administrators)."""
    if not can_read_audit_log(request.actor):
        raise Http404
    events = AuditEvent.objects.filter(audit_events_visible_q(request.actor)).select_related("organization")
    q = (request.GET.get("q") or "").strip()
    if q:
        events = events.filter(
            Q(username__icontains=q) | Q(object_repr__icontains=q) | Q(object_type__icontains=q)
        )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.object_label = object_type_label(event.object_type)
    return render(request, "www/organizations/audit.html", {"events": page, "q": q})


@login_required
def member_list(request):
    """Members of the current organisation; its administrators add, change and remove them."""
    actor = request.actor
    org = Organization.objects.filter(pk=actor.current_org_id).first()
    if org is None:
        raise Http404
    is_admin = actor.is_org_admin(org.pk)
    if request.method == "POST" and is_admin:
        try:
            if request.POST.get("remove"):
                membership = Membership.objects.filter(
                    organization=org, pk=id_or_404(request.POST["remove"])
                ).first()
                if membership is None:
                    raise Http404
                membership_remove(actor=actor, membership=membership)
                messages.success(request, "Membre retiré.")
            elif request.POST.get("membership"):
                membership = Membership.objects.filter(
                    organization=org, pk=id_or_404(request.POST["membership"])
                ).first()
                if membership is None:
                    raise Http404
                membership_set(
                    organization=org, user=membership.user, role=request.POST.get("role", ""), actor=actor
                )
                messages.success(request, f"{membership.user} : rôle enregistré.")
            elif request.POST.get("cancel"):
                invitation = Invitation.objects.filter(
                    organization=org, pk=id_or_404(request.POST["cancel"])
                ).first()
                if invitation is None:
                    raise Http404
                invitation_cancel(actor=actor, invitation=invitation)
                messages.success(request, "Invitation annulée.")
            else:
                invitation = invitation_create(
                    actor=actor,
                    organization=org,
                    email=request.POST.get("email", ""),
                    role=request.POST.get("role", ""),
                )
                # The same answer whether or not an account has this address (no account enumeration).
                messages.success(
                    request,
                    f"Invitation enregistrée pour {invitation.email} ({invitation.get_role_display()}) : "
                    "la personne la verra à sa prochaine connexion si son compte porte cette adresse.",
                )
        except UserError as exc:
            messages.error(request, exc.message)
        return redirect("www:member_list")
    members = (
        Membership.objects.filter(organization=org)
        .select_related("user")
        .order_by("user__last_name", "user__username")
    )
    return render(
        request,
        "www/organizations/members.html",
        {
            "organization": org,
            "members": members,
            "is_admin": is_admin,
            "roles": Role.choices,
            "invitations": org.invitations.order_by("email") if is_admin else [],
        },
    )


@require_POST
@login_required
def invitation_answer_view(request, pk):
    """The invited person accepts or declines an invitation addressed to their e-mail address."""
    invitation = invitations_for(request.user).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    accept = request.POST.get("answer") == "accepter"
    try:
        invitation_answer(actor=request.actor, invitation=invitation, accept=accept)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        name = invitation.organization.name
        messages.success(
            request, f"Vous avez rejoint {name}." if accept else f"Invitation de {name} refusée."
        )
    return redirect("www:home")

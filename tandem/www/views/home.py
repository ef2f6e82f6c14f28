from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.catalogue.models import NeedRouting
from tandem.catalogue.selectors import partner_inbox
from tandem.companies.selectors_followup import advisor_companies, needs_for, reminders_due
from tandem.core.ids import parse_id
from tandem.imports.models import ImportRun
from tandem.imports.selectors import import_runs_visible
from tandem.land.perms import can_decide_label
from tandem.land.selectors import labels_to_decide
from tandem.organizations.middleware import SESSION_KEY
from tandem.organizations.models import Organization
from tandem.organizations.perms import writable_owners
from tandem.organizations.selectors import invitations_for, organization_layers
from tandem.prospects.perms import proposes_land
from tandem.prospects.selectors import prospects_awaiting_proposal
from tandem.territories.selectors import territory_figures
from tandem.www.maps import map_config

SHOWN = 5  # lines per block; the block's link leads to the whole list
FINISHED_IMPORTS = [
    ImportRun.Status.DONE,
    ImportRun.Status.REFUSED,
    ImportRun.Status.FAILED,
]


def _block(items, shown: int = SHOWN) -> dict:
    items = list(items[: shown + 1]) if not isinstance(items, list) else items
    return {"items": items[:shown], "more": len(items) > shown}


def dashboard(actor) -> dict:
    """What waits for the user, like Deveco's home page: one selector per block, each through the
    permission layer (a block the role can never fill is left out)."""
    today = timezone.localdate()
    blocks = {
        "companies": _block(advisor_companies(actor)),
        "reminders": _block(reminders_due(actor, on=today + timedelta(days=7)).select_related("company")),
        "needs_overdue": _block(needs_for(actor, status="en-retard")),
    }
    prospects = prospects_awaiting_proposal(actor=actor)
    if prospects or proposes_land(actor):
        blocks["prospects"] = _block(prospects)
    inbox = partner_inbox(actor)
    if inbox.exists():  # partners to whom needs are routed: what waits for their answer
        blocks["routings"] = _block(
            inbox.filter(status__in=[NeedRouting.Status.SENT, NeedRouting.Status.TAKEN]).order_by(
                "sent_on", "pk"
            )
        )
    if can_decide_label(actor):
        blocks["labels"] = _block(labels_to_decide(actor))
    imports = import_runs_visible(actor).filter(
        status__in=FINISHED_IMPORTS, created_at__gte=timezone.now() - timedelta(days=30)
    )
    blocks["can_import"] = writable_owners(actor).exists()
    if blocks["can_import"] or imports.exists():
        blocks["imports"] = _block(imports)
    return blocks


@login_required
def home(request):
    """The user's home: what waits for them (dashboard), then their organisation's perimeter and figures."""
    actor = request.actor
    org = Organization.objects.filter(pk=actor.current_org_id).first()
    context = {"organization": org, "invitations": list(invitations_for(request.user))}
    if org is not None:
        context["dashboard"] = dashboard(actor)
        communes = org.communes.all()
        context["figures"] = territory_figures(communes)
        context["map"] = map_config(
            label=f"Carte du territoire de {org.name}", layers=organization_layers(org), list_title="Territoire"
        )
    return render(request, "www/home.html", context)


@require_POST
@login_required
def switch_organization(request):
    org_id = parse_id(request.POST.get("organization"))
    if org_id is None:
        return HttpResponseBadRequest(
            "Requête invalide : organisation inconnue.", content_type="text/plain; charset=utf-8"
        )
    if org_id in request.actor.org_ids:
        request.session[SESSION_KEY] = org_id
    return redirect("www:home")

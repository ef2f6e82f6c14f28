from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.ids import parse_id
from tandem.organizations.middleware import SESSION_KEY
from tandem.organizations.models import Organization
from tandem.organizations.selectors import invitations_for
from tandem.territories.selectors import perimeter_layers, territory_figures
from tandem.www.maps import map_config


@login_required
def home(request):
    """The current organisation's home: its perimeter on a map and its key figures."""
    actor = request.actor
    org = Organization.objects.filter(pk=actor.current_org_id).first()
    context = {"organization": org, "invitations": list(invitations_for(request.user))}
    if org is not None:
        communes = org.communes.all()
        context["figures"] = territory_figures(communes)
        context["map"] = map_config(
            label=f"Carte du territoire de {org.name}", layers=perimeter_layers(communes), list_title="Territoire"
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

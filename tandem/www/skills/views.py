"""Jobs and skills pages (/competences/): the choice of a territory, a territory's page (hiring needs, tensions,
needs of followed companies and prospects, gaps with their actions), recording and moving on an action.
Views are thin: figures come from tandem.skills.selectors, writes from tandem.skills.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.perms import get_visible_or_404, writable_owners
from tandem.prospects.models import BmoJob
from tandem.skills import selectors, services
from tandem.skills.models import SkillAction
from tandem.skills.territory import territory_get
from tandem.territories.models import Departement, Epci, ZoneEmploi
from tandem.www.maps import map_config, map_tiles
from tandem.www.skills.forms import ActionForm, ActionUpdateForm


@login_required
def skills_index(request):
    zones = ZoneEmploi.objects.order_by("name")
    deps = Departement.objects.filter(code__in=BmoJob.objects.values("departement")).order_by("code")
    epcis = Epci.objects.filter(is_current=True, communes__departement__in=deps).distinct().order_by("name")
    carte = map_config(
        label="Zones d'emploi : projets de recrutement et part jugée difficile (enquête BMO)",
        tiles=map_tiles("zones_emploi"),
        list_title="Zones d'emploi de la carte",
    )
    return render(
        request, "www/skills/index.html", {"zones": zones, "deps": deps, "epcis": epcis, "map": carte}
    )


@login_required
def territory_page(request, kind: str, code: str):
    territory = territory_get(kind, code)
    actor = request.actor
    owners = writable_owners(actor)
    found = selectors.gaps(actor=actor, territory=territory)
    for gap in found:
        gap["form"] = ActionForm(
            owners=owners,
            current_org_id=actor.current_org_id,
            auto_id=f"action-{gap['code']}-%s",
            initial={"job_code": gap["code"]},
        )
    return render(
        request,
        "www/skills/territory.html",
        {
            "territory": territory,
            "bmo": selectors.hiring_needs(actor=actor, territory=territory),
            "tensions": selectors.tensions(actor=actor, territory=territory, minimum=4),
            "gaps": found,
            "actions": selectors.actions_for(actor=actor, territory=territory),
            "flagged": sum(g["flagged"] for g in found),
            "can_act": owners.exists(),
            "update_form": ActionUpdateForm(),
        },
    )


@require_POST
@login_required
def action_add(request, kind: str, code: str):
    territory = territory_get(kind, code)
    form = ActionForm(request.POST, owners=writable_owners(request.actor))
    if not form.is_valid():
        messages.error(
            request, "Action non enregistrée : " + " ".join(" ".join(e) for e in form.errors.values())
        )
        return redirect("www:skills:territory", kind=kind, code=code)
    data = form.cleaned_data
    label = BmoJob.objects.filter(job_code=data["job_code"]).values_list("job_name", flat=True).first()
    try:
        services.skill_action_create(
            actor=request.actor,
            owner=data["owner"],
            territory=territory,
            job_code=data["job_code"],
            job_label=label or data["job_code"],
            kind=data["kind"],
            description=data["description"],
            people=data["people"],
            due_on=data["due_on"],
            visibility=data["visibility"],
        )
    except (UserError, NotAllowed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Action enregistrée.")
    return redirect("www:skills:territory", kind=kind, code=code)


@require_POST
@login_required
def action_update(request, pk: int):
    action = get_visible_or_404(request.actor, SkillAction.objects.all(), pk=pk)
    form = ActionUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.skill_action_update(actor=request.actor, action=action, **form.cleaned_data)
        except (UserError, NotAllowed) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Action mise à jour.")
    return redirect("www:skills:territory", kind=action.territory_kind, code=action.territory_code)

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse

from tandem.accounts.models import User
from tandem.accounts.selectors import api_token_created_at
from tandem.accounts.services import api_token_create, api_token_revoke, email_frequency_set
from tandem.core.errors import UserError


@login_required
def api_token(request):
    """The user's access token for QGIS (OGC API – Features) and the API: create or replace it (the key is shown
    once, right after), or revoke it."""
    key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "creer":
            key = api_token_create(actor=request.actor)
        elif action == "revoquer":
            if api_token_revoke(actor=request.actor):
                messages.success(request, "Jeton révoqué : il ne donne plus accès à Tandem.")
            return redirect("www:api_token")
        else:
            return HttpResponseBadRequest(
                "Requête invalide : action inconnue.", content_type="text/plain; charset=utf-8"
            )
    context = {
        "key": key,
        "created_at": api_token_created_at(request.user),
        "ogc_url": request.build_absolute_uri(reverse("ogc:landing")),
    }
    return render(request, "www/account/token.html", context)


@login_required
def notifications(request):
    """The user chooses e-mails at each event or one summary a day."""
    choices = User.EmailFrequency.choices
    if request.method == "POST":
        try:
            email_frequency_set(actor=request.actor, frequency=request.POST.get("frequence", ""))
        except UserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Préférence enregistrée.")
            return redirect("www:notifications")
    request.user.refresh_from_db(fields=["email_frequency"])
    return render(
        request,
        "www/account/notifications.html",
        {"choices": choices, "current": request.user.email_frequency},
    )

"""The site's error pages, in French and in its layout: 400, 403, 404, 500 and the CSRF failure."""

import json

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from tandem.core.middleware import api_error


def bad_request(request, exception=None):
    return _api_answer(request, 400, "Requête invalide.") or render(request, "www/400.html", status=400)


def forbidden(request, exception=None):
    """A visible object, an action not allowed: the French reason (`NotAllowed`'s message) in the layout."""
    message = getattr(exception, "message", None) or (str(exception) if exception else "")
    return _api_answer(request, 403, message or "Action non permise.") or render(
        request, "www/403.html", {"message": message}, status=403
    )


def not_found(request, exception=None):
    """A 404 page that says nothing about what was asked for: it may exist for someone else."""
    return _api_answer(request, 404, "Introuvable.") or render(request, "www/404.html", status=404)


def _api_answer(request, status: int, message: str):
    """Under the APIs (an address no route matches, a request Django refuses before any view), the answer is
    the API's own JSON error, as their schemas document it; None for the site's pages."""
    if request.path.startswith("/api/"):
        return api_error(status, message)
    if request.path.startswith("/ogc/"):
        code = {400: "InvalidParameterValue", 403: "Forbidden", 404: "NotFound"}[status]
        body = json.dumps({"code": code, "description": message}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    return None


def server_error(request):
    """Rendered without the request context: the database (context processors) may be what failed."""
    return HttpResponseServerError(loader.get_template("www/500.html").render({}))


def csrf_failure(request, reason=""):
    """`CSRF_FAILURE_VIEW`: an expired session or an old form, said in French (Django's page is English)."""
    return render(request, "www/csrf.html", status=403)


def login_locked(request, original_response=None, credentials=None):
    """django-axes' answer to a login while locked out (`AXES_LOCKOUT_CALLABLE`): the login page's French
    message, status 429, the same for `/connexion/` and `/admin/login/`."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "www/login_locked.html", {"lockout_minutes": minutes}, status=429)

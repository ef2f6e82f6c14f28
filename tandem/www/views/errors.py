from django.conf import settings
from django.shortcuts import render


def not_found(request, exception=None):
    """A 404 page that says nothing about what was asked for: it may exist for someone else."""
    return render(request, "www/404.html", status=404)


def login_locked(request, original_response=None, credentials=None):
    """django-axes' answer to a login while locked out (`AXES_LOCKOUT_CALLABLE`): the login page's French
    message, status 429, the same for `/connexion/` and `/admin/login/`."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "www/login_locked.html", {"lockout_minutes": minutes}, status=429)

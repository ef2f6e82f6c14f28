from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from tandem.accounts.models import User
from tandem.core.admin_mixins import AuditedAdmin


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Accounts, rights and passwords changed in the admin are audited (never the password itself)."""


class _TokenOf:
    """A token as the audit log names it: by its user, never by its key (the key is the secret)."""

    def __init__(self, token):
        self.pk = token.user_id
        self._meta = token._meta
        self._username = token.user.get_username()

    def __str__(self) -> str:
        return f"jeton d'API de {self._username}"


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class AuditedTokenAdmin(AuditedAdmin, TokenAdmin):
    """API tokens created or revoked in the admin are audited."""

    def audit_object(self, obj):
        return _TokenOf(obj)

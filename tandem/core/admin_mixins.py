"""Django admin for platform administrators: every change made there is written to the audit log too.

The admin's own logging hooks (`log_addition`, `log_change`, `log_deletions`) are where every admin write ends,
including the user admin's password form and bulk deletions: the audit follows them."""

from django.contrib import admin

from tandem.core.audit import audit_record
from tandem.core.models import AuditEvent


class AuditedAdmin(admin.ModelAdmin):
    def _actor(self, request):
        from tandem.organizations.perms import Actor

        return Actor.for_user(request.user)

    def get_queryset(self, request):
        """Organisation-owned models pass through the permission layer here too: the admin is for platform
        administrators (everything), except confidential objects, shown to their task force only."""
        from tandem.organizations.perms import scope_queryset
        from tandem.organizations.scoping import ScopedQuerySet

        queryset = super().get_queryset(request)
        if isinstance(queryset, ScopedQuerySet):
            queryset = scope_queryset(self._actor(request), queryset)
        return queryset

    def audit_object(self, obj):
        """What the audit log records for `obj` (its type, id and text); override to keep secrets out."""
        return obj

    def _audit(self, request, action, obj, message=None):
        details = {"via": "admin"}
        if message:
            # Django's change message names the changed fields, never their values.
            details["changes"] = message if isinstance(message, list) else str(message)
        audit_record(actor=self._actor(request), action=action, obj=self.audit_object(obj), details=details)

    def log_addition(self, request, obj, message):
        self._audit(request, AuditEvent.Action.CREATE, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, AuditEvent.Action.UPDATE, obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, AuditEvent.Action.DELETE, obj)
        return super().log_deletions(request, queryset)

"""Django admin for platform administrators: every change made there is written to the audit log too."""

from django.contrib import admin

from tandem.core.audit import audit_record
from tandem.core.models import AuditEvent


class AuditedAdmin(admin.ModelAdmin):
    def _actor(self, request):
        from tandem.organizations.perms import Actor

        return Actor.for_user(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE
        audit_record(actor=self._actor(request), action=action, obj=obj, details={"via": "admin"})

    def delete_model(self, request, obj):
        audit_record(
            actor=self._actor(request), action=AuditEvent.Action.DELETE, obj=obj, details={"via": "admin"}
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(
                actor=self._actor(request), action=AuditEvent.Action.DELETE, obj=obj, details={"via": "admin"}
            )
        super().delete_queryset(request, queryset)

from django.contrib import admin

from tandem.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "organization", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_repr", "object_id"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        """Platform administrators read every event except those about a confidential object whose task force
        they are not in (`audit_events_visible_q`): the admin reveals no more than the journal."""
        from tandem.organizations.perms import Actor, audit_events_visible_q

        return super().get_queryset(request).filter(audit_events_visible_q(Actor.for_user(request.user)))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

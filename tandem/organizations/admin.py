from django.contrib import admin

from tandem.core.admin_mixins import AuditedAdmin
from tandem.organizations.models import Delegation, Invitation, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "epci", "region", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["epci", "communes"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    raw_id_fields = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    list_display = ["email", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    raw_id_fields = ["organization", "invited_by"]


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ["delegator", "delegate", "scope", "starts_on", "ends_on", "revoked_at"]
    raw_id_fields = ["delegator", "delegate", "communes", "created_by"]

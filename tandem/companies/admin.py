"""Django admin (platform administrators only) for the public registry: import runs with their problems,
companies, establishments and BODACC judgments, read only. The registry is written by its importers alone;
follow-up data (exchanges, needs, signals…) belongs to the organisations and is not shown here."""

from django.contrib import admin

from tandem.companies.models import BodaccAnnouncement, Company, Establishment, RegistryImport


class ReadOnlyAdmin(admin.ModelAdmin):
    """Consultation only: no add, change or delete, in the admin as elsewhere."""

    show_full_result_count = False  # the registry holds millions of rows: no second COUNT(*) per page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegistryImport)
class RegistryImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "run", "vintage", "rows_read", "rows_in_territory", "changes_recorded"]
    list_filter = ["run__kind"]


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    list_display = ["siren", "display_name", "naf", "headcount_band", "state", "legal_unit_loaded"]
    search_fields = ["=siren", "name"]


@admin.register(Establishment)
class EstablishmentAdmin(ReadOnlyAdmin):
    list_display = ["siret", "company_id", "commune_code", "commune_label", "naf", "headcount_band", "state"]
    search_fields = ["=siret", "=company__siren"]
    raw_id_fields = ["company", "commune", "last_import"]


@admin.register(BodaccAnnouncement)
class BodaccAnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["judgment_on", "siren", "kind", "nature", "tribunal"]
    list_filter = ["kind"]
    search_fields = ["=siren"]

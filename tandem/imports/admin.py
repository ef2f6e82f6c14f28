from django.contrib import admin

from tandem.imports.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "status", "dry_run", "created_by", "organization", "created",
                    "updated", "unchanged", "rejected"]  # fmt: skip
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

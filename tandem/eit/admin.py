"""Django admin (platform administrators only) for industrial ecology: the European List of Waste, the
estimated flows and their refreshes, read only. The list is written by `load_eit_reference` alone, estimates by
their refresh job. Recorded flows and synergies belong to the organisations and are commercially sensitive:
like the companies' follow-up data, they are not shown here (pages and API, under the permission layer)."""

from django.contrib import admin

from tandem.companies.admin import ReadOnlyAdmin
from tandem.eit.models import EstimatedFlow, EstimateRefresh, WasteCode


@admin.register(WasteCode)
class WasteCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "level", "hazardous", "label_fr"]
    list_filter = ["level", "hazardous"]
    search_fields = ["code", "label_fr", "label_en"]


@admin.register(EstimatedFlow)
class EstimatedFlowAdmin(ReadOnlyAdmin):
    list_display = ["establishment_id", "direction", "kind", "ewc_id", "resource", "quantity", "confidence"]
    list_filter = ["direction", "kind"]
    search_fields = ["=establishment__siret"]
    raw_id_fields = ["establishment", "commune", "ewc"]


@admin.register(EstimateRefresh)
class EstimateRefreshAdmin(ReadOnlyAdmin):
    list_display = ["at", "reason", "establishments", "created", "deleted", "unchanged"]

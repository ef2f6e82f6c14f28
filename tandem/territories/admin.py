from django.contrib import admin

from tandem.core.admin_mixins import AuditedAdmin
from tandem.core.geo import STORED_GEOMETRIES
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi

GEOMETRY_EXCLUDE = [*STORED_GEOMETRIES, "geometry_digest"]


@admin.register(Region, Departement, ZoneEmploi)
class ReferenceAdmin(admin.ModelAdmin):
    exclude = GEOMETRY_EXCLUDE
    search_fields = ["code", "name"]


@admin.register(Epci)
class EpciAdmin(admin.ModelAdmin):
    exclude = GEOMETRY_EXCLUDE
    list_display = ["siren", "name", "kind", "population", "is_current"]
    list_filter = ["kind", "is_current"]
    search_fields = ["siren", "name"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    exclude = GEOMETRY_EXCLUDE
    list_display = ["code", "name", "departement", "epci", "population", "is_current"]
    list_filter = ["is_current", "region"]
    search_fields = ["code", "name"]
    raw_id_fields = ["epci", "merged_into", "zone_emploi"]


@admin.register(Perimeter)
class PerimeterAdmin(AuditedAdmin):
    list_display = ["name", "kind", "code", "owner", "visibility"]
    list_filter = ["kind", "visibility"]
    search_fields = ["name", "code"]
    filter_horizontal = ["shared_with"]
    raw_id_fields = ["communes"]

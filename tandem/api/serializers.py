from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tandem.core.geo import STORED_GEOMETRIES, geojson
from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Organization, Visibility
from tandem.organizations.scoping import ScopedQuerySet
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class DepartementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Departement
        fields = ["code", "name", "region"]


class ZoneEmploiSerializer(serializers.ModelSerializer):
    class Meta:
        model = ZoneEmploi
        fields = ["code", "name"]


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = [
            "code",
            "name",
            "siren",
            "departement",
            "region",
            "epci",
            "zone_emploi",
            "population",
            "postal_codes",
            "is_current",
            "merged_into",
            "centroid_lat",
            "centroid_lon",
            "area_ha",
        ]


@extend_schema_field(OpenApiTypes.OBJECT)
class GeoJSONField(serializers.Field):
    """A stored geometry as its GeoJSON object (WGS84), read-only."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return geojson(value)


class CommuneDetailSerializer(CommuneSerializer):
    geometry = GeoJSONField()

    class Meta(CommuneSerializer.Meta):
        fields = [*CommuneSerializer.Meta.fields, "geometry"]


class EpciSerializer(serializers.ModelSerializer):
    class Meta:
        model = Epci
        fields = [
            "siren",
            "name",
            "kind",
            "financing",
            "population",
            "is_current",
            "centroid_lat",
            "centroid_lon",
            "area_ha",
        ]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["code", "name", "departement", "region", "population"]


class EpciDetailSerializer(EpciSerializer):
    geometry = GeoJSONField()
    communes = serializers.SerializerMethodField()
    regions = serializers.SerializerMethodField()

    class Meta(EpciSerializer.Meta):
        fields = [*EpciSerializer.Meta.fields, "regions", "communes", "geometry"]

    def get_communes(self, obj) -> list[dict]:
        members = obj.communes.filter(is_current=True).defer(*STORED_GEOMETRIES).order_by("code")
        return MemberSerializer(members, many=True).data

    def get_regions(self, obj) -> list[str]:
        return sorted(set(obj.communes.filter(is_current=True).values_list("region_id", flat=True)))


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind", "epci", "region", "is_demo"]


class PerimeterSerializer(serializers.ModelSerializer):
    members = serializers.ListField(
        child=serializers.RegexField(r"^(\d{9}|\d[\dAB]\d{3})$"),
        write_only=True,
        help_text="Codes INSEE de communes ou SIREN d'EPCI",
        max_length=40000,
    )
    communes = serializers.SerializerMethodField()
    owner = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)

    class Meta:
        model = Perimeter
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "description",
            "owner",
            "visibility",
            "source",
            "members",
            "communes",
        ]
        read_only_fields = ["source"]

    def get_validators(self):
        # Uniqueness (owner, kind, code) is data integrity, checked across every organisation's perimeters:
        # the generated validator reads them unscoped (docs/adr/0002-scoped-managers.md).
        validators = super().get_validators()
        for validator in validators:
            if isinstance(getattr(validator, "queryset", None), ScopedQuerySet):
                validator.queryset = validator.queryset.unscoped()
        return validators

    def get_communes(self, obj) -> list[str]:
        return list(obj.communes.values_list("pk", flat=True))


class PerimeterUpdateSerializer(PerimeterSerializer):
    members = serializers.ListField(
        child=serializers.RegexField(r"^(\d{9}|\d[\dAB]\d{3})$"),
        write_only=True,
        required=False,
        max_length=40000,
    )

    class Meta(PerimeterSerializer.Meta):
        read_only_fields = ["source", "owner"]


class DelegationSerializer(serializers.ModelSerializer):
    communes = serializers.ListField(
        child=serializers.RegexField(r"^\d[\dAB]\d{3}$"),
        required=False,
        default=list,
        max_length=40000,
        write_only=True,
        help_text="Codes INSEE couverts ; vide : tout le périmètre de l'EPCI",
    )
    commune_codes = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "delegator",
            "delegate",
            "scope",
            "communes",
            "commune_codes",
            "starts_on",
            "ends_on",
            "revoked_at",
        ]
        read_only_fields = ["revoked_at"]

    def get_commune_codes(self, obj) -> list[str]:
        return [c.pk for c in obj.communes.all()]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "username",
            "organization",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "details",
        ]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_platform_admin = serializers.BooleanField()
    current_organization = serializers.IntegerField(allow_null=True)
    memberships = serializers.ListField(child=serializers.DictField())

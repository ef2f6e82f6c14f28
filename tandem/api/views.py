"""REST endpoints. Thin: they call the same selectors, services and permission layer as the web pages."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api import serializers as s
from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.core.audit import audit_record
from tandem.core.geo import STORED_GEOMETRIES
from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Organization
from tandem.organizations.perms import audit_events_visible_q, delegations_visible_q
from tandem.organizations.selectors import organization_layers
from tandem.organizations.services import delegation_create, delegation_revoke
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region, ZoneEmploi
from tandem.territories.perimeters import (
    perimeter_create,
    perimeter_delete,
    perimeter_update,
    perimeters_export_csv,
)
from tandem.territories.selectors import (
    commune_list,
    departement_list,
    epci_list,
    perimeter_layers,
    perimeter_search,
)

REGION = OpenApiParameter("region", str, description="code INSEE de la région")
DEPARTEMENT = OpenApiParameter("departement", str, description="code INSEE du département")
Q_PARAM = OpenApiParameter("q", str, description="recherche sur le nom ou le code")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.defer(*STORED_GEOMETRIES).order_by("code")
    serializer_class = s.RegionSerializer


class DepartementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.DepartementSerializer
    queryset = Departement.objects.none()

    @extend_schema(parameters=[REGION])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return departement_list(region=self.request.query_params.get("region")).order_by("code")


class ZoneEmploiViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ZoneEmploi.objects.defer(*STORED_GEOMETRIES).order_by("code")
    serializer_class = s.ZoneEmploiSerializer


class CommuneViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    queryset = Commune.objects.none()

    def get_serializer_class(self):
        return s.CommuneDetailSerializer if self.action == "retrieve" else s.CommuneSerializer

    @extend_schema(
        parameters=[
            REGION,
            DEPARTEMENT,
            OpenApiParameter("epci", str, description="SIREN de l'EPCI"),
            Q_PARAM,
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if self.action == "retrieve":
            return Commune.objects.all()
        params = self.request.query_params
        return commune_list(
            region=params.get("region"),
            departement=params.get("departement"),
            epci=params.get("epci"),
            q=params.get("q"),
        )


class EpciViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "siren"
    queryset = Epci.objects.none()

    def get_serializer_class(self):
        return s.EpciDetailSerializer if self.action == "retrieve" else s.EpciSerializer

    @extend_schema(
        parameters=[REGION, DEPARTEMENT, Q_PARAM],
        description="EPCI en vigueur ; avec `region`, ceux qui ont au moins une commune membre dans la région.",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if self.action == "retrieve":
            return Epci.objects.all()
        params = self.request.query_params
        return epci_list(
            region=params.get("region"), departement=params.get("departement"), q=params.get("q")
        )


class OrganizationViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """The directory of organisations sharing the instance (names and kinds are not confidential)."""

    queryset = Organization.objects.order_by("name")
    serializer_class = s.OrganizationSerializer

    @extend_schema(
        responses=OpenApiTypes.OBJECT, description="Couches GeoJSON du périmètre (EPCI, communes)."
    )
    @action(detail=True, methods=["get"])
    def layers(self, request, pk=None):
        org = self.get_object()
        return Response(organization_layers(org))


class PerimeterViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    base_queryset = Perimeter.objects.select_related("owner").prefetch_related("communes")
    queryset = Perimeter.objects.none()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.PerimeterUpdateSerializer
        return s.PerimeterSerializer

    def get_queryset(self):
        return perimeter_search(super().get_queryset(), q=self.request.query_params.get("q"))

    @extend_schema(parameters=[Q_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = perimeter_create(
            actor=self.actor,
            owner=data["owner"],
            name=data["name"],
            members=data["members"],
            kind=data.get("kind", Perimeter.Kind.AUTRE),
            code=data.get("code", ""),
            description=data.get("description", ""),
            visibility=data.get("visibility", "private"),
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        perimeter_update(actor=self.actor, perimeter=serializer.instance, members=members, **data)

    def perform_destroy(self, instance):
        perimeter_delete(actor=self.actor, perimeter=instance)

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def geojson(self, request, pk=None):
        perimeter = self.get_object()
        audit_record(
            actor=self.actor, action=AuditEvent.Action.EXPORT, obj=perimeter, details={"format": "geojson"}
        )
        return Response(perimeter_layers(perimeter.communes.all()))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def export(self, request):
        perimeters = self.get_queryset()
        audit_record(
            actor=self.actor,
            action=AuditEvent.Action.EXPORT,
            object_type="territories.perimeter",
            details={"format": "csv", "count": perimeters.count()},
        )
        return HttpResponse(perimeters_export_csv(perimeters), content_type="text/csv; charset=utf-8")


class DelegationViewSet(ActorMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.DelegationSerializer
    queryset = Delegation.objects.none()

    def get_queryset(self):
        return Delegation.objects.filter(delegations_visible_q(self.actor)).order_by("-starts_on", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        delegation = delegation_create(
            actor=self.actor,
            delegator=data["delegator"],
            delegate=data["delegate"],
            scope=data.get("scope", "write"),
            commune_codes=data.get("communes") or [],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
        )
        return Response(self.get_serializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        delegation = delegation_revoke(actor=self.actor, delegation=self.get_object())
        return Response(self.get_serializer(delegation).data)


class AuditEventViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AuditEventSerializer
    queryset = AuditEvent.objects.none()

    def get_queryset(self):
        return AuditEvent.objects.filter(audit_events_visible_q(self.actor))


class MeView(ActorMixin, APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "is_platform_admin": serializers.BooleanField(),
                "current_organization": serializers.IntegerField(allow_null=True),
                "memberships": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        actor = self.actor
        return Response(
            {
                "username": request.user.username,
                "is_platform_admin": actor.is_platform_admin,
                "current_organization": actor.current_org_id,
                "memberships": [{"organization": org, "role": role} for org, role in actor.roles.items()],
            }
        )

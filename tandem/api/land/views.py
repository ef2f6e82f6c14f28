"""Land observatory API: the same selectors, services and permission layer as the /foncier/ pages."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.api.land import serializers as s
from tandem.core.audit import audit_record
from tandem.core.errors import UserError
from tandem.core.ids import parse_id
from tandem.core.models import AuditEvent
from tandem.land import availability as av
from tandem.land import selectors as sel
from tandem.land.editing import terrain_update
from tandem.land.labels import label_decide, label_propose
from tandem.land.models import Friche, LabelDecision, Site, Terrain
from tandem.land.readiness import readiness_for_terrain
from tandem.territories.selectors import instance_region_code

SITE_FILTERS = [
    OpenApiParameter("q", str),
    OpenApiParameter("epci", str, description="SIREN de l'EPCI"),
    OpenApiParameter("vocation", str),
    OpenApiParameter("etat", str),
    OpenApiParameter("min_available_ha", float),
    OpenApiParameter("label", str),
    OpenApiParameter("cle_en_main", bool),
    OpenApiParameter("min_readiness", int),
]


def _site_filters(request) -> dict:
    params = s.SiteFilterSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    return {
        "q": data.get("q") or None,
        "epci": data.get("epci"),
        "vocation": data.get("vocation"),
        "state": data.get("etat"),
        "min_available_ha": data.get("min_available_ha"),
        "label": data.get("label"),
        "cle_en_main": data.get("cle_en_main"),
        "min_readiness": data.get("min_readiness"),
    }


class SiteViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Sites économiques (ZAE) visible to the caller, with available surfaces and readiness."""

    base_queryset = Site.objects.all()
    queryset = Site.objects.none()
    serializer_class = s.SiteSerializer

    @extend_schema(parameters=SITE_FILTERS)
    def list(self, request, *args, **kwargs):
        sites = sel.site_list(self.actor, **_site_filters(request))
        page = self.paginate_queryset(sites)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses=OpenApiTypes.OBJECT, description="Fiche : site, terrains, verrous, labels, millésimes."
    )
    def retrieve(self, request, *args, **kwargs):
        detail = sel.site_detail(self.actor, self.get_object().pk)
        context = {"actor": self.actor, "request": request}
        terrains = []
        for t in detail["terrains"]:
            data = s.TerrainSerializer(t, context=context).data
            data["availability"] = t.availability
            data["readiness"] = t.readiness.as_dict()
            terrains.append(data)
        return Response(
            {
                "site": s.SiteSerializer(detail["site"], context=context).data,
                "terrains": terrains,
                "readiness": detail["readiness"].as_dict(),
                "indicators": detail["indicators"],
                "friches_nearby": [f.pk for f in detail["friches_nearby"]],
                "label_decisions": s.LabelDecisionSerializer(detail["label_decisions"], many=True).data,
                "history": [
                    {
                        "vintage": v.vintage.number,
                        "created_at": v.vintage.created_at,
                        "table": v.table,
                        "record_key": v.record_key,
                        "action": v.action,
                        # Personal fields' values stay with the owner; others only learn that they changed.
                        "changes": {
                            k: (
                                c
                                if detail["show_personal"] or k not in Terrain.PERSONAL_FIELDS
                                else "modifié"
                            )
                            for k, c in v.changes.items()
                        },
                    }
                    for v in detail["history"]
                ],
            }
        )

    @extend_schema(request=s.LabelProposalSerializer, responses={201: s.LabelDecisionSerializer})
    @action(detail=True, methods=["post"], url_path="label-proposals")
    def label_proposals(self, request, pk=None):
        site = self.get_object()
        data = s.LabelProposalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = label_propose(actor=self.actor, site=site, **data.validated_data)
        return Response(s.LabelDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class TerrainViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Terrain.objects.select_related("site_eco")
    queryset = Terrain.objects.none()
    serializer_class = s.TerrainSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.actor}

    def get_queryset(self):
        qs = super().get_queryset().order_by("terr_id", "pk")
        site = self.request.query_params.get("site")
        if site is not None:
            site_id = parse_id(site)
            if site_id is None:
                raise UserError(
                    "Paramètre « site » invalide : l'identifiant numérique d'un site est attendu."
                )
            qs = qs.filter(site_eco_id=site_id)
        return qs

    @extend_schema(parameters=[OpenApiParameter("site", int, description="identifiant du site")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, *args, **kwargs):
        terrain = self.get_object()
        data = self.get_serializer(terrain).data
        data["availability"] = av.classify(terrain)
        data["readiness"] = readiness_for_terrain(terrain, terrain.site_eco).as_dict()
        return Response(data)

    @extend_schema(
        request=s.TerrainUpdateSerializer,
        responses={200: s.TerrainSerializer},
        description="Modifie un terrain ; les valeurs sont validées exactement comme à l'import d'un fichier.",
    )
    def partial_update(self, request, *args, **kwargs):
        terrain = self.get_object()
        data = s.TerrainUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terrain, _ = terrain_update(actor=self.actor, terrain=terrain, changes=data.validated_data["changes"])
        return Response(self.get_serializer(terrain).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # only PATCH
        return self.partial_update(request, *args, **kwargs)


class FricheViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Friche.objects.all()
    queryset = Friche.objects.none()
    serializer_class = s.FricheSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.actor}

    def get_queryset(self):
        return super().get_queryset().order_by("site_nom", "pk")


class LabelDecisionViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """Label proposals and decisions on the sites visible to the caller."""

    serializer_class = s.LabelDecisionSerializer
    queryset = LabelDecision.objects.none()

    def get_queryset(self):
        visible = sel.sites_visible(self.actor).values("pk")
        return LabelDecision.objects.filter(site__in=visible).order_by("-proposed_on", "-id")

    @extend_schema(request=s.LabelDecisionInputSerializer, responses={200: s.LabelDecisionSerializer})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        decision = self.get_object()
        data = s.LabelDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = label_decide(actor=self.actor, decision=decision, **data.validated_data)
        return Response(s.LabelDecisionSerializer(decision).data)


class IndicatorsView(ActorMixin, APIView):
    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        description="Indicateurs fonciers d'un territoire : level = epci, departement, region ou perimeter.",
    )
    def get(self, request, level: str, key: str):
        if level not in ("epci", "departement", "region", "perimeter"):
            return Response({"detail": "Introuvable."}, status=status.HTTP_404_NOT_FOUND)
        territory = sel.territory_resolve(self.actor, level=level, key=key)
        return Response(sel.territory_indicators(self.actor, territory))


class DashboardView(ActorMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("region", str, description="code INSEE de la région (par défaut celle de l'instance)")],
        responses=OpenApiTypes.OBJECT,
        description="Foncier disponible par EPCI et par département d'une région.",
    )
    def get(self, request):
        region = request.query_params.get("region") or instance_region_code()
        return Response(sel.regional_dashboard(self.actor, region_code=region[:3]))


class LayersView(ActorMixin, APIView):
    @extend_schema(
        parameters=SITE_FILTERS,
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        description="Couches GeoJSON « sites », « terrains » (couleur selon la disponibilité) et « friches ».",
    )
    def get(self, request):
        sites = sel.site_list(self.actor, **_site_filters(request))
        layers = sel.map_layers(self.actor, sites=Site.objects.filter(pk__in=[x.pk for x in sites]))
        audit_record(
            actor=self.actor,
            action=AuditEvent.Action.EXPORT,
            object_type="land.site",
            details={"format": "geojson", "count": len(sites)},
        )
        return Response(layers)


__all__ = [
    "DashboardView",
    "FricheViewSet",
    "IndicatorsView",
    "LabelDecisionViewSet",
    "LayersView",
    "SiteViewSet",
    "TerrainViewSet",
]

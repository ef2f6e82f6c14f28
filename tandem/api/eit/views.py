"""Industrial ecology API: flows and synergies (CRUD under the permission layer) and the detection.

`/api/v1/eit/flows/`, `/api/v1/eit/synergies/`, `POST /api/v1/eit/detect/`. The same services, selectors and
permission layer as the web pages: what the caller may not see answers 404, a refused write 403 in French."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.companies.models import Establishment
from tandem.core.errors import UserError
from tandem.eit import detection as det
from tandem.eit.models import EstimatedFlow, Flow, Synergy
from tandem.eit.selectors import estimated_flows_for, synergy_history
from tandem.eit.services import (
    FLOW_FIELDS,
    flow_create,
    flow_delete,
    flow_update,
    synergy_agreement_set,
    synergy_create,
    synergy_delete,
    synergy_stage_move,
)
from tandem.organizations.models import Organization
from tandem.organizations.perms import get_visible_or_404

MAX_ID = 2**31 - 1


class FlowSerializer(serializers.ModelSerializer):
    hazardous = serializers.SerializerMethodField()

    class Meta:
        model = Flow
        fields = [
            "id",
            "establishment",
            "owner",
            "commune",
            "ewc",
            "hazardous",
            *[f for f in FLOW_FIELDS if f != "ewc_id"],
        ]
        read_only_fields = ["id", "owner", "commune", "hazardous"]

    def get_hazardous(self, flow) -> bool:
        return bool(flow.ewc_id and flow.ewc.hazardous)


class FlowWriteSerializer(serializers.ModelSerializer):
    owner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="organisation qui enregistre le flux"
    )
    establishment = serializers.CharField(max_length=14, help_text="SIRET")
    ewc = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")

    class Meta:
        model = Flow
        fields = ["owner", "establishment", "ewc", *[f for f in FLOW_FIELDS if f != "ewc_id"]]


class FlowViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Flows of establishments the caller may see (owner, the company's référent organisation, the
    territory's facilitators)."""

    base_queryset = Flow.objects.select_related("ewc").order_by("pk")
    queryset = Flow.objects.none()
    serializer_class = FlowSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        for param, lookup in (
            ("siren", "establishment__company_id"),
            ("direction", "direction"),
            ("kind", "kind"),
        ):
            value = self.request.query_params.get(param)
            if value:
                qs = qs.filter(**{lookup: value})
        return qs

    @extend_schema(request=FlowWriteSerializer, responses={201: FlowSerializer})
    def create(self, request, *args, **kwargs):
        data = FlowWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        owner = Organization.objects.filter(pk=fields.pop("owner")).first()
        establishment = Establishment.objects.filter(pk=fields.pop("establishment")).first()
        if owner is None or establishment is None:
            raise UserError("Organisation ou établissement inconnu.")
        fields["ewc_id"] = fields.pop("ewc", "") or None
        flow = flow_create(actor=self.actor, owner=owner, establishment=establishment, **fields)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FlowWriteSerializer, responses={200: FlowSerializer})
    def partial_update(self, request, *args, **kwargs):
        flow = self.get_object()
        data = FlowWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "owner" in fields or "establishment" in fields:
            raise UserError("L'organisation et l'établissement d'un flux ne se modifient pas.")
        if "ewc" in fields:
            fields["ewc_id"] = fields.pop("ewc") or None
        flow = flow_update(actor=self.actor, flow=flow, **fields)
        return Response(FlowSerializer(flow).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        flow_delete(actor=self.actor, flow=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SynergySerializer(serializers.ModelSerializer):
    history = serializers.SerializerMethodField()

    class Meta:
        model = Synergy
        fields = [
            "id",
            "owner",
            "supplier_flow",
            "receiver_flow",
            "kind",
            "title",
            "stage",
            "stage_since",
            "score",
            "quantity",
            "unit",
            "road_km",
            "co2e_t",
            "money_eur",
            "reasons",
            "supplier_agreed_on",
            "receiver_agreed_on",
            "notes",
            "history",
        ]
        read_only_fields = fields

    def get_history(self, synergy) -> list[dict]:
        return [
            {
                "from_stage": h.from_stage,
                "to_stage": h.to_stage,
                "on": h.on.isoformat(),
                "by": h.by.username if h.by else "",
                "organization": h.organization.name if h.organization else "",
                "notes": h.notes,
            }
            for h in synergy_history(synergy)
        ]


class SynergyCreateSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    supplier_flow = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="offre du fournisseur")
    receiver_flow = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="besoin du receveur")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class SynergyUpdateSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Synergy.Stage.choices, required=False)
    on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    supplier_agreed_on = serializers.DateField(required=False, allow_null=True)
    receiver_agreed_on = serializers.DateField(required=False, allow_null=True)


class SynergyViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Synergies the caller may see; a stage move (PATCH `stage`) is recorded in the history."""

    base_queryset = Synergy.objects.order_by("pk")
    queryset = Synergy.objects.none()
    serializer_class = SynergySerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        stage = self.request.query_params.get("stage")
        return qs.filter(stage=stage) if stage else qs

    @extend_schema(request=SynergyCreateSerializer, responses={201: SynergySerializer})
    def create(self, request, *args, **kwargs):
        data = SynergyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        owner = Organization.objects.filter(pk=v["owner"]).first()
        if owner is None:
            raise UserError("Organisation inconnue.")
        supplier = get_visible_or_404(self.actor, Flow.objects.all(), pk=v["supplier_flow"])
        receiver = get_visible_or_404(self.actor, Flow.objects.all(), pk=v["receiver_flow"])
        synergy = synergy_create(
            actor=self.actor, owner=owner, supplier_flow=supplier, receiver_flow=receiver, notes=v["notes"]
        )
        return Response(SynergySerializer(synergy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SynergyUpdateSerializer, responses={200: SynergySerializer})
    def partial_update(self, request, *args, **kwargs):
        synergy = self.get_object()
        data = SynergyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if "stage" in v:
            synergy = synergy_stage_move(
                actor=self.actor, synergy=synergy, stage=v["stage"], on=v["on"], notes=v["notes"]
            )
        for side in ("supplier", "receiver"):
            if f"{side}_agreed_on" in v:
                synergy = synergy_agreement_set(
                    actor=self.actor, synergy=synergy, side=side, on=v[f"{side}_agreed_on"]
                )
        return Response(
            SynergySerializer(get_visible_or_404(self.actor, Synergy.objects.all(), pk=synergy.pk)).data
        )

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        synergy_delete(actor=self.actor, synergy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DetectRequestSerializer(serializers.Serializer):
    epci = serializers.CharField(required=False, max_length=9, help_text="SIREN de l'EPCI")
    perimeter = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    siret = serializers.CharField(
        required=False, max_length=14, help_text="rayon autour de cet établissement"
    )
    siren = serializers.CharField(required=False, max_length=9, help_text="synergies de cette entreprise")
    radius_km = serializers.FloatField(
        required=False, min_value=0.1, max_value=det.MAX_RADIUS_KM, default=det.DEFAULT_RADIUS_KM
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)
    with_estimates = serializers.BooleanField(
        required=False,
        default=False,
        help_text="inclure les flux estimés d'après l'activité et l'effectif (identifiants « e<n> »)",
    )


def _flow_ref(flow_id: str):
    """A recorded flow's id (integer), or an estimated flow's « e<n> » (n: its id in /eit/estimated-flows/)."""
    return flow_id if det.is_estimate_id(flow_id) else int(flow_id)


class EstimatedFlowSerializer(serializers.ModelSerializer):
    origin = serializers.SerializerMethodField()
    hazardous = serializers.SerializerMethodField()
    # Empty when the estimate names none: declared so the schema admits "" (a read-only model field loses it).
    resource = serializers.ChoiceField(choices=Flow.Resource.choices, allow_blank=True, read_only=True)
    water_class = serializers.ChoiceField(choices=Flow.WaterClass.choices, allow_blank=True, read_only=True)

    class Meta:
        model = EstimatedFlow
        fields = [
            "id",
            "establishment",
            "commune",
            "origin",
            "direction",
            "kind",
            "ewc",
            "hazardous",
            "resource",
            "label",
            "quantity",
            "unit",
            "temperature_c",
            "water_class",
            "legal_status",
            "confidence",
            "naf",
            "headcount_band",
            "headcount",
            "factor_source",
            "computed_at",
        ]
        read_only_fields = fields

    def get_origin(self, flow) -> str:
        return "estimated"

    def get_hazardous(self, flow) -> bool:
        return bool(flow.ewc_id and flow.ewc.hazardous)


class EstimatedFlowViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """Flows estimated from an establishment's NAF code and headcount band (never recorded flows): origin
    « estimated », with their confidence and the source of their factors. Read-only; visible to the
    territory's EIT facilitators and the company's référent organisation."""

    queryset = EstimatedFlow.objects.none()
    serializer_class = EstimatedFlowSerializer

    def get_queryset(self):
        params = self.request.query_params
        return estimated_flows_for(
            self.actor,
            siren=params.get("siren", ""),
            direction=params.get("direction", ""),
            kind=params.get("kind", ""),
        ).order_by("pk")


class DetectView(ActorMixin, APIView):
    @extend_schema(
        request=DetectRequestSerializer,
        responses=inline_serializer(
            "DetectResponse",
            {
                "territory": serializers.CharField(),
                "flows": serializers.IntegerField(),
                "suggestions": serializers.ListField(child=serializers.DictField()),
                "exclusions": serializers.ListField(child=serializers.DictField()),
                "pools": serializers.ListField(child=serializers.DictField()),
            },
        ),
        description="Synergies proposées, classées, avec leurs raisons, parmi les flux que vous pouvez voir.",
    )
    def post(self, request):
        data = DetectRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("epci"):
            territory = det.territory_for_epci(v["epci"])
        elif v.get("perimeter"):
            territory = det.territory_for_perimeter(self.actor, v["perimeter"])
        elif v.get("siret"):
            territory = det.territory_around(v["siret"], v["radius_km"])
        elif v.get("siren"):
            territory = det.territory_for_company(v["siren"], v["radius_km"])
        else:
            raise UserError(
                "Territoire attendu : « epci », « perimeter », « siret » (avec « radius_km ») ou « siren »."
            )
        result = det.run_detection(
            self.actor, territory, limit=v["limit"], with_estimates=v["with_estimates"]
        )
        suggestions = []
        for s in result.suggestions:
            existing = result.existing.get((s.offer_id, s.need_id))
            suggestions.append(
                {
                    "supplier": s.supplier,
                    "receiver": s.receiver,
                    "supplier_flow": _flow_ref(s.offer_id),
                    "receiver_flow": _flow_ref(s.need_id),
                    "supplier_estimated": det.is_estimate_id(s.offer_id),
                    "receiver_estimated": det.is_estimate_id(s.need_id),
                    "kind": s.kind,
                    "ewc": s.ewc,
                    "label": s.label,
                    **det.suggestion_figures(s),
                    "reasons": s.reasons,
                    "synergy": existing.pk if existing else None,
                }
            )
        return Response(
            {
                "territory": territory.label,
                "flows": result.flows_count,
                "suggestions": suggestions,
                "exclusions": [
                    {
                        "supplier_flow": _flow_ref(e.offer_id),
                        "receiver_flow": _flow_ref(e.need_id),
                        "reason": e.reason,
                    }
                    for e in result.detection.exclusions[:200]
                ],
                "pools": [
                    {
                        "label": p.label,
                        "perimeter": p.perimeter,
                        "members": p.actors,
                        "volume": p.volume,
                        "unit": p.unit,
                        "reasons": p.reasons,
                    }
                    for p in result.detection.pools[:100]
                ],
            }
        )


router = SimpleRouter(trailing_slash=True)
router.register("eit/flows", FlowViewSet, basename="eit-flow")
router.register("eit/synergies", SynergyViewSet, basename="eit-synergy")
router.register("eit/estimated-flows", EstimatedFlowViewSet, basename="eit-estimated-flow")

urlpatterns = [
    path("eit/detect/", DetectView.as_view(), name="eit-detect"),
    *router.urls,
]

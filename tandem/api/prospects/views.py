"""Prospects and matching endpoints: thin, through the prospects' selectors, services and permission rules."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.base import ActorMixin
from tandem.api.prospects import serializers as s
from tandem.core.errors import UserError
from tandem.core.ids import id_or_404
from tandem.organizations.models import Organization
from tandem.prospects import selectors, services
from tandem.prospects.matching import CRITERIA, ICPE_LEVELS, SEVESO_LEVELS, MatchingInputError, Requirements
from tandem.prospects.models import Proposal, Prospect
from tandem.prospects.value import decision_record, project_value
from tandem.territories.selectors import instance_region_code


def _matching_response(ranking, results: list[dict], include_excluded: bool) -> dict:
    return {
        "count": ranking.count(include_excluded),
        "examined": ranking.count(True),
        "exclusions": ranking.exclusions(),
        "results": results,
        "stability": ranking.stability,
        "weights": {k: float(w) for k, w in zip(CRITERIA, ranking.weights, strict=True)},
    }


class MatchingView(ActorMixin, APIView):
    """Stateless matching: requirements in, the explained ranking of the candidates the caller may see out."""

    @extend_schema(request=s.MatchingRequestSerializer, responses=s.MatchingResponseSerializer)
    def post(self, request):
        serializer = s.MatchingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            requirements = Requirements(
                surface_min_ha=data["surface_min_ha"],
                surface_ideal_ha=data["surface_ideal_ha"],
                extension_margin_ha=data["extension_margin_ha"],
                power_mw=data["power_mw"],
                water_m3h=max(data["water_m3h"], data["water_m3d"] / 24),
                gas_required=data["gas_required"],
                wastewater_m3d=data["wastewater_m3d"],
                rail_required=data["rail_required"],
                waterway_required=data["waterway_required"],
                max_motorway_km=data["max_motorway_km"],
                max_station_km=data["max_station_km"],
                max_airport_km=data["max_airport_km"],
                icpe_regime=ICPE_LEVELS.index(data["icpe_regime"]),
                seveso=SEVESO_LEVELS.index(data["seveso"]),
                needed_by=data["needed_by"],
                naf=data["naf"],
                epcis=tuple(data["epcis"]),
                excluded_epcis=tuple(data["excluded_epcis"]),
                weights=data["weights"],
            )
            ranking, results = selectors.matching_results(
                actor=self.actor,
                requirements=requirements,
                region=data["region"],
                limit=data["limit"],
                include_excluded=data["include_excluded"],
            )
        except MatchingInputError as exc:
            raise UserError(str(exc)) from exc
        return Response(_matching_response(ranking, results, data["include_excluded"]))


class PipelineView(ActorMixin, APIView):
    @extend_schema(responses=s.PipelineSerializer)
    def get(self, request):
        return Response(selectors.prospect_pipeline(actor=self.actor))


class ProspectViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Confidential: only the task force sees a prospect; anyone else gets 404. Every read is audited."""

    queryset = Prospect.objects.none()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.ProspectUpdateSerializer
        return s.ProspectSerializer

    def get_queryset(self):
        return selectors.prospect_list(actor=self.actor).prefetch_related(
            "members", "shared_with", "preferred_epcis", "excluded_epcis"
        )

    def get_object(self):
        return selectors.prospect_get(actor=self.actor, pk=id_or_404(self.kwargs["pk"]), purpose=self.action)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        preferred = data.pop("preferred_epcis", [])
        excluded = data.pop("excluded_epcis", [])
        owner = data.pop("owner")
        serializer.instance = services.prospect_create(
            actor=self.actor, owner=owner, preferred_epcis=preferred, excluded_epcis=excluded, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        preferred = data.pop("preferred_epcis", None)
        excluded = data.pop("excluded_epcis", None)
        prospect = serializer.instance
        services.prospect_update(actor=self.actor, prospect=prospect, **data)
        if preferred is not None:
            prospect.preferred_epcis.set(preferred)
        if excluded is not None:
            prospect.excluded_epcis.set(excluded)

    @extend_schema(request=s.ShareSerializer, responses=s.ProspectSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        prospect = self.get_object()
        serializer = s.ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organizations = list(Organization.objects.filter(pk__in=data["organizations"]))
        if len(organizations) != len(set(data["organizations"])):
            raise UserError("Organisation inconnue dans « organizations ».")
        services.prospect_share(
            actor=self.actor,
            prospect=prospect,
            organizations=organizations,
            members=services.users_by_username(data["members"]),
        )
        return Response(s.ProspectSerializer(prospect).data)

    @extend_schema(request=s.StatusSerializer, responses=s.StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def status(self, request, pk=None):
        prospect = self.get_object()
        if request.method == "POST":
            serializer = s.StatusSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.prospect_set_status(actor=self.actor, prospect=prospect, **serializer.validated_data)
        return Response(s.StatusChangeSerializer(prospect.status_changes.all(), many=True).data)

    @extend_schema(request=None, responses=s.MatchingResponseSerializer)
    @action(detail=True, methods=["get"])
    def matching(self, request, pk=None):
        prospect = self.get_object()
        requirements = services.requirements_of(
            prospect, epcis=tuple(prospect.preferred_epcis.values_list("pk", flat=True))
        )
        region = None if requirements.epcis else prospect.owner.region_id or instance_region_code()
        ranking, results = selectors.matching_results(
            actor=self.actor, requirements=requirements, region=region
        )
        return Response(_matching_response(ranking, results, False))

    def _proposal_param(self, prospect, value):
        if value in (None, ""):
            return None
        try:
            return prospect.proposals.get(pk=id_or_404(value))
        except Proposal.DoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(
        parameters=[OpenApiParameter("proposal", int, description="proposition (site retenu) à évaluer")],
        responses=s.ValueSerializer,
    )
    @action(detail=True, methods=["get"])
    def value(self, request, pk=None):
        prospect = self.get_object()
        proposal = self._proposal_param(prospect, request.query_params.get("proposal"))
        return Response(project_value(actor=self.actor, prospect=prospect, proposal=proposal))

    @extend_schema(request=s.DecisionSerializer, responses=s.DecisionSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def decisions(self, request, pk=None):
        prospect = self.get_object()
        if request.method == "POST":
            serializer = s.DecisionSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            decision_record(
                actor=self.actor,
                prospect=prospect,
                outcome=data["outcome"],
                reason=data["reason"],
                proposal=self._proposal_param(prospect, data.get("proposal")),
            )
        return Response(s.DecisionSerializer(prospect.decisions.select_related("by"), many=True).data)

    @extend_schema(request=s.ProposalSerializer, responses=s.ProposalSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def proposals(self, request, pk=None):
        prospect = self.get_object()
        if request.method == "POST":
            serializer = s.ProposalSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            services.proposal_create(actor=self.actor, prospect=prospect, **data)
        return Response(s.ProposalSerializer(selectors.proposals_of(prospect), many=True).data)

    @extend_schema(request=s.ShortlistSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"], url_path=r"proposals/(?P<proposal_id>\d+)/shortlist")
    def shortlist(self, request, pk=None, proposal_id=None):
        prospect = self.get_object()
        proposal = prospect.proposals.filter(pk=proposal_id).first()
        if proposal is None:
            raise Http404
        serializer = s.ShortlistSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.proposal_shortlist(
            actor=self.actor, proposal=proposal, shortlisted=serializer.validated_data["shortlisted"]
        )
        return Response(s.ProposalSerializer(proposal).data, status=status.HTTP_200_OK)

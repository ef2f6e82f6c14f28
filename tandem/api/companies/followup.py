"""Follow-up API: a company's shared timeline, exchanges, needs, Parcours journeys and indicators, project
reviews and the signals workflow. The same services, selectors and permission layer as the web pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.companies.followup import exchange_create
from tandem.companies.models import Company, Exchange, Need, ParcoursJourney, ProjectReview, Signal
from tandem.companies.parcours import parcours_indicators
from tandem.companies.reviews import review_agenda_for
from tandem.companies.selectors_followup import company_timeline
from tandem.companies.signals_workflow import signal_acknowledge, signal_act, signal_dismiss
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import get_visible_or_404

# --- serializers --------------------------------------------------------------------------------------------


class TimelineEventSerializer(serializers.Serializer):
    on = serializers.DateField()
    kind = serializers.CharField()
    title = serializers.CharField()
    organization = serializers.CharField()
    detail = serializers.CharField(help_text="vide quand le contenu n'est pas partagé avec vous")
    private = serializers.BooleanField()


class ExchangeReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Exchange
        fields = ["id", "company", "owner", "visibility", "kind", "happened_on", "topic", "notes", "commune"]
        read_only_fields = fields


class ExchangeCreateSerializer(serializers.Serializer):
    company = serializers.CharField(max_length=9, help_text="SIREN")
    owner = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="organisation au nom de laquelle l'échange est consigné"
    )
    kind = serializers.ChoiceField(choices=Exchange.Kind.choices)
    happened_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)


class NeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = [
            "id",
            "company",
            "owner",
            "visibility",
            "topic",
            "title",
            "description",
            "status",
            "due_on",
            "commune",
        ]
        read_only_fields = fields


class ParcoursStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    status = serializers.CharField()
    started_on = serializers.DateField()
    completed_on = serializers.DateField(allow_null=True)
    provider = serializers.CharField(source="provider.name", allow_null=True, default=None)
    aid_granted = serializers.BooleanField()
    aid_amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class ParcoursJourneySerializer(serializers.ModelSerializer):
    steps = ParcoursStepSerializer(many=True, read_only=True)

    class Meta:
        model = ParcoursJourney
        fields = [
            "id",
            "company",
            "owner",
            "visibility",
            "entered_on",
            "current_step",
            "status",
            "commune",
            "steps",
        ]
        read_only_fields = fields


class AgendaItemSerializer(serializers.Serializer):
    rule = serializers.CharField()
    company = serializers.CharField(source="company_id")
    label = serializers.CharField()
    on = serializers.DateField(allow_null=True)


class ReviewActionSerializer(serializers.Serializer):
    text = serializers.CharField()
    company = serializers.CharField(source="company_id", allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    carried_from = serializers.IntegerField(source="carried_from_id", allow_null=True)


class ReviewSerializer(serializers.ModelSerializer):
    agenda = serializers.SerializerMethodField()
    actions = ReviewActionSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectReview
        fields = [
            "id",
            "owner",
            "visibility",
            "title",
            "held_on",
            "since",
            "stall_days",
            "area_perimeter",
            "area_organization",
            "previous",
            "minutes",
            "agenda",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda(self, review) -> list:
        """The agenda as the caller sees it: items about objects they may not see are left out."""
        lines = review_agenda_for(actor=self.context["view"].actor, review=review)
        return AgendaItemSerializer(lines, many=True).data


class SignalDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["acknowledge", "act", "dismiss"])
    action = serializers.ChoiceField(
        choices=Signal.Action.choices, required=False, allow_blank=True, default=""
    )
    reason = serializers.ChoiceField(
        choices=Signal.DismissalReason.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class SignalStateSerializer(serializers.ModelSerializer):
    # Empty unless the signal was dismissed: declared so the schema admits "" (a read-only model field loses it).
    dismissal_reason = serializers.ChoiceField(
        choices=Signal.DismissalReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Signal
        fields = [
            "id",
            "company",
            "source",
            "rule",
            "category",
            "observed_on",
            "status",
            "action",
            "dismissal_reason",
        ]
        read_only_fields = fields


# --- views ------------------------------------------------------------------------------------------------------


class CompanyTimelineView(ActorMixin, APIView):
    @extend_schema(
        responses=TimelineEventSerializer(many=True), summary="Chronologie partagée d'une entreprise"
    )
    def get(self, request, siren: str):
        if not (len(siren) == 9 and siren.isascii() and siren.isdigit()):
            raise Http404
        company = get_object_or_404(Company, pk=siren)
        return Response(TimelineEventSerializer(company_timeline(self.actor, company), many=True).data)


class ExchangeViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Exchange.objects.order_by("-happened_on", "-pk")
    queryset = Exchange.objects.none()

    def get_serializer_class(self):
        return ExchangeCreateSerializer if self.action == "create" else ExchangeReadSerializer

    @extend_schema(request=ExchangeCreateSerializer, responses={201: ExchangeReadSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ExchangeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        company = Company.objects.filter(pk=data["company"]).first()
        # An unknown company or organisation is bad input (400); a known organisation the caller may not
        # write for is refused by the permission layer (403).
        owner = Organization.objects.filter(pk=data["owner"]).first()
        if company is None or owner is None:
            raise serializers.ValidationError({"detail": "Entreprise ou organisation introuvable."})
        exchange = exchange_create(
            actor=self.actor,
            owner=owner,
            company=company,
            kind=data["kind"],
            happened_on=data["happened_on"],
            topic=data["topic"],
            notes=data["notes"],
            visibility=data["visibility"],
        )
        return Response(ExchangeReadSerializer(exchange).data, status=201)


class NeedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Need.objects.order_by("due_on", "pk")
    queryset = Need.objects.none()
    serializer_class = NeedSerializer


class ParcoursJourneyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = ParcoursJourney.objects.prefetch_related("steps__provider").order_by("-entered_on", "pk")
    queryset = ParcoursJourney.objects.none()
    serializer_class = ParcoursJourneySerializer


class ParcoursIndicatorsView(ActorMixin, APIView):
    @extend_schema(
        responses=inline_serializer(
            "ParcoursIndicators",
            {
                "total": serializers.IntegerField(),
                "active": serializers.IntegerField(),
                "target": serializers.IntegerField(),
                "target_year": serializers.IntegerField(),
                "progress_pct": serializers.FloatField(),
                "needed_per_year": serializers.IntegerField(),
                "by_year": serializers.ListField(child=serializers.DictField()),
                "by_departement": serializers.ListField(child=serializers.DictField()),
                "by_epci": serializers.ListField(child=serializers.DictField()),
                "steps": serializers.ListField(child=serializers.DictField()),
                "aid_total_eur": serializers.DecimalField(max_digits=16, decimal_places=2),
            },
        ),
        summary="Indicateurs du Parcours de Transformation",
    )
    def get(self, request):
        ind = parcours_indicators(actor=self.actor)
        return Response({**ind.__dict__, "aid_total_eur": str(ind.aid_total_eur)})


class ReviewViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = ProjectReview.objects.prefetch_related("agenda", "actions").order_by("-held_on", "-pk")
    queryset = ProjectReview.objects.none()
    serializer_class = ReviewSerializer


class SignalDecisionView(ActorMixin, APIView):
    @extend_schema(
        request=SignalDecisionSerializer, responses=SignalStateSerializer, summary="Traiter un signal"
    )
    def post(self, request, pk: int):
        signal = get_visible_or_404(self.actor, Signal.objects.all(), pk=pk)
        serializer = SignalDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["decision"] == "acknowledge":
            signal_acknowledge(actor=self.actor, signal=signal, note=data["note"])
        elif data["decision"] == "act":
            signal_act(actor=self.actor, signal=signal, action=data["action"], note=data["note"])
        else:
            signal_dismiss(actor=self.actor, signal=signal, reason=data["reason"], note=data["note"])
        return Response(SignalStateSerializer(signal).data)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("exchanges", ExchangeViewSet, basename="exchange")
router.register("needs", NeedViewSet, basename="need")
router.register("parcours-journeys", ParcoursJourneyViewSet, basename="parcours-journey")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = [
    path("companies/<str:siren>/timeline/", CompanyTimelineView.as_view(), name="company-timeline"),
    path("parcours/indicators/", ParcoursIndicatorsView.as_view(), name="parcours-indicators"),
    path("signals/<int:pk>/decision/", SignalDecisionView.as_view(), name="signal-decision"),
    path("", include(router.urls)),
]

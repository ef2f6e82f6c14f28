"""Catalogue and need-routing API: `/api/v1/catalogue/schemes|operators/` (read), `/api/v1/needs/routings/`
(routings the caller may see; send, take, refuse, close) and `/api/v1/needs/<id>/proposals/` (schemes that fit
the company and partners covering it). The same selectors, services and permission layer as the web pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme
from tandem.catalogue.selectors import need_subjects, partners_for, scheme_search, schemes_for_company
from tandem.catalogue.services import routing_close, routing_refuse, routing_send, routing_take
from tandem.companies.models import Need
from tandem.core.errors import UserError
from tandem.organizations.perms import get_visible_or_404

MAX_ID = 2**31 - 1


class OperatorSerializer(serializers.ModelSerializer):
    subjects = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Operator
        fields = [
            "slug",
            "name",
            "siren",
            "kind",
            "category",
            "website",
            "email",
            "organization",
            "subjects",
            "min_employees",
            "max_employees",
            "naf_sections",
            "min_age_years",
            "get_programme",
            "skills",
            "is_demo",
        ]


class OfficeSerializer(serializers.ModelSerializer):
    departements = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    operator = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Office
        fields = ["id", "operator", "name", "address", "email", "organization", "departements", "is_demo"]


class SchemeSerializer(serializers.ModelSerializer):
    operator = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    subjects = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "slug",
            "source",
            "title",
            "promise",
            "nature",
            "operator",
            "amount",
            "valid_from",
            "valid_until",
            "national",
            "regions",
            "beneficiaries",
            "objectives",
            "subjects",
            "url",
            "published",
            "is_demo",
        ]


class SchemeViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """Support schemes (reference data of the instance). Filters: q, subject, region (INSEE code), operator (id),
    nature."""

    serializer_class = SchemeSerializer
    lookup_field = "slug"
    queryset = Scheme.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        operator = params.get("operator", "")
        return scheme_search(
            text=params.get("q", "")[:200],
            subject=params.get("subject", "")[:80],
            region=params.get("region", "")[:3],
            operator=int(operator) if operator.isdigit() and int(operator) <= MAX_ID else None,
            nature=params.get("nature", "")[:12],
        ).prefetch_related("subjects")


class OperatorViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OperatorSerializer
    lookup_field = "slug"
    queryset = Operator.objects.prefetch_related("subjects").order_by("name")

    @extend_schema(responses=OfficeSerializer(many=True))
    @action(detail=True)
    def offices(self, request, slug=None):
        operator = get_object_or_404(Operator, slug=slug)
        return Response(OfficeSerializer(operator.offices.prefetch_related("departements"), many=True).data)


class RoutingSerializer(serializers.ModelSerializer):
    # Empty until the routing is closed: declared so the schema admits "" (a read-only model field loses it).
    outcome = serializers.ChoiceField(choices=NeedRouting.Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = NeedRouting
        fields = [
            "id",
            "need",
            "company",
            "owner",
            "partner",
            "office",
            "scheme",
            "message",
            "status",
            "sent_on",
            "answered_on",
            "closed_on",
            "outcome",
            "amount_eur",
            "answer",
        ]
        read_only_fields = fields


class RoutingCreateSerializer(serializers.Serializer):
    need = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    office = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    scheme = serializers.SlugField(required=False, allow_blank=True, max_length=200)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    outcome = serializers.ChoiceField(choices=NeedRouting.Outcome.choices, required=False)
    amount_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0
    )


class RoutingViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Routings of needs the caller may see (its organisation's, those sent to it, the Région's)."""

    base_queryset = NeedRouting.objects.order_by("-sent_on", "-pk")
    lookup_value_regex = r"[0-9]{1,9}"
    queryset = NeedRouting.objects.none()
    serializer_class = RoutingSerializer

    def _error(self, error: UserError) -> Response:
        return Response({"detail": error.message}, status=status.HTTP_400_BAD_REQUEST)

    @extend_schema(request=RoutingCreateSerializer, responses={201: RoutingSerializer})
    def create(self, request, *args, **kwargs):
        data = RoutingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need = get_visible_or_404(self.actor, Need.objects.all(), pk=data.validated_data["need"])
        office = get_object_or_404(Office, pk=data.validated_data["office"])
        scheme = Scheme.objects.filter(slug=data.validated_data.get("scheme") or "").first()
        try:
            routing = routing_send(
                actor=self.actor,
                need=need,
                office=office,
                scheme=scheme,
                message=data.validated_data.get("message", ""),
            )
        except UserError as error:
            return self._error(error)
        return Response(RoutingSerializer(routing).data, status=status.HTTP_201_CREATED)

    def _answer(self, request, pk, what):
        routing = self.get_object()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            if what == "take":
                routing_take(actor=self.actor, routing=routing)
            elif what == "refuse":
                routing_refuse(actor=self.actor, routing=routing, answer=values.get("answer", ""))
            else:
                if "outcome" not in values:
                    raise UserError("Indiquez le résultat (champ « outcome »).")
                routing_close(
                    actor=self.actor,
                    routing=routing,
                    outcome=values["outcome"],
                    amount_eur=values.get("amount_eur"),
                    answer=values.get("answer", ""),
                )
        except UserError as error:
            return self._error(error)
        return Response(RoutingSerializer(routing).data)

    @extend_schema(request=AnswerSerializer, responses=RoutingSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        return self._answer(request, pk, "take")

    @extend_schema(request=AnswerSerializer, responses=RoutingSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._answer(request, pk, "refuse")

    @extend_schema(request=AnswerSerializer, responses=RoutingSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._answer(request, pk, "close")


class NeedProposalsView(ActorMixin, APIView):
    """The schemes that fit the need's company (eligible first, with their status and questions) and the offices
    covering its commune for the need's subjects."""

    @extend_schema(
        responses=inline_serializer(
            "NeedProposals",
            {
                "schemes": serializers.ListField(child=serializers.DictField()),
                "offices": OfficeSerializer(many=True),
            },
        )
    )
    def get(self, request, pk: int):
        if pk > MAX_ID:
            raise Http404
        need = get_visible_or_404(self.actor, Need.objects.select_related("company"), pk=pk)
        fits = schemes_for_company(need.company, need=need, today=timezone.localdate())
        offices = partners_for(need.company, commune_code=need.commune_id, subjects=need_subjects(need))
        return Response(
            {
                "schemes": [
                    {
                        "slug": f.scheme.slug,
                        "title": f.scheme.title,
                        "status": f.eligibility.status_label,
                        "questions": list(f.eligibility.questions),
                        "criteria": [c.sentence for c in f.eligibility.criteria],
                    }
                    for f in fits
                ],
                "offices": OfficeSerializer(offices, many=True).data,
            }
        )


catalogue_router = SimpleRouter(trailing_slash=True)
catalogue_router.register("catalogue/schemes", SchemeViewSet, basename="catalogue-scheme")
catalogue_router.register("catalogue/operators", OperatorViewSet, basename="catalogue-operator")
catalogue_router.register("needs/routings", RoutingViewSet, basename="need-routing")

urlpatterns = [
    path("needs/<int:pk>/proposals/", NeedProposalsView.as_view(), name="need-proposals"),
    *catalogue_router.urls,
]

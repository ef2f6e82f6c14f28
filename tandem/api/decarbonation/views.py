"""Industrial decarbonation API under `/api/v1/decarbonation/`: installations with their retained emissions,
flags and links (public registry data, every signed-in caller), the trajectory of a territory, and projects
(read and create through the permission layer; aid amounts under instruction masked by
`perms.aid_amounts_visible`). The same services and selectors as the web pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tandem.api.base import ActorMixin, ScopedViewSetMixin
from tandem.core.errors import UserError
from tandem.decarbonation import selectors as sel
from tandem.decarbonation.models import EmissionRecord, EstablishmentLink, Installation, Project, QualityFlag
from tandem.decarbonation.perms import aid_amounts_visible
from tandem.decarbonation.services import PROJECT_FIELDS, project_create
from tandem.organizations.models import Organization, Visibility

MAX_ID = 2**31 - 1


class EmissionSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = EmissionRecord
        fields = ["year", "value_t", "source", "source_label", "variant", "note"]


class FlagSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = QualityFlag
        fields = ["kind", "kind_label", "year", "reason"]


class LinkSerializer(serializers.ModelSerializer):
    siret = serializers.CharField(source="establishment_id", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = EstablishmentLink
        fields = ["siret", "method", "score", "status", "status_label", "reason"]


class InstallationSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune_id", read_only=True, allow_null=True)
    emissions = serializers.SerializerMethodField()
    flags = FlagSerializer(many=True, read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Installation
        fields = [
            "id",
            "aiot_code",
            "name",
            "operator_name",
            "siren",
            "siret",
            "postcode",
            "city",
            "commune",
            "departement_code",
            "naf",
            "sector",
            "icpe_regime",
            "seveso",
            "rubriques",
            "in_ets",
            "in_icpe",
            "in_irep",
            "is_demo",
            "point_quality",
            "emissions",
            "flags",
            "links",
        ]

    def get_emissions(self, inst) -> list[dict]:
        """The retained figure of each year (one per year, never two sources added)."""
        return EmissionSerializer([r for r in inst.emissions.all() if r.retained], many=True).data

    def get_links(self, inst) -> list[dict]:
        return LinkSerializer(
            [link for link in inst.links.all() if link.status != "rejected"], many=True
        ).data


@extend_schema(
    parameters=[
        OpenApiParameter("departement", str, description="code du département"),
        OpenApiParameter("epci", str, description="SIREN de l'EPCI"),
    ]
)
class InstallationViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """Installations (public registry data: EUTL, Géorisques, IREP)."""

    serializer_class = InstallationSerializer

    def get_queryset(self):
        qs = Installation.objects.order_by("pk").prefetch_related(
            Prefetch("emissions", queryset=EmissionRecord.objects.order_by("year")), "flags", "links"
        )
        departement = self.request.query_params.get("departement", "")
        epci = self.request.query_params.get("epci", "")
        if departement:
            qs = qs.filter(departement_code=departement[:3])
        if epci:
            qs = qs.filter(commune__epci_id=epci[:9])
        return qs


class ProjectSerializer(serializers.ModelSerializer):
    aid_requested_eur = serializers.SerializerMethodField()
    aid_granted_eur = serializers.SerializerMethodField()
    aid_per_tonne_eur = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "installation",
            "company",
            "owner",
            "visibility",
            "title",
            "lever",
            "status",
            "investment_eur",
            "aid_requested_eur",
            "aid_granted_eur",
            "aid_scheme",
            "aid_per_tonne_eur",
            "expected_t_per_year",
            "start_year",
            "realised_t_per_year",
            "is_demo",
        ]

    def _aid(self, project, value):
        return value if aid_amounts_visible(self.context["actor"], project) else None

    def get_aid_requested_eur(self, project) -> float | None:
        return self._aid(
            project, None if project.aid_requested_eur is None else float(project.aid_requested_eur)
        )

    def get_aid_granted_eur(self, project) -> float | None:
        return self._aid(project, None if project.aid_granted_eur is None else float(project.aid_granted_eur))

    def get_aid_per_tonne_eur(self, project) -> float | None:
        return self._aid(project, project.aid_per_tonne_eur)


class ProjectWriteSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    installation = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    title = serializers.CharField(max_length=200)
    lever = serializers.ChoiceField(choices=Project.Lever.choices)
    status = serializers.ChoiceField(choices=Project.Status.choices, default=Project.Status.IDEA)
    expected_t_per_year = serializers.FloatField(min_value=0, max_value=1e9)
    start_year = serializers.IntegerField(min_value=2000, max_value=2100)
    investment_eur = serializers.DecimalField(
        max_digits=14, decimal_places=0, min_value=0, required=False, allow_null=True
    )
    aid_requested_eur = serializers.DecimalField(
        max_digits=14, decimal_places=0, min_value=0, required=False, allow_null=True
    )
    aid_granted_eur = serializers.DecimalField(
        max_digits=14, decimal_places=0, min_value=0, required=False, allow_null=True
    )
    aid_scheme = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    realised_t_per_year = serializers.FloatField(min_value=0, max_value=1e9, required=False, allow_null=True)


class ProjectViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Decarbonation projects the caller may see (permission layer)."""

    base_queryset = Project.objects.order_by("pk")
    queryset = Project.objects.none()

    def get_serializer_class(self):
        return ProjectWriteSerializer if self.action == "create" else ProjectSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.actor}

    @extend_schema(request=ProjectWriteSerializer, responses=ProjectSerializer)
    def create(self, request, *args, **kwargs):
        data = ProjectWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        owner = Organization.objects.filter(pk=values.pop("owner")).first()
        installation = Installation.objects.filter(pk=values.pop("installation")).first()
        if owner is None or installation is None:
            raise serializers.ValidationError({"detail": "Organisation ou installation inconnue."})
        visibility = values.pop("visibility")
        project = project_create(
            actor=self.actor,
            owner=owner,
            installation=installation,
            visibility=visibility,
            **{k: v for k, v in values.items() if k in PROJECT_FIELDS},
        )
        return Response(ProjectSerializer(project, context={"actor": self.actor}).data, status=201)


class TrajectoryView(ActorMixin, APIView):
    """The trajectory of a territory against the −5,300 ktCO2e target (figures in tCO2e)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=list(sel.TERRITORY_KINDS), description="type de territoire"),
            OpenApiParameter("code", str, description="code INSEE, SIREN de l'EPCI ou numéro de périmètre"),
        ],
        responses=inline_serializer(
            "DecarbonationTrajectory",
            {
                "territoire": serializers.CharField(),
                "annee_reference": serializers.IntegerField(),
                "annee_cible": serializers.IntegerField(),
                "objectif_t": serializers.FloatField(),
                "mesure": serializers.DictField(child=serializers.FloatField()),
                "cible": serializers.DictField(child=serializers.FloatField()),
                "projete": serializers.DictField(child=serializers.FloatField()),
                "diffus_estime_t": serializers.FloatField(),
                "segments": serializers.DictField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        kind = request.query_params.get("type", "region")
        code = request.query_params.get("code", "") or sel.default_region_code(self.actor)
        try:
            territory = sel.territory_get(self.actor, kind, code[:12])
        except UserError as exc:
            raise serializers.ValidationError({"detail": exc.message}) from exc
        t = sel.trajectory(self.actor, territory)
        return Response(
            {
                "territoire": territory.name,
                "annee_reference": t.reference_year,
                "annee_cible": t.target_year,
                "objectif_t": t.target_t,
                "mesure": {str(k): v for k, v in t.measured.items()},
                "cible": {str(k): v for k, v in t.target.items()},
                "projete": {str(k): v for k, v in t.projected.items()},
                "diffus_estime_t": t.diffuse_estimate.tonnes,
                "segments": t.segments,
            }
        )


router = SimpleRouter(trailing_slash=True)
router.register("decarbonation/installations", InstallationViewSet, basename="decarbonation-installation")
router.register("decarbonation/projects", ProjectViewSet, basename="decarbonation-project")

urlpatterns = [
    path("decarbonation/trajectory/", TrajectoryView.as_view(), name="decarbonation-trajectory"),
    *router.urls,
]

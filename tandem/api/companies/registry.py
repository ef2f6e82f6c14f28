"""Registry API: SIRENE establishments (paginated with a `count` capped at 1,000) and companies, under the permission layer."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from tandem.api.base import ActorMixin
from tandem.api.pagination import CappedCountPagination
from tandem.companies.models import (
    PROTECTED_COMPANY_FIELDS,
    PROTECTED_ESTABLISHMENT_FIELDS,
    Company,
    Establishment,
)
from tandem.companies.nomenclatures import headcount_label, naf_label
from tandem.companies.selectors import (
    public_company_fields,
    public_establishment_fields,
    registry_company,
    registry_establishments,
)
from tandem.core.db import interactive_query


class _ProtectedFieldsMixin:
    """Protected fields of a non-diffusible unit are returned as null: present in the schema, never filled."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        allowed = self.public_fields(instance)
        for name in list(data):
            source = self.fields[name].source
            if source in self.protected and source not in allowed:
                data[name] = None
        return data


class EstablishmentSerializer(_ProtectedFieldsMixin, serializers.ModelSerializer):
    siren = serializers.CharField(source="company_id")
    company_name = serializers.CharField(source="company.display_name")
    naf_label = serializers.SerializerMethodField()
    headcount_label = serializers.SerializerMethodField()
    commune = serializers.CharField(source="commune_id", allow_null=True)

    protected = set(PROTECTED_ESTABLISHMENT_FIELDS)

    class Meta:
        model = Establishment
        fields = [
            "siret", "siren", "nic", "company_name", "diffusion", "is_head_office", "state", "state_since",
            "closed_on", "created_on", "naf", "naf_label", "naf_nomenclature", "headcount_band", "headcount_label",
            "headcount_year", "employer", "signboard", "usual_name", "address_complement", "street_number",
            "street_number_suffix", "street_type", "street_name", "postcode", "commune_label", "commune_code",
            "commune", "departement_code", "special_distribution", "cedex_code", "cedex_label", "address_id",
            "lambert_x", "lambert_y", "latitude", "longitude", "registry_processed_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {name: {"allow_null": True} for name in PROTECTED_ESTABLISHMENT_FIELDS}

    def public_fields(self, instance):
        return public_establishment_fields(instance)

    def get_naf_label(self, obj) -> str:
        return naf_label(obj.naf)

    def get_headcount_label(self, obj) -> str:
        return headcount_label(obj.headcount_band)


class CompanySerializer(_ProtectedFieldsMixin, serializers.ModelSerializer):
    display_name = serializers.CharField()
    naf_label = serializers.SerializerMethodField()
    headcount_label = serializers.SerializerMethodField()
    establishments = EstablishmentSerializer(many=True)

    protected = set(PROTECTED_COMPANY_FIELDS)

    class Meta:
        model = Company
        fields = [
            "siren", "display_name", "name", "acronym", "usual_name", "last_name", "usage_name", "first_name",
            "pseudonym", "sex", "diffusion", "legal_unit_loaded", "legal_category", "naf", "naf_label",
            "naf_nomenclature", "headcount_band", "headcount_label", "headcount_year", "company_category",
            "state", "state_since", "created_on", "ceased_on", "head_office_nic", "ess", "employer",
            "establishments",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {name: {"allow_null": True} for name in PROTECTED_COMPANY_FIELDS}

    def public_fields(self, instance):
        return public_company_fields(instance)

    def get_naf_label(self, obj) -> str:
        return naf_label(obj.naf)

    def get_headcount_label(self, obj) -> str:
        return headcount_label(obj.headcount_band)


ESTABLISHMENT_FILTERS = [
    OpenApiParameter("departement", str, description="code du département (ex. 67)"),
    OpenApiParameter("commune", str, description="code INSEE de la commune"),
    OpenApiParameter("epci", str, description="SIREN de l'EPCI"),
    OpenApiParameter("naf", str, description="code NAF rév. 2 (ex. 25.11Z) ou préfixe (ex. 25.1)"),
    OpenApiParameter("siren", str, description="SIREN de l'entreprise"),
    OpenApiParameter("etat", str, enum=["A", "F"], description="état administratif : A (actif) ou F (fermé)"),
    OpenApiParameter("q", str, description="recherche : nom, enseigne, SIRET, commune"),
]


class EstablishmentListView(ActorMixin, generics.ListAPIView):
    """Établissements du répertoire SIRENE dans le périmètre de l'utilisateur (la Région : tout le répertoire)."""

    serializer_class = EstablishmentSerializer
    queryset = Establishment.objects.none()
    pagination_class = CappedCountPagination  # `count` stops at 1,000 (`count_capped`): see tandem.core.paging

    @extend_schema(parameters=ESTABLISHMENT_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        with interactive_query():  # a search over the registry: short queries (tandem.core.db)
            return super().list(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        etat = params.get("etat") or None
        if etat not in (None, "A", "F"):
            raise ValidationError({"etat": "Valeur attendue : A (actif) ou F (fermé)."})
        filters = {
            name: params.get(name) or None for name in ("departement", "commune", "epci", "naf", "siren")
        }
        return registry_establishments(self.actor, etat=etat, q=params.get("q"), **filters)


class CompanyDetailView(ActorMixin, generics.RetrieveAPIView):
    """Une entreprise du répertoire SIRENE et ses établissements (champs protégés masqués)."""

    serializer_class = CompanySerializer
    queryset = Company.objects.none()
    lookup_field = "siren"

    def get_object(self):
        return registry_company(self.actor, self.kwargs["siren"])


urlpatterns = [
    path("establishments/", EstablishmentListView.as_view(), name="establishment-list"),
    path("companies/<str:siren>/", CompanyDetailView.as_view(), name="company-detail"),
]

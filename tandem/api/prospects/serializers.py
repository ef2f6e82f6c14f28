"""Prospects and matching: request and response shapes (also the OpenAPI schema)."""

import math

from rest_framework import serializers

from tandem.prospects.matching import CRITERIA, ICPE_LEVELS, KIND_NAMES, SEVESO_LEVELS, STATUS_NAMES
from tandem.prospects.models import Decision, Proposal, Prospect, StatusChange
from tandem.prospects.services import EDITABLE_FIELDS
from tandem.territories.models import Epci


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("Un nombre fini est attendu.")
        return value


def _float(**kwargs):
    return FiniteFloatField(min_value=0, max_value=1_000_000, **kwargs)


class MatchingRequestSerializer(serializers.Serializer):
    surface_min_ha = FiniteFloatField(min_value=0.01, max_value=1_000_000, help_text="surface minimale (ha)")
    surface_ideal_ha = FiniteFloatField(
        min_value=0.01, max_value=1_000_000, required=False, allow_null=True, default=None
    )
    extension_margin_ha = _float(required=False, default=0.0)
    power_mw = _float(required=False, default=0.0)
    water_m3h = _float(required=False, default=0.0)
    water_m3d = _float(required=False, default=0.0, help_text="eau de process par jour (m³/j)")
    gas_required = serializers.BooleanField(required=False, default=False)
    wastewater_m3d = _float(required=False, default=0.0, help_text="eaux usées à traiter (m³/j)")
    rail_required = serializers.BooleanField(required=False, default=False)
    waterway_required = serializers.BooleanField(required=False, default=False)
    max_motorway_km = _float(required=False, allow_null=True, default=None)
    max_station_km = _float(
        required=False,
        allow_null=True,
        default=None,
        help_text="distance maximale à une gare de voyageurs (km)",
    )
    max_airport_km = _float(
        required=False, allow_null=True, default=None, help_text="distance maximale à un aéroport (km)"
    )
    icpe_regime = serializers.ChoiceField(choices=ICPE_LEVELS, required=False, default="aucun")
    seveso = serializers.ChoiceField(choices=SEVESO_LEVELS, required=False, default="non Seveso")
    needed_by = serializers.DateField(required=False, allow_null=True, default=None)
    naf = serializers.RegexField(r"^\d{2}(\.?\d{1,2}[A-Z]?)?$", required=False, default="")
    region = serializers.RegexField(
        r"^\d{2}$", required=False, allow_null=True, default=None, help_text="code INSEE de la région"
    )
    epcis = serializers.ListField(
        child=serializers.RegexField(r"^\d{9}$"), required=False, default=list, max_length=2000
    )
    excluded_epcis = serializers.ListField(
        child=serializers.RegexField(r"^\d{9}$"), required=False, default=list, max_length=2000
    )
    weights = serializers.DictField(
        child=FiniteFloatField(min_value=0, max_value=1000),
        required=False,
        default=dict,
        help_text=f"pondérations à remplacer ; critères : {', '.join(CRITERIA)}",
    )
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=20)
    include_excluded = serializers.BooleanField(required=False, default=False)

    def validate_weights(self, value):
        unknown = set(value) - set(CRITERIA)
        if unknown:
            raise serializers.ValidationError(f"Critères inconnus : {', '.join(sorted(unknown))}.")
        return value

    def validate(self, attrs):
        if not attrs.get("region") and not attrs.get("epcis"):
            raise serializers.ValidationError("Indiquez une région (« region ») ou des EPCI (« epcis »).")
        ideal = attrs.get("surface_ideal_ha")
        if ideal is not None and ideal < attrs["surface_min_ha"]:
            raise serializers.ValidationError(
                {"surface_ideal_ha": "La surface idéale ne peut pas être inférieure à la surface minimale."}
            )
        return attrs


class ConditionSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    text = serializers.CharField()


class MatchingResultSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="« terrain:12 », « site:3 », « friche:7 », « combinaison:12+13 »")
    kind = serializers.ChoiceField(choices=KIND_NAMES)
    object_id = serializers.IntegerField(allow_null=True)
    members = serializers.ListField(child=serializers.IntegerField())
    name = serializers.CharField(allow_blank=True)
    epci = serializers.CharField(allow_blank=True)
    surface_ha = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=STATUS_NAMES)
    score = serializers.FloatField()
    available_on = serializers.DateField(
        allow_null=True, help_text="date à laquelle toutes les conditions sont levées"
    )
    conditions = ConditionSerializer(many=True)
    reasons = serializers.ListField(child=serializers.CharField())
    contributions = serializers.DictField(child=serializers.FloatField())


class StabilitySerializer(serializers.Serializer):
    draws = serializers.IntegerField()
    perturbation = serializers.FloatField()
    seed = serializers.IntegerField()
    top = serializers.ListField(child=serializers.CharField())
    top5_changed = serializers.FloatField()
    top5_order_changed = serializers.FloatField()
    first_changed = serializers.FloatField()


class MatchingResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    examined = serializers.IntegerField(help_text="candidats examinés, exclus compris")
    exclusions = serializers.DictField(
        child=serializers.IntegerField(), help_text="nombre de candidats exclus par chaque contrainte"
    )
    results = MatchingResultSerializer(many=True)
    stability = StabilitySerializer()
    weights = serializers.DictField(child=serializers.FloatField())


class CodeListField(serializers.ListField):
    child = serializers.RegexField(r"^[0-9A-Z.]{1,8}$")


class ProspectSerializer(serializers.ModelSerializer):
    upstream_naf = CodeListField(required=False, max_length=50)
    downstream_naf = CodeListField(required=False, max_length=50)
    # Jobs sought: ROME or FAP 2021 codes, or job titles resolved to ROME by the service (skills.jobs).
    skills = serializers.ListField(child=serializers.CharField(max_length=250), required=False, max_length=50)
    weights = serializers.DictField(child=FiniteFloatField(min_value=0, max_value=1000), required=False)
    preferred_epcis = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Epci.objects.all(), required=False
    )
    excluded_epcis = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Epci.objects.all(), required=False
    )
    members = serializers.SlugRelatedField(many=True, slug_field="username", read_only=True)
    shared_with = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Prospect
        fields = [
            "id",
            "owner",
            "status",
            *EDITABLE_FIELDS,
            "preferred_epcis",
            "excluded_epcis",
            "members",
            "shared_with",
            "created_at",
        ]
        read_only_fields = ["status", "members", "shared_with", "created_at"]


class ProspectUpdateSerializer(ProspectSerializer):
    class Meta(ProspectSerializer.Meta):
        read_only_fields = [*ProspectSerializer.Meta.read_only_fields, "owner"]


class ShareSerializer(serializers.Serializer):
    organizations = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=200
    )
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=200, help_text="identifiants"
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Prospect.Status.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StatusChangeSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StatusChange
        fields = ["status", "at", "by", "comment"]


class ProposalSerializer(serializers.ModelSerializer):
    object_id = serializers.IntegerField(min_value=1, write_only=True)
    candidate = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "organization",
            "kind",
            "object_id",
            "candidate",
            "comment",
            "conditions",
            "shortlisted",
            "shortlisted_at",
            "created_at",
        ]
        read_only_fields = ["shortlisted", "shortlisted_at", "created_at"]

    def get_candidate(self, obj) -> dict:
        c = obj.candidate
        return {"id": c.pk, "name": str(c)}


class ShortlistSerializer(serializers.Serializer):
    shortlisted = serializers.BooleanField(default=True)


class PipelineSerializer(serializers.Serializer):
    total = serializers.IntegerField(allow_null=True)
    by_status = serializers.DictField(child=serializers.IntegerField())
    plan_500 = serializers.IntegerField(allow_null=True)
    by_departement = serializers.DictField(child=serializers.IntegerField())


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    computation = serializers.CharField()


class ValueSerializer(serializers.Serializer):
    surface_ha = serializers.FloatField()
    figures = FigureSerializer(many=True)


class DecisionSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    proposal = serializers.IntegerField(required=False, allow_null=True, write_only=True, min_value=1)

    class Meta:
        model = Decision
        fields = ["id", "outcome", "reason", "proposal", "value_snapshot", "at", "by"]
        read_only_fields = ["value_snapshot", "at", "by"]

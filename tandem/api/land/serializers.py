from rest_framework import serializers

from tandem.core.geo import STORED_GEOMETRIES
from tandem.land.labels import LABEL_NAMES
from tandem.land.models import Friche, LabelDecision, Site, Terrain
from tandem.land.perms import can_see_personal_fields
from tandem.land.standard import column

INTERNAL = (*STORED_GEOMETRIES, "geometry_digest", "shared_with", "last_vintage")


def _enum(table, name):
    return column(table, name).get("enum", [])


class SiteFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, help_text="nom, identifiant ou commune")
    epci = serializers.RegexField(r"^\d{9}$", required=False, help_text="SIREN de l'EPCI")
    vocation = serializers.ChoiceField(choices=_enum("site-eco", "site_vocadomi"), required=False)
    etat = serializers.ChoiceField(choices=_enum("site-eco", "site_etat"), required=False)
    min_available_ha = serializers.FloatField(required=False, min_value=0, max_value=1e7)
    label = serializers.ChoiceField(choices=list(LABEL_NAMES.values()), required=False)
    cle_en_main = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_readiness = serializers.IntegerField(required=False, min_value=0, max_value=100)


class SiteSerializer(serializers.ModelSerializer):
    available_ha = serializers.FloatField(read_only=True, help_text="disponible immédiatement (ha)")
    short_ha = serializers.FloatField(read_only=True, help_text="mobilisable à court terme (ha)")
    readiness_score = serializers.SerializerMethodField()

    class Meta:
        model = Site
        exclude = INTERNAL

    def get_readiness_score(self, obj) -> int | None:
        readiness = getattr(obj, "readiness", None)
        return readiness.score if readiness else None


class TerrainSerializer(serializers.ModelSerializer):
    """A terrain without the standard's personal fields, unless the reader belongs to the owner (or it shares):
    the schema does not require them, since a reader who may not see them does not get them."""

    class Meta:
        model = Terrain
        exclude = INTERNAL
        extra_kwargs = {name: {"required": False} for name in Terrain.PERSONAL_FIELDS}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        actor = self.context.get("actor")
        if actor is None or not can_see_personal_fields(actor, instance):
            for name in Terrain.PERSONAL_FIELDS:
                data.pop(name, None)
        return data


class FricheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Friche
        exclude = INTERNAL

    def to_representation(self, instance):
        data = super().to_representation(instance)
        actor = self.context.get("actor")
        if actor is None or not can_see_personal_fields(actor, instance):
            for name in Friche.PERSONAL_FIELDS:
                data.pop(name, None)
        return data


class LabelDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelDecision
        fields = [
            "id",
            "site",
            "label",
            "status",
            "proposed_by_org",
            "proposed_on",
            "proposal_text",
            "decided_by_org",
            "decided_on",
            "decision_text",
            "valid_until",
            "sector_priorities",
        ]
        read_only_fields = fields


class LabelProposalSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=LabelDecision.Label.choices, default=LabelDecision.Label.STAREST)
    proposal_text = serializers.CharField(max_length=5000)
    sector_priorities = serializers.ListField(child=serializers.CharField(max_length=100), required=False)


class LabelDecisionInputSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    decision_text = serializers.CharField(max_length=5000)
    valid_until = serializers.DateField(required=False, allow_null=True)
    sector_priorities = serializers.ListField(child=serializers.CharField(max_length=100), required=False)


class TerrainUpdateSerializer(serializers.Serializer):
    changes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        help_text="colonne du standard TERRAIN-ECO (ou extension tdm_*) → valeur texte, validée comme à l'import",
    )

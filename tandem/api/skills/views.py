"""Jobs and skills API: a territory's figures, gaps and actions (`GET /api/v1/skills/<kind>/<code>/`, kind
`ze`, `epci` or `dep`). The same selectors and permission layer as the web page: needs and actions the caller
may not see are absent."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.base import ActorMixin
from tandem.skills import selectors
from tandem.skills.territory import territory_get


def _action(action) -> dict:
    return {
        "id": action.pk,
        "owner": action.owner_id,
        "kind": action.kind,
        "kind_label": action.get_kind_display(),
        "status": action.status,
        "status_label": action.get_status_display(),
        "job_code": action.job_code,
        "people": action.people,
        "due_on": action.due_on,
        "description": action.description,
        "results": action.results,
    }


class TerritorySkillsView(ActorMixin, APIView):
    @extend_schema(
        responses=inline_serializer(
            "TerritorySkills",
            {
                "territory": serializers.DictField(),
                "figures": serializers.DictField(),
                "gaps": serializers.ListField(child=serializers.DictField()),
                "seekers_by_sector": serializers.ListField(child=serializers.DictField()),
                "actions": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request, kind: str, code: str):
        territory = territory_get(kind, code)
        gaps = selectors.gaps(actor=self.actor, territory=territory)
        return Response(
            {
                "territory": {"kind": territory.kind, "code": territory.code, "name": territory.name},
                "figures": selectors.territory_skill_figures(actor=self.actor, territory=territory),
                "gaps": [
                    {
                        "job_code": g["code"],
                        "job_label": g["name"],
                        "needs": g["needs"],
                        "bmo_projects": None if g["bmo"] is None else g["bmo"]["projects"],
                        "bmo_difficult_share": None if g["bmo"] is None else g["bmo"]["difficult_share"],
                        "rome_codes": g["rome_codes"],
                        "training_places_12_months": g["training_places"],
                        "tension": g["tension"],
                        "job_seekers": g["seekers"],
                        "unresolved": g["unresolved"],
                        "flagged": g["flagged"],
                        "reasons": g["reasons"],
                        "actions": [a.pk for a in g["actions"]],
                    }
                    for g in gaps
                ],
                "actions": [_action(a) for a in selectors.actions_for(actor=self.actor, territory=territory)],
                "seekers_by_sector": selectors.seekers_by_sector(actor=self.actor, territory=territory)["sectors"],
            }
        )


class CrosswalkView(ActorMixin, APIView):
    """The ROME ↔ FAP 2021 pairs in force (official, else reviewed by the Région) and the proposal's precision
    on the reviewed pairs."""

    @extend_schema(
        responses=inline_serializer(
            "SkillsCrosswalk",
            {
                "precision": serializers.DictField(),
                "pairs": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        return Response(
            {
                "precision": selectors.crosswalk_precision(),
                "pairs": [
                    {"rome_code": rome, "fap_family": family, "origin": origin}
                    for rome, families in sorted(selectors.rome_fap_in_force().items())
                    for family, origin in families
                ],
            }
        )


class JobSheetView(ActorMixin, APIView):
    """One FAP 2021 job across the zones d'emploi: BMO projects, share difficult, tension, training places."""

    @extend_schema(
        responses=inline_serializer(
            "SkillsJobSheet",
            {
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                "year": serializers.IntegerField(allow_null=True),
                "rome_codes": serializers.ListField(child=serializers.CharField()),
                "zones": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request, code: str):
        sheet = selectors.job_sheet(actor=self.actor, job_code=code.upper())
        if not sheet["known"]:
            raise Http404
        return Response(
            {
                "code": sheet["code"],
                "name": sheet["name"],
                "year": sheet["year"],
                "rome_codes": sheet["rome_codes"],
                "zones": [
                    {
                        "code": z["code"],
                        "name": z["name"],
                        "bmo_projects": None if z["secret_only"] else z["projects"],
                        "bmo_secret_cells": z["secret"],
                        "bmo_difficult_share": z["difficult_share"],
                        "tension": z["tension"],
                        "training_places_12_months": z["places"],
                    }
                    for z in sheet["zones"]
                ],
            }
        )


urlpatterns = [
    path("skills/correspondances/", CrosswalkView.as_view(), name="skills-crosswalk"),
    path("skills/metier/<str:code>/", JobSheetView.as_view(), name="skills-job"),
    path("skills/<str:kind>/<str:code>/", TerritorySkillsView.as_view(), name="skills-territory"),
]

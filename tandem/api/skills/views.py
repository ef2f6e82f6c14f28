"""Jobs and skills API: a territory's figures, gaps and actions (`GET /api/v1/skills/<kind>/<code>/`, kind
`ze`, `epci` or `dep`). The same selectors and permission layer as the web page: needs and actions the caller
may not see are absent."""

from __future__ import annotations

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
                        "flagged": g["flagged"],
                        "reasons": g["reasons"],
                        "actions": [a.pk for a in g["actions"]],
                    }
                    for g in gaps
                ],
                "actions": [_action(a) for a in selectors.actions_for(actor=self.actor, territory=territory)],
            }
        )


urlpatterns = [path("skills/<str:kind>/<str:code>/", TerritorySkillsView.as_view(), name="skills-territory")]

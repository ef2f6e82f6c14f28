from django.urls import path
from rest_framework.routers import SimpleRouter

from tandem.api.prospects import views

router = SimpleRouter(trailing_slash=True)
router.register("prospects", views.ProspectViewSet, basename="prospect")

urlpatterns = [
    path("matching/", views.MatchingView.as_view(), name="matching"),
    path("prospects/pipeline/", views.PipelineView.as_view(), name="prospect-pipeline"),
    *router.urls,
]

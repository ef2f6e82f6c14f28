from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tandem.api.land import views

router = DefaultRouter(trailing_slash=True)
router.register("land/sites", views.SiteViewSet, basename="land-site")
router.register("land/terrains", views.TerrainViewSet, basename="land-terrain")
router.register("land/friches", views.FricheViewSet, basename="land-friche")
router.register("land/label-decisions", views.LabelDecisionViewSet, basename="land-label-decision")

urlpatterns = [
    path("land/indicators/<str:level>/<str:key>/", views.IndicatorsView.as_view(), name="land-indicators"),
    path("land/dashboard/", views.DashboardView.as_view(), name="land-dashboard"),
    path("land/layers/", views.LayersView.as_view(), name="land-layers"),
    path("", include(router.urls)),
]

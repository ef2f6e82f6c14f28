from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from tandem.api import views

router = DefaultRouter(trailing_slash=True)
router.register("regions", views.RegionViewSet, basename="region")
router.register("departements", views.DepartementViewSet, basename="departement")
router.register("zones-emploi", views.ZoneEmploiViewSet, basename="zone-emploi")
router.register("communes", views.CommuneViewSet, basename="commune")
router.register("epcis", views.EpciViewSet, basename="epci")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("perimeters", views.PerimeterViewSet, basename="perimeter")
router.register("delegations", views.DelegationViewSet, basename="delegation")
router.register("audit", views.AuditEventViewSet, basename="audit")

urlpatterns = [
    path("openapi.json", SpectacularAPIView.as_view(), {"format": "json"}, name="openapi"),
    path("me/", views.MeView.as_view(), name="me"),
    path("", include("tandem.api.land.urls")),
    path("", include("tandem.api.companies.urls")),
    path("", include("tandem.api.prospects.urls")),
    path("", include("tandem.api.eit.views")),
    path("", include(router.urls)),
]

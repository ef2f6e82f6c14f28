from django.urls import include, path

urlpatterns: list = [
    path("", include("tandem.api.companies.registry")),
    path("", include("tandem.api.companies.followup")),
]

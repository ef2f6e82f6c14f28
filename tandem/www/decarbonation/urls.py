from django.urls import path

from tandem.www.decarbonation import views

app_name = "decarbonation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("installations/", views.installation_list, name="installations"),
    path("installations/export.<str:fmt>", views.installation_export, name="installation_export"),
    path("installations/<int:pk>/", views.installation_detail, name="installation"),
    path("installations/<int:pk>/projet/", views.project_create, name="project_create"),
    path("liens/", views.link_review, name="links"),
    path("gros-emetteurs/", views.major_list, name="major"),
    path("liens/<int:pk>/<str:decision>/", views.link_decide, name="link_decide"),
]

from django.urls import path

from tandem.www.decarbonation import views

app_name = "decarbonation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("installations/", views.installation_list, name="installations"),
    path("installations/<int:pk>/", views.installation_detail, name="installation"),
    path("installations/<int:pk>/projet/", views.project_create, name="project_create"),
    path("liens/", views.link_review, name="links"),
    path("liens/<int:pk>/<str:decision>/", views.link_decide, name="link_decide"),
]

from django.urls import path

from tandem.www.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/etat.json", views.run_status, name="status"),
    path("<int:pk>/annuler/", views.run_cancel, name="cancel"),
    path("<int:pk>/rejets.csv", views.run_rejects, name="rejects"),
]

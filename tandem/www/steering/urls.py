from django.urls import path

from tandem.www.steering import views

app_name = "steering"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:level>/<str:key>/", views.dashboard, name="dashboard"),
    path("<str:level>/<str:key>/rapport/", views.territory_report, name="territory_report"),
]

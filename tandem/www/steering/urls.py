from django.urls import path

from tandem.www.steering import views

app_name = "steering"

urlpatterns = [
    path("", views.index, name="index"),
    path("conventions/", views.convention_list, name="convention_list"),
    path("conventions/nouvelle/", views.convention_create_view, name="convention_create"),
    path("conventions/<int:pk>/", views.convention_detail, name="convention_detail"),
    path("conventions/<int:pk>/document/", views.convention_document, name="convention_document"),
    path("conventions/<int:pk>/objectif/", views.objective_add_view, name="objective_add"),
    path("conventions/<int:pk>/rapports/", views.report_open_view, name="report_open"),
    path("rapports/<int:pk>/", views.report_detail, name="report_detail"),
    path("rapports/<int:pk>/<str:action>/", views.report_action_view, name="report_action"),
    path("valeurs/<int:pk>/corriger/", views.snapshot_correct_view, name="snapshot_correct"),
    path("<str:level>/<str:key>/", views.dashboard, name="dashboard"),
    path("<str:level>/<str:key>/rapport/", views.territory_report, name="territory_report"),
]

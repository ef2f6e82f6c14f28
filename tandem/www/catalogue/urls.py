from django.urls import path

from tandem.www.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.scheme_list, name="schemes"),
    path("export.<str:fmt>", views.scheme_export, name="schemes_export"),
    path("dispositifs/nouveau/", views.scheme_edit, name="scheme_create"),
    path("dispositifs/<slug:slug>/", views.scheme_detail, name="scheme"),
    path("dispositifs/<slug:slug>/modifier/", views.scheme_edit, name="scheme_edit"),
    path("dispositifs/<slug:slug>/fiche.yaml", views.scheme_yaml, name="scheme_yaml"),
    path("operateurs/", views.operator_list, name="operators"),
    path("operateurs/nouveau/", views.operator_edit, name="operator_create"),
    path("operateurs/<slug:slug>/", views.operator_detail, name="operator"),
    path("operateurs/<slug:slug>/modifier/", views.operator_edit, name="operator_edit"),
    path("operateurs/<slug:slug>/antennes/nouvelle/", views.office_edit, name="office_create"),
    path("antennes/<int:pk>/modifier/", views.office_edit, name="office_edit"),
    path("besoins/<int:pk>/", views.need_routing, name="need"),
    path("orientations/", views.routing_list, name="routings"),
    path("orientations/<int:pk>/", views.routing_detail, name="routing"),
    path("orientations/<int:pk>/<str:action>/", views.routing_answer, name="routing_answer"),
    path("reponse/<str:token>/", views.routing_answer_link, name="answer_link"),
    path("indicateurs/", views.routing_indicators, name="indicators"),
    path("indicateurs/export.<str:fmt>", views.indicators_export, name="indicators_export"),
]

from django.urls import path

from tandem.www.eit import views

app_name = "eit"

urlpatterns = [
    path("", views.flow_list, name="flows"),
    path("flux/export.<str:fmt>", views.flow_export, name="flow_export"),
    path("flux/import/", views.flow_import, name="flow_import"),
    path("flux/<int:pk>/", views.flow_detail, name="flow"),
    path("entreprises/<str:siren>/", views.company_flows, name="company"),
    path("detection/", views.detection, name="detection"),
    path("detection/suggestion/<int:offer>/<int:need>/", views.suggestion, name="suggestion"),
    path("synergies/", views.synergy_board, name="board"),
    path("synergies/<int:pk>/", views.synergy_detail, name="synergy"),
    path("synergies/<int:pk>/<str:what>/", views.synergy_update, name="synergy_update"),
    path("indicateurs/", views.indicators, name="indicators"),
]

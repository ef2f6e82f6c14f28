from django.urls import path

from tandem.www.land import views

app_name = "land"

urlpatterns = [
    path("", views.site_list, name="site_list"),
    path("carte/", views.land_map, name="map"),
    path("tuiles/<str:layer>/<int:z>/<int:x>/<int:y>.pbf", views.land_tile, name="tile"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("indicateurs/<str:level>/<str:key>/", views.territory_indicators, name="indicators"),
    path("sites/nouveau/", views.site_create, name="site_create"),
    path("poles/nouveau/", views.pole_create, name="pole_create"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/label/", views.label_propose_view, name="label_propose"),
    path("sites/<int:pk>/filieres/", views.site_sectors_view, name="site_sectors"),
    path("terrains/<int:pk>/modifier/", views.terrain_edit, name="terrain_edit"),
    path("friches/", views.friche_list, name="friche_list"),
    path("friches/<int:pk>/", views.friche_detail, name="friche_detail"),
    path("friches/<int:pk>/modifier/", views.friche_edit, name="friche_edit"),
    path("labels/", views.label_list, name="labels"),
    path("labels/<int:pk>/decision/", views.label_decide_view, name="label_decide"),
    path("import/", views.import_start, name="import"),
    path("export/sites.csv", views.download_sites_csv, name="download_sites_csv"),
    path("export/cnig/", views.download_cnig, name="download_cnig"),
    path("export/<str:layer>.geojson", views.download_geojson, name="download_geojson"),
]

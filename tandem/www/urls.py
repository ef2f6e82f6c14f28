from django.contrib.auth import views as auth_views
from django.urls import include, path

from tandem.www.views import account, files, home, maps, organizations, perimeters, territories

app_name = "www"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(template_name="www/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisation/choisir/", home.switch_organization, name="switch_organization"),
    path("compte/jeton/", account.api_token, name="api_token"),
    path("compte/notifications/", account.notifications, name="notifications"),
    path("carte/tuiles/<str:layer>/<int:z>/<int:x>/<int:y>.pbf", maps.map_tile, name="map_tile"),
    path("territoires/", territories.territory_search, name="territory_search"),
    path("territoires/epci/<str:siren>/", territories.epci_detail, name="epci_detail"),
    path("territoires/communes/<str:code>/", territories.commune_detail, name="commune_detail"),
    path("perimetres/", perimeters.perimeter_list, name="perimeter_list"),
    path("perimetres/nouveau/", perimeters.perimeter_create_view, name="perimeter_create"),
    path("perimetres/import/", perimeters.perimeter_import_view, name="perimeter_import"),
    path("perimetres/export.csv", perimeters.perimeter_export_csv, name="perimeter_export_csv"),
    path("perimetres/<int:pk>/", perimeters.perimeter_detail, name="perimeter_detail"),
    path("perimetres/<int:pk>/modifier/", perimeters.perimeter_edit, name="perimeter_edit"),
    path("perimetres/<int:pk>/supprimer/", perimeters.perimeter_delete_view, name="perimeter_delete"),
    path(
        "perimetres/<int:pk>/export.geojson",
        perimeters.perimeter_export_geojson,
        name="perimeter_export_geojson",
    ),
    path("delegations/", organizations.delegation_list, name="delegation_list"),
    path("delegations/<int:pk>/revoquer/", organizations.delegation_revoke_view, name="delegation_revoke"),
    path("journal/", organizations.audit_log, name="audit_log"),
    path("organisation/membres/", organizations.member_list, name="member_list"),
    path(
        "organisation/invitations/<int:pk>/",
        organizations.invitation_answer_view,
        name="invitation_answer",
    ),
    path("imports/", include("tandem.www.imports.urls")),
    path("fichiers/<int:pk>/", files.generated_file_detail, name="generated_file_detail"),
    path("fichiers/<int:pk>/telecharger/", files.generated_file_download, name="generated_file_download"),
    path("fichiers/<int:pk>/annuler/", files.generated_file_cancel_view, name="generated_file_cancel"),
    path("foncier/", include("tandem.www.land.urls")),
    path("entreprises/", include("tandem.www.companies.urls")),
    path("prospects/", include("tandem.www.prospects.urls")),
    path("eit/", include("tandem.www.eit.urls")),
    path("decarbonation/", include("tandem.www.decarbonation.urls")),
    path("catalogue/", include("tandem.www.catalogue.urls")),
    path("competences/", include("tandem.www.skills.urls")),
    path("pilotage/", include("tandem.www.steering.urls")),
]

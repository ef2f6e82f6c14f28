from django.urls import path

from tandem.www.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("export.<str:fmt>", views.company_export, name="export"),
    path("besoins/", views.need_list, name="needs"),
    path("besoins/export.<str:fmt>", views.need_export, name="need_export"),
    path("signaux/", views.signal_list, name="signals"),
    path("signaux/<int:pk>/traiter/", views.signal_handle, name="signal_handle"),
    path("parcours/", views.parcours_page, name="parcours"),
    path("parcours/export.<str:fmt>", views.parcours_export, name="parcours_export"),
    path("parcours/offreurs/", views.provider_list, name="providers"),
    path("revues/", views.review_list, name="reviews"),
    path("revues/<int:pk>/", views.review_detail, name="review_detail"),
    path("revues/<int:pk>/export.<str:fmt>", views.review_export, name="review_export"),
    path("revues/<int:pk>/<str:what>/", views.review_update, name="review_update"),
    path("<str:siren>/", views.company_detail, name="detail"),
    path("<str:siren>/referent/", views.become_referent, name="become_referent"),
    path("<str:siren>/conseillers/", views.advisor_add, name="advisor_add"),
    path("<str:siren>/echanges/", views.exchange_add, name="exchange_add"),
    path("<str:siren>/echanges/<int:pk>/", views.exchange_edit, name="exchange_edit"),
    path("<str:siren>/besoins/", views.need_add, name="need_add"),
    path("<str:siren>/besoins/<int:pk>/statut/", views.need_status, name="need_status"),
    path("<str:siren>/projets/", views.project_add, name="project_add"),
    path("<str:siren>/projets/<int:pk>/reponse/", views.project_answer_view, name="project_answer"),
    path(
        "<str:siren>/projets/<int:pk>/recherche-fonciere/",
        views.project_land_search,
        name="project_land_search",
    ),
    path("<str:siren>/contacts/", views.contact_add, name="contact_add"),
    path("<str:siren>/contacts/<int:pk>/supprimer/", views.contact_remove, name="contact_delete"),
    path("<str:siren>/parcours/", views.parcours_move, name="parcours_move"),
    path("<str:siren>/signaux/", views.signal_add, name="signal_add"),
    path("<str:siren>/rappels/", views.reminder_add, name="reminder_add"),
    path("<str:siren>/rappels/<int:pk>/fait/", views.reminder_close, name="reminder_done"),
    path("<str:siren>/conseillers/<int:pk>/fin/", views.advisor_stop, name="advisor_end"),
    path("<str:siren>/parcours/etapes/<int:pk>/", views.parcours_step_aid, name="parcours_step_aid"),
    path("<str:siren>/parcours/cloture/", views.parcours_end, name="parcours_close"),
    path("<str:siren>/parcours/competences/", views.parcours_hiring_need_add, name="parcours_hiring_need"),
]

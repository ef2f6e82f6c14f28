from django.urls import path

from tandem.www.skills import views

app_name = "skills"

urlpatterns = [
    path("", views.skills_index, name="index"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
    path("metiers/suggestions/", views.job_suggestions, name="job_suggestions"),
    path("correspondances/", views.crosswalk_review, name="crosswalk"),
    path("correspondances/<str:rome>/", views.crosswalk_decide, name="crosswalk_decide"),
    path("metier/<str:code>/", views.job_page, name="job"),
    path("metier/<str:code>/export.<str:fmt>", views.job_export, name="job_export"),
    path("<str:kind>/<str:code>/export-<str:table>.<str:fmt>", views.territory_export, name="export"),
    path("<str:kind>/<str:code>/", views.territory_page, name="territory"),
    path("<str:kind>/<str:code>/actions/", views.action_add, name="action_add"),
]

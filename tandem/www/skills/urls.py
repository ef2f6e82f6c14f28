from django.urls import path

from tandem.www.skills import views

app_name = "skills"

urlpatterns = [
    path("", views.skills_index, name="index"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
    path("<str:kind>/<str:code>/", views.territory_page, name="territory"),
    path("<str:kind>/<str:code>/actions/", views.action_add, name="action_add"),
]

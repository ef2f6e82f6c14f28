from django.urls import path

from tandem.www.prospects import views

app_name = "prospects"

urlpatterns = [
    path("", views.prospect_list, name="list"),
    path("nouveau/", views.prospect_create_view, name="create"),
    path("<int:pk>/", views.prospect_detail, name="detail"),
    path("<int:pk>/partager/", views.prospect_share_view, name="share"),
    path("<int:pk>/proposer/", views.proposal_create_view, name="propose"),
    path("<int:pk>/sites-proposables.json", views.land_suggestions, name="land_suggestions"),
    path(
        "<int:pk>/propositions/<int:proposal_pk>/liste-restreinte/",
        views.proposal_shortlist_view,
        name="shortlist",
    ),
    path("<int:pk>/statut/", views.prospect_status_view, name="status"),
    path("<int:pk>/decisions/", views.decision_create_view, name="decide"),
    path("<int:pk>/reponse/", views.prospect_answer_html, name="answer"),
    path("<int:pk>/reponse.pdf", views.prospect_answer_pdf, name="answer_pdf"),
]

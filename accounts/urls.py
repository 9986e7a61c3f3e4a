from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/new/", views.TeamFormView.as_view(), name="team_create"),
    path("teams/<int:team_id>/", views.TeamFormView.as_view(), name="team_edit"),
]

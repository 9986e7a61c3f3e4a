from django.urls import path

from . import views

app_name = "gateway"

urlpatterns = [
    path("", views.KeyListView.as_view(), name="key_list"),
    path("new/", views.key_issue, name="key_create"),
    path("<int:key_id>/", views.key_detail, name="key_detail"),
    path("<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("<int:key_id>/calls.csv", views.key_calls_csv, name="key_calls_csv"),
]

from django.urls import path

from . import views

app_name = "subscriptions"

one = "<int:subscription_id>/"

urlpatterns = [
    path("", views.subscription_list, name="subscription_list"),
    path("new/", views.subscription_create, name="subscription_create"),
    path("feed/", views.feed, name="feed"),
    path("orphans/<str:qualtrics_id>/delete/", views.orphan_delete, name="orphan_delete"),
    path(one, views.subscription_detail, name="subscription_detail"),
    path(one + "test/", views.subscription_test, name="subscription_test"),
    path(one + "delete/", views.subscription_delete, name="subscription_delete"),
    path(one + "destinations/", views.destination_create, name="destination_create"),
    path(one + "destinations/<int:destination_id>/delete/", views.destination_delete, name="destination_delete"),
    path(one + "replay/", views.delivery_replay, name="delivery_replay"),
]

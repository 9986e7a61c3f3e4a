from django.urls import path

from . import views

# Not namespaced: LOGIN_REDIRECT_URL and the layout name them "dashboard" and "mailbox".
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("mailbox/", views.mailbox, name="mailbox"),
]

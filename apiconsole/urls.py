from django.urls import path

from . import views

app_name = "apiconsole"

urlpatterns = [
    path("", views.console, name="console"),
    path("send/", views.console_send, name="send"),
    path("curl/", views.console_curl, name="curl"),
    path("saved/", views.console_save, name="save"),
    path("saved/<int:saved_id>/delete/", views.SavedRequestDeleteView.as_view(), name="saved_delete"),
    path("access/", views.console_access, name="access"),
]

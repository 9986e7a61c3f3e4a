from django.urls import path

from . import views
from .models import RunKind

app_name = "workflows"

trigger = "<int:trigger_id>/"
run = "runs/<int:run_id>/"

urlpatterns = [
    path("", views.TriggerListView.as_view(), name="trigger_list"),
    path("new/", views.TriggerFormView.as_view(), name="trigger_create"),
    path(trigger, views.TriggerDetailView.as_view(), name="trigger_detail"),
    path(trigger + "edit/", views.TriggerFormView.as_view(), name="trigger_edit"),
    path(trigger + "delete/", views.TriggerDeleteView.as_view(), name="trigger_delete"),
    path(trigger + "send/", views.TriggerDetailView.as_view(action="send"), name="trigger_send"),
    path(trigger + "run/list/", views.TriggerDetailView.as_view(action=RunKind.LIST), name="run_start_list"),
    path(trigger + "run/search/", views.TriggerDetailView.as_view(action=RunKind.SEARCH), name="run_start_search"),
    path("pick/mailing-lists/", views.mailing_list_options, name="mailing_list_options"),
    path(run, views.run_detail, name="run_detail"),
    path(run + "retry/", views.run_retry, name="run_retry"),
    path(run + "cancel/", views.run_cancel, name="run_cancel"),
    path(run + "resume/", views.run_resume, name="run_resume"),
]

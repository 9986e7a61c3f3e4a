from django.urls import path

from surveys.urls import SurveyIdConverter  # noqa: F401 - registers the qualtrics_survey converter

from .views import exports, imports, responses, schedules

app_name = "responses"

survey = "<qualtrics_survey:survey_id>/"

urlpatterns = [
    path(survey, exports.export_list, name="export_list"),
    path(survey + "exports/new/", exports.export_create, name="export_create"),
    path(survey + "per-day/", exports.survey_daily, name="survey_daily"),
    path(survey + "exports/<int:export_id>/", exports.export_detail, name="export_detail"),
    path(survey + "exports/<int:export_id>/progress/", exports.export_progress, name="export_progress"),
    path(survey + "exports/<int:export_id>/cancel/", exports.export_cancel, name="export_cancel"),
    path(survey + "exports/<int:export_id>/file/", exports.export_download, name="export_download"),
    path(survey + "schedules/new/", schedules.schedule_create, name="schedule_create"),
    path(survey + "schedules/<int:schedule_id>/", schedules.schedule_detail, name="schedule_detail"),
    path(survey + "schedules/<int:schedule_id>/edit/", schedules.schedule_edit, name="schedule_edit"),
    path(survey + "schedules/<int:schedule_id>/delete/", schedules.schedule_delete, name="schedule_delete"),
    path(survey + "imports/", imports.import_list, name="import_list"),
    path(survey + "imports/new/", imports.import_create, name="import_create"),
    path(survey + "imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path(survey + "imports/<int:import_id>/progress/", imports.import_progress, name="import_progress"),
    path(survey + "find/", responses.response_find, name="response_find"),
    path(survey + "<str:response_id>/", responses.response_detail, name="response_detail"),
    path(survey + "<str:response_id>/embedded-data/", responses.response_embedded, name="response_embedded"),
    path(survey + "<str:response_id>/delete/", responses.response_delete, name="response_delete"),
]

from django.urls import path, register_converter

from . import views


class SurveyIdConverter:
    """A survey ID (SV_ then letters and digits): anything else is a 404."""

    regex = r"SV_[A-Za-z0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SurveyIdConverter, "qualtrics_survey")

app_name = "surveys"

survey = "<qualtrics_survey:survey_id>/"

urlpatterns = [
    path("", views.SurveyListView.as_view(), name="survey_list"),
    path("rows/", views.survey_rows, name="survey_rows"),
    path("import/", views.SurveyImportView.as_view(), name="survey_import"),
    path("pick/", views.survey_picker, name="survey_picker"),
    path("pick/status/", views.survey_picker_status, name="survey_picker_status"),
    path(survey, views.SurveyDetailView.as_view(), name="survey_detail"),
    path(survey + "status/", views.SurveyStatusView.as_view(), name="survey_status"),
    path(survey + "rename/", views.SurveyRenameView.as_view(), name="survey_rename"),
    path(survey + "window/", views.SurveyWindowView.as_view(), name="survey_window"),
    path(survey + "copy/", views.SurveyCopyView.as_view(), name="survey_copy"),
    path(survey + "export.qsf", views.survey_export, name="survey_export"),
    path(survey + "delete/", views.SurveyDeleteView.as_view(), name="survey_delete"),
]

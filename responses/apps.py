from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "responses"
    verbose_name = "Survey responses"

    def ready(self):
        from surveys.signals import survey_deleted, survey_dependents

        from . import receivers

        survey_dependents.connect(receivers.survey_responses, dispatch_uid="responses.survey_responses")
        survey_deleted.connect(receivers.stop_survey_schedules, dispatch_uid="responses.stop_survey_schedules")

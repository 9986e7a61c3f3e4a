from django.apps import AppConfig


class DistributionsConfig(AppConfig):
    name = "distributions"
    verbose_name = "Distributions"

    def ready(self):
        from connections.signals import connection_deleting, connection_dependents
        from surveys.signals import survey_deleted, survey_dependents

        from . import receivers

        connection_dependents.connect(
            receivers.scheduled_distributions, dispatch_uid="distributions.scheduled_distributions"
        )
        connection_deleting.connect(
            receivers.cancel_scheduled_distributions, dispatch_uid="distributions.cancel_scheduled_distributions"
        )
        survey_dependents.connect(receivers.survey_distributions, dispatch_uid="distributions.survey_distributions")
        survey_deleted.connect(
            receivers.cancel_survey_distributions, dispatch_uid="distributions.cancel_survey_distributions"
        )

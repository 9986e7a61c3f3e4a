from django.apps import AppConfig


class DistributionsConfig(AppConfig):
    name = "distributions"
    verbose_name = "Distributions"

    def ready(self):
        from connections.signals import connection_deleting, connection_dependents

        from . import receivers

        connection_dependents.connect(
            receivers.scheduled_distributions, dispatch_uid="distributions.scheduled_distributions"
        )
        connection_deleting.connect(
            receivers.cancel_scheduled_distributions, dispatch_uid="distributions.cancel_scheduled_distributions"
        )

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflow triggers"

    def ready(self):
        from connections.signals import connection_deleting, connection_dependents

        from . import receivers

        connection_dependents.connect(receivers.active_runs, dispatch_uid="workflows.active_runs")
        connection_deleting.connect(receivers.cancel_active_runs, dispatch_uid="workflows.cancel_active_runs")

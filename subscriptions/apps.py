from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Event subscriptions"

    def ready(self):
        from connections.signals import connection_deleting, connection_dependents

        from . import receivers

        connection_dependents.connect(receivers.subscriptions_of, dispatch_uid="subscriptions.subscriptions_of")
        connection_deleting.connect(receivers.delete_subscriptions, dispatch_uid="subscriptions.delete_subscriptions")

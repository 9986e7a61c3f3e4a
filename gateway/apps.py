from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"
    verbose_name = "API keys and gateway"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from connections.models import Connection

        from .models import ApiKey
        from .services.calls import recent_keys

        # A key or connection saved or deleted here: this process stops reusing what it looked up at once.
        def forget(**_kwargs) -> None:
            recent_keys.forget()

        for model in (ApiKey, Connection):
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"gateway-forget-{model.__name__}")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"gateway-forget-{model.__name__}-gone")
